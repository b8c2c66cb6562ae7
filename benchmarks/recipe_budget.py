"""The recipe search at the budgets that matter (issue 16), on one GPU.

    python benchmarks/recipe_budget.py --out runs.jsonl [--workers 12] [--deadline 330] [--final-deadline 490]
    python benchmarks/recipe_budget.py --smoke --out smoke.jsonl          # CPU, ~1 minute: every code path
    python benchmarks/recipe_budget.py --probe 1,8,14 --out probe.jsonl   # s/epoch at several worker counts
    python benchmarks/recipe_budget.py --candidates follow.json --out follow.jsonl  # exactly these, no finals
    python benchmarks/recipe_budget.py --collect runs.jsonl [more.jsonl]  # -> benchmarks/recipe_budget.json

Every candidate trains a 15-layer net with ``resdyn_utils.training.fit`` (the book's
training step, bfloat16 matmuls unless ``--precision fp32``) on the 50k training images
that ``resdyn_utils.data.validation_split`` leaves, and is scored on the held-out last
10k (the validation split). Each run also keeps an exponential moving average of its
weights (decay :data:`EMA_DECAY` per step, ``TrainConfig.ema``) and records the
validation error of the raw and of the averaged weights after every epoch: weight
averaging is a lever that costs no extra run.

- stage "screen" (seed 0): for each net of :data:`NETS` and each budget of
  :data:`BUDGETS` epochs, one factor at a time around the base recipe (Adam, one-cycle,
  peak lr 1e-2, weight decay 1e-4, batch 128, no label smoothing, hidden biases at -3):
  weight decay 0 / 3e-4 / 1e-3 (re-tuned per budget), lr 3e-3, batch 256, label
  smoothing 0.1, and at 20 epochs a cosine schedule. The nets with torch's default
  initialisation (``ModelConfig.init="torch"``, width 784) are screened on their own
  peak learning rate, 1e-3 / 3e-3 / 1e-2, at 20 epochs.
- stage "screen2" and later (``--candidates FILE.json``): exactly the candidates of a
  JSON list (each a recipe: ``weights``, ``width``, ``epochs`` and any field of the base
  recipe that differs; ``init`` defaults to "paper"; optional ``lever`` and ``stage``),
  run like screen rows (seed 0, validation split) but with no finals; their rows carry
  the stage, and ``--collect`` lists them apart while choosing each net's best recipe
  from every screen row.
- stage "final": per net, the screened recipe with the lowest final validation error,
  raw or averaged weights (whichever was lower), for seeds 0, 1 and 2; these runs also
  record the test error of both weights. Selection never looks at the test set.

The candidates run in priority order (:data:`NETS`: the shared net at the paper's width
first) in ``--workers`` processes that share the GPU. A screen run starts only when its
estimated end (from the epoch times measured so far) falls before ``--deadline``; a net's
finals are queued first as soon as its screen is settled, and start only when they fit
before ``--final-deadline`` (a finalist whose budget no longer fits gives way to the net's
best recipe that does; the row says so). A run whose next epoch would end after its hard
stop is cut short and recorded as aborted. Every finished run is appended at once as
one JSON line to ``--out``, so a killed search still leaves its results.

Recorded run (benchmarks/recipe_budget.json, collected from its JSONL and the probe's):
one NVIDIA H100 80GB HBM3, torch 2.11.0+cu130, bfloat16 matmuls, 8 workers (the probe:
one full epoch of the shared 1064 net took 1.66 s alone, 3.75 s each with 8 workers,
6.13 s each with 14: 0.60, 2.14 and 2.29 epochs/s in all), ``--deadline 290
--final-deadline 455 --epoch-seconds 1064:3.8,784:2.6 --save-dir /tmp/rb_models``. In
those 335 s all 22 candidates of the shared 1064 net ran, 3 of the variable 1064 net and 4
of the shared 784 net; the other 65 were not started (the screen deadline), so the
variable 784 net and the torch-initialised nets have no result yet (``--nets`` reruns
only those).

Follow-up (stage "screen2", same JSON): the 20 candidates of
``benchmarks/recipe_budget_screen2.candidates.json`` (12 asked for, then 8 "screen2-extra"
that started only if they fit), ``--candidates ... --workers 12 --epoch-seconds
1064:5.0,784:4.0 --deadline 185 --final-deadline 200 --screen-grace 15``, on the same
kind of H100: all 20 complete in 136 s (12 in parallel at about 3.6 s/epoch each at batch
256, then 8 at about 2.1). Its repeat of the first screen's variable 1064 batch-256 run
reproduced every loss and error bit for bit. It found weight decay 0 far better for the
variable nets, so that net's finals were rerun with that recipe by
``benchmarks/recipe_budget_finals.py`` (stage "final2").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import queue
import statistics
import sys
import time
import traceback
from collections import defaultdict, deque
from pathlib import Path

EMA_DECAY = 0.999
BUDGETS = (40, 20, 10)  # the longest first: the runs are packed onto the workers longest-first
WEIGHT_DECAYS = (0.0, 1e-4, 3e-4, 1e-3)
BASE = dict(lr=1e-2, weight_decay=1e-4, batch_size=128, label_smoothing=0.0, schedule="onecycle")
# (weights, width, init) in priority order
NETS = [("shared", 1064, "paper"), ("variable", 1064, "paper"), ("shared", 784, "paper"),
        ("variable", 784, "paper"), ("shared", 784, "torch"), ("variable", 784, "torch")]
TORCH_INIT_LRS = (1e-3, 3e-3, 1e-2)
TORCH_INIT_EPOCHS = 20
PAPER_BIAS_INIT = -3.0
SEEDS = (0, 1, 2)
SMOKE = dict(n_train=2000, n_eval=2000, epochs=2, workers=2)


def net_name(weights: str, width: int, init: str) -> str:
    return f"{weights}-{width}" + ("" if init == "paper" else "-torchinit")


def screen_candidates() -> list[dict]:
    """The screen in priority order: per net, per budget (longest first), one factor at a time."""
    out = []
    for weights, width, init in NETS:
        net = dict(weights=weights, width=width, init=init)
        if init == "torch":
            out += [dict(net, **BASE) | dict(epochs=TORCH_INIT_EPOCHS, lr=lr, lever=f"lr {lr:g}") for lr in TORCH_INIT_LRS]
            continue
        for epochs in BUDGETS:
            budget = dict(net, **BASE, epochs=epochs)
            out.append(dict(budget, lever="base"))
            out += [dict(budget, weight_decay=wd, lever=f"weight decay {wd:g}") for wd in WEIGHT_DECAYS
                    if wd != BASE["weight_decay"]]
            out.append(dict(budget, lr=3e-3, lever="lr 0.003"))
            out.append(dict(budget, batch_size=256, lever="batch 256"))
            out.append(dict(budget, label_smoothing=0.1, lever="label smoothing 0.1"))
            if epochs == 20:
                out.append(dict(budget, schedule="cosine", lever="cosine schedule"))
    return out


def smoke_candidates() -> list[dict]:
    """Three tiny candidates at width 784 that between them use every lever."""
    base = dict(BASE, epochs=SMOKE["epochs"], width=784)
    return [dict(base, weights="shared", init="paper", lever="base"),
            dict(base, weights="variable", init="paper", batch_size=256, label_smoothing=0.1, lever="batch+LS"),
            dict(base, weights="shared", init="torch", lr=3e-3, schedule="cosine", lever="torch init")]


def file_candidates(path: str, stage: str = "screen2") -> list[dict]:
    """The candidates of a JSON list, completed with the base recipe (``--candidates``)."""
    out = []
    for c in json.loads(Path(path).read_text()):
        missing = {"weights", "width", "epochs"} - set(c)
        if missing:
            raise ValueError(f"candidate {c} lacks {sorted(missing)}")
        unknown = set(c) - {*BASE, "weights", "width", "epochs", "init", "lever", "stage"}
        if unknown:
            raise ValueError(f"candidate {c} has unknown fields {sorted(unknown)}")
        full = {"init": "paper", **BASE, **c}
        lever = ", ".join(f"{k} {full[k]:g}" if isinstance(full[k], float) else f"{k} {full[k]}"
                          for k in BASE if full[k] != BASE[k]) or "base"
        out.append({**full, "lever": c.get("lever", lever), "stage": c.get("stage", stage)})
    return out


def config_for(candidate: dict, seed: int, n_train: int, precision: str):
    from resdyn_utils.models import ModelConfig
    from resdyn_utils.training import DataConfig, TrainConfig

    paper = candidate["init"] == "paper"
    model = ModelConfig(784, candidate["width"], 15, 10, candidate["weights"],
                        bias_init=PAPER_BIAS_INIT if paper else 0.0, init=candidate["init"])
    # DataConfig only documents the run: fit() is handed the validation split itself.
    return TrainConfig(model, DataConfig("mnist", n_train, None), epochs=candidate["epochs"],
                       batch_size=candidate["batch_size"], lr=candidate["lr"], optimizer="adam",
                       schedule=candidate["schedule"], weight_decay=candidate["weight_decay"], seed=seed,
                       precision=precision, label_smoothing=candidate["label_smoothing"], ema=EMA_DECAY)


def recipe_of(row: dict) -> dict:
    keys = ("weights", "width", "init", "epochs", "lr", "weight_decay", "batch_size", "label_smoothing", "schedule")
    return {k: row[k] for k in keys}


# --------------------------------------------------------------------------- worker


class _Abort(Exception):
    """The next epoch would end after the run's hard stop."""


