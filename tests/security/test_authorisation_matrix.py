"""Who may call what, over every endpoint and every page of every service.

The routes are read from each service's app — its API operations and its server-rendered
pages alike (``app.routes``, not only the OpenAPI document) — so a route added later is
covered without touching this file: it is either listed here as public, or it must
refuse a caller without valid credentials (an API with a 401 problem; a page by sending
the browser to its sign-in page or answering 401/403; a signed link with 403). Then the
pairs that must never see each other's data: citizen A and citizen B, agency X and
agency Y (their keys and their officers), an officer and a citizen, and an auditor, who
may read but never write.
"""

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.routing import Mount

from services.audit.keys import issue_key
from services.intake.identity_client import is_identity_path
from services.routing.keys import ApiKeys
from shared.auth import ALGORITHM, load_private_key
from tests.e2e.helpers import eventually, register, sign_in, submit
from tests.security.conftest import SERVICES

# Endpoints and pages anyone may open: health, FastAPI's API documents, the public
# catalogue, sign-up and sign-in (and their pages), the agencies' event contract, the
# verification of issued documents, the audit log's public key, the published IKM index,
# the public status lookup and the public dashboard; asking for a password reset code and
# using it (their pages too); what the resumable upload server supports.
PUBLIC = {
    *((name, "GET", path) for name in SERVICES for path in ("/healthz", "/readyz")),
    *(
        (name, "GET", path)
        for name in SERVICES
        for path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
    ),
    # Prometheus metrics, for the scraper on the internal network: the public proxy does
    # not route /metrics (deploy/nginx/default.conf), and no label holds personal data.
    *((name, "GET", "/metrics") for name in SERVICES),
    ("intake", "GET", "/api/v1/regions"),
    ("intake", "GET", "/api/v1/services"),
    ("intake", "GET", "/api/v1/services/{code}"),
    ("intake", "GET", "/api/v1/queue/slots"),  # free places at an MPP, like the catalogue
    ("intake", "GET", "/api/v1/queue/board"),  # numbers called, as the hall's display shows
    ("intake", "GET", "/antrean/{region}/layar"),  # the hall's display, and its events
    ("intake", "GET", "/antrean/{region}/layar/siaran"),
    ("intake", "GET", "/antrean/signin"),  # queue staff's sign-in at the provider
    ("intake", "GET", "/antrean/oidc/callback"),
    ("intake", "POST", "/antrean/signout"),
    ("intake", "POST", "/api/v1/accounts"),
    ("intake", "POST", "/api/v1/auth/token"),
    ("intake", "POST", "/api/v1/auth/password-reset"),
    ("intake", "POST", "/api/v1/auth/password-reset/confirm"),
    ("intake", "GET", "/"),
    ("intake", "GET", "/portal/"),
    ("intake", "GET", "/portal/register"),  # to the provider's registration page
    ("intake", "GET", "/portal/signin"),  # to the provider's sign-in page
    ("intake", "GET", "/portal/oidc/callback"),  # the provider's answer (docs/web.md)
    ("intake", "POST", "/portal/signout"),
    # The account pages that take a password are identity's; their old portal addresses
    # lead there (the security, profile and verify pages then ask for a sign-in).
    ("intake", "GET", "/portal/forgot"),
    ("intake", "GET", "/portal/reset"),
    ("intake", "GET", "/portal/security"),
    ("intake", "GET", "/portal/profile"),
    ("intake", "GET", "/portal/verify"),
    ("intake", "GET", "/account/register"),
    ("intake", "POST", "/account/register"),
    ("intake", "GET", "/account/forgot"),
    ("intake", "POST", "/account/forgot"),
    ("intake", "GET", "/account/reset"),
    ("intake", "POST", "/account/reset"),
    ("intake", "GET", "/account/signin"),
    ("intake", "GET", "/portal/services/{code}"),
    ("intake", "GET", "/portal/track"),
    ("intake", "GET", "/api/v1/track/{tracking_number}"),
    ("intake", "OPTIONS", "/api/v1/uploads"),  # what the tus server supports, for clients
    # The OpenID Connect provider: discovery, its public keys, the sign-in page and the
    # token endpoint (a client authenticates in the request; docs/oidc.md).
    ("intake", "GET", "/.well-known/openid-configuration"),
    ("intake", "GET", "/oauth/jwks"),
    ("intake", "GET", "/oauth/authorize"),
    ("intake", "POST", "/oauth/authorize"),
    ("intake", "POST", "/oauth/token"),
    # Addresses that once carried a NIK or a signature in their URL: 410 to everyone,
    # reading nothing (tests/security/test_hole10_no_secrets_in_urls.py).
    ("intake", "GET", "/api/v1/counter/citizens"),
    ("intake", "GET", "/documents/{sha256}"),
    ("routing", "GET", "/results/{code}"),
    ("notify", "GET", "/api/v1/devices/push-config"),  # the VAPID public key, for browsers
    ("routing", "GET", "/asyncapi.json"),
    ("routing", "GET", "/api/v1/verify/{code}"),
    ("routing", "GET", "/api/v1/verify"),
    # The workbench's sign-in at the provider (code flow): its start, and the callback
    # that keeps a token only for a code this browser's own sign-in started.
    ("routing", "GET", "/workbench/signin"),
    ("routing", "GET", "/workbench/oidc/callback"),
    ("routing", "POST", "/workbench/signout"),
    ("routing", "GET", "/dashboard"),
    ("routing", "GET", "/verify"),
    ("routing", "GET", "/verify/{code}"),
    ("notify", "GET", "/api/v1/ikm"),
    ("audit", "GET", "/api/v1/audit/public-key"),
    ("audit", "GET", "/console/signin"),
    ("audit", "POST", "/console/signin"),
    ("audit", "POST", "/console/signout"),
    ("audit", "GET", "/me/signin"),
}
# Links whose credential is their own signature (made by routing for an officer, by
# intake for a citizen), not a token or a key.
SIGNED_LINKS = {
    ("intake", "POST", "/documents/{sha256}"),  # the signature in the form's body
    ("routing", "POST", "/results/{code}"),  # intake's fetch for a citizen, server to server
}
# Calls whose credential is the biller's or the bank's signature over the call (SIMPONI's
# HMAC, SNAP's SHA256withRSA and HMAC-SHA512), not a token: a forged or missing one is
# refused with its own code in tests/integration/test_payments_*.py. Billing is off here,
# so they answer 503 to anyone and change nothing.
BANK_SIGNED = {
    ("routing", "POST", "/api/v1/payments/simponi/callback"),
    ("routing", "POST", "/api/snap/v1.0/access-token/b2b"),
    ("routing", "POST", "/api/snap/v1.0/qr/qr-mpm-notify"),
    ("routing", "POST", "/api/snap/v1.0/transfer-va/inquiry"),
    ("routing", "POST", "/api/snap/v1.0/transfer-va/payment"),
}
# A page that answers a caller without valid credentials "not found" rather than
# sending them to sign in: refused — nothing changes and nothing is shown — but not
# helpfully (the survey form's post falls back to the survey's page, which is missing).
NOT_FOUND_FOR_STRANGERS = {("notify", "POST", "/surveys/{application_id}")}
# Path parameters a page checks before the credential: real values, so the credential
# is what is judged.
EXAMPLES = {
    ("intake", "POST", "/portal/services/{code}/apply"): "/portal/services/ktp-el/apply",
    ("intake", "POST", "/portal/services/{code}/draft"): "/portal/services/ktp-el/draft",
}
# Endpoints whose credential is an agency's or an auditor's API key (or, for the agency
# API, an agency officer's own token), not a citizen's token.
API_KEY_PREFIXES = {"routing": "/api/v1/agency/", "audit": "/api/v1/audit/"}
# What an auditor may post: starting a verification of the log, which writes only the
# job's own progress, never the log.
AUDITOR_ACTIONS = {("audit", "POST", "/api/v1/audit/verify/jobs")}
# What an auditor may open: one application's or one citizen's personal data, for a
# stated purpose — a read, recorded in the citizen's access log, never a write.
AUDITOR_OPENINGS = {
    ("audit", "POST", "/api/v1/audit/applications/{id}/open"),
    ("audit", "POST", "/api/v1/audit/citizens/{citizen_id}/open"),
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# The cookies pages read their credential from: the citizen's session (portal, inbox,
# surveys, "who read my data"), the officer's workbench token, the auditor's key, the
# queue kiosk's or counter officer's token.
CREDENTIAL_COOKIES = ("mpp_session", "mpp_workbench", "mpp_auditor_key", "mpp_antrean")
CSRF = "matrix-csrf-token"


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str
    api: bool  # an API operation (in the OpenAPI document), else a page or a link

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.service, self.method, self.path)


