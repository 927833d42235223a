"""``--backend dask --scheduler ADDRESS``: the folder runs of ``twinnet verify`` and ``twinnet baseline`` on a cluster.

The work goes through joblib, so a cluster is only joblib's Dask backend
(``joblib.parallel_config(backend="dask")``) with a ``distributed.Client`` connected to the scheduler.
dask.distributed is an optional extra: ``pip install -c constraints.txt "twinnet[cluster]"``.
Every worker needs the same environment as the machine that submits (twinnet and the same numpy,
torch, scikit-learn, joblib and distributed versions) and, for ``verify``, the submissions at the same
paths (a shared file system): a worker opens each submission itself, in its own sandbox.
"""
from contextlib import contextmanager

from ._common import UsageError

BACKENDS = ["loky", "dask"]


def add_arguments(p):
    p.add_argument("--backend", choices=BACKENDS, default="loky",
                   help="where --jobs' parallel work runs: loky (processes on this machine, the default) or dask "
                        "(a dask.distributed cluster; needs --scheduler and twinnet[cluster])")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --backend dask: the scheduler's address, e.g. tcp://10.0.0.5:8786")


@contextmanager
def backend(args):
    """The joblib backend that ``args`` ask for, active for the duration (nothing changes for loky)."""
    name, address = getattr(args, "backend", "loky"), getattr(args, "scheduler", None)
    if name != "dask":
        if address:
            raise UsageError("--scheduler goes with --backend dask")
        yield None
        return
    if not address:
        raise UsageError("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    try:
        import distributed
    except ImportError:
        raise UsageError("--backend dask needs dask.distributed: pip install -c constraints.txt "
                         "\"twinnet[cluster]\"") from None
    import joblib

    try:
        client = distributed.Client(address, timeout=20)
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"--scheduler {address}: cannot reach the scheduler: {exc}") from None
    try:
        with joblib.parallel_config(backend="dask"):
            yield client
    finally:
        client.close()
