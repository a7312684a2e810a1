"""A service's fee rule: what an application owes by its form and region, and the rules a
package's fee must keep."""

import pytest
from pydantic import ValidationError

from shared.catalogue import load_catalogue
from shared.catalogue.fees import FeeRule, charge_for
from shared.catalogue.packaging import PackageInvalid, compile_catalogue, package_from
from tests.catalogue.support import national_document, region_document

LEVY = FeeRule(rule="by_field", kind="regional_levy", field="floor_area_m2", due="before_release")


def test_an_skck_owes_its_fixed_pnbp_fee_before_the_police_start():
    charge = load_catalogue().charge("skck", "3514", {"purpose": "melamar kerja"})
    assert charge is not None
    assert (charge.amount_idr, charge.kind, charge.account, charge.due) == (
        30000,
        "pnbp",
        "425213",
        "before_agency",
    )


def test_a_service_without_a_rule_or_with_a_zero_fee_bills_nothing():
    catalogue = load_catalogue()
    assert catalogue.charge("ktp-el", "3514", {}) is None  # no rule
    assert catalogue.charge("pbg", "3514", {"floor_area_m2": 100}) is None  # Rp0 per m²


def test_a_levy_by_floor_area_is_the_rate_times_the_area_rounded_up_to_the_rupiah():
    assert charge_for(LEVY, 10000, {"floor_area_m2": 72.5}).amount_idr == 725000
    assert charge_for(LEVY, 333, {"floor_area_m2": 1.5}).amount_idr == 500
    assert charge_for(LEVY, 10000, {}) is None
    assert charge_for(LEVY, 10000, {"floor_area_m2": True}) is None


def test_a_free_rule_bills_nothing_whatever_the_fee():
    assert charge_for(FeeRule(rule="free"), 50000, {}) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rule": "fixed"}, "names its kind"),
        ({"rule": "fixed", "kind": "pnbp"}, "account code"),
        ({"rule": "by_field", "kind": "regional_levy"}, "field is named"),
        ({"rule": "fixed", "kind": "regional_levy", "field": "floors"}, "field is named"),
    ],
)
def test_an_incomplete_rule_is_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        FeeRule.model_validate(fields)


def test_a_package_whose_fee_counts_a_field_that_is_not_a_number_is_refused():
    national = national_document()
    pbg = next(s for s in national["services"] if s["code"] == "pbg")
    pbg["fee"]["field"] = "site_address"
    with pytest.raises(PackageInvalid, match="not a number field"):
        compile_catalogue(
            package_from(national, "national"),
            [package_from(region_document("3514"), "3514")],  # type: ignore[list-item]
        )
