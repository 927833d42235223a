"""``forward`` of a classifier's ``predict_proba``: an MLP (Linear, activation, ..., Linear) with the
case's weights in eval mode, then the softmax. The same array is judged against torch ('proba') and
against scikit-learn's ``MLPClassifier`` with the same weights ('proba.sklearn')."""
import numpy as np

from ._base import Kind
from ._calls import lookup, unchanged

SKLEARN_ACTIVATIONS = {"Identity": "identity", "Sigmoid": "logistic", "Tanh": "tanh", "ReLU": "relu"}


def implementation(impl, spec, case):
    sizes = case["sizes"]
    layers = [lookup(impl, "Linear")(sizes[0], sizes[1], dtype=case["X"].dtype)]
    for n_in, n_out in zip(sizes[1:-1], sizes[2:]):
        layers += [lookup(impl, case["activation"])(), lookup(impl, "Linear")(n_in, n_out, dtype=case["X"].dtype)]
    model = lookup(impl, "Sequential")(*layers)
    model.load_state_dict({k: np.array(v, copy=True) for k, v in case["state"].items()})
    model.eval()
    X = np.array(case["X"], copy=True)
    proba = lookup(impl, "Softmax")(dim=-1)(model(X))
    unchanged(X, case["X"], "forward")
    return {"proba": proba, "proba.sklearn": proba}


def _sklearn(case):
    """scikit-learn's ``MLPClassifier.predict_proba`` with the case's weights (``coefs_`` are ``W.T``).

    With two classes sklearn has one logistic output unit; ``sigmoid(z1 - z0)`` equals ``softmax(z)[1]``,
    so its weights are the difference of the two rows.
    """
    from sklearn.neural_network import MLPClassifier

    sizes, state, X = case["sizes"], case["state"], case["X"]
    n = len(sizes) - 1
    weights = [state[f"{2 * i}.weight"] for i in range(n)]
    biases = [state[f"{2 * i}.bias"] for i in range(n)]
    if sizes[-1] == 2:
        weights[-1], biases[-1] = weights[-1][1:] - weights[-1][:1], biases[-1][1:] - biases[-1][:1]
    classes = np.arange(sizes[-1])
    clf = MLPClassifier(hidden_layer_sizes=sizes[1:-1], activation=SKLEARN_ACTIVATIONS[case["activation"]])
    clf.partial_fit(np.zeros((len(classes), sizes[0]), dtype=X.dtype), classes, classes=classes)
    clf.coefs_ = [np.array(W.T) for W in weights]
    clf.intercepts_ = [np.array(b) for b in biases]
    return clf.predict_proba(np.array(X, copy=True))


def before(spec, case, dtype, rng):
    import torch

    import reference

    from ._torch import tensor
    sizes = case["sizes"]
    layers = [reference.torch_module("Linear", {"in_features": sizes[0], "out_features": sizes[1]}, dtype)]
    for n_in, n_out in zip(sizes[1:-1], sizes[2:]):
        layers += [reference.torch_module(case["activation"], {}),
                   reference.torch_module("Linear", {"in_features": n_in, "out_features": n_out}, dtype)]
    model = torch.nn.Sequential(*layers).eval()
    reference.load_into_torch(model, case["state"])
    with torch.no_grad():
        proba = torch.softmax(model(tensor(case["X"])), dim=-1).numpy()
    return {"proba": proba, "proba.sklearn": _sklearn(case)}


PREDICT_PROBA = Kind("predict_proba", "forward", implementation, before)
