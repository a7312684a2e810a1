"""The console's rows of a record's data: a sealed value reads as a word, never its
ciphertext; once opened, the values that were sealed come first, wherever they sit."""

from services.audit.web.fields import Row, shown

SEALED = "pdp1.citizen-7.c2VhbGVk"


def _entry(seq: int, data: dict) -> dict:
    return {"seq": seq, "event": {"type": "application.submitted", "data": data}}


def test_a_sealed_value_is_a_personal_row_that_reads_sealed_and_the_rest_is_data():
    [one] = shown([_entry(1, {"applicant_sealed": SEALED, "service": "skck", "form": None})])
    assert one.personal == [Row("applicant_sealed", "sealed")]
    assert one.other == [Row("service", "value", "skck"), Row("form", "value", "-")]
    assert "pdp1." not in repr(one.personal + one.other)


def test_opened_values_take_the_places_the_stored_record_sealed():
    stored = [_entry(1, {"applicant_sealed": SEALED, "channels": ["email", "sms"]})]
    opened = [
        _entry(1, {"applicant_sealed": {"nik": "3576", "name": "Siti"}, "channels": ["email"]})
    ]
    [one] = shown(opened, stored)
    assert one.personal == [
        Row("applicant_sealed.nik", "value", "3576"),
        Row("applicant_sealed.name", "value", "Siti"),
    ]
    assert one.other == [Row("channels", "value", "email")]


def test_an_erased_value_reads_erased_and_a_record_that_is_no_event_has_no_rows():
    [erased, broken] = shown([_entry(1, {"email": "[erased]"}), {"seq": 2, "event": "{"}])
    assert erased.personal == [Row("email", "erased")]
    assert broken.personal == broken.other == []
