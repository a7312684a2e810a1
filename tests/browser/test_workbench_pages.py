"""The workbench's application page and the public verification page, in process against
the real broker and database — the fast check of each page; tests/browser/test_story.py
drives a real browser through the same pages."""

import hashlib
import re

import pytest

from services.routing.keys import ApiKeys
from shared.auth import issue_token
from shared.events import (
    Applicant,
    ApplicantAddress,
    CancellationData,
    CancellationRequested,
)
from shared.ids import uuid7
from tests.e2e.helpers import eventually
from tests.integration.routing_support import publish, submitted

pytestmark = pytest.mark.integration

AGENCY = "polres-3514"
NIK = "3514014507900001"
PDF = b"%PDF-1.4\n% SKCK\n" + b"1" * 500
APPLICANT = Applicant(
    nik=NIK,
    name="Siti Aminah",
    birth_place="Pasuruan",
    birth_date="1990-07-05",
    sex="F",
    address=ApplicantAddress(
        street="Jl. Raya Pohjentrek 7", rt="001", rw="002", village="Sukorejo", district="Kraton"
    ),
    phone="081234567890",  # not declared for an SKCK: it must not reach the agency
)


def skck_with_applicant():
    event = submitted("skck", "3514", form={"purpose": "melamar kerja"})
    return event.model_copy(update={"data": event.data.model_copy(update={"applicant": APPLICANT})})


async def status_of(runtime, application_id: str) -> str | None:
    found = await runtime.db["applications"].find_one({"_id": application_id}, {"status": 1})
    return found and found["status"]


async def signed_in_workbench(client) -> None:
    """As the sign-in leaves it: the officer's own access token in the workbench's cookie
    (the sign-in itself is tested in tests/integration/test_officer_accounts.py)."""
    settings = client.app.state.runtime.settings
    token, _ = issue_token(
        settings, "andi.pratama", ("officer",), agency=AGENCY, name="Bripka Andi"
    )
    client.cookies.set("mpp_workbench", token)
    await client.get("/workbench/")  # the CSRF cookie


async def move(client, application_id: str, to: str, files=None):
    return await client.post(
        f"/workbench/applications/{application_id}/transitions",
        data={"csrf": client.cookies["mpp_csrf"], "key": uuid7(), "to": to},
        files=files,
    )


