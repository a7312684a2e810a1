"""The service catalogue: regions, agencies (offices) and services, compiled from packages.

The national package defines the standard services once; each region's package adopts
them (its office, SLA within the national maximum, fee, counters) and adds its own
(:mod:`shared.catalogue.packaging`, docs/catalogue.md). They are compiled into this
module's :class:`Catalogue` and validated as a whole — every service names an existing
agency for each region it is offered in, every form is a valid JSON Schema — so a bad
catalogue stops a service at start-up instead of misrouting applications later.
"""

import json
from datetime import date, timezone
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from shared.calendar import WorkingCalendar
from shared.catalogue.fees import Charge, FeeRule, charge_for
from shared.catalogue.queue_rules import QueueCounter, QueueRules
from shared.i18n.zones import ZONES, zone_for_region

__all__ = [
    "APPLICANT_FIELDS",
    "APPLICANT_LABELS",
    "Agency",
    "ApplicantField",
    "Catalogue",
    "Charge",
    "FeeRule",
    "KafkaSystem",
    "QueueCounter",
    "QueueRules",
    "Region",
    "RegionDay",
    "Service",
    "Terms",
    "check_form_schema",
    "load_catalogue",
]

DATA_DIR = Path(__file__).with_name("data")
PACKAGES_DIR = Path(__file__).with_name("packages")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """User-facing text: Bahasa Indonesia first, English second."""

    id: str
    en: str


class TextList(_Frozen):
    id: list[str]
    en: list[str]


ZoneName = Literal["WIB", "WITA", "WIT"]
"""Indonesia's three time zones (``shared.i18n.zones``)."""


class RegionDay(_Frozen):
    """A day off the region declares itself (a regional holiday, its own collective
    leave): the SLA clock does not count it, in that region only."""

    date: date
    name: Text


class Region(_Frozen):
    code: str = Field(pattern=r"^[0-9]{4}$")
    name: str
    mpp: str
    zone: ZoneName | None = Field(
        default=None, description="The region's time zone; by its province when not given."
    )
    holidays: tuple[RegionDay, ...] = ()


