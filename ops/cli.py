"""``mpp``: the operator's command line."""

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="mpp", description="Operate MPP Digital.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run the whole platform on the local stack")
    args = parser.parse_args(argv)
    if args.command == "up":
        from ops.up import run_platform

        sys.exit(run_platform())


if __name__ == "__main__":
    main()
