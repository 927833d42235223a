"""The child's side of the plain-data protocol: values to bytes, never pickled.

A frame is 8 bytes of length and a payload; the payload is 8 bytes of header length, a JSON
skeleton in which every numeric array is replaced by ``{"array": [dtype, shape, is_scalar]}``, and
the arrays' raw bytes after it. The judge's ``parity_tests.sandbox.decode`` reads it back.
"""
import json
import struct

import numpy as np

MAX_FRAME = 128 << 20
"""Bytes one answer may take; a larger one is replaced by an error (the judge refuses it too)."""
MAX_DEPTH = 32
"""Nesting the encoder writes out; deeper values become an opaque marker."""


def encode(value, limit=MAX_FRAME):
    """``value`` as bytes: a JSON skeleton (arrays replaced by references) and the arrays' raw bytes."""
    buffers = []

    def plain(x, depth):
        if depth > MAX_DEPTH:
            return {"opaque": f"nesting deeper than {MAX_DEPTH} levels"}
        if x is None or type(x) in (bool, str):
            return x
        if type(x) is int:
            return x if abs(x) < 2 ** 63 else float(x)
        if type(x) is float:
            return {"float": repr(x)}
        if isinstance(x, (np.ndarray, np.generic)) and np.asarray(x).dtype.kind in "biufc":
            a = np.array(x, order="C")
            buffers.append(a.tobytes())
            return {"array": [a.dtype.str, list(a.shape), isinstance(x, np.generic)]}
        if isinstance(x, np.ndarray):
            return {"opaque": f"ndarray of dtype {x.dtype}"}
        if type(x) is dict:
            return {"dict": [[str(k), plain(v, depth + 1)] for k, v in x.items()]}
        if type(x) in (list, tuple):
            return {type(x).__name__: [plain(v, depth + 1) for v in x]}
        return {"opaque": type(x).__name__}

    header = json.dumps(plain(value, 0)).encode()
    payload = struct.pack(">Q", len(header)) + header + b"".join(buffers)
    if len(payload) > limit:
        return encode(["error", f"sent {len(payload) >> 20} MB of results, more than the limit of {limit >> 20} MB"])
    return payload


def frame(data):
    """``data`` with its length in front, as the judge reads it."""
    return struct.pack(">Q", len(data)) + data
