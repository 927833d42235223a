"""Styles of submission: each maps a course's API onto the contract's components, so every check of the
registry runs unchanged on code written the course's way.

Runs inside the untrusted child beside the submission: NumPy and the standard library only.

A style is one module (``contract``, ``functional``, ``cs231n``, ``nnfs``, or an instructor's file given
to ``twinnet verify --adapter FILE``) that defines:

``NAME``, ``SUMMARY``
    its name and one line saying what it recognises.
``detect(ns) -> (score, reason)``
    how much of the submission's namespace ``ns`` is written in this style (0: none of it), and why.
``adapt(ns) -> {contract name: class}``
    the contract objects (``Linear``, ``Adam``, ...) built on the submission's own functions and
    classes; each class has ``source``, the submission's names its outputs come from. A style holds
    no checks of its own.
``NAMES`` (optional)
    every name of the course, for the nearest-name hints when nothing is recognised.
``CONVENTIONS`` (optional)
    ``{component: sentence}``: where the course's convention differs from torch's and how the
    adapter converts it (the report prints these).
``LIMITS`` (optional)
    ``{component: (kind, case) -> reason or None}``: the cases the course's API cannot express (a torch
    option it has no argument for). They are left out of that component's checks and listed. An adapted
    class may add its own ``limits(kind, case)`` for what only the submission's signatures decide (an
    NNFS Layer_Dropout without a ``training`` flag has no eval mode).
``UNDEFINED`` (optional)
    ``{(component, kind): (where, why[, bound])}`` with ``where(case) -> {item: bool mask}``: points where
    the course leaves the answer open (ReLU'(0)) or fixes it by its own documented convention (NNFS's
    clipping at 1e-7). A difference from torch there is a note, not a failure (see ``honour``); with a
    ``bound``, only a difference of at most ``bound`` is (the clip moves a mean loss by 1e-7 at most).

``choose`` picks the style for a namespace (or takes the one asked for) and returns an ``Applied``.
"""
import difflib
import importlib
import importlib.util
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..kinds import KINDS, run as run_kind

BUILT_IN = ("contract", "functional", "cs231n", "nnfs")


class NoStyle(ValueError):
    """Nothing in the submission is recognised by any style (a usage error: exit status 2)."""


def load(name):
    """The built-in style module ``name`` (already imported in the child, where the project's packages
    are out of ``sys.modules`` once the submission loads)."""
    if name not in BUILT_IN:
        raise NoStyle(f"unknown style {name!r}; known: {', '.join(BUILT_IN)}")
    return globals().get(name) or importlib.import_module(f"{__name__}.{name}")


def load_adapter(path):
    """An instructor's style from a Python file written the way a built-in style is (``docs/adapter_example.py``)."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(f"twinnet_adapter_{path.stem}", path)
    if spec is None:
        raise NoStyle(f"--adapter: {path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [n for n in ("NAME", "detect", "adapt") if not hasattr(module, n)]
    if missing:
        raise NoStyle(f"--adapter: {path} must define NAME, detect(ns) and adapt(ns); it lacks {', '.join(missing)}")
    return module


@dataclass
class Applied:
    """A style applied to a submission: the contract namespace to check and what the report says about it."""

    style: str
    reason: str
    namespace: types.SimpleNamespace
    source: dict
    conventions: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)
    module: object = None

    def report(self):
        """The JSON the report carries: style, reason, scores, each component's ``source``, the conventions of
        the components present and the notes on this submission (the dropout reading)."""
        return {"style": self.style, "reason": self.reason, "scores": dict(self.scores),
                "source": {k: list(v) for k, v in self.source.items()},
                "conventions": {k: v for k, v in self.conventions.items() if k in self.source},
                "notes": dict(self.notes)}

    def describe(self):
        """The report's paragraph: which style, why, the others' scores, the conventions that apply."""
        others = ", ".join(f"{k} {v}" for k, v in self.scores.items() if k != self.style)
        lines = [f"style: {self.style} ({self.reason})" + (f"; other styles scored: {others}" if others else "")]
        for name in sorted(self.source):
            if name in self.conventions:
                lines.append(f"  {name}: {self.conventions[name]}")
        lines += [f"  {k}: {v}" for k, v in sorted(self.notes.items())]
        return "\n".join(lines)


def _names(ns):
    return [n for n in dir(ns) if not n.startswith("_")]


def nearest(ns, styles):
    """The submission's names that look like a style's names: ``[(theirs, ours, style), ...]``."""
    hits = []
    for module in styles:
        known = list(module.names() if hasattr(module, "names") else getattr(module, "NAMES", ()))
        for name in _names(ns):
            for match in difflib.get_close_matches(name, known, n=1, cutoff=0.75):
                hits.append((name, match, module.NAME))
    return hits


def choose(ns, style=None, adapter=None):
    """The style for namespace ``ns``: the one named (``style``), the one in ``adapter`` (a file path or a
    module), or the best-scoring built-in one. A tie between two styles or nothing recognised raises
    ``NoStyle`` with the styles tried and the nearest names found."""
    if adapter is not None:
        candidates = [load_adapter(adapter) if isinstance(adapter, (str, Path)) else adapter]
    elif style is not None:
        candidates = [load(style)]
    else:
        candidates = [load(n) for n in BUILT_IN]
    scored = [(module, *module.detect(ns)) for module in candidates]
    scores = {m.NAME: s for m, s, _ in scored}
    best = max(s for _, s, _ in scored)
    if best <= 0:
        tried = "; ".join(f"{m.NAME}: {why}" for m, _, why in scored)
        near = nearest(ns, [load(n) for n in BUILT_IN] + ([candidates[0]] if adapter is not None else []))
        hint = ("; nearest names found: " + ", ".join(f"{a!r} (did you mean {b!r}, {s})" for a, b, s in near)) \
            if near else "; no name close to any style's"
        raise NoStyle(f"nothing recognised: no style fits the submission. Styles tried: {tried}{hint}")
    top = [(m, s, why) for m, s, why in scored if s == best]
    if len(top) > 1:
        fits = "; ".join(f"{m.NAME}: {why}" for m, _, why in top)
        raise NoStyle(f"the submission fits several styles equally ({fits}); choose one with --style")
    module, _, reason = top[0]
    adapted = module.adapt(ns)
    sources = module.sources(adapted) if hasattr(module, "sources") else \
        {k: list(getattr(v, "source", [k])) for k, v in adapted.items() if getattr(v, "source", None)}
    notes = module.notes(ns) if hasattr(module, "notes") else {}
    return Applied(module.NAME, reason, types.SimpleNamespace(**adapted), sources,
                   dict(getattr(module, "CONVENTIONS", {})), notes, scores, module)


def unstyled(ns, reason):
    """The namespace as it is, under the contract style, when no style can be chosen but the checks must
    still run (a submission whose names were refused by the import policy gets its refusals)."""
    contract = load("contract")
    return Applied(contract.NAME, reason, ns, {}, {}, {}, {}, contract)


# -- what the judge side honours --------------------------------------------------------------------

def _view(entry, case):
    """The case with the entry's constructor options merged into its ``kwargs`` (an optimizer entry's
    ``kwargs`` only name it; a training case's optimizer options are its ``optimizer``)."""
    if getattr(entry, "category", None) == "optimizer":
        options = case.get("optimizer", {}) if "optimizer" in case else case.get("kwargs", {})
        return {**case, "kwargs": dict(options)}
    return {**case, "kwargs": {**getattr(entry, "kwargs", {}), **case.get("kwargs", {})}}


