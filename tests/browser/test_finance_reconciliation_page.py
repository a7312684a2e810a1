"""The region's finance officer's reconciliation page in Chromium at phone width
(390 × 844), on the platform's processes, clicking every button: Kabupaten Pasuruan's
finance officer signs in at the identity provider and lands on the page, imports the
day's SIMPONI settlement file (one bill it settles, one it does not list, one code no
bill has), reads both findings in plain words with amounts in rupiah and times in WIB,
picks the imported day again, and marks a finding handled with a note, which stays on
the page (its audited event: tests/integration/test_payments_finance_desk.py). Kota
Mojokerto's finance officer sees none of Pasuruan's findings and cannot mark one; an
agency officer is told the page is not theirs. No page is wider than the phone, and
none shows a machine word."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from pymongo import MongoClient

from shared.events import utcnow
from shared.settings import Settings
from tests.browser.conftest import PHONE, add_staff, chromium_path
from tests.browser.pages import go
from tests.browser.test_staff_pages_in_chromium import reads_plainly

# make test-slow: a whole platform and a browser (kept out of make test for its time)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300), pytest.mark.slow]

WIB = ZoneInfo("Asia/Jakarta")
PASSWORD = "sandi-keuangan-2026"
SETTLED_CODE, MISSING_CODE, UNKNOWN_CODE = "820261207000123", "820261207000456", "999000111222333"
NOTE = "Ditanyakan ke bank dengan NTPN; menunggu jawaban"


def paid_bill(code: str, ntpn: str, paid_at: datetime) -> dict:
    """A Pasuruan SKCK bill paid through SIMPONI, as the payment stores it."""
    return {
        "_id": f"bill-{code}",
        "application_id": f"app-{code}",
        "tracking_number": f"MPP-3514-{code[-4:]}",
        "service": "skck",
        "region": "3514",
        "amount_idr": 30000,
        "kind": "pnbp",
        "account": "425213",
        "channel": "simponi",
        "state": "paid",
        "billing_code": code,
        "receipt": {"ntpn": ntpn, "ntb": None, "paid_at": paid_at},
        "created_at": paid_at - timedelta(hours=1),
        "updated_at": paid_at,
    }


def seed_paid_bills(env: dict[str, str], paid_at: datetime) -> None:
    """Two paid bills and their applications in routing's database (set-up: paying
    through SIMPONI has its own tests)."""
    settings = Settings(mongo_uri=env["MPP_MONGO_URI"], namespace=env["MPP_NAMESPACE"])
    with MongoClient(settings.mongo_uri) as mongo:
        db = mongo[settings.database_name("routing")]
        bills = [
            paid_bill(SETTLED_CODE, "0A1B2C3D4E5F6071", paid_at),
            paid_bill(MISSING_CODE, "1B2C3D4E5F607182", paid_at),
        ]
        db["bills"].insert_many(bills)
        db["applications"].insert_many(
            [{"_id": bill["application_id"], "agency": "polres-3514"} for bill in bills]
        )


def settlement_file(day: str, paid_at: datetime) -> bytes:
    at = paid_at.astimezone(WIB).isoformat()
    return (
        "settlement_date,channel,billing_code,amount_idr,receipt,ntb,paid_at\n"
        f"{day},simponi,{SETTLED_CODE},30000,0A1B2C3D4E5F6071,NTB0000123,{at}\n"
        f"{day},simponi,{UNKNOWN_CODE},50000,ZZZZ000011112222,,{at}\n"
    ).encode()


def sign_in(page, routing: str, username: str) -> None:
    page.goto(f"{routing}/workbench/signin")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    go(page, "button:has-text('Masuk')")


def post_by_hand(page, action: str, fields: dict[str, str]) -> None:
    """A form the page does not offer, sent with the page's own security token."""
    csrf = page.locator("input[name=csrf]").first.input_value()
    script = """([action, fields]) => {
      const form = document.createElement('form');
      form.method = 'post'; form.action = action;
      for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement('input');
        input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
      }
      document.body.appendChild(form); form.submit();
    }"""
    with page.expect_navigation():
        page.evaluate(script, [action, {"csrf": csrf, **fields}])


