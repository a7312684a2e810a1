"""Native app push through Firebase Cloud Messaging's HTTP v1 API (Android, and iOS apps
that use FCM to reach APNs).

Configured by ``MPP_FCM_CREDENTIALS`` (a Firebase service account: its JSON as a file
path or in base64) and ``MPP_FCM_URL``; unset credentials turn native push off (apps
then register no FCM device, ``push-config`` says so). Each send:

1. an OAuth 2.0 access token for the ``firebase.messaging`` scope, obtained with the
   service account's key by the JWT bearer grant (RFC 7523) at its ``token_uri`` and
   kept until shortly before it expires;
2. ``POST {MPP_FCM_URL}/v1/projects/<project_id>/messages:send`` with
   ``{"message": {"token", "notification": {"title", "body"}, "data", "android",
   "apns"}}``.

FCM's answers map onto the device outcomes of :mod:`services.notify.push`: 200 accepted;
404 or ``UNREGISTERED`` gone (the device is removed); 401 temporary (the access token is
dropped and fetched again); 429 and 5xx temporary; other 4xx (``INVALID_ARGUMENT``,
``SENDER_ID_MISMATCH``) permanent. FCM sees the notice's title and text, as any
native push provider does: the payload holds nothing more than the citizen sees.
"""

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx
import jwt
import orjson

from services.notify.push import DeviceOutcome
from shared.keys import pem_from_setting
from shared.settings import Settings

__all__ = ["FcmSender", "fcm_sender"]

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
_GOOGLE_OAUTH_ENDPOINT = "https://oauth2.googleapis.com/token"


def fcm_sender(settings: Settings, client: httpx.AsyncClient) -> "FcmSender | None":
    """The adapter when ``MPP_FCM_CREDENTIALS`` is set, else None (native push off)."""
    secret = settings.fcm_credentials
    if secret is None or not secret.get_secret_value():
        return None
    account = orjson.loads(pem_from_setting(secret.get_secret_value(), "MPP_FCM_CREDENTIALS"))
    return FcmSender(settings, account, client)


class FcmSender:
    def __init__(
        self, settings: Settings, account: Mapping[str, Any], client: httpx.AsyncClient
    ) -> None:
        self._project = account["project_id"]
        self._issuer = account["client_email"]
        self._key = account["private_key"]
        self._key_id = account.get("private_key_id")
        self._token_uri = account.get("token_uri") or _GOOGLE_OAUTH_ENDPOINT
        base = settings.fcm_url.rstrip("/")
        self._url = f"{base}/v1/projects/{self._project}/messages:send"
        self._ttl = settings.push_ttl_seconds
        self._client = client
        self._token: tuple[float, str] | None = None
        self._lock = asyncio.Lock()

    async def _access_token(self) -> str:
        async with self._lock:
            now = time.time()
            if self._token and self._token[0] > now + 60:
                return self._token[1]
            assertion = jwt.encode(
                {
                    "iss": self._issuer,
                    "scope": SCOPE,
                    "aud": self._token_uri,
                    "iat": int(now),
                    "exp": int(now) + 3600,
                },
                self._key,
                algorithm="RS256",
                headers={"kid": self._key_id} if self._key_id else None,
            )
            response = await self._client.post(
                self._token_uri,
                data={
                    "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion": assertion,
                },
            )
            response.raise_for_status()
            answer = response.json()
            self._token = (now + float(answer.get("expires_in", 3600)), answer["access_token"])
            return self._token[1]

    def message(self, token: str, notice: Mapping[str, str]) -> dict[str, Any]:
        return {
            "message": {
                "token": token,
                "notification": {"title": notice["title"], "body": notice["body"]},
                "data": {
                    "notice": notice["notice"],
                    "lang": notice["lang"],
                    **({"url": notice["url"]} if notice.get("url") else {}),
                },
                "android": {"ttl": f"{self._ttl}s"},
                "apns": {"headers": {"apns-expiration": str(int(time.time()) + self._ttl)}},
            }
        }

    async def send(self, device: Mapping[str, Any], notice: Mapping[str, str]) -> DeviceOutcome:
        try:
            access = await self._access_token()
            response = await self._client.post(
                self._url,
                json=self.message(device["token"], notice),
                headers={"Authorization": f"Bearer {access}"},
            )
        except httpx.HTTPStatusError as exc:
            return DeviceOutcome(
                "temporary", f"FCM token exchange answered {exc.response.status_code}"
            )
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            return DeviceOutcome("temporary", f"FCM unreachable: {type(exc).__name__}")
        status = response.status_code
        if response.is_success:
            return DeviceOutcome("accepted")
        code = _error_code(response)
        reason = f"FCM answered {status}" + (f" {code}" if code else "")
        if status == 404 or code == "UNREGISTERED":
            return DeviceOutcome("gone", reason)
        if status == 401:
            self._token = None  # expired or revoked: exchange again on the next attempt
            return DeviceOutcome("temporary", reason)
        if status == 429 or status >= 500:
            return DeviceOutcome("temporary", reason)
        return DeviceOutcome("permanent", reason)


def _error_code(response: httpx.Response) -> str | None:
    """FCM's ``errorCode`` (``UNREGISTERED``, ``INVALID_ARGUMENT``…) or the status name."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])
    status = error.get("status")
    return str(status) if status else None
