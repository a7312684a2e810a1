"""What sealing personal data costs: per value in the process, and per application in
bytes that travel and rest.

Pure CPU (no servers): a citizen's data key is cached in the process in steady state
(:mod:`shared.privacy.vault`), so the cost of a sealed value is one AES-256-GCM pass
and the JSON of the value. Measured here with the key cached:

1. **seal** and **open** of an applicant snapshot as intake pins it (every field a KTP-el
   declares), per value, beside the same value's ``orjson`` encoding alone (the
   baseline: the work there would be without sealing);
2. the bytes the snapshot adds to an ``application.submitted`` event, sealed versus
   plaintext: the audit log, the topics and routing's database carry the difference.

The end-to-end figures (submissions per second, audit verification per second with
sealing on, beside the commit before it) are in bench/HISTORY.md.

Usage: ``python -m bench.privacy [--values 20000]``.
"""

import argparse
import asyncio
import os
import time

import orjson

from bench.common import Figure, report
from shared.events import Applicant, ApplicationSubmitted, SubmittedData, encode, utcnow
from shared.privacy.personal import Personal

SNAPSHOT = Applicant.model_validate(
    {
        "nik": "3576014507900001",
        "name": "Siti Aminah",
        "birth_place": "Mojokerto",
        "birth_date": "1990-07-05",
        "sex": "F",
        "address": {
            "street": "Jl. Gajah Mada 10",
            "rt": "003",
            "rw": "005",
            "village": "Kauman",
            "district": "Prajurit Kulon",
            "region_code": "3576",
        },
        "family_card_number": "3576010101900001",
    }
).model_dump(mode="json", exclude_none=True)


class CachedVault:
    """The steady state of :class:`shared.privacy.vault.KeyVault`: the key in memory."""

    def __init__(self) -> None:
        self.key = os.urandom(32)

    async def create(self, citizen_id: str) -> bytes:
        return self.key

    async def data_key(self, citizen_id: str) -> bytes | None:
        return self.key


async def _per_value(values: int) -> tuple[float, float, float]:
    personal = Personal(CachedVault())  # type: ignore[arg-type]
    started = time.perf_counter()
    for _ in range(values):
        orjson.dumps(SNAPSHOT)
    plain = time.perf_counter() - started
    started = time.perf_counter()
    sealed = [
        await personal.seal("01a21f89-0e4a-7026-8fb6-fb38cd27a58f", SNAPSHOT) for _ in range(values)
    ]
    sealing = time.perf_counter() - started
    started = time.perf_counter()
    for value in sealed:
        await personal.open(value)
    opening = time.perf_counter() - started
    return plain / values * 1e6, sealing / values * 1e6, opening / values * 1e6


def _event_bytes(applicant: dict | None, sealed: str | None) -> int:
    data = SubmittedData(
        application_id="01a21f89-10a3-7003-ac64-4cebdaf6a822",
        tracking_number="3576-261128-0001",
        service="ktp-el",
        region="3576",
        channel="web",
        citizen_id="01a21f89-0e4a-7026-8fb6-fb38cd27a58f",
        form={"reason": "baru"},
        applicant=applicant,
        applicant_sealed=sealed,
        submitted_at=utcnow(),
    )
    event = ApplicationSubmitted(
        source="intake", subject=data.application_id, region="3576", correlation_id="c", data=data
    )
    return len(encode(event))


async def main(values: int) -> None:
    plain_us, seal_us, open_us = await _per_value(values)
    personal = Personal(CachedVault())  # type: ignore[arg-type]
    sealed = await personal.seal("01a21f89-0e4a-7026-8fb6-fb38cd27a58f", SNAPSHOT)
    before, after = _event_bytes(SNAPSHOT, None), _event_bytes(None, sealed)
    report(
        "privacy",
        [
            Figure("seal an applicant snapshot", seal_us, "µs", plain_us, "JSON only"),
            Figure("open an applicant snapshot", open_us, "µs", plain_us, "JSON only"),
            Figure("application.submitted event, sealed", after, "bytes", before, "plaintext"),
        ],
        notes=f"{values:,} values, key cached (the steady state); one core.",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, default=20000)
    asyncio.run(main(parser.parse_args().values))
