"""Launch SecantusDB for the local stack with a short transaction lifetime.

A process killed in the middle of a transaction leaves it open on the server, holding
its document locks, until the server reaps it: 60 s by default, as with mongod's
``transactionLifetimeLimitSeconds``. Our transactions last milliseconds, so the local
stack reaps abandoned ones after 10 s — the same value the production Compose stack
sets on mongod — and a restarted consumer gets going again within seconds.

mongod reaps expired transactions from a periodic job; SecantusDB only when another
transaction's statement arrives. A process killed mid-transaction, with nothing else
transacting afterwards, left its locks held for good: a restarted notify's claim on the
locked delivery waited behind it, pass after pass. The launcher adds mongod's periodic
reaper (every second here).

It also gives the storage engine a 3 GB cache instead of 1 GB. Once a test worker's
database stopped answering for good after ten minutes of tests: every connection thread
waited on the server's one storage lock, held by a thread blocked inside a WiredTiger
read. WiredTiger makes threads wait once dirty data passes a share of its cache, so a
larger cache (a ceiling, not an allocation) is the mitigation at hand; the cause was not
proven.

    python -m ops.database_server --host 127.0.0.1 --port 27017 --storage-path DIR
"""

import functools
import sys
import threading

from secantus import cli, server

TRANSACTION_LIFETIME_SECONDS = 10.0
CACHE_SIZE = "3G"
REAP_EVERY_SECONDS = 1.0


def _start_with_reaper(database: server.SecantusDBServer) -> None:
    """Start the server, then abort abandoned transactions every second while it runs."""
    _start(database)

    def reap() -> None:
        while not database._stop_event.wait(REAP_EVERY_SECONDS):
            database.transactions.prune_expired()

    threading.Thread(target=reap, name="transaction-reaper", daemon=True).start()


_start = server.SecantusDBServer.start


def main() -> int:
    database = server.SecantusDBServer
    database.__init__ = functools.partialmethod(  # type: ignore[method-assign]
        database.__init__, transaction_lifetime_seconds=TRANSACTION_LIFETIME_SECONDS
    )
    database.start = _start_with_reaper  # type: ignore[method-assign]
    if not any(arg.startswith("--cache-size") for arg in sys.argv):
        sys.argv += ["--cache-size", CACHE_SIZE]
    return cli.main()


if __name__ == "__main__":
    raise SystemExit(main())