def _walk(routes):
    for route in routes:
        if hasattr(route, "effective_candidates"):  # a router FastAPI included
            yield from _walk(route.effective_candidates())
        else:
            yield route


def all_routes(services) -> list[Route]:
    """Every route of every service's app, one per method (a GET's HEAD aside); mounts (the
    stylesheet under /static) are files, not routes."""
    found = []
    for name in SERVICES:
        client = services[name]
        # Intake's client reaches identity's API too, as the proxy routes it.
        behind = getattr(client, "identity", None)
        extra = [r for r in _walk(behind.routes) if is_identity_path(r.path)] if behind else []
        for route in [*_walk(client.app.routes), *extra]:
            if isinstance(route, Mount):
                continue
            api = bool(getattr(route, "include_in_schema", False))
            methods = set(route.methods or ())
            if "GET" in methods:  # the HEAD every GET answers is that GET
                methods.discard("HEAD")
            for method in sorted(methods):
                found.append(Route(name, method, route.path, api))
    return found


def routes(services) -> list[tuple[str, str, str]]:
    """The API operations (service, method, path)."""
    return [route.key for route in all_routes(services) if route.api]


def concrete(path: str, value: str | None = None) -> str:
    return re.sub(r"\{[^}]+\}", value or f"0000{uuid.uuid4().hex[:12]}", path)


