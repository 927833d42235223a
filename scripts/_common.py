"""What the subcommands share: usage errors, atomic JSON output, plain tables."""
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
    """Write ``text`` to ``path`` atomically: a temporary file in the same folder, mode 0644, renamed into place.

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
        os.fchmod(fd, 0o644)
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
