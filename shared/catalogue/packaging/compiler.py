"""The national package and the regions' packages, compiled into the runtime catalogue.

Everything is checked before anything is built, and every problem is collected with its
path: a bad package changes nothing and says all that is wrong at once
(:class:`~shared.catalogue.packaging.problems.PackageInvalid`). The result is the same
:class:`~shared.catalogue.Catalogue` every service already reads; each region's own SLA,
fee and counters for a service are its ``region_terms`` (``catalogue.terms(code, region)``).
"""

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from shared.catalogue import (
    FORMS_CHECKED,
    Agency,
    Catalogue,
    QueueCounter,
    QueueRules,
    Region,
    Service,
    Terms,
)
from shared.catalogue.fees import FeeRule
from shared.catalogue.packaging.models import (
    LocalService,
    NationalPackage,
    NationalService,
    Office,
    RegionPackage,
)
from shared.catalogue.packaging.problems import (
    PackageInvalid,
    PackageProblem,
    from_validation_error,
)

__all__ = ["compile_catalogue", "package_name"]

NATIONAL = "national"


def package_name(package: NationalPackage | RegionPackage) -> str:
    """How problems and changes name a package: ``national`` or ``regions/7371``."""
    if isinstance(package, NationalPackage):
        return NATIONAL
    return f"regions/{package.region.code}"


def _duplicates(codes: Iterable[str]) -> list[tuple[int, str]]:
    """The position and code of every code seen before in ``codes``."""
    seen: set[str] = set()
    repeated = []
    for index, code in enumerate(codes):
        if code in seen:
            repeated.append((index, code))
        seen.add(code)
    return repeated


def _check_offices(
    where: str, offices: Sequence[Office], systems: set[str], taken: dict[str, str]
) -> list[PackageProblem]:
    """Office codes are unique nationally; a kafka office names a known system, if any;
    a webhook office says where to deliver. ``taken`` maps codes to their package."""
    problems = []
    for index, office in enumerate(offices):
        path = f"offices[{index}]"
        if office.code in taken:
            owner = taken[office.code]
            elsewhere = "in this package" if owner == where else f"in {owner}"
            problems.append(
                PackageProblem(
                    where, f"{path}.code", f"{office.code} is already an office {elsewhere}"
                )
            )
        taken.setdefault(office.code, where)
        handler = office.handler
        if handler.system is not None and handler.kind != "kafka":
            problems.append(
                PackageProblem(
                    where,
                    f"{path}.handler.system",
                    f"only a kafka office is served by a system, this one is {handler.kind}",
                )
            )
        elif handler.system is not None and handler.system not in systems:
            problems.append(
                PackageProblem(
                    where,
                    f"{path}.handler.system",
                    f"{handler.system} is not a Kafka system of the national package",
                )
            )
        if handler.kind == "webhook" and not handler.url:
            problems.append(
                PackageProblem(
                    where,
                    f"{path}.handler.url",
                    "a webhook office needs the URL its applications are delivered to",
                )
            )
    return problems


def _check_national(national: NationalPackage, offices: dict[str, str]) -> list[PackageProblem]:
    problems = [
        PackageProblem(NATIONAL, f"systems[{index}].code", f"{code} is listed twice")
        for index, code in _duplicates(system.code for system in national.systems)
    ]
    problems += [
        PackageProblem(NATIONAL, f"services[{index}].code", f"{code} is listed twice")
        for index, code in _duplicates(service.code for service in national.services)
    ]
    systems = {system.code for system in national.systems}
    problems += _check_offices(NATIONAL, national.offices, systems, offices)
    own = {office.code for office in national.offices}
    for index, service in enumerate(national.services):
        if service.office is not None and service.office not in own:
            problems.append(
                PackageProblem(
                    NATIONAL,
                    f"services[{index}].office",
                    f"{service.office} is not a national office of this package",
                )
            )
    return problems


