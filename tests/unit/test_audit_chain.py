"""The hash chain names the first record that was changed, removed, added or moved."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.chain import GENESIS, ChainCheck, record_hash, verify
from services.audit.checkpoints import check_checkpoints, new_checkpoint
from services.audit.signing import Signer


def chain(length: int) -> list[dict]:
    records, prev = [], GENESIS
    for seq in range(1, length + 1):
        record = {
            "seq": seq,
            "prev_hash": prev,
            "event_id": f"event-{seq}",
            "event": f'{{"id":"event-{seq}","type":"application.submitted"}}',
            "valid": True,
            "topic": "mpp.applications.submitted",
            "partition": seq % 3,
            "offset": seq,
            "received_at": "2026-11-23T09:00:00.000000Z",
        }
        record["hash"] = prev = record_hash(record)
        records.append(record)
    return records


def test_an_untouched_chain_verifies_every_record():
    verdict = verify(chain(50))
    assert (verdict.ok, verdict.checked, verdict.first_invalid) == (True, 50, None)


def test_a_modified_record_is_named():
    records = chain(20)
    records[6]["event"] = records[6]["event"].replace("submitted", "cancelled")
    verdict = verify(records)
    assert (verdict.ok, verdict.first_invalid, verdict.checked) == (False, 7, 6)
    assert "does not match its hash" in verdict.reason


def test_a_deleted_record_is_named():
    records = chain(20)
    del records[9]
    verdict = verify(records)
    assert (verdict.ok, verdict.first_invalid) == (False, 10)


def test_an_inserted_record_is_named():
    records = chain(20)
    forged = dict(records[4], event_id="forged", seq=5)
    records.insert(4, forged)
    verdict = verify(records)
    assert (verdict.ok, verdict.first_invalid) == (False, 5)


def test_two_swapped_records_are_named_at_the_first_of_them():
    records = chain(20)
    records[11], records[12] = records[12], records[11]
    verdict = verify(records)
    assert (verdict.ok, verdict.first_invalid) == (False, 12)


def test_a_chain_rewritten_with_recomputed_hashes_fails_at_the_signed_checkpoint():
    signer = Signer(Ed25519PrivateKey.generate())
    original = chain(20)
    signed, failure = check_checkpoints(
        [new_checkpoint(signer, 15, original[14]["hash"])], signer.public_key
    )
    assert failure is None
    rewritten = chain(20)
    rewritten[3]["event"] = "{}"
    prev = rewritten[2]["hash"]
    for record in rewritten[3:]:
        record["prev_hash"] = prev
        record["hash"] = prev = record_hash(record)
    check = ChainCheck(checkpoints=signed)
    check.feed(rewritten)
    verdict = check.verdict()
    assert (verdict.ok, verdict.first_invalid) == (False, 15)
    assert "signed checkpoint" in verdict.reason


def test_records_cut_from_the_end_are_caught_by_the_last_checkpoint():
    signer = Signer(Ed25519PrivateKey.generate())
    records = chain(20)
    signed, _ = check_checkpoints(
        [new_checkpoint(signer, 20, records[19]["hash"])], signer.public_key
    )
    check = ChainCheck(checkpoints=signed)
    check.feed(records[:17])
    verdict = check.verdict()
    assert (verdict.ok, verdict.first_invalid) == (False, 18)
    assert "missing" in verdict.reason


def test_a_checkpoint_signed_by_another_key_is_refused():
    ours, theirs = (Signer(Ed25519PrivateKey.generate()) for _ in range(2))
    forged = new_checkpoint(theirs, 5, "a" * 64)
    _, failure = check_checkpoints([forged], ours.public_key)
    assert failure is not None
    assert failure.first_invalid == 5


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_feeding_in_batches_gives_the_same_verdict_as_all_at_once(batch):
    records = chain(30)
    records[21]["offset"] = 999
    check = ChainCheck()
    for start in range(0, len(records), batch):
        if not check.feed(records[start : start + batch]):
            break
    assert check.verdict() == verify(records)
