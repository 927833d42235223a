"""What the subcommands share: usage errors, argument types, atomic JSON output, plain tables."""
import json
import math
import os
from pathlib import Path


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def versions():
    import numpy
    import torch
    return {"numpy": numpy.__version__, "torch": torch.__version__}


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def check_writable(path):
    """Fail early, before any work, if ``path``'s folder cannot take a file."""
    if path is None:
        return
    folder = Path(path).resolve().parent
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"cannot write {path}: {folder} is not a folder")
    if Path(path).is_dir():
        raise UsageError(f"cannot write {path}: it is a folder; give a file name")


def write_text(path, text):
    """Write ``text`` to ``path`` atomically: a temporary file in the same folder, mode 0666 less the umask
    (0644 by default, as for any file the commands write), renamed into place.

    A ``path`` that is a symbolic link is refused (a submission must not steer the judge's writes), and
    the temporary file is opened with O_NOFOLLOW | O_EXCL.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        raise UsageError(f"refusing to write {path}: it is a symbolic link")
    if path.exists() and not path.is_file():
        raise UsageError(f"cannot write {path}: it is not a regular file")
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            break
        except FileExistsError:
            continue
    else:
        raise UsageError(f"cannot write {path}: no temporary file could be made beside it")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask():
    """The process's umask: from /proc on Linux, else read by setting it and putting it back."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


MAX_SECONDS = 24 * 3600.0


def seconds(option, maximum=MAX_SECONDS):
    """An argparse type for the time limit ``option``: a finite number of seconds, > 0 and at most ``maximum``.

    A bad value raises UsageError, which argparse lets through, so it ends as every usage error does:
    one line on stderr, exit status 2 (``cli.main``).
    """
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{option} must be a number of seconds; got {text!r}") from None
        if not math.isfinite(value) or value <= 0 or value > maximum:
            raise UsageError(f"{option} must be > 0, finite and at most {maximum:g} s ({maximum / 3600:g} h); "
                             f"got {text!r}")
        return value
    return parse


def jobs(option="--jobs"):
    """An argparse type for ``option`` in joblib's convention: N >= 1 workers, -1 all cores, -2 all but one, ...;
    0 refused (a UsageError, as for ``seconds``)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"{option} must be a whole number; got {text!r}") from None
        cores = os.cpu_count() or 1
        if value == 0 or cores + 1 + value < 1:
            raise UsageError(f"{option} must be a positive number of workers, or -1 for all cores (-2 all but one, "
                             f"..., as in joblib; this machine has {cores}); got {text}")
        return value
    return parse


def write_json(path, data):
    """Write ``data`` to ``path`` as JSON, atomically (see ``write_text``)."""
    write_text(path, json.dumps(_clean(data), indent=1) + "\n")


def fmt_err(value):
    return "-" if value is None else f"{value:.1e}"


def table(headers, rows):
    """Rows of strings as a left-aligned plain-text table."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)
