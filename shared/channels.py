"""The channels a citizen can be told on: named once, here, for every service.

Each :class:`Channel` says what the contract calls it (``name``, the value in events,
in a citizen's preferences and in the API), what a person reads for it (Bahasa
Indonesia first, English second, as every bilingual label of the platform), and which
of the citizen's contacts it needs to reach them. Everything else derives from
:data:`CHANNELS`: the ``Literal`` the event contract and intake's profile validate
against, the portal's checkboxes, and notify's table of channel plug-ins
(``services/notify/channels/``), which must have one plug-in per channel named here.

Adding a channel is one line here; docs/notify.md "Adding a notification channel"
walks through the rest.
"""

from dataclasses import dataclass
from typing import Literal

__all__ = ["CHANNELS", "CHANNEL_NAMES", "Channel", "ChannelName", "Contact", "channel"]

Contact = Literal["email", "phone", "device"]
"""The citizen's email, their mobile number, or a device registered with notify."""


@dataclass(frozen=True)
class Channel:
    name: str
    label: tuple[str, str]
    """What a person reads for it: (Bahasa Indonesia, English)."""
    contact: Contact | None
    """What the citizen must have for it to reach them; None for the portal's inbox,
    which every citizen has."""


CHANNELS: tuple[Channel, ...] = (
    Channel("in_app", ("Di portal", "In the portal"), None),
    Channel("email", ("Email", "Email"), "email"),
    Channel("sms", ("SMS", "SMS"), "phone"),
    Channel("whatsapp", ("WhatsApp", "WhatsApp"), "phone"),
    Channel(
        "push", ("Notifikasi push di perangkat terdaftar", "Push to registered devices"), "device"
    ),
)
"""Every channel, in the order the portal offers them."""

CHANNEL_NAMES: tuple[str, ...] = tuple(each.name for each in CHANNELS)

ChannelName = Literal[CHANNEL_NAMES]  # type: ignore[valid-type]
"""A channel's name as the event contract and the API accept it (built from
:data:`CHANNELS`, so a new channel is accepted everywhere at once)."""

_BY_NAME = {each.name: each for each in CHANNELS}


def channel(name: str) -> Channel:
    """The channel called ``name``; KeyError for a name no channel has."""
    return _BY_NAME[name]
