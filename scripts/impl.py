"""Find and load the implementation a command checks: scratch by default, or a user's file or package.

A user's code is never imported here: it runs in an isolated child process (``parity_tests.sandbox``;
README, "Security model").
"""
from pathlib import Path

from ._common import UsageError


def contract_names():
    """Every name the registry's checks look up: classes and the tutorials' function names."""
    from parity_tests.registry import REGISTRY
    names = {e.cls for e in REGISTRY}
    names |= {e.functional for e in REGISTRY if e.functional}
    return names


def check_path(path, option="--impl"):
    """``path`` as a Path if it can be a submission (a ``.py`` file, notebook or package folder), else a UsageError."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{option}: no such file or folder: {path}")
    if path.is_dir():
        if not (path / "__init__.py").exists():
            raise UsageError(f"{option}: {path} is a folder without __init__.py; give a .py file or a package folder")
    elif path.suffix == ".ipynb":
        from .notebook import check
        check(path)  # a UsageError with a clear sentence when it is not a notebook or not valid Python
    elif path.suffix != ".py":
        raise UsageError(f"{option}: {path} is not a .py file, a notebook (.ipynb) or a package folder")
    return path


def open_sandbox(path, option="--impl", **limits):
    """A started ``Sandbox`` for a user's submission; usage errors when it cannot be imported or defines nothing."""
    from parity_tests.sandbox import ImportFailure, NothingRecognised, Sandbox

    from .notebook import as_python
    path = check_path(path, option)
    sandbox = Sandbox(as_python(path), names=sorted(contract_names()), **limits)
    try:
        sandbox.start()
    except NothingRecognised as exc:
        raise UsageError(f"{option}: {path} defines none of the contract's names ({exc})") from None
    except ImportFailure as exc:
        raise UsageError(f"{option}: importing {path} {exc}") from None
    if not sandbox.present:
        sandbox.close()
        raise UsageError(f"{option}: {path} defines none of the contract's names "
                         f"(e.g. {', '.join(sorted(contract_names())[:6])}, ...); see docs/CONTRACT.md")
    return sandbox


def load_impl(path):
    """``(name, executor)`` for ``--impl PATH`` (run in a child process), or scratch in-process when ``path`` is None."""
    from parity_tests.checks import InProcess
    if path is None:
        import scratch
        return "scratch", InProcess(scratch)
    return str(path), open_sandbox(path)
