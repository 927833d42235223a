"""``twinnet verify``: a student's NumPy implementation against torch, component by component.

Each submission (a ``.py`` file or a package folder) runs in an isolated child process
(``parity_tests.sandbox``; README "Security model"); this process draws the cases, asks torch,
judges, and names a likely cause for each failure (``parity_tests.causes``). Everything the judge
needs is imported before any submission runs, and its own files are hashed before and after: a
change voids the scores. A folder of submissions gives one report each (written as each finishes),
verified in parallel with joblib (``--jobs``), a summary table and ``summary.csv``.
"""
import csv
import hashlib
import io
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from ._common import UsageError, check_writable, fmt_err, jobs, seconds, table, versions, write_json, write_text
from .cluster import add_arguments as add_cluster_arguments, backend
from .gradescope import failure_json, load_points, points_of, results_json
from .impl import check_path, contract_names
from .notebook import as_python
from .progress import Progress

CSV_FIELDS = ["submission", "score", "max_score", "passed", "partial", "failed", "error", "missing", "seconds"]


def add_parser(sub):
    p = sub.add_parser(
        "verify", help="check a student's NumPy implementation against torch",
        description="Check a NumPy implementation written to docs/CONTRACT.md against torch, component by component, "
                    "with a likely cause for each failure. The submission runs in a child process with a time and "
                    "memory limit; it is never imported here. Exit status: 0 when nothing failed or errored (names "
                    "not defined or raising NotImplementedError are 'missing', not failures: the untouched "
                    "--template exits 0 with a score of 0), 1 otherwise, 2 for bad usage.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="a .py file, a package folder, or a folder of submissions (one report each)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--gradescope", metavar="FILE", help="write Gradescope's results.json (one submission only)")
    p.add_argument("--points", metavar="FILE", help="JSON of points by category or component, e.g. {\"loss\": 3}")
    p.add_argument("--timeout", type=seconds("--timeout"), default=10.0, metavar="S",
                   help="seconds allowed per case (default 10)")
    p.add_argument("--memory", type=int, default=2048, metavar="MB", help="memory limit of a submission (default 2048)")
    p.add_argument("--total-timeout", type=seconds("--total-timeout"), default=300.0, metavar="S",
                   help="seconds allowed for all of one submission's checks together (default 300)")
    p.add_argument("--allow-import", action="append", default=[], metavar="NAME",
                   help="let submissions import NAME besides numpy and the standard library (repeatable)")
    p.add_argument("--only", metavar="PATTERN", help="glob or substring of check ids; several separated by commas")
    p.add_argument("--jobs", type=jobs(), default=1, metavar="N",
                   help="submissions verified at once (default 1; -1: all cores, joblib's convention)")
    p.add_argument("--out", metavar="DIR", default="verify-reports",
                   help="for several submissions: the folder for their reports and summary.csv")
    p.add_argument("--template", metavar="FILE",
                   help="write the starter template for students to FILE and exit (in the --style's own API)")
    from parity_tests.styles import BUILT_IN

    p.add_argument("--style", choices=BUILT_IN,
                   help="the course style of the submission (default: detected from the names it defines)")
    p.add_argument("--adapter", metavar="FILE", help="an instructor's style file (see docs/adapter_example.py)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr for a folder of submissions")
    p.add_argument("--folder", choices=("auto", "one", "each"), default="auto",
                   help="a folder without __init__.py: one submission split over files ('one'), one submission "
                        "per file ('each'), or 'one' when its files import each other (default: auto)")
    add_cluster_arguments(p)
    p.set_defaults(run=run)


# -- finding submissions and checks -------------------------------------------------------------

def _imports_siblings(folder):
    """Whether a module of ``folder`` imports another of its modules (``from layers import *``,
    ``import optim``): then the folder is one submission split over files, not a batch."""
    import ast
    stems = {q.stem for q in folder.glob("*.py")}
    for q in folder.glob("*.py"):
        try:
            tree = ast.parse(q.read_bytes())
        except (SyntaxError, ValueError, OSError):
            continue
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(n.split(".")[0] in stems - {q.stem} for n in names):
                return True
    return False


def find_submissions(paths, one=False, folder="auto"):
    """Each PATH as submissions: a file or package is one; another folder holds one per .py file,
    notebook or package, unless its modules import each other (``folder='auto'``) or ``folder='one'``:
    then the folder is one submission.

    With ``one`` (Gradescope), a folder holding exactly one .py file is that file.
    """
    found = []
    for path in map(Path, paths):
        if path.is_dir() and not (path / "__init__.py").exists() and (
                folder == "one" or folder == "auto" and _imports_siblings(path)):
            found.append(path)
        elif path.is_dir() and not (path / "__init__.py").exists():
            inner = sorted(q for q in path.iterdir() if not q.name.startswith((".", "_"))
                           and ((q.is_file() and q.suffix in (".py", ".ipynb")) or (q / "__init__.py").exists()))
            if not inner:
                raise UsageError(f"{path} holds no submission: no .py file and no package folder")
            found += inner
        else:
            found.append(check_path(path, "PATH"))
    if one and len(found) != 1:
        raise UsageError(f"--gradescope takes one submission (a .py file, a package folder, or a folder holding "
                         f"one .py file); found {len(found)}")
    return found


def select(only=None):
    """The registry's checks matching any of the comma-separated patterns in ``only`` (all when None)."""
    from parity_tests.checks import plan
    checks = plan(only)
    if not checks:
        raise UsageError(f"--only {only!r} matches no check; try a component name such as 'ReLU'")
    return checks


_CASES = {}


def _prepared(checks):
    from parity_tests.checks import prepare
    for check in checks:
        if check.id not in _CASES:
            _CASES[check.id] = prepare(check)
    return _CASES


# -- verifying one submission -------------------------------------------------------------------

@contextmanager
def _one_torch_thread():
    """torch on one thread while judging: its answers are small, and on a loaded machine (or with
    ``--jobs``) extra threads only wait for each other."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


JUDGE_PACKAGES = ("parity_tests", "reference", "scripts", "scratch")


def fingerprint():
    """SHA-256 of every file of the judge's packages and of the ``.pth`` files of site-packages."""
    import site
    root = Path(__file__).resolve().parent.parent
    files = [p for pkg in JUDGE_PACKAGES for p in (root / pkg).rglob("*")
             if "__pycache__" not in p.parts and (p.is_file() or p.is_symlink())]
    for folder in {*site.getsitepackages(), *sys.path}:
        if folder and Path(folder).is_dir() and "site-packages" in folder:
            files += Path(folder).glob("*.pth")
    sums = {}
    for p in sorted(set(files)):
        try:
            sums[str(p)] = ("link:" + str(p.readlink())) if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError as exc:
            sums[str(p)] = f"unreadable: {exc.strerror}"
    return sums


def _changed(before, after):
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _preload():
    """Import everything judging needs, before any submission runs."""
    import torch  # noqa: F401
    from parity_tests import causes, checks as _checks, compare, distributions, styles  # noqa: F401
    from parity_tests.kinds import _torch  # noqa: F401


def _defined(check, present):
    """Whether the submission defines what ``check`` needs (its class, or the tutorials' function)."""
    return check.entry.cls in present or (check.entry.functional or "") in present


def verify_one(path, only=None, timeout=10.0, memory_mb=2048, checks=None, import_timeout=None, allow_imports=(),
               total_timeout=300.0, isolation=None, style=None, adapter=None):
    """The report of one submission: the report's JSON (docs/ARCHITECTURE.md) plus ``present``, ``import_error``, ``isolation``,
    ``policy`` (what loading ignored, stubbed, refused) and ``seconds``.

    ``timeout`` is per case, ``import_timeout`` for importing the submission, ``total_timeout`` for all of
    it (see ``Sandbox``); ``style`` and ``adapter`` (``--style``, ``--adapter``) choose the course style
    instead of detecting it. Never raises for the submission's doing.
    """
    from parity_tests import causes
    from parity_tests.checks import record, run_checks, summary
    from parity_tests.sandbox import ImportFailure, NothingRecognised, Sandbox

    start = time.monotonic()
    checks = select(only) if checks is None else checks
    _preload()
    before = fingerprint()
    present, import_error, unrecognised = [], None, None
    with Sandbox(as_python(path), names=sorted(contract_names()), timeout=timeout, memory_mb=memory_mb,
                 import_timeout=import_timeout, allow=allow_imports, total_timeout=total_timeout,
                 isolation=isolation, style=style, adapter=adapter) as sandbox:
        try:
            sandbox.start()
            present = sandbox.present
            # torch's answers only for what the submission defines: the rest is missing without a case run
            # (and for names the import policy refused, which earn their refusal)
            judged = set(present) | set(sandbox.notes.get("refused", {}))
            every = bool(sandbox.notes.get("whole"))
            defined = [c for c in checks if every or _defined(c, judged)]
            with _one_torch_thread():
                ran = iter(run_checks(defined, sandbox, explain=causes.explain, prepared=_prepared(defined),
                                      style=_style_module(sandbox.style, adapter)))
            records = [next(ran) if every or _defined(c, judged) else
                       {**record(c, "missing", f"{c.entry.cls} is not defined"), "likely_cause": None} for c in checks]
            _name_sources(checks, records, sandbox.style)
        except NothingRecognised as exc:
            unrecognised, records = str(exc), []
        except ImportFailure as exc:
            import_error = str(exc)
            records = []
            for check in checks:
                rec = record(check, "error", f"not run: importing the submission {exc}")
                rec["likely_cause"] = causes.explain(check, None, message=rec["message"])
                records.append(rec)
        isolation_info, notes, applied = sandbox.isolation, sandbox.notes, sandbox.style
    changed = _changed(before, fingerprint())
    report = {"impl": str(path), "versions": versions(), "present": present, "import_error": import_error,
              "isolation": isolation_info, "policy": notes, "style": applied, "checks": records}
    if unrecognised:
        report["unrecognised"] = report["message"] = unrecognised
    elif not import_error and not present:
        report["message"] = "nothing recognised: the submission defines none of the contract's names (see docs/CONTRACT.md)"
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        report["integrity"] = changed
        report["message"] = f"not scored: the judge's own files changed while this submission ran ({shown})"
        for rec in records:
            rec.update(status="error", message=report["message"], likely_cause=None)
    report["summary"] = summary(records)
    report["seconds"] = round(time.monotonic() - start, 2)
    return report


def _style_module(applied, adapter):
    """The judge's own copy of the style the child applied (built-in, or the instructor's file): where its
    course leaves a value undefined, a difference is a note."""
    from parity_tests import styles
    if not applied:
        return None
    if adapter:
        return styles.load_adapter(adapter)
    return styles.load(applied["style"]) if applied.get("style") in styles.BUILT_IN else None


def _name_sources(checks, records, applied):
    """Each record's ``source``: the submission's own names its outputs came from, in its style."""
    sources = (applied or {}).get("source", {})
    for check, rec in zip(checks, records):
        rec["source"] = list(sources.get(check.entry.cls, [check.entry.cls]))


def failure_report(path, message, seconds=0.0):
    """The report of a submission whose verification itself failed: no checks, the reason in ``message``."""
    return {"impl": str(path), "versions": versions(), "present": [], "import_error": message, "isolation": None,
            "policy": {}, "checks": [], "summary": {"passed": 0, "failed": 0, "missing": 0, "error": 0},
            "message": message, "seconds": round(seconds, 2)}


def _verify_safe(path, **options):
    """``verify_one`` that returns a failure report instead of raising (one submission never loses the others)."""
    start = time.monotonic()
    try:
        return verify_one(path, **options)
    except Exception as exc:  # noqa: BLE001 -- whatever went wrong, the other submissions still get reports
        return failure_report(path, f"could not be verified ({type(exc).__name__}: {exc})", time.monotonic() - start)


def _status(statuses):
    for status in ("error", "failed"):
        if status in statuses:
            return status
    if statuses == {"missing"}:
        return "missing"
    return "passed" if statuses == {"passed"} else "partial"


def _detail(r):
    source = f" (your {', '.join(r['source'])})" if r.get("source") and r["source"] != [r["component"]] else ""
    text = f"{r['component']}-{r['kind']}-{r['dtype']}: {r['status']}{source}\n  " + r["message"].replace("\n", "\n  ")
    cause = r.get("likely_cause")
    return text + (f"\n  likely cause: {cause['text']}" if cause else "")


def components(report, points):
    """One row per component, in registry order: status, checks passed, worst errors, score, output."""
    groups = {}
    for r in report["checks"]:
        groups.setdefault(r["component"], []).append(r)
    rows = []
    for name, every in groups.items():
        # checks whose every case the style's rules leave out (the course cannot express them) do not count
        recs = [r for r in every if not (r["status"] == "missing" and r["message"].startswith("left out"))] or every
        status = _status({r["status"] for r in recs})
        passed = sum(r["status"] == "passed" for r in recs)
        max_score = points_of(name, recs[0]["category"], points)
        errs = [r for r in recs if r["max_abs_err"] is not None]
        shown = [r for r in recs if r["status"] not in ("passed", "missing")] or \
                [r for r in recs if r["status"] == "missing"]
        output = f"{name}: {status}, {passed} of {len(recs)} checks passed"
        if shown and status != "passed":
            output += "\n" + _detail(shown[0])
            if len(shown) > 1:
                output += "\n  also: " + ", ".join(f"{r['kind']}-{r['dtype']} {r['status']}" for r in shown[1:])
        rows.append({"component": name, "category": recs[0]["category"], "status": status, "passed": passed,
                     "checks": len(recs), "score": max_score * passed / len(recs), "max_score": max_score,
                     "max_abs_err": max((r["max_abs_err"] for r in errs), default=None),
                     "max_rel_err": max((r["max_rel_err"] for r in errs), default=None),
                     "output": output, "first": shown[0] if shown else None})
    return rows


def format_report(report, rows):
    """The human report of one submission."""
    lines = [f"twinnet verify {report['impl']}"]
    iso = report.get("isolation")
    if iso:
        lines.append(f"isolation: {iso['level']}" + ("" if iso["level"] == "full" else
                                                     " (weaker than full: " + iso["details"][0] + ")"))
    style = report.get("style")
    if style:
        lines.append(f"style: {style['style']} ({style['reason']})")
        lines += [f"  {k}: {v}" for k, v in sorted({**style.get("conventions", {}), **style.get("notes", {})}.items())]
    if report.get("message"):
        lines.append(report["message"])
    policy = report.get("policy") or {}
    lines += policy.get("ignored", []) + policy.get("stubs", [])
    if policy.get("whole") or policy.get("refused"):
        from parity_tests.child.policy import message
        if policy.get("whole"):
            lines.append(f"{message(policy['whole'], report.get('allowed', ()))} (from {policy['whole']} import *): "
                         "every component earns nothing")
        else:
            by = {}
            for name, mod in sorted(policy["refused"].items()):
                if name in report["present"]:
                    by.setdefault(mod, []).append(name)
            for mod, names in by.items():
                lines.append(f"{message(mod, report.get('allowed', ()))}: {', '.join(names)}")
    if report["import_error"]:
        lines.append(f"could not import it: it {report['import_error']}")
    else:
        names = sorted(report["present"])
        lines.append(f"defines {len(names)} of {len(contract_names())} contract names"
                     + (f": {', '.join(names)}" if names else " (see docs/CONTRACT.md)"))
    shown = [c for c in rows if c["status"] != "missing"]
    if shown:
        lines += ["", table(["component", "status", "checks", "max abs", "max rel", "points"],
                            [(c["component"], c["status"].upper() if c["status"] in ("failed", "error") else c["status"],
                              f"{c['passed']}/{c['checks']}", fmt_err(c["max_abs_err"]), fmt_err(c["max_rel_err"]),
                              f"{c['score']:.3g}/{c['max_score']:g}") for c in shown])]
    missing = [c for c in rows if c["status"] == "missing"]
    if missing and not report["import_error"]:
        not_impl = [c["component"] for c in missing if "not implemented" in c["first"]["message"]]
        undefined = [c["component"] for c in missing if c["component"] not in not_impl]
        if undefined:
            lines += ["", "not defined: " + ", ".join(undefined)]
        if not_impl:
            lines += ["", "not implemented (NotImplementedError): " + ", ".join(not_impl)]
    for c in rows:
        if c["status"] in ("failed", "error") and not report["import_error"]:
            lines += ["", c["output"].split("\n", 1)[1]]
    lines += ["", summary_line(report, rows)]
    return "\n".join(lines)


def summary_line(report, rows):
    counts = {s: sum(c["status"] == s for c in rows) for s in ("passed", "partial", "failed", "error", "missing")}
    score, total = sum(c["score"] for c in rows), sum(c["max_score"] for c in rows)
    parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return (f"score {score:.4g} / {total:g}; components: {parts or 'none'}; "
            f"{len(report['checks'])} checks in {report['seconds']:.1f} s")


def failed(report):
    return any(r["status"] in ("failed", "error") for r in report["checks"])


# -- the command --------------------------------------------------------------------------------

def run(args):
    if args.template:
        check_writable(args.template)
        if Path(args.template).exists():
            raise UsageError(f"--template: {args.template} exists; give a new file name")
        from .template import render, render_style
        text = render_style(args.style) if args.style not in (None, "contract", "functional") else render()
        if text is None:
            raise UsageError(f"--template: the {args.style} style has no template of its own; leave --style out")
        write_text(args.template, text)
        print(f"wrote {args.template}: fill in the classes you want checked, then run "
              f"twinnet verify {args.template}")
        return 0
    start = time.monotonic()
    try:
        return _run(args)
    except Exception as exc:
        if args.gradescope:
            try:
                write_json(args.gradescope, failure_json(str(exc), time.monotonic() - start))
            except (OSError, UsageError):
                pass
        raise


def _run(args):
    if not args.paths:
        raise UsageError("give a submission PATH (a .py file, a package folder or a folder of submissions), "
                         "or --template FILE")
    if args.memory < 256:
        raise UsageError(f"--memory must be >= 256; got {args.memory}")
    if args.adapter:
        check_path(args.adapter, "--adapter")
    for path in (args.json, args.gradescope):
        check_writable(path)
    points = load_points(args.points)
    submissions = find_submissions(args.paths, one=bool(args.gradescope), folder=args.folder)
    checks = select(args.only)
    options = {"timeout": args.timeout, "memory_mb": args.memory, "total_timeout": args.total_timeout,
               "allow_imports": tuple(args.allow_import), "style": args.style, "adapter": args.adapter}
    if len(submissions) == 1:
        from parity_tests.sandbox import SYNTAX_ERROR

        report = _verify_safe(submissions[0], checks=checks, **options)
        report["allowed"] = list(options["allow_imports"])
        if report.get("unrecognised"):
            raise UsageError(f"{submissions[0]}: {report['unrecognised']}")
        rows = components(report, points)
        syntax = (report["import_error"] or "").startswith(SYNTAX_ERROR)
        if not syntax:
            print(format_report(report, rows))
        if args.json:
            write_json(args.json, report)
            print(f"wrote {args.json}")
        if args.gradescope:
            write_json(args.gradescope, results_json(report, rows, points))
            print(f"wrote {args.gradescope}")
        if syntax:
            raise UsageError(f"{submissions[0]} cannot be checked: {report['import_error'].removeprefix('failed: ')}")
        return 1 if failed(report) else 0
    with backend(args):
        return run_many(submissions, checks, points, args, options)


def run_many(submissions, checks, points, args, options):
    from joblib import Parallel, delayed

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    reports, summary = [], []
    progress = Progress(len(submissions), "submissions", quiet=args.quiet)
    try:
        jobs = Parallel(n_jobs=args.jobs, return_as="generator")(
            delayed(_verify_safe)(path, only=args.only, **options) for path in submissions)
        for i, path in enumerate(submissions, 1):
            try:
                report = next(jobs)
            except StopIteration:
                report = failure_report(path, "could not be verified (the worker stopped)")
            except Exception as exc:  # noqa: BLE001 -- a worker that died loses only its own submission
                report = failure_report(path, f"could not be verified ({type(exc).__name__}: {exc})")
            report["allowed"] = list(options.get("allow_imports", ()))
            rows = components(report, points)
            counts = {s: sum(c["status"] == s for c in rows) for s in ("passed", "partial", "failed", "error", "missing")}
            summary.append({"submission": path.name, "score": round(sum(c["score"] for c in rows), 4),
                            "max_score": sum(c["max_score"] for c in rows), **counts, "seconds": report["seconds"]})
            reports.append(report)
            for name, write in ((f"{path.name}.txt", lambda p: write_text(p, format_report(report, rows) + "\n")),
                                (f"{path.name}.json", lambda p: write_json(p, report))):
                try:
                    write(out / name)
                except (OSError, UsageError) as exc:
                    print(f"could not write {out / name}: {exc}", file=sys.stderr)
            progress.step(path.name)
            progress.note(f"[{i}/{len(submissions)}] {path.name}: {summary[-1]['score']:g} / "
                          f"{summary[-1]['max_score']:g}" + (" (could not be imported)" if report["import_error"] else ""))
    finally:
        progress.close()
        done = {s["submission"] for s in summary}
        for path in submissions:
            if path.name not in done:
                summary.append({"submission": path.name, "score": 0, "max_score": 0, "passed": 0, "partial": 0,
                                "failed": 0, "error": 0, "missing": 0, "seconds": 0})
        text = io.StringIO()
        writer = csv.DictWriter(text, CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(summary)
        write_text(out / "summary.csv", text.getvalue())
    print(table(CSV_FIELDS, [[str(s[k]) for k in CSV_FIELDS] for s in summary]))
    print(f"\nwrote {len(reports)} reports and summary.csv to {out}")
    if args.json:
        write_json(args.json, {"versions": versions(), "submissions": reports})
        print(f"wrote {args.json}")
    return 1 if any(failed(r) for r in reports) else 0
