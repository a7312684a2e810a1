"""Web Push: a notice to a browser's push subscription, on the open standards.

* **RFC 8030** (the protocol): ``POST`` the message to the subscription's endpoint with
  ``TTL`` and ``Urgency``; the push service answers ``201 Created``, or ``404``/``410``
  when the subscription is gone for good.
* **RFC 8291** (message encryption): the payload is encrypted for the browser alone with
  its ``p256dh`` key and ``auth`` secret (``aes128gcm``, RFC 8188); the push service
  carries bytes it cannot read. ``pywebpush`` (over ``http_ece``) encrypts.
* **RFC 8292** (VAPID): each request carries ``Authorization: vapid t=<JWT>, k=<key>``,
  an ES256 token for the push service's origin signed with the platform's P-256 key, so
  only this platform can push to subscriptions made with its public key
  (``GET /api/v1/devices/push-config`` hands that key to browsers and apps).

The key is ``MPP_VAPID_PRIVATE_KEY``; unset (local mode) one is made on first use in
``<local_dir>/keys/vapid.pem``. An endpoint is a URL a citizen gave us, so it is called
only over HTTPS and only when it resolves to public addresses
(``MPP_PUSH_ALLOW_PRIVATE_ENDPOINTS`` lifts that for local test receivers).
"""

import base64
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from services.notify.push import DeviceOutcome, encode_payload
from shared.keys import local_private_pem, pem_from_setting
from shared.outbound import UnsafeURL, check_public_https
from shared.settings import Settings

__all__ = ["UnsafeEndpoint", "VapidKey", "WebPushSender", "check_endpoint", "check_keys"]

LOCAL_KEY_FILE = "vapid.pem"
_TOKEN_SECONDS = 12 * 3600  # RFC 8292: at most 24 hours; renewed well before
_GONE = frozenset({404, 410})
_TEMPORARY = frozenset({408, 425, 429})


def _p256_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


class VapidKey:
    """The platform's VAPID key: its public half for subscribers, and signed headers."""

    def __init__(self, settings: Settings) -> None:
        secret = settings.vapid_private_key
        if secret and secret.get_secret_value():
            pem = pem_from_setting(secret.get_secret_value(), "MPP_VAPID_PRIVATE_KEY")
        else:
            pem = local_private_pem(settings.local_dir, LOCAL_KEY_FILE, _p256_pem)
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("MPP_VAPID_PRIVATE_KEY must be a P-256 (prime256v1) EC key")
        self._vapid = Vapid02(private_key=key)
        self._subject = settings.vapid_subject
        self.public_key = _b64url(
            key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )
        """The ``applicationServerKey`` browsers subscribe with (base64url, 65 bytes)."""
        self._signed: dict[str, tuple[float, str]] = {}

    def authorization(self, endpoint: str) -> str:
        """``vapid t=…, k=…`` for the endpoint's origin (kept for a few hours)."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._signed.get(audience)
        if cached and cached[0] > now + 60:
            return cached[1]
        expires = int(now) + _TOKEN_SECONDS
        claims = {"aud": audience, "sub": self._subject, "exp": expires}
        header = self._vapid.sign(claims)["Authorization"]
        self._signed[audience] = (expires, header)
        return header


class UnsafeEndpoint(ValueError):
    """The endpoint may not be called; the message says why (never the URL's path)."""


_WHY = {
    "not-http": "a push endpoint is an HTTPS URL",
    "not-https": "a push endpoint must use HTTPS",
    "unresolvable": "cannot resolve {host}",
    "not-public": "{host} is not a public address",
}


async def check_endpoint(url: str, *, allow_private: bool) -> None:
    """HTTPS to public addresses only (the same rule as routing's webhook targets)."""
    try:
        await check_public_https(url, allow_private=allow_private)
    except UnsafeURL as refused:
        raise UnsafeEndpoint(_WHY[refused.reason].format(**vars(refused))) from None


def check_keys(p256dh: str, auth: str) -> None:
    """The subscription's keys as RFC 8291 needs them: a P-256 point and 16 bytes."""
    try:
        point, secret = _b64url_decode(p256dh), _b64url_decode(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise ValueError("keys.p256dh is not a P-256 public key (base64url)") from None
    if len(point) != 65 or len(secret) != 16:
        raise ValueError("keys.p256dh must be 65 bytes and keys.auth 16 bytes (base64url)")


class WebPushSender:
    """One device's attempt: encrypt (RFC 8291), sign (RFC 8292), POST (RFC 8030)."""

    def __init__(self, settings: Settings, vapid: VapidKey) -> None:
        self._vapid = vapid
        self._ttl = settings.push_ttl_seconds
        self._allow_private = settings.push_allow_private_endpoints
        self._timeout = httpx.Timeout(settings.notify_send_timeout_seconds).as_dict()
        # Requests go through a transport, not a client: a client logs every request's
        # URL, and an endpoint is a capability (whoever holds it can push to that browser)
        # that must never reach a log.
        self._transport = httpx.AsyncHTTPTransport()

    async def send(self, device: Mapping[str, Any], notice: Mapping[str, str]) -> DeviceOutcome:
        subscription = device["subscription"]
        endpoint = subscription["endpoint"]
        try:
            await check_endpoint(endpoint, allow_private=self._allow_private)
            body = WebPusher(subscription).encode(encode_payload(notice), "aes128gcm")["body"]
        except (UnsafeEndpoint, WebPushException, ValueError) as exc:
            return DeviceOutcome("permanent", f"cannot push: {type(exc).__name__}")
        headers = {
            "Authorization": self._vapid.authorization(endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(self._ttl),
            "Urgency": "normal",
        }
        request = httpx.Request(
            "POST", endpoint, content=body, headers=headers, extensions={"timeout": self._timeout}
        )
        try:
            response = await self._transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            return DeviceOutcome("temporary", f"push service unreachable: {type(exc).__name__}")
        status = response.status_code
        if response.is_success:
            return DeviceOutcome("accepted")
        if status in _GONE:
            return DeviceOutcome("gone", f"push service answered {status}")
        if status in _TEMPORARY or status >= 500:
            return DeviceOutcome("temporary", f"push service answered {status}")
        return DeviceOutcome("permanent", f"push service answered {status}")

    async def close(self) -> None:
        await self._transport.aclose()
