"""``twinnet bench``: the same MLP's training step timed in scratch and in torch, phase by phase.

Method. Both sides train the same network (Linear/ReLU layers, ``CrossEntropyLoss``, ``SGD`` with
momentum), built in scratch and copied into torch with ``reference.to_torch``, on the same batch, with
the same number of BLAS/OpenMP threads (threadpoolctl for NumPy's BLAS, ``torch.set_num_threads``).
After a warm-up, steps run interleaved (scratch, torch, scratch, ...) with the garbage collector off;
before each turn the run waits, untimed, until the other side's threads are idle, so neither side pays
for the other's spinning thread pool, then makes one untimed call so that each is timed warm, as in a
training loop. Each step is timed as a whole (``zero_grad`` to ``step``) and by phase (``forward`` is
the model and the loss, ``backward``, ``step``). Neither side computes the gradient with respect to the
data (torch's input does not require grad; scratch's ``backward(..., input_grad=False)``). A figure is
the median over the steps, its spread the interquartile range. GFLOP/s counts the matrix products a step
needs: ``2 B n_in n_out`` per layer forward; backward twice that (``grad_W`` and ``grad_x``), less the
first layer's ``grad_x``. The matrix-product peak is the best GFLOP/s of NumPy and torch over several
products, at the same thread count: squares of ``PEAK_SQUARES`` and every product a training step of the
size needs (``x W^T``, ``grad_y^T x``, ``grad_y W``), so each GFLOP/s can be read as a fraction of what
this machine can do on such products. It is measured right before and right after each size and dtype is
timed, and the larger of the two is kept: on a shared machine the speed drifts over minutes (the large
float64 step and its products both ran at half speed in one run, measured), and a peak from the start of
the run would misread that drift as scratch's or torch's; a peak timed only before read torch's large
float32 forward at 102% of it in a run where the machine sped up meanwhile. Peak memory is the most a
step allocates above what was in use before it, counting the blocks allocated during the step
(tracemalloc for NumPy; the allocation events of torch's profiler for torch), measured on one extra,
untimed step. Both sides take the same steps, warm-up included, so their parameters must still agree at
the end (``param_max_rel_diff``): the two timed the same computation. In float64 they agree to round-off
(at most 8e-15 after a quick run, measured). In float32 they drift apart once a pre-activation rounds to
the other side of a ReLU's kink: at the medium size from 1e-7 to 4e-4 between steps 10 and 20, and to
about 1e-2 after a few hundred steps (measured).

``--components`` times instead the forward and backward of every activation and loss of the
registry, on its first input case tiled to more rows: a micro-benchmark to find hot spots.
"""
import contextlib
import gc
import math
import os
import re
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass

import numpy as np

from ._common import UsageError, check_writable, table, versions, write_json

SIZES = {"tiny": "b32-20x64x64x2", "small": "b64-64x128x128x10", "medium": "b256-784x512x256x10",
         "large": "b1024-784x1024x1024x10"}
"""Named sizes: ``b<batch>-<layer widths>``."""

GRIDS = {"quick": ["tiny", "medium", "large", "cnn", "lstm"],
         "full": ["tiny", "small", "b128-784x256x256x10", "medium", "b512-784x1024x512x10", "large", "cnn", "lstm"]}

PRESETS = {"quick": {"warmup_s": 0.2, "budget_s": 2.0, "repeats": (5, 500)},
           "full": {"warmup_s": 0.5, "budget_s": 6.0, "repeats": (11, 2000)}}
"""Warm-up seconds per side, seconds of timed steps per size and dtype, and the (least, most) repeats."""

PHASES = ("forward", "backward", "step", "train_step")

BLOCK_S = 0.05
"""Seconds of back-to-back calls averaged into one sample (see :func:`_interleaved`)."""
IDLE_S = 0.5
"""The longest untimed wait for the other side's threads to go idle (see :func:`_until_idle`)."""
DRIFT = 0.1
"""A change of the matmul peak across a size, before to after, beyond which the run warns that the
machine's speed drifted (a quiet run moved it by at most 4%; drifting runs by 17-45%, measured)."""

OPTIMIZER = {"lr": 0.01, "momentum": 0.9}
PEAK_SQUARES = (1024, 2048)
"""Sizes ``n`` of the ``n x n`` by ``n x n`` products the peak is also timed on."""

