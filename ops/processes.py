"""Running the platform's processes: each service, and the demo agency, on its own."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["SERVICES", "PlatformProcess", "service_process"]

SERVICES = ("intake", "routing", "notify", "audit")


@dataclass
class PlatformProcess:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int | None = None
    log_path: Path | None = None
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
        """Wait for ``/readyz`` to answer 200 (no port: wait a moment and check it lives)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with {self.process and self.process.poll()}"
                )
            if self.port is None:
                time.sleep(0.5)
                return
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f}s")

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
    name: str, env: dict[str, str], port: int, log_dir: Path | None = None
) -> PlatformProcess:
    return PlatformProcess(
        name=name,
        argv=[sys.executable, "-m", f"services.{name}"],
        env={**env, f"MPP_{name.upper()}_PORT": str(port)},
        port=port,
        log_path=log_dir / f"{name}.log" if log_dir else None,
    )
