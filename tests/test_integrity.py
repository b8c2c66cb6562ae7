"""Injected faults: every file the book writes and reads back, damaged on purpose.

A flipped byte, a truncation or a missing file must give a clear error or a detected,
logged rebuild, never a silent wrong value. Also: a training run killed mid-epoch, two
processes training one config at once, and a loss that becomes NaN.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from resdyn_utils import data, integrity, results, training
from resdyn_utils.data import DatasetError
from resdyn_utils.integrity import CorruptFileError, read_json, write_json
from resdyn_utils.models import ModelConfig
from resdyn_utils.training import CheckpointError, DataConfig, TrainConfig, TrainingDiverged

ROOT = Path(__file__).resolve().parents[1]


def flip(path: Path, offset: int, n: int = 1) -> None:
    """Flip the lowest bit of ``n`` bytes from ``offset`` on."""
    raw = bytearray(path.read_bytes())
    for i in range(offset, offset + n):
        raw[i] ^= 0x01
    path.write_bytes(bytes(raw))


def truncate(path: Path, keep: float = 0.5) -> None:
    path.write_bytes(path.read_bytes()[: int(len(path.read_bytes()) * keep)])


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory) -> Path:
    """The four IDX files, built once from the offline copy."""
    root = tmp_path_factory.mktemp("mnist-built")
    data.build_mnist_from_hub(root)
    return root


@pytest.fixture
def mnist_copy(mnist_root, tmp_path) -> Path:
    shutil.copytree(mnist_root / "MNIST", tmp_path / "MNIST")
    return tmp_path


def test_the_built_files_are_the_pinned_originals(mnist_root):
    data.verify_mnist_files(mnist_root)  # raises on any difference
    assert set(data.MNIST_IDX_SHA256) == {n for pair in data._IDX_FILES.values() for n in pair}


def test_100_flipped_bytes_in_the_test_images_raise_a_dataset_error(mnist_copy):
    images = mnist_copy / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    flip(images, images.stat().st_size // 2, n=100)
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte is corrupt: sha256 .* Fix: delete .*MNIST"):
        data.load_mnist(root=mnist_copy, download=False)


@pytest.mark.parametrize("name", sorted(data.MNIST_IDX_SHA256))
@pytest.mark.parametrize("fault", ["one flipped byte", "truncated"])
def test_any_damaged_idx_file_raises_naming_it(mnist_copy, name, fault):
    path = mnist_copy / "MNIST" / "raw" / name
    flip(path, path.stat().st_size - 1) if fault == "one flipped byte" else truncate(path)
    with pytest.raises(DatasetError, match=rf"{name} is corrupt"):
        data.load_mnist(root=mnist_copy, download=False)


def test_a_missing_idx_file_is_rebuilt_with_a_warning_and_verified(mnist_copy):
    (mnist_copy / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.warns(UserWarning, match="incomplete.*building the four files again"):
        ds = data.load_mnist(root=mnist_copy, download=False)
    assert torch.bincount(ds.test.y)[0] == 980
    data.verify_mnist_files(mnist_copy)


def test_verification_is_what_catches_the_flip(mnist_copy, monkeypatch):
    """Without the check, the same damaged file loads without complaint: the test above
    tests the check, not torchvision."""
    images = mnist_copy / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    flip(images, images.stat().st_size // 2, n=100)
    monkeypatch.setattr(data, "verify_mnist_files", lambda root: None)
    ds = data.load_mnist(root=mnist_copy, download=False)
    assert len(ds.test) == 10_000


# --------------------------------------------------------------------------- JSON files


def test_every_single_flipped_byte_of_a_results_file_is_caught():
    results.save("demo", "full", error=0.0183, verdicts=[{"id": "E2.error", "verdict": "partly reproduced"}])
    path = results.results_path("demo")
    pristine = path.read_bytes()
    for offset in range(len(pristine)):
        path.write_bytes(pristine)
        flip(path, offset)
        with pytest.raises(CorruptFileError, match="demo.json"):
            results.load_results("demo")
    path.write_bytes(pristine)
    assert results.load_results("demo")["values"]["error"] == 0.0183


def test_a_changed_digit_that_is_still_valid_json_is_caught():
    results.save("demo", "full", error=0.0183)
    path = results.results_path("demo")
    path.write_text(path.read_text().replace("0.0183", "0.0133"))
    with pytest.raises(CorruptFileError, match="does not match its recorded sha256.*Fix: execute the chapter"):
        results.load_results("demo")


def test_truncated_and_missing_results_files_raise_clear_errors():
    results.save("demo", "full", error=0.0183)
    truncate(results.results_path("demo"))
    with pytest.raises(CorruptFileError, match="not valid JSON.*truncated or corrupt"):
        results.load_results("demo")
    results.results_path("demo").unlink()
    with pytest.raises(FileNotFoundError, match="demo.json does not exist. Fix: execute the chapter 'demo'"):
        results.load_results("demo")


def test_a_json_file_without_its_digest_is_refused(tmp_path):
    (tmp_path / "old.json").write_text('{"a": 1}')
    with pytest.raises(CorruptFileError, match="no 'sha256' of its content"):
        read_json(tmp_path / "old.json")


@pytest.mark.parametrize("name", ["recipe_search", "longer_training", "precision", "throughput", "integrity"])
def test_recorded_benchmarks_verify_and_their_damage_is_caught(name, tmp_path, monkeypatch):
    original = results.load_benchmark(name)
    assert original is not None and original  # the committed file verifies
    copy = tmp_path / f"{name}.json"
    shutil.copy(results.benchmark_path(name), copy)
    monkeypatch.setattr(results, "benchmark_path", lambda _: copy)
    pristine = copy.read_bytes()
    for offset in range(0, len(pristine), max(1, len(pristine) // 97)):
        copy.write_bytes(pristine)
        flip(copy, offset)
        with pytest.raises(CorruptFileError, match=f"{name}.json"):
            results.load_benchmark(name)
    copy.write_bytes(pristine)
    truncate(copy)
    with pytest.raises(CorruptFileError, match="truncated or corrupt"):
        results.load_benchmark(name)
    copy.unlink()
    assert results.load_benchmark(name) is None  # not here (Colab): the chapter says so
    assert f"run benchmarks/{name}.py" in results.missing_benchmark(name)


def test_write_json_refuses_nan(tmp_path):
    with pytest.raises(ValueError):
        write_json(tmp_path / "x.json", {"a": float("nan")})


# --------------------------------------------------------------------------- checkpoints


def tiny_config(epochs: int = 2, seed: int = 0) -> TrainConfig:
    model = ModelConfig(3, 3, 4, 2, "shared", bias_init=-1.0)
    return TrainConfig(model, DataConfig("circles", 64, 64), epochs=epochs, batch_size=16, lr=1e-2, seed=seed)


def same_weights(a: training.Trained, b: training.Trained) -> bool:
    sa, sb = a.model.state_dict(), b.model.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("target", [".pt", ".sha256"])
@pytest.mark.parametrize("fault", ["flipped byte", "truncated", "missing"])
def test_a_damaged_checkpoint_or_sidecar_is_detected_and_retrained(tmp_path, target, fault):
    config = tiny_config()
    first = training.train(config, progress=False, cache_folder=tmp_path)
    path = training.checkpoint_path(config, tmp_path).with_suffix(target)
    if fault == "flipped byte":
        flip(path, path.stat().st_size // 2)
    elif fault == "truncated":
        truncate(path)
    else:
        path.unlink()
    if target == ".pt" and fault == "missing":  # no checkpoint: simply trained
        again = training.train(config, progress=False, cache_folder=tmp_path)
    else:
        with pytest.raises(CheckpointError):
            training.load_checkpoint(config, training.checkpoint_path(config, tmp_path))
        with pytest.warns(UserWarning, match="retraining"):
            again = training.train(config, progress=False, cache_folder=tmp_path)
    assert not again.from_cache and same_weights(first, again)
    assert training.train(config, progress=False, cache_folder=tmp_path).from_cache  # cached again, valid


def test_a_crash_between_the_checkpoint_and_its_sidecar_is_retrained(tmp_path, monkeypatch):
    """The window where a kill leaves a new checkpoint beside an old or no sidecar."""
    config = tiny_config()
    real = integrity.atomic_write_bytes

    def crash_on_sidecar(path, blob):
        if Path(path).suffix == ".sha256":
            raise KeyboardInterrupt("killed")
        real(path, blob)

    monkeypatch.setattr(training, "atomic_write_bytes", crash_on_sidecar)
    with pytest.raises(KeyboardInterrupt):
        training.train(config, progress=False, cache_folder=tmp_path)
    monkeypatch.setattr(training, "atomic_write_bytes", real)
    assert training.checkpoint_path(config, tmp_path).exists()  # the checkpoint landed, its sidecar did not
    with pytest.warns(UserWarning, match="no checksum file.*retraining"):
        assert not training.train(config, progress=False, cache_folder=tmp_path).from_cache


SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_integrity import tiny_config
    from resdyn_utils import training
    config = tiny_config(epochs=int(sys.argv[2]))
    print("training", flush=True)
    trained = training.train(config, progress=False, cache_folder=Path(sys.argv[1]))
    print("from_cache" if trained.from_cache else "trained", flush=True)
""")


