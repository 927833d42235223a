"""``twinnet``: one command, one module per subcommand (each has ``add_parser`` and ``run``).

Exit status: 0 when nothing failed or errored, 1 otherwise, 2 for bad usage.
"""
import argparse
import importlib
import sys

from ._common import UsageError

COMMANDS = ["parity", "baseline", "verify", "bench", "train"]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="twinnet", description="Twin neural networks, NumPy and torch, and the harness that proves they agree.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"scripts.{name}").add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"twinnet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"twinnet {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
