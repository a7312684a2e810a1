"""A whole application life — account, sign-in, submission, routing, the agency's decision,
notices, audit — leaves no NIK, phone number, e-mail address or password in any log line
(UU PDP 27/2022: logs are read by operators who have no business seeing them)."""

import re
import uuid

from services.routing.keys import ApiKeys
from tests.e2e.helpers import eventually, new_nik, register, submit

NAME = "Kartini Wulandari"
PHONE = "081398765432"
PASSWORD = "rahasia-Sekali-9081"


async def test_an_application_life_leaves_no_nik_phone_email_or_password_in_the_logs(services):
    services.listen()
    intake, routing = services["intake"], services["routing"]
    nik, email = new_nik(), f"kartini-{uuid.uuid4().hex[:8]}@example.id"
    citizen = await register(
        intake, nik=nik, email=email, phone=PHONE, name=NAME, password=PASSWORD
    )
    wrong = await intake.post(
        "/api/v1/auth/token", data={"username": nik, "password": "salah-kata-sandi"}
    )
    assert wrong.status_code == 401
    accepted = await submit(intake, citizen, data={"reason": "baru"})
    application_id = accepted["id"]

    key = await ApiKeys(services.runtime("routing").db).issue("disdukcapil-3576")

    async def routed() -> bool:
        found = await routing.get(
            f"/api/v1/agency/applications/{application_id}",
            headers={"Authorization": f"Bearer {key.token}"},
        )
        return found.status_code == 200

    await eventually(routed, timeout=20)
    moved = await routing.post(
        f"/api/v1/agency/applications/{application_id}/transitions",
        json={"to": "received"},
        headers={"Authorization": f"Bearer {key.token}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert moved.status_code in (200, 202), moved.text

    async def timeline_done() -> bool:
        view = await intake.get(f"/api/v1/applications/{application_id}", headers=citizen.headers)
        return view.json()["status"] == "received"

    await eventually(timeline_done, timeout=20)
    notices = services.runtime("notify").db["notifications"]
    await eventually(
        lambda: notices.count_documents({"application_id": application_id}),
        timeout=20,
        until=lambda n: n >= 2,
    )
    records = services.runtime("audit").db["records"]
    await eventually(
        lambda: records.count_documents({"subject": application_id}),
        timeout=20,
        until=lambda n: n >= 5,
    )
    inbox = await services["notify"].get("/api/v1/notifications", headers=citizen.headers)
    assert inbox.status_code == 200
    # A new phone, with the password: the old, verified one is told by SMS.
    changed = await intake.patch(
        "/api/v1/me",
        json={"phone": "081311112222", "current_password": PASSWORD},
        headers=citizen.headers,
    )
    assert changed.status_code == 200, changed.text
    sends = services.runtime("notify").db["code_sends"]
    await eventually(
        lambda: sends.find_one({"citizen_id": citizen.id, "purpose": "contact_replaced"}),
        timeout=20,
    )

    logs = services.log.getvalue()
    assert application_id in logs  # the capture did see the life
    leaked = {
        label: value
        for label, value in {
            "NIK": nik,
            "phone": PHONE,
            "new phone": "081311112222",
            "phone (+62)": "+62" + PHONE[1:],
            "email": email,
            "password": PASSWORD,
            "wrong password": "salah-kata-sandi",
            "name": NAME,
        }.items()
        if value.lower() in logs.lower()
    }
    assert leaked == {}, f"personal data in the logs: {sorted(leaked)}"
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", logs), "a 16-digit number (a NIK?) was logged"
