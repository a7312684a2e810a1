"""``mpp staff``: the platform's staff accounts, for administrators.

mpp staff add USERNAME --role ROLE [--agency A | --region R] [--name NAME] [--password-stdin]
mpp staff disable USERNAME
mpp staff list [--agency A] [--role ROLE] [--region R]
mpp staff reset-password USERNAME [--password-stdin]

Accounts live in identity's database (``services/identity/staff.py``); ``disable`` and
``reset-password`` stage a ``staff.access_revoked`` event in identity's outbox with the
change (the running identity's relay publishes it; routing applies it within seconds),
and also write routing's and intake's ``staff_revocations`` themselves, so tokens issued
before are refused by the agency API, the workbench and the queue's staff API the moment
the command ends. Each action
goes through :mod:`services.identity.staff_admin`, the functions identity's staff API
calls, as an operator who may manage everyone.
"""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from ops.applications_cli import operator_argument, operator_name

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
Staff accounts: every person who acts on citizens' data signs in as themselves, so
the citizen's access log and the audit log name the person.

roles and what each is bound to:
  officer      one agency of the catalogue (--agency)   the agency's workbench and API
  supervisor   one agency of the catalogue (--agency)   the same, as a supervisor
  counter      one MPP region (--region)                looks citizens up by NIK at the
                                                        counter and submits for them
  kiosk        one MPP region (--region)                submits for the citizen signed
                                                        in at the kiosk
  mobile_unit  one MPP region (--region)                a mobile service unit: checks
                                                        KTPs in villages, captures
                                                        offline, sends the day's batch
  queue_kiosk  one MPP region (--region)                the queue kiosk at the door:
                                                        checks bookings in, gives tickets
  counter_officer one MPP region (--region)             calls the next queue ticket at
                                                        a counter
  finance_officer one MPP region (--region)             reads the region's payments
                                                        reconciliation
  region_admin one region (--region)                    publishes the region's catalogue
                                                        package; adds and stops its own
                                                        offices' and counters' staff
                                                        (POST /api/v1/staff)
  national_admin nothing                                publishes the national package;
                                                        administers every region's staff
  admin        nothing                                  platform administration

Staff sign in with their username (the workbench's sign-in page, or
POST /api/v1/auth/token). Every change records who made it: the operator named by
--operator (default: your OS user name). Region administrators do the same for their
own region through identity's API (docs/identity.md). Accounts are in identity's
database (MPP_MONGO_URI, MPP_IDENTITY_DATABASE or MPP_NAMESPACE); agencies and regions
come from shared/catalogue/data/.
"""

_ADD_HELP = """\
Add a staff account. The initial password is printed once (it is stored only as an
argon2 hash): give it to the person directly. With --password-stdin it is read from
standard input instead (one line, at least 12 characters) and not printed.

Refused (exit code 2) for an unknown agency or region, a role given the wrong binding
(officer and supervisor take --agency, counter, kiosk and mobile_unit --region, admin
neither), or
a username that is not 3-40 lower-case letters, digits, '.', '-' or '_' starting with
a letter; refused (exit code 1) when the username is taken — a disabled account keeps
its username, so records stay unambiguous.
"""

_DISABLE_HELP = """\
Disable a staff account at once: it can no longer sign in, and every token it was
issued is refused by identity, intake, the agency API and the workbench. There is no undo: add
a new account. Exit code 1 when there is no such account.
"""

_RESET_HELP = """\
Set a new password (printed once, or read with --password-stdin). Sessions opened with
the old one end: tokens issued before the reset are refused. Exit code 1 when there is
no such account.
"""

_EPILOG = """\
examples:
  mpp staff add andi.pratama --role officer --agency polres-3576 --name "Bripka Andi Pratama"
  mpp staff add loket-gajahmada-1 --role counter --region 3576
  printf '%s\\n' "$PASSWORD" | mpp staff add kios-gajahmada-1 --role kiosk --region 3576 \\
      --password-stdin
  mpp staff list --agency polres-3576
  mpp staff disable andi.pratama
