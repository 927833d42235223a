"""scikit-learn estimators for both twins: ``ScratchMLPClassifier``, ``TorchMLPClassifier``,
``ScratchMLPRegressor`` and ``TorchMLPRegressor``.

The four share one training loop. ``fit`` seeds a ``numpy.random.Generator`` from ``random_state``
and builds the network in scratch from it (``scratch.Linear``'s torch-style initialisation); the
torch estimators copy that network with ``reference.to_torch``, so both twins start from identical
weights. The same Generator then shuffles every epoch, so both see identical mini-batches. Only
the step differs: scratch's forward, backward and optimizer, or torch's autograd and ``torch.optim``.
In float64 the two therefore make the same predictions up to round-off.

The objective is scikit-learn's ``MLPClassifier`` / ``MLPRegressor``'s, so hyperparameters mean the
same there and here: cross-entropy on softmax outputs (or half the mean squared error), plus
``alpha / (2 n_batch) * sum ||W||^2`` over the weights (biases are not penalised). Training runs
exactly ``max_iter`` epochs unless ``early_stopping`` is set; then, as ``MLPClassifier``, it holds out
``validation_fraction`` of the rows and stops on the validation score (both twins score alike, so they
stop at the same epoch).
"""
from numbers import Integral, Real

import copy

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

import scratch

from .twin import to_torch

__all__ = ["ScratchMLPClassifier", "ScratchMLPRegressor", "TorchMLPClassifier", "TorchMLPRegressor"]

ACTIVATIONS = {"identity": "Identity", "logistic": "Sigmoid", "tanh": "Tanh", "relu": "ReLU"}
"""scikit-learn's activation names -> the class of the same name in scratch and in ``torch.nn``."""

OPTIMIZERS = {"sgd": ("SGD", ("lr", "momentum")), "adam": ("Adam", ("lr",))}
"""optimizer name -> (class in scratch and in ``torch.optim``, the estimator arguments it takes)."""

