"""``make bench``: run every stage's benchmark, then write BENCHMARKS.md and a JSON file.

python -m bench [stage ...]     run the stages (all by default), then report
python -m bench --report        only rewrite BENCHMARKS.md from the latest results
"""

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.common import RESULTS, machine

STAGES = ("intake", "routing", "notify", "audit", "pipeline", "identity", "observability")
REPORTED = (*STAGES, "audit-1m")
"""Stages whose latest results go into BENCHMARKS.md; audit-1m is ``make bench-audit-1m``."""
ROOT = Path(__file__).resolve().parent.parent


def run(stage: str) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", f"bench.{stage}"], cwd=ROOT, check=True, timeout=900)
    return time.monotonic() - started


def render(results: list[dict], durations: dict[str, float]) -> str:
    facts = machine()
    lines = [
        "# Benchmarks",
        "",
        f"Measured {facts['date']} on {facts['platform']}, {facts['cpus']} CPUs, "
        f"Python {facts['python']}, against the local stack (Tansu broker, SecantusDB).",
        "Each figure stands beside its raw baseline measured in the same run; the machine",
        "is shared and noisy, so compare ratios rather than absolute numbers.",
        "Regenerate with `make bench`.",
        "",
        "| stage | figure | value | baseline | ratio | aim | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for f in result["figures"]:
            baseline = (
                f"{f['baseline']:,.1f} {f['unit']} ({f['baseline_name']})"
                if f["baseline"] is not None
                else ""
            )
            ratio = f"{f['ratio']:.2f}" if f["ratio"] is not None else ""
            met = {True: "yes", False: "no", None: ""}[f["met"]]
            lines.append(
                f"| {result['stage']} | {f['name']} | {f['value']:,.1f} {f['unit']} | "
                f"{baseline} | {ratio} | {f['aim'] or ''} | {met} |"
            )
    lines += ["", "## Notes", ""]
    for result in results:
        if result.get("notes"):
            lines += [f"**{result['stage']}** — {result['notes']}", ""]
    lines += ["## Run time", ""]
    lines += [f"- {stage}: {seconds:.0f} s" for stage, seconds in durations.items()]
    history = ROOT / "bench" / "HISTORY.md"
    if history.exists():
        lines += ["", history.read_text()]
    return "\n".join(lines) + "\n"


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
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    (ROOT / "BENCHMARKS.md").write_text(render(results, durations))
    print(f"wrote BENCHMARKS.md and {RESULTS / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
