"""The portal's account pages: proving the account (``/portal/verify``), a forgotten
password (``/portal/forgot`` → ``/portal/reset``) and the signed-in devices and password
(``/portal/security``).

Thin like the other routes: each reads a form, calls intake's API in process
(:mod:`services.intake.recovery_api`, :mod:`services.intake.nik_api`) and renders a page.
The API's problems are said again here in the page's language, next to the field they
concern: a message is a pair (Bahasa Indonesia, English) the template picks from.
"""

import math
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.web import session
from services.intake.web.client import api, field_errors, parse_time
from shared.web import Pages, checked_form

__all__ = ["account_router", "explain"]

Message = tuple[str, str]
_CHANNELS = ("email", "phone")
_RESET_SENT: Message = (
    "Jika akun ini ada dan punya email atau nomor HP terverifikasi, kode sudah dikirim ke sana.",
    "If the account exists and has a verified email or phone, a code was sent to it.",
)
_AT_LEAST_8: Message = ("Minimal 8 karakter.", "At least 8 characters.")
_TYPE_USERNAME: Message = ("Isi NIK atau email akun Anda.", "Type your account's NIK or email.")


def waiting(seconds: str | int | None) -> Message:
    """``Retry-After`` in words: seconds, minutes or hours."""
    try:
        left = max(1, int(seconds or 0))
    except ValueError:
        left = 60
    if left < 120:
        return f"{left} detik", f"{left} seconds"
    if left < 7200:
        minutes = math.ceil(left / 60)
        return f"{minutes} menit", f"{minutes} minutes"
    hours = math.ceil(left / 3600)
    return f"{hours} jam", f"{hours} hours"


def explain(step: str, answer: Any) -> Message:
    """What went wrong, for the page: ``step`` is ``code`` (typing back a code), ``send``
    (asking for one), ``nik`` (the Dukcapil check), ``password`` (changing it) or ``reset``;
    ``answer`` is the API's refusal (status, problem body, ``Retry-After``)."""
    status = answer.status_code
    problem = _problem(answer)
    if status == 429:
        wait = waiting(answer.headers.get("retry-after"))
        if step == "nik":
            return (
                f"Batas percobaan verifikasi NIK sudah habis; coba lagi setelah {wait[0]}, atau "
                "datang ke loket MPP dengan KTP.",
                f"No NIK checks are left for now; try again in {wait[1]}, or visit an MPP "
                "counter with your KTP.",
            )
        if step == "send":
            return (
                f"Sudah terlalu banyak kode dikirim; minta kode baru setelah {wait[0]}.",
                f"Too many codes were sent; ask for a new one in {wait[1]}.",
            )
        return (
            f"Terlalu banyak percobaan; coba lagi setelah {wait[0]}.",
            f"Too many attempts; try again in {wait[1]}.",
        )
    if status == 503:
        wait = waiting(answer.headers.get("retry-after"))
        return (
            f"Dukcapil sedang tidak dapat dihubungi; coba lagi setelah {wait[0]}, atau datang ke "
            "loket MPP dengan KTP.",
            f"Dukcapil cannot be reached at the moment; try again in {wait[1]}, or visit an MPP "
            "counter with your KTP.",
        )
    left = problem.get("attempts_left")
    if step == "code" and status == 422:
        if left is None:  # refused before any code was looked at: not six digits
            return "Kode terdiri dari 6 angka.", "The code is 6 digits."
        if left:
            return (
                f"Kode salah; sisa {left} kali percobaan.",
                f"Wrong code; {left} {'try' if left == 1 else 'tries'} left.",
            )
        return (
            "Kode tidak berlaku lagi (salah terlalu sering, sudah dipakai atau kedaluwarsa); "
            "minta kode baru.",
            "The code is no longer valid (too many wrong tries, used or expired); ask for a "
            "new one.",
        )
    if step == "nik" and status == 422:
        if left is None:
            return "Isi nama persis seperti di KTP.", "Type the name exactly as on the KTP."
        return (
            "Nama dan tanggal lahir tidak cocok dengan data Dukcapil; periksa nama persis seperti "
            f"di KTP. Sisa percobaan hari ini: {left}.",
            "The name and date of birth do not match Dukcapil's records; check the name is "
            f"exactly as on the KTP. Checks left today: {left}.",
        )
    if step == "nik" and status == 409:
        return (
            "NIK ini sudah dibuktikan oleh akun lain. Bila NIK ini milik Anda, datanglah ke "
            "loket MPP dengan KTP.",
            "Another account has already proven this NIK. If it is yours, visit an MPP "
            "counter with your KTP.",
        )
    if step == "password" and status == 403:
        return "Kata sandi saat ini salah.", "The current password is wrong."
    detail = str(problem.get("detail") or problem.get("title") or status)
    return detail, detail


async def _me(client: Any) -> dict[str, Any] | None:
    """The caller's profile; None when the session is not valid (expired, signed out)."""
    me = await client.get("/api/v1/me")
    return me.json() if me.status_code == 200 else None


