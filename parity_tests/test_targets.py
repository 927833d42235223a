"""Class-index targets outside ``[0, C)``: torch rejects them, and scratch must too, with a message that
names the bad target, for every integer dtype (the range check reads signed targets as unsigned), with and
without an ignore_index among the classes."""
import numpy as np
import pytest
import torch

import scratch

DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64]


def torch_rejects(loss, x, t):
    with pytest.raises((IndexError, RuntimeError)):
        fn = getattr(torch.nn, loss)()
        fn(torch.from_numpy(x), torch.from_numpy(t.astype(np.int64)))


@pytest.mark.parametrize("loss", ["CrossEntropyLoss", "NLLLoss"])
@pytest.mark.parametrize("dtype, bad", [(d, b) for d in DTYPES for b in (-1, 3, 127)
                                        if b >= 0 or np.dtype(d).kind == "i"])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_target_out_of_range(loss, dtype, bad, ignore_index):
    x = np.zeros((4, 3))
    t = np.array([0, 2, bad, 1]).astype(dtype)
    torch_rejects(loss, x, t)
    with pytest.raises(ValueError, match=rf"target {bad} is out of range for 3 classes"):
        getattr(scratch, loss)(ignore_index=ignore_index)(x, t)


@pytest.mark.parametrize("loss", ["CrossEntropyLoss", "NLLLoss"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_targets_in_range_pass(loss, dtype):
    x = np.log(np.full((4, 3), 1 / 3))
    t = np.array([0, 2, 2, 1]).astype(dtype)
    assert getattr(scratch, loss)()(x, t) == pytest.approx(np.log(3))
