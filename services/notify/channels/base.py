"""What a notify channel plug-in is: the shared channel it serves, its contact rule, and
how its sender is built.

A sender makes one attempt and says how it went, in the terms of GOV.UK Notify:

* ``delivered`` — the SMTP server, the provider or a push service accepted the message;
* ``temporary-failure`` — worth trying again later (4xx SMTP replies, provider 429/5xx,
  timeouts, connection errors, a refused provider token);
* ``permanent-failure`` — trying again cannot help (5xx SMTP replies such as an unknown
  mailbox, provider 400/404/410/422 such as a number that is not on WhatsApp, no device
  left); the notice then moves to the citizen's next channel.

Every attempt carries a stable reference (the delivery id) so a send repeated after a
crash can be recognised as the same message by the receiving side. Reasons never
contain the address.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from services.notify.contacts import Contacts
from services.notify.templates import Rendered
from shared.channels import Channel
from shared.settings import Settings

__all__ = [
    "ChannelPlugin",
    "ContactRule",
    "MessagingProvider",
    "Outcome",
    "Outlets",
    "Sender",
    "devices",
    "email_address",
    "inbox",
    "phone_number",
]


@dataclass(frozen=True)
class Outcome:
    status: Literal["delivered", "temporary-failure", "permanent-failure", "technical-failure"]
    reason: str | None = None


class Sender(Protocol):
    async def send(self, address: str, rendered: Rendered, reference: str) -> Outcome:
        """One attempt to send ``rendered`` to ``address`` (what the contact rule gave)."""
        ...


class MessagingProvider(Protocol):
    """The SMS and WhatsApp provider: one API for both, told which channel to use."""

    async def send(self, channel: str, to: str, body: str, reference: str) -> Outcome: ...


@dataclass(frozen=True)
class Outlets:
    """The adapters notify builds once, from which each channel's sender is made: a new
    channel that needs an adapter of its own builds it from ``settings``."""

    settings: Settings
    email: Sender
    """SMTP (:class:`services.notify.channels.email.EmailSender`)."""
    messaging: MessagingProvider
    """The SMS and WhatsApp provider (:mod:`services.notify.channels.messaging`)."""
    push: Sender | None = None
    """The citizen's registered devices (:class:`services.notify.push.PushSender`)."""


ContactRule = Callable[[Contacts], str | None]
"""Where a channel reaches the citizen, from their contacts; None when it cannot."""


def inbox(contacts: Contacts) -> str:
    """The portal's inbox: every citizen has one."""
    return contacts.citizen_id


def email_address(contacts: Contacts) -> str | None:
    return contacts.email or None


def phone_number(contacts: Contacts) -> str | None:
    return contacts.phone or None


def devices(contacts: Contacts) -> str | None:
    """The citizen's devices, looked up by the push sender: reachable once one is
    registered."""
    return contacts.citizen_id if contacts.push else None


@dataclass(frozen=True)
class ChannelPlugin:
    """One channel in notify: the shared definition it serves (its name and the contact
    it needs), the rule that finds that contact, and its sender."""

    channel: Channel
    address: ContactRule
    sender: Callable[[Outlets, Channel], Sender | None] | None = None
    """Makes the channel's sender from notify's adapters (None when it is not
    configured); no factory at all for the inbox, which every notice reaches without a
    send."""

    @property
    def name(self) -> str:
        return self.channel.name

    @property
    def outside(self) -> bool:
        """Whether notices are sent out on it (all but the inbox)."""
        return self.sender is not None
