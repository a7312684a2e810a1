"""One-time codes from intake, sent straight to the address they are for.

Intake publishes ``AccountCodeIssued`` on the accounts topic when a citizen confirms an
email or phone, or resets a password. The code goes to the address in the event —
not through the citizen's notification preferences, which are about applications, and
not to the inbox — by email (:class:`EmailSender`) or by SMS (:class:`MessagingSender`),
in Bahasa Indonesia and then English in one message.

A code is worth sending only while it is valid (minutes), so sends are handled here
rather than by the dispatcher's durable schedule (whose retries span an hour and whose
documents would keep the code). A ``code_sends`` document per event
(:mod:`services.notify.code_sends`) — without the code or the address — makes a
redelivered event a no-op once sent, and a lease stops two processes sending the same
event at once. The send runs beside the consumer, with the dispatcher's bounded
retries and backoff, and gives up when the code expires: the
citizen asks for a new one. Nothing here logs or stores the code or the address, and a
failed send never reaches the dead-letter topic (whose records keep the payload).

``AccountFrozen`` goes the same way, to both of the frozen account's contacts: its owner
must learn that the NIK they typed was proven by its real holder, whatever they chose
to be told about applications (:mod:`services.notify.account_notices`). So does
``AccountContactReplaced``, to the old email or phone that was replaced.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from jinja2 import Environment, StrictUndefined
from pymongo.asynchronous.database import AsyncDatabase

from services.notify.account_notices import (
    ACCOUNT_NOTICE_VALID,
    FROZEN_NOTICE_VALID,
    render_contact_replaced,
    render_frozen,
)
from services.notify.channels.base import Outcome
from services.notify.channels.email import EmailSender
from services.notify.channels.messaging import MessagingSender
from services.notify.code_sends import CodeSends, Send
from services.notify.deliveries import retry_delay
from services.notify.templates import Rendered, in_words
from shared.events import (
    AccountCodeData,
    AccountCodeIssued,
    AccountContactReplaced,
    AccountFrozen,
    utcnow,
)
from shared.privacy.personal import ERASED, Personal
from shared.sealing import SealError, unseal
from shared.settings import Settings

__all__ = ["CODE_TEMPLATE_VERSION", "CodeSender", "render_code"]

log = structlog.get_logger(__name__)

CODE_TEMPLATE_VERSION = 1

_WHAT = {
    "contact_verification": (
        "Kode verifikasi MPP Digital",
        "MPP Digital verification code",
        "untuk memastikan {contact} ini milik Anda",
        "to confirm this {contact} is yours",
    ),
    "password_reset": (
        "Kode atur ulang kata sandi MPP Digital",
        "MPP Digital password reset code",
        "untuk mengatur ulang kata sandi akun Anda",
        "to reset the password of your account",
    ),
}
_CONTACT = {"email": ("email", "email address"), "phone": ("nomor HP", "phone number")}

_TEXT = """{{ title_id }}: {{ code }}
Masukkan kode ini {{ why_id }}. Berlaku sampai {{ until_id }}. Jangan berikan kode ini \
kepada siapa pun, termasuk petugas. Jika Anda tidak memintanya, abaikan pesan ini.

