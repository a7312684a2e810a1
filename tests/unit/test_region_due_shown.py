"""A Makassar application's due date as people read it: intake counts it in WITA, and the
citizen's notice and page write it in WITA with the zone's name — and a zone a region
declares itself wins over its province's, in the notice as in the due date."""

from datetime import UTC, datetime, time

from services.intake.submissions import submit
from services.intake.web.applications import application_page
from services.intake.web.deps import Page
from services.notify.templates import StatusNotice, render_status
from shared.catalogue import Catalogue
from shared.i18n.zones import WITA
from tests.regions import eastern_catalogue
from tests.unit.test_intake_handlers import Wired, answered
from tests.unit.test_portal_words import _application, _page

DUE = datetime(2026, 11, 27, 15, 59, 59, tzinfo=UTC)  # Friday 23:59:59 WITA


def declaring(code: str, zone: str) -> Catalogue:
    """The eastern catalogue where region ``code`` declares ``zone`` itself."""
    catalogue = eastern_catalogue()
    regions = [
        r.model_copy(update={"zone": zone}) if r.code == code else r for r in catalogue.regions
    ]
    return catalogue.model_copy(update={"regions": regions})


def notice(region: str) -> StatusNotice:
    return StatusNotice(
        status="in_review",
        tracking_number="7371-261106-0001",
        service="ktp-el",
        region=region,
        sla_due_at=DUE,
    )


def test_a_makassar_notice_gives_the_due_time_in_wita_with_the_zones_name():
    indonesian = render_status(notice("7371"), "id")
    english = render_status(notice("7371"), "en")
    assert "Target selesai: Jumat, 27 November 2026 pukul 23.59 WITA." in indonesian.text
    assert "Due by: Friday, 27 November 2026 at 23:59 WITA." in english.text
    # the same moment for a Mojokerto application reads in WIB, an hour earlier
    assert "pukul 22.59 WIB" in render_status(notice("3576"), "id").text


def test_a_notice_uses_the_zone_a_region_declares_over_its_provinces(monkeypatch):
    monkeypatch.setattr(
        "services.notify.templates.served_catalogue", lambda: declaring("3576", "WITA")
    )
    assert "pukul 23.59 WITA" in render_status(notice("3576"), "id").text


def test_the_citizens_page_gives_a_makassar_due_date_in_wita_with_the_zones_name():
    item = _application("in_review", region="7371") | {"sla_due_at": DUE.isoformat()}
    page = _page("id")
    shown = Page(page.request, page.pages, eastern_catalogue())
    html = application_page(shown, item, {}, region="7371").body.decode()
    assert "batas waktu layanan Jumat, 27 November 2026 pukul 23.59 WITA" in html


async def test_a_counter_application_in_makassar_is_due_at_the_end_of_a_day_in_wita():
    wired = Wired()
    catalogue = eastern_catalogue()
    command = wired.command(region="7371", channel="counter", operator_id="officer-1")
    accepted = await answered(
        submit(command, catalogue=catalogue, personal=wired.personal, commits=wired.commits)
    )
    document = wired.applications.stored[accepted.id]
    assert document["sla_due_at"] == accepted.sla_due_at
    assert accepted.sla_due_at.astimezone(UTC).time() == time(15, 59, 59)
    assert accepted.sla_due_at.astimezone(WITA).time() == time(23, 59, 59)
    expected = catalogue.calendar_for("7371").add_working_days(document["submitted_at"], 14)
    assert accepted.sla_due_at == expected
