"""The region's finance officer's work on reconciliation, against the real database and
broker with SKCK bills paid through the SIMPONI simulator: the officer imports the
region's settlement file and reads the findings it made, marks one handled with a note
(kept on the finding and announced as an audited ``payment.finding_handled`` event), and
cannot mark it twice; another region's finance officer, a region administrator and a
plain officer cannot import or mark it."""

from typing import Any

import httpx

from shared.auth import issue_token
from shared.events import FindingHandled
from tests.integration.routing_support import read_events
from tests.integration.test_payments_reconciliation import HEADER, day_of, line, paid_skck
from tests.integration.test_payments_simponi import world

BASE = "/api/v1/payments/reconciliation"


def bearer(app: Any, subject: str, role: str, **bound: str) -> dict[str, str]:
    token, _ = issue_token(app.state.runtime.settings, subject, (role,), **bound)
    return {"Authorization": f"Bearer {token}"}


async def test_the_finance_officer_imports_the_file_and_marks_a_finding_handled_once(stack):
    async with world(stack) as (app, url, simulator):
        settled, missing = await paid_skck(app, simulator), await paid_skck(app, simulator)
        day = day_of(settled).isoformat()
        officer = bearer(app, "keu.pasuruan", "finance_officer", region="3514")
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            imported = await client.post(
                f"{BASE}/imports", json={"csv": HEADER + line(settled)}, headers=officer
            )
            read = await client.get(BASE, params={"date": day}, headers=officer)
            (finding,) = read.json()["findings"]
            handled = await client.post(
                f"{BASE}/findings/{finding['id']}/handled",
                json={"note": "Ditanyakan ke bank dengan NTPN; menunggu jawaban"},
                headers=officer,
            )
            again = await client.post(
                f"{BASE}/findings/{finding['id']}/handled",
                json={"note": "catatan lain"},
                headers=officer,
            )
            after = await client.get(BASE, params={"date": day}, headers=officer)

        assert imported.status_code == 200, imported.text
        assert (imported.json()["matched"], imported.json()["findings"]) == (1, 1)
        assert read.json()["imported_days"] == [day]
        assert (finding["kind"], finding["bill_id"]) == ("unsettled", missing["_id"])
        assert handled.status_code == 200, handled.text
        assert again.status_code == 409
        assert again.headers["content-type"].startswith("application/problem+json")
        (kept,) = after.json()["findings"]
        assert kept["handled"]["by"] == "keu.pasuruan"
        assert kept["handled"]["note"] == "Ditanyakan ke bank dengan NTPN; menunggu jawaban"
        events = await read_events(
            app.state.runtime.settings.kafka_bootstrap,
            app.state.runtime.topics.payments,
            lambda found: any(isinstance(e, FindingHandled) for e in found),
        )
        (event,) = [e for e in events if isinstance(e, FindingHandled)]
        assert event.subject == missing["application_id"]
        assert (event.data.finding_id, event.data.handled_by) == (finding["id"], "keu.pasuruan")
        assert event.region == "3514"


async def test_no_one_but_the_regions_finance_officer_imports_or_marks_its_findings(stack):
    async with world(stack) as (app, url, simulator):
        settled, _missing = await paid_skck(app, simulator), await paid_skck(app, simulator)
        day = day_of(settled).isoformat()
        own = bearer(app, "keu.pasuruan", "finance_officer", region="3514")
        strangers = {
            "another region's finance officer": bearer(
                app, "keu.makassar", "finance_officer", region="7371"
            ),
            "the region's administrator": bearer(
                app, "adm.pasuruan", "region_admin", region="3514"
            ),
            "an agency officer": bearer(app, "rina.polres", "officer", agency="polres-3514"),
        }
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await client.post(f"{BASE}/imports", json={"csv": HEADER + line(settled)}, headers=own)
            (finding,) = (await client.get(BASE, params={"date": day}, headers=own)).json()[
                "findings"
            ]
            answers = {}
            for who, headers in strangers.items():
                marked = await client.post(
                    f"{BASE}/findings/{finding['id']}/handled", json={"note": "x"}, headers=headers
                )
                imported = await client.post(
                    f"{BASE}/imports", json={"csv": HEADER + line(settled)}, headers=headers
                )
                answers[who] = (marked.status_code, imported.status_code)
            still = (await client.get(BASE, params={"date": day}, headers=own)).json()["findings"]

        assert answers == {
            # its own region's import: Pasuruan's entry is not Makassar's to match
            "another region's finance officer": (404, 200),
            "the region's administrator": (403, 403),
            "an agency officer": (403, 403),
        }
        (kept,) = still  # Makassar's import left Pasuruan's finding as it was
        assert (kept["id"], kept.get("handled")) == (finding["id"], None)
