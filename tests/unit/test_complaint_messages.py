"""What a complaint notice says, drawn without a broker: every move in Bahasa Indonesia
first and English after, the time in words in the region's zone, the thread's link, and
never a state name, a service code or an ISO time — a complaint about the building names
the region's MPP."""

import re
from datetime import UTC, datetime

import pytest

from services.notify.complaint_messages import ComplaintMoment, render_complaint_notice
from shared.catalogue.live import served_catalogue

AT = datetime(2026, 12, 7, 3, 18, tzinfo=UTC)  # 10.18 WIB, 11.18 WITA
LINK = "https://mpp.example.go.id/portal/complaints#c-1"
ISO = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}")


def moment(move: str, **fields) -> ComplaintMoment:
    base = {"kind": "pengaduan", "region": "3576", "service": "skck", "at": AT, "link": LINK}
    return ComplaintMoment(move=move, **(base | fields))


MOVES = {
    "answered": {"answer": "Loket buka lagi besok.", "close_due_at": AT},
    "tracked": {"lapor_status": "diproses", "tracking_id": "LPR-000007"},
    "escalated": {"step": "answer", "due_at": AT},
    "closed": {},
}


@pytest.mark.parametrize("move", list(MOVES))
def test_every_move_says_it_in_indonesian_then_english_with_the_time_in_words(move):
    rendered = render_complaint_notice(moment(move, **MOVES[move]))
    indonesian, english = rendered.text.split("\n\n")
    assert "Senin, 7 Desember 2026 pukul 10.18 WIB" in indonesian
    assert "Monday, 7 December 2026 at 10:18 WIB" in english
    assert indonesian.count(LINK) == english.count(LINK) == 1
    assert rendered.link == LINK
    assert not ISO.search(rendered.text)
    assert move not in rendered.text.split(LINK)[0].lower().split()  # no state name
    assert " skck" not in rendered.text  # the service by its name


def test_a_complaint_about_the_building_names_the_region_s_mpp_not_a_code():
    mpp = served_catalogue().region("3576").mpp
    rendered = render_complaint_notice(
        moment("answered", service="mpp", about="building", answer="Toilet sudah diperbaiki.")
    )
    assert f"tentang gedung {mpp}" in rendered.text
    assert f"about the {mpp} building" in rendered.text
    assert "layanan mpp" not in rendered.text.lower()


def test_lapor_s_own_status_is_said_in_words_and_with_its_number():
    rendered = render_complaint_notice(moment("tracked", **MOVES["tracked"]))
    assert "sedang diproses oleh SP4N-LAPOR! (nomor LPR-000007)" in rendered.text
    assert "being handled by SP4N-LAPOR! (number LPR-000007)" in rendered.text
