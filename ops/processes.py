"""Running the platform's processes: each service, the demo agency and the local stand-ins
(``ops.simulators``), each on its own."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = [
    "SERVICES",
    "PlatformProcess",
    "demo_agency_process",
    "service_process",
    "simulators_process",
]

SERVICES = ("identity", "intake", "routing", "notify", "audit")


@dataclass
class PlatformProcess:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int | None = None
    log_path: Path | None = None
    ready_line: str | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "PlatformProcess":
        output: int | object = subprocess.DEVNULL
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            output = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            env={**os.environ, **self.env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait for ``/readyz`` to answer 200, or for the ready line of a process without HTTP."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with {self.process and self.process.poll()}"
                )
            if self.port is None:
                if self._said_ready():
                    return
                time.sleep(0.2)
                continue
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f}s")

    def _said_ready(self) -> bool:
        """A process without HTTP is ready once it prints its ready line."""
        if self.ready_line is None or self.log_path is None:
            return True
        return self.log_path.exists() and self.ready_line in self.log_path.read_text(
            errors="replace"
        )

    def kill(self) -> None:
        """SIGKILL: no chance to commit, flush or say goodbye."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def service_process(
    name: str, env: dict[str, str], port: int, log_dir: Path | None = None, replica: int = 1
) -> PlatformProcess:
    """A service's process; replicas after the first are named ``<service>-<n>`` (their
    own port and log file, the same database and consumer groups)."""
    label = name if replica == 1 else f"{name}-{replica}"
    return PlatformProcess(
        name=label,
        argv=[sys.executable, "-m", f"services.{name}"],
        env={**env, f"MPP_{name.upper()}_PORT": str(port)},
        port=port,
        log_path=log_dir / f"{label}.log" if log_dir else None,
    )


def demo_agency_process(agencies: list[str], env: dict[str, str], log_dir: Path) -> PlatformProcess:
    argv = [sys.executable, "-m", "examples.agency"]
    for agency in agencies:
        argv += ["--agency", agency]
    return PlatformProcess(
        "demo-agency",
        argv,
        env,
        log_path=log_dir / "demo-agency.log",
        ready_line="demo agency ready",
    )


def simulators_process(env: dict[str, str], port: int, log_dir: Path) -> PlatformProcess:
    """The Dukcapil simulator and the local mailbox; ready once ``port`` (either one's
    HTTP port) answers ``/readyz``."""
    return PlatformProcess(
        "simulators",
        [sys.executable, "-m", "ops.simulators"],
        env,
        port=port,
        log_path=log_dir / "simulators.log",
    )
