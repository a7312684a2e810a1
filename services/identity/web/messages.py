"""What the account pages say when identity's API refuses: the API's problems said again
in the page's language, next to the field they concern. A message is a pair (Bahasa
Indonesia, English) the template picks from.
"""

import math
from typing import Any

import httpx

__all__ = [
    "RESET_SENT",
    "TYPE_USERNAME",
    "WRONG_ERASE_PASSWORD",
    "Message",
    "explain",
    "field_errors",
    "password_errors",
    "problem_of",
    "reset_errors",
    "waiting",
]

Message = tuple[str, str]
RESET_SENT: Message = (
    "Jika akun ini ada dan punya email atau nomor HP terverifikasi, kode sudah dikirim ke sana.",
    "If the account exists and has a verified email or phone, a code was sent to it.",
)
_AT_LEAST_8: Message = ("Minimal 8 karakter.", "At least 8 characters.")
WRONG_ERASE_PASSWORD: Message = (
    "Kata sandi tidak cocok; akun tidak dihapus",
    "The password does not match; the account was not erased",
)
TYPE_USERNAME: Message = ("Isi NIK atau email akun Anda.", "Type your account's NIK or email.")


def problem_of(answer: httpx.Response) -> dict[str, Any]:
    """The API's problem document, or nothing when the answer is not one."""
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def field_errors(problem: dict[str, Any]) -> dict[str, str]:
    """``{field: message}`` from a problem's ``errors``."""
    errors: dict[str, str] = {}
    for error in problem.get("errors") or []:
        errors.setdefault(str(error.get("field", "")), str(error.get("message", "")))
    return errors


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


def _refused(answer: httpx.Response) -> Message:
    """A refusal with no field of its own: a wait, a wrong current password, or the
    API's own words."""
    if answer.status_code == 429:
        wait = waiting(answer.headers.get("retry-after"))
        return (
            f"Terlalu banyak percobaan; coba lagi setelah {wait[0]}.",
            f"Too many attempts; try again in {wait[1]}.",
        )
    if answer.status_code == 403:
        return "Kata sandi saat ini salah.", "The current password is wrong."
    problem = problem_of(answer)
    detail = str(problem.get("detail") or problem.get("title") or answer.status_code)
    return detail, detail


def reset_errors(answer: httpx.Response) -> dict[str, Message]:
    if answer.status_code != 422:
        return {"code": _refused(answer)}
    fields = field_errors(problem_of(answer))
    errors: dict[str, Message] = {}
    if "username" in fields:
        errors["username"] = TYPE_USERNAME
    if "new_password" in fields:
        errors["new_password"] = _AT_LEAST_8
    if "code" in fields or not errors:  # wrong, expired, or for no such account: alike
        errors["code"] = (
            "Kode salah atau tidak berlaku lagi; minta kode baru bila perlu.",
            "The code is wrong or no longer valid; ask for a new one if needed.",
        )
    return errors


def password_errors(answer: httpx.Response) -> dict[str, Message]:
    if answer.status_code in (403, 429):
        return {"current_password": _refused(answer)}
    fields = field_errors(problem_of(answer))
    errors: dict[str, Message] = {}
    if "new_password" in fields:
        errors["new_password"] = _AT_LEAST_8
    if "current_password" in fields:
        errors["current_password"] = ("Isi kata sandi saat ini.", "Type your current password.")
    return errors or {"current_password": _refused(answer)}


def explain(step: str, answer: httpx.Response) -> Message:
    """What went wrong, for the page: ``step`` is ``code`` (typing back a code), ``send``
    (asking for one) or ``nik`` (the Dukcapil check);
    ``answer`` is the API's refusal (status, problem body, ``Retry-After``)."""
    status = answer.status_code
    problem = problem_of(answer)
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
    detail = str(problem.get("detail") or problem.get("title") or status)
    return detail, detail
