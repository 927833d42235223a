"""``python -m pytest --pyargs parity_tests --impl FILE``: the parity suite against FILE, names it lacks skipped."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTIAL = ROOT / "parity_tests" / "fixtures" / "correct" / "partial.py"
WRONG_RELU = """import numpy as np


class ReLU:
    \"\"\"ReLU'(0) = 1, where torch takes 0.\"\"\"

    def __call__(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, grad_y):
        return grad_y * (self.x >= 0).astype(grad_y.dtype)
"""


def _pytest(tmp_path, *args):
    """pytest in a folder outside the source tree: the option comes from the installed ``pytest11`` entry point."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "parity_tests",
                           "-p", "no:cacheprovider", "-o", "addopts=",
                           "-v", "-rs", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_impl_partial_file_passes_what_it_defines_and_skips_the_rest(tmp_path):
    done = _pytest(tmp_path, "--impl", str(PARTIAL), "-k", "test_parity and (ReLU or Sigmoid)")
    assert done.returncode == 0, done.stdout + done.stderr
    passed = [line for line in done.stdout.splitlines()
              if "test_parity.py::test_parity[" in line and " PASSED" in line]
    assert len(passed) == 5, done.stdout  # ReLU: forward and backward in both dtypes, gradcheck in float64
    assert all("[ReLU-" in line for line in passed), passed
    assert "Sigmoid is not defined" in done.stdout


def test_impl_wrong_file_fails(tmp_path):
    wrong = tmp_path / "relu_kink.py"
    wrong.write_text(WRONG_RELU)
    done = _pytest(tmp_path, "--impl", str(wrong), "-k", "test_parity and ReLU-backward-float64")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED" in done.stdout and "ReLU-backward-float64" in done.stdout


def test_impl_missing_file_is_a_clear_stop(tmp_path):
    done = _pytest(tmp_path, "--impl", str(tmp_path / "nope.py"), "-k", "test_parity and ReLU-forward-float64")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "no such file" in done.stdout + done.stderr