def _check_adoptions(
    region: RegionPackage, standard: dict[str, NationalService], offices: set[str]
) -> list[PackageProblem]:
    where, problems = package_name(region), []
    seen: set[str] = set()
    for index, adopted in enumerate(region.adopts):
        path = f"adopts[{index}]"
        national = standard.get(adopted.service)
        if national is None:
            problems.append(
                PackageProblem(
                    where, f"{path}.service", f"{adopted.service} is not a national service"
                )
            )
        elif adopted.service in seen:
            problems.append(
                PackageProblem(where, f"{path}.service", f"{adopted.service} is adopted twice")
            )
        elif (
            adopted.sla_working_days is not None
            and adopted.sla_working_days > national.sla_max_working_days
        ):
            problems.append(
                PackageProblem(
                    where,
                    f"{path}.sla_working_days",
                    f"{adopted.sla_working_days} is above the national maximum "
                    f"{national.sla_max_working_days}",
                )
            )
        seen.add(adopted.service)
        if adopted.office not in offices:
            problems.append(
                PackageProblem(
                    where,
                    f"{path}.office",
                    f"{adopted.office} is not an office of region {region.region.code}",
                )
            )
    return problems


def _check_locals(
    region: RegionPackage, standard: dict[str, NationalService], offices: set[str]
) -> list[PackageProblem]:
    where, code, problems = package_name(region), region.region.code, []
    for index, service in enumerate(region.services):
        path = f"services[{index}]"
        if not service.code.startswith(f"{code}-"):
            problems.append(
                PackageProblem(
                    where,
                    f"{path}.code",
                    f"{service.code}: a local service's code starts with the region's "
                    f"code ({code}-)",
                )
            )
        if service.code in standard:
            problems.append(
                PackageProblem(
                    where, f"{path}.code", f"{service.code} is a national service; adopt it instead"
                )
            )
        if service.office not in offices:
            problems.append(
                PackageProblem(
                    where, f"{path}.office", f"{service.office} is not an office of region {code}"
                )
            )
    problems += [
        PackageProblem(where, f"services[{index}].code", f"{repeated} is listed twice")
        for index, repeated in _duplicates(service.code for service in region.services)
    ]
    problems += _check_queue(region, standard)
    problems += [
        PackageProblem(where, f"holidays[{index}].date", f"{day} is listed twice")
        for index, day in _duplicates(day.date.isoformat() for day in region.holidays)
    ]
    return problems


def _check_queue(
    region: RegionPackage, standard: dict[str, NationalService]
) -> list[PackageProblem]:
    """A queued service is one the region offers (adopted, or its own), listed once."""
    if region.queue is None:
        return []
    where, problems = package_name(region), []
    offered = {adopted.service for adopted in region.adopts if adopted.service in standard}
    offered |= {service.code for service in region.services}
    codes = [queued.service for queued in region.queue.services]
    for index, code in enumerate(codes):
        if code not in offered:
            problems.append(
                PackageProblem(
                    where,
                    f"queue.services[{index}].service",
                    f"{code} is not a service region {region.region.code} offers",
                )
            )
    problems += [
        PackageProblem(where, f"queue.services[{index}].service", f"{code} is listed twice")
        for index, code in _duplicates(codes)
    ]
    return problems + _check_counters(region, offered)


def _check_counters(region: RegionPackage, offered: set[str]) -> list[PackageProblem]:
    """Each counter calls services the queue lists, once each; no id or label twice; and
    every queued service has a counter, or its tickets would wait for ever."""
    assert region.queue is not None
    where, code, problems = package_name(region), region.region.code, []
    queued = [queued.service for queued in region.queue.services]
    counters = region.queue.counters
    for index, counter in enumerate(counters):
        path = f"queue.counters[{index}].services"
        for at, service in enumerate(counter.services):
            if service not in offered:
                why = f"{service} is not a service region {code} offers"
            elif service not in queued:
                why = f"{service} is not in queue.services: region {code} does not queue it"
            else:
                continue
            problems.append(PackageProblem(where, f"{path}[{at}]", why))
        problems += [
            PackageProblem(where, f"{path}[{at}]", f"{service} is listed twice")
            for at, service in _duplicates(counter.services)
        ]
    for field in ("id", "label"):
        problems += [
            PackageProblem(where, f"queue.counters[{index}].{field}", f"{value} is listed twice")
            for index, value in _duplicates(getattr(counter, field) for counter in counters)
        ]
    called = {service for counter in counters for service in counter.services}
    problems += [
        PackageProblem(where, f"queue.services[{index}].service", f"{service}: no counter calls it")
        for index, service in enumerate(queued)
        if counters and service not in called
    ]
    return problems


