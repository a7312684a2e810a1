"""``make bench``: run every stage's benchmark, then write BENCHMARKS.md and a JSON file.

python -m bench [stage ...]     run the stages (all by default), then report
python -m bench --report        only rewrite BENCHMARKS.md from the latest results
"""

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.common import RESULTS, Figure, ImpossibleFigure, check, machine

STAGES = (
    "intake",
    "routing",
    "notify",
    "audit",
    "pipeline",
    "identity",
    "observability",
    "privacy",
    "catalogue",
    "queue",
)
REPORTED = (*STAGES, "audit-1m", "pipeline-2")
"""Stages whose latest results go into BENCHMARKS.md; audit-1m is ``make bench-audit-1m``,
pipeline-2 ``python -m bench.pipeline --replicas 2`` (routing and notify twice each)."""
OWN_SECTION = ("catalogue", "queue")
"""Stages reported in a section of their own (:func:`national_section`), not the table."""
ROOT = Path(__file__).resolve().parent.parent
STAGE_TIMEOUT = {"catalogue": 3600, "queue": 1800}
"""Seconds a stage may run (900 unless named): the national catalogue starts every
service twice and publishes forty times."""


def run(stage: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", f"bench.{stage}"],
        cwd=ROOT,
        check=True,
        timeout=STAGE_TIMEOUT.get(stage, 900),
    )
    return time.monotonic() - started


def _beside_baseline(figure: dict) -> tuple[str, str]:
    """A figure's baseline (value, unit and name) and its ratio, as table cells."""
    if figure["baseline"] is None:
        return "", ""
    baseline = f"{figure['baseline']:,.1f} {figure['unit']} ({figure['baseline_name']})"
    ratio = f"{figure['ratio']:.2f}" if figure["ratio"] is not None else ""
    return baseline, ratio


def render(results: list[dict], durations: dict[str, float]) -> str:
    facts = machine()
    lines = [
        "# Benchmarks",
        "",
        f"Measured {facts['date']} on {facts['platform']}, {facts['cpus']} CPUs, "
        f"Python {facts['python']}, against the local stack (Tansu broker, SecantusDB).",
        "Each figure stands beside its baseline measured in the same run; the machine",
        "is shared and noisy, so compare ratios rather than absolute numbers, and the",
        "cost of one application (below the table: counts of work, stable across runs)",
        "rather than rates. Regenerate with `make bench`.",
        "",
        "| stage | figure | value | baseline | ratio | aim | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        if result["stage"] in OWN_SECTION:
            continue
        for f in result["figures"]:
            baseline, ratio = _beside_baseline(f)
            met = {True: "yes", False: "no", None: ""}[f["met"]]
            lines.append(
                f"| {result['stage']} | {f['name']} | {f['value']:,.1f} {f['unit']} | "
                f"{baseline} | {ratio} | {f['aim'] or ''} | {met} |"
            )
    lines += cost_section(results)
    lines += national_section(results)
    lines += queue_section(results)
    lines += ["", "## Notes", ""]
    for result in results:
        if result.get("notes") and result["stage"] not in OWN_SECTION:
            lines += [f"**{result['stage']}** — {result['notes']}", ""]
    lines += ["## Run time", ""]
    lines += [f"- {stage}: {seconds:.0f} s" for stage, seconds in durations.items()]
    history = ROOT / "bench" / "HISTORY.md"
    if history.exists():
        lines += ["", history.read_text()]
    return "\n".join(lines) + "\n"


def cost_section(results: list[dict]) -> list[str]:
    """The per-application cost table of each pipeline run."""
    lines: list[str] = []
    for result in results:
        cost = result.get("cost")
        if not cost:
            continue
        lines += [
            "",
            f"## Cost of one application ({result['stage']})",
            "",
            f"{cost['applications']} applications at a steady {cost['rate']:.1f}/s, from the "
            "first submission until every application reached the agency's inbox, the "
            "citizen's notification and the audit log; the idle platform's work per second "
            "beside (at R applications/s it adds idle / R to each application). How each "
            "is counted: `bench/cost.py`.",
            "",
            "| per application | value | idle platform, per second |",
            "|---|---|---|",
        ]
        for name, value, idle, unit in cost["rows"]:
            lines.append(f"| {name} | {value:,.1f} {unit} | {idle:,.1f} {unit} |")
        lines += round_trip_section(cost.get("round_trips_by_command") or {})
    return lines


def national_section(results: list[dict]) -> list[str]:
    """The platform with a national catalogue loaded (``bench.catalogue``): its own
    table, with the generator's command and the machine it ran on."""
    lines: list[str] = []
    for result in results:
        if result["stage"] != "catalogue":
            continue
        facts = result["machine"]
        lines += [
            "",
            "## National scale (catalogue)",
            "",
            f"Measured {facts['date']} on {facts['platform']}, {facts['cpus']} CPUs, "
            f"Python {facts['python']}: `python -m bench.catalogue` (generates the catalogue "
            "with `python -m bench.national_catalogue --out DIR --regions 514 --services 150`, "
            "seed 29). The baseline is the same measurement with the demo catalogue "
            "(`shared/catalogue/packages/`) on a platform started the same way.",
            "",
            "| figure | national catalogue | baseline | ratio |",
            "|---|---|---|---|",
        ]
        for f in result["figures"]:
            baseline, ratio = _beside_baseline(f)
            lines.append(f"| {f['name']} | {f['value']:,.1f} {f['unit']} | {baseline} | {ratio} |")
        if result.get("notes"):
            lines += ["", result["notes"]]
    return lines


def queue_section(results: list[dict]) -> list[str]:
    """The queue (``bench.queue``): one contended slot and a replayed day, in a table of
    its own with the run's date, machine and parameters."""
    lines: list[str] = []
    for result in results:
        if result["stage"] != "queue":
            continue
        facts, given = result["machine"], result.get("parameters") or {}
        parameters = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in given.items() if v)
        lines += [
            "",
            "## Queue (one slot, one day)",
            "",
            f"Measured {facts['date']} on {facts['platform']}, {facts['cpus']} CPUs, "
            f"Python {facts['python']}: `python -m bench.queue {parameters}` (identity and two "
            "intake replicas as their own processes; how each figure is taken: "
            '`bench/queue.py`, docs/queue.md "Measured").',
            "",
            "| figure | value | baseline | ratio |",
            "|---|---|---|---|",
        ]
        for f in result["figures"]:
            baseline, ratio = _beside_baseline(f)
            lines.append(f"| {f['name']} | {f['value']:,.1f} {f['unit']} | {baseline} | {ratio} |")
        if result.get("notes"):
            lines += ["", result["notes"]]
    return lines


