"""``twinnet verify`` on the submissions of ``fixtures/``: mutants flagged with their cause, correct
submissions passing, adversarial ones contained, Gradescope's results.json, the template, exit codes.

Each mutant is verified on its own component only (``--only``); the adversarial submissions run with
a 2 s limit per case.
"""
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from scripts.cli import main
from scripts.verify import verify_one

FIXTURES = Path(__file__).with_name("fixtures")

MUTANTS = {
    "adam_no_bias_correction.py": ("Adam", "first update scaled"),
    "bce_no_clamp.py": ("BCELoss", "BCELoss log clamp"),
    "cross_entropy_no_max.py": ("CrossEntropyLoss", "no max-subtraction"),
    "cross_entropy_weighted_mean.py": ("CrossEntropyLoss", "constant factor"),
    "elu_fixed_alpha.py": ("ELU(alpha=0.5)", "negative branch"),
    "gelu_tanh.py": ("GELU", "tanh approximation"),
    "hardtanh_edges.py": ("Hardtanh", "derivative at the kink"),
    "l1_sign.py": ("L1Loss", "constant factor"),
    "leaky_relu_fixed_slope.py": ("LeakyReLU(negative_slope=0.2)", "negative branch"),
    "linear_bias_grad_mean.py": ("Linear", "constant factor"),
    "linear_no_bias.py": ("Linear", "linear bias"),
    "linear_no_transpose.py": ("Linear", "weight layout"),
    "linear_weight_grad_transposed.py": ("Linear", "transposed"),
    "log_softmax_naive.py": ("LogSoftmax", "no max-subtraction"),
    "mse_half.py": ("MSELoss", "constant factor"),
    "mse_not_averaged.py": ("MSELoss", "constant factor"),
    "mse_returns_float.py": ("MSELoss", "returned a number"),
    "relu_in_place.py": ("ReLU", "modifies its input"),
    "relu_kink.py": ("ReLU", "derivative at the kink"),
    "sequential_backward_order.py": ("MLP-SGD", "Sequential backward order"),
    "sgd_ascent.py": ("SGD", "first update scaled"),
    "sgd_averaged_momentum.py": ("SGD", "first update scaled"),
    "sgd_dampening_first_step.py": ("SGD", "first update scaled"),
    "sgd_no_buffer.py": ("SGD", "state between steps"),
    "sgd_no_zero_grad.py": ("MLP-SGD", "state between steps"),
    "sigmoid_upcast.py": ("Sigmoid", "silent upcasting"),
    "softmax_axis.py": ("Softmax", "softmax axis"),
    "softmax_diagonal.py": ("Softmax", "softmax Jacobian diagonal"),
    "softmax_no_max.py": ("Softmax", "no max-subtraction"),
    "softplus_naive.py": ("Softplus", "Softplus threshold"),
    "tanh_derivative.py": ("Tanh", None),
}
"""Each mutant's file: the component that must be flagged and the likely cause the report must name
(None where the catalogue has no cause for the mistake)."""

WHY = {
    "adam_no_bias_correction.py": "no bias correction",
    "cross_entropy_weighted_mean.py": "sum of the targets' weights",
    "l1_sign.py": "sign is flipped",
    "linear_bias_grad_mean.py": "where torch sums",
    "mse_half.py": "1/2 (y - t)^2",
    "mse_not_averaged.py": "number of elements",
    "sgd_ascent.py": "sign is flipped",
    "sgd_averaged_momentum.py": "averaged momentum",
    "sgd_dampening_first_step.py": "dampening applied at the first step",
}
"""Words the sentence of a numeric cause (a factor) must contain."""


def _only(component):
    return f"{component}-*"


def _verify(capsys, tmp_path, path, *options):
    """``twinnet verify PATH --json FILE ...``: ``(exit status, report, printed text)``."""
    out = tmp_path / "report.json"
    code = main(["verify", str(path), "--json", str(out), "--allow-import", "scratch", *options])
    text = capsys.readouterr().out
    return code, json.loads(out.read_text()) if out.exists() else None, text