def _counters(region: RegionPackage) -> list[QueueCounter]:
    """The MPP's counters as its package declares them; none declared, the catalogue
    gives it its default ones (:meth:`Catalogue.counters_of`)."""
    queue, code = region.queue, region.region.code
    if queue is None:
        return []
    return [QueueCounter(region=code, **counter.model_dump()) for counter in queue.counters]


def _queues(region: RegionPackage) -> list[QueueRules]:
    queue = region.queue
    if queue is None:
        return []
    hours = {day: (opening.opens, opening.closes) for day, opening in queue.hours.items()}
    return [
        QueueRules(
            region=region.region.code,
            service=queued.service,
            slot_minutes=queue.slot_minutes,
            quota_per_slot=queued.quota_per_slot,
            walkin_share_percent=queue.walkin_share_percent,
            grace_minutes=queue.grace_minutes,
            hours=hours,
        )
        for queued in queue.services
    ]


def _check_regions(
    national: NationalPackage, regions: Sequence[RegionPackage], offices: dict[str, str]
) -> list[PackageProblem]:
    standard = {service.code: service for service in national.services}
    systems = {system.code for system in national.systems}
    national_offices = {office.code for office in national.offices}
    problems: list[PackageProblem] = []
    seen: set[str] = set()
    for region in regions:
        where = package_name(region)
        if region.region.code in seen:
            problems.append(
                PackageProblem(
                    where, "region.code", f"region {region.region.code} has two packages"
                )
            )
            continue
        seen.add(region.region.code)
        problems += _check_offices(where, region.offices, systems, offices)
        own = national_offices | {office.code for office in region.offices}
        problems += _check_adoptions(region, standard, own)
        problems += _check_locals(region, standard, own)
    return problems


def _agency(office: Office, region: str | None) -> Agency:
    return Agency(region=region, **office.model_dump(exclude_none=False))


_CHECKED = {FORMS_CHECKED: True}


def _local(service: LocalService, region: str) -> Service:
    fields = service.model_dump(exclude={"office", "counters", "fee"})
    return Service.model_validate(
        {"agencies": {region: service.office}, **fields}, context=_CHECKED
    )


def _terms(national: NationalPackage, region: RegionPackage) -> list[Terms]:
    standard = {service.code: service for service in national.services}
    code, terms = region.region.code, []
    for adopted in region.adopts:
        service = standard[adopted.service]
        sla, fee = adopted.sla_working_days, adopted.fee_idr
        terms.append(
            Terms(
                service=service.code,
                region=code,
                agency=adopted.office,
                sla_working_days=service.sla_max_working_days if sla is None else sla,
                fee_idr=service.fee_idr if fee is None else fee,
                counters=tuple(adopted.counters),
            )
        )
    for local in region.services:
        terms.append(
            Terms(
                service=local.code,
                region=code,
                agency=local.office,
                sla_working_days=local.sla_working_days,
                fee_idr=local.fee_idr,
                counters=tuple(local.counters),
            )
        )
    return terms


