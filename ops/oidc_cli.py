"""``mpp oidc``: the OpenID Connect provider's signing keys and clients, for operators.

mpp oidc keys                      list the signing keys: next, current, retired
mpp oidc rotate-keys               next becomes current, a new next; no restart
mpp oidc clients                   list the clients (never their secrets)
mpp oidc add-client ID --name N [--scope S ...] [--role R ...] [--agency A]
mpp oidc disable-client ID

Keys and clients live in the provider's database (``services/intake/oidc/``, see
docs/oidc.md). A rotation takes effect on every replica within
``MPP_OIDC_KEY_CACHE_SECONDS``; tokens signed with the old key keep verifying until
they expire.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["add_parser", "run"]

_ADD_HELP = """\
Add a confidential client (an agency's system, another service) for the
client_credentials grant. Its secret is printed once and stored only as its SHA-256:
give it to the system's operators directly. The system sends it with HTTP Basic to
POST /oauth/token. Its tokens name the client as subject and carry the roles (default:
service) and the agency given here.
"""


def add_parser(commands: Any) -> None:
    oidc = commands.add_parser(
        "oidc",
        help="the OpenID Connect provider: signing keys and clients",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = oidc.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("keys", help="list the signing keys and their states")
    actions.add_parser("rotate-keys", help="promote the next key to current; make a new next")
    actions.add_parser("clients", help="list the clients")
    add = actions.add_parser(
        "add-client",
        help="add a confidential client (prints its secret once)",
        description=_ADD_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("client_id", metavar="ID", help="e.g. sistem-polres-3576")
    add.add_argument("--name", required=True, help="who the client is, e.g. 'Sistem Polres'")
    add.add_argument("--scope", action="append", default=[], help="a scope it may ask for")
    add.add_argument("--role", action="append", default=[], help="a role its tokens carry")
    add.add_argument("--agency", help="the agency its tokens are bound to, e.g. polres-3576")
    disable = actions.add_parser("disable-client", help="refuse a client's token requests")
    disable.add_argument("client_id", metavar="ID")


async def _with_provider(work: Callable[[Any], Awaitable[int]]) -> int:
    from services.identity.oidc.clients import ClientRegistry
    from services.identity.oidc.keys import SigningKeys
    from shared.mongo import make_mongo
    from shared.settings import Settings
    from shared.unit_of_work import UnitsOfWork

    settings = Settings()
    mongo = make_mongo(settings, "mpp-cli")
    try:
        db = mongo[settings.database_name("identity")]
        stores = argparse.Namespace(
            keys=SigningKeys(db, UnitsOfWork(mongo), settings),
            clients=ClientRegistry(db, settings),
        )
        return await work(stores)
    finally:
        await mongo.close()


async def _keys(stores: Any) -> int:
    for key in await stores.keys.states():
        since = key.get("retired_at") or key.get("current_since") or key["created_at"]
        print(f"{key['_id']}\t{key['state']}\t{since:%Y-%m-%d %H:%M:%S}")
    return 0


async def _rotate(stores: Any) -> int:
    try:
        kid = await stores.keys.rotate()
    except RuntimeError as exc:
        print(f"Ditolak / refused: {exc}")
        return 1
    print(
        f"Kunci baru / new current key: {kid}; semua replika memakainya dalam "
        f"{stores.keys.cache_seconds:g} detik / every replica signs with it within "
        f"{stores.keys.cache_seconds:g} s"
    )
    return 0


async def _clients(stores: Any) -> int:
    for client in await stores.clients.list():
        kind = "public" if client.public else "confidential"
        print(
            f"{client.client_id}\t{kind}\t{','.join(client.grant_types)}\t"
            f"{','.join(client.redirect_uris) or '-'}"
        )
    return 0


async def _add(stores: Any, args: argparse.Namespace) -> int:
    from services.identity.oidc.clients import ClientError

    try:
        secret = await stores.clients.add_confidential(
            args.client_id,
            args.name,
            scopes=tuple(args.scope),
            roles=tuple(args.role) or ("service",),
            agency=args.agency,
        )
    except ClientError as exc:
        print(f"Ditolak / refused: {exc}")
        return 1
    print(f"Klien ditambahkan / client added: {args.client_id}")
    print(f"client_secret: {secret}")
    print(
        "Berikan kepada pengelola sistemnya sekarang: tidak disimpan dan tidak dapat "
        "ditampilkan lagi / Give it to the system's operators now: it is not stored and "
        "cannot be shown again."
    )
    return 0


async def _disable(stores: Any, client_id: str) -> int:
    if not await stores.clients.disable(client_id):
        print(f"Tidak ada klien rahasia aktif {client_id} / no active confidential client")
        return 1
    print(f"Dinonaktifkan / disabled: {client_id}")
    return 0


def run(args: argparse.Namespace) -> int:
    actions: dict[str, Callable[[Any], Awaitable[int]]] = {
        "keys": _keys,
        "rotate-keys": _rotate,
        "clients": _clients,
        "add-client": lambda stores: _add(stores, args),
        "disable-client": lambda stores: _disable(stores, args.client_id),
    }
    return asyncio.run(_with_provider(actions[args.action]))
