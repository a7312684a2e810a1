"""The one exception a handler raises to say an event or command can never succeed."""

__all__ = ["Rejected"]


class Rejected(Exception):
    """The event or command is refused by a rule, and would be refused again: an illegal
    transition, an unknown application, a report from the wrong agency. A consumer
    dead-letters it at once (category ``rejected``); an HTTP route answers 4xx. Any
    other exception a handler raises is a fault — retried, then dead-lettered as a
    handler failure."""
