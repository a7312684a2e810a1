"""Sealing personal values under a citizen's key, blind indexes, and the master key file
(no servers: the key vault here is a dictionary; tests/e2e/test_personal_data_erasure.py
runs the real one)."""

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from shared.privacy.kms import KmsError, LocalFileMasterKey
from shared.privacy.personal import ERASED, Personal, blind_index, is_sealed, sealed_by


class MemoryVault:
    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    async def create(self, citizen_id: str) -> bytes:
        return self.keys.setdefault(citizen_id, os.urandom(32))

    async def data_key(self, citizen_id: str) -> bytes | None:
        return self.keys.get(citizen_id)

    async def destroy(self, citizen_id: str) -> bool:
        return self.keys.pop(citizen_id, None) is not None

    def forget(self, citizen_id: str) -> None:
        pass


@pytest.fixture
def personal() -> Personal:
    return Personal(MemoryVault())  # type: ignore[arg-type]


async def test_a_sealed_value_hides_the_plaintext_names_its_citizen_and_opens_again(personal):
    address = {"street": "Jl. Melati 3", "rt": "002"}
    sealed = await personal.seal("citizen-a", address)
    assert is_sealed(sealed)
    assert sealed_by(sealed) == "citizen-a"
    assert "Melati" not in sealed
    assert await personal.seal("citizen-a", address) != sealed  # a fresh nonce each time
    assert await personal.open(sealed, "citizen-a") == address
    assert await personal.open("plain text", "citizen-a") == "plain text"  # as it is


async def test_a_destroyed_key_makes_every_value_of_that_citizen_read_erased_only(personal):
    hers = await personal.seal("citizen-a", "3576014507900001")
    his = await personal.seal("citizen-b", "3578011203850002")
    await personal.vault.destroy("citizen-a")
    event = {"data": {"applicant_sealed": hers, "other": [his, 1]}}
    assert await personal.open_all(event, "citizen-a") == {
        "data": {"applicant_sealed": ERASED, "other": [ERASED, 1]}
    }
    assert await personal.open(his, "citizen-b") == "3578011203850002"


async def test_a_value_moved_to_another_citizen_does_not_open(personal):
    sealed = await personal.seal("citizen-a", "Siti")
    await personal.seal("citizen-b", "Budi")
    moved = sealed.replace("citizen-a", "citizen-b", 1)
    assert await personal.open(moved, "citizen-b") == ERASED


async def test_a_value_sealed_for_one_citizen_never_opens_under_anothers_read(personal):
    hers = await personal.seal("citizen-a", "Siti")
    await personal.seal("citizen-b", "Budi")
    assert await personal.open(hers, "citizen-b") == ERASED
    assert await personal.open_fields({"name": hers}, ["name"], "citizen-b") == {"name": ERASED}
    assert await personal.open_all({"data": [hers]}, None) == {"data": [ERASED]}
    assert await personal.open(hers, "citizen-a") == "Siti"


async def test_sealing_a_record_keeps_its_own_sealed_values_and_seals_a_foreign_one(personal):
    hers = await personal.seal("citizen-a", "Siti")
    his = await personal.seal("citizen-b", "Budi")
    stored = await personal.seal_fields(
        "citizen-b", {"name": hers, "alias": his}, ["name", "alias"]
    )
    assert stored["alias"] == his
    assert sealed_by(stored["name"]) == "citizen-b"
    assert await personal.open(stored["name"], "citizen-b") == hers  # inert: not opened


async def test_sealed_bytes_open_only_with_the_owners_key(personal):
    sealed = await personal.seal_bytes("citizen-a", b"%PDF-1.4 KTP 3576014507900001")
    assert b"3576" not in sealed
    assert await personal.open_bytes("citizen-a", sealed) == b"%PDF-1.4 KTP 3576014507900001"
    assert await personal.open_bytes("citizen-b", sealed) is None
    await personal.vault.destroy("citizen-a")
    assert await personal.open_bytes("citizen-a", sealed) is None


def test_a_blind_index_finds_a_value_however_it_is_written_and_only_with_the_key():
    key = SecretStr("index-key")
    assert blind_index(key, "email", " Siti@Example.ID ") == blind_index(
        key, "email", "siti@example.id"
    )
    assert blind_index(key, "email", "siti@example.id") != blind_index(
        key, "nik", "siti@example.id"
    )
    assert blind_index(SecretStr("other"), "email", "a@b.id") != blind_index(key, "email", "a@b.id")
    assert "siti" not in blind_index(key, "email", "siti@example.id")


def test_the_local_master_key_is_made_once_and_binds_a_wrapped_key_to_its_citizen(tmp_path: Path):
    path = tmp_path / "keys" / "master.key"
    with pytest.raises(KmsError, match="cannot be read"):
        LocalFileMasterKey.from_file(path, create=False)  # production: never invented
    first = LocalFileMasterKey.from_file(path, create=True)
    again = LocalFileMasterKey.from_file(path, create=True)
    assert first.key_id == again.key_id
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    wrapped = first.wrap(b"k" * 32, "citizen-a")
    assert again.unwrap(wrapped, "citizen-a") == b"k" * 32
    with pytest.raises(KmsError):
        again.unwrap(wrapped, "citizen-b")
    path.write_text("not base64!")
    with pytest.raises(KmsError, match="base64"):
        LocalFileMasterKey.from_file(path, create=False)
