"""``--backend dask --scheduler ADDRESS``: a folder of submissions verified on a dask.distributed cluster
gives the same reports as ``--jobs 2`` on this machine."""
import csv

import pytest

from scripts.cli import main

from .test_pytest_impl import WRONG_RELU
from .test_verify import FIXTURES

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install "
                                                        "'twinnet[cluster]')")

ONLY = "ReLU,Sigmoid,MSELoss"


def _summary(folder):
    with open(folder / "summary.csv", newline="") as f:
        return {row["submission"]: {k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)}


def _statuses(folder, name):
    import json
    report = json.loads((folder / f"{name}.json").read_text())
    return [(r["component"], r["kind"], r["dtype"], r["status"]) for r in report["checks"]]


@pytest.fixture
def submissions(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "good.py").write_text((FIXTURES / "correct" / "classes.py").read_text())
    (folder / "kink.py").write_text(WRONG_RELU)
    return folder


def test_verify_on_a_local_cluster_matches_jobs_2(tmp_path, submissions, capsys):
    local, remote = tmp_path / "local", tmp_path / "cluster"
    assert main(["verify", str(submissions), "--only", ONLY, "--jobs", "2", "--out", str(local)]) == 1
    # two single-threaded workers, so joblib does not fall back to running in this process
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) \
            as cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as tasks:
            status = main(["verify", str(submissions), "--only", ONLY, "--backend", "dask",
                           "--scheduler", cluster.scheduler_address, "--out", str(remote)])
    assert status == 1
    assert len(tasks.data) >= 1  # the work did go through the cluster's workers
    assert _summary(remote) == _summary(local)
    for name in ("good.py", "kink.py"):
        assert _statuses(remote, name) == _statuses(local, name)
    assert _summary(local)["good.py"]["failed"] == "0" and _summary(local)["kink.py"]["failed"] == "1"


def test_dask_backend_needs_a_scheduler(submissions, capsys):
    assert main(["verify", str(submissions), "--only", "ReLU", "--backend", "dask", "--out", "x"]) == 2
    assert "--scheduler" in capsys.readouterr().err


def test_scheduler_without_dask_backend_is_refused(submissions, capsys):
    assert main(["verify", str(submissions), "--only", "ReLU", "--scheduler", "tcp://127.0.0.1:1", "--out", "x"]) == 2
    assert "--backend dask" in capsys.readouterr().err


def test_baseline_on_a_local_cluster_matches_jobs_2(tmp_path, capsys):
    import json
    args = ["baseline", "--dataset", "iris", "--quick", "--models", "scratch-mlp", "logisticregression"]
    assert main([*args, "--jobs", "2", "--json", str(tmp_path / "local.json")]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) \
            as cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as tasks:
            assert main([*args, "--backend", "dask", "--scheduler", cluster.scheduler_address,
                         "--json", str(tmp_path / "cluster.json")]) == 0
    assert len(tasks.data) >= 1

    def folds(name):
        rows = json.loads((tmp_path / name).read_text())["rows"]
        return sorted((r["model"], r["fold"], tuple(sorted(r["metrics"].items()))) for r in rows)
    assert folds("cluster.json") == folds("local.json")