async def test_an_officer_reads_the_applicant_issues_a_result_and_anyone_verifies_it(
    service_app,
):
    routing = await service_app("routing")
    runtime = routing.app.state.runtime
    key = await ApiKeys(runtime.db).issue(AGENCY)
    police, withdrawn = skck_with_applicant(), submitted("skck", "3514")
    for event in (police, withdrawn):
        await publish(runtime, runtime.topics.submitted, event)
    for event in (police, withdrawn):
        await eventually(
            lambda e=event: status_of(runtime, e.subject), timeout=20, until=lambda s: s == "routed"
        )
    await signed_in_workbench(routing)
    page_url = f"/workbench/applications/{police.subject}"

    # The applicant: only what an SKCK declares, labelled, the address on one line.
    page = await routing.get(page_url)
    assert page.status_code == 200
    applicant = re.search(r'<table id="applicant">.*?</table>', page.text, re.S).group(0)
    assert f"<td>{NIK}</td>" in applicant
    assert "<td>Pasuruan</td>" in applicant
    assert "<td>05-07-1990</td>" in applicant
    assert "<td>Perempuan</td>" in applicant
    assert "Jl. Raya Pohjentrek 7, RT 001/RW 002, Sukorejo, Kraton" in applicant
    assert "081234567890" not in page.text
    assert 'enctype="multipart/form-data"' not in page.text  # nothing to issue yet
    # The form by its labels, the status and the moves in words, never their codes.
    form = re.search(r'<table id="form">.*?</table>', page.text, re.S).group(0)
    assert '<th scope="row">Keperluan</th><td>melamar kerja</td>' in form
    assert 'data-status="routed">Diteruskan ke instansi</span>' in page.text
    assert '<button type="submit" name="to" value="received">Diterima instansi</button>' in (
        page.text
    )

    for to in ("received", "in_review"):
        assert (await move(routing, police.subject, to)).status_code == 303
    page = await routing.get(page_url)
    assert '<label for="req-pas_foto" style="display:inline">Pas foto</label>' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert re.search(r'<input type="file" id="result" name="result"', page.text)

    # A result goes only with approved or completed; and only as a PDF, JPEG or PNG.
    refused = await move(
        routing, police.subject, "rejected", {"result": ("skck.pdf", PDF, "application/pdf")}
    )
    assert "hanya dilampirkan saat menyetujui atau menyelesaikan" in refused.text
    wrong_type = await move(
        routing, police.subject, "approved", {"result": ("skck.txt", b"hello", "text/plain")}
    )
    assert "Jenis dokumen tidak didukung" in wrong_type.text
    assert await status_of(runtime, police.subject) == "in_review"

    approved = await move(
        routing, police.subject, "approved", {"result": ("skck.pdf", PDF, "application/pdf")}
    )
    assert approved.status_code == 303, approved.text
    code = re.search(r"issued=(MPP-[A-Z0-9-]+)", approved.headers["location"]).group(1)
    page = await routing.get(approved.headers["location"])
    assert re.search(rf'role="status" id="issued">.*<code>{code}</code>', page.text)
    assert "Status diubah menjadi “Disetujui”" in page.text
    assert re.search(rf'href="/verify/{code}"><code class="result-code">{code}<', page.text)

    # Anyone verifies it by its code (typed in any case and spacing) or by the file's hash.
    typed = await routing.get("/verify", params={"code": code.lower().replace("-", " ")})
    assert typed.status_code == 303
    verified = await routing.get(typed.headers["location"])
    assert verified.status_code == 200
    assert 'data-valid="true"' in verified.text
    assert f'id="verified-code">{code}<' in verified.text
    assert "Kepolisian Resor Kabupaten Pasuruan" in verified.text
    assert "Surat Keterangan Catatan Kepolisian" in verified.text
    for personal in ("Siti", NIK, "Pohjentrek", "melamar"):
        assert personal not in verified.text
    by_hash = await routing.get(f"/verify/{hashlib.sha256(PDF).hexdigest()}")
    assert f'id="verified-code">{code}<' in by_hash.text

    revoked = await routing.post(
        f"/api/v1/agency/results/{code}/revocation",
        json={"reason": "salah cetak nama"},
        headers={"authorization": f"Bearer {key.token}"},
    )
    assert revoked.status_code == 200, revoked.text
    again = await routing.get(f"/verify/{code}?lang=en")
    assert 'data-valid="false"' in again.text
    assert "REVOKED" in again.text
    assert 'id="revocation-reason">salah cetak nama<' in again.text

    unknown = await routing.get("/verify/MPP-AAAA-BBBB-CCCC?lang=id")
    assert unknown.status_code == 404
    assert 'data-valid="unknown"' in unknown.text
    assert 'value="MPP-AAAA-BBBB-CCCC"' in unknown.text

    # The citizen cancels the other application: its page says so, with the reason.
    await publish(
        runtime,
        runtime.topics.citizen_actions,
        CancellationRequested(
            source="intake",
            subject=withdrawn.subject,
            region=withdrawn.region,
            correlation_id=uuid7(),
            data=CancellationData(
                application_id=withdrawn.subject,
                tracking_number=withdrawn.data.tracking_number,
                citizen_id=withdrawn.data.citizen_id,
                reason="tidak jadi melamar",
            ),
        ),
    )
    await eventually(
        lambda: status_of(runtime, withdrawn.subject),
        timeout=20,
        until=lambda s: s == "cancelled",
    )
    cancelled = await routing.get(f"/workbench/applications/{withdrawn.subject}")
    notice = re.search(r'<div class="errors" id="cancellation".*?</div>', cancelled.text, re.S)
    assert notice, "the cancellation is not shown"
    assert "Warga meminta pembatalan permohonan ini" in notice.group(0)
    assert "tidak jadi melamar" in notice.group(0)