async def call(services, name: str, method: str, path: str, token: str | None, **kwargs):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if method in WRITES and "files" not in kwargs:
        kwargs.setdefault("json", {})
    return await services[name].request(method, concrete(path), headers=headers, **kwargs)


async def visit(services, name: str, method: str, path: str, cookies: dict[str, str]):
    """A browser's visit: the credential in the pages' cookies, a valid CSRF token with a
    form (so the credential is what is judged), redirects on the same service followed.
    Returns the last answer."""
    header = "; ".join(f"{k}={v}" for k, v in {**cookies, "mpp_csrf": CSRF}.items())
    form = {"csrf": CSRF} if method in WRITES else None
    client = services[name]
    response = await client.request(method, path, headers={"Cookie": header}, data=form)
    for _ in range(5):
        location = response.headers.get("location")
        if response.status_code not in (302, 303, 307) or not location:
            break
        if urlsplit(location).netloc:  # another service: not followed
            break
        response = await client.get(location, headers={"Cookie": header})
    return response


def sent_to_sign_in(response) -> bool:
    return response.status_code in (401, 403) or "signin" in response.url.path


def claims(services, **changes) -> dict:
    now = datetime.now(UTC)
    settings = services.settings
    return {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000",
        "roles": ["citizen"],
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **changes,
    }


def forged_tokens(services) -> dict[str, str | None]:
    """Credentials that must all be refused: none, expired, signed by another key, unsigned,
    for another audience, and not a token at all."""
    key = load_private_key(services.settings)
    past = datetime.now(UTC) - timedelta(hours=2)
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = json.dumps(claims(services, iat=0, exp=2**31)).encode()
    unsigned = f"{header}.{base64.urlsafe_b64encode(body).rstrip(b'=').decode()}."
    return {
        "no token": None,
        "expired token": jwt.encode(
            claims(services, iat=past, exp=past + timedelta(minutes=5)), key, ALGORITHM
        ),
        "token signed by another key": jwt.encode(
            claims(services), Ed25519PrivateKey.generate(), ALGORITHM
        ),
        "unsigned token": unsigned,
        "token for another audience": jwt.encode(claims(services, aud="other"), key, ALGORITHM),
        "garbage": "not-a-token",
    }


def test_the_matrix_sees_every_operation_of_the_api_documents_and_every_page(services):
    found = {route.key for route in all_routes(services)}
    for name in SERVICES:
        spec = services[name].app.openapi()
        for path, operations in spec["paths"].items():
            assert {(name, method.upper(), path) for method in operations} <= found
    pages = [route for route in all_routes(services) if not route.api]
    assert {route.service for route in pages} == set(SERVICES)
    assert len(pages) >= 40
    unlisted = {route.key for route in all_routes(services)} - PUBLIC - SIGNED_LINKS
    assert ("routing", "GET", "/workbench/applications/{id}") in unlisted
    assert ("intake", "POST", "/api/v1/counter/citizens") in unlisted
    assert ("intake", "POST", "/api/v1/staff") in unlisted  # identity's staff administration


