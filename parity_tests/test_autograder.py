"""``twinnet autograder``: the zip's files, and its ``run_autograder`` run end to end on a submission, as
Gradescope would run it (twinnet is already installed here, so setup.sh is read, not run)."""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts.autograder import unpack
from scripts.cli import main

from .test_verify import FIXTURES

ONLY = "ReLU,Sigmoid,MSELoss"


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course")
    (folder / "points.json").write_text(json.dumps({"ReLU": 2, "loss": 3}))
    out = folder / "autograder.zip"
    assert main(["autograder", "--out", str(out), "--points", str(folder / "points.json"), "--only", ONLY]) == 0
    return out


def _grade(zip_path, tmp_path, files):
    """Lay out /autograder as Gradescope does (source/, submission/, results/) and run run_autograder."""
    root = tmp_path / "autograder"
    unpack(zip_path, root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    bindir = Path(sys.executable).parent
    twinnet = bindir / "twinnet"
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    if not twinnet.exists():  # no console script: the same command through the interpreter
        wrapper = tmp_path / "twinnet"
        wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m scripts.cli \"$@\"\n")
        wrapper.chmod(0o755)
        twinnet = wrapper
    env["TWINNET"] = str(twinnet)
    done = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text()), done


def test_zip_holds_setup_run_settings_and_a_wheel(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = archive.namelist()
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        points = json.loads(archive.read("points.json"))
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
    wheel = [n for n in names if n.endswith(".whl")]
    assert len(wheel) == 1 and wheel[0].startswith("twinnet-")
    assert {"setup.sh", "run_autograder", "constraints.txt", "points.json"} <= set(names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert points == {"ReLU": 2, "loss": 3}
    assert "python3-venv" in setup and "--index-url https://download.pytorch.org/whl/cpu" in setup
    assert wheel[0] in setup and "constraints.txt" in setup
    assert "--gradescope" in run and "--only ReLU,Sigmoid,MSELoss" in run
    subprocess.run(["bash", "-n", "-c", setup], check=True)
    subprocess.run(["bash", "-n", "-c", run], check=True)


def test_run_autograder_grades_a_correct_submission(autograder_zip, tmp_path):
    results, _ = _grade(autograder_zip, tmp_path, {"classes.py": (FIXTURES / "correct" / "classes.py").read_text()})
    tests = {t["name"]: t for t in results["tests"]}
    # ReLU 2 points and MSELoss a loss's 3 (points.json), Sigmoid an activation's 1; all passed
    assert results["score"] == pytest.approx(6.0)
    assert set(tests) == {"ReLU (activation)", "Sigmoid (activation)", "MSELoss (loss)"}
    assert tests["ReLU (activation)"]["max_score"] == 2 and tests["MSELoss (loss)"]["max_score"] == 3
    assert all(t["status"] == "passed" for t in tests.values())


def test_run_autograder_grades_a_notebook(autograder_zip, tmp_path):
    # a self-contained ReLU whose derivative at 0 is 1 (torch's is 0)
    code = ("import numpy as np\n\n"
            "class ReLU:\n"
            "    def __call__(self, x):\n        return self.forward(x)\n"
            "    def forward(self, x):\n        self.x = x\n        return np.maximum(x, 0)\n"
            "    def backward(self, grad):\n        return grad * (self.x >= 0)\n")
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# My ReLU"]},
                          {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
                           "source": ["%matplotlib inline\n", code]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    results, _ = _grade(autograder_zip, tmp_path, {"work.ipynb": json.dumps(notebook)})
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["ReLU (activation)"]["status"] == "failed"
    assert 0 < results["score"] < 6.0


def test_run_autograder_says_why_when_nothing_can_be_graded(autograder_zip, tmp_path):
    results, _ = _grade(autograder_zip, tmp_path, {"notes.txt": "hello"})
    assert results["score"] == 0 and results["tests"] == []
    assert "could not be graded" in results["output"] and "notes.txt" in results["output"]


def test_autograder_refuses_a_setting_verify_does_not_have(tmp_path, capsys):
    from scripts.autograder import _verify_options
    if "--allow-import" in _verify_options():
        pytest.skip("this verify has --allow-import")
    assert main(["autograder", "--out", str(tmp_path / "a.zip"), "--allow-import", "scipy"]) == 2
    assert "--allow-import" in capsys.readouterr().err
    assert not (tmp_path / "a.zip").exists()


def test_autograder_refuses_a_style_verify_would_refuse(tmp_path, capsys):
    assert main(["autograder", "--out", str(tmp_path / "a.zip"), "--style", "no-such-style"]) == 2
    assert "--style 'no-such-style'" in capsys.readouterr().err
    assert not (tmp_path / "a.zip").exists()


def test_autograder_passes_the_style_and_carries_the_adapter(tmp_path, capsys):
    from scripts.autograder import _verify_options
    styles = _verify_options().get("--style")
    if not styles:
        pytest.skip("this verify has no --style")
    style = sorted(styles)[0]
    adapter = tmp_path / "my_adapter.py"
    adapter.write_text("# an instructor's style file\n")
    wheel = tmp_path / "twinnet-0.1.0-py3-none-any.whl"  # a stand-in: building one is tested above
    wheel.write_bytes(b"PK")
    out = tmp_path / "a.zip"
    assert main(["autograder", "--out", str(out), "--style", style, "--adapter", str(adapter),
                 "--wheel", str(wheel)]) == 0
    with zipfile.ZipFile(out) as archive:
        run = archive.read("run_autograder").decode()
        assert archive.read("adapter.py").decode() == "# an instructor's style file\n"
    assert f"settings=(--style {style})" in run and '--adapter "$SOURCE/adapter.py"' in run
