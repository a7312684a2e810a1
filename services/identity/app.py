"""Identity's composition root: the one place that wires settings, stores, broker and HTTP.

:func:`build` reads as the order of assembly — the runtime on identity's own database
(``MPP_IDENTITY_DATABASE``) and the topic identity writes, the account stores, their
indexes and retention sweep, the API's routers, and the limits on every request. Identity
consumes nothing: what it needs to know arrives as requests. It publishes the account
events, and staff revocations for routing (:func:`announce_staff_revocations`).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import structlog
from fastapi import APIRouter, FastAPI, Request

from services.identity.accounts import AccountStore
from services.identity.accounts_api import accounts_router
from services.identity.applicants_api import applicants_router
from services.identity.codes import CodeStore
from services.identity.counter_api import counter_router
from services.identity.data_rights import DataRights
from services.identity.data_rights_api import data_rights_router
from services.identity.deps import IdentityParts
from services.identity.dukcapil import DukcapilClient
from services.identity.history_api import history_router
from services.identity.nik_api import nik_router
from services.identity.nik_ownership import NikOwnership
from services.identity.oidc import mount_oidc
from services.identity.passwords import Passwords
from services.identity.recovery_api import recovery_router
from services.identity.refusals import install_refusals
from services.identity.retention import create_retention_indexes, retention_sweeps
from services.identity.sealed_accounts import SealedAccounts
from services.identity.sessions import Sessions
from services.identity.staff_api import staff_router
from services.identity.throttle import SignInThrottle
from services.identity.web import mount_account_pages
from shared.auth import CitizenPrincipal, TokenVerifier
from shared.fault_answers import answer_faults
from shared.limits import BodyLimitMiddleware, RateLimiter, RateLimitMiddleware
from shared.problems import Problem
from shared.retention_sweep import attach
from shared.runtime import Runtime, build_runtime, create_app, serve
from shared.settings import Settings, get_settings
from shared.signed_client import SignedClientMiddleware

__all__ = ["announce_staff_revocations", "build", "main"]

log = structlog.get_logger(__name__)


def build(settings: Settings) -> FastAPI:
    """Identity's app: its stores on one runtime, and its API."""
    runtime = build_runtime("identity", settings)
    runtime.declare_publisher(
        [runtime.topics.accounts],
        "Citizens' contacts and notification preferences, one-time codes to send, proven "
        "NIKs, frozen accounts and data-right requests (personal data).",
    )
    announce_staff_revocations(runtime)
    stores = _account_stores(runtime, settings)
    runtime.on_start += _index_builders(runtime, stores)
    app = create_app(
        runtime,
        title="MPP Digital — Identity",
        description="Citizens' accounts and staff accounts: registration, sign-in, proofs of "
        "NIK and contacts, recovery, devices, the account's history and data rights. Every "
        "error is application/problem+json.",
        routers=_ROUTERS,
    )
    app.state.identity = _identity_parts(runtime, stores, settings)
    install_refusals(app)
    mount_oidc(app, runtime, app.state.identity)  # the OpenID Connect provider (docs/oidc.md)
    app.state.verifier = TokenVerifier(settings)
    app.state.accounts = stores.accounts
    app.state.ownership = stores.ownership
    app.state.retention = attach(runtime, retention_sweeps(runtime.db))
    _guard(app, settings)
    # After the limits, so their refusals on a page (the sign-in form) read as pages.
    mount_account_pages(app, settings)
    return app


@dataclass(frozen=True)
class _AccountStores:
    """Accounts and what proves, signs in and protects them."""

    passwords: Passwords
    accounts: AccountStore
    sessions: Sessions
    codes: CodeStore
    ownership: NikOwnership
    rights: DataRights


def announce_staff_revocations(runtime: Runtime) -> None:
    """Declare the staff topic identity writes: the service and ``mpp staff`` stage a
    ``staff.access_revoked`` event there with every disable and password reset."""
    runtime.declare_publisher(
        [runtime.topics.staff],
        "Staff accounts disabled or given a new password (staff.access_revoked: username, "
        "role, binding, the moment, who did it; no name, email or phone), keyed by username.",
    )


