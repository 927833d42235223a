"""Every check kind, one module each: both sides of the kind, its dtypes, judge and tolerance.

``KINDS`` maps a kind's id to its definition; it is collected from the modules of this package, so a
new kind is one new module here. ``run`` is the child's single entry point.
"""
import importlib
import pkgutil

import numpy as np

from ._base import DTYPES, Kind
from ._calls import ContractViolation, Missing

KINDS = {}
for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        for _value in vars(importlib.import_module(f"{__name__}.{_info.name}")).values():
            if isinstance(_value, Kind):
                KINDS[_value.id] = _value


def run(impl, spec, kind, case):
    """Run one job and classify the outcome: ``('ok', outputs)``, ``('missing', why)``, ``('failed', why)``
    or ``('error', why)``."""
    try:
        with np.errstate(all="ignore"):
            return "ok", KINDS[kind].implementation(impl, spec, case)
    except Missing as exc:
        return "missing", str(exc)
    except NotImplementedError as exc:
        return "missing", f"not implemented{': ' + str(exc) if str(exc) else ''}"
    except ContractViolation as exc:
        return "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 -- any exception from the implementation is its failure
        return "error", f"raised {type(exc).__name__}: {exc}"


__all__ = ["DTYPES", "KINDS", "Kind", "run"]