"""


_ROLES_HELP = (
    "officer, supervisor, counter, kiosk, mobile_unit, queue_kiosk, counter_officer, "
    "finance_officer, region_admin, national_admin or admin"
)


def add_parser(commands: Any) -> None:
    staff = commands.add_parser(
        "staff",
        help="staff accounts: officers, supervisors, counters, kiosks, mobile units, admins",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = staff.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="add a staff account (prints a one-time initial password)",
        description=_ADD_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("username", metavar="USERNAME", help="e.g. andi.pratama")
    add.add_argument("--role", required=True, metavar="ROLE", help=_ROLES_HELP)
    binding = add.add_mutually_exclusive_group()
    binding.add_argument("--agency", help="officer, supervisor: agency code, e.g. polres-3576")
    binding.add_argument("--region", help="counter, kiosk, mobile_unit: MPP region code, e.g. 3576")
    add.add_argument("--name", help="the person's name as shown on screens, e.g. 'Bripka Andi'")
    _password_stdin(add)
    operator_argument(add)
    disable = actions.add_parser(
        "disable",
        help="disable an account at once (sign-in and existing tokens refused)",
        description=_DISABLE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    disable.add_argument("username", metavar="USERNAME")
    operator_argument(disable)
    listing = actions.add_parser("list", help="list staff accounts (never their passwords)")
    listing.add_argument("--agency", help="only this agency's officers and supervisors")
    listing.add_argument("--role", metavar="ROLE", help=f"only this role: {_ROLES_HELP}")
    listing.add_argument("--region", help="only this region's counters, kiosks, mobile units")
    reset = actions.add_parser(
        "reset-password",
        help="set a new password (prints it once); earlier sessions end",
        description=_RESET_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reset.add_argument("username", metavar="USERNAME")
    _password_stdin(reset)
    operator_argument(reset)


def _password_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of generating one",
    )


def _password(args: argparse.Namespace) -> str | None:
    """The password read from standard input, or None for a generated one."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return None


def _operator(args: argparse.Namespace) -> Any:
    from services.identity.staff_admin import Administrator

    return Administrator.operator(operator_name(args))


def _bound_to(staff: dict[str, Any]) -> str:
    return staff.get("agency") or staff.get("region") or "-"


class _Everywhere:
    """Each service's record of revoked staff tokens, written at once."""

    def __init__(self, stores: tuple[Any, ...]) -> None:
        self._stores = stores

    async def record(self, username: str, at: Any, *, disabled: bool) -> None:
        for store in self._stores:
            await store.record(username, at, disabled=disabled)


async def _with_stores(work: Callable[[Any, Any], Awaitable[int]]) -> int:
    from argon2 import PasswordHasher

    from services.identity.app import announce_staff_revocations
    from services.identity.staff import StaffStore
    from services.routing.composition import build_parts
    from shared.catalogue import load_catalogue
    from shared.runtime import build_runtime
    from shared.settings import Settings
    from shared.staff_revocations import StaffRevocations
    from shared.unit_of_work import UnitsOfWork

    settings = Settings()
    identity = build_runtime("identity", settings)  # its database and outbox; nothing runs
    announce_staff_revocations(identity)
    routing = build_parts(settings)  # where the revocations routing checks are written
    try:
        staff = StaffStore(
            identity.db,
            load_catalogue(),
            PasswordHasher(),
            units=UnitsOfWork(identity.mongo, identity.outbox()),
            topics=identity.topics,
        )
        await staff.prepare()
        intake = StaffRevocations(routing.runtime.mongo[settings.database_name("intake")])
        return await work(staff, _Everywhere((routing.staff.revocations, intake)))
    finally:
        await routing.close()
        await identity.mongo.close()


