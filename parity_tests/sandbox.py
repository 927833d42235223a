"""Run untrusted code in a child process: the executor for ``twinnet verify`` and ``parity --impl``.

The judging process never imports the submission. ``Sandbox(path)`` starts a supervisor
(``python -m parity_tests.sandbox --init``) inside new PID, mount, network, IPC and UTS namespaces
(``unshare``); the supervisor builds a file-system view holding only /usr, the interpreter, NumPy,
the child's own code (``parity_tests.child``) and a copy of the submission in a small tmpfs, and
starts the child (``python -s -S -B -m parity_tests.child`` with an allowlisted environment) as uid/gid 65534 with no capabilities and
no_new_privs (``setpriv``). The child limits its own memory, CPU time, file writes and process
creation, refuses imports outside NumPy and the standard library, loads the submission and answers
one job at a time with ``kinds.run``. ``Sandbox.run(jobs)`` has ``checks.InProcess``'s interface.

Without root the same runs in a user namespace where the kernel allows it, and otherwise falls back
to the resource limits and the import policy alone; ``Sandbox.isolation`` says which level is in
force (``TWINNET_ISOLATION=full|user-namespace|rlimits`` forces one, for tests;
``TWINNET_SANDBOX_DEBUG=1`` lets the supervisor's and the child's start-up errors reach stderr).

Jobs go to the child pickled (the child trusts the judge). Answers come back as plain data only:
a JSON skeleton of dicts, lists, strings and numbers with the raw bytes of numeric arrays after it,
decoded without pickle, so nothing the child sends can run code in the judge; every string is
stripped of control characters on the way in (``sanitize``). An answer that does not decode, a child
that dies (``os._exit``, a crash, the CPU limit) or one that takes longer than ``timeout`` seconds
makes the current job an ``'error'`` with one sentence, and a new child takes the remaining jobs.
Every process of the child is gone when ``close`` returns: the supervisor is PID 1 of the child's
PID namespace, and when it ends the kernel ends the rest.
"""
import json
import os
import pickle
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

from parity_tests.child.codec import MAX_FRAME, encode, frame as _frame  # noqa: F401 -- encode: kept importable here
from parity_tests.child.__main__ import KEEP_OUTPUT, SYNTAX_ERROR  # noqa: F401

STATUSES = ("ok", "missing", "failed", "error", "excluded")
"""What a job can come back as; ``excluded``: a case the submission's course cannot express (``styles.limit``)."""
MAX_DEPTH = 40
"""Nesting the decoder accepts in an answer."""
MAX_ITEMS = 1 << 20
"""Values (numbers, strings, containers) one answer may hold."""
NOBODY = 65534
WORK_MB, WORK_INODES = 64, 4096
"""Size and inode count of the child's private tmpfs holding the submission."""
MAX_SUBMISSION = 32 << 20
"""Bytes of a submission (file or package folder) copied into the child's view."""
LEVELS = ("full", "user-namespace", "rlimits")
CHILD_FILES = ("parity_tests/__init__.py",)
CHILD_PACKAGES = ("parity_tests/child", "parity_tests/kinds", "parity_tests/styles")
"""What the child needs of the project: its own code, the kinds' implementation sides and the styles,
all NumPy and the standard library only (``parity_tests/kinds/_torch.py``, the kinds' torch helpers,
stays out)."""
CHILD_LEFT_OUT = ("parity_tests/kinds/_torch.py",)
ADAPTER = "twinnet_adapter.py"
"""The name an instructor's style file gets in the child's view."""
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ImportFailure(Exception):
    """The submission could not be imported (or did not finish importing); the message says why."""


class NothingRecognised(ImportFailure):
    """The submission imported, but no style recognises anything in it (a usage error); the message
    names the styles tried and the nearest names found."""


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


def _escape(c):
    o = ord(c)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def sanitize(text):
    """``text`` with control and format characters (ANSI escapes, carriage returns, bidi overrides,
    line separators) written as visible escapes, so nothing a submission sends can forge report lines.
    Newlines and tabs stay: the reports indent what follows them."""
    text = str(text)
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text
    return "".join(c if c in "\n\t" or c.isprintable() else _escape(c) for c in text)


