"""``verify`` for a notebook: the checks of ``twinnet verify`` on a file, a module or a class, as a rich report.

    from parity_tests import verify
    report = verify("my_layers.py")     # or verify(my_layers), verify(ReLU), verify(namespace)
    report                              # an HTML table in Jupyter, the text report elsewhere

A module or a class is written to a temporary file from its source (``inspect.getsource``) and that
file is verified, so the code runs in the same child process, under the same limits, as
``twinnet verify``: a class defined in a notebook cell is checked exactly as a student's file would be.
"""
import html
import inspect
import tempfile
import textwrap
from pathlib import Path


class Report:
    """The result of ``verify``: ``.report`` (the JSON of ``twinnet verify --json``), ``.components`` (one row
    each), ``.score``/``.max_score``, ``.passed``; ``repr`` is the text report, ``_repr_html_`` a table."""

    def __init__(self, report, components, text, summary):
        self.report, self.components, self.text, self.summary = report, components, text, summary

    @property
    def score(self):
        return sum(c["score"] for c in self.components)

    @property
    def max_score(self):
        return sum(c["max_score"] for c in self.components)

    @property
    def passed(self):
        """True when no check failed or errored (missing names do not count against it)."""
        return not any(r["status"] in ("failed", "error") for r in self.report["checks"])

    def __repr__(self):
        return self.text

    def _repr_html_(self):
        esc = html.escape
        head = "".join(f"<th style='text-align:left'>{esc(h)}</th>"
                       for h in ("component", "status", "checks", "errors (max abs / max rel)", "likely cause"))
        colors = {"passed": "#1a7f37", "partial": "#9a6700", "failed": "#cf222e", "error": "#cf222e",
                  "missing": "#6e7781"}
        rows = []
        for c in self.components:
            first = c.get("first") or {}
            cause = (first.get("likely_cause") or {}).get("text", "") if c["status"] not in ("passed", "missing") \
                else ""
            if c["status"] in ("failed", "error") and not cause:
                cause = first.get("message", "").split("\n", 1)[0]
            errors = "-" if c["max_abs_err"] is None else f"{c['max_abs_err']:.1e} / {c['max_rel_err']:.1e}"
            color = colors.get(c["status"], "inherit")
            rows.append(
                f"<tr><td>{esc(c['component'])}</td>"
                f"<td style='color:{color};font-weight:bold'>{esc(c['status'])}</td>"
                f"<td>{c['passed']}/{c['checks']}</td><td>{esc(errors)}</td><td>{esc(cause)}</td></tr>")
        title = f"twinnet verify {self.report['impl']}"
        notes = ""
        if self.report.get("import_error"):
            notes = f"<p><b>could not import it</b>: it {esc(self.report['import_error'])}</p>"
        return (f"<div><p><b>{esc(title)}</b></p>{notes}<table><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table><p>{esc(self.summary)}</p></div>")


def _getsource(obj):
    """``inspect.getsource(obj)``, or a TypeError that says what to do when Python cannot find the source."""
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError) as exc:
        raise TypeError(f"verify: the source of {obj!r} is not available ({exc}); save the code to a .py file "
                        f"and pass its path") from None


def _imports_of(module):
    """The module's top-level import lines, or numpy's when its source is not available (a notebook's __main__)."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return "import numpy as np\n"
    lines = [line for line in source.splitlines() if line.startswith(("import ", "from "))
             and not line.rstrip().endswith(("(", "\\"))]
    return "\n".join(lines or ["import numpy as np"]) + "\n"


def _source_of_class(obj):
    """A class's source with the sources of its own base classes before it (those not from a library)."""
    parts = []
    if inspect.isclass(obj):
        for base in reversed(obj.__mro__[1:]):
            if base.__module__ == obj.__module__ and base.__module__ not in ("builtins",):
                try:
                    parts.append(textwrap.dedent(inspect.getsource(base)))
                except (OSError, TypeError):
                    pass
    parts.append(textwrap.dedent(_getsource(obj)))
    return "\n\n".join(parts)


def source_of(obj):
    """Python source defining what ``obj`` holds: a module's whole source; a class or function under its name;
    a namespace (a class or object whose attributes are contract names) as each of those, under that name."""
    from scripts.impl import contract_names

    if inspect.ismodule(obj):
        return _getsource(obj)
    names = contract_names()
    module = inspect.getmodule(obj)
    header = _imports_of(module) if module is not None else "import numpy as np\n"
    if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__name__ in names:
        return header + "\n\n" + _source_of_class(obj) + "\n"
    members = [(name, getattr(obj, name)) for name in sorted(names) if hasattr(obj, name)]
    if not members:
        raise TypeError(f"verify: {obj!r} is not a path, a module, or a class or namespace holding any of the "
                        f"contract's names (e.g. ReLU, Linear, MSELoss)")
    module = inspect.getmodule(members[0][1])
    parts = [_imports_of(module) if module is not None else header]
    for name, member in members:
        parts.append(_source_of_class(member))
        if getattr(member, "__name__", name) != name:
            parts.append(f"{name} = {member.__name__}")
    return "\n\n".join(parts) + "\n"


def verify(obj, only=None, points=None, timeout=10.0, memory_mb=2048, style=None, adapter=None, allow_imports=()):
    """Verify ``obj`` against torch as ``twinnet verify`` does and return a ``Report``.

    ``obj`` : a path (``.py``, ``.ipynb`` or a package folder), a module, a class or function named as
    in the contract, or a namespace holding such classes. ``only`` : check id patterns (``"ReLU,MSELoss"``).
    ``points`` : a JSON file of points, as ``--points``. ``style``, ``adapter`` : as ``--style``, ``--adapter``;
    ``allow_imports`` : modules allowed besides NumPy and the standard library, as ``--allow-import``.
    """
    from scripts import verify as cli
    from scripts._common import UsageError
    from scripts.gradescope import load_points
    from scripts.impl import check_path

    with tempfile.TemporaryDirectory(prefix="twinnet-verify-") as tmp:
        if isinstance(obj, (str, Path)):
            path = Path(obj)
            label = str(path)
        else:
            name = getattr(obj, "__name__", None) or type(obj).__name__
            label = f"<{'module' if inspect.ismodule(obj) else 'object'} {name}>"
            path = Path(tmp) / f"{name.rsplit('.', 1)[-1]}.py"
            path.write_text(source_of(obj), encoding="utf-8")
        try:
            check_path(path, "verify")
            points = load_points(points)
            checks = cli.select(only)
        except UsageError as exc:
            raise ValueError(str(exc)) from None
        report = cli.verify_one(path, checks=checks, timeout=timeout, memory_mb=memory_mb, style=style,
                                adapter=adapter, allow_imports=tuple(allow_imports))
    report["impl"] = label
    rows = cli.components(report, points)
    return Report(report, rows, cli.format_report(report, rows), cli.summary_line(report, rows))
