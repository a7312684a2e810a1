"""Events on the wire are CloudEvents 1.0 (structured mode), and decode still reads the
envelope written before CloudEvents — records already on topics and in audit logs."""

import orjson
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_structured
from cloudevents.core.formats.json import JSONFormat

from shared.events import (
    AgencyStatusReported,
    InvalidEvent,
    StatusChanged,
    decode,
    encode,
    source_name,
    source_uri,
)

# An agency report as it was written before CloudEvents (and as agencies may still send
# it during the transition): snake-case attributes, a bare source, nulls present.
OLD_REPORT = (
    b'{"id":"0190c5f2-1111-7000-8000-000000000001","type":"agency.status_reported",'
    b'"source":"agency:disdukcapil-3576","time":"2026-11-23T09:00:00.000000Z",'
    b'"subject":"app-1","region":"3576","correlation_id":"corr-1",'
    b'"causation_id":"0190c5f2-1111-7000-8000-000000000000","schema_version":1,'
    b'"data":{"application_id":"app-1","agency":"disdukcapil-3576","status":"received",'
    b'"note":null,"requested_fields":[]}}'
)


def status_changed(**envelope: object) -> StatusChanged:
    return StatusChanged(
        source="routing",
        subject="app-1",
        correlation_id="corr-1",
        **envelope,
        data={
            "application_id": "app-1",
            "tracking_number": "MPP-1",
            "service": "ktp-el",
            "region": "3576",
            "to_status": "routed",
            "sequence": 2,
            "actor": "system",
        },
    )


def test_an_encoded_event_is_a_cloudevent_the_sdk_reads_with_every_attribute():
    event = status_changed(region="3576", causation_id="cause-1")
    message = KafkaMessage(
        headers={"content-type": b"application/cloudevents+json"}, key=b"app-1", value=encode(event)
    )
    read = from_structured(message, JSONFormat())
    attributes = read.get_attributes()
    assert attributes["specversion"] == "1.0"
    assert attributes["id"] == event.id
    assert attributes["source"] == "/mpp/routing"
    assert attributes["type"] == "application.status_changed"
    assert attributes["subject"] == "app-1"
    assert attributes["datacontenttype"] == "application/json"
    assert read.get_time() is not None
    assert {key: attributes[key] for key in ("correlationid", "causationid", "region")} == {
        "correlationid": "corr-1",
        "causationid": "cause-1",
        "region": "3576",
    }
    assert attributes["schemaversion"] == 1
    assert read.get_data()["to_status"] == "routed"


def test_absent_optional_attributes_are_left_out_not_written_as_null():
    document = orjson.loads(encode(status_changed()))
    assert "causationid" not in document
    assert "region" not in document
    assert not {"correlation_id", "causation_id", "schema_version"} & document.keys()


def test_the_python_names_are_unchanged_after_a_round_trip():
    event = status_changed(region="3576", causation_id="cause-1")
    decoded = decode(encode(event))
    assert decoded == event
    assert (decoded.source, decoded.correlation_id, decoded.causation_id) == (
        "routing",
        "corr-1",
        "cause-1",
    )


def test_decode_reads_an_event_written_before_cloudevents():
    report = decode(OLD_REPORT)
    assert isinstance(report, AgencyStatusReported)
    assert report.source == "agency:disdukcapil-3576"
    assert report.correlation_id == "corr-1"
    assert report.causation_id == "0190c5f2-1111-7000-8000-000000000000"
    assert report.schema_version == 1
    assert report.data.status == "received"
    # Re-encoded, it is a CloudEvent with the agency's URI as source.
    assert orjson.loads(encode(report))["source"] == "/mpp/agency/disdukcapil-3576"


@pytest.mark.parametrize(
    ("name", "uri"),
    [
        ("intake", "/mpp/intake"),
        ("routing", "/mpp/routing"),
        ("agency:disdukcapil-3576", "/mpp/agency/disdukcapil-3576"),
    ],
)
def test_a_service_name_and_its_source_uri_map_both_ways(name: str, uri: str):
    assert source_uri(name) == uri
    assert source_name(uri) == name


def test_an_agencys_own_source_uri_is_kept_as_it_is():
    own = "https://disdukcapil.example.go.id/sistem"
    assert source_name(own) == own
    assert source_uri(own) == own


def test_another_specversion_is_refused_with_the_reason():
    document = orjson.loads(encode(status_changed()))
    document["specversion"] = "0.3"
    with pytest.raises(InvalidEvent, match="specversion"):
        decode(orjson.dumps(document))