TARGETS = [("train_step ratio <= 1.0 at every MLP size", "mlp", "ratio", "<=", 1.0),
           ("train_step ratio <= 0.3 at the tiny size", "tiny", "ratio", "<=", 0.3),
           ("train_step >= 80% of the matmul peak at the large size", "large", "scratch_peak_fraction", ">=", 0.8),
           ("CNN train_step ratio <= 2.0", "cnn", "ratio", "<=", 2.0),
           ("CNN train_step's products >= 50% of the matmul peak", "cnn", "scratch_peak_fraction", ">=", 0.5),
           ("LSTM train_step ratio <= 1.5", "lstm", "ratio", "<=", 1.5)]
"""(what, size name or 'mlp' for every MLP size, row key, comparison, bound): checked on train_step rows."""

COMPONENT_ROWS = {"quick": (32, 8192), "full": (32, 1024, 32768)}
"""Rows the micro-benchmark tiles each first case to: per-call overhead, then per-element cost."""


@dataclass(frozen=True)
class Size:
    name: str
    batch: int
    widths: tuple

    @property
    def spec(self):
        return f"b{self.batch}-" + "x".join(map(str, self.widths))

    def flops(self, phase):
        """Flops of the matrix products of ``phase``: ``y = x W^T``; ``grad_W``, and ``grad_x`` but the first."""
        macs = [self.batch * a * b for a, b in zip(self.widths, self.widths[1:])]
        forward, backward = 2 * sum(macs), 2 * sum(macs) + 2 * sum(macs[1:])
        return {"forward": forward, "backward": backward, "step": 0, "train_step": forward + backward}[phase]

    def products(self):
        """``(m, k, n)`` of the step's matrix products."""
        shapes = set()
        for n_in, n_out in zip(self.widths, self.widths[1:]):
            shapes |= {(self.batch, n_in, n_out), (n_out, self.batch, n_in), (self.batch, n_out, n_in)}
        return shapes

    def sides(self, dtype, device, rng):
        """The scratch step and the torch step of this size, on the same weights and data."""
        from reference import to_torch

        model = scratch_mlp(self, dtype, rng)
        x = rng.standard_normal((self.batch, self.widths[0])).astype(dtype)
        y = rng.integers(0, self.widths[-1], self.batch)
        return [ScratchStep(model, x, y), TorchStep(to_torch(model), x, y, device)]


@dataclass(frozen=True)
class Network:
    """A network other than the MLP, timed the same way: ``cnn`` (batch 64, 1x28x28, two convolutions with
    ReLU and 2x2 max pooling, then Linear to 10 classes) or ``lstm`` (batch 32, sequence 35, LSTM with
    256 inputs and 256 hidden units, Linear on the last output to 10 classes)."""

    name: str
    spec: str
    macs: tuple
    """Multiply-adds of the forward products, ``(m, k, n)`` each; backward makes two per forward one
    (the weight gradient and the input gradient; the CNN's first layer makes no input gradient)."""
    first: tuple = None

    def flops(self, phase):
        forward = 2 * sum(m * k * n for m, k, n in self.macs)
        first = 2 * np.prod(self.first) if self.first else 0
        backward = 2 * forward - first
        return {"forward": forward, "backward": backward, "step": 0, "train_step": forward + backward}[phase]

    def products(self):
        return set(self.macs)

    def sides(self, dtype, device, rng):
        return (cnn_sides if self.name == "cnn" else lstm_sides)(dtype, device, rng)


NETWORKS = {
    "cnn": Network("cnn", "cnn-b64-1x28x28-c8-c16", ((64 * 28 * 28, 9, 8), (64 * 14 * 14, 72, 16), (64, 784, 10)),
                   first=(64 * 28 * 28, 9, 8)),
    "lstm": Network("lstm", "lstm-b32-L35-256x256", tuple([(32, 512, 1024)] * 35 + [(32, 256, 10)])),
}


