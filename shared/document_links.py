"""Short-lived, signed credentials for a supporting document, for the officer viewing it.

The bytes live in intake's database, which routing cannot read; routing's workbench
signs ``application_id|sha256|agency|officer|expires`` with a key it shares with
intake, and intake serves the document to whoever posts unexpired fields with a valid
signature. The fields go in a form's body, never in a URL (browser history, proxy and
access logs keep URLs). A signature names one document of one application for one
agency, so it cannot be bent to another document, and it expires within minutes, so a
leaked one soon stops working. It also names the officer it was made for — their staff
username, signed, so it cannot be changed: intake records each opening as an access in
that officer's name.
"""

import hashlib
import hmac
import time

from pydantic import SecretStr

__all__ = ["link_query", "sign", "verify"]


def sign(
    key: SecretStr,
    application_id: str,
    sha256: str,
    agency: str,
    expires: int,
    officer: str = "",
) -> str:
    """HMAC-SHA256 (hex) of the link's fields; ``|`` cannot occur in any of them."""
    message = f"{application_id}|{sha256}|{agency}|{officer}|{expires}".encode()
    return hmac.new(key.get_secret_value().encode(), message, hashlib.sha256).hexdigest()


def verify(
    key: SecretStr,
    application_id: str,
    sha256: str,
    agency: str,
    expires: int,
    signature: str,
    now: float | None = None,
    officer: str = "",
) -> bool:
    """True when the link is unexpired and its signature matches (constant-time)."""
    if expires < (time.time() if now is None else now):
        return False
    if any("|" in part for part in (application_id, sha256, agency, officer)):
        return False
    expected = sign(key, application_id, sha256, agency, expires, officer)
    return hmac.compare_digest(expected, signature)


def link_query(
    key: SecretStr,
    application_id: str,
    sha256: str,
    agency: str,
    seconds: int,
    now: float | None = None,
    officer: str = "",
) -> dict[str, str]:
    """The signed fields valid for ``seconds`` from now, made for ``officer`` (the staff
    username of the officer signed in to the workbench; ``|`` is dropped)."""
    expires = int(time.time() if now is None else now) + seconds
    officer = officer.replace("|", "")
    return {
        "application": application_id,
        "agency": agency,
        "officer": officer,
        "expires": str(expires),
        "signature": sign(key, application_id, sha256, agency, expires, officer),
    }
