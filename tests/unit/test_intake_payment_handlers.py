"""Intake takes every event the payments topic may carry: a type added there later
without a handler here would be dead-lettered by intake (``unexpected-type``) instead of
reaching the citizen's bill, so this fails first."""

from services.intake.handlers import payment_handlers
from shared.topics import EVENT_TYPES


def test_intake_has_a_handler_for_every_event_type_of_the_payments_topic():
    handled = {cls.model_fields["type"].default for cls in payment_handlers()}
    assert handled == set(EVENT_TYPES["payments"])
