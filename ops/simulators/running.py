"""The local stand-ins (``python -m ops.simulators``: the Dukcapil simulator and the
mailbox) as a real process on free ports, for tests and benchmarks that need the
outside world, with what they look for in it (a resident added, a code received)."""

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ops.localstack import free_port
from ops.processes import PlatformProcess, simulators_process

DUKCAPIL_TOKEN = "test-dukcapil-token"  # noqa: S105 - the stand-in's, on free ports only
PROVIDER_TOKEN = "test-provider-token"  # noqa: S105 - the stand-in's, on free ports only
LAPOR_TOKEN = "test-lapor-token"  # noqa: S105 - the stand-in's, on free ports only


def stand_in_env(ports: dict[str, int]) -> dict[str, str]:
    """The settings that point every process at these stand-ins."""
    return {
        "MPP_DUKCAPIL_URL": f"http://localhost:{ports['dukcapil']}",
        "MPP_DUKCAPIL_TOKEN": DUKCAPIL_TOKEN,
        "MPP_LAPOR_URL": f"http://127.0.0.1:{ports['lapor']}",
        "MPP_LAPOR_TOKEN": LAPOR_TOKEN,
        "MPP_MESSAGING_PROVIDER_URL": f"http://127.0.0.1:{ports['mailbox']}",
        "MPP_MESSAGING_PROVIDER_TOKEN": PROVIDER_TOKEN,
        "MPP_SMTP_HOST": "127.0.0.1",
        "MPP_SMTP_PORT": str(ports["smtp"]),
        "MPP_LOG_FORMAT": "json",
    }


def start_stand_ins(log_dir: Path) -> tuple[PlatformProcess, dict[str, int]]:
    ports = {name: free_port() for name in ("dukcapil", "mailbox", "smtp", "lapor")}
    process = simulators_process(stand_in_env(ports), ports["dukcapil"], log_dir).start()
    process.wait_ready(timeout=20)
    return process, ports


@dataclass
class StandIns:
    process: PlatformProcess
    ports: dict[str, int]

    @property
    def env(self) -> dict[str, str]:
        return stand_in_env(self.ports)

    @property
    def dukcapil_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['dukcapil']}"

    def dukcapil(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            f"{self.dukcapil_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {DUKCAPIL_TOKEN}"},
            timeout=5,
        )

    @property
    def lapor_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['lapor']}"

    def lapor(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """A call to the SP4N-LAPOR! simulator (a POST with ``body``, else a GET)."""
        headers = {"Authorization": f"Bearer {LAPOR_TOKEN}"}
        url = f"{self.lapor_url}{path}"
        if body is None:
            return httpx.get(url, headers=headers, timeout=5)
        return httpx.post(url, json=body, headers=headers, timeout=5)

    def verify_calls(self) -> int:
        """How many verifications the Dukcapil simulator has answered."""
        return httpx.get(f"{self.dukcapil_url}/v1/stats", timeout=5).json()["verify_calls"]

    def add_resident(self, nik: str, name: str, birth_date: str) -> None:
        added = self.dukcapil(
            "/v1/identities", {"nik": nik, "name": name, "birth_date": birth_date}
        )
        assert added.status_code == 201, added.text

    def messages(self, to: str) -> list[dict[str, Any]]:
        answer = httpx.get(
            f"http://127.0.0.1:{self.ports['mailbox']}/api/messages", params={"to": to}, timeout=5
        )
        answer.raise_for_status()
        return answer.json()

    def wait_for_message(self, to: str, containing: str = "", timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages(to):
                if containing in (message.get("subject") or "") + message["body"]:
                    return message
            time.sleep(0.2)
        raise AssertionError(f"no message to {to} containing {containing!r} in {timeout}s")

    def code_for(self, to: str, timeout: float = 20) -> str:
        """The six-digit code in the newest message to ``to``."""
        message = self.wait_for_message(to, timeout=timeout)
        found = re.search(r"\b([0-9]{6})\b", message["body"])
        assert found, message
        return found.group(1)
