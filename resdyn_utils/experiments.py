"""The book's canonical training configurations.

Every chapter builds its configs here, so that the same model (same config, same
cache key) trained by one chapter is loaded, not retrained, by the next. The
recipes and the search behind them are explained in the training chapter; the
search itself is ``benchmarks/recipe_search.py``.
"""

from __future__ import annotations

import os

from .data import N_CLASSES, N_PIXELS
from .models import PRECISIONS, ModelConfig
from .profiles import REGIMES, Profile
from .training import DataConfig, TrainConfig, Trained, cpu_model, default_device, device_name, native_bf16

MODEL_KINDS = ("shared", "variable", "mlp")
PAPER_DEPTH = 15

# MNIST training regimes. Every MNIST net is trained in one of three regimes; the book's
# chapters use the profile's regime (``validated`` unless a build asks for another), and
# the regime study re-runs the dynamics chapters under the other two (issue 16):
# - validated: the recipe each net reached in benchmarks/recipe_budget.py, selected on the
#   validation split at 20 epochs (longer budgets validated worse), hidden biases at -3;
# - torch-init: the same search, with torch's nn.Linear default initialisation of W and b
#   (what a 2019 paper most likely used) and its own validated learning rate;
# - short: the first recipe of the book, 5 epochs at batch 128 (benchmarks/recipe_search.py).
MNIST_INIT = dict(w_std=1.0, bias_init=-3.0)
MNIST_INITS = {"validated": MNIST_INIT, "torch-init": dict(init="torch"), "short": MNIST_INIT}
_ADAM = dict(optimizer="adam", schedule="onecycle")
_LONG = dict(_ADAM, epochs=20)
_SHORT = dict(_ADAM, epochs=5, batch_size=128)
EMA = 0.999  # the decay per step of the weight average, where the search chose the average
# (regime, weights, width) -> recipe; width None: any width. The MLP (the variable net
# without its skip connections, the same weights) takes the variable net's recipe.
MNIST_RECIPES: dict[tuple[str, str, int | None], dict] = {
    ("validated", "shared", 784): dict(_LONG, batch_size=256, lr=1e-2, weight_decay=1e-4, ema=0.0),
    ("validated", "shared", 1064): dict(_LONG, batch_size=128, lr=3e-3, weight_decay=1e-4, ema=EMA),
    ("validated", "variable", 784): dict(_LONG, batch_size=256, lr=1e-2, weight_decay=0.0, ema=EMA),
    ("validated", "variable", 1064): dict(_LONG, batch_size=256, lr=1e-2, weight_decay=0.0, ema=EMA),
    ("torch-init", "shared", 784): dict(_LONG, batch_size=256, lr=1e-2, weight_decay=1e-4, ema=EMA),
    ("torch-init", "variable", 784): dict(_LONG, batch_size=256, lr=1e-2, weight_decay=1e-4, ema=0.0),
    ("short", "shared", None): dict(_SHORT, lr=1e-2, weight_decay=1e-4, ema=0.0),
    ("short", "variable", None): dict(_SHORT, lr=1e-2, weight_decay=0.0, ema=0.0),
}
# The MNIST nets train with bfloat16 matmuls (float32 weights, residual stream and Adam)
# where the hardware multiplies bfloat16 natively: twice the matmul rate of float32 on
# CPUs with AVX512-BF16 and on recent GPUs. Elsewhere bfloat16 is emulated (60 times
# slower than float32 on an AVX2 CPU), so they train in float32. The precision is part
# of each model's config, and so of its cache key. RESDYN_PRECISION=fp32|bf16 forces one
# (to reproduce a build of the other kind of machine). The first recipe search ran in
# float32; benchmarks/precision.py compares the two precisions.
PRECISION_ENV = "RESDYN_PRECISION"


def mnist_precision() -> str:
    """The precision of the MNIST nets' training matmuls on this machine: ``"bf16"``
    where :func:`~resdyn_utils.training.native_bf16` holds for the training device,
    ``"fp32"`` otherwise, unless ``RESDYN_PRECISION`` names one."""
    forced = os.environ.get(PRECISION_ENV, "")
    if forced:
        if forced not in PRECISIONS:
            raise ValueError(f"{PRECISION_ENV}={forced!r} is not a precision: set it to one of "
                             f"{tuple(PRECISIONS)}, or unset it to let the hardware decide")
        return forced
    return "bf16" if native_bf16(default_device(N_PIXELS)) else "fp32"


