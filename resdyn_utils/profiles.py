"""The two execution profiles of the book.

``quick`` is for CI: small subsets and few epochs; it checks the mechanics and sanity
bounds, never the paper's numbers. ``full`` is the real book: the paper's settings
and several seeds. Every notebook's ``parameters`` cell names one of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# The MNIST training regimes (resdyn_utils.experiments.REGIMES; kept here too, so that a
# profile can be checked without importing torch). The book uses the first; the regime
# study re-runs the dynamics chapters under the others.
REGIMES = ("validated", "torch-init", "short")


@dataclass(frozen=True)
class Profile:
    """Sizes and budgets of one profile, shared by all chapters, and the MNIST training
    regime its chapters use (``validated`` unless a build asks for another)."""

    name: str
    seeds: tuple[int, ...]
    mnist_n_train: int | None
    mnist_n_test: int | None
    mnist_epoch_cap: int | None  # at most this many epochs (quick); None: the regime's own
    mnist_widths: tuple[int, ...]  # the last one is the headline's (the paper's 1064)
    circles_seeds: tuple[int, ...]
    circles_epoch_cap: int | None  # at most this many epochs (quick); None: the recipe's own
    n_samples: int
    unroll_depth: int
    mlp_depths: tuple[int, ...]
    robust_n_test: int | None
    probe_n: int
    regime: str = REGIMES[0]

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise ValueError(f"unknown regime {self.regime!r}: use one of {', '.join(REGIMES)}")

    @property
    def is_quick(self) -> bool:
        return self.name == "quick"

    @property
    def headline_width(self) -> int:
        """The width of the nets whose test errors are set beside the paper's (E2, E3)."""
        return self.mnist_widths[-1]


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        name="quick",
        seeds=(0,),
        mnist_n_train=2_000,
        mnist_n_test=1_000,
        mnist_epoch_cap=6,
        mnist_widths=(784,),
        circles_seeds=(0, 1),
        circles_epoch_cap=100,
        n_samples=200,
        unroll_depth=100,
        mlp_depths=(1, 2, 3),
        robust_n_test=500,
        probe_n=200,
    ),
    "full": Profile(
        name="full",
        seeds=(0, 1, 2),
        mnist_n_train=None,
        mnist_n_test=None,
        mnist_epoch_cap=None,
        mnist_widths=(784, 1064),
        circles_seeds=(0, 1, 2, 3, 4),
        circles_epoch_cap=None,
        n_samples=200,
        unroll_depth=1000,
        mlp_depths=(1, 2, 3, 5, 8),
        robust_n_test=None,
        probe_n=2_000,
    ),
}


def get_profile(name: str, regime: str = REGIMES[0]) -> Profile:
    """The profile called ``name``, its MNIST nets trained in ``regime``; an unknown name
    or regime is refused with the valid ones."""
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}: use one of {', '.join(PROFILES)} "
            "(quick for CI smoke runs, full for the real book)"
        ) from None
    return dataclasses.replace(profile, regime=regime)
