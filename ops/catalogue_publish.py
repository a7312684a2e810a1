"""``mpp catalogue publish FILE --reason WHY``: publish a package, live, for operators.

It does what ``POST /api/v1/catalogue/packages`` does
(:func:`services.routing.catalogue_publishing.publish`), as the platform's operator
(recorded as ``operator:<name>``): it reads every package published so far, checks the
file with them, keeps the version in routing's database and stages the
``catalogue.published`` event in routing's outbox; the running routing process's relay
sends it, and every service applies it within seconds. Nothing is restarted.
"""

import argparse
from typing import TYPE_CHECKING

from ops.applications_cli import operator_argument, operator_name, with_routing

if TYPE_CHECKING:
    from services.routing.composition import RoutingParts

__all__ = ["add_publish_parser", "publish_file"]


def add_publish_parser(actions: argparse._SubParsersAction) -> None:
    publish = actions.add_parser(
        "publish", help="publish a package: live in every service within seconds"
    )
    publish.add_argument("file", metavar="FILE", help="a .json, .yaml or .yml package")
    publish.add_argument("--reason", required=True, help="why, for the audit log")
    publish.add_argument("--dry-run", action="store_true", help="check and diff only")
    operator_argument(publish)


async def publish_file(args: argparse.Namespace) -> int:
    """Publish ``args.file`` (exit 0), or say every problem and change nothing (exit 1)."""
    from services.routing.catalogue_publishing import StaleVersion, check, publish
    from shared.catalogue.packaging import PackageInvalid
    from shared.catalogue.packaging.files import read_document

    async def work(parts: "RoutingParts") -> int:
        runtime = parts.runtime
        await runtime.catalogue_feed.catch_up()  # check against what is live, not built in
        await runtime.catalogue_feed.close()
        try:
            document = read_document(args.file)
            if args.dry_run:
                checked = check(document, runtime.catalogue)
                _print_changes(f"{checked.package_id} (dry run, nothing stored)", checked.changes)
                return 0
            done = await publish(
                document,
                by=f"operator:{operator_name(args)}",
                reason=args.reason,
                live=runtime.catalogue,
                versions=parts.catalogue_versions,
                uow=runtime.units(),
                topics=runtime.topics,
            )
        except PackageInvalid as refused:
            print(f"{len(refused.problems)} problem(s); nothing changed:")
            for problem in refused.problems:
                print(f"  {problem}")
            return 1
        except StaleVersion as refused:
            print(f"Ditolak / refused: {refused}")
            return 1
        _print_changes(
            f"{done.package_id} version {done.package_version} published as catalogue "
            f"version {done.catalogue_version}",
            done.changes,
        )
        print("Every service applies it within seconds (the running routing process sends it).")
        return 0

    return await with_routing(work)


def _print_changes(title: str, changes: list[str]) -> None:
    print(title)
    for change in changes or ["no changes"]:
        print(f"  {change}")
