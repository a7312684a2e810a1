"""Where a notice leads: the absolute address of the citizen's application page, and of
the survey page once the application is finished.

A notice is read outside the site — in a mail client, an SMS, a lock screen — so a
relative path leads nowhere: every link is absolute. The site's public address is
``MPP_PORTAL_URL``; a service whose pages ``MPP_WEB_URLS`` names with an absolute URL is
linked there instead; with neither, each service's own address on this machine.

The survey link works without signing in: it carries a token, ``HMAC(survey secret,
"survey-link|" + application id)``, that lets its holder answer that one application's
survey (once) and nothing else — the survey is anonymous and the token opens no
personal data. The survey page moves the token from the address into a cookie scoped
to that page at once (:mod:`services.notify.web.routes`), so it does not stay in the
address bar.
"""

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

from pydantic import SecretStr

from shared.settings import Settings
from shared.web import site_url

__all__ = ["NoticeLinks", "site_url", "survey_link_token", "survey_link_valid"]


def survey_link_token(secret: SecretStr, application_id: str) -> str:
    """The token of one application's survey link (domain-separated from the answer
    token, :func:`services.notify.surveys.answer_token`, which uses the same key)."""
    key = secret.get_secret_value().encode()
    message = f"survey-link|{application_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def survey_link_valid(secret: SecretStr, application_id: str, token: str | None) -> bool:
    if not token:
        return False
    return hmac.compare_digest(token, survey_link_token(secret, application_id))


@dataclass(frozen=True)
class NoticeLinks:
    """The absolute links notices carry."""

    portal: str
    surveys: str
    secret: SecretStr

    @classmethod
    def from_settings(cls, settings: Settings) -> "NoticeLinks":
        return cls(
            portal=site_url(settings, "intake"),
            surveys=site_url(settings, "notify"),
            secret=settings.survey_token_secret,
        )

    def application(self, application_id: str, language: str = "id") -> str:
        """The citizen's application page (signing in leads back to it)."""
        page = f"{self.portal}/portal/applications/{quote(application_id, safe='')}"
        return page + _language(language, "?")

    def survey(self, application_id: str, language: str = "id") -> str:
        """The survey page, opened by the link's token without signing in."""
        token = survey_link_token(self.secret, application_id)
        page = f"{self.surveys}/surveys/{quote(application_id, safe='')}?t={token}"
        return page + _language(language, "&")


def _language(language: str, joiner: str) -> str:
    """The page opens in the notice's language; Indonesian is every page's default."""
    return f"{joiner}lang={quote(language)}" if language != "id" else ""
