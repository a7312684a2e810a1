"""Personal data never reaches a log line."""

import json
import logging

import structlog

from shared.logging import configure_logging, redact_personal_data


def test_personal_data_keys_are_replaced():
    event = redact_personal_data(
        None, "info", {"event": "x", "nik": "3576014501900001", "email": "a@b.id", "ok": 1}
    )
    assert event == {"event": "x", "nik": "[redacted]", "email": "[redacted]", "ok": 1}


def test_nik_email_and_phone_inside_free_text_are_masked():
    event = redact_personal_data(
        None,
        "info",
        {"event": "citizen 3576014501900001 wrote from budi@example.id, call 081234567890"},
    )
    assert event["event"] == "citizen [nik] wrote from [email], call [phone]"


def test_nested_structures_are_scrubbed():
    event = redact_personal_data(
        None, "info", {"event": "x", "form": {"name": "Budi", "note": "+6281234567890"}}
    )
    assert event["form"] == {"name": "[redacted]", "note": "[phone]"}


def test_log_lines_from_structlog_and_the_standard_library_are_json_and_redacted(capsys):
    configure_logging("test", "INFO", "json")
    structlog.get_logger("t").info("submitted", nik="3576014501900001")
    logging.getLogger("uvicorn.error").warning("peer 3576014501900001 rejected")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["nik"] == "[redacted]"
    assert lines[0]["service"] == "test"
    assert lines[1]["event"] == "peer [nik] rejected"
    assert "3576014501900001" not in json.dumps(lines)
