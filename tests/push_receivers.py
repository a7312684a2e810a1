"""Real receivers for the push channel: a Web Push service with browsers behind it, and a
stand-in of FCM's HTTP v1 API.

:class:`WebPushReceiver` plays both ends a real push travels: each :meth:`subscribe` is a
browser's ``PushManager.subscribe()`` (a P-256 key pair and a 16-byte auth secret of its
own, an endpoint on this server); each POST is checked as a push service checks it (the
VAPID token, RFC 8292, verified with PyJWT against the key in the header and the
endpoint's origin) and decrypted as the browser decrypts it (RFC 8291 with ``http_ece``
and the subscription's private key). Subscriptions in ``gone`` answer 410.

:class:`FcmDouble` serves an OAuth token endpoint (checking the service account's RS256
assertion) and ``/v1/projects/<id>/messages:send`` (checking the access token); tokens in
``unregistered`` answer 404 ``UNREGISTERED`` as FCM does.
"""

import base64
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.notify_receivers import HttpReceiver

PROJECT = "mpp-test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class Browser:
    """One subscription's secrets, as a browser keeps them."""

    name: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    def subscription(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives the app to send to the platform."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }


@dataclass
class Push:
    """One push a browser received: the request headers and the decrypted notice."""

    browser: str
    headers: dict[str, str]
    notice: dict[str, Any]
    vapid_key: str
    vapid_claims: dict[str, Any]


class WebPushReceiver(HttpReceiver):
    def __init__(self) -> None:
        super().__init__([Route("/push/{name}", self._push, methods=["POST"])])
        self.browsers: dict[str, Browser] = {}
        self.received: list[Push] = []
        self.refused: list[tuple[str, int]] = []
        self.gone: set[str] = set()

    def subscribe(self, name: str) -> dict[str, Any]:
        browser = self.browsers[name] = Browser(name, f"{self.url}/push/{name}")
        return browser.subscription()

    def to(self, name: str) -> list[Push]:
        return [push for push in list(self.received) if push.browser == name]

    async def _push(self, request: Request) -> Response:
        name = request.path_params["name"]
        browser = self.browsers.get(name)
        if browser is None or name in self.gone:
            self.refused.append((name, 410))
            return Response(status_code=410)
        match = re.fullmatch(
            r"vapid t=([^,\s]+),\s*k=([^,\s]+)", request.headers.get("authorization", "")
        )
        if match is None:
            self.refused.append((name, 401))
            return Response(status_code=401)
        token, key = match.groups()
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64url_decode(key))
        claims = jwt.decode(token, public, algorithms=["ES256"], audience=self.url)
        if request.headers.get("content-encoding") != "aes128gcm":
            return Response(status_code=415)
        plaintext = http_ece.decrypt(
            await request.body(),
            private_key=browser.private_key,
            auth_secret=browser.auth,
            version="aes128gcm",
        )
        self.received.append(
            Push(name, dict(request.headers), orjson.loads(plaintext), key, claims)
        )
        return Response(status_code=201, headers={"Location": f"{self.url}/message/1"})


class FcmDouble(HttpReceiver):
    def __init__(self) -> None:
        super().__init__(
            [
                Route("/token", self._token, methods=["POST"]),
                Route(f"/v1/projects/{PROJECT}/messages:send", self._send, methods=["POST"]),
            ]
        )
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.client_email = f"notify@{PROJECT}.iam.gserviceaccount.com"
        self.access_tokens: list[str] = []
        self.messages: list[dict[str, Any]] = []
        self.unregistered: set[str] = set()

    def credentials(self) -> str:
        """A service account's JSON, base64 (as MPP_FCM_CREDENTIALS takes it)."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        account = {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "key-1",
            "private_key": pem,
            "client_email": self.client_email,
            "token_uri": f"{self.url}/token",
        }
        return base64.b64encode(orjson.dumps(account)).decode()

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            claims = jwt.decode(
                str(form.get("assertion")),
                self._key.public_key(),
                algorithms=["RS256"],
                audience=f"{self.url}/token",
                issuer=self.client_email,
            )
        except jwt.InvalidTokenError:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if claims.get("scope") != "https://www.googleapis.com/auth/firebase.messaging":
            return JSONResponse({"error": "invalid_scope"}, status_code=400)
        token = secrets.token_urlsafe(24)
        self.access_tokens.append(token)
        return JSONResponse({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    async def _send(self, request: Request) -> Response:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.access_tokens:
            return JSONResponse(
                {"error": {"code": 401, "status": "UNAUTHENTICATED"}}, status_code=401
            )
        message = (await request.json())["message"]
        if message["token"] in self.unregistered:
            return JSONResponse(
                {
                    "error": {
                        "code": 404,
                        "message": "Requested entity was not found.",
                        "status": "NOT_FOUND",
                        "details": [
                            {
                                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                "errorCode": "UNREGISTERED",
                            }
                        ],
                    }
                },
                status_code=404,
            )
        self.messages.append(message)
        return JSONResponse({"name": f"projects/{PROJECT}/messages/{len(self.messages)}"})
