"""Points per component and Gradescope's ``results.json``, for ``twinnet verify --gradescope``.

The points live here, in one table keyed by category, and a JSON file given with ``--points``
overrides them by category or by component name (``{"loss": 3, "ReLU": 2}``). A component scores
its points times the fraction of its checks that passed.
"""
import json
from pathlib import Path

from ._common import UsageError

POINTS = {"activation": 1.0, "loss": 2.0, "layer": 3.0, "model": 4.0, "optimizer": 2.0, "scheduler": 1.0,
          "init": 1.0, "utility": 1.0}
DEFAULT_POINTS = 1.0


def load_points(path=None):
    """The points table, with ``path``'s overrides (a JSON object of category or component name -> points)."""
    from parity_tests.registry import REGISTRY

    points = dict(POINTS)
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
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise UsageError(f"--points: points for {key!r} must be a number >= 0, got {value!r}")
    points.update(overrides)
    return points


def points_of(component, category, points):
    return float(points.get(component, points.get(category, DEFAULT_POINTS)))


def results_json(report, components):
    """Gradescope's ``results.json``: one test per component, and the total as ``score``."""
    tests = [{"name": f"{c['component']} ({c['category']})", "score": round(c["score"], 4),
              "max_score": c["max_score"], "status": "passed" if c["status"] == "passed" else "failed",
              "output": c["output"], "visibility": "visible"} for c in components]
    score = round(sum(t["score"] for t in tests), 4)
    total = sum(t["max_score"] for t in tests)
    lines = [f"{report['impl']}: {score:g} / {total:g} points"]
    if report.get("import_error"):
        lines.append(f"Your submission could not be imported: it {report['import_error']}")
    return {"score": score, "output": "\n".join(lines), "visibility": "visible",
            "stdout_visibility": "visible", "tests": tests}
