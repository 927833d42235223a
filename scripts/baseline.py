"""``twinnet baseline``: the twin networks next to scikit-learn's models, by repeated k-fold cross-validation.

Every model is a ``Pipeline`` (the preprocessing of ``_tabular.preprocessor``, then the model; a
regression target is standardised inside each fold too, by ``TransformedTargetRegressor``) run through
``cross_validate`` on the same (stratified) folds. The table gives each metric's mean +- std over the
folds, the rank by the data set's first metric, and the p-value of the corrected resampled t-test
(Nadeau and Bengio, 2003) of each model against the best one.
"""
import math
import os
import shutil
import sys
import textwrap
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import _tabular, cluster
from ._common import UsageError, check_writable, jobs, table, versions, write_json

PRESETS = {"quick": {"folds": 5, "repeats": 1, "epochs": 30},
           "full": {"folds": 5, "repeats": 3, "epochs": 100}}
"""Defaults of ``--quick`` and of the full run; ``--folds`` and ``--repeats`` override them."""

MLP = {"hidden_layer_sizes": (64,), "activation": "relu", "optimizer": "adam", "lr": 3e-3, "batch_size": 64,
       "alpha": 1e-4}
"""The one set of hyperparameters of scratch-mlp, torch-mlp and sklearn-mlp (plus epochs and the seed)."""

METRICS = {
    "classification": [("accuracy", "accuracy", 1), ("balanced_accuracy", "balanced_accuracy", 1),
                       ("log_loss", "neg_log_loss", -1)],
    "regression": [("r2", "r2", 1), ("rmse", "neg_root_mean_squared_error", -1)],
}
"""task -> [(metric, scikit-learn scorer, sign)]. Models are ranked by the first metric. Sign -1: the
scorer reports the metric negated, and lower is better."""

ALPHA = 0.05
"""Significance level of the test against the best model."""

SAME = 1e-9
"""Per-fold scores closer than this are the same score: round-off, as between the twins."""

TWIN_TOL = 1e-6
"""scratch-mlp and torch-mlp must agree on every fold's metrics within this."""


def models(task, epochs, seed):
    """name -> unfitted estimator for ``task``: the three MLPs, then the classical baselines."""
    from sklearn import calibration, ensemble, linear_model, neural_network, svm

    from reference import estimators

    mlp = {**MLP, "max_iter": epochs, "random_state": seed}
    sk_mlp = {"hidden_layer_sizes": MLP["hidden_layer_sizes"], "activation": MLP["activation"],
              "solver": MLP["optimizer"], "learning_rate_init": MLP["lr"], "batch_size": MLP["batch_size"],
              "alpha": MLP["alpha"], "max_iter": epochs, "random_state": seed,
              "tol": 0.0, "n_iter_no_change": epochs}
    if task == "classification":
        return {"scratch-mlp": estimators.ScratchMLPClassifier(**mlp),
                "torch-mlp": estimators.TorchMLPClassifier(**mlp),
                "sklearn-mlp": neural_network.MLPClassifier(**sk_mlp),
                "logisticregression": linear_model.LogisticRegression(max_iter=1000),
                "randomforestclassifier": ensemble.RandomForestClassifier(random_state=seed),
                "histgradientboostingclassifier": ensemble.HistGradientBoostingClassifier(random_state=seed),
                "svc": calibration.CalibratedClassifierCV(svm.SVC(random_state=seed), ensemble=False)}
    return {"scratch-mlp": estimators.ScratchMLPRegressor(**mlp),
            "torch-mlp": estimators.TorchMLPRegressor(**mlp),
            "sklearn-mlp": neural_network.MLPRegressor(**sk_mlp),
            "ridge": linear_model.Ridge(),
            "randomforestregressor": ensemble.RandomForestRegressor(random_state=seed),
            "histgradientboostingregressor": ensemble.HistGradientBoostingRegressor(random_state=seed),
            "svr": svm.SVR()}