async def test_every_endpoint_not_listed_as_public_refuses_missing_expired_or_forged_credentials(
    services,
):
    # A signed link's credential is its signature (tested with its feature).
    own_credential = PUBLIC | SIGNED_LINKS | BANK_SIGNED
    protected = [r for r in all_routes(services) if r.api and r.key not in own_credential]
    assert len(protected) >= 15  # the enumeration did find the services' endpoints
    refused_wrongly = []
    for label, token in forged_tokens(services).items():
        for route in protected:
            response = await call(services, route.service, route.method, route.path, token)
            problem = response.headers.get("content-type", "").startswith("application/problem")
            if response.status_code != 401 or not problem:
                refused_wrongly.append((label, *route.key, response.status_code))
        for name, method, path in BANK_SIGNED:  # no token opens them, billing on or off
            response = await call(services, name, method, path, token)
            if response.status_code not in (401, 503):
                refused_wrongly.append((label, name, method, path, response.status_code))
    assert refused_wrongly == [], "\n".join(map(str, refused_wrongly))


async def test_every_page_not_listed_as_public_refuses_missing_expired_or_forged_credentials(
    services,
):
    protected = [
        r for r in all_routes(services) if not r.api and r.key not in PUBLIC | SIGNED_LINKS
    ]
    assert len(protected) >= 20
    refused_wrongly = []
    for label, token in forged_tokens(services).items():
        cookies = dict.fromkeys(CREDENTIAL_COOKIES, token) if token else {}
        for route in protected:
            path = EXAMPLES.get(route.key) or concrete(route.path)
            response = await visit(services, route.service, route.method, path, cookies)
            if route.key in NOT_FOUND_FOR_STRANGERS:
                refused = response.status_code == 404
            else:
                refused = sent_to_sign_in(response)
            if not refused:
                refused_wrongly.append((label, *route.key, response.status_code))
    assert refused_wrongly == [], "\n".join(map(str, refused_wrongly))


async def test_a_signed_link_with_a_forged_or_expired_signature_is_refused(services):
    expires = int(datetime.now(UTC).timestamp()) + 300
    for name, method, path in SIGNED_LINKS:
        for signature, at in (("0" * 64, expires), ("0" * 64, expires - 3600)):
            query = {
                "application": "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000",
                "agency": "disdukcapil-3576",
                "officer": "andi.pratama",
                "citizen": "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0001",
                "expires": str(at),
                "signature": signature,
            }
            sent = {"params": query} if method == "GET" else {"data": query}
            response = await services[name].request(method, concrete(path, "a" * 64), **sent)
            assert response.status_code == 403, (name, path, response.status_code)
            assert response.headers["content-type"] == "application/problem+json"


async def test_citizen_b_cannot_see_or_touch_citizen_as_application_notices_or_survey(services):
    intake, notify = services["intake"], services["notify"]
    a, b = await register(intake), await register(intake)
    application = await submit(intake, a)
    path = f"/api/v1/applications/{application['id']}"

    async def a_was_notified() -> list:
        inbox = await notify.get("/api/v1/notifications", headers=a.headers)
        return inbox.json()["items"]

    notice = (await eventually(a_was_notified, timeout=20))[0]
    attempts = {
        "read": await intake.get(path, headers=b.headers),
        "cancel": await intake.post(f"{path}/cancel", json={}, headers=b.headers),
        "answer": await intake.post(f"{path}/responses", json={"note": "x"}, headers=b.headers),
        "read notice": await notify.post(
            f"/api/v1/notifications/{notice['id']}/read", headers=b.headers
        ),
        "survey": await notify.get(f"/api/v1/surveys/{application['id']}", headers=b.headers),
    }
    assert {what: r.status_code for what, r in attempts.items()} == dict.fromkeys(attempts, 404)
    mine = await intake.get("/api/v1/applications", headers=b.headers)
    assert mine.json() == []
    b_inbox = await notify.get("/api/v1/notifications", headers=b.headers)
    assert b_inbox.json()["items"] == []
    assert (await intake.get(path, headers=a.headers)).status_code == 200


