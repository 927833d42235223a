"""The parity harness: one registry of components, the checks that apply to each, and the tests.

``from parity_tests import verify`` gives ``verify(path_or_module_or_class)`` for notebooks
(``parity_tests.jupyter``); it is imported on first use, so importing the package loads no torch.
"""

__all__ = ["verify", "Report"]


def __getattr__(name):
    if name in ("verify", "Report"):
        from . import jupyter
        return getattr(jupyter, name)
    raise AttributeError(f"module 'parity_tests' has no attribute {name!r}")
