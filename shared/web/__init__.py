"""Server-rendered pages: the parts every service's ``web`` package shares.

Each service serves its own users' pages (intake the citizens', routing the officers',
audit the auditors', notify the citizen's inbox), so the layout, the stylesheet, the
language switch and the CSRF check live here, once. Pages work without JavaScript:
every action is a plain form post followed by a redirect.

Language: Bahasa Indonesia unless ``?lang=en`` (or another language with a catalogue,
``shared.i18n``) was chosen; the choice is remembered in a cookie. Page text is written
in Indonesian as ``_("Masuk")`` and translated from the catalogues; text that arrives
with both languages as data (a service's field labels from the catalogue) is shown with
``t(indonesian, english)``; the catalogue's codes (a form's options, the kinds of
document) read as the catalogue's words (``shared/catalogue/data/labels.json``) through
``option_words`` and ``document_words``. Times go
through the ``when``, ``day`` and ``clock`` filters: words, in the zone of the region
the page is about (``region`` in the page's context, or the filter's argument) as the
catalogue decides it (``Catalogue.zone_of``: a zone the region declares wins over its
province's), with the zone's name.

Errors: on a page's route a refusal or a failure answers a page
(:mod:`shared.web.errors`); the API keeps its problem documents.

CSRF: a random token in an HttpOnly, SameSite=Lax cookie must come back in every form
(double submit). SameSite=Lax already stops cross-site posts in current browsers; the
token covers older ones and same-site subdomains.
"""

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.datastructures import FormData

from shared import i18n
from shared.catalogue.labels import document_label, option_label
from shared.catalogue.live import served_catalogue
from shared.problems import Problem
from shared.settings import Settings
from shared.web.errors import FORM_EXPIRED, PageErrors

__all__ = [
    "CSRF_COOKIE",
    "DEVICE_COOKIE",
    "LANG_COOKIE",
    "SESSION_COOKIE",
    "Home",
    "Pages",
    "bearer",
    "checked_form",
    "end_session",
    "internal_url",
    "language",
    "local_api",
    "remember",
    "service_url",
    "site_url",
]

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
LANG_COOKIE = "mpp_lang"
CSRF_COOKIE = "mpp_csrf"
SESSION_COOKIE = "mpp_session"  # the citizen's access token; every service verifies it
DEVICE_COOKIE = "mpp_device"  # the signed-in device (refresh family) the session started
_YEAR = 365 * 24 * 3600


def language(request: Request) -> str:
    """The language asked for (now or earlier) when it has a catalogue, else ``id``."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return asked if asked in i18n.languages() else i18n.SOURCE_LANGUAGE


def local_api(request: Request, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """A client bound to this very app, calling as the browser's IP: a page goes through
    exactly the validation, rate limits and access records its service's API applies."""
    client = request.client
    transport = httpx.ASGITransport(
        app=request.app, client=(client.host, client.port) if client else ("127.0.0.1", 0)
    )
    return httpx.AsyncClient(transport=transport, base_url="http://self", headers=headers)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def internal_url(settings: Settings, service: str) -> str:
    """Where one service calls ``service``'s API server to server (``MPP_INTERNAL_URLS``,
    else this host at its port) — never a browser's address."""
    if service in settings.internal_urls:
        return settings.internal_urls[service].rstrip("/")
    return f"http://127.0.0.1:{getattr(settings, f'{service}_port')}"


def service_url(settings: Settings, name: str) -> str:
    """Where a browser reaches another service's pages (they share one host)."""
    if name in settings.web_urls:
        return settings.web_urls[name].rstrip("/")
    port = getattr(settings, f"{name}_port")
    host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "::") else settings.http_host
    return f"http://{host}:{port}"


def site_url(settings: Settings, service: str) -> str:
    """The absolute base under which a browser reaches ``service``'s pages, for links that
    leave the site (a notice, a printed ticket): ``MPP_WEB_URLS``' absolute address, else
    the portal's public address, else the service's own."""
    named = settings.web_urls.get(service, "")
    if named.startswith(("http://", "https://")):
        return named.rstrip("/")
    if settings.portal_url:
        return settings.portal_url.rstrip("/")
    return service_url(settings.model_copy(update={"web_urls": {}}), service)


@dataclass(frozen=True)
class Home:
    """Where the shared "not found" page sends the reader back to, and the link's text."""

    path: str
    indonesian: str
    english: str


