"""The workbench's handlers, without a server: the agency API answers through
``httpx.MockTransport``, and the notes are kept in a list."""

import json
import re
from io import BytesIO
from types import SimpleNamespace
from typing import Any

import httpx
from starlette.datastructures import FormData, Headers, UploadFile

from services.routing.web.workbench_handlers import (
    AddNote,
    Missing,
    Moved,
    MoveFromWorkbench,
    NotMoved,
    QueueQuery,
    ShowApplication,
    SignedOut,
    Upload,
    add_note,
    application_page,
    move,
    queue_page,
    read_move,
)
from services.routing.web.workbench_signin import (
    NOT_AN_OFFICER,
    FailedSignIn,
    SignedIn,
    accept,
    failed,
)
from shared.settings import Settings
from shared.web.code_flow import CodeFlowFailed
from shared.web.code_flow import SignedIn as ProviderSignedIn

Handler = Any


def api(answer: Handler) -> httpx.AsyncClient:
    """The agency API, answering every request with ``answer(request)``."""
    return httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://self")


class Notes:
    def __init__(self) -> None:
        self.kept: list[dict[str, Any]] = []

    async def of(self, application_id: str, agency: str) -> list[dict[str, Any]]:
        return [n for n in self.kept if n["application_id"] == application_id]

    async def add(self, note: dict[str, Any]) -> None:
        self.kept.append(note)


CATALOGUE = SimpleNamespace(
    services=[
        SimpleNamespace(code="skck", name=SimpleNamespace(model_dump=lambda: {"id": "SKCK"}))
    ],
    service=lambda code: SimpleNamespace(
        applicant_fields=["name"],
        form={"properties": {"reason": {"title": "Alasan / Reason"}}},
        documents=["kartu_keluarga"],
    ),
    region=lambda code: SimpleNamespace(name="Kota Mojokerto") if code == "3576" else None,
)


def provider_signed_in(after: str = "/workbench/") -> ProviderSignedIn:
    return ProviderSignedIn(access_token="tok", expires_in=900, claims={}, after=after)


async def test_signing_in_keeps_the_token_once_the_agency_api_accepts_it():
    checked: list[tuple[str, str]] = []

    def as_officer(token: str) -> httpx.AsyncClient:
        def agency(request: httpx.Request) -> httpx.Response:
            checked.append((token, request.url.params["page_size"]))
            return httpx.Response(200, json={"items": []})

        return api(agency)

    outcome = await accept(provider_signed_in("/workbench/applications/a1"), as_officer)

    assert outcome == SignedIn("tok", 900, "/workbench/applications/a1")
    assert checked == [("tok", "1")]


async def test_signing_in_is_refused_with_a_reason_in_words_for_each_way_it_fails():
    def agency(answer: int | Exception) -> Any:
        def answering(_request: httpx.Request) -> httpx.Response:
            if isinstance(answer, Exception):
                raise answer
            return httpx.Response(answer, json={})

        return lambda _token: api(answering)

    citizen = await accept(provider_signed_in(), agency(403))
    down = await accept(provider_signed_in(), agency(httpx.ConnectError("down")))
    flows = [failed(CodeFlowFailed(r)) for r in ("access_denied", "expired", "refused")]
    unreachable = failed(CodeFlowFailed("unavailable"))

    assert citizen == FailedSignIn(403, NOT_AN_OFFICER)
    assert "bukan akun petugas instansi" in citizen.message
    assert (down.code, unreachable.code) == (503, 503)
    assert [f.code for f in flows] == [401, 401, 401]
    for outcome in (*flows, unreachable, down):
        indonesian, english = outcome.message.split(" / ")  # both languages
        assert indonesian.strip()
        assert english.strip()
        assert not re.search(r"\b[a-z]+_[a-z_]+\b|\b\d{3}\b", outcome.message)  # no key, no code


async def test_the_queue_asks_for_a_known_status_only_and_sends_a_refused_officer_back():
    asked: list[dict[str, str]] = []

    def agency(request: httpx.Request) -> httpx.Response:
        asked.append(dict(request.url.params))
        return httpx.Response(200, json={"items": [], "next_page": None, "page": 1})

    page = await queue_page(QueueQuery("nonsense", 0), api(agency), CATALOGUE)
    await queue_page(QueueQuery("needs_info", 2), api(agency), CATALOGUE)

    assert asked == [
        {"page": "1", "page_size": "50"},
        {"page": "2", "page_size": "50", "status": "needs_info"},
    ]
    assert isinstance(page, dict)
    assert page["status"] == "nonsense"
    assert page["names"] == {"skck": {"id": "SKCK"}}
    refused = api(lambda _request: httpx.Response(401))
    assert isinstance(await queue_page(QueueQuery(None, 1), refused, CATALOGUE), SignedOut)


