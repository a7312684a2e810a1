"""Officers' document links: signed over the application, document, agency and expiry."""

from pydantic import SecretStr
from starlette.requests import Request

from services.routing.web.routes import TEMPLATES, document_forms
from shared.document_links import link_query, sign, verify
from shared.settings import Settings
from shared.web import Pages

KEY = SecretStr("unit-test-link-key")
APP, DOC, AGENCY = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000", "ab" * 32, "disdukcapil-3576"


def test_a_fresh_link_verifies_until_it_expires():
    query = link_query(KEY, APP, DOC, AGENCY, 300, now=1_000_000)
    expires, signature = int(query["expires"]), query["signature"]
    assert expires == 1_000_300
    assert query["application"] == APP
    assert query["agency"] == AGENCY
    assert verify(KEY, APP, DOC, AGENCY, expires, signature, now=1_000_299)
    assert not verify(KEY, APP, DOC, AGENCY, expires, signature, now=1_000_301)


def test_changing_any_part_of_the_link_or_the_key_breaks_the_signature():
    expires = 2_000_000_000
    signature = sign(KEY, APP, DOC, AGENCY, expires)
    assert verify(KEY, APP, DOC, AGENCY, expires, signature, now=0)
    assert not verify(KEY, "0190aaaa-other", DOC, AGENCY, expires, signature, now=0)
    assert not verify(KEY, APP, "cd" * 32, AGENCY, expires, signature, now=0)
    assert not verify(KEY, APP, DOC, "bpjs-kesehatan", expires, signature, now=0)
    assert not verify(KEY, APP, DOC, AGENCY, expires + 1, signature, now=0)
    assert not verify(KEY, APP, DOC, AGENCY, expires, "0" * 64, now=0)
    assert not verify(SecretStr("another-key"), APP, DOC, AGENCY, expires, signature, now=0)


def test_a_separator_in_a_field_cannot_shift_the_signed_parts():
    expires = 2_000_000_000
    signature = sign(KEY, APP, DOC, AGENCY, expires)
    assert not verify(KEY, f"{APP}|{DOC}", AGENCY, "x", expires, signature, now=0)


def test_the_workbench_page_posts_each_document_to_intake_with_a_signed_form_not_a_url():
    settings = Settings(web_urls={"intake": "https://mpp.example.go.id/intake"})
    item = {
        "id": APP,
        "agency": AGENCY,
        "tracking_number": "3576-261123-0001",
        "service": "ktp-el",
        "region": "3576",
        "status": "received",
        "overdue": False,
        "working_days_left": 3,
        "form": {},
        "allowed_next": [],
        "documents": [
            {"sha256": DOC, "name": "ktp.pdf", "content_type": "application/pdf", "size": 2048}
        ],
    }
    links = document_forms(settings, item)
    assert links[DOC].action == f"https://mpp.example.go.id/intake/documents/{DOC}"
    query = links[DOC].fields
    assert query["application"] == APP
    assert query["agency"] == AGENCY
    signature = query["signature"]
    assert verify(settings.document_link_secret, APP, DOC, AGENCY, int(query["expires"]), signature)

    request = Request(
        {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    )
    page = Pages(TEMPLATES, settings, "routing").render(
        request,
        "application.html",
        item=item,
        links=links,
        fields=[],
        documents=[],
        notes=[],
        names={},
        key="k",
        error=None,
        signed_in=True,
        officer="Budi",
    )
    body = page.body.decode()
    assert f'method="post" action="{links[DOC].action}"' in body
    assert f'<input type="hidden" name="signature" value="{signature}">' in body
    assert "signature=" not in body  # never in a URL


def test_a_link_names_its_officer_and_another_name_breaks_the_signature():
    query = link_query(KEY, APP, DOC, AGENCY, 300, now=1_000_000, officer="Bripka|Andi")
    assert query["officer"] == "BripkaAndi"
    expires, signature = int(query["expires"]), query["signature"]
    assert verify(KEY, APP, DOC, AGENCY, expires, signature, now=0, officer="BripkaAndi")
    assert not verify(KEY, APP, DOC, AGENCY, expires, signature, now=0, officer="Briptu Budi")
    assert not verify(KEY, APP, DOC, AGENCY, expires, signature, now=0)