class KafkaSystem(_Frozen):
    """An agency's own system on Kafka that serves many offices (Dukcapil's SIAK)."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Text


class Handler(_Frozen):
    kind: Literal["kafka", "webhook", "workbench"]
    url: str | None = None
    system: str | None = Field(
        default=None,
        description="For kind kafka: the system serving this office (none: its own inbox).",
    )


class Agency(_Frozen):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Text
    region: str | None = None
    handler: Handler
    supervisor_email: str


ApplicantField = Literal[
    "nik",
    "name",
    "birth_place",
    "birth_date",
    "sex",
    "address",
    "family_card_number",
    "phone",
    "email",
]
"""Profile fields a service may ask to receive; the agency gets those it declares only."""

APPLICANT_FIELDS: tuple[str, ...] = ApplicantField.__args__  # type: ignore[attr-defined]

APPLICANT_LABELS: dict[str, tuple[str, str]] = {
    "nik": ("NIK", "NIK"),
    "name": ("Nama lengkap", "Full name"),
    "birth_place": ("Tempat lahir", "Place of birth"),
    "birth_date": ("Tanggal lahir", "Date of birth"),
    "sex": ("Jenis kelamin", "Sex"),
    "address": ("Alamat", "Address"),
    "family_card_number": ("Nomor Kartu Keluarga", "Family card number"),
    "phone": ("Nomor HP", "Mobile number"),
    "email": ("Email", "Email"),
}
"""How each applicant field is named to people (Bahasa Indonesia, English): to the
citizen on the form that lists what will be shared, to the officer who receives it."""


FORMS_CHECKED = "forms_checked"
"""Validation context key: the services are built from packages whose forms are checked."""


@lru_cache(maxsize=65536)
def _checked_schema(text: str) -> None:
    Draft202012Validator.check_schema(json.loads(text))


def check_form_schema(form: dict[str, Any]) -> None:
    """Raise ``jsonschema.SchemaError`` unless ``form`` is a valid JSON Schema (2020-12).
    Checking one costs about a millisecond and regions copy forms from one another, so
    each distinct form is checked once per process (a national catalogue holds tens of
    thousands)."""
    _checked_schema(json.dumps(form, sort_keys=True))


class Service(_Frozen):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Text
    agencies: dict[str, str] = Field(description="Region code (or '*') to agency code.")
    sla_working_days: int = Field(
        ge=1, description="The national maximum; a region's own: ``Catalogue.terms``."
    )
    fee_idr: int = Field(ge=0, description="The default fee; a region's own: ``Catalogue.terms``.")
    requirements: TextList
    documents: list[str]
    applicant_fields: list[ApplicantField] = Field(
        default_factory=list,
        description="The applicant's profile fields the agency receives (data minimisation).",
    )
    form_version: int = Field(ge=1)
    form: dict[str, Any]

    @model_validator(mode="after")
    def _form_is_json_schema(self, info: ValidationInfo) -> "Service":
        if (info.context or {}).get(FORMS_CHECKED):
            return self  # compiled from a package, whose model checked the form already
        check_form_schema(self.form)
        for name, field in self.form.get("properties", {}).items():
            if not isinstance(field.get("personal", False), bool):
                raise ValueError(f"{self.code}: form field {name}: 'personal' is true or false")
        return self

    @cached_property
    def personal_fields(self) -> tuple[str, ...]:
        """The form's fields marked ``"personal": true`` — answers about a person (the
        applicant, a child, the deceased): stored and sent sealed under the citizen's
        key, erased with it (docs/privacy.md). The rest of a form is service data."""
        properties = self.form.get("properties", {})
        return tuple(name for name, field in properties.items() if field.get("personal"))


class Terms(_Frozen):
    """A service as one region offers it: the office handling it, the SLA and fee the
    region publishes (within the national maximum), the MPP counters that serve it."""

    service: str
    region: str
    agency: str
    sla_working_days: int = Field(ge=1)
    fee_idr: int = Field(ge=0)
    counters: tuple[str, ...] = ()


class Catalogue(_Frozen):
    version: int
    regions: list[Region]
    agencies: list[Agency]
    services: list[Service]
    systems: list[KafkaSystem] = Field(default_factory=list)
    region_terms: list[Terms] = Field(
        default_factory=list,
        description="Each region's own terms for a service; absent: the national default.",
    )
    queues: list[QueueRules] = Field(
        default_factory=list, description="How each bookable service is queued, per region."
    )
    queue_counters: list[QueueCounter] = Field(
        default_factory=list,
        description="The counters of each MPP that queues, and the services each calls.",
    )
    fees: dict[str, FeeRule] = Field(
        default_factory=dict,
        description="Each billed service's fee rule, by service code; absent: not billed.",
    )

    def checked(self) -> "Catalogue":
        """The catalogue's own rules, for one built with ``model_construct`` from parts
        that are checked models already (:mod:`shared.catalogue.packaging.compiler`)."""
        return self._systems_resolve()._references_resolve()

    @model_validator(mode="after")
    def _references_resolve(self) -> "Catalogue":
        regions = {region.code for region in self.regions}
        agencies = {agency.code for agency in self.agencies}
        for service in self.services:
            for region, agency in service.agencies.items():
                if region != "*" and region not in regions:
                    raise ValueError(f"service {service.code}: unknown region {region}")
                if agency not in agencies:
                    raise ValueError(f"service {service.code}: unknown agency {agency}")
        for agency in self.agencies:
            if agency.region is not None and agency.region not in regions:
                raise ValueError(f"agency {agency.code}: unknown region {agency.region}")
        services = {service.code for service in self.services}
        for terms in self.region_terms:
            if terms.service not in services or terms.region not in regions:
                raise ValueError(f"terms of {terms.service} in {terms.region}: not offered there")
            if terms.agency not in agencies:
                raise ValueError(f"terms of {terms.service} in {terms.region}: unknown agency")
        return self

    @model_validator(mode="after")
    def _systems_resolve(self) -> "Catalogue":
        """A system and an office on Kafka share one space of topic names and principals
        (``<ns>.agency.<code>.inbox``), so their codes must differ; an office names only a
        declared system, and only with a Kafka handler."""
        systems = {system.code for system in self.systems}
        if clash := systems & {agency.code for agency in self.agencies}:
            raise ValueError(f"system {min(clash)}: an agency has the same code")
        for agency in self.agencies:
            system = agency.handler.system
            if system is not None and (agency.handler.kind != "kafka" or system not in systems):
                raise ValueError(f"agency {agency.code}: unknown Kafka system {system}")
        return self

    @cached_property
    def _services(self) -> dict[str, Service]:
        return {service.code: service for service in self.services}

    @cached_property
    def _agencies(self) -> dict[str, Agency]:
        return {agency.code: agency for agency in self.agencies}

    def service(self, code: str) -> Service | None:
        return self._services.get(code)

    def agency(self, code: str) -> Agency | None:
        return self._agencies.get(code)

    @cached_property
    def _regions(self) -> dict[str, Region]:
        return {region.code: region for region in self.regions}

    def region(self, code: str) -> Region | None:
        """By code, from an index: due dates and pages ask once per application or
        request, and a national catalogue has 514 regions to search."""
        return self._regions.get(code)

    def zone_of(self, region: str | None) -> timezone:
        """The region's time zone: the one its entry declares, else its province's
        (``zone_for_region``). Due dates, notices and pages all ask here, so a region
        that declares its zone is shown and counted in it."""
        return _zone(self.region(region) if region else None, region)

    def calendar_for(self, region: str | None) -> WorkingCalendar:
        """The region's SLA calendar: its zone (:meth:`zone_of`), the national holidays
        and its own days off (a region not in the catalogue has the national ones only)."""
        found = self.region(region) if region else None
        days_off = frozenset(day.date for day in found.holidays) if found else frozenset()
        return WorkingCalendar(zone=_zone(found, region), days_off=days_off)

    def agency_for(self, service_code: str, region: str) -> Agency | None:
        """The routing rule: service × region → agency, or None when unroutable."""
        service = self.service(service_code)
        if service is None:
            return None
        code = service.agencies.get(region) or service.agencies.get("*")
        return self.agency(code) if code else None

    def services_in(self, region: str) -> list[Service]:
        """The services offered in ``region``, in catalogue order, from an index built
        once per catalogue version: a national catalogue holds ~25,000 services, of
        which a region offers ~150."""
        offered, everywhere = self._offered
        return list(offered.get(region, everywhere))

    @cached_property
    def _offered(self) -> tuple[dict[str, list[Service]], list[Service]]:
        """Each region's services, and those a national office serves everywhere."""
        offered: dict[str, list[Service]] = {region.code: [] for region in self.regions}
        everywhere: list[Service] = []
        for service in self.services:
            if "*" in service.agencies:
                everywhere.append(service)
                for services in offered.values():
                    services.append(service)
                continue
            for region in service.agencies:
                offered.setdefault(region, []).append(service)
        return offered, everywhere

    @cached_property
    def _terms(self) -> dict[tuple[str, str], Terms]:
        return {(terms.service, terms.region): terms for terms in self.region_terms}

    def terms(self, service_code: str, region: str) -> Terms | None:
        """What ``region`` publishes for the service (office, SLA, fee, counters), or
        None when the region does not offer it. A region that states no terms of its
        own (a service a national office serves everywhere) gets the national default."""
        found = self._terms.get((service_code, region))
        if found is not None:
            return found
        service, agency = self.service(service_code), self.agency_for(service_code, region)
        if service is None or agency is None:
            return None
        return Terms(
            service=service.code,
            region=region,
            agency=agency.code,
            sla_working_days=service.sla_working_days,
            fee_idr=service.fee_idr,
        )

    def charge(self, service_code: str, region: str, form: dict[str, Any]) -> Charge | None:
        """What an application for the service in ``region`` with ``form`` owes under the
        service's fee rule at the region's fee (:mod:`shared.catalogue.fees`); None when
        nothing is billed."""
        service, terms = self.service(service_code), self.terms(service_code, region)
        if service is None or terms is None:
            return None
        return charge_for(self.fees.get(service_code), terms.fee_idr, form)

    @cached_property
    def _queues(self) -> dict[tuple[str, str], QueueRules]:
        return {(rules.region, rules.service): rules for rules in self.queues}

    def queue_rules(self, region: str, service_code: str) -> QueueRules | None:
        """How ``service_code`` is queued at ``region``'s MPP, or None when it cannot be
        booked there (the region's package declares no queue for it)."""
        return self._queues.get((region, service_code))

    @cached_property
    def _counters(self) -> dict[str, list[QueueCounter]]:
        """Each queueing region's counters: those its package declares, or by default one
        per queued service in the package's order (``loket-1``, "Loket 1", calls the
        first), so a package that declares none still has every service called."""
        found: dict[str, list[QueueCounter]] = {}
        for counter in self.queue_counters:
            found.setdefault(counter.region, []).append(counter)
        defaults: dict[str, list[QueueCounter]] = {}
        for rules in self.queues:
            if rules.region not in found:
                mine = defaults.setdefault(rules.region, [])
                n = len(mine) + 1
                mine.append(
                    QueueCounter(
                        region=rules.region,
                        id=f"loket-{n}",
                        label=f"Loket {n}",
                        services=(rules.service,),
                    )
                )
        return found | defaults

    def counters_of(self, region: str) -> list[QueueCounter]:
        """``region``'s MPP counters in its package's order; none when it queues nothing."""
        return list(self._counters.get(region, ()))

    def queue_counter(self, region: str, counter_id: str) -> QueueCounter | None:
        """The counter ``counter_id`` of ``region``'s MPP, or None: a counter of another
        region, or one its package does not declare, is not this MPP's."""
        return next((c for c in self._counters.get(region, ()) if c.id == counter_id), None)

    def kafka_agencies(self) -> list[str]:
        return [a.code for a in self.agencies if a.handler.kind == "kafka"]

    def kafka_inboxes(self) -> list[str]:
        """Who reads an inbox on Kafka: every system, then every Kafka office no system
        serves. Each has one inbox, one updates topic and one principal; an office a
        system serves has none of its own."""
        offices = [
            a.code for a in self.agencies if a.handler.kind == "kafka" and not a.handler.system
        ]
        return [system.code for system in self.systems] + offices

    def inbox_of(self, agency: str) -> str:
        """Whose inbox an office's applications go to: its system's, or its own."""
        found = self.agency(agency)
        return (found.handler.system if found else None) or agency

    def served_by(self, party: str) -> list[str]:
        """The offices whose applications ``party``'s inbox carries — a system's offices,
        or a lone office itself: the only ones it may report for."""
        return list(self._served.get(party, ()))

    @cached_property
    def _served(self) -> dict[str, list[str]]:
        served: dict[str, list[str]] = {}
        for agency in self.agencies:
            if agency.handler.kind == "kafka":
                served.setdefault(agency.handler.system or agency.code, []).append(agency.code)
        return served


def _zone(found: Region | None, code: str | None) -> timezone:
    """The zone a region's entry declares, else its province's."""
    if found is not None and found.zone is not None:
        return ZONES[found.zone]
    return zone_for_region(code)


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The catalogue the packages in ``packages/`` make: the national package and one
    package per region (``packages/regions/<code>.json``), compiled and validated as a
    whole — a bad package stops a service at start-up instead of misrouting later."""
    from shared.catalogue.packaging import compile_catalogue, load_package

    national = load_package(PACKAGES_DIR / "national.json")
    regions = [load_package(path) for path in sorted((PACKAGES_DIR / "regions").glob("*.json"))]
    return compile_catalogue(national, regions)  # type: ignore[arg-type]
