"""Everything that runs inside the child process of ``twinnet verify``, beside the submission.

This package imports only NumPy and the standard library, plus one call into the implementation's
side (``parity_tests.kinds.run``, imported in ``__main__.py``). The judge copies it, read-only,
into the child's own view of the file system; nothing else of the project is visible there.

- ``codec``: the encode side of the plain-data protocol (answers go to the judge as a JSON skeleton
  plus raw array bytes, never pickled);
- ``policy``: which modules the submission may import (NumPy and the standard library by default),
  checked statically over every file and again at run time;
- ``loader``: loads the submission's files keeping definitions and constants and dropping the
  script around them (training runs, plots, ``input()``);
- ``__main__``: the entry point, ``python -m parity_tests.child``.
"""
