"""The deployment's own nginx config (deploy/nginx/), run by a real nginx for tests.

The config is used as written, except that it listens on a loopback port and the
upstreams named in ``upstreams`` point at processes on this machine instead of compose
service names; an upstream not named keeps its compose name and answers 502 if asked.
"""

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NGINX_DIR = ROOT / "deploy" / "nginx"
NGINX_CONF = NGINX_DIR / "default.conf"

__all__ = ["NGINX_CONF", "nginx_binary", "nginx_prefix", "running_nginx"]


def nginx_binary() -> str:
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")
    return binary


def nginx_prefix(tmp_path: Path, upstreams: Mapping[str, str], listen: str) -> Path:
    """An nginx prefix in ``tmp_path`` running deploy/nginx/default.conf on ``listen``;
    ``upstreams``: ``{"intake": "8000|127.0.0.1:43210"}`` (compose port | real address)."""
    (tmp_path / "mpp").mkdir()
    (tmp_path / "logs").mkdir()
    for name in ("proxy_headers.conf", "docs_prefix.conf"):
        shutil.copy(NGINX_DIR / name, tmp_path / "mpp" / name)
    conf = NGINX_CONF.read_text().replace("/etc/nginx/mpp/", f"{tmp_path}/mpp/")
    conf = conf.replace("listen 80;", f"listen {listen};")
    for service, address in upstreams.items():
        conf = conf.replace(f"{service}:{address.split('|')[0]}", address.split("|")[1])
    (tmp_path / "default.conf").write_text(conf)
    temp = tmp_path / "temp"
    temp.mkdir()
    temp.chmod(0o777)
    # Started as root, nginx's workers would run as nobody, who cannot reach the test's
    # private temporary folder to buffer a large request body (a document): they stay root.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\n"
        "events {}\nhttp {\n  access_log off;\n"
        f"  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
        f"  scgi_temp_path {temp}/scgi;\n"
        f"  include {tmp_path}/default.conf;\n}}\n"
    )
    return tmp_path


@contextmanager
def running_nginx(tmp_path: Path, upstreams: Mapping[str, str], port: int) -> Iterator[str]:
    """nginx on 127.0.0.1:``port`` until the block ends; yields its base URL."""
    nginx = nginx_binary()
    prefix = nginx_prefix(tmp_path, upstreams, f"127.0.0.1:{port}")
    process = subprocess.Popen(
        [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(base + "/nginx-health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
