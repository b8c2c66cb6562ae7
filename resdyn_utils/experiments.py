"""The book's canonical training configurations.

Every chapter builds its configs here, so that the same model (same config, same
cache key) trained by one chapter is loaded, not retrained, by the next. The
recipes and the search behind them are explained in the training chapter; the
search itself is ``benchmarks/recipe_search.py``.
"""

from __future__ import annotations

from .data import N_CLASSES, N_PIXELS
from .models import ModelConfig
from .profiles import Profile
from .training import DataConfig, TrainConfig, Trained

MODEL_KINDS = ("shared", "variable", "mlp")
PAPER_DEPTH = 15
PADDED_WIDTH = 1064  # the paper's width: 784 pixels + 280 zero units

# MNIST recipes (see the training chapter): Adam with a one-cycle schedule, batch 128,
# hidden biases initialised at -3 so that the residuals start near sigmoid(-3) = 0.05.
# Peak learning rate and weight decay per net: each net's best in the final stage of
# benchmarks/recipe_search.py (scored on the validation split). The MLP, the variable
# net without its skip connections (the same weights), takes the variable net's recipe.
_MNIST_OPTIMISER = dict(batch_size=128, optimizer="adam", schedule="onecycle")
MNIST_RECIPES = {"shared": dict(_MNIST_OPTIMISER, lr=1e-2, weight_decay=1e-4),
                 "variable": dict(_MNIST_OPTIMISER, lr=1e-2, weight_decay=0.0)}
MNIST_RECIPES["mlp"] = MNIST_RECIPES["variable"]
MNIST_INIT = dict(w_std=1.0, bias_init=-3.0)
# The MNIST nets train with bfloat16 matmuls (float32 weights, residual stream and Adam):
# twice the matmul rate of float32 on CPUs with AVX512-BF16, and on recent GPUs. The
# recipe search ran in float32; benchmarks/precision.py compares the two precisions.
MNIST_PRECISION = "bf16"

# Circles recipe: small batches, many epochs, a wider W initialisation.
CIRCLES_RECIPE = dict(batch_size=32, lr=3e-2, optimizer="adam", schedule="onecycle")
CIRCLES_INIT = dict(w_std=2.0, bias_init=-1.0)
CIRCLES_POINTS = 1000  # the paper: 1000 training and 1000 test points


def _model(kind: str, in_dim: int, width: int, depth: int, n_classes: int, init: dict) -> ModelConfig:
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; use one of {MODEL_KINDS}")
    weights = "variable" if kind in ("variable", "mlp") else "shared"
    return ModelConfig(in_dim, width, depth, n_classes, weights, kind != "mlp", **init)


def mnist_config(kind: str, profile: Profile, seed: int, width: int = N_PIXELS,
                 depth: int = PAPER_DEPTH, epochs: int | None = None) -> TrainConfig:
    """A 15-layer MNIST net: ``kind`` is shared, variable or mlp (variable weights, no skip),
    trained with that kind's recipe."""
    data = DataConfig("mnist", profile.mnist_n_train, profile.mnist_n_test, seed=0)
    return TrainConfig(_model(kind, N_PIXELS, width, depth, N_CLASSES, MNIST_INIT), data,
                       epochs=epochs or profile.mnist_epochs, seed=seed, precision=MNIST_PRECISION,
                       **MNIST_RECIPES[kind])


def circles_config(kind: str, profile: Profile, seed: int, pad_zero: bool = True,
                   depth: int = PAPER_DEPTH) -> TrainConfig:
    """The paper's E1 net: 3 units (2 without the zero dimension), 15 layers."""
    in_dim = 3 if pad_zero else 2
    data = DataConfig("circles", CIRCLES_POINTS, CIRCLES_POINTS, seed=seed, pad_zero=pad_zero)
    return TrainConfig(_model(kind, in_dim, in_dim, depth, 2, CIRCLES_INIT), data,
                       epochs=profile.circles_epochs, seed=seed, **CIRCLES_RECIPE)


def search_best(rows: list[dict], weights: str) -> dict:
    """The final-stage candidate for the ``weights`` net (shared or variable) with the lowest
    validation error, among the rows of ``benchmarks/recipe_search.json``."""
    final = [r for r in rows if r["stage"] == "final" and r["config"]["model"]["weights"] == weights]
    if not final:
        raise ValueError(f"the recipe search has no final-stage row for the {weights} net: "
                         "run benchmarks/recipe_search.py")
    return min(final, key=lambda r: r["validation_error"])


def uses_recipe(kind: str, row: dict) -> bool:
    """Whether the book trains the ``kind`` net with the recipe of a recipe-search row."""
    recipe = MNIST_RECIPES[kind]
    return ((row["lr"], row["weight_decay"], row["schedule"], row["bias_init"], row["w_std"])
            == (recipe["lr"], recipe["weight_decay"], recipe["schedule"], MNIST_INIT["bias_init"], MNIST_INIT["w_std"]))


def best_by_training_accuracy(runs: dict[int, Trained]) -> int:
    """The depth whose net fits its training data best (final training accuracy; ties go to
    the shallower net). Chosen without the test set, so test numbers stay unbiased."""
    return max(sorted(runs), key=lambda depth: (runs[depth].history[-1]["train_acc"], -depth))
