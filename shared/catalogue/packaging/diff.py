"""What changed between two versions of a package, service by service.

A publish is reviewed (and audited) by its diff: services added or removed, an SLA, fee,
office, counters or form that changed, offices and systems added, removed or moved to
another handler, the region's own days off, its queue (hours, slot length, walk-in share,
each queued service's quota, its counters). ``render_changes`` writes it in plain lines.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from shared.catalogue.packaging.compiler import package_name
from shared.catalogue.packaging.models import NationalPackage, RegionPackage

__all__ = ["Change", "diff_packages", "render_changes"]

_SERVICE_FIELDS = (
    "name",
    "office",
    "sla_max_working_days",
    "sla_working_days",
    "fee_idr",
    "counters",
    "requirements",
    "documents",
    "applicant_fields",
    "form_version",
    "form",
)
_OFFICE_FIELDS = ("name", "handler", "supervisor_email")


@dataclass(frozen=True)
class Change:
    """One difference: ``what`` (``service ktp-el``, ``office dpmptsp-7371``, ``region``)
    was ``added``, ``removed`` or ``changed`` (then ``field`` went ``before`` → ``after``)."""

    package: str
    what: str
    kind: Literal["added", "removed", "changed"]
    field: str | None = None
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        if self.kind != "changed":
            return f"{self.package}: {self.what} {self.kind}"
        if self.field == "form":
            return f"{self.package}: {self.what}: form changed"
        before, after = _plain(self.before), _plain(self.after)
        return f"{self.package}: {self.what}: {self.field} {before} → {after}"


def _plain(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict) and set(value) == {"id", "en"}:
        return f"{value['id']} / {value['en']}"
    if isinstance(value, dict) and "kind" in value:
        return " ".join(f"{key}={item}" for key, item in value.items() if item is not None)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "(none)"
    return str(value)


def _keyed(items: Iterable[BaseModel], key: str) -> dict[str, dict[str, Any]]:
    return {getattr(item, key): item.model_dump(mode="json") for item in items}


def _compare(
    package: str, noun: str, old: dict[str, dict], new: dict[str, dict], fields: Sequence[str]
) -> list[Change]:
    changes = [Change(package, f"{noun} {code}", "removed") for code in old if code not in new]
    for code, after in new.items():
        before = old.get(code)
        if before is None:
            changes.append(Change(package, f"{noun} {code}", "added"))
            continue
        changes += [
            Change(package, f"{noun} {code}", "changed", name, before.get(name), after.get(name))
            for name in fields
            if before.get(name) != after.get(name)
        ]
    return changes


def _region_services(package: RegionPackage) -> dict[str, dict[str, Any]]:
    """Adopted and local services by code, with the terms the region sets."""
    services = {a.service: a.model_dump(mode="json", exclude={"service"}) for a in package.adopts}
    services.update(_keyed(package.services, "code"))
    return services


def _national_diff(old: NationalPackage, new: NationalPackage) -> list[Change]:
    name = package_name(new)
    changes = _compare(
        name, "service", _keyed(old.services, "code"), _keyed(new.services, "code"), _SERVICE_FIELDS
    )
    changes += _compare(
        name, "office", _keyed(old.offices, "code"), _keyed(new.offices, "code"), _OFFICE_FIELDS
    )
    changes += _compare(
        name, "system", _keyed(old.systems, "code"), _keyed(new.systems, "code"), ("name",)
    )
    return changes


def _region_diff(old: RegionPackage, new: RegionPackage) -> list[Change]:
    name = package_name(new)
    before, after = old.region.model_dump(), new.region.model_dump()
    changes = [
        Change(name, "region", "changed", field, before[field], after[field])
        for field in ("name", "mpp", "zone")
        if before[field] != after[field]
    ]
    changes += _compare(
        name, "service", _region_services(old), _region_services(new), _SERVICE_FIELDS
    )
    changes += _compare(
        name, "office", _keyed(old.offices, "code"), _keyed(new.offices, "code"), _OFFICE_FIELDS
    )
    days = ({d.date.isoformat(): d.model_dump(mode="json") for d in p.holidays} for p in (old, new))
    changes += _compare(name, "day off", *days, ("name",))
    return changes + _queue_diff(name, old, new)


_QUEUE_FIELDS = ("hours", "slot_minutes", "walkin_share_percent")


def _queue_diff(name: str, old: RegionPackage, new: RegionPackage) -> list[Change]:
    """The queue added or removed, a setting changed, a service queued or not, a quota, a
    counter added, removed or changed."""
    if old.queue is None or new.queue is None:
        if old.queue is new.queue:
            return []
        return [Change(name, "queue", "added" if old.queue is None else "removed")]
    before, after = old.queue.model_dump(mode="json"), new.queue.model_dump(mode="json")
    changes = [
        Change(name, "queue", "changed", field, before[field], after[field])
        for field in _QUEUE_FIELDS
        if before[field] != after[field]
    ]
    queued = (_keyed(package.services, "service") for package in (old.queue, new.queue))
    changes += _compare(name, "queued service", *queued, ("quota_per_slot",))
    counters = (_keyed(package.counters, "id") for package in (old.queue, new.queue))
    return changes + _compare(name, "counter", *counters, ("label", "services"))


def diff_packages(
    old: NationalPackage | RegionPackage, new: NationalPackage | RegionPackage
) -> list[Change]:
    """Every change from ``old`` to ``new``: removals first, then additions and changes in
    the new package's order. Two packages of different kinds or regions differ entirely."""
    if package_name(old) != package_name(new):
        return [
            Change(
                package_name(new),
                "package",
                "changed",
                "name",
                package_name(old),
                package_name(new),
            )
        ]
    changes = []
    if old.version != new.version:
        changes.append(
            Change(package_name(new), "package", "changed", "version", old.version, new.version)
        )
    if isinstance(old, NationalPackage) and isinstance(new, NationalPackage):
        return changes + _national_diff(old, new)
    assert isinstance(old, RegionPackage)
    assert isinstance(new, RegionPackage)
    return changes + _region_diff(old, new)


def render_changes(changes: Sequence[Change]) -> str:
    """The changes as lines a reviewer reads, or a line saying there are none."""
    if not changes:
        return "no changes\n"
    return "".join(f"{change}\n" for change in changes)