def parse_size(text):
    """A named size (``tiny``) or a spec ``b<batch>-<in>x<hidden>x...x<classes>`` as a :class:`Size`;
    ``cnn`` and ``lstm`` (or their specs) as a :class:`Network`."""
    for network in NETWORKS.values():
        if text in (network.name, network.spec):
            return network
    spec = SIZES.get(text, text)
    match = re.fullmatch(r"b(\d+)-(\d+(?:x\d+)+)", spec)
    if not match:
        raise UsageError(f"--sizes: {text!r} is neither a named size ({', '.join([*SIZES, *NETWORKS])}) nor a spec like "
                         f"'b256-784x512x10' (batch, then the layer widths from input to classes)")
    widths = tuple(int(w) for w in match.group(2).split("x"))
    if int(match.group(1)) < 1 or min(widths) < 1 or widths[-1] < 2:
        raise UsageError(f"--sizes: {text!r} needs a batch and widths of at least 1 and at least 2 classes")
    name = text if text in SIZES else next((n for n, s in SIZES.items() if s == spec), spec)
    return Size(name, int(match.group(1)), widths)


def add_parser(sub):
    p = sub.add_parser("bench", help="time scratch against torch on an MLP's training step",
                       description="Time forward, backward, step and the whole training step of the same MLP "
                                   "in scratch and torch, interleaved, over a grid of sizes; report medians, "
                                   "spread, the ratio scratch/torch, GFLOP/s against the measured matmul peak "
                                   "and peak memory.")
    p.add_argument("--quick", action="store_true", help=f"sizes {', '.join(GRIDS['quick'])} and fewer repeats")
    p.add_argument("--sizes", nargs="+", metavar="SIZE",
                   help=f"named sizes ({', '.join(f'{k}={v}' for k, v in SIZES.items())}) or specs "
                        "b<batch>-<widths>, e.g. b128-784x256x10")
    p.add_argument("--dtype", choices=["float32", "float64", "all"], default="all")
    p.add_argument("--threads", type=int, metavar="N", help="threads on both sides (default: the usable cores)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where torch runs; scratch runs on the CPU")
    p.add_argument("--repeats", type=int, metavar="N", help="timed steps per size and dtype (default: by time budget)")
    p.add_argument("--components", action="store_true",
                   help="micro-benchmark each activation and loss of the registry instead of the MLP")
    p.add_argument("--check", action="store_true", help="exit 1 when a target of the MLP benchmark is missed")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--plot", metavar="FILE", help="also draw the ratio scratch/torch against size as a PNG")
    p.set_defaults(run=run)


# ---------------------------------------------------------------------------------------------- timing

def _quartiles(samples):
    q1, median, q3 = np.percentile(samples, [25, 50, 75])
    return float(median), float(q3 - q1)


def _until_idle(window=0.005):
    """Sleep until this process's threads stop using the CPU: until a ``window`` in which they use less
    than a tenth of it, at most ``IDLE_S`` seconds.

    NumPy's OpenBLAS keeps its workers spinning for about 0.1 s after a product, torch's OpenMP workers
    for about 10 ms; on a machine with few cores a product run meanwhile is slowed down (torch's
    1024^3 float32 product after one of NumPy's: 38 ms instead of 15, measured).
    """
    deadline = time.perf_counter() + IDLE_S
    while True:
        cpu = time.process_time()
        time.sleep(window)
        if time.process_time() - cpu < window / 10 or time.perf_counter() > deadline:
            return


def _warm(call):
    """Wait for idle threads (:func:`_until_idle`), then make one untimed call, as the previous step of a
    training loop would have: the call's own thread pool is awake when its timing starts."""
    _until_idle()
    call()


def _seconds_per_call(side, n):
    """:func:`_warm`, then time ``n`` back-to-back calls; the mean."""
    _warm(side)
    start = time.perf_counter()
    for _ in range(n):
        side()
    return (time.perf_counter() - start) / n


