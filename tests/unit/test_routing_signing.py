"""Webhook deliveries are signed as the Standard Webhooks specification says, and the
example receiver accepts exactly the genuine, fresh ones."""

import time

import pytest
from standardwebhooks.webhooks import Webhook

from examples.webhook_agency.verify import InvalidSignature, verify
from services.routing.signing import generate_secret, sign, signature_headers
from services.routing.targets import UnsafeTarget, check_target, is_public_address

BODY = b'{"type":"application.dispatched","data":{"application_id":"a1"}}'


def test_the_reference_implementation_accepts_our_signature():
    secret = generate_secret()
    now = int(time.time())
    headers = signature_headers(secret, "msg_1", now, BODY)
    payload = Webhook(secret).verify(BODY, headers)
    assert payload["data"]["application_id"] == "a1"


def test_the_signature_matches_the_specifications_published_example():
    # The example of the Standard Webhooks reference libraries' test suites.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    message_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    timestamp = 1614265330
    body = b'{"test": 2432232314}'
    assert sign(secret, message_id, timestamp, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_the_example_receiver_accepts_a_genuine_fresh_delivery():
    secret = generate_secret()
    now = int(time.time())
    headers = signature_headers(secret, "msg_2", now, BODY)
    assert verify(secret, headers, BODY) == "msg_2"


def test_the_example_receiver_rejects_a_tampered_body_or_another_secret():
    secret = generate_secret()
    headers = signature_headers(secret, "msg_3", int(time.time()), BODY)
    with pytest.raises(InvalidSignature):
        verify(secret, headers, BODY + b" ")
    with pytest.raises(InvalidSignature):
        verify(generate_secret(), headers, BODY)


@pytest.mark.parametrize("skew", [-301, 301])
def test_the_example_receiver_rejects_a_replay_outside_the_five_minute_window(skew):
    secret = generate_secret()
    sent = int(time.time())
    headers = signature_headers(secret, "msg_4", sent, BODY)
    with pytest.raises(InvalidSignature, match="replay window"):
        verify(secret, headers, BODY, now=sent + skew)
    assert verify(secret, headers, BODY, now=sent + skew - (1 if skew > 0 else -1))


def test_a_rotated_secret_is_accepted_during_rotation_when_one_signature_matches():
    old, new = generate_secret(), generate_secret()
    now = int(time.time())
    first = signature_headers(old, "msg_5", now, BODY)["webhook-signature"]
    second = signature_headers(new, "msg_5", now, BODY)["webhook-signature"]
    headers = {"webhook-id": "msg_5", "webhook-timestamp": str(now)}
    headers["webhook-signature"] = f"{first} {second}"
    assert verify(new, headers, BODY) == "msg_5"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.4",
        "169.254.169.254",
        "::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
    ],
)
def test_private_loopback_and_metadata_addresses_are_not_public(address):
    assert not is_public_address(address)


def test_a_public_address_is_public():
    assert is_public_address("8.8.8.8")
    assert is_public_address("2606:4700:4700::1111")


async def test_endpoints_on_loopback_or_plain_http_are_refused_outside_local_mode():
    with pytest.raises(UnsafeTarget, match="non-public"):
        await check_target("https://127.0.0.1:9443/hook", allow_private=False)
    with pytest.raises(UnsafeTarget, match="non-public"):
        await check_target("https://localhost/hook", allow_private=False)
    with pytest.raises(UnsafeTarget, match="HTTPS"):
        await check_target("http://8.8.8.8/hook", allow_private=False)
    await check_target("http://127.0.0.1:9000/hook", allow_private=True)
