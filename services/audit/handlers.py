"""What audit does with the records it reads: every one of them, appended to the log.

Audit keeps every record of every topic, valid or not, byte for byte, hash-chained
(:mod:`services.audit.log`), so its handler is an :class:`~shared.messagebus.EveryRecord`
reader of each poll as read, not a table of event types: a record no other service
could decode is still kept, and replay can show it.
"""

from services.audit.log import AuditLog
from shared.messagebus import EveryRecord

__all__ = ["handlers"]


def handlers(audit_log: AuditLog) -> EveryRecord:
    """Each poll of every topic, appended to the chained log in one bulk write."""
    return EveryRecord(audit_log.append)
