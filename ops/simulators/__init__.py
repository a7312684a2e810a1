"""Local stand-ins for the outside world, started by ``make up`` (``python -m ops.simulators``).

* :mod:`ops.simulators.dukcapil` plays Dukcapil's verify-only NIK service;
* :mod:`ops.simulators.lapor` plays SP4N-LAPOR!'s complaint API;
* :mod:`ops.simulators.mailbox` receives what notify sends: an SMTP server and the
  SMS/WhatsApp provider API, with a page showing what arrived;
* :mod:`ops.simulators.simponi` plays SIMPONI (PNBP billing codes) and the bank that
  takes the payment, reporting it to routing;
* :mod:`ops.simulators.snap_bank` plays the region's bank in SNAP: a levy paid by QRIS or
  to its virtual account, reported to routing, and the refunds routing asks of it.

A stand-in runs only for an outside service the settings point at this machine: the
Dukcapil simulator when ``MPP_DUKCAPIL_URL`` names a loopback host, the LAPOR!
simulator when ``MPP_LAPOR_URL`` does, the mailbox when both
``MPP_SMTP_HOST`` and ``MPP_MESSAGING_PROVIDER_URL`` do (it plays both), the SIMPONI simulator when
billing is on (``MPP_PAYMENTS_BILLING``, which ``make up`` turns on) and
``MPP_SIMPONI_URL`` names this machine, the SNAP bank simulator when billing is on and
``MPP_SNAP_BANK_URL`` names this machine. Point a setting
at the real service and its stand-in stays off. This module only decides; it imports no
server code, so ``ops.up`` can ask without loading FastAPI or aiosmtpd.
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlparse

from shared.settings import Settings

__all__ = ["StandIns", "is_loopback", "local_stand_ins"]


def is_loopback(host: str | None) -> bool:
    """``localhost``, ``127.0.0.0/8`` or ``::1``: a host only this machine reaches."""
    if not host:
        return False
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _port(url: str) -> int:
    parsed = urlparse(url)
    return parsed.port or (443 if parsed.scheme == "https" else 80)


@dataclass(frozen=True)
class StandIns:
    """Which stand-ins run, and on which ports (``None``: not this one)."""

    dukcapil_port: int | None
    mailbox_port: int | None
    smtp_port: int | None
    simponi_port: int | None = None
    lapor_port: int | None = None
    snap_bank_port: int | None = None

    @property
    def _http_ports(self) -> tuple[int | None, ...]:
        return (
            self.dukcapil_port,
            self.mailbox_port,
            self.simponi_port,
            self.lapor_port,
            self.snap_bank_port,
        )

    @property
    def any(self) -> bool:
        return any(port is not None for port in self._http_ports)

    @property
    def ready_port(self) -> int | None:
        """An HTTP port answering ``/readyz`` once the process serves (both do)."""
        return next((port for port in self._http_ports if port is not None), None)

    def urls(self) -> list[tuple[str, str]]:
        """What ``make up`` prints: a name and where a developer looks."""
        shown = []
        if self.dukcapil_port is not None:
            shown.append(("dukcapil (simulator)", f"http://127.0.0.1:{self.dukcapil_port}"))
        if self.lapor_port is not None:
            shown.append(("sp4n-lapor (simulator)", f"http://127.0.0.1:{self.lapor_port}"))
        if self.mailbox_port is not None:
            shown.append(
                (
                    "mailbox",
                    f"http://127.0.0.1:{self.mailbox_port}   SMTP on 127.0.0.1:{self.smtp_port}",
                )
            )
        if self.simponi_port is not None:
            shown.append(("simponi (simulator)", f"http://127.0.0.1:{self.simponi_port}"))
        if self.snap_bank_port is not None:
            shown.append(("snap bank (simulator)", f"http://127.0.0.1:{self.snap_bank_port}"))
        return shown


def local_stand_ins(settings: Settings) -> StandIns:
    dukcapil = is_loopback(urlparse(settings.dukcapil_url).hostname)
    simponi = settings.payments_billing and is_loopback(urlparse(settings.simponi_url).hostname)
    bank = settings.payments_billing and is_loopback(urlparse(settings.snap_bank_url).hostname)
    lapor = is_loopback(urlparse(settings.lapor_url).hostname)
    mailbox = is_loopback(settings.smtp_host) and is_loopback(
        urlparse(settings.messaging_provider_url).hostname
    )
    return StandIns(
        dukcapil_port=_port(settings.dukcapil_url) if dukcapil else None,
        mailbox_port=_port(settings.messaging_provider_url) if mailbox else None,
        smtp_port=settings.smtp_port if mailbox else None,
        simponi_port=_port(settings.simponi_url) if simponi else None,
        lapor_port=_port(settings.lapor_url) if lapor else None,
        snap_bank_port=_port(settings.snap_bank_url) if bank else None,
    )
