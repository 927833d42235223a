"""The small things a newcomer meets first: --version, limits that are not numbers, a closed pipe,
file permissions, --jobs -1, warnings, plots, and progress on a terminal (under a pseudo-terminal)."""
import os
import pty
import select
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from scripts._common import write_json
from scripts.cli import main

from .test_verify import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
CORRECT = FIXTURES / "correct" / "classes.py"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("twinnet ") and len(out.split()) >= 2


@pytest.mark.parametrize("value", ["inf", "nan", "1e11", "0", "-1", "soon"])
def test_timeout_must_be_a_finite_positive_number(value, capsys):
    assert main(["verify", str(CORRECT), "--timeout", value]) == 2
    err = capsys.readouterr().err
    assert err.startswith("twinnet verify: error: --timeout must be") and repr(value) in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["verify", str(CORRECT)], ["baseline", "--dataset", "iris"]])
def test_jobs_zero_is_refused_by_both(command, capsys):
    assert main([*command, "--jobs", "0"]) == 2
    err = capsys.readouterr().err
    assert f"twinnet {command[0]}: error: --jobs must be a positive number" in err and "-1 for all cores" in err


def test_verify_accepts_jobs_minus_one(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("a.py", "b.py"):
        (folder / name).write_text(CORRECT.read_text())
    assert main(["verify", str(folder), "--only", "ReLU-forward", "--jobs", "-1", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "summary.csv").exists()


def test_a_closed_pipe_ends_quietly(tmp_path):
    """``twinnet verify ... | head``: the reader goes away before the report is written."""
    proc = subprocess.Popen([sys.executable, "-m", "scripts.cli", "verify", str(CORRECT), "--only", "ReLU-forward"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=tmp_path)
    proc.stdout.close()  # as head does once it has its lines
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "BrokenPipeError" not in err and "Traceback" not in err, err


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_json_reports_are_written_0644_under_the_umask(tmp_path, umask, mode):
    before = os.umask(umask)
    try:
        write_json(tmp_path / "r.json", {"a": 1})
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == mode


def test_baseline_on_a_small_csv_warns_nothing(tmp_path, capsys):
    import numpy as np
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=60) > 0).astype(int)
    lines = ["a,b,c,d,label"] + [",".join(f"{v:.4f}" for v in row) + f",{t}" for row, t in zip(X, y)]
    (tmp_path / "small.csv").write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(["baseline", "--csv", str(tmp_path / "small.csv"), "--target", "label", "--quick",
                       "--models", "scratch-mlp", "sklearn-mlp", "logisticregression"])
    assert status == 0
    assert [str(w.message) for w in caught] == []
    assert "fewer than the MLPs' batch_size" in capsys.readouterr().out


def test_bench_components_with_plot_is_a_usage_error(tmp_path, capsys):
    assert main(["bench", "--components", "--plot", str(tmp_path / "p.png")]) == 2
    assert "--components has no plot" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()


def test_bench_plot_labels_round_ratios_far_enough_apart(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    from scripts import bench
    rows = [{"size": "b32-20x64x64x2", "dtype": d, "phase": ph, "ratio": r}
            for d in ("float32", "float64") for ph, r in zip(bench.PHASES, (0.47, 0.24, 0.19, 0.27))]
    seen = {}

    def savefig(fig, path, **kw):
        for ax in fig.axes:
            ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
            seen[ax.get_title()] = (ticks, ax.yaxis.get_minor_locator(), ax.get_ylim())
    from matplotlib.figure import Figure
    original = Figure.savefig
    Figure.savefig = savefig
    try:
        bench.plot(tmp_path / "b.png", rows, [{"size": "b32-20x64x64x2", "name": "tiny"}], 2,
                   {"float32": 100.0, "float64": 50.0})
    finally:
        Figure.savefig = original
    import math
    for ticks, minor, (low, high) in seen.values():
        assert set(ticks) <= set(bench.NICE_RATIOS) and len(ticks) >= 3
        gaps = [math.log10(b / a) / math.log10(high / low) for a, b in zip(ticks, ticks[1:])]
        assert min(gaps) >= 0.08  # no two labels closer than a label's height
        assert minor.tick_values(low, high) == []


# -- progress on a terminal ----------------------------------------------------------------------

def _run_with_a_terminal_for_stderr(args, cwd):
    """Run ``twinnet ARGS`` with stderr on a pseudo-terminal and stdout on a pipe; (stdout, terminal's text)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "scripts.cli", *args], stdout=subprocess.PIPE, stderr=slave,
                            env={**ENV, "COLUMNS": "100"}, cwd=cwd)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode()
    proc.wait(timeout=120)
    os.close(master)
    return out, b"".join(chunks).decode(errors="replace")


def test_parity_shows_progress_on_a_terminal_only(tmp_path):
    args = ["parity", "--only", "ReLU-forward-*,Sigmoid-forward-*,Tanh-forward-*"]
    out, terminal = _run_with_a_terminal_for_stderr(args, tmp_path)
    assert "components left" in terminal and "\r" in terminal and "[3/3]" in terminal
    assert "components left" not in out  # the table on stdout stays clean
    quiet_out, quiet_terminal = _run_with_a_terminal_for_stderr([*args, "--quiet"], tmp_path)
    assert "components left" not in quiet_terminal
    piped = subprocess.run([sys.executable, "-m", "scripts.cli", *args], capture_output=True, text=True, env=ENV,
                           cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""  # nothing extra when stderr is not a terminal
    assert piped.stdout == out == quiet_out


def test_folder_verify_shows_what_is_left_on_a_terminal(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("a.py", "b.py", "c.py"):
        (folder / name).write_text(CORRECT.read_text())
    args = ["verify", str(folder), "--only", "ReLU-forward", "--out", str(tmp_path / "out")]
    _, terminal = _run_with_a_terminal_for_stderr(args, tmp_path)
    assert "submissions left" in terminal and "[1/3] a.py" in terminal
    piped = subprocess.run([sys.executable, "-m", "scripts.cli", *args], capture_output=True, text=True, env=ENV,
                           cwd=tmp_path)
    assert "left" not in piped.stderr and "[3/3] c.py" in piped.stderr  # the lines it always wrote, no more
    quiet = subprocess.run([sys.executable, "-m", "scripts.cli", *args, "--quiet"], capture_output=True, text=True,
                           env=ENV, cwd=tmp_path)
    assert quiet.stderr == ""
