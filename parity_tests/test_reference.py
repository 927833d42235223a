"""The torch twin: built from a scratch network and back, same weights, same printout, same outputs."""
import numpy as np
import pytest
import torch

import reference
import scratch


def network(dtype):
    rng = np.random.default_rng(0)
    return scratch.Sequential(
        scratch.Linear(6, 8, dtype=dtype, rng=rng), scratch.BatchNorm1d(8, momentum=None, dtype=dtype),
        scratch.LeakyReLU(0.2), scratch.LayerNorm(8, dtype=dtype), scratch.GELU(approximate="tanh"),
        scratch.Dropout(0.3), scratch.Linear(8, 3, bias=False, dtype=dtype, rng=rng), scratch.LogSoftmax(dim=1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_round_trip_keeps_weights_repr_and_outputs(dtype):
    net = network(dtype)
    net(np.random.default_rng(1).normal(size=(5, 6)).astype(dtype))
    twin = reference.to_torch(net)
    assert repr(twin) == repr(net)
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(twin.state_dict()[key].numpy(), value, err_msg=key)
        assert twin.state_dict()[key].numpy().dtype == value.dtype
    back = reference.from_torch(twin)
    assert repr(back) == repr(net)
    x = np.random.default_rng(2).normal(size=(4, 6)).astype(dtype)
    for m in (net, twin, back):
        m.eval()
    want = twin(torch.from_numpy(x)).detach().numpy()
    torch.testing.assert_close(net(x), want)
    np.testing.assert_array_equal(back(x), net(x))


def test_unknown_class_names_the_known_ones():
    with pytest.raises(KeyError, match="no torch twin for 'ReLU6'; known: .*BCELoss, BCEWithLogitsLoss, "):
        reference.torch_module("ReLU6", {})