def _problem(answer: Any) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def account_router(pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def render(request: Request, template: str, code: int = 200, **context: Any) -> Response:
        return pages.render(
            request,
            template,
            code,
            signed_in=session.signed_in(request),
            code_minutes=pages.settings.auth_code_minutes,
            **context,
        )

    def sign_in_first(request: Request) -> Response:
        return pages.redirect(request, f"/portal/signin?next={request.url.path}")

    # --- proving the account ----------------------------------------------------------

    @router.get("/portal/verify")
    async def verify(request: Request) -> Response:
        """Email, phone and NIK, each with its state and what to do next."""
        async with api(request) as client:
            me = await _me(client)
        if me is None or not session.signed_in(request):
            return sign_in_first(request)
        return _verify_page(request, me)

    def _verify_page(
        request: Request,
        me: dict[str, Any],
        errors: dict[str, Message] | None = None,
        status: int = 200,
        name: str | None = None,
    ) -> Response:
        sent = request.query_params.get("sent")
        return render(
            request,
            "verify.html",
            status,
            me=me,
            errors=errors or {},
            sent=sent if sent in _CHANNELS else None,
            name=me["name"] if name is None else name,
        )

    @router.post("/portal/verify/{channel}/send")
    async def send_code(request: Request, channel: str) -> Response:
        await checked_form(request)
        async with api(request) as client:
            if (me := await _me(client)) is None:
                return sign_in_first(request)
            if channel not in _CHANNELS:
                return render(request, "missing.html", 404)
            sent = await client.post("/api/v1/me/contact-verifications", json={"channel": channel})
        if sent.status_code == 202:
            return pages.redirect(request, f"/portal/verify?sent={channel}#{channel}")
        if sent.status_code == 409:  # verified already
            return pages.redirect(request, "/portal/verify")
        if sent.status_code == 401:
            return sign_in_first(request)
        return _verify_page(request, me, {channel: explain("send", sent)}, sent.status_code)

    @router.post("/portal/verify/{channel}/confirm")
    async def confirm_code(request: Request, channel: str) -> Response:
        form = await checked_form(request)
        code = "".join(str(form.get("code", "")).split())  # "123 456" is fine
        async with api(request) as client:
            if (me := await _me(client)) is None:
                return sign_in_first(request)
            if channel not in _CHANNELS:
                return render(request, "missing.html", 404)
            confirmed = await client.post(
                "/api/v1/me/contact-verifications/confirm",
                json={"channel": channel, "code": code},
            )
        if confirmed.status_code == 200:
            return pages.redirect(request, f"/portal/verify?confirmed={channel}")
        if confirmed.status_code == 401:
            return sign_in_first(request)
        errors = {channel: explain("code", confirmed)}
        return _verify_page(request, me, errors, confirmed.status_code)

    @router.post("/portal/verify/nik")
    async def check_nik(request: Request) -> Response:
        form = await checked_form(request)
        name = str(form.get("name", "")).strip()
        async with api(request) as client:
            if (me := await _me(client)) is None:
                return sign_in_first(request)
            checked = await client.post(
                "/api/v1/me/nik-verification", json={"name": name} if name else {}
            )
        if checked.status_code == 200:
            return pages.redirect(request, "/portal/verify?confirmed=nik")
        if checked.status_code == 401:
            return sign_in_first(request)
        errors = {"nik": explain("nik", checked)}
        return _verify_page(request, me, errors, checked.status_code, name)

    # --- a forgotten password -----------------------------------------------------------

    @router.get("/portal/forgot")
    async def forgot_form(request: Request) -> Response:
        return render(request, "forgot.html", username="", errors={})

    @router.post("/portal/forgot")
    async def forgot(request: Request) -> Response:
        """The same answer whether or not the account exists (the API's is 202 always)."""
        form = await checked_form(request)
        username = str(form.get("username", "")).strip()
        async with api(request) as client:
            asked = await client.post("/api/v1/auth/password-reset", json={"username": username})
        if asked.status_code != 202:
            error = _TYPE_USERNAME if asked.status_code == 422 else explain("reset", asked)
            return render(
                request,
                "forgot.html",
                asked.status_code,
                username=username,
                errors={"username": error},
            )
        # Nothing typed is kept for the next page: on a shared computer the next person
        # would see it.
        return pages.redirect(request, "/portal/reset?sent=1")

    @router.get("/portal/reset")
    async def reset_form(request: Request) -> Response:
        return render(request, "reset.html", username="", errors={}, sent=_RESET_SENT)

    @router.post("/portal/reset")
    async def reset(request: Request) -> Response:
        form = await checked_form(request)
        body = {
            "username": str(form.get("username", "")).strip(),
            "code": "".join(str(form.get("code", "")).split()),
            "new_password": str(form.get("new_password", "")),
        }
        async with api(request) as client:
            done = await client.post("/api/v1/auth/password-reset/confirm", json=body)
        if done.status_code == 204:
            return session.end(pages.redirect(request, "/portal/signin?reset=1"))
        errors = _reset_errors(done)
        return render(
            request,
            "reset.html",
            done.status_code,
            username=body["username"],
            errors=errors,
            sent=_RESET_SENT,
        )

    # --- devices and password -------------------------------------------------------------

    @router.get("/portal/security")
    async def security(request: Request) -> Response:
        async with api(request) as client:
            listed = await client.get("/api/v1/me/devices")
        if listed.status_code != 200 or not session.signed_in(request):
            return sign_in_first(request)
        return _security_page(request, listed.json(), {})

    def _security_page(
        request: Request,
        devices: list[dict[str, Any]],
        errors: dict[str, Message],
        status: int = 200,
    ) -> Response:
        current = request.cookies.get(session.DEVICE_COOKIE)
        for device in devices:
            device["created_at"] = parse_time(device["created_at"])
            device["last_used_at"] = parse_time(device["last_used_at"])
            device["current"] = device["id"] == current
        return render(request, "security.html", status, devices=devices, errors=errors)

    @router.post("/portal/security/password")
    async def change_password(request: Request) -> Response:
        """Every device is signed out, this one too: the citizen signs in again."""
        form = await checked_form(request)
        body = {
            "current_password": str(form.get("current_password", "")),
            "new_password": str(form.get("new_password", "")),
        }
        async with api(request) as client:
            changed = await client.post("/api/v1/me/password", json=body)
            if changed.status_code == 204:
                done = pages.redirect(request, "/portal/signin?changed=1&next=/portal/security")
                return session.end(done)
            listed = await client.get("/api/v1/me/devices")
        if changed.status_code == 401 or listed.status_code != 200:
            return sign_in_first(request)
        errors = _password_errors(changed)
        return _security_page(request, listed.json(), errors, changed.status_code)

    @router.post("/portal/security/devices/{device_id}/signout")
    async def sign_device_out(request: Request, device_id: str) -> Response:
        await checked_form(request)
        async with api(request) as client:
            removed = await client.delete(f"/api/v1/me/devices/{quote(device_id, safe='')}")
        if removed.status_code == 401:
            return sign_in_first(request)
        if device_id == request.cookies.get(session.DEVICE_COOKIE):
            return session.end(pages.redirect(request, "/portal/signin?signed_out=1"))
        return pages.redirect(request, "/portal/security?removed=1")

    @router.post("/portal/security/data-export")
    async def export_my_data(request: Request) -> Response:
        """A copy of my data: straight to its short-lived download link."""
        await checked_form(request)
        async with api(request) as client:
            made = await client.post("/api/v1/me/data-export")
        if made.status_code == 401:
            return sign_in_first(request)
        if made.status_code != 201:
            return render(request, "missing.html", made.status_code)
        return pages.redirect(request, made.json()["download"])

    @router.post("/portal/security/erasure")
    async def erase_my_account(request: Request) -> Response:
        """Close the account and erase its data; the page says what is kept and why."""
        form = await checked_form(request)
        async with api(request) as client:
            erased = await client.post(
                "/api/v1/me/erasure", json={"password": str(form.get("erase_password", ""))}
            )
            if erased.status_code == 200:
                return session.end(render(request, "erased.html", 200, erased=erased.json()))
            listed = await client.get("/api/v1/me/devices")
        if erased.status_code == 401 or listed.status_code != 200:
            return sign_in_first(request)
        errors = {
            "erase_password": (
                "Kata sandi tidak cocok; akun tidak dihapus",
                "The password does not match; the account was not erased",
            )
        }
        return _security_page(request, listed.json(), errors, erased.status_code)

    @router.post("/portal/security/signout-everywhere")
    async def sign_out_everywhere(request: Request) -> Response:
        await checked_form(request)
        async with api(request) as client:
            done = await client.post("/api/v1/auth/signout-everywhere")
        if done.status_code != 204:
            return sign_in_first(request)
        return session.end(pages.redirect(request, "/portal/signin?everywhere=1"))

    return router


def _reset_errors(answer: Any) -> dict[str, Message]:
    if answer.status_code != 422:
        return {"code": explain("reset", answer)}
    fields = field_errors(_problem(answer))
    errors: dict[str, Message] = {}
    if "username" in fields:
        errors["username"] = _TYPE_USERNAME
    if "new_password" in fields:
        errors["new_password"] = _AT_LEAST_8
    if "code" in fields or not errors:  # wrong, expired, or for no such account: alike
        errors["code"] = (
            "Kode salah atau tidak berlaku lagi; minta kode baru bila perlu.",
            "The code is wrong or no longer valid; ask for a new one if needed.",
        )
    return errors


def _password_errors(answer: Any) -> dict[str, Message]:
    if answer.status_code in (403, 429):
        return {"current_password": explain("password", answer)}
    fields = field_errors(_problem(answer))
    errors: dict[str, Message] = {}
    if "new_password" in fields:
        errors["new_password"] = _AT_LEAST_8
    if "current_password" in fields:
        errors["current_password"] = ("Isi kata sandi saat ini.", "Type your current password.")
    return errors or {"current_password": explain("password", answer)}
