"""Channels are named once (``shared/channels.py``) and each is one plug-in in notify's
table (``services/notify/channels/``): what a citizen may choose, what the event
contract accepts, where each channel reaches them and what sends on it all come from
there — and a new channel's module, registered in a table, is used like the others."""

import re
import textwrap
import types
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from services.notify.channels import CHANNELS, Channels, Outcome, Outlets
from services.notify.channels.base import ChannelPlugin, Sender, phone_number
from services.notify.contacts import Contacts
from services.notify.deliveries import Dispatcher, next_channel
from services.notify.templates import Rendered
from shared import channels as shared_channels
from shared.channels import CHANNEL_NAMES, Channel, ChannelName
from shared.events import ContactsData, NotificationData
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_channel_list_is_written_once_in_services_and_shared():
    """At most the shared definition and the channel's own plug-in name WhatsApp."""
    found = {}
    for path in [*(ROOT / "services").rglob("*"), *(ROOT / "shared").rglob("*")]:
        if path.is_file() and path.suffix in {".py", ".html", ".js", ".json", ".toml"}:
            count = path.read_text(encoding="utf-8").count('"whatsapp"')
            if count:
                found[str(path.relative_to(ROOT))] = count
    assert sum(found.values()) <= 2, found
    assert "shared/channels.py" in found


def test_every_shared_channel_has_one_plug_in_and_every_plug_in_a_shared_channel():
    assert [plugin.name for plugin in CHANNELS] == list(CHANNEL_NAMES)
    for plugin in CHANNELS:
        assert plugin.channel is shared_channels.channel(plugin.name)


def test_the_contract_accepts_exactly_the_shared_channels():
    assert get_args(ChannelName) == CHANNEL_NAMES
    ContactsData(citizen_id="c", channels=list(CHANNEL_NAMES), profile_version=1)
    with pytest.raises(ValidationError):
        ContactsData(citizen_id="c", channels=["fax"], profile_version=1)
    with pytest.raises(ValidationError):
        NotificationData(
            notification_id="n",
            application_id="a",
            channel="fax",
            status="created",
            status_sequence=1,
            template="t",
            template_version=1,
        )


def test_each_people_label_is_indonesian_then_english():
    for each in shared_channels.CHANNELS:
        indonesian, english = each.label
        assert indonesian
        assert english
    assert shared_channels.channel("in_app").label == ("Di portal", "In the portal")


_ONLY = {
    "email": {"email": "ana@example.org"},
    "phone": {"phone": "+6281200000001"},
    "device": {"push": True},
}


@pytest.mark.parametrize("name", CHANNEL_NAMES)
def test_each_plug_in_reaches_the_citizen_exactly_through_the_contact_its_channel_needs(name):
    plugin = next(p for p in CHANNELS if p.name == name)
    needs = plugin.channel.contact
    bare = Contacts("ana")
    if needs is None:
        assert plugin.address(bare) == "ana"  # the inbox: every citizen has one
        assert not plugin.outside
        return
    assert plugin.outside
    assert plugin.address(bare) is None
    assert plugin.address(Contacts("ana", **_ONLY[needs])) is not None
    for other, fields in _ONLY.items():
        if other != needs:
            assert plugin.address(Contacts("ana", **fields)) is None


class _Recorded:
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, address: str, rendered: Rendered, reference: str) -> Outcome:
        self.sent.append((address, rendered.text, reference))
        return self.outcome


def _telegram_module(sender: Sender) -> types.ModuleType:
    """What a new channel's module holds: its plug-in, for a channel named in shared."""
    module = types.ModuleType("services.notify.channels.telegram")
    module.PLUGIN = ChannelPlugin(
        Channel("telegram", ("Telegram", "Telegram"), "phone"),
        address=phone_number,
        sender=lambda outlets, served: sender,
    )
    return module


class _Collections(dict):
    def __missing__(self, name: str) -> object:
        return object()  # the dispatcher's collections; these tests never reach them


def _dispatcher(table: Channels, outlets: Outlets) -> Dispatcher:
    settings = Settings()
    return Dispatcher(
        units=None,  # type: ignore[arg-type]
        db=_Collections(),  # type: ignore[arg-type]
        topics=None,  # type: ignore[arg-type]
        settings=settings,
        contacts=None,  # type: ignore[arg-type]
        outlets=outlets,
        channels=table,
    )


def _delivery(channel: str) -> dict[str, Any]:
    rendered = {"template": "status.approved", "version": 1, "language": "id"}
    rendered |= {"subject": "Disetujui", "text": "Permohonan disetujui.", "html": ""}
    return {"_id": f"app-1:4:{channel}", "channel": channel, "rendered": rendered}