async def _add(staff: Any, args: argparse.Namespace) -> int:
    from services.identity.staff import StaffError, UsernameTaken
    from services.identity.staff_admin import add_staff

    try:
        added, password = await add_staff(
            staff,
            _operator(args),
            args.username,
            args.role,
            agency=args.agency,
            region=args.region,
            name=args.name,
            password=_password(args),
        )
    except StaffError as exc:
        print(f"Ditolak / refused: {exc}")
        return 1 if isinstance(exc, UsernameTaken) else 2
    print(
        f"Petugas ditambahkan / staff member added: {added['_id']}\t{added['role']}\t"
        f"{_bound_to(added)}\t{added['name'] or '-'}"
    )
    if not args.password_stdin:
        _show_password(password)
    return 0


def _show_password(password: str) -> None:
    print(f"kata sandi / password: {password}")
    print(
        "Berikan kepada petugas sekarang: tidak disimpan dan tidak dapat ditampilkan lagi / "
        "Give it to the person now: it is not stored and cannot be shown again."
    )


def _no_such(username: str) -> int:
    print(f"Tidak ada petugas {username} / no staff member {username}")
    return 1


async def _disable(staff: Any, revocations: Any, args: argparse.Namespace) -> int:
    from services.identity.staff_admin import NoSuchStaff, disable_staff

    try:
        disabled, already = await disable_staff(staff, _operator(args), args.username, revocations)
    except NoSuchStaff:
        return _no_such(args.username)
    if already:
        since = f"{disabled['disabled_at']:%Y-%m-%d}"
        print(f"{args.username} sudah nonaktif / already disabled since {since}")
        return 0
    print(
        f"Dinonaktifkan / disabled: {args.username}; masuk dan token yang sudah terbit "
        "ditolak / sign-in and tokens already issued are refused"
    )
    return 0


async def _reset(staff: Any, revocations: Any, args: argparse.Namespace) -> int:
    from services.identity.staff import StaffError
    from services.identity.staff_admin import NoSuchStaff, reset_staff_password

    try:
        updated, password = await reset_staff_password(
            staff, _operator(args), args.username, revocations, _password(args)
        )
    except NoSuchStaff:
        return _no_such(args.username)
    except StaffError as exc:
        print(f"Ditolak / refused: {exc}")
        return 2
    print(
        f"Kata sandi baru untuk / new password for {args.username}; sesi lama berakhir / "
        "earlier sessions ended"
    )
    if updated.get("disabled_at") is not None:
        print("Catatan / note: the account is disabled; it still cannot sign in")
    if not args.password_stdin:
        _show_password(password)
    return 0


async def _list(staff: Any, args: argparse.Namespace) -> int:
    from services.identity.staff import ROLES

    if args.role is not None and args.role not in ROLES:
        print(f"Peran {args.role} tidak dikenal / unknown role {args.role}: {_ROLES_HELP}")
        return 2
    if args.agency is not None and staff.catalogue.agency(args.agency) is None:
        print(f"Instansi {args.agency} tidak ada di katalog / unknown agency {args.agency}")
        return 2
    if args.region is not None and staff.catalogue.region(args.region) is None:
        print(f"Wilayah {args.region} tidak ada di katalog / unknown region {args.region}")
        return 2
    from services.identity.staff_admin import Administrator, visible_staff

    everyone = Administrator.operator("list")
    found = await visible_staff(
        staff, everyone, agency=args.agency, role=args.role, region=args.region
    )
    for row in found:
        state = f"disabled {row['disabled_at']:%Y-%m-%d}" if row.get("disabled_at") else "active"
        print(f"{row['_id']}\t{row['role']}\t{_bound_to(row)}\t{row.get('name') or '-'}\t{state}")
    print(f"{len(found)} petugas / staff accounts")
    return 0


def run(args: argparse.Namespace) -> int:
    actions: dict[str, Callable[[Any, Any], Awaitable[int]]] = {
        "add": lambda staff, _: _add(staff, args),
        "disable": lambda staff, revocations: _disable(staff, revocations, args),
        "reset-password": lambda staff, revocations: _reset(staff, revocations, args),
        "list": lambda staff, _: _list(staff, args),
    }
    return asyncio.run(_with_stores(actions[args.action]))
