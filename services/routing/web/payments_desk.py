"""The workbench's reconciliation page: a region's finance officer imports the day's
settlement file or picks a day already imported, reads the findings in plain words
(:mod:`services.routing.web.finance_words`: what each means and what to do), the totals
settled per service and agency, and marks a finding handled with a note.

Like every workbench page it goes through routing's own API with the officer's token
(:mod:`services.routing.payments.reconciliation_api`), so the region the token is bound
to is the only one the page can show or change, and marking is audited there. Anyone
else signed in to the workbench (an agency officer) is told the page is not theirs.
"""

from datetime import date
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from services.routing.web.desk import WORKBENCH, Desk, Workbench
from services.routing.web.finance_words import BILL_STATES, CHANNELS, finding_words
from shared.web import checked_form, language

__all__ = ["PAYMENTS_PAGE", "payments_desk_router"]

payments_desk_router = APIRouter(include_in_schema=False)

PAYMENTS_PAGE = "/workbench/payments"
_API = "/api/v1/payments/reconciliation"
_FILE_LIMIT = 5 * 1024 * 1024
NOT_FINANCE = (
    "Halaman ini khusus petugas keuangan wilayah / This page is for a region's finance "
    "officer only."
)


@payments_desk_router.get(PAYMENTS_PAGE)
async def payments(request: Request, desk: Desk, date: str | None = None) -> Response:
    return await _page(request, desk, _day(date), None)


@payments_desk_router.post(f"{PAYMENTS_PAGE}/imports")
async def import_file(request: Request, desk: Desk) -> Response:
    """The uploaded settlement file, reconciled for the officer's region."""
    form = await checked_form(request)
    upload = form.get("file")
    raw = await upload.read(_FILE_LIMIT + 1) if isinstance(upload, UploadFile) else b""
    if not raw:
        return await _page(request, desk, None, "Pilih berkasnya dulu / Choose the file first.")
    if len(raw) > _FILE_LIMIT:
        return await _page(request, desk, None, "Berkas lebih dari 5 MB / The file is over 5 MB.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return await _page(request, desk, None, "Berkas bukan CSV UTF-8 / Not a UTF-8 CSV file.")
    async with WORKBENCH.api(request) as api:
        answer = await api.post(f"{_API}/imports", json={"csv": text})
    if answer.status_code == 401:
        return desk.sign_in_first(request)
    if answer.status_code != 200:
        return await _page(request, desk, None, _problem(answer))
    query = urlencode({"date": answer.json()["date"], "imported": "1"})
    return desk.pages.redirect(request, f"{PAYMENTS_PAGE}?{query}")


@payments_desk_router.post(PAYMENTS_PAGE + "/findings/{finding_id}/handled")
async def mark_handled(request: Request, finding_id: str, desk: Desk) -> Response:
    """The finding marked handled with the officer's note; the same day's page again."""
    form = await checked_form(request)
    day = _day(str(form.get("date", "")))
    note = str(form.get("note", "")).strip()
    if not note:
        error = "Tulis catatan penanganannya dulu / Write what was done first."
        return await _page(request, desk, day, error)
    async with WORKBENCH.api(request) as api:
        answer = await api.post(f"{_API}/findings/{finding_id}/handled", json={"note": note})
    if answer.status_code == 401:
        return desk.sign_in_first(request)
    if answer.status_code != 200:
        return await _page(request, desk, day, _problem(answer))
    query = urlencode({"date": (day or date.today()).isoformat(), "handled": finding_id})
    return desk.pages.redirect(request, f"{PAYMENTS_PAGE}?{query}#finding-{finding_id}")


async def _page(request: Request, desk: Workbench, day: date | None, error: str | None) -> Response:
    async with WORKBENCH.api(request) as api:
        read = await _read(api, day)
    if read.status_code == 401:
        return desk.sign_in_first(request)
    if read.status_code == 403:
        return await desk.render(request, "payments.html", 403, refused=NOT_FINANCE)
    context = _context(read.json(), language(request) == "en", desk)
    status = 422 if error else 200
    return await desk.render(request, "payments.html", status, error=error, **context)


async def _read(api: httpx.AsyncClient, day: date | None) -> httpx.Response:
    """The day asked for; else the latest day imported for the region (else today)."""
    read = await api.get(_API, params={"date": (day or date.today()).isoformat()})
    if day is None and read.status_code == 200 and read.json()["imported_days"]:
        latest = read.json()["imported_days"][0]
        read = await api.get(_API, params={"date": latest})
    return read


def _context(found: dict[str, Any], english: bool, desk: Workbench) -> dict[str, Any]:
    """The page's figures with every code in words."""
    catalogue = desk.catalogue

    def service(code: str | None) -> str:
        known = catalogue.service(code) if code else None
        return (known.name.en if english else known.name.id) if known else (code or "—")

    def agency(code: str | None) -> str:
        known = catalogue.agency(code) if code else None
        return (known.name.en if english else known.name.id) if known else (code or "—")

    findings = [
        {
            **item,
            "words": finding_words(item["kind"], item["reason"]),
            "channel_words": CHANNELS.get(item["channel"], (item["channel"],) * 2),
            "bill_state_words": BILL_STATES.get(item.get("bill_state") or "", None),
            "service_name": service(item.get("service")),
            "agency_name": agency(item.get("agency")),
        }
        for item in found["findings"]
    ]
    totals = [
        {**row, "service_name": service(row["service"]), "agency_name": agency(row["agency"])}
        for row in found["totals"]
    ]
    region = catalogue.region(found["region"])
    return {
        "day": date.fromisoformat(found["date"]),
        "imported_days": [date.fromisoformat(d) for d in found["imported_days"]],
        "imported_at": found["imported_at"],
        "findings": findings,
        "open_findings": sum(1 for f in findings if not f.get("handled")),
        "totals": totals,
        "region": found["region"],
        "region_name": region.name if region else found["region"],
    }


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _problem(answer: httpx.Response) -> str:
    try:
        problem: dict[str, Any] = answer.json()
    except ValueError:
        return "Tidak berhasil; coba lagi / It did not work; try again."
    return f"{problem.get('title')}: {problem.get('detail')}"
