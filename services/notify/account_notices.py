"""Notices about the account itself, sent straight to a contact whatever the citizen
chose to be told about applications; Bahasa Indonesia first, then English.

* **Frozen.** An account is frozen when the NIK it was registered with is proven by
  another person (:mod:`services.identity.nik_ownership`). Its owner may have typed a
  wrong NIK by mistake, so the notice says what happened and what to do, without naming
  who proved the NIK.
* **A contact replaced.** The verified email or phone — where password reset codes go —
  was replaced (:mod:`services.identity.contact_change`). The old address is told, without
  the new one, so an owner whose password and session were taken learns of it and
  knows what to do.
"""

from datetime import timedelta
from typing import Literal

from services.notify.templates import Rendered

__all__ = [
    "ACCOUNT_NOTICE_VALID",
    "FROZEN_NOTICE_VALID",
    "FROZEN_TEMPLATE_VERSION",
    "REPLACED_TEMPLATE_VERSION",
    "render_contact_replaced",
    "render_frozen",
]

FROZEN_TEMPLATE_VERSION = 1
ACCOUNT_NOTICE_VALID = timedelta(days=1)
"""Sends are retried while the notice is younger than this."""
FROZEN_NOTICE_VALID = ACCOUNT_NOTICE_VALID
REPLACED_TEMPLATE_VERSION = 1

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


_REPLACED_SUBJECT = (
    "Kontak akun MPP Digital Anda diubah / A contact of your MPP Digital account was changed"
)
_REPLACED_WHAT = {
    "email": ("Email akun MPP Digital Anda", "The email of your MPP Digital account"),
    "phone": ("Nomor HP akun MPP Digital Anda", "The phone number of your MPP Digital account"),
}
_REPLACED_TEXT = (
    "{what_id} baru saja diganti dengan yang lain; kode atur ulang kata sandi tidak lagi "
    "dikirim ke sini. Bila Anda yang menggantinya, abaikan pesan ini. Bila bukan Anda, "
    "segera masuk, ganti kata sandi dan kembalikan kontak Anda, lalu keluar dari semua "
    "perangkat; bila tidak bisa masuk lagi, datanglah ke loket MPP terdekat dengan KTP asli."
    "\n\n"
    "{what_en} was just replaced by another; password reset codes no longer come here. If "
    "you made the change, ignore this message. If not, sign in at once, change the "
    "password, put your contact back and sign out every device; if you can no longer sign "
    "in, visit the nearest MPP counter with your original KTP.\n"
)
_REPLACED_SMS = (
    "MPP Digital: {what_id} diganti. Bila bukan Anda, segera ganti kata sandi atau datang ke "
    "loket MPP dengan KTP. / {what_en} was changed. If not by you, change the password now "
    "or visit an MPP counter with your KTP."
)


def render_contact_replaced(channel: Literal["email", "phone"]) -> Rendered:
    """The notice to the old ``channel`` contact: the old email by email, the old phone
    by SMS."""
    what_id, what_en = _REPLACED_WHAT[channel]
    text = _REPLACED_TEXT.format(what_id=what_id, what_en=what_en)
    paragraphs = "".join(f"<p>{p}</p>" for p in text.strip().split("\n\n"))
    return Rendered(
        template="account.contact_replaced",
        version=REPLACED_TEMPLATE_VERSION,
        language="id",
        subject=_REPLACED_SUBJECT,
        text=_REPLACED_SMS.format(what_id=what_id, what_en=what_en) if channel == "phone" else text,
        html=f'<!doctype html><html lang="id"><body>{paragraphs}<p>MPP Digital</p></body></html>',
    )
