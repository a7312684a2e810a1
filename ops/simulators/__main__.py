"""``python -m ops.simulators``: the Dukcapil, SIMPONI, SNAP bank and SP4N-LAPOR! simulators
and the local mailbox in one process, on one event loop (a uvicorn server each and the SMTP server),
until SIGTERM or SIGINT.

Ports come from the settings the platform reads: the Dukcapil simulator's from
``MPP_DUKCAPIL_URL``, the LAPOR! simulator's from ``MPP_LAPOR_URL``, the mailbox's HTTP
from ``MPP_MESSAGING_PROVIDER_URL``, its SMTP from ``MPP_SMTP_PORT``; each stand-in runs
only when its settings point at this machine (:func:`ops.simulators.local_stand_ins`).
Everything binds ``MPP_HTTP_HOST``.
"""

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator

import structlog
import uvicorn
from fastapi import FastAPI

from ops.simulators import (
    StandIns,
    dukcapil,
    lapor,
    local_stand_ins,
    mailbox,
    simponi,
    snap_bank,
)
from shared.logging import configure_logging
from shared.settings import Settings

log = structlog.get_logger("ops.simulators")

READY_LINE = "simulators ready"


class _Server(uvicorn.Server):
    """Leaves signals to :func:`run`: two servers capturing them would override each other."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    """Bound before anything serves, so a port already taken stops the process at once with
    one clear error; connections made meanwhile wait in the backlog."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def _server(app: FastAPI) -> _Server:
    return _Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))


async def run(settings: Settings, stand_ins: StandIns) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    host = settings.http_host
    serving: list[tuple[_Server, socket.socket]] = []
    smtp: asyncio.Server | None = None
    if stand_ins.dukcapil_port is not None:
        app = dukcapil.create_app(settings.dukcapil_token.get_secret_value())
        serving.append((_server(app), _bind(host, stand_ins.dukcapil_port)))
    if stand_ins.lapor_port is not None:
        token = settings.lapor_token
        app = lapor.create_app(token.get_secret_value() if token else None)
        serving.append((_server(app), _bind(host, stand_ins.lapor_port)))
    if stand_ins.mailbox_port is not None and stand_ins.smtp_port is not None:
        box = mailbox.Mailbox()
        token = settings.messaging_provider_token.get_secret_value()
        app = mailbox.create_app(box, token)
        serving.append((_server(app), _bind(host, stand_ins.mailbox_port)))
        smtp_socket = _bind(host, stand_ins.smtp_port)
        smtp = await loop.create_server(lambda: mailbox.smtp_server(box), sock=smtp_socket)
    if stand_ins.simponi_port is not None:
        callback = f"http://127.0.0.1:{settings.routing_port}/api/v1/payments/simponi/callback"
        app = simponi.create_app(settings.simponi_secret.get_secret_value(), callback)
        serving.append((_server(app), _bind(host, stand_ins.simponi_port)))
    if stand_ins.snap_bank_port is not None:
        platform = f"http://127.0.0.1:{settings.routing_port}"
        secret = settings.snap_client_secret.get_secret_value()
        app = snap_bank.create_app(platform, settings.snap_client_key, secret)
        serving.append((_server(app), _bind(host, stand_ins.snap_bank_port)))
    tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in serving]
    log.info(READY_LINE, **{k: v for k, v in vars(stand_ins).items() if v is not None})
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
    for server, _sock in serving:
        server.should_exit = True
    if smtp is not None:
        smtp.close()
        await smtp.wait_closed()
    stopped.cancel()
    await asyncio.gather(*tasks)


def main() -> None:
    settings = Settings()
    configure_logging("simulators", settings.log_level, settings.log_format)
    # aiosmtpd logs every SMTP command at INFO, recipients' addresses included.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    stand_ins = local_stand_ins(settings)
    if not stand_ins.any:
        log.info("no stand-in to run: the settings point at the real services")
        return
    try:
        asyncio.run(run(settings, stand_ins))
    except OSError as exc:  # a port taken, an address not on this machine
        log.error("cannot listen", error=str(exc))
        sys.exit(1)


if __name__ == "__main__":
    main()
