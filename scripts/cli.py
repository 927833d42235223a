"""``twinnet``: one command, one module per subcommand (each has ``add_parser`` and ``run``).

Exit status: 0 when nothing failed or errored, 1 otherwise, 2 for bad usage.
"""
import argparse
import importlib
import os
import sys

from ._common import UsageError

COMMANDS = ["parity", "baseline", "verify", "bench", "train", "autograder"]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="twinnet", description="Twin neural networks, NumPy and torch, and the harness that proves they agree.")
    parser.add_argument("--version", action="version", version=f"twinnet {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"scripts.{name}").add_parser(sub)
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:  # from an argument type (scripts._common.seconds, jobs): one line, as below
        words = sys.argv[1:] if argv is None else argv
        command = next((w for w in words if w in COMMANDS), None)
        print(f"twinnet {command}: error: {exc}" if command else f"twinnet: error: {exc}", file=sys.stderr)
        return 2
    try:
        status = args.run(args)
        sys.stdout.flush()  # inside the try: a reader that went away shows here, not at exit
        return status
    except UsageError as exc:
        print(f"twinnet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"twinnet {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``twinnet verify ... | head``): point stdout at devnull so the
        # interpreter's final flush does not raise again, and stop quietly (the Python docs' recipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def version():
    """The installed distribution's version, or 'unknown' when run from a source tree that is not installed."""
    from importlib.metadata import PackageNotFoundError, version as dist_version
    try:
        return dist_version("twinnet")
    except PackageNotFoundError:
        return "unknown (not installed)"


if __name__ == "__main__":
    sys.exit(main())
