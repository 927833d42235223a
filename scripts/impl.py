"""Find and load the implementation a command checks: scratch by default, or a user's file or package."""
import importlib.util
import sys
from pathlib import Path

from ._common import UsageError


def contract_names():
    from parity_tests.registry import REGISTRY
    names = {e.cls for e in REGISTRY}
    names |= {e.functional for e in REGISTRY if e.functional}
    return names


def import_path(path):
    """Import a ``.py`` file or a package folder under a private module name, with usage errors for bad paths."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"--impl: no such file or folder: {path}")
    if path.is_dir():
        init = path / "__init__.py"
        if not init.exists():
            raise UsageError(f"--impl: {path} is a folder without __init__.py; give a .py file or a package folder")
        spec = importlib.util.spec_from_file_location("_twinnet_impl", init, submodule_search_locations=[str(path)])
    elif path.suffix == ".py":
        spec = importlib.util.spec_from_file_location("_twinnet_impl", path)
    else:
        raise UsageError(f"--impl: {path} is not a .py file or a package folder")
    module = importlib.util.module_from_spec(spec)
    sys.modules["_twinnet_impl"] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise UsageError(f"--impl: {exc.filename}, line {exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:  # noqa: BLE001 -- anything raised at import is the implementation's fault
        raise UsageError(f"--impl: importing {path} raised {type(exc).__name__}: {exc}") from None
    found = sorted(n for n in contract_names() if getattr(module, n, None) is not None)
    if not found:
        raise UsageError(f"--impl: {path} defines none of the contract's names "
                         f"(e.g. {', '.join(sorted(contract_names())[:6])}, ...); see CONTRACT.md")
    return module


def load_impl(path):
    """``(name, executor)`` for ``--impl PATH``, or scratch when ``path`` is None."""
    from parity_tests.checks import InProcess
    if path is None:
        import scratch
        return "scratch", InProcess(scratch)
    return str(path), InProcess(import_path(path))