def _load(setup: dict, device):
    from resdyn_utils.data import Dataset, load_dataset, stratified_subset, validation_split

    full = load_dataset("mnist")
    held = validation_split(full)
    train, valid, test = held.train, held.test, full.test
    if setup["smoke"]:
        train = stratified_subset(train, SMOKE["n_train"], seed=0)
        valid = stratified_subset(valid, SMOKE["n_eval"], seed=0)
        test = stratified_subset(test, SMOKE["n_eval"], seed=1)
    return Dataset("mnist-validation", train.to(device), valid.to(device), 10), test.to(device)


def worker(wid: int, inbox, outbox, setup: dict) -> None:
    import torch

    from resdyn_utils.training import cpu_model

    torch.set_num_threads(1)
    try:
        device = torch.device(setup["device"])
        data, test = _load(setup, device)  # on the device once, for every run of this worker
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_model()
        if device.type == "cuda":
            _warm_up(device)
    except Exception:
        outbox.put(("dead", wid, traceback.format_exc()))
        return
    outbox.put(("ready", wid, name))
    info = {"device": name, "torch": torch.__version__, "python": platform.python_version()}
    while True:
        task = inbox.get()
        if task is None:
            return
        try:
            send = lambda msg: outbox.put((*msg[:1], wid, *msg[1:]))  # noqa: E731
            if task.get("reuse") is not None:
                row = test_saved_run(task, test, device, info)
            else:
                row = run_task(task, data, test, device, info, send, setup.get("save_dir"))
        except Exception:
            row = {**task, "error": traceback.format_exc()}
        outbox.put(("done", wid, row))


