"""The platform's OpenID Connect provider (docs/oidc.md).

Citizens and staff sign in here; the portal, the mobile app, the workbench and the
console, and agencies' systems, are its clients. Built on Authlib's authorization
server (grants, PKCE, OpenID Connect) adapted to Starlette (:mod:`.bridge`), and joserfc
for keys and tokens (:mod:`.keys`, :mod:`.tokens`).

Modules, each owning at most one collection:

- :mod:`.keys`     ``oidc_signing_keys``: next, current, retired; rotation
- :mod:`.clients`  ``oidc_clients``: public and confidential clients
- :mod:`.codes`    ``oidc_authorization_codes``: single-use codes
- :mod:`.refresh`  ``oidc_refresh_tokens``: the client and scope of each refresh token
- :mod:`.people`, :mod:`.signin`: who signs in, and checking their password
- :mod:`.grants`, :mod:`.server`: Authlib's grants and server on those stores
- :mod:`.routes`: the HTTP endpoints

It reads accounts, staff and sessions through their own stores and owns nothing of
theirs. :func:`mount_oidc` is its one entry from the service's composition root.
"""

from pathlib import Path
from typing import Protocol

from fastapi import FastAPI

from services.identity.accounts import AccountStore
from services.identity.oidc.routes import OidcParts, oidc_router
from services.identity.oidc.server import Provider
from services.identity.oidc.signin import Throttle
from services.identity.passwords import Passwords
from services.identity.sessions import Sessions
from shared.runtime import Runtime
from shared.web import Pages

__all__ = ["Provider", "mount_oidc"]

TEMPLATES = Path(__file__).parent / "web" / "templates"


class IdentityStores(Protocol):
    """The identity stores the provider signs people in with."""

    accounts: AccountStore
    sessions: Sessions
    throttle: Throttle
    passwords: Passwords


def mount_oidc(app: FastAPI, runtime: Runtime, stores: IdentityStores) -> Provider:
    """The provider's routes on ``app``; its indexes, keys and platform clients made at
    start-up. Returns the provider (also ``app.state.oidc.provider``)."""
    provider = Provider(
        db=runtime.db,
        units=runtime.units,
        settings=runtime.settings,
        accounts=stores.accounts,
        sessions=stores.sessions,
    )
    runtime.on_start.append(provider.prepare)
    pages = Pages(TEMPLATES, runtime.settings, "identity")
    app.state.oidc = OidcParts(provider, pages, stores.throttle, stores.passwords)
    app.include_router(oidc_router)
    return provider
