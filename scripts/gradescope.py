"""Points per component and Gradescope's ``results.json``, for ``twinnet verify --gradescope``.

The points live here, in one table keyed by category, and a JSON file given with ``--points``
overrides them by category or by component name (``{"loss": 3, "ReLU": 2}``); a value may also be
``{"points": 2, "visibility": "hidden"}`` (Gradescope's visibilities: visible, hidden, after_due_date,
after_published). A component scores its points times the fraction of its checks that passed.
"""
import json
from pathlib import Path

from ._common import UsageError

POINTS = {"activation": 1.0, "loss": 2.0, "layer": 3.0, "model": 4.0, "optimizer": 2.0, "scheduler": 1.0,
          "init": 1.0, "utility": 1.0}
DEFAULT_POINTS = 1.0
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class Points(dict):
    """Points by category or component name; ``visibility`` holds the Gradescope visibility given for some."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.visibility = {}


def load_points(path=None):
    """The points table, with ``path``'s overrides (a JSON object of category or component name -> points)."""
    from parity_tests.registry import REGISTRY

    points = Points(POINTS)
    if path is None:
        return points
    try:
        overrides = json.loads(Path(path).read_text())
    except OSError as exc:
        raise UsageError(f"--points: cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"--points: {path} is not valid JSON: {exc}") from None
    if not isinstance(overrides, dict):
        raise UsageError(f"--points: {path} must hold a JSON object such as {{\"loss\": 3, \"ReLU\": 2}}")
    known = set(POINTS) | {e.name for e in REGISTRY} | {e.category for e in REGISTRY}
    for key, value in overrides.items():
        if key not in known:
            raise UsageError(f"--points: unknown component or category {key!r}; known: {', '.join(sorted(known))}")
        if isinstance(value, dict):
            if set(value) - {"points", "visibility"} or value.get("visibility", "visible") not in VISIBILITIES:
                raise UsageError(f"--points: {key!r} must be a number or {{\"points\": N, \"visibility\": V}} with V "
                                 f"one of {', '.join(VISIBILITIES)}; got {value!r}")
            points.visibility[key] = value.get("visibility", "visible")
            value = value.get("points", points.get(key, DEFAULT_POINTS))
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise UsageError(f"--points: points for {key!r} must be a number >= 0, got {value!r}")
        points[key] = value
    return points


def points_of(component, category, points):
    return float(points.get(component, points.get(category, DEFAULT_POINTS)))


def visibility_of(component, category, points):
    vis = getattr(points, "visibility", {})
    return vis.get(component, vis.get(category, "visible"))


def results_json(report, components, points=None):
    """Gradescope's ``results.json``: one test per component, and the total as ``score``.

    Tests take their visibility from the points file; the overall output never claims that everything
    passed while hidden tests exist.
    """
    tests = [{"name": f"{c['component']} ({c['category']})", "score": round(c["score"], 4),
              "max_score": c["max_score"], "status": "passed" if c["status"] == "passed" else "failed",
              "output": c["output"], "visibility": visibility_of(c["component"], c["category"], points or {})}
             for c in components]
    score = round(sum(t["score"] for t in tests), 4)
    shown = [t for t in tests if t["visibility"] == "visible"]
    hidden = len(tests) - len(shown)
    if hidden:
        got, total = sum(t["score"] for t in shown), sum(t["max_score"] for t in shown)
        lines = [f"{report['impl']}: {got:g} / {total:g} points on the {len(shown)} visible tests; "
                 f"{hidden} more tests are not shown yet"]
    else:
        total = sum(t["max_score"] for t in tests)
        lines = [f"{report['impl']}: {score:g} / {total:g} points"]
        if tests and all(t["status"] == "passed" for t in tests):
            lines[0] += f"; all {len(tests)} tests passed"
    if report.get("import_error"):
        lines.append(f"Your submission could not be imported: it {report['import_error']}")
    if report.get("message"):
        lines.append(report["message"])
    return {"score": score, "output": "\n".join(lines), "visibility": "visible",
            "stdout_visibility": "visible", "execution_time": round(float(report.get("seconds") or 0.0), 2),
            "tests": tests}


def failure_json(message, seconds=0.0):
    """``results.json`` for a run that graded nothing (a usage error, no submission, nothing recognised)."""
    return {"score": 0.0, "output": f"Not graded: {message}", "visibility": "visible", "stdout_visibility": "visible",
            "execution_time": round(float(seconds), 2), "tests": []}