_PARAMS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Width of each hidden layer; ``()`` gives a linear model.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Hidden-layer activation, by scikit-learn's names: ``Identity``, ``Sigmoid``, ``Tanh``, ``ReLU``.
    optimizer : {'sgd', 'adam'}, default='adam'
        ``SGD(lr, momentum)`` or ``Adam(lr)`` with torch's other defaults.
    lr : float, default=1e-3
        Learning rate (``MLPClassifier``'s ``learning_rate_init``).
    momentum : float, default=0.9
        SGD's momentum (plain, not Nesterov); unused by Adam.
    batch_size : int or 'auto', default='auto'
        Rows per mini-batch; 'auto' is ``min(200, n_samples)``, larger values are clipped to n_samples.
    max_iter : int, default=200
        Epochs ``fit`` runs; ``partial_fit`` runs one.
    alpha : float, default=1e-4
        L2 penalty ``alpha / (2 n_batch) * sum ||W||^2`` on the weights, as ``MLPClassifier``'s.
    shuffle : bool, default=True
        Reshuffle the rows every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the Generator behind the initial weights and the shuffling. Equal values give the
        scratch and torch estimators identical weights and batches.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (stratified for a classifier, split by
        ``train_test_split`` seeded from the Generator) and stop when the validation score (accuracy,
        or R^2) has not risen by at least ``tol`` for more than ``n_iter_no_change`` epochs; the
        weights of the best epoch are restored, as ``MLPClassifier``'s. ``partial_fit`` ignores it.
    validation_fraction : float, default=0.1
        Fraction of the rows held out by ``early_stopping``.
    n_iter_no_change : int, default=10
        Epochs without improvement by ``tol`` tolerated before stopping (``MLPClassifier``'s rule:
        the count must exceed it).
    tol : float, default=1e-4
        Least rise of the validation score that counts. Unlike ``MLPClassifier``, without
        ``early_stopping`` the training loss does not stop training: ``max_iter`` epochs are run.
"""

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    network_ : {network}
        The trained network; its ``state_dict`` keys are ``0.weight``, ``0.bias``, ``2.weight``, ...
    optimizer_ : {optimizer}
    loss_curve_ : list of float
        The objective averaged over each epoch's batches (penalty included).
    loss_ : float
        The last entry of ``loss_curve_``.
    n_iter_ : int
        Epochs run so far; ``t_`` counts optimizer steps.
    validation_scores_ : list of float or None
        The validation score after each epoch with ``early_stopping``, else None;
        ``best_validation_score_`` is its maximum (None without ``early_stopping``).
    n_features_in_ : int
"""


def _doc(summary, twin, extra):
    network, optimizer = {"scratch": ("scratch.Sequential", "scratch.SGD or scratch.Adam"),
                          "torch": ("torch.nn.Sequential", "torch.optim.SGD or torch.optim.Adam")}[twin]
    return (summary + "\n" + _PARAMS_DOC
            + _ATTRIBUTES_DOC.format(network=network, optimizer=optimizer) + extra)


def _generator(random_state):
    """A numpy Generator: seeded by an int directly, else by one draw from ``check_random_state``."""
    if isinstance(random_state, Integral):
        return np.random.default_rng(int(random_state))
    return np.random.default_rng(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _scratch_class(name, what):
    cls = getattr(scratch, name, None)
    if cls is None:
        raise ValueError(f"{what} needs scratch.{name}, which this scratch does not define")
    return cls


class _MLP(BaseEstimator):
    """The training loop both twins share; a twin supplies ``_build``, ``_step`` and ``_forward``."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, optimizer="adam", lr=1e-3,
                 momentum=0.9, batch_size="auto", max_iter=200, alpha=1e-4, shuffle=True, random_state=None,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, tol=1e-4):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.alpha = alpha
        self.shuffle = shuffle
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not all(isinstance(s, Integral) and s >= 1 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must hold positive ints, got {self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _start(self, n_outputs):
        """Fresh weights from a fresh Generator, and the twin's network and optimizer built on them."""
        self._rng = _generator(self.random_state)
        sizes = [self.n_features_in_, *self._hidden_sizes(), n_outputs]
        activation = _scratch_class(ACTIVATIONS[self.activation], f"activation={self.activation!r}")
        layers = [scratch.Linear(sizes[0], sizes[1], rng=self._rng)]
        for n_in, n_out in zip(sizes[1:-1], sizes[2:]):
            layers += [activation(), scratch.Linear(n_in, n_out, rng=self._rng)]
        name, args = OPTIMIZERS[self.optimizer]
        _scratch_class(name, f"optimizer={self.optimizer!r}")
        self._build(scratch.Sequential(*layers), name, {a: getattr(self, a) for a in args})
        self.loss_curve_, self.n_iter_, self.t_ = [], 0, 0
        self.validation_scores_ = self.best_validation_score_ = None

    def _fit_epochs(self, X, y, stratify):
        """``fit``'s epochs: all ``max_iter``, or with ``early_stopping`` until the validation score stalls."""
        if not self.early_stopping:
            return self._epochs(X, y, self.max_iter)
        seed = int(self._rng.integers(np.iinfo(np.int32).max))
        X, X_val, y, y_val = train_test_split(X, y, test_size=self.validation_fraction, random_state=seed,
                                              stratify=y if stratify else None)
        self.validation_scores_, self.best_validation_score_ = [], -np.inf
        best, misses = None, 0
        for _ in range(self.max_iter):
            self._epochs(X, y, 1)
            score = self._validation_score(X_val, y_val)
            self.validation_scores_.append(score)
            misses = misses + 1 if score < self.best_validation_score_ + self.tol else 0
            if score > self.best_validation_score_:
                self.best_validation_score_, best = score, copy.deepcopy(self.network_.state_dict())
            if misses > self.n_iter_no_change:
                break
        if best is not None:
            self.network_.load_state_dict(best)
        return self

    def _epochs(self, X, y, epochs):
        n = len(X)
        batch = min(200 if self.batch_size == "auto" else self.batch_size, n)
        for _ in range(epochs):
            order = self._rng.permutation(n) if self.shuffle else np.arange(n)
            total = 0.0
            for start in range(0, n, batch):
                rows = order[start:start + batch]
                total += self._step(X[rows], y[rows]) * len(rows)
                self.t_ += 1
            self.loss_curve_.append(total / n)
            self.n_iter_ += 1
            if not np.isfinite(self.loss_curve_[-1]):
                raise ValueError(f"{type(self).__name__}: the loss became {self.loss_curve_[-1]} after epoch "
                                 f"{self.n_iter_}; scale the features (StandardScaler) or lower lr")
        self.loss_ = self.loss_curve_[-1]
        return self

    def _penalty(self, weights, n):
        """``alpha / (2 n) * sum ||W||^2`` and the factor ``alpha / n`` of its gradient ``alpha / n * W``."""
        decay = self.alpha / n
        return 0.5 * decay * sum(float((W * W).sum()) for W in weights), decay


class _Scratch:
    """The scratch twin: ``scratch.Sequential``, ``scratch.<Loss>`` and ``scratch.<Optimizer>``."""

    def _build(self, network, optimizer, kwargs):
        self.network_ = network
        self.optimizer_ = getattr(scratch, optimizer)(network.parameters(), **kwargs)

    def _step(self, X, y):
        loss_fn = getattr(scratch, self._loss)()
        weights = [p for name, p in self.network_.named_parameters() if name.endswith("weight")]
        penalty, decay = self._penalty([W.data for W in weights], len(X))
        self.optimizer_.zero_grad()
        loss = loss_fn(self.network_(X), y)
        self.network_.backward(loss_fn.backward(self._loss_scale))
        for W in weights:
            W.accumulate(decay * W.data)
        self.optimizer_.step()
        return self._loss_scale * float(loss) + penalty

    def _forward(self, X, proba=False):
        out = self.network_.eval()(np.asarray(X))
        self.network_.train()
        return scratch.Softmax(dim=-1)(out) if proba else out


class _Torch:
    """The torch twin: ``reference.to_torch`` of the scratch network, autograd and ``torch.optim``."""

    def _build(self, network, optimizer, kwargs):
        self.network_ = to_torch(network)
        self.optimizer_ = getattr(torch.optim, optimizer)(self.network_.parameters(), **kwargs)

    def _step(self, X, y):
        loss_fn = getattr(torch.nn, self._loss)()
        weights = [p for name, p in self.network_.named_parameters() if name.endswith("weight")]
        penalty, decay = self._penalty([W.detach().numpy() for W in weights], len(X))
        self.optimizer_.zero_grad()
        loss = loss_fn(self.network_(torch.from_numpy(X)), torch.from_numpy(y))
        loss.backward(torch.tensor(self._loss_scale, dtype=loss.dtype))
        with torch.no_grad():
            for W in weights:
                W.grad += decay * W
        self.optimizer_.step()
        return self._loss_scale * loss.item() + penalty

    def _forward(self, X, proba=False):
        with torch.no_grad():
            out = self.network_.eval()(torch.tensor(X))
            self.network_.train()
            return (torch.softmax(out, dim=-1) if proba else out).numpy()


class _Classifier(ClassifierMixin, _MLP):
    _loss, _loss_scale = "CrossEntropyLoss", 1.0

    def fit(self, X, y):
        """Train for ``max_iter`` epochs from fresh weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (any sortable type); at least two classes.

        Returns
        -------
        self
        """
        self._validate_params()
        X, y = self._data(X, y, reset=True)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                             f"but the data contain only one class: {self.classes_[0]!r}")
        self._start(len(self.classes_))
        return self._fit_epochs(X, np.searchsorted(self.classes_, y), stratify=True)

    def partial_fit(self, X, y, classes=None):
        """One epoch over ``X``; the first call builds the network and needs ``classes``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class that will ever appear; required on the first call, as in ``MLPClassifier``.

        Returns
        -------
        self
        """
        first = not hasattr(self, "classes_")
        if first:
            self._validate_params()
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            classes = np.unique(classes)
            if len(classes) < 2:
                raise ValueError(f"classes must hold at least 2 classes, got {classes!r}")
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={classes!r} is not the same as on the first call to partial_fit, "
                             f"which gave {self.classes_!r}")
        X, y = self._data(X, y, reset=first)
        known = self.classes_ if not first else classes
        unknown = np.setdiff1d(y, known)
        if unknown.size:
            raise ValueError(f"y holds labels {unknown!r} that are not in classes {known!r}")
        if first:
            self.classes_ = classes
            self._start(len(classes))
        return self._epochs(X, np.searchsorted(self.classes_, y), 1)

    def _data(self, X, y, reset):
        X, y = validate_data(self, X, y, dtype=np.float64, reset=reset)
        check_classification_targets(y)
        return X, y

    def _validation_score(self, X, y):
        """Accuracy on class indices ``y``, as ``MLPClassifier``'s early stopping scores."""
        return float(np.mean(np.argmax(self._forward(X), axis=1) == y))

    def predict_proba(self, X):
        """Class probabilities, the softmax of the network's outputs: ``(n_samples, n_classes)``."""
        check_is_fitted(self)
        return self._forward(validate_data(self, X, dtype=np.float64, reset=False), proba=True)

    def predict(self, X):
        """The most probable class of each row: ``(n_samples,)``, labels as given to ``fit``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class _Regressor(RegressorMixin, _MLP):
    _loss, _loss_scale = "MSELoss", 0.5

    def fit(self, X, y):
        """Train for ``max_iter`` epochs from fresh weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self
        """
        self._validate_params()
        X, y = self._data(X, y, reset=True)
        self._start(y.shape[1])
        return self._fit_epochs(X, y, stratify=False)

    def partial_fit(self, X, y):
        """One epoch over ``X``; the first call builds the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self
        """
        first = not hasattr(self, "network_")
        if first:
            self._validate_params()
        X, y = self._data(X, y, reset=first)
        if first:
            self._start(y.shape[1])
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} targets, but {type(self).__name__} was fitted with "
                             f"{self.n_outputs_}")
        return self._epochs(X, y, 1)

    def _data(self, X, y, reset):
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True, reset=reset)
        y = y.reshape(len(y), -1).astype(np.float64)
        if reset:
            self.n_outputs_ = y.shape[1]
        return X, y

    def _validation_score(self, X, y):
        """R^2 over all targets (their mean), as ``MLPRegressor``'s early stopping scores."""
        from sklearn.metrics import r2_score
        return float(r2_score(y, self._forward(X)))

    def predict(self, X):
        """Predicted targets: ``(n_samples,)`` for a single target, else ``(n_samples, n_targets)``."""
        check_is_fitted(self)
        out = self._forward(validate_data(self, X, dtype=np.float64, reset=False))
        return out.ravel() if out.shape[1] == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


