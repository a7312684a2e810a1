"""What identity's routes are given: FastAPI dependencies reading the parts the
composition root (:mod:`services.identity.app`) wired once and left on
``app.state.identity``.

The routers are plain module-level ``APIRouter`` objects; a route names what it needs
(``accounts: AccountsDep``, ``caller: Principal``) and FastAPI hands it over per request,
so a test can build an app with other parts.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.identity.accounts import AccountStore
from services.identity.codes import CodeStore
from services.identity.data_rights import DataRights
from services.identity.nik_ownership import NikOwnership
from services.identity.passwords import Passwords
from services.identity.sessions import Sessions
from services.identity.throttle import SignInThrottle
from shared.auth import CitizenPrincipal
from shared.catalogue import Catalogue
from shared.runtime import Runtime
from shared.settings import Settings

__all__ = [
    "AccountsDep",
    "CatalogueDep",
    "CodesDep",
    "IdentityParts",
    "OwnershipDep",
    "PartsDep",
    "PasswordsDep",
    "Principal",
    "RightsDep",
    "RuntimeDep",
    "SessionsDep",
    "SettingsDep",
    "ThrottleDep",
    "parts",
    "principal",
]


@dataclass(frozen=True)
class IdentityParts:
    """Identity's stores and services, wired once per process."""

    runtime: Runtime
    principal: Callable[[Request], Awaitable[CitizenPrincipal]]
    """The verified caller, within their rate limit, not signed out since."""
    accounts: AccountStore
    sessions: Sessions
    codes: CodeStore
    passwords: Passwords
    throttle: SignInThrottle
    code_throttle: SignInThrottle
    """Wrong one-time codes per client, across accounts (services.identity.recovery_api)."""
    ownership: NikOwnership
    rights: DataRights
    """A citizen's copy of their data, and erasing their account."""


def parts(request: Request) -> IdentityParts:
    found: IdentityParts = request.app.state.identity
    return found


async def principal(request: Request) -> CitizenPrincipal:
    return await parts(request).principal(request)


def _runtime(request: Request) -> Runtime:
    return parts(request).runtime


def _settings(request: Request) -> Settings:
    return parts(request).runtime.settings


def _catalogue(request: Request) -> Catalogue:
    return parts(request).runtime.catalogue


def _accounts(request: Request) -> AccountStore:
    return parts(request).accounts


def _sessions(request: Request) -> Sessions:
    return parts(request).sessions


def _codes(request: Request) -> CodeStore:
    return parts(request).codes


def _passwords(request: Request) -> Passwords:
    return parts(request).passwords


def _throttle(request: Request) -> SignInThrottle:
    return parts(request).throttle


def _ownership(request: Request) -> NikOwnership:
    return parts(request).ownership


def _rights(request: Request) -> DataRights:
    return parts(request).rights


PartsDep = Annotated[IdentityParts, Depends(parts)]
Principal = Annotated[CitizenPrincipal, Depends(principal)]
RuntimeDep = Annotated[Runtime, Depends(_runtime)]
SettingsDep = Annotated[Settings, Depends(_settings)]
CatalogueDep = Annotated[Catalogue, Depends(_catalogue)]
AccountsDep = Annotated[AccountStore, Depends(_accounts)]
SessionsDep = Annotated[Sessions, Depends(_sessions)]
CodesDep = Annotated[CodeStore, Depends(_codes)]
PasswordsDep = Annotated[Passwords, Depends(_passwords)]
ThrottleDep = Annotated[SignInThrottle, Depends(_throttle)]
OwnershipDep = Annotated[NikOwnership, Depends(_ownership)]
RightsDep = Annotated[DataRights, Depends(_rights)]
