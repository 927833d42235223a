"""``twinnet autograder``: a Gradescope autograder zip that grades with ``twinnet verify --gradescope``.

The zip holds what Gradescope's Ubuntu image needs and nothing it has to fetch from this project:

- ``setup.sh``: run once when the autograder is built; makes a virtual environment in /autograder/venv
  (installing python3-venv first if the image lacks it), installs torch's CPU build from PyTorch's
  CPU index (the default index would pull the CUDA build, several GB), then twinnet from the wheel
  inside the zip, with the pinned constraints;
- ``run_autograder``: run for each submission; verifies what is in ``$AUTOGRADER_ROOT/submission``
  (default root /autograder; a ``.py`` file, a notebook or a package folder) and writes
  ``$AUTOGRADER_ROOT/results/results.json``, with a results file that says what went wrong when the
  submission cannot be graded at all;
- the course's settings: ``points.json`` (``--points``), ``adapter.py`` (``--adapter``), the style and
  the allowed imports (baked into ``run_autograder``'s command line), ``constraints.txt`` and the wheel.
"""
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ._common import UsageError, _umask, check_writable

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder image is built.
set -euo pipefail
SOURCE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
    # Ubuntu's python3 comes without venv and pip
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv python3-pip
fi
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip
# torch's CPU build from PyTorch's CPU index: the default index would pull the CUDA build (several GB)
"$ROOT/venv/bin/python" -m pip install -c "$SOURCE/constraints.txt" --index-url {cpu_index} torch
# twinnet from the wheel in this zip; its other dependencies from PyPI, torch already there
"$ROOT/venv/bin/python" -m pip install -c "$SOURCE/constraints.txt" "$SOURCE/{wheel}"
"$ROOT/venv/bin/twinnet" --version
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission: it grades $AUTOGRADER_ROOT/submission with twinnet verify
# and writes $AUTOGRADER_ROOT/results/results.json. Made by `twinnet autograder` ({version}).
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
SOURCE="${{AUTOGRADER_SOURCE:-$ROOT/source}}"
RESULTS="$ROOT/results/results.json"
if [ -n "${{TWINNET:-}}" ]; then
    twinnet=("$TWINNET")
elif [ -x "$ROOT/venv/bin/twinnet" ]; then
    twinnet=("$ROOT/venv/bin/twinnet")
else
    twinnet=(twinnet)
fi
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
settings=({settings})
if [ -f "$SOURCE/points.json" ]; then
    settings+=(--points "$SOURCE/points.json")
fi
if [ -f "$SOURCE/adapter.py" ]; then
    settings+=(--adapter "$SOURCE/adapter.py")
fi
log="$(mktemp)"
"${{twinnet[@]}}" verify "$ROOT/submission" --gradescope "$RESULTS" "${{settings[@]}}" 2>"$log"
status=$?
cat "$log" >&2
if [ ! -s "$RESULTS" ] || [ "$status" -eq 2 ]; then
    # nothing gradable (no .py file or notebook, two submissions, nothing recognised, ...): say so, with
    # what was uploaded, instead of a blank failure
    SUBMISSION="$ROOT/submission" RESULTS="$RESULTS" LOG="$log" STATUS="$status" python3 - <<'EOF'
import json, os
from pathlib import Path
message = Path(os.environ["LOG"]).read_text().strip() or f"twinnet verify exited with status {{os.environ['STATUS']}}"
folder = Path(os.environ["SUBMISSION"])
files = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
output = (f"Your submission could not be graded: {{message}}\\n"
          f"Upload one .py file, one notebook (.ipynb) or one package folder; found: {{', '.join(files) or 'nothing'}}")
Path(os.environ["RESULTS"]).write_text(json.dumps({{"score": 0, "output": output, "visibility": "visible",
                                                    "stdout_visibility": "visible", "execution_time": 0, "tests": []}}, indent=1))
