"""Entry point of the child: ``python -m parity_tests.child`` (the judge starts it with ``-s -S -B``).

Reads the setup from the judge (pickled: the judge is trusted), limits its own resources, installs
the import policy, loads the submission and answers one job at a time. Its stdout/stderr go to
/dev/null (prints are captured and counted); answers go back as plain data on the original stdout.
"""
import io
import os
import pickle
import struct
import sys
import types

from .codec import encode, frame
from .loader import load
from .policy import Guard, Policy

KEEP_OUTPUT = 2000
SYNTAX_ERROR = "failed: syntax error"


class Capture(io.TextIOBase):
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


def limit(memory_mb, cpu_s):
    import resource
    import signal
    mb = memory_mb << 20
    for what, soft, hard in ((resource.RLIMIT_AS, mb, mb), (resource.RLIMIT_CPU, cpu_s, cpu_s + 5),
                             (resource.RLIMIT_FSIZE, 0, 0), (resource.RLIMIT_NPROC, 0, 0),
                             (resource.RLIMIT_CORE, 0, 0), (resource.RLIMIT_NOFILE, 64, 64)):
        try:
            resource.setrlimit(what, (soft, hard))
        except (ValueError, OSError):
            pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def why(exc):
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})"
    if isinstance(exc, SyntaxError):
        return f"{SYNTAX_ERROR} in {os.path.basename(str(exc.filename))}, line {exc.lineno}: {exc.msg}"
    return f"raised {type(exc).__name__}: {exc}"


def main():
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    capture = Capture()
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
        out.write(frame(payload))
        out.flush()

    setup = read()
    from parity_tests import styles  # the child's one call into the implementation's side: styles.run
    adapter = styles.load_adapter(setup["adapter"]) if setup.get("adapter") else None  # trusted: the instructor's
    for name in [m for m in sys.modules if m == "parity_tests" or m.startswith("parity_tests.")]:
        del sys.modules[name]  # a submission importing them gets nothing (the policy refuses the name)
    limit(setup["memory_mb"], setup["cpu_s"])
    policy = Policy(setup.get("allow", ()), own={"_twinnet_impl", *setup.get("own", ())})
    if not os.path.isdir(setup["path"]):
        sys.path.append(os.path.dirname(setup["path"]))  # the submission's helper modules (_*.py) beside it
    guard = Guard(policy)
    guard.install()
    try:
        impl, notes = load(setup["path"], policy)
        names = [n for n in setup["names"] if getattr(impl, n, None) is not None]
    except BaseException as exc:  # noqa: BLE001 -- whatever the import does is the submission's doing
        send(["error", why(exc), {"attempted": sorted(set(guard.attempts))}])
        return
    info = notes.plain()
    info["attempted"] = sorted(set(guard.attempts))
    styles.contract.use(setup["names"])
    try:
        # the module's own names only: a module-level __getattr__ answers nothing the styles look up
        applied = styles.choose(types.SimpleNamespace(**vars(impl)), style=setup.get("style"), adapter=adapter)
    except styles.NoStyle as exc:
        if not (info.get("whole") or info.get("refused")):
            send(["unrecognised", str(exc), info])
            return
        applied = styles.unstyled(types.SimpleNamespace(**vars(impl)), "its names were refused by the import policy")
    except BaseException as exc:  # noqa: BLE001 -- adapting runs the submission's code too
        send(["error", why(exc), info])
        return
    origins = getattr(impl, "__twinnet_origins__", {})
    report = applied.report()
    report["source"] = {k: [origins.get(n.split(".")[0], n.split(".")[0]) + n[len(n.split(".")[0]):] for n in v]
                        for k, v in report["source"].items()}
    info["style"] = report
    names = [n for n in setup["names"] if n in vars(applied.namespace)]
    send(["ready", names, info])
    while True:
        spec, kind, case = read()
        capture.reset()
        before = len(guard.attempts)
        try:
            status, result = styles.run(applied, spec, kind, case)
        except BaseException as exc:  # noqa: BLE001 -- sys.exit and the like inside the submission
            status, result = "error", why(exc)
        tried = [t for t in guard.attempts[before:] if policy.denied(t)]
        if tried and status != "ok":
            status, result = "failed", policy.message(tried[0])
        elif status == "error" and isinstance(result, str) and "refused: imports " in result:
            status, result = "failed", "refused: " + result.split("refused: ", 1)[1].split(" (the import of")[0]
        if capture.count > setup["max_output"]:
            status, result = "error", (f"printed {capture.count:,} characters, more than the limit of "
                                       f"{setup['max_output']:,}; remove the prints from forward/backward")
        send([status, result, capture.text()])


if __name__ == "__main__":
    main()
