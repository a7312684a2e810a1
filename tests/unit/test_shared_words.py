"""The words every service shares are said once in ``shared/``: the idempotency
fingerprint and its refusal, the data-access record, the Kafka headers of an event."""

import hashlib

import orjson
import pytest

from shared.events import CONTENT_TYPE
from shared.idempotency import fingerprint, key_reused
from shared.kafka import event_headers
from shared.privacy.access import data_accessed


def _as_stored_before(about: dict[str, str], body: object) -> str:
    """How intake (``path``) and routing (``application``) fingerprinted a request
    before the fingerprint was shared: keys stored then must still match."""
    canonical = orjson.dumps({**about, "body": body}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def test_a_key_stored_before_the_fingerprint_was_shared_still_matches_its_retry():
    body = {"service": "akta-kelahiran", "form": {"nama": "Siti", "anak": 2}}
    assert fingerprint(body, path="/api/v1/applications") == _as_stored_before(
        {"path": "/api/v1/applications"}, body
    )
    assert fingerprint(body, application="MPP-3576-AB12") == _as_stored_before(
        {"application": "MPP-3576-AB12"}, body
    )


def test_a_retry_with_its_members_in_another_order_is_the_same_request():
    first = {"to": "in_review", "note": "lengkap", "results": []}
    retry = {"results": [], "note": "lengkap", "to": "in_review"}
    assert fingerprint(first, application="A-1") == fingerprint(retry, application="A-1")


def test_the_same_body_for_another_application_or_path_is_another_request():
    body = {"to": "in_review"}
    assert fingerprint(body, application="A-1") != fingerprint(body, application="A-2")
    assert fingerprint(body, path="/a") != fingerprint(body, path="/b")
    assert fingerprint({"to": "approved"}, application="A-1") != fingerprint(
        body, application="A-1"
    )


def test_a_reused_key_is_a_bilingual_422_that_says_what_to_do():
    problem = key_reused()
    assert problem.status == 422
    assert "Idempotency-Key" in problem.title
    assert "reused" in problem.title
    indonesian, english = problem.detail.split(" / ", 1)
    assert "kunci baru" in indonesian
    assert "new key" in english


def test_a_read_of_an_application_is_recorded_under_that_application():
    event = data_accessed(
        "routing",
        application_id="MPP-3576-AB12",
        region="3576",
        correlation_id="c-1",
        causation_id="e-0",
        actor_kind="officer",
        actor_id="dukcapil/andi",
        agency="dukcapil",
        purpose="memproses permohonan / processing the application",
    )
    assert event.type == "application.accessed"
    assert event.source == "routing"
    assert event.subject == "MPP-3576-AB12"
    assert event.causation_id == "e-0"
    assert event.data.agency == "dukcapil"
    assert event.data.citizen_id is None


def test_a_read_of_a_citizens_records_is_recorded_under_the_citizen():
    event = data_accessed(
        "audit",
        citizen_id="cit-7",
        region=None,
        correlation_id="c-2",
        actor_kind="auditor",
        actor_id="rina",
        purpose="audit / audit",
    )
    assert event.subject == "cit-7"
    assert event.data.application_id is None


def test_a_read_of_nothing_in_particular_cannot_be_recorded():
    with pytest.raises(ValueError, match="application or of a citizen"):
        data_accessed(
            "audit",
            region=None,
            correlation_id="c",
            actor_kind="auditor",
            actor_id="rina",
            purpose="x / x",
        )


def test_an_events_headers_carry_its_type_id_and_trace_and_nothing_else():
    headers = event_headers(
        "application.accessed", "e-1", correlation_id="c-1", traceparent="00-ab-cd-01"
    )
    assert headers == {
        "content-type": CONTENT_TYPE,
        "event-type": "application.accessed",
        "event-id": "e-1",
        "correlation-id": "c-1",
        "traceparent": "00-ab-cd-01",
    }


def test_a_replayed_record_says_so_and_claims_no_cloudevent_it_was_not():
    headers = event_headers("status.changed", "e-2", cloudevent=False, replayed=True)
    assert headers == {"event-type": "status.changed", "event-id": "e-2", "replayed": "true"}