async def test_the_application_page_shows_the_notes_the_links_and_the_issuing_moves():
    item = {
        "id": "app-1",
        "service": "skck",
        "agency": "polri",
        "applicant": {"name": "Siti"},
        "documents": [{"sha256": "b" * 64}],
        "allowed_next": ["in_review", "approved"],
        "results": [{"issued_at": "2026-11-27T17:30:00Z"}],
    }
    notes = Notes()
    await notes.add({"application_id": "app-1", "text": "cek KTP"})
    found = api(lambda _request: httpx.Response(200, json=item))

    page = await application_page(
        ShowApplication("app-1", officer="budi", language="en"),
        found,
        catalogue=CATALOGUE,
        notes=notes,
        settings=Settings(namespace="wb"),
    )

    assert isinstance(page, dict)
    assert page["notes"] == [{"application_id": "app-1", "text": "cek KTP"}]
    assert page["issuing"] == ["approved"]
    assert page["choices"] == [
        {"code": "reason", "label": "Reason"},  # the form's field, by its label
        {"code": "kartu_keluarga", "label": "Family card"},  # the document kind, named
    ]
    assert [row["value"] for row in page["applicant"]] == ["Siti"]
    link = page["links"]["b" * 64]
    assert link.fields["officer"] == "budi"
    assert "?" not in link.action  # the signature travels in the form's body, not the URL
    assert page["item"]["results"][0]["issued_at"].isoformat() == "2026-11-27T17:30:00+00:00"
    missing = api(lambda _request: httpx.Response(404, json={}))
    assert isinstance(
        await application_page(
            ShowApplication("x"), missing, catalogue=CATALOGUE, notes=notes, settings=None
        ),
        Missing,
    )


async def test_the_transition_form_reads_what_is_missing_ticked_and_typed():
    pdf = UploadFile(
        BytesIO(b"%PDF"), filename="hasil.pdf", headers=Headers({"content-type": "application/pdf"})
    )
    form = FormData(
        [
            ("to", "needs_info"),
            ("note", "  "),
            ("requested", "ktp"),
            ("requested", " "),
            ("requested_other", "kk, akta ,"),
            ("key", "k-1"),
            ("result", pdf),
        ]
    )
    command = await read_move("app-1", form)
    assert command == MoveFromWorkbench(
        "app-1",
        "needs_info",
        None,
        ["ktp", "kk", "akta"],
        "k-1",
        Upload("hasil.pdf", b"%PDF", "application/pdf"),
    )
    assert (await read_move("app-1", FormData([("to", "received")]))).key  # a fresh key


async def test_a_result_document_is_uploaded_then_issued_with_the_change():
    calls: list[tuple[str, Any]] = []

    def agency(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/results"):
            calls.append(("upload", request.headers["content-type"].split(";")[0]))
            return httpx.Response(201, json={"sha256": "c" * 64, "code": "RES-1"})
        calls.append(("transition", json.loads(request.content)))
        assert request.headers["idempotency-key"] == "k-1"
        return httpx.Response(200, json={})

    upload = Upload("hasil.pdf", b"%PDF", "application/pdf")
    moved = await move(
        MoveFromWorkbench("app-1", "approved", "selesai", [], "k-1", upload), api(agency)
    )

    assert moved == Moved("app-1", "approved", "RES-1")
    assert moved.location == "/workbench/applications/app-1?moved=approved&issued=RES-1"
    assert calls == [
        ("upload", "multipart/form-data"),
        ("transition", {"to": "approved", "note": "selesai", "results": ["c" * 64]}),
    ]


async def test_a_change_the_agency_api_refuses_says_why_and_nothing_is_uploaded_out_of_turn():
    sent: list[str] = []

    def agency(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(409, json={"title": "Tidak diizinkan", "detail": "received → x"})

    upload = Upload("hasil.pdf", b"%PDF", None)
    early = await move(MoveFromWorkbench("app-1", "in_review", None, [], "k", upload), api(agency))
    refused = await move(MoveFromWorkbench("app-1", "needs_info", None, ["kk"], "k"), api(agency))
    signed_out = api(lambda _request: httpx.Response(401, json={}))
    gone = await move(MoveFromWorkbench("app-1", "in_review", None, [], "k"), signed_out)

    assert isinstance(early, NotMoved)
    assert "menyetujui atau menyelesaikan" in early.error
    assert refused == NotMoved("received → x")
    assert sent == ["/api/v1/agency/applications/app-1/transitions"]
    assert isinstance(gone, SignedOut)


async def test_a_note_is_kept_for_the_agency_the_agency_api_names():
    notes = Notes()
    officer = SimpleNamespace(subject="budi", name="Budi")
    found = api(lambda _request: httpx.Response(200, json={"agency": "polri"}))

    assert await add_note(AddNote("app-1", "cek KTP", officer), found, notes) is None
    assert await add_note(AddNote("app-1", "", officer), found, notes) is None
    refused = api(lambda _request: httpx.Response(404, json={}))
    assert isinstance(await add_note(AddNote("app-9", "x", officer), refused, notes), SignedOut)

    [note] = notes.kept
    assert {k: note[k] for k in ("application_id", "agency", "officer", "text")} == {
        "application_id": "app-1",
        "agency": "polri",
        "officer": "budi",
        "text": "cek KTP",
    }