class Pages:
    """Renders one service's templates inside the shared layout.

    ``layout`` is the service's page frame (its navigation), which the shared pages
    (``missing.html``, ``error.html``, ``citizen_signin.html``) extend; ``home`` is the
    "not found" page's way back, if any; ``context`` adds what the layout needs on every
    page (the portal's "signed in"), the shared error pages included."""

    def __init__(
        self,
        templates: Path,
        settings: Settings,
        service: str,
        layout: str = "base.html",
        home: Home | None = None,
        context: Callable[[Request], dict[str, Any]] | None = None,
    ) -> None:
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(templates), FileSystemLoader(TEMPLATES_DIR)]),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(when=_when, day=_day, clock=_clock, money=_money)
        self.env.globals.update(
            language_link=_language_link,
            status_words=_status_words,
            progress_steps=_progress_steps,
            document_words=_document_words,
            option_words=_option_words,
        )
        self.settings = settings
        self.service = service
        self.layout = layout
        self.home = home
        self.context = context

    def mount(self, app: FastAPI) -> None:
        """The stylesheet and scripts, and error pages on every route but the API's
        (added after the service's own limits, so it also words their refusals)."""
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
        app.add_middleware(PageErrors, pages=self)

    def render(
        self, request: Request, template: str, code: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = language(request)
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        if self.context is not None:
            context = {**self.context(request), **context}
        html = self.env.get_template(template).render(
            request=request,
            lang=lang,
            languages=i18n.languages(),
            t=_translator(lang),
            _=i18n.translations(lang).gettext,
            csrf=token,
            root=request.scope.get("root_path", ""),
            site=self.service,
            layout=self.layout,
            home=self.home,
            urls={
                name: service_url(self.settings, name)
                for name in ("intake", "routing", "notify", "audit", "identity")
            },
            **context,
        )
        response = HTMLResponse(html, status_code=code)
        remember(request, response)
        if request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", path="/")
        return response

    def redirect(self, request: Request, path: str) -> RedirectResponse:
        """After a successful post: see-other, so a reload does not post again."""
        response = RedirectResponse(request.scope.get("root_path", "") + path, status_code=303)
        remember(request, response)
        return response


def end_session(response: Any) -> Any:
    """The citizen's session cookies deleted (path ``/``: every service on the site reads
    them), after signing out or a new password."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(DEVICE_COOKIE, path="/")
    return response


def remember(request: Request, response: Any) -> None:
    """Keep a language chosen with ``?lang=`` for the next pages."""
    asked = request.query_params.get("lang")
    if asked in i18n.languages():
        response.set_cookie(LANG_COOKIE, asked, max_age=_YEAR, samesite="lax", path="/")


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the cookie's."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise Problem(
            403,
            "Formulir kedaluwarsa / Form expired",
            "The form's security token did not match; reload the page and send it again.",
            type_=FORM_EXPIRED,
        )
    return form


def _translator(lang: str) -> Callable[[str, str], str]:
    """For text that comes with both languages as data; a third language reads the
    Indonesian."""

    def t(indonesian: str, english: str) -> str:
        return english if lang == "en" else indonesian

    return t


@pass_context
def _language_link(context: Context, code: str) -> str:
    """This page in another language, its query kept (a sign-in request's parameters, a
    search) and ``lang`` replaced."""
    request: Request = context["request"]
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return "?" + urlencode([*kept, ("lang", code)])


def _region(context: Context, region: str | None) -> tzinfo:
    """The zone of the region the page is about, as the catalogue decides it (a zone the
    region declares wins over its province's)."""
    return served_catalogue().zone_of(region if region is not None else context.get("region"))


@pass_context
def _when(context: Context, moment: Any, region: str | None = None) -> str:
    """ "Senin, 7 Desember 2026 pukul 10.18 WIB"; empty for no time."""
    if not moment:
        return ""
    return i18n.when_in_words(moment, _region(context, region), context["lang"])


@pass_context
def _day(context: Context, moment: Any, region: str | None = None) -> str:
    """ "Senin, 7 Desember 2026" (the day in the region's zone)."""
    if not moment:
        return ""
    return i18n.day_in_words(moment, context["lang"], _region(context, region))


@pass_context
def _clock(context: Context, moment: Any, region: str | None = None) -> str:
    """ "10.18 WIB"."""
    if not moment:
        return ""
    return i18n.time_in_words(moment, _region(context, region), context["lang"])


@pass_context
def _money(context: Context, amount: Any) -> str:
    return i18n.money(amount, context["lang"])


@pass_context
def _status_words(context: Context, status: str) -> "i18n.statuses.StatusWords":
    return i18n.status_words(status, i18n.translations(context["lang"]).gettext)


@pass_context
def _progress_steps(context: Context, status: str) -> list[dict[str, str]]:
    return i18n.progress_steps(status, i18n.translations(context["lang"]).gettext)


@pass_context
def _document_words(context: Context, kind: str) -> str:
    """ "Pas foto" for ``pas_foto`` (the catalogue's words, shared/catalogue/labels.py)."""
    return document_label(kind, context["lang"])


@pass_context
def _option_words(context: Context, value: object, field: str | None = None) -> str:
    """ "Perubahan data" for ``perubahan_data``, the field's own words when it is named."""
    return option_label(field, value, context["lang"])
