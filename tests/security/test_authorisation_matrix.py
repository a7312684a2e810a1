"""Who may call what, over every endpoint of every service.

The routes are read from each service's OpenAPI document, so an endpoint added later is
covered without touching this file: it is either listed here as public, or it must refuse
a caller without valid credentials. Then the pairs that must never see each other's data:
citizen A and citizen B, agency X and agency Y, an officer and a citizen, and an auditor,
who may read but never write.
"""

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.keys import issue_key
from services.routing.keys import ApiKeys
from shared.auth import ALGORITHM, load_private_key
from tests.e2e.helpers import eventually, register, sign_in, submit
from tests.security.conftest import SERVICES

# Endpoints anyone may call: health, the public catalogue, sign-up and sign-in, the
# agencies' event contract, the verification of issued documents, the audit log's public
# key and the published IKM index.
PUBLIC = {
    ("intake", "GET", "/healthz"),
    ("intake", "GET", "/readyz"),
    ("intake", "GET", "/api/v1/regions"),
    ("intake", "GET", "/api/v1/services"),
    ("intake", "GET", "/api/v1/services/{code}"),
    ("intake", "POST", "/api/v1/accounts"),
    ("intake", "POST", "/api/v1/auth/token"),
    ("routing", "GET", "/healthz"),
    ("routing", "GET", "/readyz"),
    ("routing", "GET", "/asyncapi.json"),
    ("routing", "GET", "/api/v1/verify/{code}"),
    ("routing", "GET", "/api/v1/verify"),
    ("notify", "GET", "/healthz"),
    ("notify", "GET", "/readyz"),
    ("notify", "GET", "/api/v1/ikm"),
    ("audit", "GET", "/healthz"),
    ("audit", "GET", "/readyz"),
    ("audit", "GET", "/api/v1/audit/public-key"),
}
# Endpoints whose credential is an agency's or an auditor's API key, not a person's token.
API_KEY_PREFIXES = {"routing": "/api/v1/agency/", "audit": "/api/v1/audit/"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def routes(services) -> list[tuple[str, str, str]]:
    found = []
    for name in SERVICES:
        spec = services[name].app.openapi()
        for path, operations in spec["paths"].items():
            found += [(name, method.upper(), path) for method in operations]
    return found


def concrete(path: str, value: str | None = None) -> str:
    return re.sub(r"\{[^}]+\}", value or f"0000{uuid.uuid4().hex[:12]}", path)


async def call(services, name: str, method: str, path: str, token: str | None, **kwargs):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if method in WRITES and "files" not in kwargs:
        kwargs.setdefault("json", {})
    return await services[name].request(method, concrete(path), headers=headers, **kwargs)


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


async def test_every_endpoint_not_listed_as_public_refuses_missing_expired_or_forged_credentials(
    services,
):
    protected = [route for route in routes(services) if route not in PUBLIC]
    assert len(protected) >= 15  # the enumeration did find the services' endpoints
    refused_wrongly = []
    for label, token in forged_tokens(services).items():
        for name, method, path in protected:
            response = await call(services, name, method, path, token)
            problem = response.headers.get("content-type", "").startswith("application/problem")
            if response.status_code != 401 or not problem:
                refused_wrongly.append((label, name, method, path, response.status_code))
    assert refused_wrongly == []


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


async def test_officers_and_citizens_each_stay_on_their_side(services):
    intake = services["intake"]
    operators = services.runtime("intake").db["operators"]
    officer_id = f"loket-{uuid.uuid4().hex[:6]}"
    await operators.update_one(
        {"_id": officer_id},
        {
            "$set": {
                "roles": ["counter"],
                "region": "3576",
                "password_hash": PasswordHasher().hash("loket-rahasia"),
            }
        },
        upsert=True,
    )
    officer = {"Authorization": f"Bearer {await sign_in(intake, officer_id, 'loket-rahasia')}"}
    citizen = await register(intake)
    application = await submit(intake, citizen)

    # An officer's credential opens no citizen's private pages.
    refused = {
        "notices": await services["notify"].get("/api/v1/notifications", headers=officer),
        "access log": await services["audit"].get("/api/v1/me/access-log", headers=officer),
        "documents": await intake.post(
            "/api/v1/documents",
            files={"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")},
            headers=officer,
        ),
        "someone's application": await intake.get(
            f"/api/v1/applications/{application['id']}", headers=officer
        ),
    }
    assert {k: r.status_code for k, r in refused.items()} == {
        "notices": 403,
        "access log": 403,
        "documents": 403,
        "someone's application": 404,
    }
    # A citizen's token is not an agency's or an auditor's key.
    for name, prefix in API_KEY_PREFIXES.items():
        for _, method, path in [r for r in routes(services) if r[0] == name]:
            if path.startswith(prefix) and (name, method, path) not in PUBLIC:
                response = await call(services, name, method, path, citizen.token)
                assert response.status_code == 401, (method, path, response.status_code)


@pytest.mark.parametrize("method", sorted(WRITES))
async def test_an_auditor_reads_the_log_but_can_write_nothing_anywhere(services, method):
    key = await issue_key(services.runtime("audit").db, f"bpk-{uuid.uuid4().hex[:6]}")
    verified = await services["audit"].get(
        "/api/v1/audit/verify", headers={"Authorization": f"Bearer {key}"}
    )
    assert verified.status_code == 200
    for name, route_method, path in routes(services):
        if route_method == "GET" and name == "audit" and path.startswith("/api/v1/audit/"):
            response = await call(services, name, method, path, key)
            assert response.status_code == 405, (method, path, response.status_code)
        elif route_method == method and (name, method, path) not in PUBLIC:
            response = await call(services, name, method, path, key)
            assert response.status_code in (401, 403), (name, method, path, response.status_code)
