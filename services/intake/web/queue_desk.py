"""The kiosk's and the counter officer's pages (``/antrean/kios``, ``/antrean/loket``):
thin — each reads a form, calls intake's queue API as the signed-in kiosk or officer
(:mod:`services.intake.web.queue_signin`) and renders what comes back, so a page goes
through exactly the checks an API client does (the region is the token's).
"""

import uuid
from datetime import date, datetime, time, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Query
from fastapi.responses import Response
from markupsafe import Markup

from services.intake.deps import parts
from services.intake.web.queue_signin import QUEUE_AREA, Staff, StaffDep
from shared.catalogue import Catalogue
from shared.web import checked_form

__all__ = ["PRIORITY_REASONS", "queue_desk_router", "queued_services", "ticket_view"]

queue_desk_router = APIRouter(include_in_schema=False)

PRIORITY_REASONS = {
    "lansia": ("Lansia", "Elderly"),
    "disabilitas": ("Penyandang disabilitas", "Person with a disability"),
    "hamil": ("Ibu hamil", "Pregnant woman"),
    "anak": ("Orang tua dengan anak kecil", "Parent with a small child"),
}
"""Who the priority lane is for (UU 25/2009); any of them seats the ticket in lane P."""

_STEPS = {"selesai": "served", "tidak-hadir": "no-show"}
_DONE_WORDS = {
    "served": ("selesai dilayani", "served"),
    "no-show": ("tidak hadir", "did not come"),
    "transfer": ("dialihkan ke layanan lain", "moved to another service"),
}
_NOBODY = ("Tidak ada yang menunggu untuk layanan ini", "Nobody is waiting for these services")


def queued_services(catalogue: Catalogue, region: str) -> list[dict[str, str]]:
    """The region's queued services in its package's order, with their names."""
    found = []
    for rules in catalogue.queues:
        service = catalogue.service(rules.service) if rules.region == region else None
        if service is not None:
            found.append({"code": service.code, "id": service.name.id, "en": service.name.en})
    return found


def _problem_words(answer: Any) -> str:
    """A refusal's title and what to do ("Bahasa Indonesia / English"), never its status
    code."""
    try:
        problem = answer.json()
    except ValueError:
        problem = {}
    title = problem.get("title") or "Permintaan tidak dapat diproses / The request failed"
    detail = problem.get("detail")
    return f"{title}. {detail}" if isinstance(detail, str) and " / " in detail else str(title)