def run_training(tmp_path: Path, cache: Path, epochs: int) -> subprocess.Popen:
    script = tmp_path / "train_one.py"
    script.write_text(SCRIPT.format(tests=str(Path(__file__).parent)))
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(script), str(cache), str(epochs)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_run_killed_mid_epoch_leaves_nothing_that_loads(tmp_path):
    cache = tmp_path / "cache"
    proc = run_training(tmp_path, cache, epochs=100_000)  # would run for hours
    assert proc.stdout.readline().strip() == "training"
    time.sleep(1.0)  # well into the epochs
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    config = tiny_config(epochs=100_000)
    assert not training.checkpoint_path(config, cache).exists()
    assert not list(cache.glob("*.pt")) and not list(cache.glob("*.sha256"))
    small = tiny_config(epochs=2)  # the next run trains and caches (the lock of the dead process is free)
    assert not training.train(small, progress=False, cache_folder=cache).from_cache
    assert training.train(small, progress=False, cache_folder=cache).from_cache


def test_two_processes_training_one_config_give_one_valid_checkpoint(tmp_path):
    cache = tmp_path / "cache"
    procs = [run_training(tmp_path, cache, epochs=40) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    ends = sorted(out.split()[-1] for out, _ in outputs)
    assert ends == ["from_cache", "trained"]  # one trained, the other waited and loaded it
    config = tiny_config(epochs=40)
    assert [p.name for p in cache.glob("*.pt")] == [training.checkpoint_path(config, cache).name]
    training.load_checkpoint(config, training.checkpoint_path(config, cache))  # verifies


# --------------------------------------------------------------------------- numerical faults


def test_a_nan_loss_stops_training_naming_config_and_epoch_and_caches_nothing(tmp_path, monkeypatch):
    config = tiny_config(epochs=3)
    clean = training.dataset_for(config.data)
    poisoned_x = clean.train.x.clone()
    poisoned_x[5, 0] = float("nan")
    poisoned = data.Dataset(clean.name, data.Split(poisoned_x, clean.train.y), clean.test, clean.n_classes)
    monkeypatch.setattr(training, "dataset_for", lambda _: poisoned)
    with pytest.raises(TrainingDiverged, match=rf"config key {config.key()}.*became nan in epoch 1 of 3.*nothing"):
        training.train(config, progress=False, cache_folder=tmp_path)
    assert not list(tmp_path.glob("*.pt"))