def officer_reconciles(page, routing: str, day: str, paid_at: datetime, shots) -> str:
    sign_in(page, routing, "keu.pasuruan")
    expect(page).to_have_url(f"{routing}/workbench/payments")
    expect(page.locator("#findings")).to_contain_text("belum diimpor")
    reads_plainly(page)
    page.set_input_files(
        "#f-file",
        files=[
            {"name": "simponi.csv", "mimeType": "text/csv", "buffer": settlement_file(day, paid_at)}
        ],
    )
    go(page, "button:has-text('Impor dan cocokkan')")
    expect(page.locator("#imported")).to_be_visible()
    expect(page.locator(".finding")).to_have_count(2)
    main = page.locator("main")
    expect(main).to_contain_text("Dibayar di bank, tanpa tagihan di platform")
    expect(main).to_contain_text("Lunas di platform, tidak ada di berkas bank")
    expect(main).to_contain_text("Yang perlu dilakukan")
    expect(main).to_contain_text("Rp30.000")
    expect(main).to_contain_text("Rp50.000")
    expect(main).to_contain_text("WIB")
    expect(page.locator("#totals")).to_contain_text("Kepolisian")
    reads_plainly(page)
    shots(page, "finance-findings")

    go(page, "#days button:has-text('Tampilkan')")
    expect(page.locator(".finding")).to_have_count(2)

    unsettled = page.locator(".finding", has_text=MISSING_CODE)
    finding_id = unsettled.get_attribute("id").removeprefix("finding-")
    unsettled.locator("textarea").fill(NOTE)
    go(page, f"#finding-{finding_id} button:has-text('Tandai sudah ditangani')")
    expect(page.locator("#handled")).to_be_visible()
    handled = page.locator(f"#finding-{finding_id}")
    expect(handled).to_have_attribute("data-handled", "yes")
    expect(handled).to_contain_text(NOTE)
    expect(handled).to_contain_text("keu.pasuruan")
    expect(handled).to_contain_text("WIB")
    reads_plainly(page)
    shots(page, "finance-handled")
    return finding_id


def test_the_regions_finance_officer_reconciles_the_day_and_marks_a_finding_on_a_phone(
    web_platform, browser, shots
):
    chromium_path()
    running = web_platform()
    routing = running.url("routing")
    add_staff(
        running.env, "keu.pasuruan", PASSWORD, "--role", "finance_officer", "--region", "3514"
    )
    add_staff(
        running.env, "keu.mojokerto", PASSWORD, "--role", "finance_officer", "--region", "3576"
    )
    add_staff(running.env, "rina.polres", PASSWORD, "--role", "officer", "--agency", "polres-3576")
    paid_at = utcnow() - timedelta(minutes=5)
    day = paid_at.astimezone(WIB).date().isoformat()
    seed_paid_bills(running.env, paid_at)

    pasuruan = browser.new_context(viewport=PHONE).new_page()
    finding_id = officer_reconciles(pasuruan, routing, day, paid_at, shots)

    mojokerto = browser.new_context(viewport=PHONE).new_page()
    sign_in(mojokerto, routing, "keu.mojokerto")
    mojokerto.goto(f"{routing}/workbench/payments?date={day}")
    expect(mojokerto.locator(".finding")).to_have_count(0)
    expect(mojokerto.locator("main")).not_to_contain_text(MISSING_CODE)
    post_by_hand(
        mojokerto,
        f"{routing}/workbench/payments/findings/{pasuruan_other(pasuruan)}/handled",
        {"note": "bukan wilayah saya", "date": day},
    )
    expect(mojokerto.locator("#finance-error")).to_contain_text("Temuan tidak ada")
    reads_plainly(mojokerto)

    officer = browser.new_context(viewport=PHONE).new_page()
    sign_in(officer, routing, "rina.polres")
    officer.goto(f"{routing}/workbench/payments")
    expect(officer.locator("#refused")).to_contain_text("khusus petugas keuangan wilayah")
    expect(officer.locator(".finding")).to_have_count(0)

    pasuruan.reload()
    other = pasuruan.locator(".finding[data-handled=no]")
    expect(other).to_have_count(1)  # Mojokerto's attempt changed nothing
    assert finding_id not in (other.get_attribute("id") or "")


def pasuruan_other(page) -> str:
    """The id of Pasuruan's finding still open."""
    return page.locator(".finding[data-handled=no]").get_attribute("id").removeprefix("finding-")
