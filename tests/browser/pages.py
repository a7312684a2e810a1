"""What every browser test does with a page: follow a click, wait for a row to appear."""

import time

__all__ = ["go", "reload_until"]


def go(page, selector: str) -> None:
    """Click a link or a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def reload_until(page, selector: str, timeout: float = 40) -> None:
    """Reload until ``selector`` is on the page (what another service does arrives later)."""
    deadline = time.monotonic() + timeout
    while page.locator(selector).count() == 0:
        assert time.monotonic() < deadline, f"{selector} never appeared on {page.url}"
        time.sleep(0.5)
        page.reload()
