"""Checks: one (entry, kind, dtype) each, run as prepare -> implementation -> torch -> judge.

``prepare`` draws the cases (seeded by the check's id, so every run sees the same inputs) and the
random upstream gradients; an executor runs the implementation's side (``subjects``) on them, in this
process for scratch or in a child process for untrusted code; ``judge`` asks torch (``oracles``) and
turns the comparison into a record of DESIGN.md's JSON.
"""
import fnmatch
import zlib
from dataclasses import dataclass

import numpy as np

from . import subjects
from .compare import elementwise, max_norm
from .distributions import judge as distribution
from .registry import DTYPES, REGISTRY
from .tolerances import tolerance


@dataclass(frozen=True)
class Check:
    entry: object
    kind: str
    dtype: str

    @property
    def id(self):
        return f"{self.entry.name}-{self.kind}-{self.dtype}"

    def rng(self):
        return np.random.default_rng(zlib.crc32(self.id.encode()))


def plan(only=None, dtypes=DTYPES, registry=REGISTRY):
    """Every check of the registry, in registry order, whose id matches any of the comma-separated
    globs or substrings in ``only`` (case-insensitive; all checks when ``only`` is empty)."""
    checks = [Check(e, k, d) for e in registry for k in e.kinds for d in dtypes if d in e.dtypes_for(k)]
    patterns = [p.strip().lower() for p in (only or "").split(",") if p.strip()]
    if patterns:
        patterns = [p if any(c in p for c in "*?[") else f"*{p}*" for p in patterns]
        checks = [c for c in checks if any(fnmatch.fnmatchcase(c.id.lower(), p) for p in patterns)]
    return checks


def prepare(check):
    """The cases of ``check``, each with a random ``grad_y`` of the output's shape where backward runs."""
    from .oracles import OUTPUT_SHAPES

    rng = check.rng()
    cases = check.entry.domain_for(check.kind)(rng, np.dtype(check.dtype))
    if check.kind in ("backward", "param_grad", "gradcheck") and check.entry.oracle in OUTPUT_SHAPES:
        shape_of = OUTPUT_SHAPES[check.entry.oracle]
        for case in cases:
            if "grad_y" not in case:
                shape = shape_of(check.entry.spec(), case, check.dtype)
                case["grad_y"] = rng.standard_normal(shape).astype(check.dtype)
    return cases


JUDGES = {"gradcheck": max_norm, "distribution": distribution}
"""How an output is judged, by check kind: ``judge(got, want, tol) -> compare.Verdict``; other kinds
are compared elementwise (``compare.elementwise``)."""


def record(check, status, message="", max_abs=None, max_rel=None, tol=None):
    """A record of DESIGN.md's JSON; ``atol``/``rtol`` are None where a statistical judge did not get to run."""
    tol = tol or tolerance(check.dtype, check.kind, check.entry.tol)
    return {"category": check.entry.category, "component": check.entry.name, "kind": check.kind,
            "dtype": check.dtype, "status": status, "max_abs_err": max_abs, "max_rel_err": max_rel,
            "atol": tol.get("atol"), "rtol": tol.get("rtol"), "message": message}


def judge(check, cases, results, explain=None):
    """Compare each case's outputs with torch's; the record holds the worst errors over all of them.

    ``explain(check, case, key, got, want, message)``, when given, names a likely cause of a failure
    from the numbers (``causes.explain``): ``got`` and ``want`` are the dicts of outputs and ``key`` the
    item that differs (all None when the implementation's side did not run to the end). What it
    returns goes into the record as ``likely_cause``.
    """
    from .oracles import ORACLES

    tol = tolerance(check.dtype, check.kind, check.entry.tol)

    def fail(status, case, message, key=None, got=None, want=None, max_abs=None, max_rel=None, limits=None):
        rec = record(check, status, message, max_abs, max_rel, limits or tol)
        if explain:
            rec["likely_cause"] = explain(check, case, key, got, want, message)
        return rec

    judge_one = JUDGES.get(check.kind, elementwise)
    worst_abs = worst_rel = 0.0
    worst_tol, notes = dict(tol), []
    for case, (status, out) in zip(cases, results):
        where = f"case '{case['name']}'"
        if status != "ok":
            return fail(status, case, f"{where}: {out}")
        if not isinstance(out, dict):
            return fail("failed", case, f"{where}: returned {type(out).__name__}, expected a dict")
        want = ORACLES[check.entry.oracle](check.entry.spec(), check.kind, case, check.dtype, out)
        for key, expected in want.items():
            if key not in out:
                return fail("failed", case, f"{where}: no '{key}' was produced", key, out, want)
            v = judge_one(out[key], expected, tol)
            if v.problem:
                return fail("failed", case, f"{where}, item '{key}':\n{v.problem}", key, out, want,
                            v.max_abs, v.max_rel, {"atol": v.atol, "rtol": v.rtol})
            if v.max_abs >= worst_abs:
                worst_abs, worst_tol["atol"] = v.max_abs, v.atol
            if v.max_rel >= worst_rel:
                worst_rel, worst_tol["rtol"] = v.max_rel, v.rtol
            if v.note:
                notes.append(f"{where}, item '{key}': {v.note}")
    rec = record(check, "passed", "\n".join(notes), worst_abs, worst_rel, worst_tol)
    if explain:
        rec["likely_cause"] = None
    return rec


class InProcess:
    """Runs the implementation's side here: for scratch and other trusted code."""

    def __init__(self, impl):
        self.impl = impl

    def run(self, jobs):
        return [subjects.run(self.impl, spec, kind, case) for spec, kind, case in jobs]


def run_checks(checks, executor, progress=None, explain=None, prepared=None):
    """Run ``checks`` through ``executor`` and return their records, in order (``explain``: see ``judge``).

    ``prepared`` maps a check's id to its cases when they are already drawn (they are the same on every
    draw, so a caller checking many implementations draws them once).
    """
    prepared = [(check, prepared[check.id] if prepared and check.id in prepared else prepare(check))
                for check in checks]
    jobs = [[(check.entry.spec(), check.kind, case) for case in cases] for check, cases in prepared]
    flat = executor.run([job for group in jobs for job in group])
    records, start = [], 0
    for check, cases in prepared:
        results = flat[start:start + len(cases)]
        start += len(cases)
        try:
            records.append(judge(check, cases, results, explain))
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