def ticket_view(answered: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """The API's ticket with its day and times as values the page's filters read (the
    slot's start too, so it is shown with its zone)."""
    day = date.fromisoformat(answered["date"])
    survey = answered.get("survey_url")
    return {
        **answered,
        "survey_qr": _survey_qr(survey) if survey else None,
        "date": day,
        "slot_at": datetime.combine(day, time.fromisoformat(answered["slot"]), zone),
        "checked_in_at": datetime.fromisoformat(answered["checked_in_at"]),
    }


def _survey_qr(link: str) -> Markup:
    """A walk-in's survey link as a QR code on the ticket, for the phone's camera."""
    title = "Survei kepuasan / Satisfaction survey"
    return Markup(segno.make(link, error="m").svg_inline(scale=3, title=title))  # noqa: S704


def _ticket_page(staff: Staff, answered: dict[str, Any]) -> Response:
    zone = staff.page.catalogue.zone_of(staff.region)
    return _render(staff, "antrean_tiket.html", ticket=ticket_view(answered, zone))


def _render(staff: Staff, template: str, code: int = 200, **context: Any) -> Response:
    catalogue = staff.page.catalogue
    region = next((r for r in catalogue.regions if r.code == staff.region), None)
    counter = str(context.get("counter") or "")
    return staff.page.render(
        template,
        code,
        staff=staff.person,
        region=staff.region,
        region_name=region.name if region else staff.region,
        services=queued_services(catalogue, staff.region),
        reasons=PRIORITY_REASONS,
        counters=catalogue.counters_of(staff.region),
        declared=catalogue.queue_counter(staff.region, counter) if counter else None,
        **context,
    )


def _kiosk_page(staff: Staff, code: int = 200, **context: Any) -> Response:
    return _render(staff, "antrean_kios.html", code, walk_in_key=str(uuid.uuid4()), **context)


@queue_desk_router.get("/antrean/kios")
async def kiosk(staff: StaffDep) -> Response:
    if not staff.has("queue_kiosk"):
        return staff.sign_in_first() if staff.person is None else staff.refused()
    return _kiosk_page(staff)


@queue_desk_router.post("/antrean/kios/check-in")
async def kiosk_check_in(staff: StaffDep) -> Response:
    """The booking code typed, or scanned from its QR code (the scanner types it)."""
    form = await checked_form(staff.page.request)
    if not staff.has("queue_kiosk"):
        return staff.sign_in_first() if staff.person is None else staff.refused()
    code = "".join(str(form.get("code", "")).split()).upper()[:16]
    body = {"code": code, "priority": form.get("priority", "") in PRIORITY_REASONS}
    async with QUEUE_AREA.api(staff.page.request) as api:
        answer = await api.post("/api/v1/queue/check-ins", json=body)
    if answer.status_code == 401:  # signed out, disabled since, or expired
        return staff.sign_in_first()
    if answer.status_code in (200, 201):
        return _ticket_page(staff, answer.json())
    return _kiosk_page(staff, 422, check_in_error=_problem_words(answer), typed=code)


@queue_desk_router.post("/antrean/kios/walk-in")
async def kiosk_walk_in(staff: StaffDep) -> Response:
    """A walk-in's ticket; the form's own key goes as the Idempotency-Key, so the same
    form sent twice asks for one ticket."""
    form = await checked_form(staff.page.request)
    if not staff.has("queue_kiosk"):
        return staff.sign_in_first() if staff.person is None else staff.refused()
    body = {
        "service": str(form.get("service", ""))[:64],
        "priority": form.get("priority", "") in PRIORITY_REASONS,
    }
    key = str(form.get("key", ""))[:64] or str(uuid.uuid4())
    async with QUEUE_AREA.api(staff.page.request) as api:
        answer = await api.post(
            "/api/v1/queue/walk-ins", json=body, headers={"Idempotency-Key": key}
        )
    if answer.status_code == 401:  # signed out, disabled since, or expired
        return staff.sign_in_first()
    if answer.status_code in (200, 201):
        return _ticket_page(staff, answer.json())
    return _kiosk_page(staff, 422, walk_in_error=_problem_words(answer))


def _counter_query(counter: str, services: list[str], **more: str) -> str:
    return urlencode([("loket", counter), *(("layanan", s) for s in services), *more.items()])


async def _called(staff: Staff, ticket: str | None, counter: str) -> dict[str, Any] | None:
    """The ticket this counter called and has not finished (read, never changed here)."""
    if not ticket:
        return None
    found = await parts(staff.page.request).hall.tickets.find(staff.region, ticket[:64])
    if found is None or found.get("status") != "called" or found.get("counter") != counter:
        return None
    return {**found, "id": found["_id"]}


@queue_desk_router.get("/antrean/loket")
async def counter(
    staff: StaffDep,
    loket: str = "",
    layanan: Annotated[list[str] | None, Query()] = None,
    tiket: str | None = None,
    hasil: str | None = None,
    nomor: str | None = None,
    kosong: bool = False,
) -> Response:
    """The counter: chosen among the region's declared counters, its services,
    "Panggil berikutnya", and the called ticket with Selesai, Tidak hadir and Alihkan."""
    if not staff.has("counter_officer"):
        return staff.sign_in_first() if staff.person is None else staff.refused()
    chosen = list(layanan or [])
    done = _DONE_WORDS.get(hasil or "")
    return _render(
        staff,
        "antrean_loket.html",
        counter=loket[:32],
        chosen=chosen,
        called=await _called(staff, tiket, loket[:32]),
        done=(nomor[:8], *done) if done and nomor else None,
        nobody=_NOBODY if kosong else None,
    )


@queue_desk_router.post("/antrean/loket/panggil")
async def call_next(staff: StaffDep) -> Response:
    form = await checked_form(staff.page.request)
    if not staff.has("counter_officer"):
        return staff.sign_in_first() if staff.person is None else staff.refused()
    counter = str(form.get("loket", "")).strip().lower()[:32]
    services = [str(s) for s in form.getlist("layanan")][:20]
    body = {"counter": counter, "services": services or None}  # none ticked: all its own
    async with QUEUE_AREA.api(staff.page.request) as api:
        answer = await api.post("/api/v1/queue/calls", json=body)
    if answer.status_code == 401:
        return staff.sign_in_first()
    if answer.status_code == 200:
        query = _counter_query(counter, services, tiket=answer.json()["id"])
    elif answer.status_code == 204:
        query = _counter_query(counter, services, kosong="1")
    else:
        return _render(
            staff,
            "antrean_loket.html",
            422,
            counter=counter,
            chosen=services,
            called=None,
            error=_problem_words(answer),
        )
    return staff.page.redirect(f"/antrean/loket?{query}")


@queue_desk_router.post("/antrean/loket/tiket/{ticket}/{step}")
async def finish(staff: StaffDep, ticket: str, step: str) -> Response:
    """Selesai, Tidak hadir, or Alihkan (to the service chosen), then back to the
    counter, saying what was done to which number."""
    form = await checked_form(staff.page.request)
    if not staff.has("counter_officer"):
        return staff.sign_in_first() if staff.person is None else staff.refused()
    counter = str(form.get("loket", ""))[:32]
    services = [str(s) for s in form.getlist("layanan")][:20]
    action = _STEPS.get(step, "transfer" if step == "alihkan" else "")
    if not action:
        return staff.page.missing()
    body = {"service": str(form.get("service", ""))[:64]} if action == "transfer" else None
    async with QUEUE_AREA.api(staff.page.request) as api:
        answer = await api.post(f"/api/v1/queue/tickets/{ticket[:64]}/{action}", json=body)
    if answer.status_code == 401:
        return staff.sign_in_first()
    if answer.status_code != 200:
        return _render(
            staff,
            "antrean_loket.html",
            422,
            counter=counter,
            chosen=services,
            called=await _called(staff, ticket, counter),
            error=_problem_words(answer),
        )
    number = answer.json()["number"]
    return staff.page.redirect(
        f"/antrean/loket?{_counter_query(counter, services, hasil=action, nomor=number)}"
    )
