"""Checks: one (entry, kind, dtype) each, run as prepare -> implementation -> judge.

``prepare`` draws the cases (seeded by the check's id, so every run sees the same inputs) and asks
torch for every answer that does not need the implementation's outputs, once per case; an executor
runs the implementation's side (``kinds.run``), in this process for scratch or in a child process for
untrusted code; ``judge`` completes torch's answers that need the implementation's own outputs and
turns the comparison into a record of the report's JSON.
"""
import fnmatch
import re
import zlib
from dataclasses import dataclass

import numpy as np

from . import kinds
from .compare import Verdict
from .kinds import KINDS
from .registry import DTYPES, REGISTRY
from .tolerances import tolerance


@dataclass(frozen=True)
class Check:
    entry: object
    kind_id: str
    dtype: str

    @property
    def kind(self):
        """The kind as reports name it (``forward``, ``step``, ...)."""
        return KINDS[self.kind_id].name

    @property
    def id(self):
        return f"{self.entry.name}-{self.kind}-{self.dtype}"

    def rng(self):
        return np.random.default_rng(zlib.crc32(self.id.encode()))

    def tolerance(self):
        return tolerance(self.dtype, self.kind_id, self.entry.tol)


def _component(name):
    return name.split("(", 1)[0]


def matches(check, pattern):
    """Whether ``check`` is selected by one ``--only`` pattern (case-insensitive): a glob over the check's
    id, or else exactly a component (``ReLU``, with its option variants ``ReLU(...)``, but not
    ``LeakyReLU``), an entry's full name, a component and kind (``ReLU-backward``) or a check id."""
    p = pattern.lower()
    name = check.entry.name.lower()
    if any(c in p for c in "*?["):
        return fnmatch.fnmatchcase(check.id.lower(), p)
    return p in (name, _component(name), check.id.lower(), f"{name}-{check.kind}", f"{_component(name)}-{check.kind}")


def plan(only=None, dtypes=DTYPES, registry=REGISTRY):
    """Every check of the registry, in registry order, selected by any of the comma-separated patterns
    in ``only`` (see ``matches``; all checks when ``only`` is empty; a comma inside an entry's
    parentheses, ``Softplus(beta=2.0, threshold=10.0)``, does not separate patterns)."""
    checks = [Check(e, k, d) for e in registry for k in e.kinds for d in dtypes if d in e.dtypes_for(k)]
    patterns = [p.strip() for p in re.split(r",(?![^()]*\))", only or "") if p.strip()]
    if patterns:
        checks = [c for c in checks if any(matches(c, p) for p in patterns)]
    return checks


def prepare(check):
    """``[(case, torch's answers so far)]`` for ``check``: the answers that need the implementation's
    outputs are None here and completed by ``judge``."""
    rng = check.rng()
    kind = KINDS[check.kind_id]
    cases = check.entry.domain_for(check.kind_id)(rng, np.dtype(check.dtype))
    return [(case, kind.before(check.entry.spec(), case, check.dtype, rng)) for case in cases]


def record(check, status, message="", max_abs=None, max_rel=None, tol=None):
    """A record of the report's JSON; ``atol``/``rtol`` are None where a statistical judge did not get to run."""
    tol = tol or check.tolerance()
    return {"category": check.entry.category, "component": check.entry.name, "kind": check.kind,
            "dtype": check.dtype, "status": status, "max_abs_err": max_abs, "max_rel_err": max_rel,
            "atol": tol.get("atol"), "rtol": tol.get("rtol"), "message": message}


def _judge_item(kind, got, want, tol):
    """A law (``distributions.Draws`` or ``Binomial``: a replayed mask) is judged by its statistical test,
    every other answer by the kind's judge."""
    from .distributions import LAWS, judge
    if isinstance(want, LAWS) and "alpha" not in tol:
        v = judge(got, want, {"alpha": 1e-3})
        return Verdict(0.0, 0.0, tol["atol"], tol["rtol"], v.problem, v.note)
    return kind.judge(got, want, tol)