def test_every_mutant_is_listed():
    files = {p.name for p in (FIXTURES / "mutants").glob("*.py") if not p.name.startswith("_")}
    assert files == set(MUTANTS) and len(MUTANTS) >= 20


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_flagged_with_its_cause(name, tmp_path, capsys):
    component, cause = MUTANTS[name]
    code, report, text = _verify(capsys, tmp_path, FIXTURES / "mutants" / name, "--only", _only(component))
    flagged = [r for r in report["checks"] if r["status"] in ("failed", "error")]
    assert code == 1 and flagged, text
    assert {r["component"] for r in flagged} == {component}
    first = flagged[0]
    assert (first["likely_cause"] or {}).get("name") == cause, first
    if name in WHY:
        assert WHY[name] in first["likely_cause"]["text"]
    assert f"{component}-{first['kind']}-{first['dtype']}: {first['status']}" in text
    if cause:
        assert "likely cause: " + first["likely_cause"]["text"][:40] in text


@pytest.mark.parametrize("name, functional_style", [("classes.py", False), ("functional.py", True)])
def test_correct_submission_has_no_false_alarm(name, functional_style, tmp_path, capsys):
    code, report, text = _verify(capsys, tmp_path, FIXTURES / "correct" / name)
    statuses = {r["status"] for r in report["checks"]}
    assert code == 0 and statuses <= {"passed", "missing"}, text
    assert all(r["likely_cause"] is None for r in report["checks"] if r["status"] == "passed")
    passed = {r["component"] for r in report["checks"] if r["status"] == "passed"}
    assert {"ReLU", "Sigmoid", "Tanh", "Softmax"} <= passed
    if functional_style:
        assert {"ELU", "GELU", "Softplus", "LeakyReLU"} <= passed
        assert all("not defined" in r["message"] or "default parameters only" in r["message"]
                   for r in report["checks"] if r["status"] == "missing" and r["component"] != "Softmax")
    else:
        assert {"Linear", "MSELoss", "CrossEntropyLoss", "SGD", "MLP-SGD"} <= passed
        assert all(r["status"] == "passed" for r in report["checks"] if r["component"] in passed)


# -- adversarial submissions --------------------------------------------------------------------

ADVERSARIAL = {
    "loop_forever.py": "did not finish within 2 s",
    "sys_exit.py": "called sys.exit(3)",
    "os_exit.py": "ended the process",
    "segfault.py": "crashed during this check (SIGSEGV)",
    "huge_allocation.py": "MemoryError",
    "print_flood.py": "printed 2,002,000 characters",
    "monkeypatch.py": "Mismatched elements",
    "forged_answer.py": "sent malformed data",
    "wrong_shape.py": "shape (8, 16), expected (16, 8)",
    "returns_list.py": "returned list",
    "returns_nan.py": "got nan",
}
"""Each submission whose ReLU misbehaves: words of the first ReLU check's message."""


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_submission_is_one_failed_component(name):
    start = time.monotonic()
    report = verify_one(FIXTURES / "adversarial" / name, only="ReLU-*,Tanh-*", timeout=2, import_timeout=10,
                        allow_imports=("scratch",))
    assert time.monotonic() - start < 25
    relu = [r for r in report["checks"] if r["component"] == "ReLU"]
    tanh = [r for r in report["checks"] if r["component"] == "Tanh"]
    assert relu[0]["status"] in ("failed", "error") and ADVERSARIAL[name] in relu[0]["message"], relu[0]
    assert all(r["status"] != "passed" for r in relu if r["kind"] == "forward")
    assert tanh and all(r["status"] == "passed" for r in tanh), "the rest of the report must still come"


def test_exception_at_import_fails_every_check(tmp_path, capsys):
    code, report, text = _verify(capsys, tmp_path, FIXTURES / "adversarial" / "import_error.py", "--only", "ReLU-*")
    assert code == 1 and report["checks"] and all(r["status"] == "error" for r in report["checks"])
    assert all("raised FileNotFoundError" in r["message"] for r in report["checks"])
    assert "could not import it: it raised FileNotFoundError" in text


def test_endless_import_stops_at_its_limit():
    start = time.monotonic()
    report = verify_one(FIXTURES / "adversarial" / "import_loop.py", only="ReLU-*", timeout=2, import_timeout=4,
                        allow_imports=("scratch",))
    assert time.monotonic() - start < 15
    assert "did not finish within 4 s" in report["import_error"]
    assert report["checks"] and all(r["status"] == "error" for r in report["checks"])


