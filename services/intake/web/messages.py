"""What the verify page says when identity's API refuses: the API's problems said again
in the page's language, next to the field they concern. A message is a pair (Bahasa
Indonesia, English) the template picks from.
"""

import math
from typing import Any

__all__ = ["Message", "explain", "waiting"]

Message = tuple[str, str]


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
    (asking for one) or ``nik`` (the Dukcapil check);
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
    detail = str(problem.get("detail") or problem.get("title") or status)
    return detail, detail


def _problem(answer: Any) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
