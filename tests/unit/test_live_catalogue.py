"""A process's live catalogue: a published package applies over the built-in ones once,
in order; one that does not compile changes nothing; words for people follow it."""

from typing import Any

import yaml

from services.notify.templates import service_name
from shared.catalogue.live import (
    LiveCatalogue,
    built_in_documents,
    served_catalogue,
)
from shared.catalogue.packaging import package_from
from shared.events import CataloguePublishedData
from tests.catalogue.support import EXAMPLES


def makassar() -> dict[str, Any]:
    document = yaml.safe_load((EXAMPLES / "7371.yaml").read_text(encoding="utf-8"))
    return package_from(document, "7371").model_dump(mode="json")


def published(document: dict, catalogue_version: int, package_version: int = 3) -> Any:
    return CataloguePublishedData(
        package_id=document["region"]["code"] if document["kind"] == "region" else "national",
        package_version=package_version,
        catalogue_version=catalogue_version,
        package=document,
        published_by="operator:test",
        reason="test",
    )


def test_a_published_region_is_served_with_its_own_services_and_zone():
    live = LiveCatalogue(built_in_documents())
    assert live.region("7371") is None
    assert live.apply(published(makassar(), live.version + 1))
    assert live.region("7371").zone == "WITA"
    local = [s.code for s in live.services_in("7371") if s.code.startswith("7371-")]
    assert local
    assert live.calendar_for("7371").zone.utcoffset(None).total_seconds() == 8 * 3600


def test_a_version_already_applied_or_older_changes_nothing():
    live = LiveCatalogue(built_in_documents())
    assert live.apply(published(makassar(), 5))
    current = live.current
    shorter = makassar()
    shorter["adopts"][0]["sla_working_days"] = 1
    assert not live.apply(published(shorter, 5, package_version=4))
    assert not live.apply(published(shorter, 4, package_version=4))
    assert live.current is current


def test_a_package_that_does_not_compile_with_the_rest_keeps_the_catalogue_it_had():
    live = LiveCatalogue(built_in_documents())
    before = live.current
    broken = makassar()
    broken["adopts"][0]["office"] = "no-such-office"
    assert not live.apply(published(broken, live.version + 1))
    assert live.current is before
    assert live.region("7371") is None


def test_a_notice_names_a_published_local_service_in_words_not_its_code():
    live = LiveCatalogue(built_in_documents())
    code = "7371-izin-reklame"
    assert live.apply(published(makassar(), max(served_catalogue().version, 1) + 1))
    assert served_catalogue().service(code) is not None
    assert service_name(code, "id") == live.service(code).name.id
    assert service_name(code, "id") != code


def test_an_upgraded_process_still_applies_what_was_published_before_its_release():
    shipped = built_in_documents()
    shipped["national"] = {**shipped["national"], "version": 9}  # the release's numbering
    live = LiveCatalogue(shipped)
    assert live.version == 9
    assert live.apply(published(makassar(), 2))  # published before the release, as 2
    assert live.region("7371") is not None
    assert live.version == 9


def test_a_package_published_below_the_version_a_release_ships_is_not_applied():
    shipped = built_in_documents()
    shipped["3576"] = {**shipped["3576"], "version": 5}
    live = LiveCatalogue(shipped)
    older = {**built_in_documents()["3576"], "version": 4}
    older["adopts"] = older["adopts"][:1]
    assert not live.apply(published(older, 2, package_version=4))
    assert len(live.services_in("3576")) == len(LiveCatalogue(shipped).services_in("3576"))