# -- plain-data codec (child -> parent) ---------------------------------------------------------

_DTYPE = re.compile(r"^[<>|=][biufc][0-9]{1,2}$")


def decode(payload):
    """The value ``encode`` made; raises ProtocolError on anything else. Never unpickles.

    Bounded: nesting (``MAX_DEPTH``), the number of values (``MAX_ITEMS``) and the arrays' bytes (at most
    the payload's); every string passes through ``sanitize``.
    """
    try:
        return _decode(payload)
    except ProtocolError:
        raise
    except (RecursionError, MemoryError, OverflowError, ValueError, TypeError, struct.error) as exc:
        raise ProtocolError(f"unreadable data ({type(exc).__name__})") from None


def _decode(payload):
    import numpy as np

    if len(payload) < 8:
        raise ProtocolError("shorter than its header")
    (n,) = struct.unpack(">Q", payload[:8])
    if n > len(payload) - 8:
        raise ProtocolError("header longer than the data")
    head = payload[8:8 + n]
    try:
        skeleton = json.loads(head.decode())
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"unreadable header ({type(exc).__name__})") from None
    offset = 8 + n
    count = 0

    def build(x, depth):
        nonlocal offset, count
        count += 1
        if depth > MAX_DEPTH:
            raise ProtocolError("nesting too deep")
        if count > MAX_ITEMS:
            raise ProtocolError("too many values")
        if type(x) is str:
            return sanitize(x)
        if x is None or type(x) in (bool, int):
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
            return {sanitize(k): build(v, depth + 1) for k, v in body}
        if tag == "array" and type(body) is list and len(body) == 3:
            descr, shape, scalar = body
            if type(descr) is not str or not _DTYPE.match(descr) or type(shape) is not list \
                    or not all(type(s) is int and 0 <= s < 2 ** 40 for s in shape) or len(shape) > 32:
                raise ProtocolError("malformed array header")
            dtype = np.dtype(descr)
            elements = 1
            for s in shape:
                elements *= s
            size = dtype.itemsize * elements
            if offset + size > len(payload):
                raise ProtocolError("array data shorter than its header says")
            a = np.frombuffer(payload, dtype, elements, offset).reshape(shape).copy()
            offset += size
            return a[()] if scalar is True and a.ndim == 0 else a
        raise ProtocolError(f"unknown tag {sanitize(tag)!r}")

    value = build(skeleton, 0)
    if offset != len(payload):
        raise ProtocolError("trailing bytes after the data")
    return value


# -- isolation levels ---------------------------------------------------------------------------

_NAMESPACES = ["--pid", "--fork", "--mount", "--net", "--ipc", "--uts"]
_PROBED = {}


def _probe(level):
    if level not in _PROBED:
        ok = False
        if level == "rlimits":
            ok = True
        elif shutil.which("unshare") and shutil.which("setpriv") and (level != "full" or os.geteuid() == 0):
            cmd = ["unshare", *(["--user", "--map-root-user"] if level == "user-namespace" else []), *_NAMESPACES, "true"]
            try:
                ok = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    timeout=10).returncode == 0
            except (OSError, subprocess.SubprocessError):
                ok = False
        _PROBED[level] = ok
    return _PROBED[level]


def choose_level(force=None):
    """The strongest isolation available, from ``force`` or ``TWINNET_ISOLATION`` down: ``(level, notes)``."""
    want = force or os.environ.get("TWINNET_ISOLATION") or "full"
    if want not in LEVELS:
        want = "full"
    notes = []
    for level in LEVELS[LEVELS.index(want):]:
        if _probe(level):
            return level, notes
        notes.append(f"{level} isolation is not available here"
                     + (" (needs root)" if level == "full" and os.geteuid() != 0 else ""))
    return "rlimits", notes


