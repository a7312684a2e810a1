"""``mpp catalogue validate`` and ``diff`` as an operator runs them: a real process, its
exit status and what it prints."""

import os
import subprocess
import sys

import yaml

from tests.catalogue.support import EXAMPLES, ROOT, adoption, local_service, region_document


def mpp(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "catalogue", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def written(tmp_path, name: str, document: dict):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return path


def test_validate_accepts_the_examples_and_says_what_each_offers():
    done = mpp("validate", str(EXAMPLES / "7371.yaml"), str(EXAMPLES / "9471.yaml"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Kota Makassar (7371) version 3: valid, ")
    assert lines[1].startswith("Kota Jayapura (9471) version 2: valid, ")


def test_validate_lists_every_problem_by_path_and_exits_1(tmp_path):
    makassar = region_document("7371")
    index, entry = adoption(makassar, "ktp-el")
    entry["sla_working_days"] = 20
    makassar["region"]["zone"] = "WITA"
    makassar["services"].append(local_service("7371-izin-reklame-insidentil", "dpmptsp-3576"))
    at = len(makassar["services"]) - 1
    bad = written(tmp_path, "7371.yaml", makassar)
    done = mpp("validate", str(bad))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "2 problems; nothing would change:",
        f"  regions/7371: adopts[{index}].sla_working_days: 20 is above the national maximum 14",
        f"  regions/7371: services[{at}].office: dpmptsp-3576 is not an office of region 7371",
    ]


def test_validate_checks_a_package_against_the_other_live_regions(tmp_path):
    makassar = region_document("7371")
    makassar["offices"][1]["code"] = "dpmptsp-3576"
    for entry in makassar["adopts"] + makassar["services"]:
        if entry["office"] == "dpmptsp-7371":
            entry["office"] = "dpmptsp-3576"
    done = mpp("validate", str(written(tmp_path, "7371.yaml", makassar)))
    assert done.returncode == 1
    assert "regions/7371: offices[1].code: dpmptsp-3576 is already an office in regions/3576" in (
        done.stderr
    )


def test_validate_names_a_file_that_is_not_a_package_and_reads_the_others(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: region\nversion: 1\nregion: {code: '7371'}\n")
    done = mpp("validate", str(broken), str(EXAMPLES / "9471.yaml"))
    assert done.returncode == 1
    assert f"  {broken}: region.name: is required" in done.stderr.splitlines()
    assert f"  {broken}: offices: is required" in done.stderr.splitlines()
    assert "Traceback" not in done.stderr


def test_diff_says_service_by_service_what_changed(tmp_path):
    old = region_document("7371")
    new = region_document("7371")
    new["version"] = 4
    adoption(new, "skck")[1]["sla_working_days"] = 2
    adoption(new, "skck")[1]["fee_idr"] = 30000
    adoption(new, "nib")[1]["office"] = "disdukcapil-7371"
    new["adopts"] = [entry for entry in new["adopts"] if entry["service"] != "uji-kir"]
    new["services"].append(local_service("7371-izin-reklame-insidentil", "dpmptsp-7371"))
    local = next(s for s in new["services"] if s["code"] == "7371-tdup")
    local["form"]["required"] = []
    local["form_version"] = 2
    done = mpp(
        "diff", str(written(tmp_path, "old.yaml", old)), str(written(tmp_path, "new.yaml", new))
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "regions/7371: package: version 3 → 4",
        "regions/7371: service uji-kir removed",
        "regions/7371: service nib: office dpmptsp-7371 → disdukcapil-7371",
        "regions/7371: service skck: sla_working_days 3 → 2",
        "regions/7371: service 7371-tdup: form_version 1 → 2",
        "regions/7371: service 7371-tdup: form changed",
        "regions/7371: service 7371-izin-reklame-insidentil added",
    ]


def test_diff_of_the_same_package_says_there_are_no_changes():
    path = str(EXAMPLES / "9471.yaml")
    done = mpp("diff", path, path)
    assert (done.returncode, done.stdout) == (0, "no changes\n")
