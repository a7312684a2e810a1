"""Browser fixtures: the platform's four services as processes, a headless Chromium
driven by Playwright, screenshots at phone and desktop widths, and an accessibility
check on every page visited.

Playwright cannot download its own browser here, so it launches Debian's ``chromium``
(installed by ``.ci/run``) through ``executable_path``.
"""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ops.localstack import free_port
from ops.processes import service_process
from ops.simulators.running import StandIns, start_stand_ins
from tests.conftest import ARTIFACTS, Platform

SCREENSHOTS = ARTIFACTS / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WEB_SERVICES = ("intake", "routing", "notify", "audit")

_A11Y = """() => {
  const problems = [];
  if (!document.documentElement.getAttribute('lang')) problems.push('<html> has no lang');
  if (!document.title.trim()) problems.push('the page has no title');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (['hidden', 'submit', 'button', 'reset'].includes(el.type)) continue;
    const byFor = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    if (!byFor && !el.closest('label') && !el.getAttribute('aria-label')
        && !el.getAttribute('aria-labelledby')) {
      problems.push(`no label for ${el.tagName.toLowerCase()} name=${el.name}`);
    }
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`no alt on img ${img.src}`);
  }
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.getAttribute('aria-hidden') !== 'true' && !svg.getAttribute('aria-label')
        && !svg.querySelector('title')) problems.push('svg without a title or aria-label');
  }
  for (const b of document.querySelectorAll('button, a')) {
    if (!b.textContent.trim() && !b.getAttribute('aria-label')) problems.push('empty control');
  }
  return problems;
}"""


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def check_accessibility(page) -> None:
    """Every field labelled, every image with alt text, the page language set."""
    page.wait_for_load_state("load")
    problems = page.evaluate(_A11Y)
    assert not problems, f"{page.url}: {problems}"


class Shots:
    """Visits pages, checks each one's accessibility and saves it at both widths."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []

    def __call__(self, page, name: str) -> None:
        check_accessibility(page)
        original = page.viewport_size
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            path = self.folder / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            self.taken.append(path)
        if original:
            page.set_viewport_size(original)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    folder = SCREENSHOTS / re.sub(r"\W+", "-", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return Shots(folder)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.fixture
def stand_ins(request: pytest.FixtureRequest) -> Iterator[StandIns]:
    """The Dukcapil simulator and the mailbox, as ``make up`` runs them."""
    log_dir = ARTIFACTS / "test-logs" / request.node.name
    shutil.rmtree(log_dir, ignore_errors=True)
    process, ports = start_stand_ins(log_dir)
    yield StandIns(process, ports)
    process.stop()


@pytest.fixture
def web_platform(
    stack_env: dict[str, str], stand_ins: StandIns, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Platform]]:
    """The five services as processes, each told the others' ports so pages can link
    to one another (the reused :class:`tests.conftest.Platform`, ports chosen first),
    sending mail and SMS to the mailbox and asking the Dukcapil simulator."""
    ports = {name: free_port() for name in ("identity", *WEB_SERVICES)}
    env = {
        **stack_env,
        **stand_ins.env,
        **{f"MPP_{n.upper()}_PORT": str(p) for n, p in ports.items()},
    }
    log_dir = ARTIFACTS / "test-logs" / request.node.name
    running = Platform(env, log_dir)
    running.provision()
    for name in ports:
        running.processes[name] = service_process(name, env, ports[name], log_dir)

    def start(**settings: str) -> Platform:
        """The services started, with ``settings`` (``MPP_...`` variables) added."""
        running.env.update(settings)
        running.start("identity", *WEB_SERVICES)
        return running

    yield start
    running.stop()


def issue_key(env: dict[str, str], *command: str) -> str:
    """An agency or auditor key, issued as an operator would (``mpp ...``)."""
    done = subprocess.run(
        [sys.executable, "-m", "ops", *command],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=180,  # an mpp command takes seconds; a busy machine may take minutes
    )
    for line in done.stdout.splitlines():
        if line.startswith("key:"):
            return line.split(":", 1)[1].strip()
    return done.stdout.strip().splitlines()[-1]


def add_staff(env: dict[str, str], username: str, password: str, *options: str) -> str:
    """A staff account, added as an administrator would (``mpp staff add``), with the
    password given on standard input; returns the command's output."""
    done = subprocess.run(
        [sys.executable, "-m", "ops", "staff", "add", username, *options, "--password-stdin"],
        env={**os.environ, **env},
        input=password + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=180,  # an mpp command takes seconds; a busy machine may take minutes
    )
    return done.stdout