async def test_agency_y_cannot_see_or_move_agency_xs_application_and_a_revoked_key_is_refused(
    services,
):
    intake, routing = services["intake"], services["routing"]
    keys = ApiKeys(services.runtime("routing").db)
    x, y = await keys.issue("disdukcapil-3576"), await keys.issue("polres-3514")
    application = await submit(intake)
    path = f"/api/v1/agency/applications/{application['id']}"

    def as_(key) -> dict:
        return {"Authorization": f"Bearer {key.token}", "Idempotency-Key": str(uuid.uuid4())}

    async def routed() -> bool:
        return (await routing.get(path, headers=as_(x))).status_code == 200

    await eventually(routed, timeout=20)
    assert (await routing.get(path, headers=as_(y))).status_code == 404
    moved = await routing.post(f"{path}/transitions", json={"to": "received"}, headers=as_(y))
    assert moved.status_code == 404
    listing = await routing.get("/api/v1/agency/applications", headers=as_(y))
    assert application["id"] not in {item["id"] for item in listing.json()["items"]}
    pdf = {"file": ("hasil.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    foreign = await routing.post(f"{path}/results", files=pdf, headers=as_(y))
    assert foreign.status_code == 404
    own = await routing.post(f"{path}/results", files=pdf, headers=as_(x))
    assert own.status_code == 201
    # Y cannot issue X's draft (on Y's application or X's) nor revoke it.
    revoke = await routing.post(
        f"/api/v1/agency/results/{own.json()['code']}/revocation",
        json={"reason": "bukan milik"},
        headers=as_(y),
    )
    assert revoke.status_code == 404

    await keys.revoke(x.key_id)
    assert (await routing.get(path, headers=as_(x))).status_code == 401


async def staff_token(services, role: str, **binding: str) -> tuple[str, str]:
    """A new staff account of ``role``, signed in: (username, access token)."""
    username = f"{role}.{uuid.uuid4().hex[:6]}"
    password = f"sandi-{uuid.uuid4().hex}"
    staff = services.clients["intake"].identity.state.accounts.staff
    await staff.add(username, role, password, **binding)
    return username, await sign_in(services["intake"], username, password)


async def test_agency_ys_officer_cannot_see_or_move_agency_xs_application_nor_open_its_page(
    services,
):
    intake, routing = services["intake"], services["routing"]
    _, x = await staff_token(services, "officer", agency="disdukcapil-3576")
    _, y = await staff_token(services, "supervisor", agency="polres-3514")
    application = await submit(intake)
    path = f"/api/v1/agency/applications/{application['id']}"

    def as_(token: str) -> dict:
        return {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}

    async def routed() -> bool:
        return (await routing.get(path, headers=as_(x))).status_code == 200

    await eventually(routed, timeout=20)
    assert (await routing.get(path, headers=as_(y))).status_code == 404
    moved = await routing.post(f"{path}/transitions", json={"to": "received"}, headers=as_(y))
    assert moved.status_code == 404
    listing = await routing.get("/api/v1/agency/applications", headers=as_(y))
    assert application["id"] not in {item["id"] for item in listing.json()["items"]}

    page = f"/workbench/applications/{application['id']}"
    theirs = await visit(services, "routing", "GET", page, {"mpp_workbench": y})
    assert theirs.status_code == 404
    assert application["tracking_number"] not in theirs.text
    move = await visit(services, "routing", "POST", f"{page}/transitions", {"mpp_workbench": y})
    assert application["tracking_number"] not in move.text
    queue = await visit(services, "routing", "GET", "/workbench/", {"mpp_workbench": y})
    assert queue.status_code == 200
    assert application["tracking_number"] not in queue.text
    own = await visit(services, "routing", "GET", page, {"mpp_workbench": x})
    assert own.status_code == 200
    assert application["tracking_number"] in own.text
    stored = (
        await services.runtime("routing").db["applications"].find_one({"_id": application["id"]})
    )
    assert stored["status"] == "routed"  # Y's attempts changed nothing


async def test_citizen_b_cannot_open_citizen_as_pages(services):
    intake = services["intake"]
    a, b = await register(intake), await register(intake)
    application = await submit(intake, a)
    pages = {
        ("intake", f"/portal/applications/{application['id']}"),
        ("notify", f"/surveys/{application['id']}"),
    }
    for name, path in pages:
        as_b = await visit(services, name, "GET", path, {"mpp_session": b.token})
        assert as_b.status_code == 404, (path, as_b.status_code)
        assert application["tracking_number"] not in as_b.text
    as_a = await visit(
        services,
        "intake",
        "GET",
        f"/portal/applications/{application['id']}",
        {"mpp_session": a.token},
    )
    assert application["tracking_number"] in as_a.text
    mine = await visit(services, "intake", "GET", "/portal/applications", {"mpp_session": b.token})
    assert application["tracking_number"] not in mine.text


async def test_officers_and_citizens_each_stay_on_their_side(services):
    intake = services["intake"]
    _, counter = await staff_token(services, "counter", region="3576")
    _, officer_token = await staff_token(services, "officer", agency="disdukcapil-3576")
    citizen = await register(intake)
    application = await submit(intake, citizen)

    # Staff credentials open no citizen's private data, on the API or the pages.
    for token in (counter, officer_token):
        officer = {"Authorization": f"Bearer {token}"}
        refused = {
            "notices": await services["notify"].get("/api/v1/notifications", headers=officer),
            "access log": await services["audit"].get("/api/v1/me/access-log", headers=officer),
            "documents": await intake.post(
                "/api/v1/documents",
                files={"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")},
                headers=officer,
            ),
            "profile": await intake.get("/api/v1/me", headers=officer),
            "someone's application": await intake.get(
                f"/api/v1/applications/{application['id']}", headers=officer
            ),
        }
        assert {k: r.status_code for k, r in refused.items()} == {
            "notices": 403,
            "access log": 403,
            "documents": 403,
            "profile": 403,
            "someone's application": 404,
        }
        for name, path in (("notify", "/inbox"), ("audit", "/me/access")):
            page = await visit(services, name, "GET", path, {"mpp_session": token})
            assert sent_to_sign_in(page), (path, page.status_code)
    # A counter operator is not an agency's officer; a citizen's token is not an agency's
    # or an auditor's key, and opens no workbench page.
    for token, expected in ((counter, 403), (citizen.token, 403)):
        listing = await services["routing"].get(
            "/api/v1/agency/applications", headers={"Authorization": f"Bearer {token}"}
        )
        assert listing.status_code == expected
        page = await visit(services, "routing", "GET", "/workbench/", {"mpp_workbench": token})
        assert sent_to_sign_in(page)
    for route in all_routes(services):
        prefix = API_KEY_PREFIXES.get(route.service)
        if route.api and prefix and route.path.startswith(prefix) and route.key not in PUBLIC:
            response = await call(services, *route.key, citizen.token)
            expected = 403 if route.service == "routing" else 401
            assert response.status_code == expected, (*route.key, response.status_code)


@pytest.mark.parametrize("method", sorted(WRITES))
async def test_an_auditor_reads_the_log_but_can_write_nothing_anywhere(services, method):
    key = await issue_key(services.runtime("audit").db, f"bpk-{uuid.uuid4().hex[:6]}")
    verified = await services["audit"].get(
        "/api/v1/audit/verify", headers={"Authorization": f"Bearer {key}"}
    )
    assert verified.status_code == 200
    for name, route_method, path in routes(services):
        if (name, route_method, path) in AUDITOR_ACTIONS:
            response = await call(services, name, route_method, path, key)
            assert response.status_code in (200, 202), (route_method, path, response.status_code)
        elif (name, route_method, path) in AUDITOR_OPENINGS:
            response = await call(services, name, route_method, path, key)
            assert response.status_code == 422, (route_method, path, response.status_code)
        elif route_method == "GET" and name == "audit" and path.startswith("/api/v1/audit/"):
            response = await call(services, name, method, path, key)
            assert response.status_code == 405, (method, path, response.status_code)
        elif route_method == method and (name, method, path) in BANK_SIGNED:
            response = await call(services, name, method, path, key)
            assert response.status_code in (401, 503), (name, method, path, response.status_code)
        elif route_method == method and (name, method, path) not in PUBLIC:
            response = await call(services, name, method, path, key)
            assert response.status_code in (401, 403), (name, method, path, response.status_code)
