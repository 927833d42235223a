"""``twinnet bench`` end to end on the smallest size with a few repeats: the JSON's shape, not timings
(the benchmark itself checks its targets)."""
import json
import time

import pytest

from scripts import bench
from scripts.cli import main


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(bench, "PEAK_SQUARES", (64,))
    monkeypatch.setattr(bench, "PRESETS", {k: {**v, "warmup_s": 0.0} for k, v in bench.PRESETS.items()})
    monkeypatch.setattr(bench, "COMPONENT_ROWS", {"quick": (8,), "full": (8,)})


def test_bench_json(fast, tmp_path, capfd):
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    assert main(["bench", "--quick", "--sizes", "tiny", "--repeats", "3", "--threads", "1",
                 "--json", str(out), "--plot", str(png)]) == 0
    printed = capfd.readouterr()
    assert "train_step" in printed.out and "parameters at the end" in printed.out
    assert "profiler" not in printed.out + printed.err and "CPUAllocator" not in printed.err
    report = json.loads(out.read_text())
    assert report["threads"] == 1 and report["device"] == "cpu"
    assert set(report["matmul_peak_gflops"]) == {"float32", "float64"}
    assert [(r["dtype"], r["phase"]) for r in report["rows"]] == [
        (d, p) for d in ("float32", "float64") for p in ("forward", "backward", "step", "train_step")]
    row = report["rows"][-1]
    assert {"size", "dtype", "phase", "scratch_s", "torch_s", "ratio", "scratch_gflops", "torch_gflops",
            "scratch_iqr_s", "torch_iqr_s", "scratch_peak_fraction", "torch_peak_fraction"} <= set(row)
    assert row["size"] == "b32-20x64x64x2" and row["scratch_s"] > 0 and row["torch_s"] > 0
    assert row["ratio"] == pytest.approx(row["scratch_s"] / row["torch_s"])
    step_row = report["rows"][2]
    assert step_row["phase"] == "step" and step_row["scratch_gflops"] is None
    peaks = {r["dtype"]: r["matmul_peak_gflops"] for r in report["runs"]}
    assert row["scratch_peak_fraction"] == pytest.approx(row["scratch_gflops"] / peaks[row["dtype"]])
    assert report["matmul_peak_gflops"] == peaks
    for run in report["runs"]:
        assert run["matmul_peak_gflops"] == max(run["matmul_gflops"].values()) > 0
        assert run["repeats"] == 3 and run["scratch_peak_mib"] > 0 and run["torch_peak_mib"] > 0
        assert run["param_max_rel_diff"] < (1e-3 if run["dtype"] == "float32" else 1e-10)
    assert [t["target"] for t in report["targets"]] == [
        "train_step ratio <= 1.0 at every MLP size", "train_step ratio <= 0.3 at the tiny size"]
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_bench_components(fast, tmp_path):
    out = tmp_path / "components.json"
    assert main(["bench", "--components", "--dtype", "float32", "--repeats", "2", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["components"]
    names = {r["component"] for r in rows}
    assert {"ReLU", "Softmax", "CrossEntropyLoss", "MSELoss"} <= names
    assert {r["phase"] for r in rows} == {"forward", "backward"}
    assert all(r["shape"][0] == 8 and r["scratch_s"] > 0 for r in rows)


def test_peak_is_the_best_before_or_after(fast, monkeypatch, tmp_path, capsys):
    """The matmul peak is timed before and after each size and dtype, and the larger kept per library:
    a machine that speeds up meanwhile must not show a step above its peak; a peak that moved warns."""
    timings = iter([{"numpy": 10.0, "torch": 20.0}, {"numpy": 30.0, "torch": 5.0}] * 2)
    monkeypatch.setattr(bench, "matmul_peak", lambda dtype, device, shapes: next(timings))
    out = tmp_path / "bench.json"
    assert main(["bench", "--sizes", "tiny", "--repeats", "1", "--threads", "1", "--json", str(out)]) == 0
    for run in json.loads(out.read_text())["runs"]:
        assert run["matmul_gflops"] == {"numpy": 30.0, "torch": 20.0} and run["matmul_peak_gflops"] == 30.0
        assert run["matmul_peak_drift"] == pytest.approx(0.5)
    assert capsys.readouterr().out.count("warning: the matmul peak moved by 50% across tiny") == 2


def test_sides_take_the_same_steps(monkeypatch):
    """A fast and a slow side are called equally often, warm-up included: models trained by the two
    take the same steps, so their parameters can be compared at the end of a run."""
    monkeypatch.setattr(bench, "IDLE_S", 0.0)
    monkeypatch.setattr(bench, "BLOCK_S", 0.004)
    calls = [0, 0]

    def side(i, seconds):
        def call():
            calls[i] += 1
            time.sleep(seconds)
            return (seconds,)
        return call

    samples = bench._interleaved([side(0, 0.0), side(1, 0.001)], warmup_s=0.05, budget_s=0.05, repeats=3)
    assert calls[0] == calls[1] >= 10
    assert [len(s) for s in samples] == [3, 3]


@pytest.mark.parametrize("argv, expected", [
    (["--device", "cuda"], "--device cuda"),
    (["--sizes", "huge"], "neither a named size"),
    (["--threads", "0"], "--threads must be at least 1"),
])
def test_bench_usage_errors(argv, expected, capsys):
    import torch
    if argv[:2] == ["--device", "cuda"] and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert main(["bench", *argv]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1
