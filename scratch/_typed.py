"""Scalars of an array's dtype, made once."""
import functools

import numpy as np


@functools.lru_cache(maxsize=1024)
def typed(dtype, value):
    """``value`` as a 0-d array of ``dtype``, to combine with arrays of that dtype.

    The result of an operation is the one a Python float or a NumPy scalar of ``dtype`` gives (NumPy
    rounds either to the array's dtype first), but NumPy works out a Python float's dtype on every
    call, which costs as much as a small array's product itself. Kept per ``(dtype, value)``; never
    written to.
    """
    return np.array(value, dtype=dtype)
