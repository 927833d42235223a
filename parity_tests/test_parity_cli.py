"""``twinnet parity`` end to end, and its answers to bad input."""
import json

import numpy as np
import pytest

import scratch
from scripts.cli import main


def test_parity_json(tmp_path, capsys):
    out = tmp_path / "sub" / "out.json"
    assert main(["parity", "--only", "ReLU-*", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report) == {"impl", "versions", "checks", "summary"}
    assert report["summary"]["passed"] == len(report["checks"]) >= 4
    first = report["checks"][0]
    assert set(first) == {"category", "component", "kind", "dtype", "status", "max_abs_err", "max_rel_err",
                          "atol", "rtol", "message"}
    assert "passed" in capsys.readouterr().out


def test_parity_exits_1_on_a_wrong_implementation(tmp_path, capsys):
    impl = tmp_path / "student.py"
    impl.write_text("import numpy as np\n"
                    "class ReLU:\n"
                    "    def __call__(self, x):\n"
                    "        self.x = x\n"
                    "        return np.maximum(x, 0)\n"
                    "    def backward(self, g):\n"
                    "        return g * (self.x >= 0)\n")
    assert main(["parity", "--impl", str(impl), "--only", "ReLU-*"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "special points" in out


@pytest.mark.parametrize("content, expected", [
    (None, "no such file"),
    ("def f(:\n", "syntax error"),
    ("x = 1\n", "defines none of the contract's names"),
    ("raise RuntimeError('boom')\n", "RuntimeError: boom"),
])
def test_parity_bad_impl_is_a_usage_error(tmp_path, capsys, content, expected):
    path = tmp_path / "impl.py"
    if content is not None:
        path.write_text(content)
    assert main(["parity", "--impl", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1


def test_parity_only_matching_nothing(capsys):
    assert main(["parity", "--only", "NoSuchThing"]) == 2
    assert "matches no check" in capsys.readouterr().err


def test_load_state_dict_names_a_missing_key():
    layer = scratch.Linear(3, 2)
    with pytest.raises(KeyError, match=r"missing keys \['bias'\]"):
        layer.load_state_dict({"weight": np.zeros((2, 3))})


def test_load_state_dict_names_a_wrong_shape_and_changes_nothing():
    layer = scratch.Linear(3, 2)
    before = layer.state_dict()
    with pytest.raises(ValueError, match=r"'weight' has shape \(3, 2\), expected \(2, 3\)"):
        layer.load_state_dict({"weight": np.zeros((3, 2)), "bias": np.ones(2)})
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize("shape", [(4, 2), (4, 3, 2), ()])
def test_linear_names_an_input_of_the_wrong_width(shape):
    with pytest.raises(ValueError, match=r"Linear: input of shape \(.*\) must end in in_features=3"):
        scratch.Linear(3, 2)(np.ones(shape))


@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 4, 3), (0, 3)])
def test_linear_folds_any_leading_shape_as_a_matrix_product(shape):
    layer = scratch.Linear(3, 2, rng=np.random.default_rng(0))
    x, grad_y = np.random.default_rng(1).standard_normal(shape), np.ones(shape[:-1] + (2,))
    np.testing.assert_allclose(layer(x), x @ layer.weight.data.T + layer.bias.data, rtol=1e-15)
    np.testing.assert_allclose(layer.backward(grad_y), grad_y @ layer.weight.data, rtol=1e-15)


def test_load_state_dict_keeps_dtype():
    layer = scratch.Linear(3, 2, dtype=np.float32)
    layer.load_state_dict({"weight": np.ones((2, 3)), "bias": np.ones(2)})
    assert layer.weight.data.dtype == np.float32 and layer.bias.data.dtype == np.float32