{{ title_en }}: {{ code }}
Enter this code {{ why_en }}. Valid until {{ until_en }}. Never share it with anyone, \
including our staff. If you did not ask for it, ignore this message.
"""

_HTML = """<!doctype html>
<html lang="id"><body>
<p>{{ title_id }}:</p>
<p style="font-size:1.5em"><strong>{{ code }}</strong></p>
<p>Masukkan kode ini {{ why_id }}. Berlaku sampai {{ until_id }}. Jangan berikan kode ini
kepada siapa pun, termasuk petugas. Jika Anda tidak memintanya, abaikan pesan ini.</p>
<hr>
<p lang="en">{{ title_en }}: <strong>{{ code }}</strong></p>
<p lang="en">Enter this code {{ why_en }}. Valid until {{ until_en }}. Never share it with
anyone, including our staff. If you did not ask for it, ignore this message.</p>
<p>MPP Digital</p>
</body></html>"""

_SMS = (
    "{{ title_id }}: {{ code }}. Berlaku {{ minutes }} menit, jangan berikan ke siapa pun. / "
    "{{ title_en }}: {{ code }}. Valid {{ minutes }} min, do not share it."
)

_html = Environment(autoescape=True, undefined=StrictUndefined)
_text = Environment(autoescape=False, undefined=StrictUndefined)  # noqa: S701 (plain text, never HTML)
_COMPILED = {
    "text": _text.from_string(_TEXT),
    "html": _html.from_string(_HTML),
    "sms": _text.from_string(_SMS),
}


def render_code(data: AccountCodeData, code: str, now: datetime) -> Rendered:
    """The message carrying one code: Bahasa Indonesia first, then English. The subject
    does not carry the code (it shows on lock screens and in mail lists)."""
    title_id, title_en, why_id, why_en = _WHAT[data.purpose]
    contact_id, contact_en = _CONTACT[data.channel]
    context = {
        "code": code,
        "title_id": title_id,
        "title_en": title_en,
        "why_id": why_id.format(contact=contact_id),
        "why_en": why_en.format(contact=contact_en),
        # An account belongs to no one region; its codes' times are in WIB, named so.
        "until_id": in_words(data.expires_at, None, "id"),
        "until_en": in_words(data.expires_at, None, "en"),
        "minutes": max(1, round((data.expires_at - now).total_seconds() / 60)),
    }
    body = _COMPILED["sms" if data.channel == "phone" else "text"].render(context).strip() + "\n"
    return Rendered(
        template=f"code.{data.purpose}",
        version=CODE_TEMPLATE_VERSION,
        language="id",
        subject=f"{title_id} / {title_en}",
        text=body,
        html=_COMPILED["html"].render(context),
    )


class CodeSender:
    """Messages that go straight to an address, outside the citizen's preferences and
    inbox: one-time codes, and the notice that an account was frozen."""

    def __init__(
        self,
        *,
        db: AsyncDatabase,
        settings: Settings,
        email: EmailSender,
        messaging: MessagingSender,
        personal: Personal,
    ) -> None:
        self._personal = personal
        self._sends = CodeSends(db)
        self._settings = settings
        self._email = email
        self._messaging = messaging
        self._tasks: set[asyncio.Task[None]] = set()

    async def create_indexes(self) -> None:
        await self._sends.create_indexes()

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def send_code(self, event: AccountCodeIssued) -> None:
        """Send the code to the address it is for, beside the consumer, while it is valid."""
        data = event.data
        if data.expires_at <= utcnow():
            log.info("expired code not sent", event_id=event.id, purpose=data.purpose)
            return
        await self._start(
            Send(event.id, data.citizen_id, data.purpose, data.channel, data.expires_at),
            lambda: self._send(data, event.id),
        )

    async def send_frozen_notice(self, event: AccountFrozen) -> None:
        """Tell a frozen account's owner, at each of its contacts, why and what to do."""
        data = event.data
        until = event.time + FROZEN_NOTICE_VALID
        if until <= utcnow():
            return
        email = await self._personal.open(data.email, data.citizen_id)
        phone = await self._personal.open(data.phone, data.citizen_id)
        email, phone = (None if v == ERASED else v for v in (email, phone))
        if email:
            address = email
            await self._start(
                Send(f"{event.id}:email", data.citizen_id, "account_frozen", "email", until),
                lambda: self._email.send(address, render_frozen("email"), event.id),
            )
        if phone:
            await self._start(
                Send(f"{event.id}:phone", data.citizen_id, "account_frozen", "phone", until),
                lambda: self._messaging.send("sms", phone, render_frozen("phone").text, event.id),
            )

    async def send_contact_replaced_notice(self, event: AccountContactReplaced) -> None:
        """Tell the old email or phone that it was replaced (by email, or SMS)."""
        data = event.data
        until = event.time + ACCOUNT_NOTICE_VALID
        if until <= utcnow():
            return
        address = await self._personal.open(data.address, data.citizen_id)
        if not isinstance(address, str) or address == ERASED:
            return  # the account was erased meanwhile
        rendered = render_contact_replaced(data.channel)
        send = Send(
            f"{event.id}:{data.channel}", data.citizen_id, "contact_replaced", data.channel, until
        )
        if data.channel == "email":
            await self._start(send, lambda: self._email.send(address, rendered, event.id))
        else:
            await self._start(
                send, lambda: self._messaging.send("sms", address, rendered.text, event.id)
            )

    async def _start(self, send: Send, attempt: Callable[[], Awaitable[Outcome]]) -> None:
        if not await self._claim(send):
            return
        task = asyncio.create_task(self._deliver(send, attempt), name=f"send-{send.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _claim(self, send: Send) -> bool:
        """Whether this process makes ``send``: not sent yet, and nobody else sending."""
        now = utcnow()
        lease = now + timedelta(seconds=self._settings.notify_lease_seconds)
        return await self._sends.claim(send, now, lease)

    async def _deliver(self, send: Send, attempt: Callable[[], Awaitable[Outcome]]) -> None:
        status, reason, attempts = "technical-failure", None, 0
        try:
            while attempts < self._settings.notify_retry_attempts:
                attempts += 1
                outcome = await attempt()
                status, reason = outcome.status, outcome.reason
                if status != "temporary-failure":
                    break
                delay = retry_delay(attempts, self._settings)
                if utcnow() + timedelta(seconds=delay) >= send.expires_at:
                    reason = f"{reason}; the message expires before another try"
                    break
                await self._record(send.id, status, reason, attempts, hold=delay)
                await asyncio.sleep(delay)
            if status == "temporary-failure":
                status = "technical-failure"  # attempts spent, or no time left
            await self._record(send.id, status, reason, attempts)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # nobody awaits this task: say what went wrong
            log.warning("direct send failed", send_id=send.id, error=type(exc).__name__)
            return
        log.info(
            "direct send finished",
            send_id=send.id,
            purpose=send.purpose,
            channel=send.channel,
            status=status,
            attempts=attempts,
            reason=reason,
        )

    async def _send(self, data: AccountCodeData, reference: str) -> Outcome:
        # The event id is the reference; the code opens only for this very event.
        try:
            code = unseal(
                self._settings.code_delivery_secret, data.sealed_code, data.code_context(reference)
            )
        except SealError:
            return Outcome(
                "technical-failure",
                "the code does not open with MPP_CODE_DELIVERY_SECRET: intake and notify "
                "must share it",
            )
        address = await self._personal.open(data.address, data.citizen_id)
        if not isinstance(address, str) or address == ERASED:
            return Outcome("permanent-failure", "the account was erased")
        rendered = render_code(data, code, utcnow())
        if data.channel == "email":
            return await self._email.send(address, rendered, reference)
        return await self._messaging.send("sms", address, rendered.text, reference)

    async def _record(
        self,
        event_id: str,
        status: str,
        reason: str | None,
        attempts: int,
        *,
        hold: float | None = None,
    ) -> None:
        """Write how the send went; while retrying (``hold``: the wait before the next
        try) the lease is extended past that wait."""
        now = utcnow()
        fields: dict[str, Any] = {
            "status": status,
            "attempts": attempts,
            "last_error": reason,
            "updated_at": now,
        }
        if hold is not None:
            fields["status"] = "sending"
            fields["lease_until"] = now + timedelta(
                seconds=hold + self._settings.notify_lease_seconds
            )
        await self._sends.record(event_id, fields)
