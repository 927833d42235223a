"""pytest options of the parity suite: ``--impl FILE`` runs ``test_parity`` against FILE instead of scratch.

    python -m pytest --pyargs parity_tests --impl my_network.py -k ReLU

FILE (a ``.py`` file, a notebook or a package folder) runs in the sandbox's child process, as with
``twinnet verify``; the checks of names it does not define are skipped. The option itself lives in
``plugin.py`` (also the installed ``pytest11`` entry point, which makes it known from any folder).
"""
from .plugin import pytest_addoption  # noqa: F401 -- pytest reads the hook from here