async def test_a_new_channel_module_registered_in_the_table_is_chosen_addressed_and_sent_on():
    telegram = _Recorded(Outcome("delivered"))
    email = _Recorded(Outcome("delivered"))
    module = _telegram_module(telegram)
    table = Channels((*CHANNELS, module.PLUGIN))
    outlets = Outlets(Settings(), email=email, messaging=_Recorded(Outcome("delivered")))
    dispatcher = _dispatcher(table, outlets)
    ana = Contacts("ana", channels=("telegram", "email"), email="a@x.id", phone="+628120001")

    assert table.next(ana) == "telegram"
    assert table.next(ana, after="telegram") == "email"  # its fallback, like any channel
    address = dispatcher._address(_delivery("telegram"), ana)
    assert address == "+628120001"
    assert await dispatcher._send(_delivery("telegram"), address) == Outcome("delivered")
    assert telegram.sent == [("+628120001", "Permohonan disetujui.", "app-1:4:telegram")]
    assert email.sent == []


async def test_a_channel_not_in_the_table_is_never_chosen_and_never_sent_on():
    email = _Recorded(Outcome("delivered"))
    outlets = Outlets(Settings(), email=email, messaging=_Recorded(Outcome("delivered")))
    dispatcher = _dispatcher(CHANNELS, outlets)
    ana = Contacts("ana", channels=("telegram", "email"), email="a@x.id", phone="+628120001")

    assert next_channel(ana) == "email"
    assert dispatcher._address(_delivery("telegram"), ana) is None
    refused = await dispatcher._send(_delivery("telegram"), "+628120001")
    assert refused.status == "permanent-failure"
    assert email.sent == []


async def test_sms_and_whatsapp_go_through_the_provider_each_under_its_own_name():
    provider = _ProviderCalls()
    outlets = Outlets(Settings(), email=_Recorded(Outcome("delivered")), messaging=provider)
    dispatcher = _dispatcher(CHANNELS, outlets)
    for name in ("sms", "whatsapp"):
        await dispatcher._send(_delivery(name), "+628120001")
    assert [call[0] for call in provider.calls] == ["sms", "whatsapp"]
    assert all(call[2] == "Permohonan disetujui." for call in provider.calls)


class _ProviderCalls:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, str]] = []

    async def send(self, channel: str, to: str, body: str, reference: str) -> Outcome:
        self.calls.append((channel, to, body, reference))
        return Outcome("delivered")


def test_push_without_a_configured_sender_is_left_out_of_the_senders():
    outlets = Outlets(Settings(), email=_Recorded(Outcome("delivered")), messaging=_ProviderCalls())
    assert set(CHANNELS.senders(outlets)) == {"email", "sms", "whatsapp"}  # no inbox, no push


def _walk_through_code() -> tuple[str, str]:
    """The shared line and the plug-in module of docs/notify.md's walk-through."""
    text = (ROOT / "docs" / "notify.md").read_text(encoding="utf-8")
    section = text.split("### Adding a notification channel", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    shared_block, module = (textwrap.dedent(block) for block in blocks[:2])
    [shared_line] = re.findall(r"^\s*(Channel\(.*\)),$", shared_block, flags=re.MULTILINE)
    return shared_line, module


async def test_the_documented_walk_through_adds_a_channel_the_dispatcher_uses(monkeypatch):
    shared_line, module_code = _walk_through_code()
    added = eval(shared_line, {"Channel": Channel})  # the line added to shared/channels.py
    assert isinstance(added, Channel)
    monkeypatch.setitem(shared_channels._BY_NAME, added.name, added)
    module = types.ModuleType(f"services.notify.channels.{added.name}")
    exec(compile(module_code, module.__name__, "exec"), module.__dict__)

    sent: list[str] = []

    async def send(address: str, rendered: Rendered, reference: str) -> Outcome:
        sent.append(reference)
        return Outcome("delivered")

    module.TelegramSender.send = lambda self, *args: send(*args)
    table = Channels((*CHANNELS, module.PLUGIN))  # the line added to the table
    outlets = Outlets(Settings(), email=_Recorded(Outcome("delivered")), messaging=_ProviderCalls())
    dispatcher = _dispatcher(table, outlets)
    ana = Contacts("ana", channels=(added.name, "email"), email="a@x.id", phone="+628120001")

    assert table.next(ana) == added.name
    delivery = _delivery(added.name)
    address = dispatcher._address(delivery, ana)
    assert address == "+628120001"
    assert await dispatcher._send(delivery, address) == Outcome("delivered")
    assert sent == [delivery["_id"]]
