"""``twinnet parity``: every registry check of an implementation against torch, as a table and JSON."""
import sys

from ._common import check_writable, fmt_err, table, versions, write_json
from .impl import load_impl


def add_parser(sub):
    p = sub.add_parser("parity", help="run the parity checks against torch",
                       description="Run the registry's checks (forward, backward, param_grad, ...) of an "
                                   "implementation against torch and print a table with each measured error.")
    p.add_argument("--impl", metavar="PATH", help="a .py file or package folder to check instead of scratch")
    p.add_argument("--dtype", choices=["float32", "float64", "all"], default="all")
    p.add_argument("--only", metavar="PATTERN", help="glob or substring of check ids, several separated by commas, e.g. 'ReLU' or 'Adam*,*-backward-*'")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--failures", action="store_true", help="print only checks that did not pass")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr (shown only when it is a terminal)")
    p.set_defaults(run=run)


def report(impl_name, records):
    from parity_tests.checks import summary
    return {"impl": impl_name, "versions": versions(), "checks": records, "summary": summary(records)}


def print_table(records, failures_only=False, out=None):
    out = out or sys.stdout
    shown = [r for r in records if r["status"] != "passed"] if failures_only else records
    rows = [(r["component"], r["kind"], r["dtype"], fmt_err(r["max_abs_err"]), fmt_err(r["max_rel_err"]),
             f"{r['atol']:g}/{r['rtol']:g}", r["status"].upper() if r["status"] != "passed" else "passed")
            for r in shown]
    if rows:
        print(table(["component", "check", "dtype", "max abs", "max rel", "atol/rtol", "status"], rows), file=out)
    for r in records:
        if r["status"] != "passed":
            print(f"\n{r['component']}-{r['kind']}-{r['dtype']}: {r['status']}\n  "
                  + r["message"].replace("\n", "\n  "), file=out)


def summary_line(records):
    from parity_tests.checks import summary
    s = summary(records)
    return ", ".join(f"{n} {k}" for k, n in s.items() if n or k == "passed") + f" of {len(records)} checks"


def run_by_component(checks, executor, quiet=False):
    """``run_checks`` one component at a time, with progress on stderr when it is a terminal."""
    from itertools import groupby

    from parity_tests.checks import run_checks

    from .progress import Progress

    groups = [(name, list(group)) for name, group in groupby(checks, key=lambda c: c.entry.name)]
    progress = Progress(len(groups), "components", quiet=quiet)
    records = []
    try:
        for name, group in groups:
            progress.show(name)
            records += run_checks(group, executor)
            progress.step(name)
    finally:
        progress.close()
    return records


def run(args):
    from parity_tests.checks import plan
    from parity_tests.registry import DTYPES

    check_writable(args.json)
    impl_name, executor = load_impl(args.impl)
    checks = plan(args.only, DTYPES if args.dtype == "all" else (args.dtype,))
    if not checks:
        from ._common import UsageError
        raise UsageError(f"--only {args.only!r} matches no check; try a component name such as 'ReLU'")
    try:
        records = run_by_component(checks, executor, quiet=args.quiet)
    finally:
        getattr(executor, "close", lambda: None)()
    print_table(records, args.failures)
    print("\n" + summary_line(records))
    if args.json:
        write_json(args.json, report(impl_name, records))
        print(f"wrote {args.json}")
    return 0 if all(r["status"] in ("passed", "missing") for r in records) else 1
