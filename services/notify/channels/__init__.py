"""Notify's channels as plug-ins: one module per channel, registered in :data:`CHANNELS`.

A plug-in (:class:`~services.notify.channels.base.ChannelPlugin`) serves one channel of
``shared/channels.py`` and brings its contact rule (where it reaches the citizen) and
its sender. The dispatcher knows no channel by name: it asks this table which channel
comes next for a citizen, where that channel reaches them, and which sender sends.
docs/notify.md "Adding a notification channel" walks through adding one.
"""

from collections.abc import Iterable, Iterator

from services.notify.channels import email, in_app, push, sms, whatsapp
from services.notify.channels.base import ChannelPlugin, Outcome, Outlets, Sender
from services.notify.contacts import Contacts

__all__ = ["CHANNELS", "ChannelPlugin", "Channels", "Outcome", "Outlets", "Sender"]


class Channels:
    """A table of channel plug-ins, by channel name."""

    def __init__(self, plugins: Iterable[ChannelPlugin]) -> None:
        self._plugins = {plugin.name: plugin for plugin in plugins}

    def __iter__(self) -> Iterator[ChannelPlugin]:
        return iter(self._plugins.values())

    def address(self, name: str, contacts: Contacts) -> str | None:
        """Where channel ``name`` reaches the citizen; None when it cannot (no such
        contact, or a channel this table does not have)."""
        plugin = self._plugins.get(name)
        return plugin.address(contacts) if plugin is not None else None

    def next(self, contacts: Contacts, after: str | None = None) -> str | None:
        """The citizen's preferred outside channel, or the next one after ``after`` (the
        fallback when a channel fails for good); channels that cannot reach them are
        skipped, and the inbox is not among them (every notice is there anyway)."""
        order = list(contacts.channels)
        start = order.index(after) + 1 if after in order else 0
        for name in order[start:]:
            plugin = self._plugins.get(name)
            if plugin is not None and plugin.outside and plugin.address(contacts):
                return name
        return None

    def senders(self, outlets: Outlets) -> dict[str, Sender]:
        """Each outside channel's sender, made once; a channel whose sender is not
        configured (push without devices) is left out, and a delivery on it fails for
        good."""
        made = {
            plugin.name: plugin.sender(outlets, plugin.channel)
            for plugin in self._plugins.values()
            if plugin.sender is not None
        }
        return {name: sender for name, sender in made.items() if sender is not None}


CHANNELS = Channels(
    (
        in_app.PLUGIN,
        email.PLUGIN,
        sms.PLUGIN,
        whatsapp.PLUGIN,
        push.PLUGIN,
    )
)
"""The table: one line per channel. Every channel of ``shared/channels.py`` has one."""
