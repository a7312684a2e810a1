"""One trace follows a citizen's submission from intake's HTTP request to every consumer.

The services run as their own processes with ``MPP_OTLP_ENDPOINT`` pointing at a small
OTLP/HTTP receiver in the test, so spans go the way they do in production: batched,
exported over HTTP, from each process.
"""

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from shared.topics import Topics
from tests.e2e.helpers import eventually, register, submit

# Ours, and FastStream's own (the content type and a random message correlation id).
KAFKA_HEADERS = {
    "event-type",
    "event-id",
    "correlation-id",
    "traceparent",
    "content-type",
    "correlation_id",
}
TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]


class Receiver(ThreadingHTTPServer):
    spans: list[Span]


class _OtlpHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.server.spans.append(
                        Span(
                            service=resource.get("service.name", ""),
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            attributes={
                                a.key: a.value.string_value or a.value.int_value
                                for a in span.attributes
                            },
                        )
                    )
        body = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), _OtlpHandler)
    server.spans = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


async def test_one_trace_spans_the_request_the_routing_and_the_notify_consumers(
    receiver, platform, stack_env
):
    # the receiver first: it outlives the services, which export their last spans as
    # they stop (to a closed receiver, each would retry its export for half a minute)
    running = platform(
        "intake",
        "routing",
        "notify",
        MPP_OTLP_ENDPOINT=f"http://127.0.0.1:{receiver.server_address[1]}",
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    async with httpx.AsyncClient(base_url=running.url("intake")) as client:
        citizen = await register(client)
        accepted = await submit(client, citizen)

    def request_span() -> Span | None:
        return next(
            (
                s
                for s in receiver.spans
                if s.service == "mpp-intake" and s.name == "POST /api/v1/applications"
            ),
            None,
        )

    async def the_request() -> Span | None:
        return request_span()

    request = await eventually(the_request, timeout=15)
    topics = Topics(stack_env["MPP_NAMESPACE"])

    def in_trace(service: str, name: str) -> list[Span]:
        return [
            s
            for s in receiver.spans
            if s.trace_id == request.trace_id and s.service == service and s.name == name
        ]

    async def consumers() -> bool:
        return bool(
            in_trace("mpp-routing", f"{topics.submitted} process")
            and in_trace("mpp-notify", f"{topics.status} process")
        )

    await eventually(consumers, timeout=20)
    trace = [s for s in receiver.spans if s.trace_id == request.trace_id]
    by_id = {s.span_id: s for s in trace}
    routed = in_trace("mpp-routing", f"{topics.submitted} process")[0]
    notified = in_trace("mpp-notify", f"{topics.status} process")[0]
    # The chain: request → intake's relay publishes → routing consumes, writes, relays →
    # notify consumes.
    assert by_id[routed.parent_id].name == f"{topics.submitted} publish"

    def ancestors(span: Span) -> list[str]:
        chain = []
        while span.parent_id in by_id:
            span = by_id[span.parent_id]
            chain.append(span.span_id)
        return chain

    # The publish descends from the request (directly, or through a span the request
    # opened on the way, such as the group commit's).
    assert request.span_id in ancestors(by_id[routed.parent_id])
    assert by_id[notified.parent_id].service == "mpp-routing"
    mongo = [s for s in trace if s.attributes.get("db.system") == "mongodb"]
    assert {s.service for s in mongo} >= {"mpp-intake", "mpp-routing", "mpp-notify"}
    # The command's name only, never its documents or filters.
    assert all(len(str(s.attributes.get("db.statement", "")).split()) <= 1 for s in mongo)
    assert "?" not in str(request.attributes.get("http.url", ""))

    # On the wire: the record intake published carries the trace, and only ids.
    consumer = AIOKafkaConsumer(
        topics.submitted,
        bootstrap_servers=stack_env["MPP_KAFKA_BOOTSTRAP"],
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5_000)
        records = [r for partition in batch.values() for r in partition]
    finally:
        await consumer.stop()
    record = next(r for r in records if r.key == accepted["id"].encode())
    headers = dict(record.headers)
    assert set(headers) <= KAFKA_HEADERS, headers
    traceparent = headers["traceparent"].decode()
    assert TRACEPARENT.fullmatch(traceparent), traceparent
    assert traceparent.split("-")[1] == request.trace_id
    assert not any(citizen.nik.encode() in value or b"@" in value for value in headers.values())