def test_patching_inside_the_submission_changes_nothing_here():
    from parity_tests import compare, kinds
    report = verify_one(FIXTURES / "adversarial" / "monkeypatch.py", only="ReLU-forward-*", timeout=2,
                        allow_imports=("scratch",))
    assert [r["status"] for r in report["checks"]] == ["failed", "failed"]
    assert not np.allclose(0.0, 1.0) and not np.array_equal([0], [1])
    assert compare.compare(np.array([1.0]), np.array([0.0]), 0, 0)[2] is not None
    assert kinds.run.__module__ == "parity_tests.kinds"


# -- Gradescope, the template, several submissions, usage errors --------------------------------

def test_gradescope_results_json(tmp_path, capsys):
    points = tmp_path / "points.json"
    points.write_text(json.dumps({"activation": 5, "MSELoss": 7}))
    out = tmp_path / "results.json"
    code = main(["verify", str(FIXTURES / "mutants" / "mse_half.py"), "--only", "ReLU-*,MSELoss-*",
                 "--gradescope", str(out), "--points", str(points), "--allow-import", "scratch"])
    capsys.readouterr()
    results = json.loads(out.read_text())
    assert code == 1
    tests = {t["name"]: t for t in results["tests"]}
    assert set(tests) == {"ReLU (activation)", "MSELoss (loss)"}
    for t in tests.values():
        assert set(t) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed") and isinstance(t["output"], str) and t["visibility"] == "visible"
    assert tests["ReLU (activation)"]["max_score"] == 5 == tests["ReLU (activation)"]["score"]
    assert tests["MSELoss (loss)"]["max_score"] == 7 and tests["MSELoss (loss)"]["status"] == "failed"
    assert tests["MSELoss (loss)"]["score"] < 7 and "likely cause" in tests["MSELoss (loss)"]["output"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


def test_template_is_all_not_implemented(tmp_path, capsys):
    template = tmp_path / "my_network.py"
    assert main(["verify", "--template", str(template)]) == 0
    assert main(["verify", "--template", str(template)]) == 2, "an existing file is never overwritten"
    code, report, text = _verify(capsys, tmp_path, template)
    assert code == 0 and report["import_error"] is None
    assert {r["status"] for r in report["checks"]} == {"missing"}
    assert all("not implemented" in r["message"] for r in report["checks"])
    assert "not implemented (NotImplementedError): Identity, ReLU" in text and "not defined" not in text
    assert "score 0 / " in text


def test_folder_of_submissions(tmp_path, capsys):
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copy(FIXTURES / "correct" / "functional.py", folder / "alice.py")
    shutil.copy(FIXTURES / "mutants" / "relu_kink.py", folder / "bob.py")
    out = tmp_path / "reports"
    assert main(["verify", str(folder), "--only", "ReLU-*", "--out", str(out), "--allow-import", "scratch"]) == 1
    capsys.readouterr()
    rows = (out / "summary.csv").read_text().splitlines()
    assert rows[0].startswith("submission,score,max_score") and len(rows) == 3
    assert rows[1].startswith("alice.py,1.0,1.0") and rows[2].startswith("bob.py,0.6,1.0")
    assert "likely cause: wrong only at the kinks" in (out / "bob.py.txt").read_text()


@pytest.mark.parametrize("args, expected", [
    (["missing.py"], "no such file or folder"),
    (["syntax.py"], "syntax error in syntax.py, line 2"),
    (["ok.py", "--only", "NoSuchThing"], "matches no check"),
    (["ok.py", "--timeout", "0"], "--timeout must be > 0"),
    ([], "give a submission PATH"),
])
def test_usage_errors_exit_2(args, expected, tmp_path, monkeypatch, capsys):
    (tmp_path / "syntax.py").write_text("class ReLU:\n    def forward(self, x)\n        return x\n")
    (tmp_path / "ok.py").write_text("from scratch import ReLU\n")
    monkeypatch.chdir(tmp_path)
    assert main(["verify", *args]) == 2
    err = capsys.readouterr().err
    assert expected in err and len(err.strip().splitlines()) == 1, err
