"""The browser's address routing names to intake is believed only when signed lately
with the key the two share."""

from pydantic import SecretStr

from shared.signed_client import MAX_AGE, sign_client, signed_client

KEY = SecretStr("kunci-bersama")


def test_a_freshly_signed_address_is_believed():
    assert signed_client(KEY, sign_client(KEY, "203.0.113.9")) == "203.0.113.9"
    assert signed_client(KEY, sign_client(KEY, "2001:db8::1")) == "2001:db8::1"


def test_another_key_an_edited_address_or_an_old_signature_is_not():
    value = sign_client(KEY, "203.0.113.9", now=1_000_000)
    assert signed_client(SecretStr("kunci-lain"), value, now=1_000_000) is None
    edited = value.replace("203.0.113.9", "203.0.113.10")
    assert signed_client(KEY, edited, now=1_000_000) is None
    assert signed_client(KEY, value, now=1_000_000 + MAX_AGE + 1) is None
    assert signed_client(KEY, value, now=1_000_000 + MAX_AGE) == "203.0.113.9"


def test_something_that_is_not_an_address_or_not_a_signature_is_not():
    assert signed_client(KEY, sign_client(KEY, "bukan-alamat")) is None
    for value in ("", "203.0.113.9", "203.0.113.9;x;00", "a;b;c;d"):
        assert signed_client(KEY, value) is None