def _interleaved(sides, warmup_s, budget_s, repeats):
    """Per side, the list of timings each call of ``side()`` returns, calls interleaved after a warm-up.

    ``repeats`` is a number, or ``(least, most)`` to choose one that fits ``budget_s`` seconds. Each
    sample is the mean over a block of back-to-back calls lasting about ``BLOCK_S`` (one call at the
    large sizes), as steps run in training. Shorter blocks time a machine that keeps going idle: with
    blocks of 5 ms the tiny step took 170 us in scratch and 519 us in torch, with 50 ms 95 and 325
    (measured on a 2-core VM). Each block starts :func:`_warm`: the other side's threads idle, this
    side's awake. Every side is called the same number of times,
    warm-up included (the slowest side's calls in ``warmup_s``), so sides that train a model take the
    same steps.
    """
    per_call = [_seconds_per_call(side, 3) for side in sides]
    warmup = int(warmup_s / max(per_call))
    if warmup > 3:
        per_call = [_seconds_per_call(side, warmup) for side in sides]
    block = max(1, int(BLOCK_S / max(per_call)))
    if isinstance(repeats, tuple):
        least, most = repeats
        repeats = int(min(most, max(least, budget_s / ((block + 1) * sum(per_call)))))
    samples = [[] for _ in sides]
    gc.disable()
    try:
        for _ in range(repeats):
            for side, out in zip(sides, samples):
                _warm(side)
                out.append(tuple(np.mean([side() for _ in range(block)], axis=0)))
    finally:
        gc.enable()
    return samples


def peak_shapes(size):
    """``(m, k, n)`` of the products to time for the peak: the squares and the size's own."""
    return sorted({(n, n, n) for n in PEAK_SQUARES} | size.products())


def matmul_peak(dtype, device, shapes):
    """GFLOP/s of NumPy and of torch, each the best over ``shapes`` (``(m, k, n)``: an ``m x k`` by
    ``k x n`` product) of the best of three timings."""
    import torch

    rng = np.random.default_rng(0)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    best = {"numpy": 0.0, "torch": 0.0}
    for m, k, n in shapes:
        a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
        c = np.empty((m, n), dtype=dtype)
        ta, tb = (torch.from_numpy(v).to(device) for v in (a, b))
        tc = torch.empty((m, n), dtype=ta.dtype, device=device)
        calls = {"numpy": lambda: np.matmul(a, b, out=c), "torch": lambda: (torch.mm(ta, tb, out=tc), sync())}
        for name, call in calls.items():
            _warm(call)
            times = []
            for _ in range(3):
                start = time.perf_counter()
                call()
                times.append(time.perf_counter() - start)
            best[name] = max(best[name], 2 * m * k * n / min(times) / 1e9)
    return best


# ---------------------------------------------------------------------------------------------- the MLP

def scratch_mlp(size, dtype, rng):
    import scratch

    layers = []
    for i, (n_in, n_out) in enumerate(zip(size.widths, size.widths[1:])):
        if i:
            layers.append(scratch.ReLU())
        layers.append(scratch.Linear(n_in, n_out, dtype=dtype, rng=rng))
    return scratch.Sequential(*layers)


class ScratchStep:
    """One training step of a scratch model; calling it returns the seconds of each phase and of the step."""

    def __init__(self, model, x, y):
        import scratch

        self.model, self.x, self.y = model, x, y
        self.loss_fn = scratch.CrossEntropyLoss()
        self.optimizer = scratch.SGD(model.parameters(), **OPTIMIZER)

    def forward(self):
        self.loss = self.loss_fn(self.model(self.x), self.y)

    def backward(self):
        self.model.backward(self.loss_fn.backward(), input_grad=False)

    def sync(self):
        pass

    def parameters(self):
        return [p.data for p in self.model.parameters()]

    def __call__(self):
        t0 = time.perf_counter()
        self.optimizer.zero_grad()
        t1 = time.perf_counter()
        self.forward()
        self.sync()
        t2 = time.perf_counter()
        self.backward()
        self.sync()
        t3 = time.perf_counter()
        self.optimizer.step()
        self.sync()
        t4 = time.perf_counter()
        return t2 - t1, t3 - t2, t4 - t3, t4 - t0


class TorchStep(ScratchStep):
    """The same step in torch, on ``device``."""

    def __init__(self, model, x, y, device):
        import torch

        self.device = device
        self.model = model.to(device)
        self.x, self.y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), **OPTIMIZER)

    def backward(self):
        self.loss.backward()

    def sync(self):
        if self.device == "cuda":
            import torch
            torch.cuda.synchronize()

    def parameters(self):
        return [p.detach().cpu().numpy() for p in self.model.parameters()]


