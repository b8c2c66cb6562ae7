"""The two execution profiles of the book.

``quick`` is for CI: small subsets and few epochs; it checks the mechanics and sanity
bounds, never the paper's numbers. ``full`` is the real book: the paper's settings
and several seeds. Every notebook's ``parameters`` cell names one of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Sizes and budgets of one profile, shared by all chapters."""

    name: str
    seeds: tuple[int, ...]
    mnist_n_train: int | None
    mnist_n_test: int | None
    mnist_epochs: int
    mnist_widths: tuple[int, ...]
    circles_seeds: tuple[int, ...]
    circles_epochs: int
    n_samples: int
    unroll_depth: int
    mlp_depths: tuple[int, ...]
    robust_n_test: int | None
    probe_n: int

    @property
    def is_quick(self) -> bool:
        return self.name == "quick"


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        name="quick",
        seeds=(0,),
        mnist_n_train=2_000,
        mnist_n_test=1_000,
        mnist_epochs=2,
        mnist_widths=(784,),
        circles_seeds=(0, 1),
        circles_epochs=60,
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
        mnist_epochs=5,
        mnist_widths=(784, 1064),
        circles_seeds=(0, 1, 2, 3, 4),
        circles_epochs=200,
        n_samples=200,
        unroll_depth=1000,
        mlp_depths=(1, 2, 3, 5, 8),
        robust_n_test=None,
        probe_n=2_000,
    ),
}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; an unknown name is refused with the valid ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}: use one of {', '.join(PROFILES)} "
            "(quick for CI smoke runs, full for the real book)"
        ) from None