_CLASSIFIER_EXTRA = "    classes_ : ndarray of shape (n_classes,)\n"
_REGRESSOR_EXTRA = "    n_outputs_ : int\n"


class ScratchMLPClassifier(_Scratch, _Classifier):
    __doc__ = _doc("A multi-layer perceptron classifier trained by scratch (NumPy only).\n\n"
                   "    Same results as ``TorchMLPClassifier`` with the same arguments, up to round-off.",
                   "scratch", _CLASSIFIER_EXTRA)


class TorchMLPClassifier(_Torch, _Classifier):
    __doc__ = _doc("A multi-layer perceptron classifier trained by torch, from scratch's initial weights.\n\n"
                   "    Same results as ``ScratchMLPClassifier`` with the same arguments, up to round-off.",
                   "torch", _CLASSIFIER_EXTRA)


class ScratchMLPRegressor(_Scratch, _Regressor):
    __doc__ = _doc("A multi-layer perceptron regressor trained by scratch (NumPy only).\n\n"
                   "    Same results as ``TorchMLPRegressor`` with the same arguments, up to round-off.",
                   "scratch", _REGRESSOR_EXTRA)


class TorchMLPRegressor(_Torch, _Regressor):
    __doc__ = _doc("A multi-layer perceptron regressor trained by torch, from scratch's initial weights.\n\n"
                   "    Same results as ``ScratchMLPRegressor`` with the same arguments, up to round-off.",
                   "torch", _REGRESSOR_EXTRA)
