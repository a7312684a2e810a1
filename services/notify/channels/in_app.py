"""The portal's inbox: every notice is stored there (:mod:`services.notify.inbox`),
whatever the citizen's other channels, so nothing is sent and every citizen is
reachable."""

from services.notify.channels.base import ChannelPlugin, inbox
from shared.channels import channel

__all__ = ["PLUGIN"]

PLUGIN = ChannelPlugin(channel("in_app"), address=inbox)
