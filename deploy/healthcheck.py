#!/usr/bin/env python
"""Container health probe of the MPP Digital image: ``mpp-healthcheck [TARGET]``.

TARGET is ``intake``, ``routing``, ``notify``, ``audit`` or ``process``; without it the
target is read from the container's main command (``python -m services.<name>``).

* A service: ``GET /healthz`` on the port the service binds to, read through
  ``shared.settings.Settings`` (``MPP_<SERVICE>_PORT``), so the probe and the service can
  never disagree about the port.
* ``process`` (the demo agency, the one-shot jobs: no HTTP): the main process is alive.

Exit status 0 when healthy, 1 otherwise (Docker's HEALTHCHECK contract).
"""

import itertools
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

SERVICES = ("identity", "intake", "routing", "notify", "audit")
INIT_PROCESSES = {"docker-init", "tini", "tini-static"}
TIMEOUT_SECONDS = 3.0


def target_from_command(argv: list[str]) -> str:
    """The service of ``python -m services.<name>`` in a command line, else ``process``."""
    for flag, module in itertools.pairwise(argv):
        if flag == "-m" and module.startswith("services."):
            name = module.split(".")[1]
            if name in SERVICES:
                return name
    return "process"


def _cmdline(proc: Path, pid: str) -> list[str]:
    try:
        raw = (proc / pid / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _stat(proc: Path, pid: str) -> tuple[str, int] | None:
    """(state, parent pid) of a process; the name field may hold spaces and parentheses."""
    try:
        text = (proc / pid / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def main_process_alive(proc: Path = Path("/proc")) -> bool:
    """PID 1 is the main process, or an init (``init: true``) whose child is."""
    main = _cmdline(proc, "1")
    if main and Path(main[0]).name in INIT_PROCESSES:
        me = os.getpid()
        for entry in proc.iterdir():
            if not entry.name.isdigit() or int(entry.name) in (1, me):
                continue
            stat = _stat(proc, entry.name)
            if stat is not None and stat[1] == 1 and stat[0] not in ("Z", "X"):
                return True
        return False
    stat = _stat(proc, "1")
    return stat is not None and stat[0] not in ("Z", "X")


def health_url(service: str) -> str:
    from shared.settings import Settings

    settings = Settings()
    host = settings.http_host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    port = getattr(settings, f"{service}_port")
    return f"http://{host}:{port}/healthz"


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(argv: list[str] | None = None, proc: Path = Path("/proc")) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = args[0] if args else target_from_command(_cmdline(proc, "1"))
    if target == "process":
        return 0 if main_process_alive(proc) else 1
    if target not in SERVICES:
        print(f"unknown target {target!r}; expected one of {(*SERVICES, 'process')}")
        return 2
    url = health_url(target)
    if http_ok(url):
        return 0
    print(f"{url} did not answer 200")
    return 1


if __name__ == "__main__":
    sys.exit(main())
