"""Traces across the fleet: one trace from a citizen's request through every consumer.

Off unless ``MPP_OTLP_ENDPOINT`` is set: then nothing is instrumented and every helper
here returns at its first line. On, spans are exported over OTLP/HTTP (batched, in the
background) for:

* every HTTP request (OpenTelemetry's FastAPI instrumentation; span named by the route
  template; ``/metrics``, ``/healthz`` and ``/readyz`` left out; query strings dropped
  from the recorded URL), and every call made with httpx;
* every MongoDB command (the PyMongo instrumentation: command monitoring, which the
  async client emits too; the statements themselves are not recorded);
* every Kafka hop. A staged event keeps the trace it was staged in: the outbox stores
  its W3C ``traceparent`` with the event (:func:`traceparent_for`), because the relay
  publishes later, outside that request; the relay sends it as the record's
  ``traceparent`` header under a short "publish" span (:func:`outgoing_headers`); a
  consumer's poll is one "process" span (:func:`consuming`) continuing the trace of
  its first record and linking the others.

Batches: our consumers take a poll at a time and writers commit groups of requests
together, so "the current span" is not always the right parent for a staged event. The
context each application's work belongs to is therefore kept by application id
(:func:`for_subjects`; a record's key is its application id): an event staged for
application A continues A's trace, whichever batch it was handled in.

Kafka headers carry ``traceparent`` only (no baggage, no trace state): ids of spans,
never personal data.

FastStream's own ``KafkaTelemetryMiddleware`` is not used: for batch subscribers it
starts a new trace per poll (linked, not parented), and the relay publishes outside
the context the event was staged in.
"""

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from aiokafka import ConsumerRecord
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.settings import Settings

__all__ = [
    "capture",
    "configure_tracing",
    "consuming",
    "enabled",
    "for_subjects",
    "instrument_app",
    "outgoing_headers",
    "traceparent_for",
]

_propagator = TraceContextTextMapPropagator()
_tracer: Tracer | None = None
_by_subject: ContextVar[Mapping[str, Context] | None] = ContextVar(
    "mpp_trace_by_subject", default=None
)
_EXCLUDED = "/metrics$,/healthz$,/readyz$"


def enabled() -> bool:
    return _tracer is not None


def configure_tracing(service: str, settings: Settings) -> Any:
    """Set up export and instrumentation for this process; returns the tracer provider
    (``None`` when tracing is off). One service per process: the first call wins."""
    global _tracer
    if not settings.otlp_endpoint:
        return None
    if _tracer is not None:
        return trace.get_tracer_provider()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": f"mpp-{service}", "service.namespace": settings.namespace}
        )
    )
    endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    PymongoInstrumentor().instrument(tracer_provider=provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _tracer = provider.get_tracer("mpp")
    return provider


def instrument_app(app: Any, provider: Any) -> None:
    """Trace the app's HTTP requests (outermost, so every middleware is inside)."""
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=_EXCLUDED,
        server_request_hook=_drop_query,
        exclude_spans=["receive", "send"],
    )


def _drop_query(span: Any, scope: dict[str, Any]) -> None:
    """The recorded URL without its query string (a lookup form's fields)."""
    if span.is_recording():
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        span.set_attribute("http.url", f"{scope.get('scheme', 'http')}://{host}{scope['path']}")


def capture() -> Context | None:
    """The current context, to hand to work done later elsewhere (``None`` when off)."""
    return otel_context.get_current() if _tracer is not None else None


@contextlib.contextmanager
def for_subjects(contexts: Mapping[str, Context | None]) -> Iterator[None]:
    """Within the block, events staged for an application continue the trace in
    ``contexts`` under its id."""
    if _tracer is None:
        yield
        return
    known = {subject: ctx for subject, ctx in contexts.items() if ctx is not None}
    token = _by_subject.set({**(_by_subject.get() or {}), **known})
    try:
        yield
    finally:
        _by_subject.reset(token)


def traceparent_for(subject: str) -> str | None:
    """The ``traceparent`` an event about ``subject`` staged now belongs to."""
    if _tracer is None:
        return None
    ctx = (_by_subject.get() or {}).get(subject) or otel_context.get_current()
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=ctx)
    return carrier.get("traceparent")


def outgoing_headers(traceparent: str | None, topic: str) -> dict[str, str]:
    """Headers that carry a staged event's trace to its consumers; with tracing on, a
    short "publish" span in that trace marks when the relay sent it."""
    if traceparent is None:
        return {}
    if _tracer is None:  # staged by a process that traced: pass the trace on
        return {"traceparent": traceparent}
    parent = _propagator.extract({"traceparent": traceparent})
    span = _tracer.start_span(
        f"{topic} publish",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
    )
    span.end()
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    return {"traceparent": carrier["traceparent"]} if "traceparent" in carrier else {}


def _record_context(record: ConsumerRecord) -> Context | None:
    for key, value in record.headers or ():
        if key == "traceparent" and value:
            ctx = _propagator.extract({"traceparent": bytes(value).decode("latin-1")})
            if trace.get_current_span(ctx).get_span_context().is_valid:
                return ctx
    return None


@contextlib.contextmanager
def consuming(records: Sequence[ConsumerRecord], group: str) -> Iterator[None]:
    """One "process" span for a poll's records: a child of the first record's trace,
    linked to the others'; each application's events continue its own record's trace."""
    if _tracer is None or not records:
        yield
        return
    contexts = [(record, _record_context(record)) for record in records]
    traced = [(record, ctx) for record, ctx in contexts if ctx is not None]
    parent = traced[0][1] if traced else Context()
    links = [Link(trace.get_current_span(ctx).get_span_context()) for _, ctx in traced[1:]]
    topic = records[0].topic
    with _tracer.start_as_current_span(
        f"{topic} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        links=links,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": group,
            "messaging.batch.message_count": len(records),
        },
    ):
        here = otel_context.get_current()
        by_key = {record.key.decode(): ctx for record, ctx in traced[1:] if record.key}
        if traced and traced[0][0].key:
            by_key[traced[0][0].key.decode()] = here
        with for_subjects(by_key):
            yield