def judge(check, prepared, results, explain=None, style=None):
    """Compare each case's outputs with torch's; the record holds the worst errors over all of them.

    ``explain(check, case, key, got, want, message)``, when given, names a likely cause of a failure
    from the numbers (``causes.explain``): ``got`` and ``want`` are the dicts of outputs and ``key`` the
    item that differs (all None when the implementation's side did not run to the end). What it
    returns goes into the record as ``likely_cause``.

    ``style`` (a style module, or an ``Applied`` style) marks the points its course leaves undefined:
    a difference from torch there is a note, not a failure (``styles.honour``). A case the style's rules
    say the course cannot express is left out with its reason, and a check whose every case is left out
    does not count; a case the submission itself reports ``excluded`` makes the check missing.
    """
    from . import styles
    kind = KINDS[check.kind_id]
    tol = check.tolerance()
    spec = check.entry.spec()

    def fail(status, case, message, key=None, got=None, want=None, max_abs=None, max_rel=None, limits=None):
        rec = record(check, status, message, max_abs, max_rel, limits or tol)
        if explain:
            rec["likely_cause"] = explain(check, case, key, got, want, message)
        return rec

    worst_abs = worst_rel = 0.0
    worst_tol, notes, style_notes, excluded = dict(tol), [], [], []
    for (case, before), (status, out) in zip(prepared, results):
        where = f"case '{case['name']}'"
        if style is not None:
            why = styles.rule_limit(style, check.entry, check.kind, case)
            if why:
                excluded.append(f"{where}: {why}")
                continue
        if status == "excluded":
            # the submission's own class says so (its signatures lack an option): no points, no failure;
            # only the judge's reading of the style's rules removes a case from the count
            return fail("missing", case, f"{where}: {out}")
        if status != "ok":
            return fail(status, case, f"{where}: {out}")
        if not isinstance(out, dict):
            return fail("failed", case, f"{where}: returned {type(out).__name__}, expected a dict")
        try:
            want = kind.after(spec, case, check.dtype, out, before) if kind.after else before
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            return fail("failed", case, f"{where}: its outputs could not be judged ({type(exc).__name__}: {exc})")
        if style is not None:
            masks, why, bound = styles.undefined(style, check.entry, check.kind, case)
            if masks:
                out, more = styles.honour(out, want, masks, why, bound)
                style_notes += [f"{where}, {n}" for n in more]
        for key, expected in want.items():
            if key not in out:
                return fail("failed", case, f"{where}: no '{key}' was produced", key, out, want)
            v = _judge_item(kind, out[key], expected, tol)
            if v.problem:
                return fail("failed", case, f"{where}, item '{key}':\n{v.problem}", key, out, want,
                            v.max_abs, v.max_rel, {"atol": v.atol, "rtol": v.rtol})
            if v.max_abs is not None and v.max_abs >= worst_abs and v.atol is not None:
                worst_abs, worst_tol["atol"] = v.max_abs, v.atol
            if v.max_rel is not None and v.max_rel >= worst_rel and v.rtol is not None:
                worst_rel, worst_tol["rtol"] = v.max_rel, v.rtol
            if v.note:
                notes.append(f"{where}, item '{key}': {v.note}")
    if excluded and len(excluded) == len(prepared):
        rec = record(check, "missing", "left out: the course's API cannot express these cases: " + "; ".join(excluded))
    else:
        left = [f"left out {e}" for e in excluded]
        rec = record(check, "passed", "\n".join(notes + style_notes + left), worst_abs, worst_rel, worst_tol)
    if style is not None:
        rec["style_notes"] = style_notes
    if explain:
        rec["likely_cause"] = None
    return rec


class InProcess:
    """Runs the implementation's side here: for scratch and other trusted code (``applied``: a style's
    ``Applied`` whose namespace is checked, its cases outside the course left out)."""

    def __init__(self, impl, applied=None):
        self.impl, self.applied = impl, applied

    def run(self, jobs):
        if self.applied is not None:
            from . import styles
            return [styles.run(self.applied, spec, kind, case) for spec, kind, case in jobs]
        return [kinds.run(self.impl, spec, kind, case) for spec, kind, case in jobs]


def run_checks(checks, executor, progress=None, explain=None, prepared=None, style=None):
    """Run ``checks`` through ``executor`` and return their records, in order (``explain``: see ``judge``).

    ``prepared`` maps a check's id to its ``prepare`` when already made (the cases and torch's answers are
    the same on every draw, so a caller checking many implementations prepares them once).
    """
    prepared = [(check, prepared[check.id] if prepared and check.id in prepared else prepare(check))
                for check in checks]
    jobs = [(check.entry.spec(), check.kind_id, case) for check, pairs in prepared for case, _ in pairs]
    flat = executor.run(jobs)
    records, start = [], 0
    for check, pairs in prepared:
        results = flat[start:start + len(pairs)]
        start += len(pairs)
        try:
            records.append(judge(check, pairs, results, explain, style))
        except Exception as exc:  # noqa: BLE001 -- a harness fault becomes an 'error' record, not a crash
            records.append(record(check, "error", f"torch side raised {type(exc).__name__}: {exc}"))
            if explain:
                records[-1]["likely_cause"] = None
        if progress:
            progress(records[-1])
    return records


def run_check(check, impl):
    """One check against an in-process implementation (a module or namespace)."""
    return run_checks([check], InProcess(impl))[0]


def summary(records):
    counts = {"passed": 0, "failed": 0, "missing": 0, "error": 0}
    for r in records:
        counts[r["status"]] += 1
    return counts