def describe(level, memory_mb, cpu_s, allow=()):
    """``{"level", "details"}``: what the report says about the isolation in force."""
    details = []
    if level == "full":
        details += ["new PID, mount, network, IPC and UTS namespaces (unshare); the child's processes end with it",
                    f"runs as uid/gid {NOBODY} with no supplementary groups, no capabilities and no_new_privs (setpriv)"]
    elif level == "user-namespace":
        details += ["a user namespace with new PID, mount, network, IPC and UTS namespaces (unshare --user); "
                    "the child's processes end with it",
                    "no capabilities and no_new_privs (setpriv); the same uid as the judge outside the namespace"]
    else:
        details += ["no namespaces (neither root nor user namespaces): the child runs as the judge's user and can "
                    "see what that user sees; its orphaned processes are ended by a subreaper"]
    if level != "rlimits":
        details += ["no network: only the loopback interface, down",
                    "file system: read-only /usr, interpreter, NumPy and the child's code; the project, the judge, "
                    "other submissions, /root, /home and /tmp are not there; the submission is copied into a "
                    f"private tmpfs of {WORK_MB} MB and {WORK_INODES} inodes"]
    details += [f"limits: {memory_mb} MB of memory, {cpu_s} s of CPU, no file writes, no new processes, 64 files",
                "imports: numpy and the standard library" + "".join(f", {a}" for a in sorted(allow))
                + "; refused at load time (ast) and at run time (finder and audit hook)",
                "environment: an allowlist (PATH, LANG, HOME, TMPDIR, thread counts, PYTHONHASHSEED=0)"]
    return {"level": level, "details": details}


# -- the supervisor (PID 1 of the child's namespaces) -------------------------------------------

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36


def _libc():
    import ctypes
    return ctypes.CDLL(None, use_errno=True)