def _national_services(
    national: NationalPackage, regions: Sequence[RegionPackage]
) -> list[Service]:
    """The national services some region adopts (or a national office serves), each with
    the office handling it per region; a service no region offers is not in the catalogue."""
    offices: dict[str, dict[str, str]] = {}
    for region in regions:
        for adopted in region.adopts:
            offices.setdefault(adopted.service, {})[region.region.code] = adopted.office
    services = []
    for service in national.services:
        agencies = {"*": service.office} if service.office else {}
        agencies.update(offices.get(service.code, {}))
        if agencies:
            fields = service.model_dump(exclude={"sla_max_working_days", "office", "fee"})
            fields |= {"agencies": agencies, "sla_working_days": service.sla_max_working_days}
            services.append(Service.model_validate(fields, context=_CHECKED))
    return services


@dataclass(frozen=True)
class _RegionParts:
    """What one region package adds to the catalogue, given the national package."""

    region: Region
    agencies: list[Agency]
    services: list[Service]
    terms: list[Terms]
    queues: list[QueueRules]
    counters: list[QueueCounter]


_PARTS: "OrderedDict[int, tuple[NationalPackage, RegionPackage, _RegionParts]]" = OrderedDict()
_PARTS_KEPT = 4096


def _region_parts(national: NationalPackage, region: RegionPackage) -> _RegionParts:
    """A region's compiled parts, built once per (national, region) pair of package
    objects: a publish of one package rebuilds that package's parts only (a national
    catalogue has 514 regions, ~15,000 offices and ~77,000 terms)."""
    kept = _PARTS.get(id(region))
    if kept is not None and kept[0] is national and kept[1] is region:
        _PARTS.move_to_end(id(region))
        return kept[2]
    code = region.region.code
    parts = _RegionParts(
        region=Region(**region.region.model_dump(), holidays=tuple(region.holidays)),
        agencies=[_agency(office, code) for office in region.offices],
        services=[_local(service, code) for service in region.services],
        terms=_terms(national, region),
        queues=_queues(region),
        counters=_counters(region),
    )
    _PARTS[id(region)] = (national, region, parts)
    while len(_PARTS) > _PARTS_KEPT:
        _PARTS.popitem(last=False)
    return parts


def _build(national: NationalPackage, regions: Sequence[RegionPackage], version: int) -> Catalogue:
    parts = [_region_parts(national, region) for region in regions]
    catalogue = Catalogue.model_construct(  # every part is a checked model already
        version=version,
        regions=[part.region for part in parts],
        agencies=[a for part in parts for a in part.agencies]
        + [_agency(office, None) for office in national.offices],
        services=_national_services(national, regions)
        + [s for part in parts for s in part.services],
        # Every national system, named by an office yet or not: its topics and credentials
        # exist from the deployment on, so a region's package can join it live.
        systems=list(national.systems),
        region_terms=[t for part in parts for t in part.terms],
        queues=[rules for part in parts for rules in part.queues],
        queue_counters=[counter for part in parts for counter in part.counters],
        fees=_fees(national, regions),
    )
    return catalogue.checked()


def _fees(national: NationalPackage, regions: Sequence[RegionPackage]) -> dict[str, FeeRule]:
    """Every service's fee rule that its package declares, national and local."""
    declared = [*national.services, *(s for region in regions for s in region.services)]
    return {service.code: service.fee for service in declared if service.fee is not None}


def compile_catalogue(
    national: NationalPackage, regions: Sequence[RegionPackage], *, version: int | None = None
) -> Catalogue:
    """The catalogue these packages make (version: the national package's unless given),
    or :class:`PackageInvalid` listing every problem, each by package and path."""
    offices: dict[str, str] = {}
    problems = _check_national(national, offices)
    problems += _check_regions(national, regions, offices)
    if problems:
        raise PackageInvalid(problems)
    try:
        return _build(national, regions, national.version if version is None else version)
    except ValidationError as error:  # a rule the packages' own checks do not cover
        raise PackageInvalid(from_validation_error("catalogue", error)) from None
    except ValueError as error:  # the catalogue's own rules (Catalogue.checked)
        raise PackageInvalid([PackageProblem("catalogue", "", str(error))]) from None
