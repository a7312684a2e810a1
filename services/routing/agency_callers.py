"""Who calls the agency API, from its ``Authorization: Bearer ...`` credential.

An agency API key (``mppak_...``) names an agency's own system (``key:<key id>``); any
other bearer token must be an agency officer's or supervisor's own access token, signed
by intake (:mod:`services.routing.staff_access`), and names the person. Either way the
credential alone decides the agency.
"""

from services.routing.agency_models import Caller
from services.routing.keys import ApiKeys, key_id_of
from services.routing.staff_access import AgencyStaff
from shared.problems import Problem

__all__ = ["identify"]


async def identify(authorization: str | None, keys: ApiKeys, staff: AgencyStaff) -> Caller:
    """The caller the credential proves; a problem (401, or 403 for a token that is not
    agency staff's) otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token and key_id_of(token) is None:
        member = await staff.member(token)
        assert member.agency is not None  # agency_role implies it
        return Caller(agency=member.agency, staff=member.subject)
    found = await keys.authenticate(token) if scheme.lower() == "bearer" else None
    if found is None:
        raise Problem(
            401,
            "Kunci API tidak valid / Invalid API key",
            "Kirim header Authorization: Bearer <kunci API instansi> (diterbitkan dengan "
            "`mpp agency issue-key`) atau <token petugas> (masuk di POST /api/v1/auth/token) "
            "/ send Authorization: Bearer <agency API key>, issued with `mpp agency "
            "issue-key`, or <officer's access token>, from POST /api/v1/auth/token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Caller(agency=found[0], key_id=found[1])
