"""Run untrusted code in a child process: the executor for ``twinnet verify`` and ``parity --impl``.

The judging process never imports the submission. ``Sandbox(path)`` starts ``python -m
parity_tests.sandbox``, a fresh interpreter (not a fork of the judge) that limits its own memory,
CPU time, file writes and process creation, sends its stdout/stderr to /dev/null, imports the
submission and answers one job at a time with ``kinds.run``. ``Sandbox.run(jobs)`` has
``checks.InProcess``'s interface.

Jobs go to the child pickled (the child trusts the judge). Answers come back as plain data only:
a JSON skeleton of dicts, lists, strings and numbers with the raw bytes of numeric arrays after it,
decoded without pickle, so nothing the child sends can run code in the judge. An answer that does
not decode, a child that dies (``os._exit``, a crash, the CPU limit) or one that takes longer than
``timeout`` seconds makes the current job an ``'error'`` with one sentence, and a new child takes the
remaining jobs.
"""
import io
import json
import os
import pickle
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

MAX_FRAME = 256 << 20
KEEP_OUTPUT = 2000
STATUSES = ("ok", "missing", "failed", "error")
SYNTAX_ERROR = "failed: syntax error"
"""How the reason of an ImportFailure starts when the submission does not compile."""


class ImportFailure(Exception):
    """The submission could not be imported (or did not finish importing); the message says why."""


class _Gone(Exception):
    """The child gave no usable answer: it died, hung or sent garbage. The message completes "the submission ..."."""

    def __init__(self, message, hung=False):
        super().__init__(message)
        self.hung = hung


class ProtocolError(Exception):
    """The child's answer was not well-formed plain data."""


class Opaque:
    """Stands in for a value the child could not send as plain data; its class name is the value's."""


def opaque(name):
    name = re.sub(r"[^\w .,()=-]", "?", str(name))[:80] or "object"
    return type(name, (Opaque,), {})()


# -- plain-data codec (child -> parent) ---------------------------------------------------------

_DTYPE = re.compile(r"^[<>|=][biufc][0-9]{1,2}$")


def encode(value, limit=MAX_FRAME):
    """``value`` as bytes: a JSON skeleton (arrays replaced by references) and the arrays' raw bytes."""
    buffers = []

    def plain(x, depth):
        if depth > 32:
            return {"opaque": "nesting deeper than 32 levels"}
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


def decode(payload):
    """The value ``encode`` made; raises ProtocolError on anything else. Never unpickles."""
    try:
        (n,) = struct.unpack(">Q", payload[:8])
        skeleton = json.loads(payload[8:8 + n].decode())
    except (struct.error, ValueError) as exc:
        raise ProtocolError(f"unreadable header ({exc})") from None
    offset = 8 + n

    def build(x, depth):
        nonlocal offset
        if depth > 40:
            raise ProtocolError("nesting too deep")
        if x is None or type(x) in (bool, str, int):
            return x
        if type(x) is not dict or len(x) != 1:
            raise ProtocolError(f"unexpected {type(x).__name__} in the header")
        (tag, body), = x.items()
        if tag == "float" and type(body) is str:
            return float(body)
        if tag == "opaque" and type(body) is str:
            return opaque(body)
        if tag in ("list", "tuple") and type(body) is list:
            items = [build(v, depth + 1) for v in body]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and type(body) is list:
            if not all(type(p) is list and len(p) == 2 and type(p[0]) is str for p in body):
                raise ProtocolError("malformed dict")
            return {k: build(v, depth + 1) for k, v in body}
        if tag == "array" and type(body) is list and len(body) == 3:
            descr, shape, scalar = body
            if type(descr) is not str or not _DTYPE.match(descr) or type(shape) is not list \
                    or not all(type(s) is int and 0 <= s < 2 ** 40 for s in shape) or len(shape) > 32:
                raise ProtocolError("malformed array header")
            dtype = np.dtype(descr)
            size = dtype.itemsize * int(np.prod(shape, dtype=np.float64))
            if offset + size > len(payload):
                raise ProtocolError("array data shorter than its header says")
            a = np.frombuffer(payload, dtype, int(np.prod(shape)), offset).reshape(shape).copy()
            offset += size
            return a[()] if scalar is True and a.ndim == 0 else a
        raise ProtocolError(f"unknown tag {tag!r}")

    value = build(skeleton, 0)
    if offset != len(payload):
        raise ProtocolError("trailing bytes after the data")
    return value


def _frame(data):
    return struct.pack(">Q", len(data)) + data


# -- the child ----------------------------------------------------------------------------------