def _scratch_peak_bytes(step):
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@contextlib.contextmanager
def _native_stderr_silenced():
    """File descriptor 2 pointed at /dev/null for the duration.

    torch's profiler (Kineto's ``SyncActivityProfilerHandler``) logs ``profiler_start`` and
    ``profiler_stop`` from C++ straight to fd 2, whatever ``KINETO_LOG_LEVEL`` says, and the CPU
    allocator warns there that blocks from before the profile have no size; Python's
    ``redirect_stderr`` cannot reach either.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _torch_peak_bytes(step):
    """The highest running total of the allocations torch's profiler records during one step (blocks
    freed during the step but allocated before it do not count, as with tracemalloc)."""
    from torch.profiler import ProfilerActivity, profile

    with _native_stderr_silenced(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    try:
        events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    except AttributeError:
        return None
    total = peak = 0
    for event in sorted(events, key=lambda e: e.start_ns()):
        total += event.nbytes()
        peak = max(peak, total)
    return peak


def _max_rel_diff(a_list, b_list):
    return max(float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), np.finfo(b.dtype).tiny))
               for a, b in zip(a_list, b_list))


def cnn_sides(dtype, device, rng):
    """The CNN's scratch and torch steps, on the same weights and a batch of random images."""
    import scratch
    from reference import to_torch

    model = scratch.Sequential(
        scratch.Conv2d(1, 8, 3, padding=1, dtype=dtype, rng=rng), scratch.ReLU(), scratch.MaxPool2d(2),
        scratch.Conv2d(8, 16, 3, padding=1, dtype=dtype, rng=rng), scratch.ReLU(), scratch.MaxPool2d(2),
        scratch.Flatten(), scratch.Linear(16 * 7 * 7, 10, dtype=dtype, rng=rng))
    x = rng.standard_normal((64, 1, 28, 28)).astype(dtype)
    y = rng.integers(0, 10, 64)
    return [ScratchStep(model, x, y), TorchStep(to_torch(model), x, y, device)]


class ScratchLSTMStep(ScratchStep):
    """The LSTM classifier's step in scratch: the loss on the last output, its gradient fed back in time."""

    def forward(self):
        self.out, _ = self.model[0](self.x)
        self.loss = self.loss_fn(self.model[1](self.out[:, -1]), self.y)

    def backward(self):
        grad = np.zeros_like(self.out)
        grad[:, -1] = self.model[1].backward(self.loss_fn.backward())
        self.model[0].backward((grad, None))


class TorchLSTMStep(TorchStep):
    def forward(self):
        out, _ = self.model[0](self.x)
        self.loss = self.loss_fn(self.model[1](out[:, -1]), self.y)


def lstm_sides(dtype, device, rng):
    """The LSTM classifier's scratch and torch steps, on the same weights and random sequences."""
    import scratch
    from reference import to_torch

    model = scratch.Sequential(scratch.LSTM(256, 256, batch_first=True, dtype=dtype, rng=rng),
                               scratch.Linear(256, 10, dtype=dtype, rng=rng))
    x = rng.standard_normal((32, 35, 256)).astype(dtype)
    y = rng.integers(0, 10, 32)
    return [ScratchLSTMStep(model, x, y), TorchLSTMStep(to_torch(model), x, y, device)]


def bench_size(size, dtype, device, preset, repeats):
    """The rows of one size and dtype, and the facts of the run (repeats, memory, parameter agreement)."""
    sides = size.sides(dtype, device, np.random.default_rng(0))
    gc.collect()
    samples = _interleaved(sides, preset["warmup_s"], preset["budget_s"], repeats or preset["repeats"])
    rows = []
    for i, phase in enumerate(PHASES):
        row = {"size": size.spec, "dtype": np.dtype(dtype).name, "phase": phase}
        for side, times in zip(("scratch", "torch"), samples):
            row[f"{side}_s"], row[f"{side}_iqr_s"] = _quartiles([t[i] for t in times])
        row["ratio"] = row["scratch_s"] / row["torch_s"] if row["torch_s"] > 0 else None
        flops = size.flops(phase)
        for side in ("scratch", "torch"):
            row[f"{side}_gflops"] = flops / row[f"{side}_s"] / 1e9 if flops and row[f"{side}_s"] > 0 else None
        rows.append(row)
    run = {"size": size.spec, "name": size.name, "dtype": np.dtype(dtype).name, "repeats": len(samples[0]),
           "scratch_peak_mib": _scratch_peak_bytes(sides[0]) / 2 ** 20}
    torch_peak = _torch_peak_bytes(sides[1]) if device == "cpu" else None
    run["torch_peak_mib"] = None if torch_peak is None else torch_peak / 2 ** 20
    run["param_max_rel_diff"] = _max_rel_diff(sides[0].parameters(), sides[1].parameters())
    return rows, run


