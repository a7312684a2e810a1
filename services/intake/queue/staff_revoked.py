"""Queue kiosks and counter officers whose access was revoked: refused within seconds.

Intake reads identity's ``staff.access_revoked`` events on the staff topic with a group
of its own (``<ns>.intake.staff``) and keeps them in its own ``staff_revocations``
(:class:`shared.staff_revocations.StaffRevocations`, as routing does for agency staff);
every queue staff request checks it, so a disabled kiosk or officer is stopped before
its token expires, and a password reset ends the tokens issued before it.
"""

from pymongo.asynchronous.database import AsyncDatabase

from services.intake.refusals import ForeignStaffRevocation
from shared.events import StaffAccessRevoked
from shared.messagebus import HandlerTable
from shared.staff_revocations import StaffRevocations
from shared.unit_of_work import UnitOfWork

__all__ = ["staff_handlers"]


def staff_handlers(db: AsyncDatabase, staff_topic: str) -> HandlerTable:
    """Intake's subscription to the staff topic."""
    revocations = StaffRevocations(db)

    async def on_revoked(event: StaffAccessRevoked, uow: UnitOfWork) -> None:
        topic = uow.source(event).topic
        if topic != staff_topic:
            raise ForeignStaffRevocation(topic)  # only identity writes the staff topic
        revoked = event.data
        await revocations.record(
            revoked.username, revoked.tokens_valid_after, disabled=revoked.disabled
        )

    return {StaffAccessRevoked: on_revoked}
