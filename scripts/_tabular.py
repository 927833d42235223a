"""Tabular data for ``twinnet baseline``: the data sets shipped with scikit-learn, or a user's CSV.

A CSV is read with the stdlib ``csv`` module. Columns whose values are all numbers (or missing) are
numeric; any other column is categorical; a column with no values is left out, and ``inf`` is refused.
The preprocessing is built into the pipeline, so it is fitted inside each fold: median imputation and
``StandardScaler`` for numbers, most-frequent imputation and ``OneHotEncoder`` for categories. Every
such decision is said in ``Dataset.notes``.
"""
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn import datasets as skdatasets

from ._common import UsageError

MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}
"""Cell values read as missing (compared in lower case, stripped)."""

MAX_CLASSES_AUTO = 20
"""A numeric target with at most this many distinct integer values is taken as class labels."""


@dataclass
class Dataset:
    name: str
    task: str
    X: np.ndarray
    y: np.ndarray
    columns: list = None
    categorical: list = field(default_factory=list)
    missing: bool = False
    notes: list = field(default_factory=list)


def _friedman1():
    return skdatasets.make_friedman1(n_samples=500, noise=1.0, random_state=0)


BUILTIN = {
    "breast_cancer": ("classification", lambda: skdatasets.load_breast_cancer(return_X_y=True)),
    "wine": ("classification", lambda: skdatasets.load_wine(return_X_y=True)),
    "iris": ("classification", lambda: skdatasets.load_iris(return_X_y=True)),
    "digits": ("classification", lambda: skdatasets.load_digits(return_X_y=True)),
    "diabetes": ("regression", lambda: skdatasets.load_diabetes(return_X_y=True)),
    "friedman1": ("regression", _friedman1),
}
"""name -> (task, loader). All ship with scikit-learn (friedman1 is its seeded generator, 500 rows)."""


def builtin(name):
    task, load = BUILTIN[name]
    X, y = load()
    return Dataset(name, task, np.asarray(X, dtype=np.float64), np.asarray(y))


def _is_missing(cell):
    return cell.strip().lower() in MISSING


def _number(cell):
    try:
        return float(cell)
    except ValueError:
        return None


def _check_finite(path, column, cells):
    for row, cell in enumerate(cells, start=1):
        n = _number(cell)
        if n is not None and not np.isfinite(n):
            raise UsageError(f"--csv: {path}: column '{column}' holds {cell.strip()!r} in data row {row}; "
                             "only finite numbers (or an empty cell for a missing value) are allowed")


