"""The console opens one application's personal data for a stated purpose, in process on
the real broker and database: the timeline shows each sealed value as the word
"tersegel" (never its ciphertext, never the plain value); the form's purpose goes to the
API's own opening, so the citizen's access log names the auditor and the purpose; a
purpose too short or too long is refused at its field and records nothing; the plain
values are in that one response only, and the page read again is sealed."""

import re
import uuid

from services.audit.keys import issue_key
from shared.auth import issue_token
from shared.events import encode
from tests.e2e.helpers import eventually
from tests.integration.test_audit_service import routed, submitted

NIK, NAME = "3576014101900031", "Ratna Kusumawati Konsol"
AUDITOR = "inspektorat-konsol"
PURPOSE = "pengaduan warga nomor 31/2026 tentang KTP"


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the form carries its CSRF token"
    return found.group(1)


async def _recorded(runtime, application_id: str, citizen_id: str) -> None:
    """A submission whose applicant is sealed under the citizen's key, then its routing."""
    applicant = await runtime.personal.seal(citizen_id, {"nik": NIK, "name": NAME})
    submission = submitted(application_id, citizen_id, applicant_sealed=applicant)
    await runtime.broker.publish(encode(submission), runtime.topics.submitted, key=b"k")
    await runtime.broker.publish(encode(routed(application_id)), runtime.topics.status, key=b"k")
    await eventually(
        lambda: runtime.db["records"].count_documents({"subject": application_id}),
        timeout=20,
        until=lambda n: n == 2,
    )


async def _signed_in(audit, key: str) -> str:
    """Signed in through the console's own form; returns the CSRF token of the pages."""
    form = await audit.get("/console/signin")
    csrf = _csrf(form.text)
    answer = await audit.post("/console/signin", data={"csrf": csrf, "key": key})
    assert answer.status_code == 303
    return csrf


async def test_an_auditor_opens_an_application_for_a_purpose_that_the_citizen_then_reads(
    service_app, settings
):
    audit = await service_app("audit")
    runtime = audit.app.state.runtime
    application_id = f"app-konsol-{uuid.uuid4().hex[:8]}"
    citizen_id = f"citizen-konsol-{uuid.uuid4().hex[:8]}"
    await _recorded(runtime, application_id, citizen_id)
    csrf = await _signed_in(audit, await issue_key(runtime.db, AUDITOR))
    page_path = f"/console/applications/{application_id}"

    # Before opening: the applicant reads "tersegel", neither ciphertext nor plain value.
    sealed = await audit.get(page_path)
    assert sealed.status_code == 200
    assert "pdp1." not in sealed.text
    assert NIK not in sealed.text
    assert NAME not in sealed.text
    assert "tersegel" in sealed.text
    assert "Buka data pribadi" in sealed.text
    assert "dicatat di log akses warga dengan nama auditor dan tujuan ini" in sealed.text

    # A purpose too short, or too long, is refused at its field, as a page.
    opening = f"{page_path}/open"
    for purpose in ("singkat", "x" * 201):
        refused = await audit.post(opening, data={"csrf": csrf, "purpose": purpose})
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("text/html")
        assert 'id="f-purpose-error"' in refused.text
        assert "10–200 karakter" in refused.text
        assert 'aria-invalid="true"' in refused.text
        assert NIK not in refused.text
        assert NAME not in refused.text
    # Without the form's token nothing is opened.
    forged = await audit.post(opening, data={"purpose": PURPOSE})
    assert forged.status_code == 403
    assert NIK not in forged.text

    # A stated purpose opens the values, in this response only.
    opened = await audit.post(opening, data={"csrf": csrf, "purpose": PURPOSE})
    assert opened.status_code == 200
    assert NIK in opened.text
    assert NAME in opened.text
    assert "tersegel" not in opened.text
    assert "pdp1." not in opened.text
    assert 'id="opened"' in opened.text
    assert "dicatat di log akses warga" in opened.text
    assert PURPOSE in opened.text
    assert opened.headers["cache-control"] == "no-store"
    assert NIK not in opened.headers.get("set-cookie", "")
    assert NIK not in str(opened.url)

    # The citizen's "who read my data" names the auditor and the purpose, and only the
    # purposes that opened something (the console's own reads say "audit console").
    token, _ = issue_token(settings, citizen_id, ("citizen",))
    citizen = {"Authorization": f"Bearer {token}"}

    async def reads() -> list[tuple]:
        answer = await audit.get("/api/v1/me/access-log", headers=citizen)
        return [
            (e["application_id"], e["actor_kind"], e["actor_id"], e["purpose"])
            for e in answer.json()["items"]
        ]

    found = await eventually(reads, timeout=20, until=lambda rows: PURPOSE in {r[3] for r in rows})
    assert (application_id, "auditor", AUDITOR, PURPOSE) in found
    assert {r[3] for r in found} == {"audit console", PURPOSE}

    # Read again, the page is sealed: nothing of the opening was kept.
    again = await audit.get(page_path)
    assert again.status_code == 200
    assert NIK not in again.text
    assert NAME not in again.text
    assert "tersegel" in again.text
    english = await audit.get(f"{page_path}?lang=en")
    assert "sealed" in english.text
    assert "Open personal data" in english.text
    assert "with the auditor&#39;s name and this purpose" in english.text