def precision_reason() -> str:
    """Why :func:`mnist_precision` chose what it chose on this machine, in words."""
    if os.environ.get(PRECISION_ENV):
        return f"set by {PRECISION_ENV}"
    device = default_device(N_PIXELS)
    where = cpu_model() if device.type == "cpu" else device_name(device)
    if native_bf16(device):
        return f"the {where} multiplies bfloat16 natively"
    return (f"the {where} has no bfloat16 matmul instructions, neither AVX512-BF16 nor AMX "
            "(nor is it a GPU from Ampere on), and emulated bfloat16 runs far slower than float32")


def weights_of(kind: str) -> str:
    """The weights of a net of ``kind``: the MLP is the variable net without its skip
    connections, so it has, and is trained with the recipe of, variable weights."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; use one of {MODEL_KINDS}")
    return "variable" if kind in ("variable", "mlp") else "shared"


def mnist_recipe(regime: str, kind: str, width: int) -> dict:
    """The training recipe (epochs, batch, optimiser, lr, weight decay, EMA) of the
    ``kind`` net at ``width`` in ``regime``; an unsearched combination is refused."""
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; use one of {REGIMES}")
    weights = weights_of(kind)
    for key in ((regime, weights, width), (regime, weights, None)):
        if key in MNIST_RECIPES:
            return dict(MNIST_RECIPES[key])
    searched = sorted(w for r, k, w in MNIST_RECIPES if (r, k) == (regime, weights) and w)
    raise ValueError(f"no {regime} recipe for the {kind} net at width {width}: the recipe search "
                     f"(benchmarks/recipe_budget.py) covered widths {searched}. Search that width "
                     "first, or use a searched one")


# Circles recipes, in the same three regimes (benchmarks/circles_recipe.py selected them
# on validation draws of the circles): validated, the paper-style initialisation with a
# wider W (std 2/sqrt(N)) and biases at -1; torch-init, torch's nn.Linear default; each
# net with its own schedule, budget and learning rate. Short: the book's first recipe
# (200 epochs, one-cycle at 0.03), for every net.
CIRCLES_INIT = dict(w_std=2.0, bias_init=-1.0)
CIRCLES_INITS = {"validated": CIRCLES_INIT, "torch-init": dict(init="torch"), "short": CIRCLES_INIT}
_PLAIN = dict(optimizer="adam", schedule="constant", epochs=300, batch_size=50)
_ONECYCLE = dict(optimizer="adam", schedule="onecycle", epochs=200, batch_size=32)
CIRCLES_RECIPES: dict[tuple[str, str | None], dict] = {
    ("validated", "shared"): dict(_PLAIN, lr=1e-2),
    ("validated", "variable"): dict(_ONECYCLE, lr=3e-3),
    ("torch-init", "shared"): dict(_PLAIN, lr=3e-2),
    ("torch-init", "variable"): dict(_ONECYCLE, lr=1e-2),
    ("short", None): dict(_ONECYCLE, lr=3e-2),
}
CIRCLES_POINTS = 1000  # the paper: 1000 training and 1000 test points


def _model(kind: str, in_dim: int, width: int, depth: int, n_classes: int, init: dict) -> ModelConfig:
    return ModelConfig(in_dim, width, depth, n_classes, weights_of(kind), kind != "mlp", **init)


def mnist_config(kind: str, profile: Profile, seed: int, width: int = N_PIXELS,
                 depth: int = PAPER_DEPTH, epochs: int | None = None) -> TrainConfig:
    """A 15-layer MNIST net: ``kind`` is shared, variable or mlp (variable weights, no skip),
    trained with that kind's recipe in the profile's regime (``profile.regime``). The
    profile's epoch cap (the quick profile's) shortens the recipe, without its weight
    average; ``epochs`` overrides both."""
    recipe = mnist_recipe(profile.regime, kind, width)
    if epochs is None and profile.mnist_epoch_cap is not None and recipe["epochs"] > profile.mnist_epoch_cap:
        epochs = profile.mnist_epoch_cap
        # an average over ~1000 steps (EMA 0.999) of a run of a few dozen steps is the
        # initial net: the capped run reports its trained weights
        recipe["ema"] = 0.0
    recipe["epochs"] = epochs or recipe["epochs"]
    data = DataConfig("mnist", profile.mnist_n_train, profile.mnist_n_test, seed=0)
    model = _model(kind, N_PIXELS, width, depth, N_CLASSES, MNIST_INITS[profile.regime])
    return TrainConfig(model, data, seed=seed, precision=mnist_precision(), **recipe)


def circles_recipe(regime: str, kind: str) -> dict:
    """The circles recipe of the ``kind`` net in ``regime`` (the MLP takes the variable
    net's)."""
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; use one of {REGIMES}")
    weights = weights_of(kind)
    recipe = CIRCLES_RECIPES.get((regime, weights), CIRCLES_RECIPES.get((regime, None)))
    if recipe is None:
        raise ValueError(f"no {regime} circles recipe for the {kind} net: run benchmarks/circles_recipe.py")
    return dict(recipe)


def circles_config(kind: str, profile: Profile, seed: int, pad_zero: bool = True,
                   depth: int = PAPER_DEPTH) -> TrainConfig:
    """The paper's E1 net: 3 units (2 without the zero dimension), 15 layers, trained with
    its recipe in the profile's regime (the profile's epoch cap shortens it)."""
    recipe = circles_recipe(profile.regime, kind)
    if profile.circles_epoch_cap is not None:
        recipe["epochs"] = min(recipe["epochs"], profile.circles_epoch_cap)
    in_dim = 3 if pad_zero else 2
    data = DataConfig("circles", CIRCLES_POINTS, CIRCLES_POINTS, seed=seed, pad_zero=pad_zero)
    model = _model(kind, in_dim, in_dim, depth, 2, CIRCLES_INITS[profile.regime])
    return TrainConfig(model, data, seed=seed, **recipe)


def recipe_words(config: TrainConfig) -> str:
    """A config's recipe in words, for a chapter's text."""
    m = config.model
    init = ("torch's default initialisation of nn.Linear" if m.init == "torch" else
            f"hidden biases initialised at {m.bias_init:g} and $W$ drawn with standard deviation "
            f"${m.w_std:g}/\\sqrt{{N}}$")
    schedule = {"onecycle": "a one-cycle schedule peaking at", "constant": "a constant learning rate of",
                "cosine": "a cosine schedule from"}[config.schedule]
    average = f", weights averaged (EMA {config.ema:g})" if config.ema else ""
    return (f"{config.optimizer.capitalize()} with {schedule} {config.lr:g}, batch {config.batch_size}, "
            f"{config.epochs} epochs, {init}{average}")


def search_best(rows: list[dict], weights: str) -> dict:
    """The final-stage candidate for the ``weights`` net (shared or variable) with the lowest
    validation error, among the rows of ``benchmarks/recipe_search.json``."""
    final = [r for r in rows if r["stage"] == "final" and r["config"]["model"]["weights"] == weights]
    if not final:
        raise ValueError(f"the recipe search has no final-stage row for the {weights} net: "
                         "run benchmarks/recipe_search.py")
    return min(final, key=lambda r: r["validation_error"])


def uses_recipe(kind: str, row: dict) -> bool:
    """Whether the book's short regime trains the ``kind`` net with the recipe of a row of
    the first recipe search (``benchmarks/recipe_search.json``)."""
    recipe = mnist_recipe("short", kind, N_PIXELS)
    return ((row["lr"], row["weight_decay"], row["schedule"], row["bias_init"], row["w_std"])
            == (recipe["lr"], recipe["weight_decay"], recipe["schedule"], MNIST_INIT["bias_init"], MNIST_INIT["w_std"]))


def best_by_training_accuracy(runs: dict[int, Trained]) -> int:
    """The depth whose net fits its training data best (final training accuracy; ties go to
    the shallower net). Chosen without the test set, so test numbers stay unbiased."""
    return max(sorted(runs), key=lambda depth: (runs[depth].history[-1]["train_acc"], -depth))


def recipe_table():
    """Every MNIST recipe of the book, one row per regime, net and width searched
    ("any" where the recipe does not depend on the width)."""
    import pandas as pd

    from .models import KIND_LABELS

    rows = []
    for (regime, weights, width), recipe in MNIST_RECIPES.items():
        init = MNIST_INITS[regime]
        rows.append({"regime": regime, "net": KIND_LABELS[weights], "width N": width or "any",
                     "init": "torch default" if init.get("init") == "torch" else f"bias {init['bias_init']:g}",
                     "epochs": recipe["epochs"], "batch": recipe["batch_size"], "peak lr": recipe["lr"],
                     "weight decay": recipe["weight_decay"],
                     "weights used": f"EMA {recipe['ema']:g}" if recipe["ema"] else "raw"})
    return pd.DataFrame(rows)
