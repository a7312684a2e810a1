"""The push channel: every device the citizen registered, by Web Push or FCM
(:mod:`services.notify.push`); reachable once one device is registered."""

from services.notify.channels.base import ChannelPlugin, Outlets, Sender, devices
from shared.channels import Channel, channel

__all__ = ["PLUGIN"]


def _sender(outlets: Outlets, served: Channel) -> Sender | None:
    return outlets.push


PLUGIN = ChannelPlugin(channel("push"), address=devices, sender=_sender)
