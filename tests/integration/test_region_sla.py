"""Each region's SLA clock through routing, against the real broker and database: an
application from Makassar (WITA) that arrives without intake's due date is due at 23:59:59
WITA of its last working day — 15:59:59Z — with Makassar's own day off skipped, while a
Mojokerto (WIB) application submitted at the same moment keeps that day and ends at
23:59:59 WIB; the due date travels on the status event the citizen's timeline reads.
Intake, which counts the due date first, does the same for a citizen applying over its
API. A
service started without this year's holiday file says so in its log and its metrics."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

import shared.calendar
from shared.calendar import NATIONAL, WorkingCalendar
from shared.catalogue import RegionDay, Text
from shared.events import StatusChanged
from shared.i18n.zones import WITA
from tests.e2e.helpers import eventually, new_nik, register, submit
from tests.integration.routing_support import publish, read_events, submitted
from tests.regions import eastern_catalogue, serve_catalogue

FRIDAY = datetime(2026, 11, 6, 2, tzinfo=UTC)  # 10:00 WITA, 09:00 WIB


@pytest.fixture
async def routing(service_app, monkeypatch):
    """Routing started with a catalogue that has Makassar and Jayapura."""
    serve_catalogue(monkeypatch, eastern_catalogue())
    return await service_app("routing")


def without_due_date(region: str):
    """A KTP-el application (14 working days) submitted on Friday 6 November 2026 whose
    event carries no due date (a mobile unit's, or an older intake's): routing counts it."""
    event = submitted("ktp-el", region, form={"reason": "baru"})
    data = event.data.model_copy(update={"submitted_at": FRIDAY, "sla_due_at": None})
    return event.model_copy(update={"data": data})


async def test_a_makassar_application_is_due_at_the_end_of_its_last_working_day_in_wita(routing):
    runtime = routing.app.state.runtime
    makassar, mojokerto, jayapura = (without_due_date(r) for r in ("7371", "3576", "9471"))
    for event in (makassar, mojokerto, jayapura):
        await publish(runtime, runtime.topics.submitted, event)
    applications = runtime.db["applications"]

    async def stored(event):
        return await eventually(lambda: applications.find_one({"_id": event.subject}), timeout=20)

    routed = await stored(makassar)
    assert routed["agency"] == "disdukcapil-7371"
    # Mon 9 Nov is Makassar's own day off: 10 Nov … 27 Nov are the 14 working days.
    assert routed["sla_due_at"] == datetime(2026, 11, 27, 15, 59, 59, tzinfo=UTC)
    # Mojokerto works on 9 November: due a day earlier, at 23:59:59 WIB.
    assert (await stored(mojokerto))["sla_due_at"] == datetime(2026, 11, 26, 16, 59, 59, tzinfo=UTC)
    # Jayapura works on 9 November too, and its day ends at 23:59:59 WIT.
    assert (await stored(jayapura))["sla_due_at"] == datetime(2026, 11, 26, 14, 59, 59, tzinfo=UTC)

    def first_status(events):
        return [e for e in events if isinstance(e, StatusChanged) and e.subject == makassar.subject]

    (announced,) = first_status(
        await read_events(runtime.settings.kafka_bootstrap, runtime.topics.status, first_status)
    )
    assert announced.data.sla_due_at == datetime(2026, 11, 27, 15, 59, 59, tzinfo=UTC)


async def test_a_service_started_without_this_years_holiday_file_says_so(
    service_app, monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(shared.calendar, "_DATA", tmp_path)  # no holiday file at all
    routing = await service_app("routing")
    this_year = datetime.now(UTC).year
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    (warned,) = [line for line in lines if line["event"].startswith("holiday calendar missing")]
    assert warned["level"] == "warning"
    assert warned["years"] == [this_year, this_year + 1]
    scraped = (await routing.get("/metrics")).text
    assert "\nmpp_holiday_calendar_missing 1.0\n" in scraped


async def test_a_makassar_citizen_applying_over_intakes_api_is_due_at_2359_wita(
    service_app, monkeypatch
):
    # Makassar takes a day off among the next working days: its due date moves, and the
    # working days left are counted without it.
    day_off = next_working_day(datetime.now(WITA).date())
    catalogue = eastern_catalogue(RegionDay(date=day_off, name=Text(id="Libur", en="Day off")))
    serve_catalogue(monkeypatch, catalogue)
    intake = await service_app("intake")
    citizen = await register(intake, nik=new_nik("7371"))
    makassar = await submit(intake, citizen, region="7371")
    mojokerto = await submit(intake, citizen, region="3576")
    assert makassar["sla_due_at"].endswith("T15:59:59Z")  # 23:59:59 WITA
    assert mojokerto["sla_due_at"].endswith("T16:59:59Z")  # 23:59:59 WIB
    shown = (
        await intake.get(f"/api/v1/applications/{makassar['id']}", headers=citizen.headers)
    ).json()
    assert shown["sla_due_at"] == makassar["sla_due_at"]
    due = datetime.fromisoformat(makassar["sla_due_at"])
    assert due.astimezone(WITA).date() == (
        catalogue.calendar_for("7371")
        .add_working_days(datetime.now(UTC), 14)
        .astimezone(WITA)
        .date()
    )
    assert shown["working_days_remaining"] == 14  # KTP-el's SLA, Makassar's day off not counted
    # the same count in Makassar's zone with its day off counted: one more
    counted_off = WorkingCalendar(zone=WITA, days_off=frozenset())
    assert counted_off.working_days_remaining(datetime.now(UTC), due) == 15


def next_working_day(today: date) -> date:
    day = today + timedelta(days=1)
    while not NATIONAL.is_working_day(day):
        day += timedelta(days=1)
    return day