def _mount(libc, src, target, fstype, flags, data=None):
    import ctypes
    enc = (lambda s: s.encode() if s is not None else None)
    if libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _bind(libc, src, target, writable=False, device=False):
    if os.path.isdir(src):
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "w").close()
    _mount(libc, src, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (0 if writable else MS_RDONLY)
    try:
        _mount(libc, None, target, None, flags | (0 if device else MS_NODEV))
    except OSError:
        _mount(libc, None, target, None, flags)


def _build_root(cfg, libc):
    """Mount the child's view of the file system at ``cfg['root']`` and make it ``/``."""
    root = cfg["root"]
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    _mount(libc, "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,nr_inodes=4096,mode=0755")
    inside = (lambda p: os.path.join(root, p.lstrip("/")))
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = "/" + name
        if os.path.islink(p):
            os.symlink(os.readlink(p), inside(p))
        elif os.path.isdir(p):
            _bind(libc, p, inside(p))
    _bind(libc, "/usr", inside("/usr"))
    for f in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.isfile(f):
            _bind(libc, f, inside(f))
    prefix = cfg["prefix"]
    if not prefix.startswith("/usr/"):
        _bind(libc, prefix, inside(prefix))
    for hidden in cfg["hide"]:
        if os.path.isdir(inside(hidden)):
            _mount(libc, "tmpfs", inside(hidden), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,nr_inodes=8")
    _bind(libc, cfg["stage_lib"], inside("/twinnet/lib"))
    for rel, target in cfg["links"]:
        _bind(libc, target, inside(os.path.join("/twinnet/lib", rel)))
    for path, size, inodes, mode in (("/twinnet/work", WORK_MB << 20, WORK_INODES, "0755"),
                                     ("/tmp", 16 << 20, 1024, "1777"), ("/dev", 1 << 16, 64, "0755")):
        os.makedirs(inside(path), exist_ok=True)
        _mount(libc, "tmpfs", inside(path), "tmpfs", MS_NOSUID | MS_NODEV * (path != "/dev") | MS_NOEXEC * (path != "/dev"),
               f"size={size},nr_inodes={inodes},mode={mode}")
    for dev in ("null", "zero", "full", "random", "urandom"):
        if os.path.exists("/dev/" + dev):
            _bind(libc, "/dev/" + dev, inside("/dev/" + dev), writable=True, device=True)
    work = inside("/twinnet/work")
    for name in os.listdir(cfg["stage_work"]):
        src, dst = os.path.join(cfg["stage_work"], name), os.path.join(work, name)
        if os.path.isdir(src):
            shutil.copytree(src, dst, symlinks=True)
        else:
            shutil.copy2(src, dst, follow_symlinks=False)
    if cfg["uid"] is not None:
        for folder, dirs, files in os.walk(work):
            for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                os.lchown(name, cfg["uid"], cfg["uid"])
    os.makedirs(inside("/proc"), exist_ok=True)
    for options in ("hidepid=2", None):  # hidepid: the child sees its own processes only, not the supervisor
        try:
            _mount(libc, "proc", inside("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, options)
            break
        except OSError:
            pass  # a user namespace inside a container may not mount proc: the child then has no /proc at all
    _mount(libc, None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(root)
    _mount(libc, root, "/", None, MS_MOVE)
    os.chroot(".")
    os.chdir("/")


def _kill_descendants(me, in_namespace):
    """End every process below the supervisor: all of its PID namespace, or, without one, each child and
    each orphan the kernel hands to this subreaper, until none is left."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if in_namespace:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        else:
            for entry in os.listdir("/proc"):
                try:
                    with open(f"/proc/{entry}/stat", "rb") as f:
                        stat = f.read()
                    if int(stat[stat.rindex(b")") + 2:].split()[1]) == me:
                        os.kill(int(entry), signal.SIGKILL)
                except (OSError, ValueError, IndexError):
                    continue
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        time.sleep(0.005)


def _init(lifeline, status):
    """The supervisor: read the setup on fd 3, build the view, start the child, report its end on fd 4.

    fd 3 stays open while the judge lives: its end (the judge gone or done) ends every process here.
    """
    libc = _libc()
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(lifeline, 1 << 16)
        if not chunk:
            os._exit(0)
        line += chunk
    cfg = json.loads(line)
    me = os.getpid()
    outer = int(os.readlink("/proc/self")) if os.path.islink("/proc/self") else me
    os.write(status, f"pid {outer}\n".encode())
    try:
        if cfg["namespaces"]:
            _build_root(cfg, libc)
        argv = [cfg["python"], *cfg["flags"], "-c", cfg["boot"], *cfg["path"]]
        if cfg["setpriv"]:
            argv = [shutil.which("setpriv") or "/usr/bin/setpriv", *cfg["setpriv"], "--", *argv]
        child = subprocess.Popen(argv, stdin=0, stdout=1, stderr=2 if cfg.get("debug") else subprocess.DEVNULL, cwd=cfg["cwd"], env=cfg["env"],
                                 close_fds=True)
    except BaseException as exc:  # noqa: BLE001 -- any failure to set up is reported, never a hang
        os.write(status, f"fail {type(exc).__name__}: {exc}\n".encode())
        os._exit(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    pidfd = os.pidfd_open(child.pid)
    while True:
        ready = select.select([lifeline, pidfd], [], [])[0]
        if pidfd in ready:
            code = child.wait()
            os.write(status, (f"signal {-code}\n" if code < 0 else f"exit {code}\n").encode())
            break
        if lifeline in ready and not os.read(lifeline, 1 << 16):
            break
    _kill_descendants(me, cfg["namespaces"] and me == 1)
    os._exit(0)


# -- the parent ---------------------------------------------------------------------------------

def _signal_name(code):
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


_FLAGS = ("-s", "-S", "-B") + (("-P",) if sys.version_info >= (3, 11) else ())
"""The child's interpreter flags: no user or site packages, no bytecode written, no script folder on the
path. Not ``-E``/``-I``: the environment is the judge's allowlist, and it sets PYTHONHASHSEED=0 so that
a submission's set and dict orders are the same on every run."""
_BOOT = ("import sys; sys.path[:] = [p for p in sys.argv[1:] + sys.path if p]; del sys.argv[1:]; import runpy; "
         "runpy.run_module('parity_tests.child', run_name='__main__', alter_sys=True)")


def _site_of(name):
    """``(kind, path)`` of an allowed top-level module: its folder or file, and the site-packages holding it."""
    import importlib.util
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        path = list(spec.submodule_search_locations)[0]
    elif spec.origin and os.path.isfile(spec.origin):
        path = spec.origin
    else:
        return None
    return os.path.realpath(path)


def _copy_submission(path, dest):
    """Copy the submission (never following links) into ``dest``; an ImportFailure when it is too big.

    Beside a single file, its helper modules (``_*.py``: never submissions themselves in a folder run)
    come too, so ``from _helpers import x`` works; other submissions of the folder stay out of view.
    """
    total = 0
    if os.path.isdir(path):
        for folder, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_size
                except OSError:
                    pass
    else:
        total = os.lstat(path).st_size
    if total > MAX_SUBMISSION:
        raise ImportFailure(f"is {total >> 20} MB, more than the limit of {MAX_SUBMISSION >> 20} MB")
    target = os.path.join(dest, os.path.basename(path.rstrip("/")))
    if os.path.isdir(path):
        shutil.copytree(path, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copy(path, target, follow_symlinks=False)
        folder = os.path.dirname(path)
        for name in sorted(os.listdir(folder)):
            helper = os.path.join(folder, name)
            if name.startswith("_") and name.endswith(".py") and name != "__init__.py" and os.path.isfile(helper) \
                    and not os.path.islink(helper) and os.path.getsize(helper) < MAX_SUBMISSION // 64:
                shutil.copy(helper, os.path.join(dest, name))
    for folder, dirs, files in os.walk(dest):
        os.chmod(folder, 0o755)
        for name in files:
            p = os.path.join(folder, name)
            if not os.path.islink(p):
                os.chmod(p, 0o644)
    return os.path.basename(target)


class Sandbox:
    """Executor running a submission (``.py`` file or package folder) in an isolated child process.

    Parameters
    ----------
    path : the submission.
    names : the contract names to look for; ``present`` lists those the submission defines.
    timeout : seconds allowed per job.
    import_timeout : seconds allowed for starting the child and importing the submission
        (default ``max(2 * timeout, 20)``).
    memory_mb : address-space limit of the child.
    max_output : characters a job may print before it counts as an error.
    allow : top-level modules the submission may import besides numpy and the standard library.
    total_timeout : seconds for everything this submission does, all jobs and restarts together (None: no bound).
    isolation : force a level (``'full'``, ``'user-namespace'``, ``'rlimits'``); default the strongest available.
    style, adapter : the course style to apply (``parity_tests.styles``) or an instructor's style file;
        default: the style the child detects. ``style`` (the attribute) is the style's report once started.

    ``isolation`` (the attribute) is ``{"level", "details"}``; ``notes`` what loading said (ignored script
    lines, stubbed imports, refused names, attempted imports).
    """

    def __init__(self, path, names=(), timeout=10.0, memory_mb=2048, max_output=1 << 20, import_timeout=None,
                 allow=(), total_timeout=None, isolation=None, style=None, adapter=None):
        self.path = os.path.abspath(path)
        self.style_asked, self.adapter = style, adapter and os.path.abspath(adapter)
        self.style = None
        self.names = list(names)
        self.timeout, self.memory_mb, self.max_output = float(timeout), int(memory_mb), int(max_output)
        self.import_timeout = max(2 * self.timeout, 20.0) if import_timeout is None else float(import_timeout)
        self.allow = tuple(sorted(set(allow)))
        self.total_timeout = None if total_timeout is None else float(total_timeout)
        self.cpu_s = int(max(60, 30 * self.timeout))
        self.level, level_notes = choose_level(isolation)
        self.isolation = describe(self.level, self.memory_mb, self.cpu_s, self.allow)
        self.isolation["details"] += level_notes
        self.proc = None
        self.present = None
        self.notes = {}
        self.restarts = 0
        self._gone = None
        self.broken = None
        self.deadline = None
        self._stage = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- starting and stopping ------------------------------------------------------------------

    def _stage_files(self):
        """The staging folder: the child's code and links to NumPy (``lib``), a copy of the submission (``work``)."""
        import numpy
        stage = self._stage = tempfile.mkdtemp(prefix="twinnet-sandbox-")
        os.chmod(stage, 0o711)
        lib, work = os.path.join(stage, "lib"), os.path.join(stage, "work")
        files = list(CHILD_FILES) + [f"{pkg}/{n}" for pkg in CHILD_PACKAGES
                                     for n in sorted(os.listdir(os.path.join(ROOT, pkg)))
                                     if n.endswith(".py") and f"{pkg}/{n}" not in CHILD_LEFT_OUT]
        for rel in files:
            os.makedirs(os.path.dirname(os.path.join(lib, rel)), exist_ok=True)
            shutil.copyfile(os.path.join(ROOT, rel), os.path.join(lib, rel))
        if self.adapter:
            shutil.copyfile(self.adapter, os.path.join(lib, ADAPTER))
        numpy_dir = os.path.realpath(os.path.dirname(numpy.__file__))
        links = [("numpy", numpy_dir)]
        if os.path.isdir(numpy_dir + ".libs"):
            links.append(("numpy.libs", numpy_dir + ".libs"))
        extra = []
        for name in self.allow:
            where = _site_of(name)
            if where is None or any(t == where for _, t in links):
                continue
            parent = os.path.dirname(where)
            if os.path.basename(parent) in ("site-packages", "dist-packages"):
                if ("site", parent) not in links:
                    links.append(("site", parent))
                    extra.append("site")
            else:
                links.append((os.path.basename(where), where))
        namespaces = self.level != "rlimits"
        for rel, target in links:
            point = os.path.join(lib, rel)
            if not namespaces:
                os.symlink(target, point)
            elif os.path.isdir(target):
                os.makedirs(point)
            else:
                open(point, "w").close()
        for folder, dirs, names in os.walk(lib):
            os.chmod(folder, 0o755)
            for n in names:
                if not os.path.islink(os.path.join(folder, n)):
                    os.chmod(os.path.join(folder, n), 0o644)
        os.makedirs(work)
        name = _copy_submission(self.path, work)
        os.makedirs(os.path.join(stage, "root"))
        os.makedirs(os.path.join(stage, "tmp"), mode=0o700)
        base = (lambda p: os.path.join("/twinnet", p)) if namespaces else (lambda p: os.path.join(stage, p))
        prefix = os.path.realpath(sys.base_prefix)
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        tmp = "/tmp" if namespaces else os.path.join(stage, "tmp")
        setpriv = None
        if self.level == "full":
            setpriv = [f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all",
                       "--bounding-set=-all", "--no-new-privs"]
        elif self.level == "user-namespace":
            setpriv = ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        elif shutil.which("setpriv"):
            setpriv = ["--no-new-privs"]
        cfg = {"debug": bool(os.environ.get("TWINNET_SANDBOX_DEBUG")), "namespaces": namespaces, "root": os.path.join(stage, "root"), "prefix": prefix,
               "hide": [os.path.join(prefix, "lib", version, "site-packages")], "stage_lib": lib, "stage_work": work,
               "links": links, "uid": NOBODY if self.level == "full" else None,
               "python": os.path.realpath(sys.executable), "boot": _BOOT, "flags": list(_FLAGS),
               "path": [base("lib")] + [os.path.join(base("lib"), e) for e in extra],
               "cwd": base("work"), "setpriv": setpriv,
               "env": {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                       "HOME": base("work"), "TMPDIR": tmp, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                       "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}}
        return cfg, os.path.join(base("work"), name)

    def start(self):
        """Start a child and import the submission; ``present`` gets the names it defines.

        Raises ImportFailure with a one-sentence reason when the import raises, exits or hangs.
        """
        self.close()
        if self.deadline is None and self.total_timeout is not None:
            self.deadline = time.monotonic() + self.total_timeout
        self._exit = self._fail = None
        self._status_buf = b""
        try:
            cfg, child_path = self._stage_files()
        except OSError as exc:
            self._cleanup()
            raise ImportFailure(f"could not be copied for the child ({exc.strerror or exc})") from None
        except ImportFailure:
            self._cleanup()
            raise
        life_r, self._life_w = os.pipe()
        self._status_r, status_w = os.pipe()
        cmd = [sys.executable, "-m", "parity_tests.sandbox", "--init", str(life_r), str(status_w)]
        if self.level != "rlimits":
            cmd = ["unshare", *(["--user", "--map-root-user"] if self.level == "user-namespace" else []),
                   *_NAMESPACES, *cmd]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": ROOT, "PYTHONDONTWRITEBYTECODE": "1",
               "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                         cwd=cfg["root"], env=env, pass_fds=(life_r, status_w), start_new_session=True)
        finally:
            os.close(life_r)
            os.close(status_w)
        self.init_pid = None
        try:
            os.write(self._life_w, json.dumps(cfg).encode() + b"\n")
            first = self._status_line(time.monotonic() + 20)
        except (OSError, TimeoutError):
            first = None
        if first is None or not first.startswith("pid "):
            why = first[5:] if first and first.startswith("fail ") else "no answer"
            self.close()
            raise ImportFailure(f"could not be started: the sandbox could not be set up ({why})")
        self.init_pid = int(first.split()[1])
        setup = {"path": child_path, "names": self.names, "memory_mb": self.memory_mb, "cpu_s": self.cpu_s,
                 "max_output": self.max_output, "allow": list(self.allow),
                 "own": self._own_modules(),
                 "style": self.style_asked, "adapter": os.path.join(cfg["path"][0], ADAPTER) if self.adapter else None}
        try:
            answer = self._ask(setup, "", self._budget(self.import_timeout))
        except _Gone as exc:
            raise ImportFailure(str(exc)) from None
        if not (isinstance(answer, list) and len(answer) == 3 and answer[0] in ("ready", "error", "unrecognised")
                and isinstance(answer[2], dict)):
            self.close()
            raise ImportFailure("sent malformed data")
        self.notes = _notes(answer[2])
        if answer[0] != "ready":
            self.close()
            raise (NothingRecognised if answer[0] == "unrecognised" else ImportFailure)(str(answer[1]))
        self.style = _style(answer[2].get("style"))
        self.present = [n for n in answer[1] if n in self.names] if isinstance(answer[1], list) else []

    def _own_modules(self):
        """The submission's module names: the files beside it (or in its folder), importable by their names."""
        work = os.path.join(self._stage, "work")
        found = {n[:-3] for n in os.listdir(work) if n.endswith(".py")}
        if os.path.isdir(self.path):
            found |= {n[:-3] for n in os.listdir(self.path) if n.endswith(".py")}
        return sorted(found)

    def _budget(self, seconds):
        if self.deadline is None:
            return seconds
        return max(0.0, min(seconds, self.deadline - time.monotonic()))

    def _status_line(self, deadline):
        """The supervisor's next line on the status pipe (``pid N``, ``exit N``, ``signal N``, ``fail ...``)."""
        while b"\n" not in self._status_buf:
            if not select.select([self._status_r], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise TimeoutError
            chunk = os.read(self._status_r, 4096)
            if not chunk:
                return None
            self._status_buf += chunk
        line, self._status_buf = self._status_buf.split(b"\n", 1)
        line = line.decode(errors="replace")
        if line.startswith("fail "):
            self._fail = line[5:]
        if line.startswith(("exit ", "signal ")):
            n = int(line.split()[1])
            self._exit = n if line.startswith("exit") else -n
        return line

    def close(self):
        """End the child and every process it started, then remove its files; never raises."""
        if self.proc is None:
            self._cleanup()
            return
        try:
            os.close(self._life_w)  # the supervisor ends everything in the namespace, then itself
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            for pid in (self.init_pid, -self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL) if pid and pid > 0 else os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        try:
            os.close(self._status_r)
        except OSError:
            pass
        self.proc = None
        self._cleanup()

    def _cleanup(self):
        if self._stage:
            try:
                shutil.rmtree(self._stage, ignore_errors=True)
            except Exception:  # noqa: BLE001 -- a swapped or vanished folder must not lose the results
                pass
            self._stage = None

    # -- talking to the child -------------------------------------------------------------------

    def _ask(self, request, during, timeout):
        """Send ``request``, return the decoded answer; _Gone says why there was none."""
        deadline = time.monotonic() + timeout
        try:
            self._write(_frame(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)), deadline)
            (n,) = struct.unpack(">Q", self._read(8, deadline))
            if n > MAX_FRAME:
                raise ProtocolError(f"announced {n} bytes, more than the limit of {MAX_FRAME >> 20} MB")
            return decode(self._read(n, deadline))
        except TimeoutError:
            self.close()
            if self.deadline is not None and time.monotonic() >= self.deadline - 0.01:
                raise _Gone(f"did not finish within its total time of {self.total_timeout:g} s{during}",
                            hung=True) from None
            raise _Gone(f"did not finish within {timeout:g} s{during} (an endless loop?)", hung=True) from None
        except (EOFError, BrokenPipeError):
            raise _Gone(self._death(during)) from None
        except ProtocolError as exc:
            self.close()
            raise _Gone(f"sent malformed data{during} ({exc})") from None
        except (OSError, MemoryError) as exc:
            self.close()
            raise _Gone(f"could not be read{during} ({type(exc).__name__})") from None

    def _death(self, during):
        if self._exit is None:
            try:
                while self._exit is None and self._status_line(time.monotonic() + 2) is not None:
                    pass
            except (TimeoutError, OSError, ValueError):
                pass
        code = self._exit
        self.close()
        if code is None and self._fail:
            return f"could not be started: the sandbox could not be set up ({self._fail})"
        if code is None:
            return f"closed its connection to the judge{during}"
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
            ready = select.select([fd, self._status_r], [], [], max(0.0, deadline - time.monotonic()))[0]
            if not ready:
                raise TimeoutError
            if fd not in ready:
                if self._status_line(deadline) is None or self._exit is not None:
                    if not select.select([fd], [], [], 0)[0]:
                        raise EOFError
                continue
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    # -- jobs -----------------------------------------------------------------------------------

    def refusal(self, spec):
        """The refusal message for ``spec``'s component when the submission's code for it uses a refused module."""
        from parity_tests.child.policy import message
        whole, refused = self.notes.get("whole"), self.notes.get("refused", {})
        if whole:
            return message(whole, self.allow)
        cls, fn = spec.get("cls"), spec.get("functional")
        present = self.present or []
        used = [cls] if cls in present or not fn or fn not in present else [fn, fn + "_derivative"]
        for name in used:
            if name in refused:
                return message(refused[name], self.allow)
        return None

    def run(self, jobs):
        """``[(status, outputs or message)]`` for ``[(spec, kind, case)]``; never raises for the submission's faults.

        Once a component hangs, or ends the process twice, its remaining jobs are not run; a component
        whose code uses a refused module is not run and earns nothing.
        """
        results, given_up, deaths = [], {}, {}
        for spec, kind, case in jobs:
            cls = spec.get("cls")
            wanted = [n for n in (cls, spec.get("functional")) if n]
            if self.present is not None and self.notes.get("whole"):
                results.append(("failed", self.refusal(spec)))
            elif self.present is not None and wanted and not any(n in self.present for n in wanted):
                results.append(("missing", f"{cls} is not defined"))
            elif self.present is not None and self.refusal(spec):
                results.append(("failed", self.refusal(spec)))
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
        if self.deadline is not None and time.monotonic() >= self.deadline and not self.broken:
            self.close()
            self.broken = f"the submission used up its total time of {self.total_timeout:g} s"
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
            answer = self._ask((spec, kind, case), " during this check", self._budget(self.timeout))
        except _Gone as exc:
            self._gone = exc
            if "total time" in str(exc):
                self.broken = f"the submission used up its total time of {self.total_timeout:g} s"
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


def _style(info):
    """The child's style report (``styles.Applied.report()``) as plain strings, lists and dicts only."""
    if not isinstance(info, dict):
        return None

    def plain(value, depth=0):
        if isinstance(value, dict) and depth < 3:
            return {str(k)[:100]: plain(v, depth + 1) for k, v in list(value.items())[:200]}
        if isinstance(value, (list, tuple)) and depth < 3:
            return [plain(v, depth + 1) for v in value[:50]]
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)[:500]
    return plain(info)


def _notes(info):
    """The child's loading notes, as plain strings and lists only."""
    out = {"ignored": [], "stubs": [], "refused": {}, "whole": None, "attempted": []}
    for key in ("ignored", "stubs", "attempted"):
        if isinstance(info.get(key), list):
            out[key] = [str(x)[:300] for x in info[key][:50]]
    if isinstance(info.get("refused"), dict):
        out["refused"] = {str(k)[:100]: str(v)[:100] for k, v in list(info["refused"].items())[:200]}
    if isinstance(info.get("whole"), str):
        out["whole"] = info["whole"][:100]
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["--init"]:
        _init(int(sys.argv[2]), int(sys.argv[3]))
