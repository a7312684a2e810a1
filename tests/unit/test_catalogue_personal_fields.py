"""The catalogue says which form answers are about a person, so intake seals them."""

import pytest
from pydantic import ValidationError

from shared.catalogue import Service, load_catalogue

FORM = {
    "type": "object",
    "properties": {"deceased_nik": {"type": "string", "personal": True}, "reason": {}},
}


def service(form: dict) -> Service:
    return Service.model_validate(
        {
            "code": "contoh",
            "name": {"id": "Contoh", "en": "Example"},
            "agencies": {"*": "disdukcapil-3576"},
            "sla_working_days": 1,
            "fee_idr": 0,
            "requirements": {"id": [], "en": []},
            "documents": [],
            "form_version": 1,
            "form": form,
        }
    )


def test_fields_marked_personal_are_the_services_personal_fields():
    assert service(FORM).personal_fields == ("deceased_nik",)


def test_a_personal_mark_that_is_not_true_or_false_stops_the_catalogue_loading():
    with pytest.raises(ValidationError, match="'personal' is true or false"):
        service({"type": "object", "properties": {"nik": {"personal": "yes"}}})


def test_the_catalogue_marks_the_answers_that_name_other_people():
    catalogue = load_catalogue()
    marked = {s.code: set(s.personal_fields) for s in catalogue.services}
    assert "deceased_nik" in marked["akta-kematian"]
    assert "child_name" in marked["akta-kelahiran"]
    assert "destination_address" in marked["surat-pindah"]
    assert "family_card_number" in marked["kartu-keluarga"]
    assert marked["pajak-kendaraan"] == set()  # a plate number is service data
