"""Seeded training with a checkpoint cache keyed by the full configuration.

``trained = train(config)`` trains a :class:`~resdyn_utils.models.ResidualNet` (or
loads it, when a checkpoint of the identical config exists), so that a model trained
by one chapter is reused by the next. Checkpoints are written atomically, loaded with
``torch.load(weights_only=True)`` after a sha256 check, and a corrupt or mismatched
one is reported and retrained, never used. Processes that train the same config take
turns on a lock file; a loss that becomes NaN stops training (:class:`TrainingDiverged`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from .data import Dataset, Split, load_dataset
from .depth import AdaptiveDepth, DepthController
from . import ledger
from .integrity import atomic_write_bytes, file_lock, sha256_of
from .models import ModelConfig, ResidualNet, count_flops_per_sample, matmul_dtype
from .paths import cache_dir

# 2: trained with the hand-written backward pass of models.ResidualStack and fused Adam,
# whose float rounding differs from format 1 (autograd, for-loop Adam).
CACHE_FORMAT = 2
OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "cosine", "onecycle")


@dataclass(frozen=True)
class DataConfig:
    """Which data a model is trained on (part of the cache key)."""

    name: str = "mnist"
    n_train: int | None = None
    n_test: int | None = None
    seed: int = 0
    noise: float = 0.0
    pad_zero: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a trained model. Its hash is the cache key."""

    model: ModelConfig
    data: DataConfig
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    schedule: str = "onecycle"
    weight_decay: float = 0.0
    seed: int = 0
    adaptive_depth: AdaptiveDepth | None = None
    precision: str = "fp32"  # of the training matmuls: "fp32" or "bf16" (models.PRECISIONS)
    label_smoothing: float = 0.0  # of the cross-entropy targets (nn.CrossEntropyLoss)
    # Weight averaging: the EMA decay per optimiser step (0: off). When on, the returned
    # model carries the averaged weights, the history's train_acc/test_acc are theirs,
    # and raw_train_acc/raw_test_acc those of the trained (raw) weights.
    ema: float = 0.0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs}, {self.batch_size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number, got {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; use one of {OPTIMIZERS}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; use one of {SCHEDULES}")
        matmul_dtype(self.precision)  # raises for an unknown precision
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema (the decay per step) must be in [0, 1), got {self.ema}")
        if self.ema and self.adaptive_depth is not None:
            raise ValueError("ema and adaptive_depth cannot be combined: the depth rule removes "
                             "layers from the trained net, not from its average")

    def to_dict(self) -> dict:
        """All fields, except those of :data:`LATER_FIELDS` at their default, so that the
        keys of the configs that predate these fields never change."""
        out = dataclasses.asdict(self)
        for name, default in LATER_FIELDS.items():
            if out[name] == default:
                del out[name]
        for name, default in LATER_MODEL_FIELDS.items():
            if out["model"][name] == default:
                del out["model"][name]
        return out

    def key(self) -> str:
        """A stable hash of the whole config (and the checkpoint format)."""
        blob = json.dumps({"format": CACHE_FORMAT, **self.to_dict()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    def replace(self, **changes) -> "TrainConfig":
        """A copy with top-level fields changed; ``model=``/``data=`` accept dicts of changes."""
        for name in ("model", "data"):
            if isinstance(changes.get(name), dict):
                changes[name] = dataclasses.replace(getattr(self, name), **changes[name])
        return dataclasses.replace(self, **changes)


# TrainConfig fields added after cache format 2, with their defaults: a config at the
# default leaves the field out of its cache key (see TrainConfig.to_dict).
LATER_FIELDS = {"adaptive_depth": None, "precision": "fp32", "label_smoothing": 0.0, "ema": 0.0}
# The same for the fields of the nested ModelConfig.
LATER_MODEL_FIELDS = {"init": "paper"}


@dataclass
class Trained:
    """A trained model with its config, per-epoch history and provenance."""

    model: ResidualNet
    config: TrainConfig
    history: list[dict] = field(default_factory=list)
    from_cache: bool = False

    @property
    def test_error(self) -> float:
        return 1.0 - self.history[-1]["test_acc"]

    @property
    def train_seconds(self) -> float:
        """Wall clock of training, the per-epoch evaluation (in float32) included."""
        return float(sum(h["seconds"] for h in self.history))

    @property
    def device(self) -> str:
        """Where it was trained: ``"cpu"`` or the GPU's name (checkpoints written before
        the history recorded it were all trained on CPUs)."""
        return self.history[0].get("device", "cpu") if self.history else "cpu"

    @property
    def eval_seconds(self) -> float:
        """The part of :attr:`train_seconds` spent evaluating (0 if not recorded)."""
        return float(sum(h.get("eval_seconds", 0.0) for h in self.history))

    def row(self) -> dict:
        """The run as one JSON-ready row: which net, seed, epochs, precision and peak
        learning rate, its final test and training errors, time and test error per epoch."""
        config = self.config
        return {"net": config.model.kind, "seed": config.seed, "epochs": config.epochs,
                "precision": config.precision, "lr": config.lr, "test_error": self.test_error,
                "train_error": 1 - self.history[-1]["train_acc"], "seconds": self.train_seconds,
                "test_error_per_epoch": [1 - h["test_acc"] for h in self.history]}


def default_device(width: int | None = None) -> torch.device:
    """The GPU when one exists (Colab), the CPU otherwise; the CPU for a net narrower
    than :data:`SMALL_WIDTH` (the circles' 3 units), whose steps are too small to pay for
    a GPU kernel launch each (on an H100 its chapters ran twice as long as on 2 CPU
    cores)."""
    small = width is not None and width < SMALL_WIDTH
    return torch.device("cuda" if torch.cuda.is_available() and not small else "cpu")


# CPU features with bfloat16 matmul instructions: without them oneDNN emulates bfloat16,
# about 60 times slower than float32 (2.3 against 139 GFLOP/s on an AVX2 EPYC).
CPU_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@functools.lru_cache(maxsize=1)
def _proc_cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux
        return ""


def _cpuinfo_field(name: str, cpuinfo: str | None) -> str | None:
    """The first ``name : value`` of ``/proc/cpuinfo`` (or of the text ``cpuinfo``);
    None where there is no such field or file (not Linux)."""
    cpuinfo = _proc_cpuinfo() if cpuinfo is None else cpuinfo
    for line in cpuinfo.splitlines():
        if line.startswith(name):
            return line.partition(":")[2].strip()
    return None


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The CPU's feature flags (empty where ``/proc/cpuinfo`` has none)."""
    return frozenset((_cpuinfo_field("flags", cpuinfo) or "").split())


def cpu_model(cpuinfo: str | None = None) -> str:
    """The CPU's model name, else the platform's processor string."""
    import platform

    return _cpuinfo_field("model name", cpuinfo) or platform.processor() or platform.machine()


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` multiplies bfloat16 matrices in hardware: a GPU from Ampere on
    (not Colab's T4, where torch emulates it), a CPU with AVX512-BF16 or AMX."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    return device.type == "cpu" and bool(CPU_BF16_FLAGS & cpu_flags())


def device_name(device: torch.device) -> str:
    """``"cpu"`` or the GPU's name (recorded in each epoch of a model's history)."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


@functools.lru_cache(maxsize=8)
def dataset_for(data: DataConfig) -> Dataset:
    """The dataset a config names (kept in memory across calls)."""
    return load_dataset(data.name, data.seed, data.n_train, data.n_test, data.noise, data.pad_zero)


@torch.no_grad()
def accuracy(model: ResidualNet, split: Split, depth: int | None = None, batch: int = 4096) -> float:
    """Fraction of correctly classified samples (``depth`` overrides the model's)."""
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    for i in range(0, len(split), batch):
        xb, yb = split.x[i : i + batch].to(device), split.y[i : i + batch].to(device)
        correct += int((model(xb, depth).argmax(1) == yb).sum())
    return correct / len(split)


def _optimizer(config: TrainConfig, model: nn.Module, steps: int):
    if config.optimizer == "adam":
        # fused: one kernel updates each tensor (on the CPU too); see benchmarks/throughput.py
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=True)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
    if config.schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    elif config.schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=steps, pct_start=0.15)
    else:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    return opt, sched


EpochCallback = Callable[[ResidualNet, dict], None]


class TrainingDiverged(RuntimeError):
    """The training loss became NaN or infinite. The message names the config and epoch."""

SMALL_WIDTH = 128


@contextlib.contextmanager
def cpu_threads_for(width: int):
    """One CPU thread for small nets: their tiny matmuls only pay the cost of thread
    synchronisation, which explodes when another process shares the cores."""
    before = torch.get_num_threads()
    if width < SMALL_WIDTH:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def initial_model(config: TrainConfig) -> ResidualNet:
    """The net of ``config`` as training starts from it (seeded initialisation)."""
    torch.manual_seed(config.seed)
    return ResidualNet(config.model)


def fit(
    config: TrainConfig,
    data: Dataset | None = None,
    on_epoch_end: EpochCallback | None = None,
    progress: bool = True,
    device: torch.device | None = None,
) -> Trained:
    """Train from scratch (no cache). ``on_epoch_end(model, log)`` may change the
    model (e.g. remove a layer) and add entries to the epoch's log (its history entry)."""
    device = device or default_device(config.model.width)
    data = data or dataset_for(config.data)
    model = initial_model(config).to(device)
    train_set, test_set = data.train.to(device), data.test.to(device)
    n = len(train_set)
    steps_per_epoch = math.ceil(n / config.batch_size)
    opt, sched = _optimizer(config, model, config.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(config.seed)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    average = averaged_model(model, config.ema) if config.ema else None
    scored = model if average is None else average.module  # the weights the history reports
    eval_train = Split(train_set.x[:10_000], train_set.y[:10_000])
    history: list[dict] = []
    controller = DepthController(config.adaptive_depth, train_set.x) if config.adaptive_depth else None
    # The book runner sets TQDM_DISABLE: an explicit ``disable=`` would override it.
    show = progress and os.environ.get("TQDM_DISABLE", "") in ("", "0")
    bar = tqdm(range(config.epochs), desc=_describe(config), disable=not show, leave=False)
    with cpu_threads_for(config.model.width):
        for epoch in bar:
            model.train()
            start = time.perf_counter()
            order = torch.randperm(n, generator=gen).to(device)
            total = 0.0
            for i in range(0, n, config.batch_size):
                idx = order[i : i + config.batch_size]
                loss = loss_fn(model(train_set.x[idx], precision=config.precision), train_set.y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                # the readout's backward pass (its input and weight gradients), which
                # autograd runs outside the ledger's hooks
                ledger.add("fp32", 4.0 * len(idx) * config.model.width * config.model.n_classes)
                opt.step()
                sched.step()
                if average is not None:
                    average.update_parameters(model)
                total += float(loss.detach()) * len(idx)
            if not math.isfinite(total):
                raise TrainingDiverged(
                    f"{_describe(config)} (config key {config.key()}): the training loss became {total} "
                    f"in epoch {epoch + 1} of {config.epochs}; nothing was cached. Fix: lower the "
                    f"learning rate (now {config.lr}) or the initial weight scale.")
            evaluation = time.perf_counter()
            log = {
                "epoch": epoch + 1,
                "loss": total / n,
                "train_acc": accuracy(scored, eval_train),
                "test_acc": accuracy(scored, test_set),
                **({} if average is None else {"raw_train_acc": accuracy(model, eval_train),
                                               "raw_test_acc": accuracy(model, test_set)}),
                "seconds": time.perf_counter() - start,  # the whole epoch: steps and evaluation
                "eval_seconds": time.perf_counter() - evaluation,
                "depth": model.depth,
                "device": device_name(device),
                "last_epoch": epoch == config.epochs - 1,
            }
            if controller is not None:
                controller(model, log)
            if on_epoch_end is not None:
                on_epoch_end(model, log)
            del log["last_epoch"]
            history.append(log)
            bar.set_postfix(loss=f"{log['loss']:.4f}", test=f"{log['test_acc']:.4f}")
    if average is not None:
        model.load_state_dict(average.module.state_dict())
    model.eval()
    return Trained(model.cpu(), config, history)


def averaged_model(model: nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel:
    """An exponential moving average of ``model``'s parameters, ``decay`` per update
    (``update_parameters(model)`` after each optimiser step; the first copies them)."""
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))


def _describe(config: TrainConfig) -> str:
    return f"{config.data.name} {config.model.kind}-{config.model.depth} N={config.model.width} seed={config.seed}"


# --------------------------------------------------------------------------- cache


def checkpoint_path(config: TrainConfig, folder: Path | None = None) -> Path:
    return (folder or cache_dir()) / f"{config.key()}.pt"


def save_checkpoint(trained: Trained, path: Path) -> None:
    """Write the checkpoint and its sha256 sidecar, each atomically (temp file + rename).

    The checkpoint is renamed into place before its sidecar: a process killed between
    the two renames leaves a checkpoint whose sidecar is missing or belongs to another
    file, which :func:`load_checkpoint` rejects (and :func:`train` retrains)."""
    payload = {
        "format": CACHE_FORMAT,
        "config": json.dumps(trained.config.to_dict(), sort_keys=True),
        "depth": trained.model.depth,
        "state_dict": trained.model.state_dict(),
        "history": json.dumps(trained.history),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    atomic_write_bytes(path, data)
    atomic_write_bytes(path.with_suffix(".sha256"), hashlib.sha256(data).hexdigest().encode())


class CheckpointError(RuntimeError):
    """A checkpoint is corrupt or belongs to another config."""


def load_checkpoint(config: TrainConfig, path: Path) -> Trained:
    """Load and verify a checkpoint; raise :class:`CheckpointError` if it is bad."""
    sidecar = path.with_suffix(".sha256")
    if not sidecar.is_file():
        raise CheckpointError(f"{path} has no checksum file {sidecar.name}")
    if sha256_of(path) != sidecar.read_text(errors="replace").strip():
        raise CheckpointError(f"{path} is corrupt: its sha256 does not match {sidecar.name}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointError(f"{path} cannot be read: {err}") from err
    if payload.get("format") != CACHE_FORMAT:
        raise CheckpointError(f"{path} has format {payload.get('format')}, expected {CACHE_FORMAT}")
    if json.loads(payload["config"]) != json.loads(json.dumps(config.to_dict())):
        raise CheckpointError(f"{path} was trained with another config")
    model = ResidualNet(config.model)
    for _ in range(config.model.depth - int(payload["depth"])):
        model.remove_last_layer()
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise CheckpointError(f"{path} does not fit the model: {err}") from err
    model.eval()
    return Trained(model, config, json.loads(payload["history"]), from_cache=True)


def train(
    config: TrainConfig,
    cache: bool = True,
    progress: bool = True,
    on_epoch_end: EpochCallback | None = None,
    cache_folder: Path | None = None,
) -> Trained:
    """Load the model of ``config`` from the cache, or train it and cache it.

    A bad checkpoint is reported with a warning, deleted and retrained. Processes that
    ask for the same config at once take turns (a lock file beside the checkpoint): the
    first trains and caches, the others then load its checkpoint. An ``on_epoch_end``
    hook is not part of the cache key: pass ``cache=False`` when it changes the model
    (the adaptive-depth rule belongs in the config instead).
    """
    if not cache:
        return fit(config, on_epoch_end=on_epoch_end, progress=progress)
    path = checkpoint_path(config, cache_folder)
    with file_lock(path.with_suffix(".lock")):
        if path.exists():
            try:
                return load_checkpoint(config, path)
            except CheckpointError as err:
                warnings.warn(f"{err}; retraining", stacklevel=2)
                path.unlink(missing_ok=True)
        trained = fit(config, on_epoch_end=on_epoch_end, progress=progress)
        save_checkpoint(trained, path)
    return trained


def training_flops(config: TrainConfig, n_train: int) -> float:
    """Matmul FLOPs of training ``config`` on ``n_train`` samples, evaluation not counted.

    Per sample and epoch every layer does three matmuls (forward, input gradient, weight
    gradient), except that the input ``x(0)`` needs no gradient: 3x the forward pass
    less one N x N matmul."""
    per_sample = 3 * count_flops_per_sample(config.model) - 2 * config.model.width**2
    return float(per_sample) * n_train * config.epochs


def training_cost(models: list[Trained], gemm_peaks: dict[str, float] | None = None) -> dict:
    """What training ``models`` cost on the machine that trained them.

    ``tflop``: their training matmuls (:func:`training_flops`); ``minutes``: their
    recorded wall clock, of which ``eval_minutes`` evaluated them after each epoch and
    ``step_minutes`` ran the optimisation steps. With this machine's GEMM peak per
    precision (GFLOP/s, from ``benchmarks/throughput.py``), ``floor_minutes`` is the time
    of the matmuls alone, each model's at the peak of its own precision: no
    implementation trains these models faster."""
    flops = [training_flops(t.config, len(dataset_for(t.config.data).train)) for t in models]
    cost = {"models": len(models), "tflop": sum(flops) / 1e12,
            "minutes": sum(t.train_seconds for t in models) / 60,
            "eval_minutes": sum(t.eval_seconds for t in models) / 60}
    cost["step_minutes"] = cost["minutes"] - cost["eval_minutes"]
    if gemm_peaks is not None:
        missing = {t.config.precision for t in models} - set(gemm_peaks)
        if missing:
            raise ValueError(f"no GEMM peak for precision {sorted(missing)}: rerun benchmarks/throughput.py")
        cost["floor_minutes"] = sum(f / (gemm_peaks[t.config.precision] * 1e9) for f, t in zip(flops, models)) / 60
    return cost


def precision_comparison(rows: list[dict]):
    """Test error (in %) of the same configs trained in float32 and in bfloat16.

    ``rows`` as recorded by ``benchmarks/precision.py`` (``net``, ``seed``,
    ``precision``, ``test_error``). Returns one row per (net, seed) with columns
    ``fp32``, ``bf16`` and ``bf16 - fp32``, and one row per net with the mean
    difference and each precision's seed range: a difference of the order of the seed
    range is noise."""
    import pandas as pd

    frame = pd.DataFrame(rows).assign(error=lambda f: 100 * f["test_error"])
    table = frame.pivot_table(index=["net", "seed"], columns="precision", values="error")[["fp32", "bf16"]]
    table.columns.name = None
    table["bf16 - fp32"] = table["bf16"] - table["fp32"]
    by_net = table.groupby(level="net")
    effect = pd.DataFrame({"mean bf16 - fp32": by_net["bf16 - fp32"].mean(),
                           "seed range fp32": by_net["fp32"].max() - by_net["fp32"].min(),
                           "seed range bf16": by_net["bf16"].max() - by_net["bf16"].min()})
    return table, effect


def history_frame(runs: dict[str, list[Trained]]):
    """One row per (model, seed, epoch) with the history's columns and ``test_error``."""
    import pandas as pd

    rows = [{"model": name, "seed": t.config.seed, **h, "test_error": 1 - h["test_acc"]}
            for name, trained in runs.items() for t in trained for h in t.history]
    return pd.DataFrame(rows)


def error_summary(runs: dict[str, list[Trained]]):
    """Final test error per model: mean, min, max over seeds and the per-seed values (in %)."""
    import pandas as pd

    rows = []
    for name, trained in runs.items():
        errs = [100 * t.test_error for t in trained]
        rows.append({"model": name, "seeds": len(errs), "mean %": sum(errs) / len(errs),
                     "min %": min(errs), "max %": max(errs),
                     "per seed %": ", ".join(f"{e:.2f}" for e in errs),
                     "train minutes": sum(t.train_seconds for t in trained) / 60,
                     "trained on": ", ".join(sorted({t.device for t in trained}))})
    return pd.DataFrame(rows).set_index("model")
