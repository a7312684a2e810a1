"""The push channel's rules that need no broker: what a push message carries and how big
it may be, which subscriptions and endpoints are accepted, and which channel a notice
takes when the citizen has (or has not) a device."""

import asyncio
import base64

import http_ece
import orjson
import pytest
from pywebpush import WebPusher

from services.notify.contacts import Contacts
from services.notify.deliveries import next_channel
from services.notify.push import MAX_PAYLOAD, encode_payload, notice_payload
from services.notify.templates import Rendered
from services.notify.webpush import UnsafeEndpoint, check_endpoint, check_keys
from tests.push_receivers import Browser, b64url


def rendered(text: str, language: str = "id") -> Rendered:
    return Rendered("status.approved", 3, language, "[3576-000001] Permohonan disetujui", text, "")


def test_a_push_message_carries_the_notice_and_nothing_more():
    payload = notice_payload(rendered("Permohonan disetujui."), "app-1:4:push")
    assert payload == {
        "title": "[3576-000001] Permohonan disetujui",
        "body": "Permohonan disetujui.",
        "lang": "id",
        "notice": "app-1:4:in_app",
    }


def test_a_long_notice_is_shortened_to_fit_one_push_message_and_still_decrypts():
    note = "Catatan petugas: lengkapi dokumen — ✓ " * 400  # multi-byte characters too
    payload = notice_payload(rendered(note), "app-1:4:push")
    assert len(encode_payload(payload)) <= MAX_PAYLOAD
    assert payload["body"].endswith("…")
    assert note.startswith(payload["body"][:-1])

    browser = Browser("phone", "https://push.example.org/x")
    body = WebPusher(browser.subscription()).encode(encode_payload(payload), "aes128gcm")["body"]
    assert len(body) <= 4096  # RFC 8291: what every push service must accept
    plain = http_ece.decrypt(
        body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
    )
    assert orjson.loads(plain) == payload


def off_curve(p256dh: str) -> str:
    point = bytearray(base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4)))
    point[-1] ^= 1  # y no longer fits x: not a point of the curve
    return b64url(bytes(point))


def test_a_subscription_needs_a_p256_key_and_a_16_byte_auth_secret():
    keys = Browser("b", "https://push.example.org/x").subscription()["keys"]
    check_keys(keys["p256dh"], keys["auth"])
    for p256dh, auth in [
        ("bm90IGEga2V5", keys["auth"]),
        (keys["p256dh"], "c2hvcnQ"),
        (off_curve(keys["p256dh"]), keys["auth"]),
    ]:
        with pytest.raises(ValueError, match="p256dh"):
            check_keys(p256dh, auth)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://push.example.org/x",  # not HTTPS
        "https://127.0.0.1/x",  # loopback
        "https://10.0.0.5/x",  # a private network
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "file:///etc/passwd",
    ],
)
def test_push_endpoints_on_private_addresses_or_plain_http_are_refused(endpoint):
    with pytest.raises(UnsafeEndpoint):
        asyncio.run(check_endpoint(endpoint, allow_private=False))


def test_local_mode_lets_test_receivers_on_loopback_through():
    asyncio.run(check_endpoint("http://127.0.0.1:8123/push/a", allow_private=True))


def test_push_is_chosen_in_the_citizens_order_only_when_they_have_a_device():
    prefers_push = Contacts("ana", channels=("push", "sms"), phone="+6281200000001")
    assert next_channel(prefers_push) == "sms"  # no device registered: skipped
    with_device = Contacts("ana", channels=("push", "sms"), phone="+6281200000001", push=True)
    assert next_channel(with_device) == "push"
    assert next_channel(with_device, after="push") == "sms"
    email_first = Contacts("ana", channels=("email", "push"), email="ana@example.org", push=True)
    assert next_channel(email_first, after="email") == "push"
