"""Jupyter notebooks as submissions: the code cells of a ``.ipynb``, in order, as one Python file.

What only IPython understands is dropped, each with a note naming the cell and line: line magics
(``%matplotlib inline``), cell magics (a cell starting with ``%%``: the whole cell), shell escapes
(``!pip install ...``, ``x = !ls``) and calls to ``get_ipython()``. Markdown and raw cells are left out.
``twinnet verify work.ipynb`` verifies the converted file exactly as it would a ``.py`` file.
"""
import atexit
import re
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ._common import UsageError

# A line that IPython rewrites before Python sees it: a magic, a shell escape, or `name = !cmd` / `name = %magic`.
_IPYTHON_LINE = re.compile(r"^\s*(%|!)|^\s*[A-Za-z_][\w.]*\s*=\s*(%|!)")


@dataclass
class Converted:
    """The Python source of a notebook and the notes on what was dropped from it."""
    source: str
    notes: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    """For each line of ``source`` (from 1), the ``(cell, line)`` it came from; None for a cell's header."""

    def where(self, lineno):
        """'code cell C, line L' for line ``lineno`` of the source."""
        cell, line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) and self.lines[lineno - 1] \
            else (None, None)
        return f"code cell {cell}, line {line}" if cell else f"line {lineno} of the converted file"


def _kind(line):
    stripped = line.lstrip()
    if "get_ipython(" in line:
        return "get_ipython() call"
    if _IPYTHON_LINE.match(line):
        if stripped.startswith("!") or re.match(r"^[\w.]+\s*=\s*!", stripped):
            return "shell escape"
        return "IPython magic"
    return None


def read(path):
    """The notebook at ``path`` as an nbformat NotebookNode; a UsageError when it is not one."""
    import nbformat

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the notebook {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        with warnings.catch_warnings():
            # notebooks saved before nbformat 4.5 have no cell ids; only the code is read, never written back
            warnings.simplefilter("ignore", nbformat.validator.MissingIDFieldWarning)
            nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises JSONDecodeError, NotJSONError, KeyError, ... on bad files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{path} is not a Jupyter notebook (.ipynb JSON with a 'cells' list): {first}") from None
    if not isinstance(nb.get("cells"), list):
        raise UsageError(f"{path} is not a Jupyter notebook: it has no 'cells' list")
    return nb


def convert(path):
    """The code cells of the notebook at ``path`` as Python source, and the notes on what was dropped."""
    nb = read(path)
    out, notes, where = [], [], []
    number = 0
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        lines = source.splitlines()
        out.append(f"# -- cell {number} --")
        where.append(None)
        where += [(number, i) for i in range(1, len(lines) + 1)]
        if lines and lines[0].lstrip().startswith("%%"):
            magic = lines[0].strip().split()[0]
            notes.append(f"cell {number}: dropped the whole cell: cell magic {magic} (IPython only)")
            out += ["# " + line for line in lines]
            continue
        for i, line in enumerate(lines, 1):
            kind = _kind(line)
            if kind:
                notes.append(f"cell {number}, line {i}: dropped {kind}: {line.strip()}")
                indent = line[:len(line) - len(line.lstrip())]
                out.append(f"{indent}pass  # dropped: {line.strip()}")
            else:
                out.append(line)
    return Converted("\n".join(out) + "\n", notes, where)


def check(path):
    """A UsageError naming the cell and line when the notebook's code is not valid Python (after dropping)."""
    converted = convert(path)
    try:
        compile(converted.source, str(path), "exec")
    except SyntaxError as exc:
        raise UsageError(f"{path} cannot be checked: syntax error in {converted.where(exc.lineno or 0)}: "
                         f"{exc.msg}") from None
    except ValueError as exc:  # e.g. a null byte
        raise UsageError(f"{path} cannot be checked: {exc}") from None
    return converted


_converted = {}
_tmp = None


def _folder():
    global _tmp
    if _tmp is None:
        _tmp = tempfile.mkdtemp(prefix="twinnet-notebooks-")
        atexit.register(shutil.rmtree, _tmp, ignore_errors=True)
    return Path(_tmp)


def as_python(path, quiet=False):
    """``path`` itself unless it is a ``.ipynb``; then the path of its conversion, a ``.py`` in a temporary folder.

    The notes on what was dropped go to stderr once per notebook (not with ``quiet``).
    """
    path = Path(path)
    if path.suffix != ".ipynb":
        return path
    key = str(path.resolve())
    if key not in _converted:
        converted = convert(path)
        folder = _folder() / str(len(_converted))
        folder.mkdir()
        target = folder / (path.stem + ".py")
        target.write_text(converted.source, encoding="utf-8")
        _converted[key] = target
        if converted.notes and not quiet:
            print(f"{path}: " + "; ".join(converted.notes), file=sys.stderr)
    return _converted[key]


def notes(path):
    """The notes of the notebook at ``path`` (dropped magics, shell escapes, get_ipython() calls)."""
    return convert(path).notes