class _Capture(io.TextIOBase):
    """A stdout that keeps the first ``KEEP_OUTPUT`` characters and counts the rest."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.kept, self.count = [], 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        room = KEEP_OUTPUT - min(self.count, KEEP_OUTPUT)
        if room:
            self.kept.append(s[:room])
        self.count += len(s)
        return len(s)

    def text(self):
        return "".join(self.kept)


def _limit(memory_mb, cpu_s):
    import resource
    mb = memory_mb << 20
    for what, soft, hard in ((resource.RLIMIT_AS, mb, mb), (resource.RLIMIT_CPU, cpu_s, cpu_s + 5),
                             (resource.RLIMIT_FSIZE, 0, 0), (resource.RLIMIT_NPROC, 0, 0),
                             (resource.RLIMIT_CORE, 0, 0)):
        try:
            resource.setrlimit(what, (soft, hard))
        except (ValueError, OSError):
            pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _import(path):
    import importlib.util
    if os.path.isdir(path):
        spec = importlib.util.spec_from_file_location("_twinnet_impl", os.path.join(path, "__init__.py"),
                                                      submodule_search_locations=[path])
    else:
        sys.path.append(os.path.dirname(path))
        spec = importlib.util.spec_from_file_location("_twinnet_impl", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["_twinnet_impl"] = module
    spec.loader.exec_module(module)
    return module


def _why(exc):
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})"
    if isinstance(exc, SyntaxError):
        return f"{SYNTAX_ERROR} in {os.path.basename(str(exc.filename))}, line {exc.lineno}: {exc.msg}"
    return f"raised {type(exc).__name__}: {exc}"


def _child():
    """Entry point of ``python -m parity_tests.sandbox``: read the setup, import, then answer jobs."""
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    capture = _Capture()
    sys.stdin, sys.stdout, sys.stderr = open(os.devnull), capture, capture

    def read():
        head = inp.read(8)
        if len(head) < 8:
            sys.exit(0)
        return pickle.loads(inp.read(struct.unpack(">Q", head)[0]))

    def send(value):
        try:
            payload = encode(value)
        except BaseException as exc:  # noqa: BLE001 -- e.g. MemoryError on a huge result
            payload = encode(["error", f"its results could not be sent ({type(exc).__name__})", ""])
        out.write(_frame(payload))
        out.flush()

    setup = read()
    from parity_tests.kinds import run
    _limit(setup["memory_mb"], setup["cpu_s"])
    try:
        impl = _import(setup["path"])
        names = [n for n in setup["names"] if getattr(impl, n, None) is not None]
    except BaseException as exc:  # noqa: BLE001 -- whatever the import does is the submission's doing
        send(["error", _why(exc)])
        return
    send(["ready", names])
    while True:
        spec, kind, case = read()
        capture.reset()
        try:
            status, result = run(impl, spec, kind, case)
        except BaseException as exc:  # noqa: BLE001 -- sys.exit and the like inside the submission
            status, result = "error", _why(exc)
        if capture.count > setup["max_output"]:
            status, result = "error", (f"printed {capture.count:,} characters, more than the limit of "
                                       f"{setup['max_output']:,}; remove the prints from forward/backward")
        send([status, result, capture.text()])


# -- the parent ---------------------------------------------------------------------------------

def _signal_name(code):
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


class Sandbox:
    """Executor running a submission (``.py`` file or package folder) in a child process.

    Parameters
    ----------
    path : the submission.
    names : the contract names to look for; ``present`` lists those the submission defines.
    timeout : seconds allowed per job.
    import_timeout : seconds allowed for starting the child and importing the submission
        (default ``max(2 * timeout, 20)``: a submission may import scipy or worse).
    memory_mb : address-space limit of the child.
    max_output : characters a job may print before it counts as an error.
    """

    def __init__(self, path, names=(), timeout=10.0, memory_mb=2048, max_output=1 << 20, import_timeout=None):
        self.path = os.path.abspath(path)
        self.names = list(names)
        self.timeout, self.memory_mb, self.max_output = float(timeout), int(memory_mb), int(max_output)
        self.import_timeout = max(2 * self.timeout, 20.0) if import_timeout is None else float(import_timeout)
        self.proc = None
        self.present = None
        self.restarts = 0
        self._gone = None
        self.broken = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        """Start a child and import the submission; ``present`` gets the names it defines.

        Raises ImportFailure with a one-sentence reason when the import raises, exits or hangs.
        """
        self.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1",
                   OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root
        self.scratch_dir = tempfile.TemporaryDirectory(prefix="twinnet-sandbox-")
        self.proc = subprocess.Popen([sys.executable, "-m", "parity_tests.sandbox"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=self.scratch_dir.name,
                                     env=env, start_new_session=True)
        cpu = int(max(60, 30 * self.timeout))
        setup = {"path": self.path, "names": self.names, "memory_mb": self.memory_mb, "cpu_s": cpu,
                 "max_output": self.max_output}
        try:
            answer = self._ask(setup, "", self.import_timeout)
        except _Gone as exc:
            raise ImportFailure(str(exc)) from None
        if not (isinstance(answer, list) and len(answer) == 2 and answer[0] in ("ready", "error")):
            self.close()
            raise ImportFailure("sent malformed data")
        if answer[0] == "error":
            self.close()
            raise ImportFailure(str(answer[1]))
        self.present = [n for n in answer[1] if n in self.names] if isinstance(answer[1], list) else []

    def close(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        self.proc.wait()
        self.proc = None
        self.scratch_dir.cleanup()

    def _ask(self, request, during, timeout):
        """Send ``request``, return the decoded answer; _Gone says why there was none."""
        deadline = time.monotonic() + timeout
        try:
            self._write(_frame(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)), deadline)
            (n,) = struct.unpack(">Q", self._read(8, deadline))
            if n > MAX_FRAME:
                raise ProtocolError(f"announced {n} bytes, more than the limit")
            return decode(self._read(n, deadline))
        except TimeoutError:
            self.close()
            raise _Gone(f"did not finish within {timeout:g} s{during} (an endless loop?)", hung=True) from None
        except (EOFError, BrokenPipeError):
            raise _Gone(self._death(during)) from None
        except ProtocolError as exc:
            self.close()
            raise _Gone(f"sent malformed data{during} ({exc})") from None

    def _death(self, during):
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.close()
            return f"closed its connection to the judge{during}"
        self.close()
        if code == -signal.SIGXCPU:
            return f"used up its CPU time{during}"
        if code < 0:
            return f"crashed{during} ({_signal_name(code)})"
        return f"ended the process{during} (exit status {code}: os._exit or a crash in native code)"

    def _write(self, data, deadline):
        fd = self.proc.stdin.fileno()
        view = memoryview(data)
        while view:
            if not select.select([], [fd], [], max(0.0, deadline - time.monotonic()))[1]:
                raise TimeoutError
            view = view[os.write(fd, view[:1 << 16]):]

    def _read(self, n, deadline):
        fd = self.proc.stdout.fileno()
        chunks, got = [], 0
        while got < n:
            if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise TimeoutError
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def run(self, jobs):
        """``[(status, outputs or message)]`` for ``[(spec, kind, case)]``; never raises for the submission's faults.

        Once a component hangs, or ends the process twice, its remaining jobs are not run.
        """
        results, given_up, deaths = [], {}, {}
        for spec, kind, case in jobs:
            cls = spec.get("cls")
            wanted = [n for n in (cls, spec.get("functional")) if n]
            if self.present is not None and wanted and not any(n in self.present for n in wanted):
                results.append(("missing", f"{cls} is not defined"))
            elif cls in given_up:
                results.append(("error", f"not run: {given_up[cls]}"))
            else:
                results.append(self._run_one(spec, kind, case))
                if self._gone is not None:
                    deaths[cls] = deaths.get(cls, 0) + 1
                    if self._gone.hung:
                        given_up[cls] = f"{cls} did not finish an earlier case within {self.timeout:g} s"
                    elif deaths[cls] >= 2:
                        given_up[cls] = f"{cls} ended the process in {deaths[cls]} earlier cases"
        return results

    def _run_one(self, spec, kind, case):
        self._gone = None
        if self.broken:
            return "error", f"not run: {self.broken}"
        try:
            if self.proc is None:
                self.restarts += self.present is not None
                self.start()
        except ImportFailure as exc:
            again = "re" if self.present is not None else ""
            self.broken = f"the submission could not be {again}started: importing it {exc}"
            return "error", self.broken
        try:
            answer = self._ask((spec, kind, case), " during this check", self.timeout)
        except _Gone as exc:
            self._gone = exc
            return "error", f"the submission {exc}"
        if not (isinstance(answer, list) and len(answer) == 3 and answer[0] in STATUSES
                and isinstance(answer[2], str)):
            self.close()
            return "error", "the submission sent malformed data during this check"
        status, result, printed = answer
        if status == "ok" and not isinstance(result, dict):
            return "failed", f"returned {type(result).__name__}, expected a dict of outputs"
        if status != "ok":
            result = str(result)[:4000]
            if printed.strip() and status == "error" and not result.startswith("printed"):
                result += f"\nit printed: {printed.strip()[-300:]}"
        return status, result


if __name__ == "__main__":
    _child()
