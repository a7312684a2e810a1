"""The hall's display (``/antrean/{region}/layar``): the numbers called at a region's
MPP, readable from across the room, public like the board it shows.

The page renders the board as it is; a browser with JavaScript then listens to
``/antrean/{region}/layar/siaran`` (server-sent events, sse-starlette), which sends the
board again, already rendered, each time a number is called or the waiting counts
change. Without JavaScript the page reloads itself every 10 seconds (a refresh in
``<noscript>``).

Where the changes come from: a short poll, shared. Every stream of a region reads the
one :class:`BoardWatch` copy, which reads the tickets at most once a second per region
per process however many screens listen; a stream sends only when the board changed.
SecantusDB and MongoDB both offer change streams, but a poll needs no cursor held per
region and reads the same two indexed queries the board's API reads.

Open streams are bounded per process (:data:`MAX_STREAMS`; one more is answered 503 and
the page falls back to reloading), and each ends when the server shuts down
(sse-starlette's shutdown event) or the screen goes away.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sse_starlette.sse import EventSourceResponse

from services.intake.deps import parts
from services.intake.queue.hall import Hall
from services.intake.queue.lanes import local_day
from services.intake.web.deps import Page, PageDep
from services.intake.web.queue_desk import queued_services

__all__ = ["MAX_STREAMS", "BoardWatch", "queue_display_router"]

MAX_STREAMS = 200
"""Screens one process serves at once; an MPP has a few, a region a few dozen."""
POLL_SECONDS = 1.0
"""How old a board may be before a stream reads it again."""
SHOWN = 6
"""Numbers on the display: the latest, large, and five before it."""

queue_display_router = APIRouter(include_in_schema=False)


class BoardWatch:
    """The boards the process's streams share, each read at most once per
    :data:`POLL_SECONDS`, and the count of open streams."""

    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.streams = 0
        self._boards: dict[str, tuple[float, dict[str, Any]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def board(self, region: str) -> dict[str, Any]:
        """The numbers called today, newest first, and the tickets waiting per service."""
        lock = self._locks.setdefault(region, asyncio.Lock())
        async with lock:  # one read for every stream that asks at once
            kept = self._boards.get(region)
            if kept and time.monotonic() - kept[0] < POLL_SECONDS:
                return kept[1]
            day = local_day(self.hall.catalogue, region, self.hall.clock.now()).isoformat()
            board = {
                "called": await self.hall.tickets.last_called(region, day, SHOWN),
                "waiting": await self.hall.tickets.waiting(region, day),
            }
            self._boards[region] = (time.monotonic(), board)
            return board


def _watch(request: Request) -> BoardWatch:
    state = request.app.state
    if getattr(state, "board_watch", None) is None:
        state.board_watch = BoardWatch(parts(request).hall)
    watch: BoardWatch = state.board_watch
    return watch


def _known(page: Page, region: str) -> Any:
    """The region, when its MPP queues anything."""
    if not queued_services(page.catalogue, region):
        return None
    return next((r for r in page.catalogue.regions if r.code == region), None)


def _board_context(page: Page, region: str, board: dict[str, Any]) -> dict[str, Any]:
    return {
        "region": region,
        "called": board["called"],
        "waiting": board["waiting"],
        "names": {s["code"]: s for s in queued_services(page.catalogue, region)},
        "counters": {c.id: c.label for c in page.catalogue.counters_of(region)},
        "now": parts(page.request).hall.clock.now(),
    }


@queue_display_router.get("/antrean/{region}/layar")
async def display(page: PageDep, region: str) -> Response:
    found = _known(page, region)
    if found is None:
        return page.missing()
    board = await _watch(page.request).board(region)
    return page.render(
        "antrean_layar.html", region_name=found.name, **_board_context(page, region, board)
    )


@queue_display_router.get("/antrean/{region}/layar/siaran")
async def stream(page: PageDep, region: str) -> Response:
    """The board as server-sent events (``board``: the rendered board), sent first on
    connecting, then on every change."""
    watch = _watch(page.request)
    if _known(page, region) is None:
        return page.missing()
    if watch.streams >= MAX_STREAMS:
        return Response(status_code=503, headers={"Retry-After": "30"})
    return EventSourceResponse(_events(page, watch, region), ping=15, send_timeout=30)


async def _events(page: Page, watch: BoardWatch, region: str) -> AsyncIterator[dict[str, str]]:
    template = page.pages.env.get_template("antrean_papan.html")
    sent = None
    watch.streams += 1
    try:
        while True:  # sse-starlette ends it: the screen went away, or the server stops
            board = await watch.board(region)
            shown = template.render(lang="id", **_board_context(page, region, board))
            if shown != sent:
                sent = shown
                yield {"event": "board", "data": shown}
            await asyncio.sleep(POLL_SECONDS)
    finally:
        watch.streams -= 1
