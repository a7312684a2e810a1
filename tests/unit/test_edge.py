"""The edge of every service: forwarded headers believed only from trusted proxies, HSTS
and Secure cookies outside local mode, and the correlation id a request's events carry.
Plain ASGI apps here; tests/e2e/test_behind_the_proxy.py runs the same behind nginx."""

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from shared.correlation import current_correlation_id
from shared.edge import HSTS, EdgeApp, ForwardedHeaders
from shared.runtime import CorrelationIdMiddleware
from shared.settings import Settings


def seen_by_app() -> FastAPI:
    app = FastAPI()

    @app.get("/who")
    async def who(request: Request) -> dict:
        client = request.client.host if request.client else None
        return {"client": client, "scheme": request.url.scheme}

    return app


async def who(trusted: list[str], peer: str, headers: dict[str, str]) -> dict:
    app = ForwardedHeaders(seen_by_app(), trusted)
    transport = httpx.ASGITransport(app=app, client=(peer, 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return (await client.get("/who", headers=headers)).json()


async def test_a_trusted_proxy_names_the_right_most_untrusted_address_as_the_client():
    seen = await who(
        ["10.0.0.0/8"],
        "10.0.0.5",
        {"X-Forwarded-For": "203.0.113.9, 198.51.100.7, 10.0.0.9", "X-Forwarded-Proto": "https"},
    )
    assert seen == {"client": "198.51.100.7", "scheme": "https"}


async def test_forwarded_headers_from_an_untrusted_peer_are_ignored():
    seen = await who(
        ["10.0.0.5"],
        "198.51.100.7",
        {"X-Forwarded-For": "203.0.113.9", "Forwarded": "for=203.0.113.9;proto=https"},
    )
    assert seen == {"client": "198.51.100.7", "scheme": "http"}


async def test_nothing_is_trusted_when_the_list_is_empty():
    seen = await who([], "127.0.0.1", {"X-Forwarded-For": "203.0.113.9"})
    assert seen["client"] == "127.0.0.1"


async def test_the_rfc_7239_forwarded_header_is_understood_from_a_trusted_proxy():
    seen = await who(
        ["10.0.0.5"],
        "10.0.0.5",
        {"Forwarded": 'for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711";proto=https'},
    )
    assert seen == {"client": "2001:db8:cafe::17", "scheme": "https"}


async def test_x_forwarded_for_wins_over_forwarded_when_a_proxy_sends_both():
    seen = await who(
        ["10.0.0.5"],
        "10.0.0.5",
        {"X-Forwarded-For": "198.51.100.7", "Forwarded": "for=192.0.2.60"},
    )
    assert seen["client"] == "198.51.100.7"


def cookie_app(environment: str) -> FastAPI:
    app = EdgeApp(settings=Settings(environment=environment))

    @app.get("/cookies")
    async def cookies() -> Response:
        response = Response("ok")
        response.set_cookie("mpp_session", "token", httponly=True, samesite="lax")
        response.set_cookie("mpp_lang", "en", secure=True)
        response.delete_cookie("mpp_device")
        return response

    return app


async def get_cookies(environment: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=cookie_app(environment))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return await client.get("/cookies")


async def test_outside_local_mode_every_cookie_is_secure_and_hsts_is_sent():
    response = await get_cookies("production")
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 3
    for cookie in cookies:
        attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
        assert attributes.count("secure") == 1, cookie
    assert response.headers["strict-transport-security"] == HSTS


async def test_in_local_mode_cookies_are_left_as_set_and_no_hsts_is_sent():
    response = await get_cookies("local")
    session = next(c for c in response.headers.get_list("set-cookie") if "mpp_session" in c)
    assert "secure" not in session.lower()
    assert "strict-transport-security" not in response.headers


def test_trusted_proxies_default_to_loopback_only_in_local_mode():
    assert Settings(environment="local").proxies() == ["127.0.0.1", "::1"]
    assert Settings(environment="production").proxies() == []
    assert Settings(
        environment="production", trusted_proxies="10.0.0.5, 10.1.0.0/16"
    ).proxies() == [
        "10.0.0.5",
        "10.1.0.0/16",
    ]
    with pytest.raises(ValueError, match="not an IP address or CIDR block"):
        Settings(trusted_proxies="nginx")


def correlated_app() -> CorrelationIdMiddleware:
    app = FastAPI()

    @app.get("/id")
    async def the_id() -> dict:
        return {"event": current_correlation_id()}

    return CorrelationIdMiddleware(app)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ({"X-Correlation-Id": "client-0001", "X-Request-Id": "a" * 32}, "client-0001"),
        ({"X-Request-Id": "b" * 32}, "b" * 32),
        ({"X-Correlation-Id": "bad id!", "X-Request-Id": "c" * 32}, "c" * 32),
    ],
    ids=["client-id", "proxy-request-id", "malformed-client-id"],
)
async def test_the_request_id_of_the_proxy_becomes_the_correlation_id(sent, expected):
    transport = httpx.ASGITransport(app=correlated_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        response = await client.get("/id", headers=sent)
    assert response.headers["x-correlation-id"] == expected
    assert response.json() == {"event": expected}


async def test_a_request_without_ids_gets_one_its_events_share():
    transport = httpx.ASGITransport(app=correlated_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        response = await client.get("/id")
    assert response.json() == {"event": response.headers["x-correlation-id"]}
    assert current_correlation_id() != response.headers["x-correlation-id"]
