"""Structured logging for every service.

Readable in a terminal, one JSON object per line otherwise. Ids bound with
:func:`bind_ids` (``correlation_id``, ``application_id``) appear on every line logged in
that context. Standard-library loggers (uvicorn, FastStream, aiokafka) go through the
same processors, so their lines are JSON too and pass through redaction.

Personal data must never be logged (UU PDP 27/2022). Code does not log it, and
:func:`redact_personal_data` is the net under that rule: values of personal-data keys are
replaced, and NIK-like numbers, e-mail addresses and phone numbers inside any string are
masked.
"""

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["bind_ids", "configure_logging", "redact_personal_data"]

_PERSONAL_KEYS = frozenset(
    {
        "nik",
        "name",
        "full_name",
        "email",
        "phone",
        "password",
        "address",
        "birth_date",
        "mother_name",
        "family_card_number",
        "child_name",
    }
)
_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?<![\w])(?:\+62|62|0)8\d{7,12}(?!\d)")
REDACTED = "[redacted]"


def _mask(text: str) -> str:
    text = _NIK.sub("[nik]", text)
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub("[phone]", text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _mask(value)
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in _PERSONAL_KEYS else _scrub(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the last line of defence for personal data."""
    for key in list(event_dict):
        if key.lower() in _PERSONAL_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def bind_ids(**ids: str | None) -> None:
    """Bind ids (correlation_id, application_id, ...) to every log line in this context."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in ids.items() if v is not None})


def configure_logging(service: str, level: str = "INFO", fmt: str = "auto") -> None:
    json_output = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_personal_data,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_processors,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for own_handlers in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's default config gives these loggers their own unredacted handlers.
        logger = logging.getLogger(own_handlers)
        logger.handlers.clear()
        logger.propagate = True
    for noisy in ("aiokafka", "pymongo", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    structlog.contextvars.bind_contextvars(service=service)