def evaluate_targets(rows, runs):
    """Each target of ``TARGETS`` that applies to the sizes run: what, the measured values, passed."""
    names = {r["size"]: r["name"] for r in runs}
    results = []
    for what, size_name, key, op, bound in TARGETS:
        hits = [r for r in rows if r["phase"] == "train_step" and
                (names[r["size"]] == size_name or size_name == "mlp" and names[r["size"]] not in NETWORKS)]
        if not hits:
            continue
        values = {f"{r['size']} {r['dtype']}": r[key] for r in hits}
        ok = all(v is not None and (v <= bound if op == "<=" else v >= bound) for v in values.values())
        results.append({"target": what, "values": values, "passed": ok})
    return results


# ---------------------------------------------------------------------------------------------- components

def _tile_rows(a, rows):
    a = np.asarray(a)
    if a.ndim == 0:
        return a
    reps = -(-rows // a.shape[0])
    return np.concatenate([a] * reps, axis=0)[:rows]


def component_cases(dtype, rows):
    """``(entry, kwargs, args, grad_y)`` for each activation and loss of the registry: its first backward
    case (random upstream gradient included), every array tiled along axis 0 to ``rows`` rows."""
    from parity_tests.checks import Check, prepare
    from parity_tests.registry import REGISTRY

    for entry in REGISTRY:
        if entry.category in ("activation", "loss"):
            case, _ = prepare(Check(entry, "backward", dtype))[0]
            kwargs = {**entry.kwargs, **case.get("kwargs", {})}
            yield entry, kwargs, [_tile_rows(a, rows) for a in case["args"]], _tile_rows(case["grad_y"], rows)


def _component_sides(entry, kwargs, args, grad_y, device):
    """Two callables (scratch, torch), each running forward then backward and returning both timings."""
    import torch

    import scratch
    from reference.twin import torch_module

    module = getattr(scratch, entry.cls)(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin = torch_module(entry.cls, kwargs, args[0].dtype).to(device)
    x, rest = args[0], args[1:]
    t_rest = [torch.from_numpy(a).to(device) for a in rest]
    t_grad_y = torch.from_numpy(grad_y).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def scratch_side():
        t0 = time.perf_counter()
        module(x, *rest)
        t1 = time.perf_counter()
        module.backward(grad_y)
        return t1 - t0, time.perf_counter() - t1

    def torch_side():
        tx = torch.from_numpy(x).to(device).requires_grad_()
        t0 = time.perf_counter()
        y = twin(tx, *t_rest)
        sync()
        t1 = time.perf_counter()
        y.backward(t_grad_y)
        sync()
        return t1 - t0, time.perf_counter() - t1

    return scratch_side, torch_side


def bench_components(dtypes, device, preset_name, repeats):
    preset = PRESETS[preset_name]
    rows = []
    gc.collect()
    for dtype in dtypes:
        for n_rows in COMPONENT_ROWS[preset_name]:
            for entry, kwargs, args, grad_y in component_cases(dtype, n_rows):
                sides = _component_sides(entry, kwargs, args, grad_y, device)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    samples = _interleaved(sides, preset["warmup_s"] / 4, preset["budget_s"] / 8,
                                           repeats or preset["repeats"])
                for i, phase in enumerate(("forward", "backward")):
                    row = {"component": entry.name, "category": entry.category, "dtype": dtype,
                           "shape": list(args[0].shape), "phase": phase}
                    for side, times in zip(("scratch", "torch"), samples):
                        row[f"{side}_s"], row[f"{side}_iqr_s"] = _quartiles([t[i] for t in times])
                    row["ratio"] = row["scratch_s"] / row["torch_s"]
                    rows.append(row)
                    print(f"  {entry.name} {dtype} {tuple(args[0].shape)} {phase}: ratio {row['ratio']:.2f}",
                          file=sys.stderr)
    return rows


# ---------------------------------------------------------------------------------------------- output

def _fmt_time(seconds, iqr=None):
    scale, unit = next((s, u) for s, u in ((1, "s"), (1e-3, "ms"), (1e-6, "us")) if seconds >= s or u == "us")
    text = f"{seconds / scale:.3g} {unit}"
    return text if iqr is None else f"{text} ±{50 * iqr / seconds:.0f}%"


def _fmt_gflops(row, side):
    g = row[f"{side}_gflops"]
    return "-" if g is None else f"{g:.1f} ({100 * row[f'{side}_peak_fraction']:.0f}%)"


def print_rows(rows, runs):
    memory = {(r["size"], r["dtype"]): r for r in runs}
    lines = []
    for r in rows:
        run = memory[(r["size"], r["dtype"])]
        mem = ""
        if r["phase"] == "train_step":
            torch_mib = "-" if run["torch_peak_mib"] is None else f"{run['torch_peak_mib']:.1f}"
            mem = f"{run['scratch_peak_mib']:.1f} / {torch_mib}"
        lines.append((r["size"], r["dtype"], r["phase"], _fmt_time(r["scratch_s"], r["scratch_iqr_s"]),
                      _fmt_time(r["torch_s"], r["torch_iqr_s"]), f"{r['ratio']:.2f}",
                      _fmt_gflops(r, "scratch"), _fmt_gflops(r, "torch"), mem))
    print(table(["size", "dtype", "phase", "scratch", "torch", "ratio", "scratch GF/s (peak)",
                 "torch GF/s (peak)", "peak MiB s/t"], lines))


NICE_RATIOS = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20, 50, 100)
"""Round ratios the bench plot may label; those closer than a label's height on the axis are skipped."""


def plot(path, rows, runs, threads, peaks):
    """Ratio scratch/torch against size (ordered by work), one panel per dtype, one line per phase."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter, NullLocator

    dtypes = sorted({r["dtype"] for r in rows})
    sizes = sorted({r["size"] for r in rows}, key=lambda s: parse_size(s).flops("train_step"))
    names = {r["size"]: r["name"] for r in runs}
    fig, axes = plt.subplots(1, len(dtypes), figsize=(5.5 * len(dtypes), 4.2), sharey=True, squeeze=False)
    for ax, dtype in zip(axes[0], dtypes):
        for phase in PHASES:
            got = {r["size"]: r["ratio"] for r in rows if r["dtype"] == dtype and r["phase"] == phase}
            xs = [i for i, s in enumerate(sizes) if s in got]
            ax.plot(xs, [got[sizes[i]] for i in xs], marker="o", label=phase,
                    linewidth=2.5 if phase == "train_step" else 1, alpha=1 if phase == "train_step" else 0.7)
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        ax.set_yscale("log")
    for ax in axes[0]:
        # labelled ticks at round ratios only, so that labels never run into each other (a log axis'
        # minor labels did, at 0.8, 0.9 and 1 and wherever the ratios sat close together)
        low, high = ax.get_ylim()
        gap = 0.08 * math.log10(high / low)  # a label's height, about 8% of the axis, in decades
        ticks = []
        for t in (t for t in NICE_RATIOS if low <= t <= high):
            if not ticks or math.log10(t / ticks[-1]) >= gap:
                ticks.append(t)
        ax.yaxis.set_major_locator(FixedLocator(ticks))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%.2g"))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_minor_formatter(NullFormatter())
    for ax, dtype in zip(axes[0], dtypes):
        ax.set_xticks(range(len(sizes)))
        # the spec on two lines (batch, widths) and room at both ends: long specs side by side, or the
        # first and last panel's end labels, ran into each other
        ax.set_xticklabels([(f"{names[s]}\n" if names.get(s, s) != s else "") + s.replace("-", "\n", 1)
                            for s in sizes], fontsize=7)
        ax.margins(x=0.12)
        ax.set_title(f"{dtype} (matmul peak {peaks[dtype]:.0f} GFLOP/s)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("time scratch / time torch (below 1: scratch faster)")
    axes[0][-1].legend(fontsize=8)
    fig.suptitle(f"twinnet bench: scratch vs torch, MLP + CrossEntropyLoss + SGD(momentum), {threads} threads")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------- command

def usable_cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def run(args):
    import torch
    from threadpoolctl import threadpool_limits

    check_writable(args.json)
    check_writable(args.plot)
    if args.components and args.plot:
        raise UsageError("--plot draws the MLP benchmark's ratio against size; --components has no plot (its "
                         "figures are the table, and --json FILE writes them)")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"--device cuda: torch.cuda.is_available() is False (torch {torch.__version__}); "
                         f"use --device cpu")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    if args.repeats is not None and args.repeats < 1:
        raise UsageError(f"--repeats must be at least 1, got {args.repeats}")
    preset_name = "quick" if args.quick else "full"
    sizes = [parse_size(s) for s in (args.sizes or GRIDS[preset_name])]
    dtypes = ["float32", "float64"] if args.dtype == "all" else [args.dtype]
    threads = args.threads or usable_cores()
    torch.set_num_threads(threads)
    report = {"threads": threads, "device": args.device, "versions": versions()}
    with threadpool_limits(limits=threads, user_api="blas"):
        if args.components:
            report["components"] = bench_components(dtypes, args.device, preset_name, args.repeats)
            print_components(report["components"])
        else:
            report.update(bench_mlp(sizes, dtypes, args.device, PRESETS[preset_name], args.repeats))
    if args.json:
        write_json(args.json, report)
        print(f"wrote {args.json}")
    if args.plot and "rows" in report:
        plot(args.plot, report["rows"], report["runs"], threads, report["matmul_peak_gflops"])
        print(f"wrote {args.plot}")
    missed = [t for t in report.get("targets", []) if not t["passed"]]
    return 1 if args.check and missed else 0


def bench_mlp(sizes, dtypes, device, preset, repeats):
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        busy = " (other processes are using the CPU: the timings will not be reliable)" if load > 1.0 else ""
        print(f"load average {load:.2f} before the run{busy}", file=sys.stderr)
    rows, runs = [], []
    for size in sizes:
        for dtype in dtypes:
            print(f"  {size.name} {size.spec} {dtype} ...", file=sys.stderr)
            before = matmul_peak(dtype, device, peak_shapes(size))
            size_rows, run_ = bench_size(size, np.dtype(dtype), device, preset, repeats)
            after = matmul_peak(dtype, device, peak_shapes(size))
            matmul = {side: max(before[side], after[side]) for side in before}
            peak, best_before, best_after = max(matmul.values()), max(before.values()), max(after.values())
            print(f"    matmul peak {peak:.1f} GFLOP/s (best before {best_before:.1f}, after {best_after:.1f})",
                  file=sys.stderr)
            run_.update(matmul_peak_gflops=peak, matmul_gflops=matmul,
                        matmul_peak_drift=abs(best_after / best_before - 1))
            for row in size_rows:
                for side in ("scratch", "torch"):
                    g = row[f"{side}_gflops"]
                    row[f"{side}_peak_fraction"] = None if g is None else g / peak
            rows += size_rows
            runs.append(run_)
    print_rows(rows, runs)
    print("parameters at the end, largest difference scratch vs torch relative to the largest entry: " +
          ", ".join(f"{r['name']} {r['dtype']} {r['param_max_rel_diff']:.1e}" for r in runs))
    targets = evaluate_targets(rows, runs)
    for t in targets:
        values = ", ".join(f"{k} {v:.2f}" for k, v in t["values"].items())
        print(f"{'met   ' if t['passed'] else 'MISSED'} {t['target']}: {values}")
    for r in runs:
        if r["matmul_peak_drift"] > DRIFT:
            print(f"warning: the matmul peak moved by {r['matmul_peak_drift']:.0%} across {r['name']} "
                  f"{r['dtype']}: the machine's speed drifted, so its figures are unreliable; rerun on a "
                  f"quiet machine")
    peaks = {d: max(r["matmul_peak_gflops"] for r in runs if r["dtype"] == d) for d in dtypes}
    return {"matmul_peak_gflops": peaks, "load_average": load, "rows": rows, "runs": runs, "targets": targets}


def print_components(rows):
    print(table(["component", "dtype", "shape", "phase", "scratch", "torch", "ratio"],
                [(r["component"], r["dtype"], "x".join(map(str, r["shape"])), r["phase"],
                  _fmt_time(r["scratch_s"], r["scratch_iqr_s"]), _fmt_time(r["torch_s"], r["torch_iqr_s"]),
                  f"{r['ratio']:.2f}") for r in rows]))
