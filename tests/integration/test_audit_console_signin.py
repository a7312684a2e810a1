"""The auditor console's sign-in, sign-out and "not found" page, in-process on the real
broker and database: the key is kept in a cookie of the console only, signing out
deletes it, and a page the console cannot show says so in the console's frame."""

import re

from services.audit.keys import issue_key


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the form carries its CSRF token"
    return found.group(1)


async def test_an_auditor_signs_in_with_a_key_signs_out_and_an_unknown_application_is_not_found(
    service_app,
):
    audit = await service_app("audit")
    key = await issue_key(audit.app.state.runtime.db, "inspektorat")

    form = await audit.get("/console/signin")
    assert form.status_code == 200
    assert "Kunci auditor" in form.text
    wrong = await audit.post("/console/signin", data={"csrf": _csrf(form.text), "key": "not-a-key"})
    assert wrong.status_code == 401
    assert "mpp_auditor_key" not in audit.cookies

    signed_in = await audit.post("/console/signin", data={"csrf": _csrf(form.text), "key": key})
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/console/"
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith("mpp_auditor_key=")
    for attribute in ("HttpOnly", "Path=/console", "SameSite=lax"):
        assert attribute in cookie

    missing = await audit.get("/console/applications/no-such-application?lang=en")
    assert missing.status_code == 404
    assert "<h1>Not found</h1>" in missing.text
    assert 'href="/console/">Back</a>' in missing.text
    assert "/console/signout" in missing.text  # the console's frame: signed in

    signed_out = await audit.post("/console/signout", data={"csrf": _csrf(form.text)})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/console/signin"
    assert 'mpp_auditor_key=""' in signed_out.headers["set-cookie"]
    assert "Max-Age=0" in signed_out.headers["set-cookie"]
    again = await audit.get("/console/")
    assert again.status_code == 303
    assert again.headers["location"] == "/console/signin"


async def test_a_citizen_who_is_not_signed_in_is_sent_to_the_portal_from_audit(service_app):
    audit = await service_app("audit")
    page = await audit.get("/me/access")
    assert page.status_code == 303
    assert page.headers["location"] == "/me/signin"
    signin = await audit.get("/me/signin")
    assert "Silakan masuk dulu" in signin.text
    assert "/portal/signin" in signin.text
