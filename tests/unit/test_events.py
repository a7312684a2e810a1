"""The event contract: canonical encoding, tolerant reading, clear rejection."""

import uuid
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from shared.events import InvalidEvent, StatusChanged, decode, encode
from shared.ids import uuid7


def status_changed(**overrides) -> StatusChanged:
    data = {
        "application_id": "a-1",
        "tracking_number": "3576-261123-0001",
        "service": "ktp-el",
        "region": "3576",
        "to_status": "routed",
        "sequence": 1,
        "actor": "system",
    }
    return StatusChanged(
        source="routing", subject="a-1", correlation_id="c-1", data={**data, **overrides}
    )


def test_the_canonical_encoding_sorts_keys_and_has_no_whitespace():
    raw = encode(status_changed())
    document = orjson.loads(raw)
    assert raw == orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    assert b" " not in raw.replace(b"Kota ", b"")
    assert list(document) == sorted(document)


def test_times_are_written_in_utc_with_a_z_whatever_zone_they_came_in():
    wib = timezone(timedelta(hours=7))
    event = status_changed().model_copy(update={"time": datetime(2026, 1, 2, 7, 0, tzinfo=wib)})
    event = decode(encode(event))
    assert orjson.loads(encode(event))["time"] == "2026-01-02T00:00:00.000000Z"


def test_an_event_survives_encoding_and_decoding_unchanged():
    event = status_changed(note="Dokumen lengkap")
    assert decode(encode(event)) == event
    assert encode(decode(encode(event))) == encode(event)


def test_readers_ignore_fields_they_do_not_know():
    document = orjson.loads(encode(status_changed()))
    document["added_later"] = {"x": 1}
    document["data"]["new_field"] = "ok"
    event = decode(orjson.dumps(document))
    assert isinstance(event, StatusChanged)
    assert event.data.to_status == "routed"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"type": "something.else"}', "does not match any of the expected tags"),
    ],
)
def test_a_message_that_is_not_an_event_is_rejected_with_a_reason(raw, reason):
    with pytest.raises(InvalidEvent) as error:
        decode(raw)
    assert reason in error.value.reason


def test_an_event_with_invalid_data_names_the_field():
    document = orjson.loads(encode(status_changed()))
    document["data"]["sequence"] = 0
    with pytest.raises(InvalidEvent) as error:
        decode(orjson.dumps(document))
    assert "data.sequence" in error.value.reason


def test_event_ids_are_uuid7_and_increase_within_a_process():
    ids = [uuid7() for _ in range(5000)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