def _warm_up(device) -> None:
    """A few training steps of each net on random data: CUDA's and cuBLAS's lazy
    initialisation happen here, not in the first timed epoch."""
    import torch

    from resdyn_utils.models import ModelConfig, ResidualNet

    for weights in ("shared", "variable"):
        model = ResidualNet(ModelConfig(784, 1064, 15, 10, weights)).to(device)
        opt = torch.optim.Adam(model.parameters(), fused=True)
        x, y = torch.rand(128, 784, device=device), torch.randint(0, 10, (128,), device=device)
        for precision in ("fp32", "bf16", "bf16"):
            loss = torch.nn.functional.cross_entropy(model(x, precision=precision), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    torch.cuda.synchronize(device)


def run_task(task: dict, data, test, device, info: dict, send, save_dir: str | None = None) -> dict:
    import torch

    from resdyn_utils.training import TrainingDiverged, accuracy, fit

    config = config_for(task, task["seed"], len(data.train), task["precision"])
    curves = defaultdict(list)
    final_test, raw_state = {}, {}

    def on_epoch_end(model, record):
        curves["val_error_ema"].append(1 - record["test_acc"])
        curves["val_error_raw"].append(1 - record["raw_test_acc"])
        curves["train_error_ema"].append(1 - record["train_acc"])
        curves["train_error_raw"].append(1 - record["raw_train_acc"])
        curves["loss"].append(record["loss"])
        curves["epoch_seconds"].append(record["seconds"])
        send(("epoch", task["id"], record["seconds"]))
        if task["kind"] != "screen" and record["last_epoch"]:
            final_test["raw"] = 1 - accuracy(model, test)
        if task["kind"] == "screen" and save_dir and record["last_epoch"]:
            raw_state.update({k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
        if not record["last_epoch"] and time.time() + 1.05 * record["seconds"] > task["hard_stop"]:
            raise _Abort

    start = time.perf_counter()
    status = "complete"
    try:
        trained = fit(config, data=data, on_epoch_end=on_epoch_end, progress=False, device=device)
        if task["kind"] != "screen":
            final_test["ema"] = 1 - accuracy(trained.model.to(device), test)
        elif save_dir:  # for the seed-0 final, should this run be chosen (test_saved_run)
            torch.save({"raw": raw_state, "ema": trained.model.state_dict()}, Path(save_dir) / f"{task['id']}.pt")
    except _Abort:
        status = "aborted"
    except TrainingDiverged as err:
        status = f"diverged: {err}"
    row = {**{k: v for k, v in task.items() if k != "hard_stop"}, "status": status,
           "seconds": time.perf_counter() - start, **info, "n_train": len(data.train), "n_valid": len(data.test),
           "ema_decay": EMA_DECAY, "bias_init": config.model.bias_init, "config_key": config.key(),
           "config": config.to_dict(), "epochs_run": len(curves["loss"]), **curves}
    # loss may be inf/nan after a divergence: JSON has no such numbers
    row["loss"] = [x if math.isfinite(x) else None for x in row.get("loss", [])]
    if status == "complete":
        row["val_error_raw_final"] = curves["val_error_raw"][-1]
        row["val_error_ema_final"] = curves["val_error_ema"][-1]
        if task["kind"] != "screen":
            row["test_error_raw"], row["test_error_ema"] = final_test["raw"], final_test["ema"]
    return row


def test_saved_run(task: dict, test, device, info: dict) -> dict:
    """The seed-0 final of a net: its screen run itself (same config and seed), whose raw
    and averaged weights were saved at its end, now evaluated on the test set."""
    import torch

    from resdyn_utils.models import ResidualNet
    from resdyn_utils.training import accuracy

    start = time.perf_counter()
    screen = task["reuse"]
    states = torch.load(screen["saved"], map_location=device, weights_only=True)
    config = config_for(task, task["seed"], screen["n_train"], task["precision"])
    assert config.key() == screen["config_key"], "the saved run has another config"
    model = ResidualNet(config.model).to(device)
    errors = {}
    for use in ("raw", "ema"):
        model.load_state_dict(states[use])
        errors[f"test_error_{use}"] = 1 - accuracy(model, test)
    keep = {k: v for k, v in screen.items() if k not in ("id", "kind", "lever", "t", "saved", "seconds", "file")}
    return {**keep, **{k: v for k, v in task.items() if k not in ("hard_stop", "reuse")}, **errors,
            "reused_screen_run": screen["id"], "seconds": screen["seconds"],
            "test_seconds": time.perf_counter() - start, **info}


# --------------------------------------------------------------------------- selection


def best_of(rows: list[dict]) -> dict | None:
    """The complete screen row with the lowest final validation error, raw or averaged
    weights (ties: the shorter budget); ``weights_used`` says which."""
    done = [r for r in rows if r.get("kind") == "screen" and r.get("status") == "complete"]
    if not done:
        return None
    score = lambda r: (min(r["val_error_raw_final"], r["val_error_ema_final"]), r["epochs"], r["id"])  # noqa: E731
    best = min(done, key=score)
    use = "ema" if best["val_error_ema_final"] < best["val_error_raw_final"] else "raw"
    return {**best, "weights_used": use, "val_error_selected": best[f"val_error_{use}_final"]}


# --------------------------------------------------------------------------- dispatcher


class Search:
    """Runs tasks on worker processes in priority order, within deadlines."""

    def __init__(self, args, candidates: list[dict]):
        import multiprocessing as mp

        self.args = args
        self.t0 = time.time()
        self.screen_deadline = self.t0 + args.deadline
        self.final_deadline = self.t0 + args.final_deadline
        self.ctx = mp.get_context("spawn")
        self.outbox = self.ctx.Queue()
        setup = {"device": args.device, "smoke": args.smoke, "save_dir": getattr(args, "save_dir", None)}
        self.inboxes = [self.ctx.Queue() for _ in range(args.workers)]
        self.procs = [self.ctx.Process(target=worker, args=(w, self.inboxes[w], self.outbox, setup), daemon=True)
                      for w in range(args.workers)]
        for p in self.procs:
            p.start()
        self.idle: list[int] = []
        self.dead: set[int] = set()
        self.running: dict[int, dict] = {}
        self.rows: list[dict] = []
        self.epoch_times: dict[tuple, deque] = defaultdict(lambda: deque(maxlen=24))
        self.prior = dict(args.epoch_seconds)
        self.next_id = 0
        self.screen = [self._task("screen", c, 0) for c in candidates]
        self.finals: list[dict] = []
        self.settled: set[str] = set()
        self.nets = list(dict.fromkeys(t["net"] for t in self.screen))
        self.out = open(args.out, "a")
        self.device_name = None

    def _task(self, kind: str, candidate: dict, seed: int, **extra) -> dict:
        self.next_id += 1
        net = net_name(candidate["weights"], candidate["width"], candidate["init"])
        return {"id": self.next_id, "kind": kind, "stage": kind, "net": net, "seed": seed,
                "precision": self.args.precision, **candidate, **extra}

    def write(self, row: dict) -> None:
        row = {**row, "reuse": row["reuse"]["id"]} if isinstance(row.get("reuse"), dict) else row
        self.out.write(json.dumps({"t": round(time.time() - self.t0, 1), **row}) + "\n")
        self.out.flush()
        os.fsync(self.out.fileno())

    def epoch_estimate(self, task: dict) -> float:
        """Seconds per epoch of ``task`` at the present load (median of the latest epochs)."""
        for key in ((task["width"], task["batch_size"]), (task["width"],)):
            if len(self.epoch_times[key]) >= 2:
                return statistics.median(self.epoch_times[key])
        guess = self.prior.get(task["width"], self.prior.get(1064, 3.0) * (task["width"] / 1064) ** 2)
        return guess * (0.6 if task["batch_size"] >= 256 else 1.0)

    def fits(self, task: dict, deadline: float) -> bool:
        if task.get("reuse") is not None:
            return time.time() + 5.0 <= deadline
        return time.time() + 1.1 * task["epochs"] * self.epoch_estimate(task) + 2.0 <= deadline

    def receive(self, timeout: float = 0.5) -> None:
        try:
            msg = self.outbox.get(timeout=timeout)
        except queue.Empty:
            msg = None
        if msg is not None:
            what, wid, *rest = msg
            if what == "ready":
                self.idle.append(wid)
                self.device_name = rest[0]
            elif what == "epoch":
                task = self.running.get(wid)
                if task is not None:
                    self.epoch_times[(task["width"], task["batch_size"])].append(rest[1])
                    self.epoch_times[(task["width"],)].append(rest[1] * (1.0 if task["batch_size"] < 256 else 1.6))
            elif what == "done":
                row = rest[0]
                self.running.pop(wid, None)
                self.idle.append(wid)
                self.rows.append(row)
                self.write(row)
                err = row.get("error", "").strip().splitlines()[-1:] if row.get("error") else None
                print(f"[{time.time() - self.t0:6.1f}s] {row['kind']:6s} {row['net']:20s} {row.get('lever', ''):22s} "
                      f"ep={row['epochs']:2d} seed={row['seed']} {row.get('status', 'ERROR')} "
                      f"val raw/ema={row.get('val_error_raw_final', float('nan')):.4f}/"
                      f"{row.get('val_error_ema_final', float('nan')):.4f}"
                      + (f" test raw/ema={row['test_error_raw']:.4f}/{row['test_error_ema']:.4f}"
                         if 'test_error_raw' in row else "") + f" {row.get('seconds', 0):.0f}s"
                      + (f" ERROR {err}" if err else ""), flush=True)
            elif what == "dead":
                self.dead.add(wid)
                print(f"worker {wid} failed to start:\n{rest[0]}", file=sys.stderr, flush=True)
        for wid, task in list(self.running.items()):
            if not self.procs[wid].is_alive():
                self.running.pop(wid)
                row = {**{k: v for k, v in task.items() if k != "hard_stop"}, "error": "worker process died"}
                self.rows.append(row)
                self.write(row)

    def settle(self) -> None:
        """Queue the finals of every net whose screen is over (nothing queued or running)."""
        if getattr(self.args, "candidates", None):
            return  # a follow-up screen: its finals would see only its own rows
        for net in self.nets:
            if net in self.settled:
                continue
            if any(t["net"] == net for t in self.screen) or any(t["net"] == net for t in self.running.values()):
                continue
            self.settled.add(net)
            rows = [r for r in self.rows if r["net"] == net]
            best = best_of(rows)
            if best is None:
                print(f"{net}: no complete screen run, no finals", flush=True)
                continue
            rule = "lowest validation error"
            if not self.fits({**best, "epochs": best["epochs"]}, self.final_deadline):
                fitting = [r for r in rows if r.get("status") == "complete" and self.fits(r, self.final_deadline)]
                fallback = best_of(fitting)
                if fallback is None:
                    print(f"{net}: no screened recipe fits before the final deadline, no finals", flush=True)
                    continue
                rule = (f"lowest validation error among the budgets that fit the time left (the overall best, "
                        f"{best['epochs']} epochs, did not)")
                best = fallback
            print(f"{net}: finalist {best['lever']} at {best['epochs']} epochs ({best['weights_used']} weights, "
                  f"validation error {best['val_error_selected']:.4f}); {rule}", flush=True)
            saved = Path(self.args.save_dir or ".") / f"{best['id']}.pt"
            for seed in SEEDS:
                reuse = None
                if seed == best["seed"] and self.args.save_dir and saved.is_file():
                    reuse = {**{k: v for k, v in best.items() if k not in ("weights_used", "val_error_selected")},
                             "saved": str(saved)}
                self.finals.append(self._task("final", recipe_of(best), seed, lever=best["lever"],
                                              weights_used=best["weights_used"], selected_from=best["id"],
                                              selection_rule=rule, reuse=reuse,
                                              screen_val_error_selected=best["val_error_selected"]))

    def start(self, task: dict, hard_stop: float) -> None:
        wid = self.idle.pop(0)
        task["hard_stop"] = hard_stop
        self.running[wid] = task
        self.inboxes[wid].put(task)

    def dispatch(self) -> None:
        while self.idle:
            now = time.time()
            final = next((t for t in self.finals if self.fits(t, self.final_deadline)), None)
            if final is None:
                for t in [t for t in self.finals if not self.fits(t, self.final_deadline)]:
                    self.finals.remove(t)
                    self.write({**t, "status": "not started: would end after the final deadline"})
            if final is not None:
                self.finals.remove(final)
                self.start(final, self.final_deadline)
                continue
            task = next((t for t in self.screen if now < self.screen_deadline and self.fits(t, self.screen_deadline)),
                        None)
            if task is None:  # nothing left fits: drop the rest of the screen
                for t in self.screen:
                    self.write({**t, "status": "not started: would end after the screen deadline"})
                self.screen = []
                return
            self.screen.remove(task)
            hard_stop = min(self.screen_deadline + self.args.screen_grace, self.final_deadline)
            self.start(task, time.time() if task.get("smoke_abort") else hard_stop)

    def run(self) -> list[dict]:
        self.write({"kind": "meta", "argv": sys.argv[1:], "workers": self.args.workers,
                    "deadline": self.args.deadline, "final_deadline": self.args.final_deadline})
        started = False
        while True:
            self.receive()
            if not started:
                if len(self.idle) + len(self.dead) < len(self.procs) and time.time() < self.t0 + 120:
                    continue  # let every worker load its data before the first start
                started = True
            self.settle()
            self.dispatch()
            if not (self.screen or self.finals or self.running):
                break
            if time.time() > self.final_deadline + self.args.grace:
                print("final deadline passed: stopping the runs still going", flush=True)
                break
            if not any(p.is_alive() for p in self.procs):
                print("every worker died", file=sys.stderr, flush=True)
                break
        self.stop()
        return self.rows

    def stop(self) -> None:
        for box in self.inboxes:
            box.put(None)
        until = time.time() + 5
        for p in self.procs:
            p.join(timeout=max(0.0, until - time.time()))
        for p in self.procs:
            if p.is_alive():
                p.terminate()
        self.write({"kind": "end", "seconds": time.time() - self.t0, "device": self.device_name})
        self.out.close()


# --------------------------------------------------------------------------- probe


def probe(args) -> None:
    """One full-size epoch of the shared 1064 net per worker, at each worker count."""
    args.workers = max(args.probe)
    search = Search(args, [])
    search.write({"kind": "meta", "probe": args.probe})
    while len(search.idle) + len(search.dead) < args.workers and time.time() < search.t0 + 120:
        search.receive()
    base = dict(BASE, weights="shared", width=1064, init="paper", epochs=1)
    levels = [(1, "fp32")] + [(p, args.precision) for p in args.probe]
    summary = {}
    for p, precision in levels:
        tasks = [search._task("probe", base, seed, lever=f"probe P={p} {precision}") for seed in range(p)]
        for t in tasks:
            t["precision"] = precision
            search.start(t, time.time() + 600)
        while search.running:
            search.receive()
        rows = [r for r in search.rows[-p:] if r.get("epoch_seconds")]
        if not rows:
            print(f"P={p} {precision}: no run finished", flush=True)
            continue
        secs = statistics.median(r["epoch_seconds"][0] for r in rows)
        summary[f"P={p} {precision}"] = {"workers": p, "precision": precision, "s_per_epoch": secs,
                                          "epochs_per_s": p / secs}
        print(f"P={p:2d} {precision}: {secs:.2f} s/epoch per worker, {p / secs:.2f} epochs/s in all", flush=True)
    search.stop()
    levels = [v for v in summary.values() if v["precision"] == args.precision]
    top = max(v["epochs_per_s"] for v in levels)
    choice = min((v for v in levels if v["epochs_per_s"] >= 0.95 * top), key=lambda v: v["workers"])
    result = {"summary": summary, "choice": choice}
    print("CHOICE", json.dumps(choice), flush=True)
    if args.probe_file:
        Path(args.probe_file).write_text(json.dumps(result))


# --------------------------------------------------------------------------- collect


def collect(paths: list[str], out: Path) -> dict:
    import pandas as pd

    from resdyn_utils.integrity import write_json

    rows, meta = [], []
    for path in paths:
        for line in Path(path).read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                (meta if row.get("kind") in ("meta", "end") else rows).append({**row, "file": Path(path).name})
    runs = [r for r in rows if "status" in r and not r["status"].startswith("not started")]
    selection, finals = {}, {}
    for net in dict.fromkeys(r["net"] for r in rows if r["kind"] == "screen"):
        best = best_of([r for r in runs if r["net"] == net])
        by_budget = {}
        for r in runs:
            if r["net"] == net and r["kind"] == "screen" and r["status"] == "complete":
                err = min(r["val_error_raw_final"], r["val_error_ema_final"])
                by_budget[r["epochs"]] = min(by_budget.get(r["epochs"], 1.0), err)
        final_rows = [r for r in runs if r["net"] == net and r["kind"] == "final" and r["status"] == "complete"]
        selection[net] = {"best": None if best is None else {**recipe_of(best), "lever": best["lever"],
                                                             "weights_used": best["weights_used"],
                                                             "val_error": best["val_error_selected"]},
                          "best_val_error_by_budget": {str(k): v for k, v in sorted(by_budget.items())}}
        if final_rows:
            use = final_rows[0]["weights_used"]
            per_seed = [{"seed": r["seed"], "val_error": r[f"val_error_{use}_final"],
                         "test_error": r[f"test_error_{use}"], "test_error_raw": r["test_error_raw"],
                         "test_error_ema": r["test_error_ema"]} for r in sorted(final_rows, key=lambda r: r["seed"])]
            finals[net] = {"recipe": {**recipe_of(final_rows[0]), "lever": final_rows[0]["lever"]},
                           "weights_used": use, "selection_rule": final_rows[0]["selection_rule"],
                           "per_seed": per_seed,
                           "mean_val_error": statistics.mean(s["val_error"] for s in per_seed),
                           "mean_test_error": statistics.mean(s["test_error"] for s in per_seed)}
    stages = defaultdict(list)  # the follow-up screens (rows without a stage are the first screen's)
    for r in runs:
        if r["kind"] == "screen" and r.get("stage", "screen") != "screen":
            entry = {"net": r["net"], "lever": r["lever"], **recipe_of(r), "status": r["status"]}
            if r["status"] == "complete":
                entry.update(val_error_raw=r["val_error_raw_final"], val_error_ema=r["val_error_ema_final"],
                             s_per_epoch=statistics.median(r["epoch_seconds"]))
            stages[r["stage"]].append(entry)
    devices = sorted({r["device"] for r in runs if r.get("device")})
    result = {"device": devices, "torch": sorted({r["torch"] for r in runs if r.get("torch")}),
              "ema_decay": EMA_DECAY, "selection": selection, "finals": finals, "stages": dict(stages),
              "meta": meta, "rows": rows}
    write_json(out, result)

    pd.set_option("display.width", 200)
    kinds = {k: sum(r["kind"] == k for r in runs) for k in ("screen", "final", "probe")}
    unstarted = sum(r.get("status", "").startswith("not started") for r in rows)
    print(f"device {devices}; runs: {kinds}; {unstarted} screen candidates not started (deadline)")
    table = pd.DataFrame([{"net": net, **{f"best val % @{k}": 100 * v for k, v in s["best_val_error_by_budget"].items()},
                           "best": None if s["best"] is None else
                           f"{s['best']['lever']} @{s['best']['epochs']} ({s['best']['weights_used']})",
                           "val %": None if s["best"] is None else 100 * s["best"]["val_error"]}
                          for net, s in selection.items()])
    print(table.to_string(index=False, float_format="%.2f"))
    for stage, srows in stages.items():
        print(f"stage {stage}:")
        print(pd.DataFrame([{"net": r["net"], "lever": r["lever"], "ep": r["epochs"], "status": r["status"],
                             "val % raw": 100 * r.get("val_error_raw", math.nan),
                             "val % ema": 100 * r.get("val_error_ema", math.nan),
                             "s/epoch": r.get("s_per_epoch", math.nan)} for r in srows]
                           ).to_string(index=False, float_format="%.2f"))
    for net, f in finals.items():
        seeds = ", ".join(f"s{s['seed']} val {100 * s['val_error']:.2f} test {100 * s['test_error']:.2f}"
                          for s in f["per_seed"])
        print(f"final {net}: {f['recipe']['lever']} @{f['recipe']['epochs']} ({f['weights_used']}): {seeds}; "
              f"mean val {100 * f['mean_val_error']:.2f}% test {100 * f['mean_test_error']:.2f}%")
    print(f"wrote {out}")
    return result


# --------------------------------------------------------------------------- main


def parse_epoch_seconds(text: str) -> dict[int, float]:
    return {int(k): float(v) for k, v in (part.split(":") for part in text.split(",") if part)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="recipe_budget.jsonl")
    parser.add_argument("--device", default=None, help="cuda or cpu (default: cuda when available)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--deadline", type=float, default=330.0, help="s after start: no screen run starts later")
    parser.add_argument("--final-deadline", type=float, default=490.0, help="s after start: every run ends by then")
    parser.add_argument("--screen-grace", type=float, default=30.0, help="a screen run's hard stop after --deadline")
    parser.add_argument("--grace", type=float, default=20.0)
    parser.add_argument("--precision", default="bf16", choices=("bf16", "fp32"))
    parser.add_argument("--epoch-seconds", type=parse_epoch_seconds, default={},
                        help="prior s/epoch per width under load, e.g. 1064:3.0,784:2.0")
    parser.add_argument("--probe-file", default=None, help="the probe's result: read by a search (P and s/epoch)")
    parser.add_argument("--probe", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--nets", type=lambda s: s.split(","), default=None,
                        help="screen only these nets, e.g. variable-1064,shared-784-torchinit (a follow-up run)")
    parser.add_argument("--candidates", default=None,
                        help="a JSON list of candidates: run exactly these (seed 0, no finals), e.g. a follow-up")
    parser.add_argument("--stage", default="screen2", help="the stage recorded on the rows of --candidates")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny data on CPU; with --candidates: those candidates at 1 epoch")
    parser.add_argument("--save-dir", default=None,
                        help="keep each screen run's last weights here: the seed-0 final of a net is its screen run")
    parser.add_argument("--collect", nargs="+", default=None)
    parser.add_argument("--json", default=str(Path(__file__).with_suffix(".json")))
    args = parser.parse_args(argv)
    if args.collect:
        collect(args.collect, Path(args.json))
        return
    if args.device is None:
        import torch

        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.probe:
        probe(args)
        return
    if args.probe_file and Path(args.probe_file).is_file():
        choice = json.loads(Path(args.probe_file).read_text())["choice"]
        args.workers = args.workers or choice["workers"]
        args.epoch_seconds = args.epoch_seconds or {1064: choice["s_per_epoch"]}
        print(f"probe's choice: {choice['workers']} workers at {choice['s_per_epoch']:.2f} s/epoch (width 1064); "
              f"using {args.workers} workers, prior s/epoch {args.epoch_seconds}", flush=True)
    if args.candidates:
        candidates = file_candidates(args.candidates, args.stage)
        if args.smoke:
            candidates = [dict(c, epochs=1) for c in candidates]
        args.workers = args.workers or (SMOKE["workers"] if args.smoke else 8)
    elif args.smoke:
        import tempfile

        args.save_dir = args.save_dir or tempfile.mkdtemp(prefix="recipe_budget_smoke_")
        args.workers = args.workers or SMOKE["workers"]
        candidates = smoke_candidates()
    else:
        args.workers = args.workers or 8
        candidates = [c for c in screen_candidates()
                      if not args.nets or net_name(c["weights"], c["width"], c["init"]) in args.nets]
    print(f"{len(candidates)} candidates, {args.workers} workers on {args.device}, precision {args.precision}, "
          f"screen deadline {args.deadline:.0f} s, final deadline {args.final_deadline:.0f} s", flush=True)
    if args.save_dir:
        Path(args.save_dir).mkdir(parents=True, exist_ok=True)
    search = Search(args, candidates)
    if args.smoke and not args.candidates:  # the path of a run cut short by its hard stop: one epoch, then aborted
        abort = search._task("screen", dict(candidates[0], epochs=3), 0, lever="abort path")
        search.screen.insert(0, abort)
        search.screen[0]["smoke_abort"] = True
    rows = search.run()
    done = [r for r in rows if r.get("status") == "complete"]
    print(f"{len(rows)} runs finished ({len(done)} complete) in {time.time() - search.t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
