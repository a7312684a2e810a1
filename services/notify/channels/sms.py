"""The SMS channel: the notice's text through the messaging provider, to the citizen's
mobile number."""

from services.notify.channels.base import ChannelPlugin, phone_number
from services.notify.channels.messaging import text_messages
from shared.channels import channel

__all__ = ["PLUGIN"]

PLUGIN = ChannelPlugin(channel("sms"), address=phone_number, sender=text_messages)