def limit(applied, entry, kind, case):
    """Why ``case`` is outside what the style's course can express for ``entry``, or None: the style's
    ``LIMITS`` rule, then the adapted class's own ``limits(kind, case)`` (what this submission's
    signatures allow, e.g. a Layer_Dropout without a training flag)."""
    view = _view(entry, case)
    why = rule_limit(applied, entry, kind, case)
    cls = getattr(applied.namespace, entry.cls, None)
    if why is None and hasattr(cls, "limits"):
        why = cls.limits(kind, view)
    return why


def rule_limit(style, entry, kind, case):
    """Why the style's own ``LIMITS`` rule leaves ``case`` out, or None: the part of ``limit`` the judge
    decides itself (``style``: an ``Applied`` or the style module)."""
    rule = getattr(getattr(style, "module", style), "LIMITS", {}).get(entry.cls)
    return rule(kind, _view(entry, case)) if rule else None


def within(applied, check, cases):
    """``(kept, left_out)``: the cases of ``check`` the course expresses, and ``[(case name, reason)]`` for the rest."""
    kept, left = [], []
    for case in cases:
        why = limit(applied, check.entry, check.kind, case)
        (left.append((case["name"], why)) if why else kept.append(case))
    return kept, left


def run(applied, spec, kind, case):
    """One job on the adapted namespace, as ``kinds.run`` runs it: ``('excluded', why)`` when the case
    is outside what the course expresses (``limit``)."""
    entry = types.SimpleNamespace(cls=spec["cls"], category=spec.get("category"), kwargs=spec.get("kwargs", {}))
    why = limit(applied, entry, KINDS[kind].name, case)
    return ("excluded", why) if why else run_kind(applied.namespace, spec, kind, case)


def undefined(applied, entry, kind, case):
    """``({item: mask}, why, bound)`` where the course leaves the value open for this case, else
    ``({}, None, None)``; ``applied`` is an ``Applied`` or the style module itself."""
    rule = getattr(getattr(applied, "module", applied), "UNDEFINED", {}).get((entry.cls, kind))
    if not rule:
        return {}, None, None
    where, why, bound = (*rule, None)[:3]
    return where(_view(entry, case)), why, bound


def honour(out, want, masks, why, bound=None):
    """``out`` with torch's values put in at the points ``masks`` marks (``{item: bool mask}``) where the
    submission differs from torch by at most ``bound`` (anywhere, when None), and a note for each item
    where it differed there; the judge compares the rest as usual."""
    out, notes = dict(out), []
    for item, mask in masks.items():
        if item not in out or item not in want:
            continue
        got, expected = np.array(out[item], copy=True), np.asarray(want[item])
        mask = np.broadcast_to(np.asarray(mask, bool), expected.shape)
        if got.shape != expected.shape or not mask.any():
            continue
        with np.errstate(invalid="ignore"):
            gap = np.abs(np.asarray(got, np.float64) - np.asarray(expected, np.float64))
        if bound is not None:
            mask = mask & (gap <= bound)
        differ = mask & ~np.isclose(got, expected, equal_nan=True)
        if differ.any():
            notes.append(f"item '{item}': differs from torch at {int(differ.sum())} point(s) {why}")
        got[mask] = expected[mask]
        out[item] = got
    return out, notes


for _name in BUILT_IN:
    load(_name)
