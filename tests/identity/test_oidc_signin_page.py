"""The sign-in page a person sees: Bahasa Indonesia first, English a click away without
losing the application's request, and the application's name shown."""

import html
import re
import secrets

from tests.identity.conftest import Served
from tests.identity.test_oidc_hostile import MOBILE, _authorize_url

ENGLISH_LINK = re.compile(r'<a href="([^"]+)" hreflang="en">English</a>')


async def test_the_sign_in_page_switches_to_english_and_keeps_the_application_s_request(
    served: Served,
):
    url = _authorize_url(served, MOBILE, secrets.token_urlsafe(48))
    async with served.http() as browser:
        page = await browser.get(url)
        assert page.status_code == 200
        assert "Masuk dengan akun MPP Digital" in page.text
        assert 'id="signin-client">Aplikasi MPP Digital<' in page.text
        assert page.headers["x-frame-options"] == "DENY"
        link = html.unescape(ENGLISH_LINK.search(page.text).group(1))
        english = await browser.get("/oauth/authorize" + link)
    assert english.status_code == 200
    assert "Sign in with your MPP Digital account" in english.text
    assert "code_challenge_method=S256" in html.unescape(english.text)
    assert 'name="password"' in english.text
