"""Verified access tokens are remembered until they expire, never past it."""

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared import auth
from shared.auth import InvalidToken, TokenVerifier, issue_token
from shared.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(local_dir=str(tmp_path), namespace="tokens")


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    checked: list[str] = []
    verify = auth.verify_citizen_token

    def counting(token: str, settings: Settings | None = None) -> auth.CitizenPrincipal:
        checked.append(token)
        return verify(token, settings)

    monkeypatch.setattr(auth, "verify_citizen_token", counting)
    return checked


def test_a_token_sent_again_is_not_checked_again(settings, signature_checks):
    token, _ = issue_token(settings, "citizen-1", ("citizen",))
    verifier = TokenVerifier(settings)
    first, second = verifier.verify(token), verifier.verify(token)
    assert first.subject == second.subject == "citizen-1"
    assert len(signature_checks) == 1


def test_a_remembered_token_past_its_expiry_is_checked_again(settings, signature_checks):
    token, _ = issue_token(settings, "citizen-1", ("citizen",))
    verifier = TokenVerifier(settings)
    principal = verifier.verify(token)
    expired = datetime.now(UTC) - timedelta(seconds=auth.LEEWAY_SECONDS + 1)
    verifier._verified[token] = dataclasses.replace(principal, expires_at=expired)
    assert verifier.verify(token).expires_at == principal.expires_at
    assert len(signature_checks) == 2


def test_a_forged_token_is_refused_every_time(settings):
    token, _ = issue_token(settings, "citizen-1", ("citizen",))
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    verifier = TokenVerifier(settings)
    for _ in range(2):
        with pytest.raises(InvalidToken):
            verifier.verify(forged)


def test_the_memory_is_bounded(settings):
    verifier = TokenVerifier(settings)
    verifier.CACHE_SIZE = 3
    for n in range(5):
        verifier.verify(issue_token(settings, f"citizen-{n}", ("citizen",))[0])
    assert len(verifier._verified) == 3