def _account_stores(runtime: Runtime, settings: Settings) -> _AccountStores:
    db, mongo, topics, outbox = runtime.db, runtime.mongo, runtime.topics, runtime.outbox()
    passwords = Passwords(settings.auth_hash_concurrency)
    sealed = SealedAccounts(runtime.personal, settings.blind_index_secret)
    sessions = Sessions(mongo=mongo, db=db, settings=settings)
    runtime.on_stop.append(passwords.close)
    stores = {"mongo": mongo, "db": db, "outbox": outbox, "topics": topics}
    return _AccountStores(
        passwords=passwords,
        accounts=AccountStore(
            sealed=sealed, catalogue=runtime.catalogue, passwords=passwords, **stores
        ),
        sessions=sessions,
        codes=CodeStore(settings=settings, personal=runtime.personal, **stores),
        ownership=NikOwnership(
            sessions=sessions,
            dukcapil=DukcapilClient(settings),
            settings=settings,
            sealed=sealed,
            **stores,
        ),
        rights=DataRights(
            personal=runtime.personal, sessions=sessions, settings=settings, **stores
        ),
    )


def _index_builders(
    runtime: Runtime, stores: _AccountStores
) -> list[Callable[[], Awaitable[None]]]:
    """What creates each collection's indexes when the service starts."""
    return [
        stores.rights.create_indexes,
        partial(create_retention_indexes, runtime.db),
        stores.accounts.create_indexes,
        stores.sessions.create_indexes,
        stores.codes.create_indexes,
        stores.ownership.create_indexes,
    ]


def _throttle(settings: Settings, free: int) -> SignInThrottle:
    return SignInThrottle(
        free=free,
        base=settings.auth_signin_backoff_seconds,
        cap=settings.auth_signin_backoff_max_seconds,
    )


_Citizen = Callable[[Request], Awaitable[CitizenPrincipal]]


def _citizen(settings: Settings, sessions: Sessions) -> _Citizen:
    """The dependency every citizen's route takes: the verified caller, within their
    account's rate limit, not signed out since."""
    verifier = TokenVerifier(settings)
    per_account = RateLimiter(settings.intake_rate_per_account)

    async def principal(request: Request) -> CitizenPrincipal:
        """The verified caller, within their account's rate limit, not signed out since."""
        verified = await verifier(request)
        await sessions.refuse_signed_out(verified)
        retry = per_account.check(verified.subject)
        if retry is not None:
            raise Problem(
                429,
                "Terlalu banyak permintaan / Too many requests",
                f"Too many requests from this account; retry after {int(retry) + 1} s.",
                headers={"Retry-After": str(int(retry) + 1)},
            )
        return verified

    return principal


def _identity_parts(runtime: Runtime, stores: _AccountStores, settings: Settings) -> IdentityParts:
    """What the API's routes reach through their dependencies."""
    return IdentityParts(
        runtime=runtime,
        principal=_citizen(settings, stores.sessions),
        accounts=stores.accounts,
        sessions=stores.sessions,
        codes=stores.codes,
        passwords=stores.passwords,
        throttle=_throttle(settings, settings.auth_signin_free_failures),
        code_throttle=_throttle(settings, settings.auth_code_client_free_failures),
        ownership=stores.ownership,
        rights=stores.rights,
    )


_ROUTERS: list[APIRouter] = [
    accounts_router,
    recovery_router,
    nik_router,
    history_router,
    data_rights_router,
    counter_router,
    applicants_router,
    staff_router,
]
"""Identity's API, in the order its operations are listed; what each route needs comes
from ``app.state.identity`` (:func:`_identity_parts`)."""


def _guard(app: FastAPI, settings: Settings) -> None:
    """Limits on every request (per IP, body size), and problems for what fails."""
    app.add_middleware(RateLimitMiddleware, limiter=RateLimiter(settings.intake_rate_per_ip))
    # Outside the rate limit: intake's questions count for the browser they name in a
    # signed header, not for intake (shared.signed_client).
    app.add_middleware(SignedClientMiddleware, secret=settings.document_link_secret)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.intake_body_limit_bytes,
        upload_limit=settings.intake_body_limit_bytes,
        documents_per_form=0,
    )
    answer_faults(app)


def main() -> None:
    settings = get_settings()
    serve(build(settings), settings.http_host, settings.identity_port)
