"""The twins' scikit-learn estimators and ``twinnet baseline``: estimator checks, twin agreement, bad input."""
import io
import json

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from reference.estimators import ScratchMLPClassifier, ScratchMLPRegressor, TorchMLPClassifier, TorchMLPRegressor
from scripts import baseline
from scripts.cli import main

from .kinds.predict_proba import _sklearn as _sklearn_predict_proba

@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """The networks here are tiny; a second torch thread only waits for work on a busy machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SMALL = {"hidden_layer_sizes": (16,), "lr": 0.01, "batch_size": 32, "max_iter": 20, "random_state": 0}


@parametrize_with_checks([cls(**SMALL) for cls in (ScratchMLPClassifier, TorchMLPClassifier,
                                                   ScratchMLPRegressor, TorchMLPRegressor)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _standard(load):
    X, y = load(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_twins_start_alike_and_train_alike(optimizer):
    kwargs = {**SMALL, "optimizer": optimizer, "alpha": 1e-2, "max_iter": 15}
    X, y = _standard(load_breast_cancer)
    a, b = ScratchMLPClassifier(**kwargs).fit(X, y), TorchMLPClassifier(**kwargs).fit(X, y)
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.loss_curve_, a.loss_curve_, rtol=1e-10)
    for key, value in a.network_.state_dict().items():
        np.testing.assert_allclose(b.network_.state_dict()[key].numpy(), value, rtol=1e-10, atol=1e-12)
    other = ScratchMLPClassifier(**{**kwargs, "random_state": 1}).fit(X, y)
    assert np.abs(other.predict_proba(X) - a.predict_proba(X)).max() > 1e-6

    X, y = _standard(load_diabetes)
    y = (y - y.mean()) / y.std()
    a, b = ScratchMLPRegressor(**kwargs).fit(X, y), TorchMLPRegressor(**kwargs).fit(X, y)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-10, atol=1e-12)
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("load", [load_iris, load_breast_cancer], ids=["3 classes", "2 classes"])
def test_three_way_predict_proba(load):
    """A trained scratch estimator, torch's twin of its network and sklearn's MLPClassifier given the
    same weights give the same predict_proba (the registry's MLP-predict_proba checks this for any weights)."""
    X, y = _standard(load)
    est = ScratchMLPClassifier(**{**SMALL, "hidden_layer_sizes": (8, 4), "activation": "tanh"}).fit(X, y)
    case = {"sizes": (X.shape[1], 8, 4, len(est.classes_)), "state": est.network_.state_dict(), "X": X,
            "activation": "Tanh"}
    np.testing.assert_allclose(_sklearn_predict_proba(case), est.predict_proba(X), rtol=1e-12, atol=1e-14)
    torch_est = TorchMLPClassifier(**{**SMALL, "hidden_layer_sizes": (8, 4), "activation": "tanh"}).fit(X, y)
    np.testing.assert_allclose(torch_est.predict_proba(X), est.predict_proba(X), rtol=1e-10, atol=1e-12)


def test_corrected_ttest():
    rng = np.random.default_rng(0)
    a, b = rng.random(10), rng.random(10)
    assert baseline.corrected_ttest(a, b, 0.0) == pytest.approx(stats.ttest_rel(a, b).pvalue, rel=1e-12)
    assert baseline.corrected_ttest(a, b, 0.25) > baseline.corrected_ttest(a, b, 0.0)
    assert baseline.corrected_ttest(a, a + 1e-12, 0.25) == 1.0
    assert baseline.corrected_ttest(np.full(5, 0.9), np.full(5, 0.8), 0.25) == 0.0


def test_tiny_run_writes_json_and_png(tmp_path, capsys):
    out, png = tmp_path / "out.json", tmp_path / "folds.png"
    code = main(["baseline", "--dataset", "iris", "diabetes", "--folds", "2", "--quick",
                 "--json", str(out), "--plot", str(png)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    report = json.loads(out.read_text())
    assert (report["folds"], report["repeats"], report["seed"]) == (2, 1, 0)
    assert {r["dataset"] for r in report["rows"]} == {"iris", "diabetes"}
    assert len(report["rows"]) == 2 * 7 * 2
    assert set(report["rows"][0]) >= {"dataset", "task", "model", "fold", "metrics", "fit_time_s"}
    assert set(next(r for r in report["rows"] if r["task"] == "classification")["metrics"]) == {
        "accuracy", "balanced_accuracy", "log_loss"}
    assert set(next(r for r in report["rows"] if r["task"] == "regression")["metrics"]) == {"r2", "rmse"}
    assert report["twins"]["agree"] and report["twins"]["max_abs_diff"] <= 1e-6
    folds = {(r["dataset"], r["fold"], r["model"]): r["metrics"] for r in report["rows"]}
    for (dataset, fold, model), metrics in folds.items():
        if model == "scratch-mlp":
            twin = folds[dataset, fold, "torch-mlp"]
            assert all(abs(metrics[m] - twin[m]) <= 1e-6 for m in metrics)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "iris (classification" in printed and "ranked by r2" in printed and "they agree" in printed


def test_quick_preset_covers_the_requirements():
    assert baseline.PRESETS["quick"]["folds"] >= 5
    datasets = [baseline._tabular.builtin(n) for n in baseline._tabular.BUILTIN]
    assert len(datasets) >= 5 and {d.task for d in datasets} == {"classification", "regression"}
    assert all(len(baseline.models(d.task, 1, 0)) >= 6 for d in datasets)


def test_csv_with_categories_and_gaps_is_encoded_and_imputed(tmp_path, capsys):
    rng = np.random.default_rng(0)
    lines = ["size,colour,notes,price"]
    for i in range(40):
        size = "" if i % 7 == 0 else f"{rng.random():.3f}"
        colour = "NA" if i % 9 == 0 else ["red", "green", "blue"][i % 3]
        lines.append(f"{size},{colour},,{i % 3 * 2.5 + rng.random():.3f}")
    path = tmp_path / "shop.csv"
    path.write_text("\n".join(lines) + "\n")
    code = main(["baseline", "--csv", str(path), "--target", "price", "--folds", "2", "--quick",
                 "--models", "scratch-mlp", "torch-mlp", "ridge"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "task: regression" in printed
    assert "'colour' are not numeric: one-hot encoded inside each fold" in printed
    assert "missing value(s) in column(s) 'size', 'colour': imputed inside each fold" in printed
    assert "column(s) 'notes' have no values: left out" in printed


BAD_CSVS = {
    "no such file": (None, "no such file"),
    "ragged rows": ("a,b,y\n1,2,0\n3,4\n5,6,1\n", "does not parse as CSV: data row 2 has 2 fields"),
    "not text": (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "is not UTF-8 text"),
    "empty": ("", "is empty"),
    "header only": ("a,b,y\n", "has a header but no data rows"),
    "target column missing": ("a,b,c\n1,2,0\n3,4,1\n", "--target 'y' is not a column"),
    "infinite value": ("a,b,y\n" + "".join(f"{i},{'inf' if i == 4 else i},{i % 2}\n" for i in range(10)),
                       "column 'b' holds 'inf' in data row 5"),
    "no feature values": ("a,b,y\n" + "".join(f",,{i % 2}\n" for i in range(10)), "every feature column is empty"),
    "single class": ("a,b,y\n" + "".join(f"{i},{i * 2},cat\n" for i in range(10)), "has a single class ('cat')"),
    "fewer rows than folds": ("a,b,y\n1,2,0.5\n3,4,1.5\n", "has 2 rows, fewer than --folds 5"),
    "rare class": ("a,b,y\n" + "".join(f"{i},{i},{'ab'[i < 3]}\n" for i in range(20)), "class 'b' has 3 row(s)"),
}


@pytest.mark.parametrize("content, message", BAD_CSVS.values(), ids=BAD_CSVS.keys())
def test_bad_csv_is_one_clear_line_and_writes_nothing(tmp_path, capsys, content, message):
    path = tmp_path / "data.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    out = tmp_path / "out.json"
    code = main(["baseline", "--csv", str(path), "--target", "y", "--json", str(out), "--plot",
                 str(tmp_path / "out.png")])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == (["data.csv"] if content is not None else [])


@pytest.mark.parametrize("args, message", [
    (["--csv", "x.csv"], "--csv and --target go together"),
    (["--models", "xgboost"], "unknown model(s) xgboost"),
    (["--dataset", "iris", "titanic"], "--dataset: unknown data set(s) 'titanic'; known: breast_cancer"),
    (["--folds", "1"], "--folds must be at least 2, got 1"),
    (["--dataset", "iris", "--folds", "51"], "class 0 has 50 row(s), fewer than --folds 51"),
    (["--dataset", "iris", "--models", "ridge"], "none of them is a classification model"),
], ids=["csv without target", "unknown model", "unknown data set", "one fold", "more folds than rows of a class",
        "no model for the task"])
def test_bad_arguments(tmp_path, capsys, args, message):
    assert main(["baseline", *args, "--json", str(tmp_path / "out.json"), "--plot", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise(terminal):
    out = _Terminal() if terminal else io.StringIO()
    progress = baseline.Progress(2, out)
    progress.show("iris: svc")
    progress.done += 1
    progress.show("iris: ridge")
    progress.done += 1
    progress.finished("iris")
    progress.close()
    text = out.getvalue()
    if terminal:
        assert "[............" in text and "] 1/2" in text and "iris: ridge" in text and "\n" not in text
        assert text.endswith("\r" + " " * progress.width + "\r")
    else:
        assert text.startswith("iris: done, ") and text.count("\n") == 1
