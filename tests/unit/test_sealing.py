"""Sealed one-time codes open only with the shared key, for the event they were sealed for."""

import pytest
from pydantic import SecretStr

from shared.sealing import SealError, seal, unseal

KEY = SecretStr("intake-and-notify")


def test_a_sealed_code_opens_with_the_key_and_context_it_was_sealed_for():
    sealed = seal(KEY, "123456", "event-1|password_reset")
    assert "123456" not in sealed
    assert unseal(KEY, sealed, "event-1|password_reset") == "123456"


def test_the_same_code_sealed_twice_looks_different():
    assert seal(KEY, "123456", "c") != seal(KEY, "123456", "c")


@pytest.mark.parametrize(
    ("key", "context", "tamper"),
    [
        (SecretStr("an-auditor-guess"), "event-1", False),
        (KEY, "event-2", False),
        (KEY, "event-1", True),
    ],
)
def test_a_sealed_code_does_not_open_with_another_key_context_or_after_tampering(
    key, context, tamper
):
    sealed = seal(KEY, "123456", "event-1")
    if tamper:
        sealed = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SealError):
        unseal(key, sealed, context)