EOF
fi
rm -f "$log"
exit 0
"""


def add_parser(sub):
    p = sub.add_parser(
        "autograder", help="build a Gradescope autograder zip that grades with twinnet verify",
        description="Write a Gradescope autograder zip: setup.sh (a virtual environment with torch's CPU build "
                    "and twinnet from a wheel built from this source tree), run_autograder (twinnet verify "
                    "--gradescope on the submission, notebooks included) and the course's settings.")
    p.add_argument("--out", metavar="FILE", default="autograder.zip", help="the zip to write (default autograder.zip)")
    p.add_argument("--points", metavar="FILE", help="JSON of points by category or component, as verify's --points")
    p.add_argument("--style", metavar="S", help="the submissions' style, passed to twinnet verify --style")
    p.add_argument("--adapter", metavar="FILE",
                   help="an instructor's style file, put in the zip and passed to twinnet verify --adapter")
    p.add_argument("--allow-import", metavar="M", action="append", default=[],
                   help="a module submissions may import, passed to twinnet verify --allow-import (repeatable)")
    p.add_argument("--only", metavar="PATTERN", help="grade only the checks matching PATTERN (as verify's --only)")
    p.add_argument("--wheel", metavar="FILE", help="a twinnet wheel to put in the zip instead of building one")
    p.set_defaults(run=run)


def _verify_options():
    """The options ``twinnet verify`` accepts, each with its choices (None: any value): a setting it does
    not know, or a value it would refuse, is refused here rather than on Gradescope."""
    import argparse

    from . import verify
    parser = argparse.ArgumentParser()
    verify.add_parser(parser.add_subparsers())
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["verify"]
    return {s: action.choices for action in sub._actions for s in action.option_strings}


def settings(args):
    """The verify options the course chose, as a list of arguments (points excepted: they travel as a file)."""
    known = _verify_options()
    chosen = []
    if args.style:
        chosen += ["--style", args.style]
    for module in args.allow_import:
        chosen += ["--allow-import", module]
    if args.only:
        chosen += ["--only", args.only]
    if args.adapter:
        chosen += ["--adapter", args.adapter]
    for option, value in zip(chosen[::2], chosen[1::2]):
        if option not in known:
            raise UsageError(f"{option}: this twinnet's verify has no {option} option, so the autograder could not "
                             f"pass it on")
        if known[option] is not None and value not in known[option]:
            raise UsageError(f"{option} {value!r}: twinnet verify takes one of {', '.join(map(str, known[option]))}")
    if args.adapter:
        from .impl import check_path
        check_path(args.adapter, "--adapter")
        chosen = chosen[:-2]  # the file travels in the zip as adapter.py; run_autograder passes it
    if args.only:
        from .verify import select
        select(args.only)
    return chosen


def build_wheel(folder):
    """A wheel of this source tree in ``folder`` (``pip wheel --no-deps``), its path."""
    if not (ROOT / "pyproject.toml").exists():
        raise UsageError(f"no pyproject.toml in {ROOT}: build the autograder from a source checkout of twinnet, "
                         f"or give --wheel FILE")
    # a clean copy of the tree: nothing is written into the checkout, and no stale build/ folder leaks in
    tree = Path(folder) / "src"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.pyc", "build", "dist", "*.egg-info", ".venv", "venv", ".pytest_cache",
        ".hypothesis", "*.zip", "fixtures", "docs"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(folder), str(tree)]
    try:
        import setuptools  # noqa: F401 -- present: build here, offline, without an isolated build environment
        command.insert(5, "--no-build-isolation")
    except ImportError:
        pass
    done = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(Path(folder).glob("twinnet-*.whl"))
    if done.returncode != 0 or not wheels:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise UsageError(f"building the twinnet wheel failed ({' '.join(command)}):\n{tail}")
    return wheels[-1]


def _add(archive, name, text, executable=False):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((stat.S_IFREG | (0o755 if executable else 0o644)) << 16)
    archive.writestr(info, text)


def build(out, points=None, options=(), wheel=None, adapter=None):
    """Write the autograder zip to ``out``; return the names it holds."""
    from .cli import version
    from .gradescope import load_points

    load_points(points)  # refuse a bad points file now
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="twinnet-autograder-") as tmp:
        wheel = Path(wheel) if wheel else build_wheel(tmp)
        if not wheel.is_file() or wheel.suffix != ".whl":
            raise UsageError(f"--wheel: {wheel} is not a wheel file")
        partial = out.with_name(f".{out.name}.tmp")
        try:
            with zipfile.ZipFile(partial, "w") as archive:
                _add(archive, "setup.sh", SETUP.format(cpu_index=CPU_INDEX, wheel=wheel.name), executable=True)
                _add(archive, "run_autograder", RUN.format(version=f"twinnet {version()}",
                                                           settings=" ".join(map(shlex.quote, options))),
                     executable=True)
                _add(archive, "constraints.txt", (ROOT / "constraints.txt").read_text()
                     if (ROOT / "constraints.txt").exists() else "torch==2.13.0\n")
                if points:
                    _add(archive, "points.json", json.dumps(json.loads(Path(points).read_text()), indent=1) + "\n")
                if adapter:
                    _add(archive, "adapter.py", Path(adapter).read_text())
                archive.write(wheel, wheel.name)
                names = archive.namelist()
            os.chmod(partial, 0o666 & ~_umask())  # as open() would have made it
            os.replace(partial, out)
        finally:
            Path(partial).unlink(missing_ok=True)
    return names


def run(args):
    check_writable(args.out)
    if Path(args.out).suffix != ".zip":
        raise UsageError(f"--out: {args.out} should end in .zip (Gradescope takes a zip)")
    options = settings(args)
    names = build(args.out, args.points, options, args.wheel, args.adapter)
    print(f"wrote {args.out}: {', '.join(names)}")
    print("upload it as the autograder of a Gradescope programming assignment (Ubuntu base image); students "
          "submit one .py file, notebook or package folder")
    return 0


def unpack(zip_path, folder):
    """Unpack an autograder zip as Gradescope does (into ``folder``), keeping the executable bits; for tests."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = Path(folder) / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)
    return Path(folder)

