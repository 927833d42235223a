"""The pytest plugin of twinnet: ``--impl FILE`` for the parity suite (see ``test_parity.py``).

Installed with the project it is registered through the ``pytest11`` entry point, so the option is
known before pytest reads the command line and ``python -m pytest --pyargs parity_tests --impl FILE``
works from any folder; ``conftest.py`` adds the same option when the suite runs from a source tree.
Nothing here imports torch or the harness.
"""


def pytest_addoption(parser):
    try:
        parser.addoption("--impl", metavar="FILE", default=None,
                         help="twinnet: run the parity checks against FILE (a .py file, a notebook or a package "
                              "folder, in a child process) instead of scratch; names it does not define are skipped")
    except ValueError:  # already added: the installed plugin and the source tree's conftest both ask
        pass