def add_parser(sub):
    p = sub.add_parser(
        "baseline", help="cross-validate the twin networks next to scikit-learn's models",
        description="Repeated (stratified) k-fold cross-validation of scratch-mlp, torch-mlp, sklearn-mlp and "
                    "classical baselines on data sets shipped with scikit-learn or a CSV: a table per data set "
                    "(mean +- std, rank, corrected resampled t-test against the best), JSON and a PNG plot.")
    p.add_argument("--dataset", nargs="+", metavar="NAME",
                   help=f"built-in data sets (default: all of {', '.join(_tabular.BUILTIN)}, unless --csv)")
    p.add_argument("--csv", metavar="FILE", help="a CSV file with a header row; needs --target")
    p.add_argument("--target", metavar="COL", help="the CSV's target column")
    p.add_argument("--task", choices=["auto", "classification", "regression"], default="auto",
                   help="the CSV's task (default: auto, from the target column)")
    p.add_argument("--models", nargs="+", metavar="NAME",
                   help="models to run, by the names in the table (default: all), e.g. scratch-mlp torch-mlp ridge")
    p.add_argument("--folds", type=int, metavar="K", help="folds per repeat (default 5)")
    p.add_argument("--repeats", type=int, metavar="R", help="repeats of the k-fold split (default 3; 1 with --quick)")
    p.add_argument("--quick", action="store_true",
                   help=f"one repeat and {PRESETS['quick']['epochs']} epochs instead of {PRESETS['full']['epochs']}")
    p.add_argument("--seed", type=int, default=0, help="seeds the folds and every model (default 0)")
    p.add_argument("--jobs", type=jobs(), default=1, metavar="N",
                   help="folds run in parallel through joblib (default 1; -1: all cores; fit times are comparable "
                        "only with 1)")
    p.add_argument("--json", metavar="FILE", help="write every fold's scores as JSON")
    p.add_argument("--plot", metavar="FILE", help="write a PNG of the per-fold scores")
    cluster.add_arguments(p)
    p.set_defaults(run=run)


def corrected_ttest(a, b, test_train_ratio):
    """Two-sided p-value that paired per-fold scores ``a`` and ``b`` have the same mean.

    Nadeau and Bengio's corrected resampled t-test: the folds' training sets overlap, so the variance
    of the mean difference is ``(1/J + n_test/n_train) * s^2`` rather than ``s^2 / J``, where ``s^2`` is
    the sample variance of the J differences; ``t`` has J - 1 degrees of freedom.
    Scores within ``SAME`` on every fold are the same (p = 1).
    """
    from scipy import stats

    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if len(d) < 2 or np.max(np.abs(d)) <= SAME:
        return 1.0
    var = d.var(ddof=1)
    if var == 0:
        return 0.0
    t = d.mean() / math.sqrt((1 / len(d) + test_train_ratio) * var)
    return float(2 * stats.t.sf(abs(t), len(d) - 1))


def _pipeline(data, model):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if data.task == "regression":
        model = TransformedTargetRegressor(model, transformer=StandardScaler())
    return Pipeline(_tabular.preprocessor(data) + [("model", model)])


def _splits(data, folds, repeats, seed):
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    cls = RepeatedStratifiedKFold if data.task == "classification" else RepeatedKFold
    return list(cls(n_splits=folds, n_repeats=repeats, random_state=seed).split(data.X, data.y))


def cross_validate_model(data, name, model, splits, folds, jobs):
    """One model's rows (the report's JSON (docs/ARCHITECTURE.md)), one per fold."""
    from sklearn.model_selection import cross_validate

    metrics = METRICS[data.task]
    scores = cross_validate(_pipeline(data, model), data.X, data.y, cv=splits, n_jobs=jobs, error_score="raise",
                            scoring={metric: scorer for metric, scorer, _ in metrics})
    return [{"dataset": data.name, "task": data.task, "model": name, "fold": j, "repeat": j // folds,
             "metrics": {metric: sign * float(scores[f"test_{metric}"][j]) for metric, _, sign in metrics},
             "fit_time_s": float(scores["fit_time"][j]), "predict_time_s": float(scores["score_time"][j])}
            for j in range(len(splits))]