def _read_rows(path):
    path = Path(path)
    if not path.exists():
        raise UsageError(f"--csv: no such file: {path}")
    if not path.is_file():
        raise UsageError(f"--csv: {path} is not a file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"--csv: {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from None
    if not text.strip():
        raise UsageError(f"--csv: {path} is empty")
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise UsageError(f"--csv: {path} does not parse as CSV: line {reader.line_num}: {exc}") from None
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if not body:
        raise UsageError(f"--csv: {path} has a header but no data rows")
    for i, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise UsageError(f"--csv: {path} does not parse as CSV: data row {i - 1} has {len(row)} fields, "
                             f"the header has {len(header)}")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise UsageError(f"--csv: {path}: column name(s) {', '.join(map(repr, dupes))} appear more than once")
    return header, body


def _target(name, values, task):
    """Labels or numbers from the target column's cells, and the task with the reason it was chosen."""
    numbers = [_number(v) for v in values]
    numeric = all(n is not None for n in numbers)
    if task == "regression" and not numeric:
        bad = next(v for v, n in zip(values, numbers) if n is None)
        raise UsageError(f"--task regression: target '{name}' is not numeric (e.g. {bad!r})")
    if task == "auto":
        distinct = set(numbers) if numeric else set(values)
        if not numeric:
            task, why = "classification", f"target '{name}' is not numeric"
        elif all(n == int(n) for n in numbers) and len(distinct) <= MAX_CLASSES_AUTO:
            task, why = "classification", f"target '{name}' has {len(distinct)} integer values"
        else:
            task, why = "regression", f"target '{name}' is numeric"
        other = "regression" if task == "classification" else "classification"
        note = f"task: {task} ({why}; --task {other} to override)"
    else:
        note = None
    if task == "regression":
        return np.array(numbers, dtype=np.float64), task, note
    if numeric and all(n == int(n) for n in numbers):
        return np.array([int(n) for n in numbers]), task, note
    return np.array([v.strip() for v in values]), task, note


def read_csv(path, target, task="auto"):
    """Read ``path`` into a :class:`Dataset`; every problem is a one-line ``UsageError``."""
    header, body = _read_rows(path)
    name = Path(path).name
    if target not in header:
        raise UsageError(f"--target '{target}' is not a column of {path}; its columns are: "
                         + ", ".join(header))
    if len(header) < 2:
        raise UsageError(f"--csv: {path} has no feature columns besides the target '{target}'")
    t = header.index(target)
    for i, column in enumerate(header):
        _check_finite(path, column, [row[i] for row in body])
    notes = []
    kept = [row for row in body if not _is_missing(row[t])]
    if len(kept) < len(body):
        notes.append(f"dropped {len(body) - len(kept)} row(s) whose target '{target}' is missing")
    if not kept:
        raise UsageError(f"--csv: {path}: the target '{target}' is missing in every row")
    y, task, note = _target(target, [row[t] for row in kept], task)
    if note:
        notes.insert(0, note)
    empty = [i for i in range(len(header)) if i != t and all(_is_missing(row[i]) for row in kept)]
    if empty:
        notes.append(f"column(s) {', '.join(repr(header[i]) for i in empty)} have no values: left out")
    features = [i for i in range(len(header)) if i != t and i not in empty]
    if not features:
        raise UsageError(f"--csv: {path}: every feature column is empty")
    columns = [header[i] for i in features]
    X = np.empty((len(kept), len(features)), dtype=object)
    categorical, n_missing, missing_cols = [], 0, []
    for j, i in enumerate(features):
        cells = [row[i] for row in kept]
        gaps = [_is_missing(c) for c in cells]
        numbers = [None if g else _number(c) for c, g in zip(cells, gaps)]
        if all(n is not None for n, g in zip(numbers, gaps) if not g):
            X[:, j] = [np.nan if g else n for n, g in zip(numbers, gaps)]
        else:
            categorical.append(j)
            X[:, j] = [np.nan if g else c.strip() for c, g in zip(cells, gaps)]
        if any(gaps):
            n_missing += sum(gaps)
            missing_cols.append(columns[j])
    if categorical:
        notes.append(f"column(s) {', '.join(repr(columns[j]) for j in categorical)} are not numeric: "
                     "one-hot encoded inside each fold")
    if n_missing:
        notes.append(f"{n_missing} missing value(s) in column(s) {', '.join(map(repr, missing_cols))}: "
                     "imputed inside each fold (median for numbers, most frequent for categories)")
    if not categorical:
        X = X.astype(np.float64)
    return Dataset(name, task, X, y, columns, categorical, bool(n_missing), notes)


def check_folds(data, folds):
    """Enough rows (and, for classification, at least two classes each in every fold) for ``folds``."""
    n = len(data.y)
    if n < folds:
        raise UsageError(f"data set '{data.name}' has {n} rows, fewer than --folds {folds}")
    if data.task != "classification":
        return
    classes, counts = np.unique(data.y, return_counts=True)
    classes = classes.tolist()
    if len(classes) < 2:
        raise UsageError(f"data set '{data.name}' has a single class ({classes[0]!r}) in its target; "
                         "classification needs at least two")
    rare = int(counts.argmin())
    if counts[rare] < folds:
        raise UsageError(f"data set '{data.name}': class {classes[rare]!r} has {counts[rare]} row(s), fewer than "
                         f"--folds {folds}; stratified folds need every class in every fold "
                         "(lower --folds or drop the class)")


def preprocessor(data):
    """The steps before the model, fitted inside each fold: ``[(name, transformer), ...]``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if not data.categorical:
        impute = [("impute", SimpleImputer(strategy="median"))] if data.missing else []
        return impute + [("scale", StandardScaler())]
    numeric = [j for j in range(data.X.shape[1]) if j not in data.categorical]
    return [("encode", ColumnTransformer([
        ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
        ("categorical", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                                  ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]),
         data.categorical)]))]