def round_trip_section(by_command: dict[str, dict[str, float]], least: float = 0.05) -> list[str]:
    """The round trips per application of each process, by command and collection."""
    rows = sorted(
        (
            (value, process, target)
            for process, targets in by_command.items()
            for target, value in targets.items()
            if value >= least
        ),
        key=lambda row: (-row[0], row[1], row[2]),
    )
    if not rows:
        return []
    lines = [
        "",
        "MongoDB round trips per application by process, command and collection (counted "
        f"at each process's client; below {least} left out):",
        "",
        "| process | command | per application |",
        "|---|---|---|",
    ]
    lines += [f"| {process} | {target} | {value:.2f} |" for value, process, target in rows]
    return lines


def checked(results: list[dict]) -> None:
    """No stored figure may be impossible (a results file from an older run included)."""
    for result in results:
        for f in result["figures"]:
            figure = Figure(**{k: v for k, v in f.items() if k != "ratio"})
            check(result["stage"], figure)
        for name, value, idle, unit in (result.get("cost") or {}).get("rows", []):
            check(result["stage"], Figure(f"cost: {name}", value, unit, idle, "idle"))


def main(argv: list[str]) -> int:
    timings = RESULTS / "durations.json"
    durations: dict[str, float] = json.loads(timings.read_text()) if timings.exists() else {}
    if argv != ["--report"]:
        stages = argv or [s for s in STAGES if (ROOT / "bench" / f"{s}.py").exists()]
        durations.update({stage: run(stage) for stage in stages})
        timings.write_text(json.dumps(durations, indent=2))
    results = [
        json.loads((RESULTS / f"{stage}.json").read_text())
        for stage in REPORTED
        if (RESULTS / f"{stage}.json").exists()
    ]
    try:
        checked(results)
    except ImpossibleFigure as error:
        print(f"BENCHMARKS.md not written: {error}", file=sys.stderr)
        return 1
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    (ROOT / "BENCHMARKS.md").write_text(render(results, durations))
    print(f"wrote BENCHMARKS.md and {RESULTS / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
