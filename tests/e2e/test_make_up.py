"""``make up`` (``python -m ops up``): the whole platform from one command."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from ops.localstack import free_port
from tests.conftest import ROOT


def test_make_up_starts_everything_ready_and_stops_everything_on_ctrl_c(tmp_path):
    services = ("identity", "intake", "routing", "notify", "audit")
    stand_ins = ("dukcapil", "mailbox", "smtp")  # the local Dukcapil and mailbox
    ports = {name: free_port() for name in ("kafka", "mongo", *services, *stand_ins)}
    env = {
        **os.environ,
        "MPP_LOCAL_STACK": "always",
        "MPP_LOCAL_DIR": str(tmp_path),
        "MPP_KAFKA_BOOTSTRAP": f"127.0.0.1:{ports['kafka']}",
        "MPP_MONGO_URI": f"mongodb://127.0.0.1:{ports['mongo']}/?directConnection=true",
        **{f"MPP_{name.upper()}_PORT": str(ports[name]) for name in services},
        "MPP_DUKCAPIL_URL": f"http://localhost:{ports['dukcapil']}",
        "MPP_MESSAGING_PROVIDER_URL": f"http://localhost:{ports['mailbox']}",
        "MPP_SMTP_HOST": "localhost",
        "MPP_SMTP_PORT": str(ports["smtp"]),
    }
    up = subprocess.Popen(
        [sys.executable, "-m", "ops", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        printed = []
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            if not line:
                break
            printed.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        assert "Press Ctrl-C to stop.\n" in printed, "".join(printed)
        for name in ("intake", "routing", "notify", "audit", "dukcapil", "mailbox"):
            assert f"http://127.0.0.1:{ports[name]}" in "".join(printed)
            ready = httpx.get(f"http://127.0.0.1:{ports[name]}/readyz", timeout=5)
            assert ready.status_code == 200, (name, ready.text)
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 0
    finally:
        if up.poll() is None:
            up.kill()
    for name, port in ports.items():
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"{name} still listens on {port}"
