"""The notice to the owner of a frozen account, by email and SMS, Bahasa Indonesia first.

An account is frozen when the NIK it was registered with is proven by another person
(:mod:`services.intake.nik_ownership`). Its owner may have typed a wrong NIK by mistake,
so the notice says what happened and what to do, without naming who proved the NIK.
"""

from datetime import timedelta
from typing import Literal

from services.notify.templates import Rendered

__all__ = ["FROZEN_NOTICE_VALID", "FROZEN_TEMPLATE_VERSION", "render_frozen"]

FROZEN_TEMPLATE_VERSION = 1
FROZEN_NOTICE_VALID = timedelta(days=1)
"""Sends are retried while the notice is younger than this."""

_SUBJECT = "Akun MPP Digital Anda dibekukan / Your MPP Digital account is frozen"
_TEXT = (
    "NIK yang didaftarkan dengan akun MPP Digital Anda telah dibuktikan oleh pemilik KTP-nya, "
    "sehingga akun Anda dibekukan: Anda tidak dapat masuk, dan datanya disimpan untuk audit. "
    "Bila NIK itu memang milik Anda, datanglah ke loket MPP terdekat dengan KTP asli. Bila "
    "Anda salah mengetik NIK, daftarlah lagi dengan NIK Anda sendiri.\n\n"
    "The NIK registered with your MPP Digital account was proven by the holder of its KTP, "
    "so your account is frozen: you cannot sign in, and its data is kept for audit. If the "
    "NIK is yours, visit the nearest MPP counter with your original KTP. If you mistyped "
    "the NIK, register again with your own.\n"
)
_SMS = (
    "MPP Digital: akun Anda dibekukan karena NIK-nya dibuktikan pemilik KTP. Bila NIK itu "
    "milik Anda, datang ke loket MPP dengan KTP. / Your account is frozen: its NIK was proven "
    "by the KTP's holder. If it is yours, visit an MPP counter with your KTP."
)


def render_frozen(channel: Literal["email", "phone"]) -> Rendered:
    paragraphs = "".join(f"<p>{p}</p>" for p in _TEXT.strip().split("\n\n"))
    return Rendered(
        template="account.frozen",
        version=FROZEN_TEMPLATE_VERSION,
        language="id",
        subject=_SUBJECT,
        text=_SMS if channel == "phone" else _TEXT,
        html=f'<!doctype html><html lang="id"><body>{paragraphs}<p>MPP Digital</p></body></html>',
    )