def summarize(data, rows, splits):
    """Per model: mean and std of each metric, mean times, rank, and the test against the best; best first."""
    from scipy.stats import rankdata

    metric, _, sign = METRICS[data.task][0]
    names = list(dict.fromkeys(r["model"] for r in rows))
    per = {n: [r for r in rows if r["model"] == n] for n in names}
    primary = {n: np.array([r["metrics"][metric] for r in per[n]]) for n in names}
    goodness = {n: sign * primary[n].mean() for n in names}
    best = max(names, key=goodness.get)
    ratio = np.mean([len(test) / len(train) for train, test in splits])
    ranks = rankdata([-round(goodness[n], 9) for n in names], method="min")
    out = []
    for n, rank in zip(names, ranks):
        p = None if n == best else corrected_ttest(primary[best], primary[n], ratio)
        out.append({"dataset": data.name, "model": n, "rank": int(rank),
                    "metrics": {m: {"mean": float(np.mean([r["metrics"][m] for r in per[n]])),
                                    "std": float(np.std([r["metrics"][m] for r in per[n]], ddof=1))
                                    if len(per[n]) > 1 else 0.0}
                                for m, _, _ in METRICS[data.task]},
                    "fit_time_s": float(np.mean([r["fit_time_s"] for r in per[n]])),
                    "predict_time_s": float(np.mean([r["predict_time_s"] for r in per[n]])),
                    "p_value": p, "significant": p is not None and p < ALPHA})
    return sorted(out, key=lambda s: (s["rank"], names.index(s["model"])))


def twin_agreement(rows):
    """The largest difference between scratch-mlp's and torch-mlp's metrics on any fold, or None."""
    torch_rows = {(r["dataset"], r["fold"]): r for r in rows if r["model"] == "torch-mlp"}
    worst, where = -1.0, None
    for r in rows:
        other = torch_rows.get((r["dataset"], r["fold"])) if r["model"] == "scratch-mlp" else None
        for metric, value in (other["metrics"] if other else {}).items():
            diff = abs(r["metrics"][metric] - value)
            if diff > worst:
                worst, where = diff, f"{metric} on {r['dataset']}, fold {r['fold']}"
    if where is None:
        return None
    return {"max_abs_diff": worst, "where": where, "tolerance": TWIN_TOL, "agree": worst <= TWIN_TOL}


def format_table(data, summary):
    metrics = METRICS[data.task]
    headers = ["rank", "model"] + [m.replace("_", " ") for m, _, _ in metrics] + ["fit s", "predict s", "vs best"]
    rows = []
    for s in summary:
        verdict = "best" if s["p_value"] is None else f"p={s['p_value']:.3f}" + (" *" if s["significant"] else "")
        rows.append([str(s["rank"]), s["model"]]
                    + [f"{s['metrics'][m]['mean']:.4g} ± {s['metrics'][m]['std']:.2g}" for m, _, _ in metrics]
                    + [f"{s['fit_time_s']:.3f}", f"{s['predict_time_s']:.3f}", verdict])
    return table(headers, rows)


