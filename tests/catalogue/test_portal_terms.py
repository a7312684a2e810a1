"""The portal's service page shows the SLA and fee of the region the citizen chose."""

import re

from services.intake.web.applying import service_page
from shared.catalogue import load_catalogue
from tests.unit.test_portal_words import PROFILE, _page


def detail_with_terms() -> dict:
    service = load_catalogue().service("skck")
    assert service is not None
    return {
        "code": service.code,
        "name": service.name.model_dump(),
        "regions": ["7371", "9471", "3576"],
        "agencies": {},
        "fee_idr": 30000,
        "sla_working_days": 3,
        "terms": {
            "7371": {"sla_working_days": 1, "fee_idr": 30000, "counters": ["Loket SKCK"]},
            "9471": {"sla_working_days": 2, "fee_idr": 0, "counters": ["Loket SKCK"]},
        },
        "requirements": service.requirements.model_dump(),
        "documents": list(service.documents),
        "form_schema": service.form,
    }


def shown_terms(region: str) -> str:
    html = service_page(_page("id"), detail_with_terms(), region, {}, {}, PROFILE).body.decode()
    card = re.search(r"<strong>Biaya:</strong>(.*?)</p>", html, re.S)
    assert card is not None
    return " ".join(card.group(1).split())


def test_the_service_page_shows_the_chosen_regions_sla_and_fee():
    assert shown_terms("7371") == "Rp30.000 · <strong>Waktu penyelesaian:</strong> 1 hari kerja"
    assert shown_terms("9471") == "Gratis · <strong>Waktu penyelesaian:</strong> 2 hari kerja"


def test_a_region_without_terms_of_its_own_sees_the_national_ones():
    assert shown_terms("3576") == "Rp30.000 · <strong>Waktu penyelesaian:</strong> 3 hari kerja"
