"""Dukcapil's NIK verification, verify-only: NIK + name + birth date in, match or no
match out.

The platform never retrieves population data: it asks whether what the citizen typed
agrees with the population register, and keeps only the answer. The wire format is
``POST {MPP_DUKCAPIL_URL}/v1/nik/verify`` with a bearer token and JSON
``{"nik", "name", "birth_date"}``, answered ``{"match": true|false}``; the local
simulator (``ops/simulators/dukcapil.py``) speaks the same.

Dukcapil is outside our control, so every call is bounded:

* each request times out after ``MPP_DUKCAPIL_TIMEOUT_SECONDS``;
* a timeout, a connection error or a 5xx/429 is retried ``MPP_DUKCAPIL_RETRIES`` times
  with exponential backoff and jitter; a 4xx other than 429 is not (it will not change);
* a circuit breaker counts verifications that failed after their retries: after
  ``MPP_DUKCAPIL_BREAKER_FAILURES`` in a row it opens, and every call fails at once for
  ``MPP_DUKCAPIL_BREAKER_SECONDS``; then one trial call decides whether it closes.

A failure is :class:`DukcapilUnavailable` with a ``retry_after`` — never a "no match",
which would wrongly tell a citizen their data is wrong.
"""

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import date

import httpx
import structlog

from shared.settings import Settings

__all__ = ["CircuitBreaker", "DukcapilClient", "DukcapilRejected", "DukcapilUnavailable"]

log = structlog.get_logger(__name__)


class DukcapilUnavailable(Exception):
    """Dukcapil did not answer usefully; try again after ``retry_after`` seconds."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class DukcapilRejected(Exception):
    """Dukcapil answered, but refused to check what was sent (400, 404, 422): the
    citizen's input, not an outage — it neither opens the circuit nor is given back."""


@dataclass
class CircuitBreaker:
    """Closed → open after ``threshold`` failures in a row → half-open after
    ``cooldown`` seconds (one trial call) → closed on success, open again on failure."""

    threshold: int
    cooldown: float
    failures: int = 0
    opened_at: float | None = None
    trial_running: bool = False

    def admit(self) -> float | None:
        """None when a call may go out; else the seconds until one may."""
        if self.opened_at is None:
            return None
        waited = time.monotonic() - self.opened_at
        if waited < self.cooldown:
            return self.cooldown - waited
        if self.trial_running:
            return 1.0
        self.trial_running = True  # half-open: this call is the trial
        return None

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.trial_running = False

    def failed(self) -> None:
        self.failures += 1
        self.trial_running = False
        if self.opened_at is not None or self.failures >= self.threshold:
            if self.opened_at is None:
                log.warning("dukcapil circuit opened", failures=self.failures)
            self.opened_at = time.monotonic()

    def retry_after(self) -> float:
        """Seconds a caller should wait before trying again."""
        if self.opened_at is None:
            return 5.0
        return max(1.0, self.cooldown - (time.monotonic() - self.opened_at))


_RETRYABLE = {429, 500, 502, 503, 504}


class DukcapilClient:
    """One per process: the circuit breaker is its state. A verification is rare (once
    per citizen), so each opens its own connection rather than keeping one idle."""

    def __init__(self, settings: Settings) -> None:
        self._url = settings.dukcapil_url.rstrip("/") + "/v1/nik/verify"
        self._token = settings.dukcapil_token.get_secret_value()
        self._retries = settings.dukcapil_retries
        self._timeout = settings.dukcapil_timeout_seconds
        self.breaker = CircuitBreaker(
            settings.dukcapil_breaker_failures, settings.dukcapil_breaker_seconds
        )

    async def matches(self, nik: str, name: str, birth_date: date) -> bool:
        """Whether Dukcapil's record for ``nik`` has this name and birth date."""
        wait = self.breaker.admit()
        if wait is not None:
            raise DukcapilUnavailable("circuit open", wait)
        body = {"nik": nik, "name": name, "birth_date": birth_date.isoformat()}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                return await self._ask(client, body)
        except asyncio.CancelledError:
            self.breaker.trial_running = False  # a cancelled trial must not jam half-open
            raise

    async def _ask(self, client: httpx.AsyncClient, body: dict[str, str]) -> bool:
        reason = "no answer"
        for attempt in range(self._retries + 1):
            if attempt:
                await asyncio.sleep(min(0.2 * 2**attempt, 2.0) * (0.5 + random.random()))
            try:
                response = await client.post(
                    self._url, json=body, headers={"Authorization": f"Bearer {self._token}"}
                )
            except httpx.HTTPError as exc:
                reason = f"unreachable: {type(exc).__name__}"
                continue
            if response.status_code in _RETRYABLE:
                reason = f"answered {response.status_code}"
                continue
            if response.is_success:
                try:
                    match = response.json()["match"]
                except (ValueError, KeyError, TypeError):
                    reason = "answered without a match field"
                    break
                if isinstance(match, bool):
                    self.breaker.succeeded()
                    return match
                reason = "answered a match that is not true or false"
                break
            if response.status_code in (400, 404, 422):
                self.breaker.succeeded()  # Dukcapil is up; it refused this input
                raise DukcapilRejected(f"answered {response.status_code}")
            reason = f"answered {response.status_code}"  # our token or configuration
            break
        self.breaker.failed()
        log.warning("dukcapil verification failed", reason=reason, attempts=attempt + 1)
        raise DukcapilUnavailable(reason, self.breaker.retry_after())
