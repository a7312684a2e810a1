"""``mpp``: the operator's command line.

mpp up                 run the whole platform on the local stack (``make up``)
mpp topics list        print every topic of the registry with its partition count
mpp topics provision   create the registry's topics that do not exist yet
mpp catalogue ...      catalogue packages: validate, diff (see ops/catalogue_cli.py)
mpp agency ...         agency API keys, webhook deliveries, redelivery (see ops/agency_cli.py)
mpp applications ...   operator actions on applications: reroute (see ops/applications_cli.py)
mpp payments reconcile match a settlement file to the bills (see ops/payments_cli.py)
mpp staff ...          staff accounts: add, disable, list, reset-password (see ops/staff_cli.py)
mpp oidc ...           signing keys (rotate-keys) and clients of the OpenID Connect provider
mpp audit ...          verify, export, replay, state, republish (see ops/audit_cli.py)
mpp privacy retention  retention per data class: report (--dry-run) or sweep (ops/privacy_cli.py)
mpp soak               a steady load for a while, then a zero-loss report per stage
"""

import argparse
import asyncio
import sys

from ops import (
    agency_cli,
    applications_cli,
    audit_cli,
    catalogue_cli,
    oidc_cli,
    payments_cli,
    privacy_cli,
    staff_cli,
)

__all__ = ["main"]


def _topics(command: str) -> int:
    from shared.catalogue import load_catalogue
    from shared.kafka import provision_topics
    from shared.settings import Settings
    from shared.topics import Topics

    settings = Settings()
    specs = Topics(settings.namespace).for_catalogue(load_catalogue(), settings)
    if command == "list":
        for spec in specs:
            print(f"{spec.name}\t{spec.partitions}")
        return 0
    asyncio.run(
        provision_topics(settings.kafka_bootstrap, specs, settings.kafka_replication_factor, 120)
    )
    print(f"{len(specs)} topics present on {settings.kafka_bootstrap}")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="mpp", description="Operate MPP Digital.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run the whole platform on the local stack")
    topics = commands.add_parser("topics", help="the topic registry")
    topics.add_argument("action", choices=["list", "provision"])
    commands.add_parser("settings-doc", help="print the settings table (docs/settings.md)")
    soak = commands.add_parser("soak", help="steady load, then a zero-loss report per stage")
    soak.add_argument("--rate", type=float, default=20.0, help="submissions per second")
    soak.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    soak.add_argument("--drain", type=float, default=None, help="seconds to wait after")
    agency_cli.add_parser(commands)
    catalogue_cli.add_parser(commands)
    applications_cli.add_parser(commands)
    staff_cli.add_parser(commands)
    payments_cli.add_parser(commands)
    oidc_cli.add_parser(commands)
    privacy_cli.add_parser(commands)
    audit_cli.configure(commands.add_parser("audit", help="the tamper-evident audit log"))
    args = parser.parse_args(argv)
    if args.command == "audit":
        sys.exit(audit_cli.run(args))
    if args.command == "catalogue":
        sys.exit(catalogue_cli.run(args))
    if args.command == "agency":
        sys.exit(agency_cli.run(args))
    if args.command == "applications":
        sys.exit(applications_cli.run(args))
    if args.command == "payments":
        sys.exit(payments_cli.run(args))
    if args.command == "staff":
        sys.exit(staff_cli.run(args))
    if args.command == "oidc":
        sys.exit(oidc_cli.run(args))
    if args.command == "privacy":
        sys.exit(privacy_cli.run(args))
    if args.command == "up":
        from ops.up import run_platform

        sys.exit(run_platform())
    if args.command == "soak":
        from ops.soak import main_soak

        sys.exit(main_soak(args.rate, args.duration, args.drain))
    if args.command == "topics":
        sys.exit(_topics(args.action))
    if args.command == "settings-doc":
        from ops.settings_doc import render

        print(render(), end="")


if __name__ == "__main__":
    main()
