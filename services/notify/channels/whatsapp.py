"""The WhatsApp channel: the notice's text through the messaging provider, to the
citizen's mobile number (a number not on WhatsApp is a permanent failure, and the
notice moves to the citizen's next channel)."""

from services.notify.channels.base import ChannelPlugin, phone_number
from services.notify.channels.messaging import text_messages
from shared.channels import channel

__all__ = ["PLUGIN"]

PLUGIN = ChannelPlugin(channel("whatsapp"), address=phone_number, sender=text_messages)