def plot(path, datasets, rows, summaries, folds, repeats):
    """Per data set, every fold's score of its first metric per model (a dot each, a bar at the mean)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {name: plt.get_cmap("tab10")(i % 7) for i, name in enumerate(models("classification", 1, 0))}
    colors.update({name: plt.get_cmap("tab10")(i % 7) for i, name in enumerate(models("regression", 1, 0))})
    cols = min(3, len(datasets))
    nrows = math.ceil(len(datasets) / cols)
    n_models = max(len(s) for s in summaries)
    # the title wrapped to the figure's width (about 12 characters an inch at size 10): one panel's width
    # cut it off at both ends
    title = textwrap.fill(f"twinnet baseline: {folds}-fold x {repeats} cross-validation; a dot per fold, a bar at the "
                          f"mean, best first; * significantly worse than the best (p < {ALPHA})", int(5.4 * cols * 12))
    extra = 0.2 * title.count("\n")
    fig, axes = plt.subplots(nrows, cols, figsize=(5.4 * cols, (0.42 * n_models + 1.2) * nrows + extra),
                             squeeze=False)
    jitter = np.random.default_rng(0)
    for ax, data, summary in zip(axes.flat, datasets, summaries):
        metric = METRICS[data.task][0][0]
        order = [s["model"] for s in summary]
        for i, name in enumerate(order):
            values = np.array([r["metrics"][metric] for r in rows if r["dataset"] == data.name and r["model"] == name])
            ax.scatter(values, i + jitter.uniform(-0.18, 0.18, len(values)), s=14, alpha=0.75, color=colors[name])
            ax.plot([values.mean()] * 2, [i - 0.32, i + 0.32], color="black", lw=1.5)
        ax.set_yticks(range(len(order)), [s["model"] + (" *" if s["significant"] else "") for s in summary],
                      fontsize=8)
        ax.set_ylim(len(order) - 0.5, -0.5)
        ax.set_title(f"{data.name}: {metric.replace('_', ' ')}", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes.flat[len(datasets):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fig.savefig(tmp, dpi=100, format="png")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)


@contextmanager
def single_threaded():
    """Every model on one thread (BLAS, OpenMP and torch's own pool), so fit times compare like with like.

    The networks here are small: one thread is fastest for them, and torch's idle OpenMP threads no
    longer compete with scikit-learn's for the cores. Parallel work is ``--jobs``' folds instead.
    """
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(before)


class Progress:
    """A progress bar on stderr when it is a terminal; otherwise a line per finished data set."""

    def __init__(self, total, out=None):
        self.total, self.done, self.out = total, 0, out or sys.stderr
        self.start = time.perf_counter()
        self.live = hasattr(self.out, "isatty") and self.out.isatty()
        self.width = min(100, shutil.get_terminal_size((100, 24)).columns - 1)

    def show(self, label):
        if self.live:
            filled = 24 * self.done // self.total
            line = (f"[{'#' * filled}{'.' * (24 - filled)}] {self.done}/{self.total} "
                    f"{time.perf_counter() - self.start:4.0f}s  {label}")
            self.out.write("\r" + line[:self.width].ljust(self.width))
            self.out.flush()

    def finished(self, dataset):
        if not self.live:
            print(f"{dataset}: done, {time.perf_counter() - self.start:.0f}s elapsed", file=self.out, flush=True)

    def close(self):
        if self.live:
            self.out.write("\r" + " " * self.width + "\r")
            self.out.flush()


def _load(args, folds):
    if (args.csv is None) != (args.target is None):
        raise UsageError("--csv and --target go together: --csv FILE --target COLUMN")
    unknown = [name for name in args.dataset or () if name not in _tabular.BUILTIN]
    if unknown:
        raise UsageError(f"--dataset: unknown data set(s) {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(_tabular.BUILTIN)} (or --csv FILE --target COLUMN)")
    names = args.dataset or ([] if args.csv else list(_tabular.BUILTIN))
    datasets = [_tabular.builtin(name) for name in dict.fromkeys(names)]
    if args.csv:
        datasets.append(_tabular.read_csv(args.csv, args.target, args.task))
    for data in datasets:
        _tabular.check_folds(data, folds)
    return datasets


def run(args):
    from sklearn.exceptions import ConvergenceWarning

    check_writable(args.json)
    check_writable(args.plot)
    preset = PRESETS["quick" if args.quick else "full"]
    folds = preset["folds"] if args.folds is None else args.folds
    repeats = preset["repeats"] if args.repeats is None else args.repeats
    if folds < 2:
        raise UsageError(f"--folds must be at least 2, got {folds}")
    if repeats < 1:
        raise UsageError(f"--repeats must be at least 1, got {repeats}")
    known = list(dict.fromkeys([*models("classification", 1, 0), *models("regression", 1, 0)]))
    unknown = sorted(set(args.models or ()) - set(known))
    if unknown:
        raise UsageError(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(known)}")
    datasets = _load(args, folds)
    plans = []
    for data in datasets:
        chosen = {n: m for n, m in models(data.task, preset["epochs"], args.seed).items()
                  if not args.models or n in args.models}
        if not chosen:
            raise UsageError(f"--models {' '.join(args.models)}: none of them is a {data.task} model "
                             f"(data set '{data.name}')")
        plans.append((data, chosen, _splits(data, folds, repeats, args.seed)))
    for data in datasets:
        for note in data.notes:
            print(f"{data.name}: {note}")
        train_rows = len(data.y) - math.ceil(len(data.y) / folds)
        if train_rows < MLP["batch_size"]:
            print(f"{data.name}: a training fold has about {train_rows} rows, fewer than the MLPs' batch_size "
                  f"{MLP['batch_size']}: all three MLPs train on the whole fold as one batch")
    if args.jobs != 1:
        print(f"--jobs {args.jobs}: folds share the cores, so fit and predict times are not comparable")

    rows, summaries = [], []
    progress = Progress(sum(len(chosen) for _, chosen, _ in plans))
    with warnings.catch_warnings(), single_threaded(), cluster.backend(args):
        warnings.simplefilter("ignore", ConvergenceWarning)
        # sklearn-mlp clips a batch_size larger than a small training fold, as scratch-mlp and torch-mlp
        # do, and says so once per fit; the note above says it once per data set
        warnings.filterwarnings("ignore", message="Got `batch_size` less than 1 or larger than sample size",
                                category=UserWarning)
        try:
            for data, chosen, splits in plans:
                found = []
                for name, model in chosen.items():
                    progress.show(f"{data.name}: {name}")
                    found += cross_validate_model(data, name, model, splits, folds, args.jobs)
                    progress.done += 1
                rows += found
                summaries.append(summarize(data, found, splits))
                progress.finished(data.name)
        finally:
            progress.close()

    for data, summary in zip(datasets, summaries):
        metric = METRICS[data.task][0][0].replace("_", " ")
        print(f"\n{data.name} ({data.task}, {len(data.y)} rows, {data.X.shape[1]} features): "
              f"{folds}-fold x {repeats}, ranked by {metric}")
        print(format_table(data, summary))
    print(f"\n* significantly worse than the best (corrected resampled t-test, p < {ALPHA})")
    twins = twin_agreement(rows)
    if twins:
        verdict = "agree" if twins["agree"] else "DISAGREE"
        print(f"scratch-mlp vs torch-mlp: largest difference in any fold's metrics {twins['max_abs_diff']:.1e} "
              f"({twins['where']}; tolerance {TWIN_TOL:g}): they {verdict}")
    if args.json:
        write_json(args.json, {
            "folds": folds, "repeats": repeats, "seed": args.seed, "quick": args.quick, "jobs": args.jobs,
            "mlp": {**MLP, "hidden_layer_sizes": list(MLP["hidden_layer_sizes"]), "max_iter": preset["epochs"]},
            "versions": versions(),
            "datasets": [{"name": d.name, "task": d.task, "rows": len(d.y), "features": d.X.shape[1],
                          "primary_metric": METRICS[d.task][0][0], "notes": d.notes} for d in datasets],
            "rows": rows, "summary": [s for summary in summaries for s in summary], "twins": twins})
        print(f"wrote {args.json}")
    if args.plot:
        plot(args.plot, datasets, rows, summaries, folds, repeats)
        print(f"wrote {args.plot}")
    return 0 if twins is None or twins["agree"] else 1
