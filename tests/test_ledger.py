"""The cost ledger counts the matmul FLOPs that torch's own counter sees."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from resdyn_utils import ledger
from resdyn_utils.data import Dataset, Split
from resdyn_utils.models import ModelConfig, ResidualNet
from resdyn_utils.training import DataConfig, TrainConfig, fit


def counted(work) -> tuple[float, dict[str, float]]:
    before = ledger.snapshot()
    with FlopCounterMode(display=False) as counter:
        work()
    return counter.get_total_flops(), ledger.since(before)


@pytest.mark.parametrize("weights", ["shared", "variable"])
def test_the_analyses_forward_passes_are_counted_in_float32(weights):
    net = ResidualNet(ModelConfig(20, 32, 6, 10, weights))
    x = torch.rand(50, 20)

    def analyses():
        with torch.no_grad():
            net(x)
            net.trajectory(x, depth=4)
            state = net.pad(x)
            for t in (1, 2):
                state, _ = net.step(state, t)

    torch_count, ours = counted(analyses)
    assert ours["fp32"] == torch_count and ours["bf16"] == 0


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize("weights", ["shared", "variable"])
def test_training_is_counted_in_its_precision(weights, precision):
    gen = torch.Generator().manual_seed(0)
    split = lambda n: Split(torch.rand(n, 20, generator=gen), torch.randint(0, 10, (n,), generator=gen))  # noqa: E731
    data = Dataset("toy", split(64), split(32), 10)
    config = TrainConfig(ModelConfig(20, 32, 5, 10, weights), DataConfig("toy"), epochs=1, batch_size=16,
                         precision=precision)
    torch_count, ours = counted(lambda: fit(config, data=data, progress=False))
    assert sum(ours.values()) == torch_count
    if precision == "bf16":  # the hidden stack's matmuls; the readout and evaluation stay float32
        assert ours["bf16"] == 3 * 2 * 5 * 64 * 32**2 - 2 * 64 * 32**2


def test_the_floor_is_each_precisions_flops_at_its_peak():
    assert ledger.floor_seconds({"fp32": 2e9, "bf16": 8e9}, {"fp32": 100.0, "bf16": 400.0}) == pytest.approx(0.04)
    with pytest.raises(ValueError, match="no GEMM peak"):
        ledger.floor_seconds({"bf16": 1.0}, {"fp32": 100.0})
