"""Notify's citizen API against the real broker and database: the in-app inbox, and the
SKM survey from the invitation on completion to the IKM index."""

from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from shared.auth import issue_token
from shared.events import encode
from shared.mongo import make_mongo
from shared.settings import Settings
from tests.e2e.helpers import eventually
from tests.notify_receivers import LIFE, life_of, status_changed

PROBLEM = "application/problem+json"


@pytest.fixture
def settings(stack_env, monkeypatch) -> Settings:
    for key, value in {**stack_env, "MPP_OUTBOX_POLL_SECONDS": "0.2"}.items():
        monkeypatch.setenv(key, value)
    return Settings()


def bearer(settings: Settings, citizen: str) -> dict[str, str]:
    token, _ = issue_token(settings, citizen, ("citizen",))
    return {"Authorization": f"Bearer {token}"}


async def publish(notify, events) -> None:
    runtime = notify.app.state.runtime
    for event in events:
        await runtime.broker.publish(
            encode(event), runtime.topics.status, key=event.subject.encode()
        )


async def stored(notify, collection: str, count: int) -> None:
    documents = notify.app.state.runtime.db[collection]
    await eventually(lambda: documents.count_documents({}), timeout=20, until=lambda n: n >= count)


async def published(notify, event_type: str, count: int) -> list[dict]:
    """The events of ``event_type`` on the notifications topic, once ``count`` are there."""
    runtime = notify.app.state.runtime
    consumer = AIOKafkaConsumer(
        runtime.topics.notifications,
        bootstrap_servers=runtime.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[dict] = []
    try:

        async def more() -> list[dict]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event = orjson.loads(record.value)
                    if event["type"] == event_type:
                        found.append(event)
            return found

        return await eventually(more, timeout=15, until=lambda events: len(events) >= count)
    finally:
        await consumer.stop()


async def test_the_inbox_lists_only_the_callers_notices_newest_first_a_page_at_a_time(
    service_app, settings
):
    notify = await service_app("notify")
    await publish(notify, [*life_of("app-ana-000001", "ana"), *life_of("app-budi-00001", "budi")])
    await stored(notify, "notifications", 2 * len(LIFE))
    ana, budi = bearer(settings, "ana"), bearer(settings, "budi")

    first = (await notify.get("/api/v1/notifications?page_size=3", headers=ana)).json()
    last = (await notify.get("/api/v1/notifications?page=3&page_size=3", headers=ana)).json()

    assert (first["total"], first["unread"]) == (len(LIFE), len(LIFE))
    assert [n["status_sequence"] for n in first["items"]] == [8, 7, 6]
    assert [n["status_sequence"] for n in last["items"]] == [2, 1]
    assert first["items"][0]["title"] == "[3576-000001] Layanan selesai"
    # The survey page (absolute, opened by the link's token), never the API's path.
    survey = first["items"][0]["survey"]
    assert survey.startswith("http://")
    assert "/surveys/app-ana-000001?t=" in survey
    assert first["items"][0]["application_url"].endswith("/portal/applications/app-ana-000001")
    assert {n["application_id"] for n in first["items"] + last["items"]} == {"app-ana-000001"}

    theirs = (await notify.get("/api/v1/notifications?page_size=100", headers=budi)).json()
    assert {n["application_id"] for n in theirs["items"]} == {"app-budi-00001"}
    assert theirs["total"] == len(LIFE)

    newest = first["items"][0]["id"]
    not_yours = await notify.post(f"/api/v1/notifications/{newest}/read", headers=budi)
    assert not_yours.status_code == 404
    assert not_yours.headers["content-type"] == PROBLEM

    read = await notify.post(f"/api/v1/notifications/{newest}/read", headers=ana)
    again = await notify.post(f"/api/v1/notifications/{newest}/read", headers=ana)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert again.json()["read_at"] == read.json()["read_at"]  # the first read time is kept
    after = (await notify.get("/api/v1/notifications?page_size=1", headers=ana)).json()
    assert after["unread"] == len(LIFE) - 1
    untouched = (await notify.get("/api/v1/notifications", headers=budi)).json()
    assert untouched["unread"] == len(LIFE)

    anonymous = await notify.get("/api/v1/notifications")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == PROBLEM


GOOD = {f"u{n}": score for n, score in enumerate([4, 4, 4, 3, 3, 4, 4, 3, 3], start=1)}
FAIR = {f"u{n}": score for n, score in enumerate([3, 2, 3, 4, 3, 2, 4, 2, 3], start=1)}


async def test_a_completed_application_is_rated_once_and_counted_in_the_ikm_index(
    service_app, settings
):
    notify = await service_app("notify")
    await publish(
        notify,
        [
            status_changed("app-ana-000001", 8, "completed", "ana"),
            status_changed(
                "app-ana-000002",
                5,
                "completed",
                "ana",
                service="nib",
                agency="dpmptsp-3514",
                region="3514",
            ),
            status_changed("app-budi-00001", 8, "completed", "budi"),
            status_changed("app-ana-000003", 3, "in_review", "ana"),
        ],
    )
    await stored(notify, "surveys", 3)
    ana, budi = bearer(settings, "ana"), bearer(settings, "budi")

    form = await notify.get("/api/v1/surveys/app-ana-000001", headers=ana)
    assert form.status_code == 200
    assert form.json()["answered"] is False
    assert [e["code"] for e in form.json()["elements"]] == [f"u{n}" for n in range(1, 10)]

    out_of_range = await notify.post(
        "/api/v1/surveys/app-ana-000001", json={**GOOD, "u9": 5}, headers=ana
    )
    assert out_of_range.status_code == 422
    assert out_of_range.headers["content-type"] == PROBLEM
    assert "u9" in out_of_range.text
    missing = await notify.post("/api/v1/surveys/app-ana-000001", json={"u1": 4}, headers=ana)
    assert missing.status_code == 422

    someone_elses = await notify.post("/api/v1/surveys/app-ana-000001", json=GOOD, headers=budi)
    assert someone_elses.status_code == 404
    assert someone_elses.headers["content-type"] == PROBLEM
    not_completed = await notify.post("/api/v1/surveys/app-ana-000003", json=GOOD, headers=ana)
    assert not_completed.status_code == 404

    answered = await notify.post("/api/v1/surveys/app-ana-000001", json=GOOD, headers=ana)
    assert answered.status_code == 201
    twice = await notify.post("/api/v1/surveys/app-ana-000001", json=FAIR, headers=ana)
    assert twice.status_code == 409
    assert twice.headers["content-type"] == PROBLEM
    assert (await notify.get("/api/v1/surveys/app-ana-000001", headers=ana)).json()["answered"]
    await notify.post("/api/v1/surveys/app-budi-00001", json=FAIR, headers=budi)
    await notify.post("/api/v1/surveys/app-ana-000002", json=GOOD, headers=ana)

    # ktp-el: the answers 4 4 4 3 3 4 4 3 3 and 3 2 3 4 3 2 4 2 3 → element means
    # 3.5 3 3.5 3.5 3 3 4 2.5 3, summed 29 / 9 × 25 = 80.56 (B). nib: 32 / 9 × 25 = 88.89 (A).
    by_service = (await notify.get("/api/v1/ikm?group_by=service")).json()["items"]
    assert [(r["service"], r["respondents"], r["ikm"], r["grade"]) for r in by_service] == [
        ("ktp-el", 2, 80.56, "B"),
        ("nib", 1, 88.89, "A"),
    ]
    assert by_service[0]["element_means"]["u8"] == 2.5
    by_agency = (await notify.get("/api/v1/ikm?group_by=agency")).json()["items"]
    assert [(r["agency"], r["ikm"]) for r in by_agency] == [
        ("disdukcapil-3576", 80.56),
        ("dpmptsp-3514", 88.89),
    ]
    by_region = (await notify.get("/api/v1/ikm?group_by=region")).json()["items"]
    assert [(r["region"], r["respondents"], r["grade"]) for r in by_region] == [
        ("3514", 1, "A"),
        ("3576", 2, "B"),
    ]
    assert (await notify.get("/api/v1/ikm?group_by=citizen")).status_code == 422

    events = await published(notify, "survey.answered", 3)
    assert sorted(e["subject"] for e in events) == ["ktp-el", "ktp-el", "nib"]
    assert sorted(e["data"]["scores"] for e in events) == sorted(
        [list(GOOD.values()), list(FAIR.values()), list(GOOD.values())]
    )
    assert {e["schemaversion"] for e in events} == {2}


async def test_a_survey_answer_names_neither_the_citizen_nor_the_application(service_app, settings):
    notify = await service_app("notify")
    await publish(notify, [status_changed("app-ana-000001", 8, "completed", "ana")])
    await stored(notify, "surveys", 1)
    ana, budi = bearer(settings, "ana"), bearer(settings, "budi")

    not_mine = await notify.post("/api/v1/surveys/app-ana-000001", json=GOOD, headers=budi)
    answered = await notify.post("/api/v1/surveys/app-ana-000001", json=GOOD, headers=ana)
    twice = await notify.post("/api/v1/surveys/app-ana-000001", json=FAIR, headers=ana)

    assert not_mine.status_code == 404
    assert answered.status_code == 201
    assert twice.status_code == 409  # refused, though the answer stores no application id
    db = notify.app.state.runtime.db
    answers = await db["survey_answers"].find().to_list(None)
    assert len(answers) == 1
    stored_answer = orjson.dumps(answers[0], default=str).decode()
    for identifier in ("ana", "app-ana-000001", "3576-000001"):
        assert identifier not in stored_answer
    assert set(answers[0]) == {"_id", "service", "agency", "region", "month", "scores"}
    assert len(answers[0]["month"]) == len("2026-11")  # the month, not the moment
    tokens = await db["survey_tokens"].find().to_list(None)
    assert [set(token) for token in tokens] == [{"_id"}]  # one-way, nothing beside it
    assert "app-ana-000001" not in tokens[0]["_id"]
    invitation = await db["surveys"].find_one({"_id": "app-ana-000001"})
    assert "scores" not in invitation  # who may answer, never what was answered

    (event,) = await published(notify, "survey.answered", 1)
    raw = orjson.dumps(event).decode()
    for identifier in ("ana", "app-ana-000001", "3576-000001"):
        assert identifier not in raw
    assert event["subject"] == "ktp-el"


async def test_answers_stored_before_they_were_anonymous_are_moved_apart_at_start(
    service_app, settings
):
    mongo = make_mongo(settings, "survey-migration-test")
    answered_at = datetime(2026, 10, 5, 8, 30, tzinfo=UTC)
    await mongo[settings.database_name("notify")]["surveys"].insert_one(
        {
            "_id": "app-ana-000009",
            "citizen_id": "ana",
            "service": "ktp-el",
            "agency": "disdukcapil-3576",
            "region": "3576",
            "tracking_number": "3576-000009",
            "invited_at": answered_at,
            "answered_at": answered_at,
            "scores": list(GOOD.values()),
        }
    )
    await mongo.close()

    notify = await service_app("notify")
    ana = bearer(settings, "ana")
    db = notify.app.state.runtime.db

    invitation = await db["surveys"].find_one({"_id": "app-ana-000009"})
    assert "scores" not in invitation
    assert "answered_at" not in invitation
    (moved,) = await db["survey_answers"].find({}, {"_id": 0}).to_list(None)
    assert moved == {
        "service": "ktp-el",
        "agency": "disdukcapil-3576",
        "region": "3576",
        "month": "2026-10",
        "scores": list(GOOD.values()),
    }
    form = await notify.get("/api/v1/surveys/app-ana-000009", headers=ana)
    assert form.json()["answered"] is True
    again = await notify.post("/api/v1/surveys/app-ana-000009", json=FAIR, headers=ana)
    assert again.status_code == 409
