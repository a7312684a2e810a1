"""The notice that an account's email or phone was replaced, as the old address reads it."""

from services.notify.account_notices import render_contact_replaced
from services.notify.handlers import handlers
from shared.events import AccountContactReplaced


def test_the_old_email_reads_what_happened_in_bahasa_indonesia_first_then_english():
    notice = render_contact_replaced("email")
    assert notice.template == "account.contact_replaced"
    assert notice.text.index("Email akun") < notice.text.index("The email of")
    assert "loket MPP" in notice.text
    assert "kata sandi" in notice.text
    assert notice.html.startswith("<!doctype html>")


def test_the_old_phone_gets_one_short_sms_naming_the_phone_number():
    sms = render_contact_replaced("phone").text
    assert "Nomor HP" in sms
    assert "phone number" in sms
    assert len(sms) <= 320  # two SMS segments at most


def test_notify_has_a_handler_for_a_replaced_contact():
    table = handlers(None, None)  # type: ignore[arg-type]
    assert AccountContactReplaced in table
