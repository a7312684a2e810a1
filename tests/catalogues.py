"""Catalogues built in code for tests: the published one with changes a test needs (Kafka
systems serving some of its offices), passed to a service in place of the published one
(``services.routing.app.build(settings, catalogue)``)."""

from collections.abc import Mapping

from shared.catalogue import Catalogue, KafkaSystem, load_catalogue

__all__ = ["SYSTEMS", "with_systems"]

SYSTEMS: dict[str, list[str]] = {
    "siak-jatim": ["disdukcapil-3514", "disdukcapil-3574"],
    "siak-banten": ["disdukcapil-3671"],
}
"""Two population-registry systems: one serving two East Java offices, one serving the
Banten office. disdukcapil-3576 and bpjs-kesehatan keep inboxes of their own."""


def with_systems(
    served: Mapping[str, list[str]] = SYSTEMS, base: Catalogue | None = None
) -> Catalogue:
    """``base`` (the published catalogue) with a Kafka system per key of ``served``,
    serving the offices listed; validated like any catalogue."""
    base = base or load_catalogue()
    system_of = {office: system for system, offices in served.items() for office in offices}
    agencies = [
        agency.model_copy(
            update={"handler": agency.handler.model_copy(update={"system": system_of[agency.code]})}
        )
        if agency.code in system_of
        else agency
        for agency in base.agencies
    ]
    systems = [
        KafkaSystem(code=code, name={"id": f"Sistem {code}", "en": f"System {code}"})
        for code in served
    ]
    return Catalogue.model_validate({**base.model_dump(), "agencies": agencies, "systems": systems})
