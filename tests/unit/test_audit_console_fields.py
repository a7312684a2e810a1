"""The console's personal rows of a record: a sealed value reads as a word, never its
ciphertext; once opened, the plain values take the places the stored record sealed."""

from services.audit.web.fields import Row, personal_rows

SEALED = "pdp1.citizen-7.c2VhbGVk"


def _entry(seq: int, data: dict) -> dict:
    return {"seq": seq, "event": {"type": "application.submitted", "data": data}}


def test_a_sealed_value_reads_sealed_and_a_record_without_one_has_no_rows():
    rows = personal_rows(
        [_entry(1, {"applicant_sealed": SEALED, "service": "skck"}), _entry(2, {"x": "y"})]
    )
    assert rows == {1: [Row("applicant_sealed", "sealed")]}
    assert "pdp1." not in repr(rows)


def test_opened_values_take_the_places_the_stored_record_sealed():
    stored = [_entry(1, {"applicant_sealed": SEALED, "form": {"child_name": SEALED}})]
    opened = [
        _entry(
            1,
            {"applicant_sealed": {"nik": "3576", "name": "Siti"}, "form": {"child_name": "Ayu"}},
        )
    ]
    assert personal_rows(opened, stored) == {
        1: [
            Row("applicant_sealed.nik", "value", "3576"),
            Row("applicant_sealed.name", "value", "Siti"),
            Row("form.child_name", "value", "Ayu"),
        ]
    }


def test_an_erased_value_reads_erased_and_a_record_that_is_no_event_has_no_rows():
    rows = personal_rows([_entry(1, {"email": "[erased]"}), {"seq": 2, "event": "{"}])
    assert rows == {1: [Row("email", "erased")]}
