"""A local stand-in for Dukcapil's verify-only NIK service, with the wire format intake's
adapter speaks.

``POST /v1/nik/verify`` (bearer token) takes ``{"nik", "name", "birth_date"}`` and answers
``{"match": true}`` or ``{"match": false}``, nothing more: like the real service, it
never gives out population data (no name, no address), so a caller learns only whether
what the citizen typed is right. A match needs the NIK known, the same name once both
are normalised (:func:`normalise_name`) and the same birth date.

It knows :data:`ops.sample_data.TEST_IDENTITIES` from the start (``GET /`` lists them for
a developer registering on ``make up``). Three endpoints exist only in the simulator, for
tests and load runs; Dukcapil has nothing like them:

* ``POST /v1/identities`` adds (or replaces) a resident, answering 201;
* ``POST /v1/faults`` makes the next ``fail_next`` verifications answer ``status`` after
  ``delay_seconds`` (a delay beyond the caller's timeout provokes a timeout), to test
  intake's retries and circuit breaker; ``fail_next: 0`` clears;
* ``GET /v1/stats`` counts verifications (``verify_calls``), to see retries happen; it
  holds no personal data, so it needs no token.

State lives in memory: a restart forgets added residents, faults and counts.
"""

import asyncio
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from html import escape
from typing import Annotated

from fastapi import Depends, FastAPI, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, BeforeValidator, Field

from ops.sample_data import TEST_IDENTITIES
from ops.simulators.bearer import bearer_required
from shared.problems import Problem, install_problem_handlers

__all__ = ["Faults", "Population", "create_app", "normalise_name"]

_SPACES = re.compile(r"\s+")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date_only(value: object) -> object:
    """Only ``YYYY-MM-DD``: pydantic alone would take timestamps and datetimes too."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("expected YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


def normalise_name(name: str) -> str:
    """Case, surrounding and repeated whitespace, and punctuation (``.`` ``,`` ``'`` ``-``)
    do not make a different name: ``"  SITI  aminah."`` is ``"siti aminah"``."""
    kept = "".join(c for c in name if not unicodedata.category(c).startswith("P"))
    return _SPACES.sub(" ", kept).strip().casefold()


class Identity(BaseModel):
    nik: str = Field(pattern=r"^\d{16}$", description="Nomor Induk Kependudukan, 16 digits.")
    name: str = Field(min_length=1, max_length=200)
    birth_date: IsoDate


class FaultPlan(BaseModel):
    fail_next: int = Field(ge=0, le=10_000)
    status: int = Field(503, ge=400, le=599)
    delay_seconds: float = Field(0.0, ge=0, le=60)


class Population:
    """The residents the simulator knows, by NIK."""

    def __init__(self, identities: Iterable[Mapping[str, str]]) -> None:
        self._known: dict[str, tuple[str, date]] = {}
        for identity in identities:
            self.add(Identity.model_validate(identity))

    def add(self, identity: Identity) -> None:
        self._known[identity.nik] = (normalise_name(identity.name), identity.birth_date)

    def matches(self, claim: Identity) -> bool:
        known = self._known.get(claim.nik)
        return known == (normalise_name(claim.name), claim.birth_date)

    def __len__(self) -> int:
        return len(self._known)


class Faults:
    """The next ``fail_next`` verifications fail; each call takes one."""

    def __init__(self) -> None:
        self._plan = FaultPlan(fail_next=0)

    def set(self, plan: FaultPlan) -> None:
        self._plan = plan

    def take(self) -> FaultPlan | None:
        if self._plan.fail_next == 0:
            return None
        self._plan = self._plan.model_copy(update={"fail_next": self._plan.fail_next - 1})
        return self._plan


def _page(identities: Iterable[Mapping[str, str]], known: int) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(i['nik'])}</code></td><td>{escape(i['name'])}</td>"
        f"<td>{escape(i['birth_date'])}</td></tr>"
        for i in identities
    )
    return f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Simulator Dukcapil</title>
<style>body{{font-family:sans-serif;margin:2rem;max-width:50rem}}
td,th{{padding:.3rem .8rem;text-align:left;border-bottom:1px solid #ddd}}</style></head>
<body><h1>Simulator verifikasi NIK Dukcapil <small>/ Dukcapil NIK verification simulator</small>
</h1>
<p>Daftar dengan salah satu identitas uji ini untuk membuktikan NIK di stack lokal.
Data fiktif; hanya untuk pengembangan.</p>
<p lang="en"><em>Register with one of these test identities to prove a NIK on the local
stack. Fictitious data, for development only.</em></p>
<table><tr><th>NIK</th><th>Nama / Name</th><th>Tanggal lahir / Birth date</th></tr>
{rows}</table>
<p>Penduduk yang dikenal / residents known: {known}</p>
</body></html>"""


def create_app(token: str, identities: Iterable[Mapping[str, str]] = TEST_IDENTITIES) -> FastAPI:
    seeded = list(identities)
    population = Population(seeded)
    faults = Faults()
    stats = {"verify_calls": 0}
    app = FastAPI(title="Dukcapil NIK verification (local simulator)")
    install_problem_handlers(app)

    authorised = bearer_required(token)

    guarded = [Depends(authorised)]

    @app.post("/v1/nik/verify", dependencies=guarded)
    async def verify(claim: Identity) -> dict[str, bool]:
        stats["verify_calls"] += 1
        fault = faults.take()
        if fault is not None:
            await asyncio.sleep(fault.delay_seconds)
            raise Problem(
                fault.status, "Simulated fault", "Injected by POST /v1/faults (simulator)."
            )
        return {"match": population.matches(claim)}

    @app.post("/v1/identities", status_code=201, dependencies=guarded)
    async def add_identity(identity: Identity) -> Response:
        population.add(identity)
        return Response(status_code=201)

    @app.post("/v1/faults", status_code=204, dependencies=guarded)
    async def set_faults(plan: FaultPlan) -> Response:
        faults.set(plan)
        return Response(status_code=204)

    @app.get("/v1/stats")
    async def read_stats() -> dict[str, int]:
        return dict(stats)

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        return _page(seeded, len(population))

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app
