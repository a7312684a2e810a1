"""Bank Indonesia's SNAP (Standar Nasional Open API Pembayaran): its signatures and
response codes, for the region's bank that takes regional levies by virtual account and
QRIS.

Two signatures, each over its own string:

* the B2B access token request (``POST /v1.0/access-token/b2b``) is signed with the
  caller's RSA key, SHA256withRSA (PKCS#1 v1.5) over ``<X-CLIENT-KEY>|<X-TIMESTAMP>``,
  base64 in ``X-SIGNATURE``; the receiver checks it with the public key it registered;
* every later call is signed with HMAC-SHA512 under the shared client secret over
  ``<METHOD>:<path>:<access token>:<lowercase hex SHA-256 of the minified body>:<X-TIMESTAMP>``,
  base64 in ``X-SIGNATURE``. "Minified" is the body with the whitespace between JSON
  tokens removed, keys kept in their order (sorting them would change the digest).

A call also carries ``X-PARTNER-ID``, ``X-EXTERNAL-ID`` (unique per partner per day: a
repeat is a replay) and ``CHANNEL-ID``. A response code has seven digits: the HTTP status,
the service's two-digit code and a two-digit case (``4012500``: 401, service 25, case 00).
"""

import base64
import hashlib
import hmac
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

__all__ = [
    "body_digest",
    "minify",
    "response_code",
    "service_signature",
    "service_string_to_sign",
    "token_signature",
    "token_string_to_sign",
    "verify_service_signature",
    "verify_token_signature",
]


def minify(body: bytes | str) -> bytes:
    """The body as SNAP digests it: no whitespace between tokens, keys in their order;
    an empty body stays empty."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if not text.strip():
        return b""
    parsed = json.loads(text)
    return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def body_digest(body: bytes | str) -> str:
    return hashlib.sha256(minify(body)).hexdigest()


def service_string_to_sign(
    method: str, path: str, access_token: str, body: bytes | str, timestamp: str
) -> str:
    return f"{method.upper()}:{path}:{access_token}:{body_digest(body)}:{timestamp}"


def service_signature(
    secret: str, method: str, path: str, access_token: str, body: bytes | str, timestamp: str
) -> str:
    message = service_string_to_sign(method, path, access_token, body, timestamp)
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha512).digest()
    return base64.b64encode(digest).decode()


def verify_service_signature(
    signature: str | None,
    secret: str,
    method: str,
    path: str,
    access_token: str,
    body: bytes | str,
    timestamp: str,
) -> bool:
    if not signature:
        return False
    try:
        expected = service_signature(secret, method, path, access_token, body, timestamp)
    except ValueError:  # a body that is not JSON
        return False
    return hmac.compare_digest(expected, signature)


def token_string_to_sign(client_key: str, timestamp: str) -> str:
    return f"{client_key}|{timestamp}"


def token_signature(private_key: RSAPrivateKey, client_key: str, timestamp: str) -> str:
    message = token_string_to_sign(client_key, timestamp).encode()
    signed = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signed).decode()


def verify_token_signature(
    public_key: RSAPublicKey, signature: str | None, client_key: str, timestamp: str
) -> bool:
    if not signature:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        message = token_string_to_sign(client_key, timestamp).encode()
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def response_code(http_status: int, service: int, case: int) -> str:
    """The seven-digit SNAP code: ``response_code(401, 25, 0) == "4012500"``."""
    if not (100 <= http_status <= 599 and 0 <= service <= 99 and 0 <= case <= 99):
        raise ValueError("HTTP status 100–599, service and case 00–99")
    return f"{http_status}{service:02d}{case:02d}"
