"""The residual network: trajectories, shared weights, unrolling, padding, errors."""

from __future__ import annotations

import pytest
import torch

from resdyn_utils.models import ModelConfig, ResidualNet, count_flops_per_sample


def net(weights="shared", depth=15, width=12, in_dim=10, residual=True, **kw):
    torch.manual_seed(0)
    return ResidualNet(ModelConfig(in_dim, width, depth, 3, weights, residual, **kw))


@pytest.mark.parametrize("weights", ["shared", "variable"])
def test_last_layer_is_input_plus_sum_of_residuals(weights):
    model = net(weights)
    traj = model.trajectory(torch.rand(7, 10))
    assert traj.x.shape == (16, 7, 12) and traj.y.shape == (15, 7, 12)
    torch.testing.assert_close(traj.x[-1], traj.x[0] + traj.y.sum(0), rtol=0, atol=1e-5)
    assert torch.all((traj.y > 0) & (traj.y < 1))


def test_trajectory_matches_forward():
    model = net("variable")
    inputs = torch.rand(5, 10)
    torch.testing.assert_close(model.readout(model.trajectory(inputs).x[-1]), model(inputs))


@pytest.mark.parametrize("weights", ["shared", "variable"])
@pytest.mark.parametrize("residual", [True, False])
def test_the_training_forward_pass_is_the_layer_step_repeated(weights, residual):
    """What the theory chapter says of ResidualNet.step: the fused training pass
    (ResidualStack) returns exactly what T calls of the step return."""
    model = net(weights, depth=6, residual=residual, bias_init=-1.0).double()
    inputs = torch.rand(9, 10, dtype=torch.double)
    x = model.pad(inputs)
    with torch.no_grad():
        for t in range(1, model.depth + 1):
            x, _ = model.step(x, t)
    fused = model.hidden(inputs)  # parameters want a gradient: the ResidualStack path
    assert fused.requires_grad
    torch.testing.assert_close(fused.detach(), x, rtol=0, atol=0)


@pytest.mark.parametrize("weights", ["shared", "variable"])
@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("input_grad", [True, False])
def test_hand_written_backward_matches_autograd(weights, residual, input_grad):
    model = net(weights, depth=6, residual=residual, bias_init=-1.0).double()
    inputs = torch.rand(9, 10, dtype=torch.double, requires_grad=input_grad)
    wanted = [inputs] * input_grad + list(model.parameters())
    out = model(inputs)
    reference = model(inputs, stack=False)
    torch.testing.assert_close(out, reference, rtol=0, atol=0)  # the same kernels, in the same order
    loss = lambda z: (z.sin() * torch.arange(3, dtype=torch.double)).sum()  # noqa: E731
    ours, theirs = torch.autograd.grad(loss(out), wanted), torch.autograd.grad(loss(reference), wanted)
    assert len(ours) == len(theirs) == len(wanted)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("weights", ["shared", "variable"])
@pytest.mark.parametrize("residual", [True, False])
def test_bf16_matmuls_give_gradients_within_bf16_rounding_of_the_exact_ones(weights, residual):
    model = net(weights, depth=6, width=64, in_dim=50, residual=residual, bias_init=-1.0)
    exact = net(weights, depth=6, width=64, in_dim=50, residual=residual, bias_init=-1.0).double()
    inputs = torch.rand(32, 50, requires_grad=True)
    loss = lambda z: (z.sin() * torch.arange(3.0, dtype=z.dtype)).sum()  # noqa: E731

    def grads(m, x, **kw):
        return torch.autograd.grad(loss(m(x, **kw)), [x] + list(m.parameters()))

    reference = grads(exact, inputs.detach().double().requires_grad_())
    for kw in (dict(precision="fp32"), dict(precision="bf16"), dict(precision="bf16", stack=False)):
        ours = grads(model, inputs, **kw)
        assert all(g.dtype == torch.float32 for g in ours)  # the parameters' dtype, whatever the matmuls'
        errors = [float((a.double() - b).norm() / b.norm()) for a, b in zip(ours, reference)]
        if kw["precision"] == "fp32":
            assert max(errors) < 1e-5, errors
        else:  # bfloat16 keeps 8 significant bits (relative rounding 2^-9): errors of that order, not 0
            assert 1e-4 < max(errors) < 3e-2, errors


def test_bf16_forward_rounds_the_matmul_operands_and_nothing_else():
    model = net("variable", depth=4, width=64, in_dim=64)
    inputs = torch.rand(16, 64, requires_grad=True)
    x = inputs.detach()
    for t in range(1, 5):  # the reference: bfloat16 operands and matmul result, float32 stream
        layer = model.layer(t)
        pre = torch.addmm(layer.bias.bfloat16(), x.bfloat16(), layer.weight.bfloat16().t())
        x = x + torch.sigmoid(pre.float())
    torch.testing.assert_close(model.hidden(inputs, precision="bf16"), x, rtol=0, atol=0)
    assert not torch.allclose(model.hidden(inputs), x, rtol=0, atol=1e-6)  # float32 differs
    with pytest.raises(ValueError, match="unknown precision"):
        model(inputs, precision="fp16")


def test_hand_written_backward_runs_unrolled_and_truncated_depths():
    for model, depth in ((net("shared", depth=4), 9), (net("variable", depth=5), 2)):
        inputs = torch.rand(3, 10)
        grads = torch.autograd.grad(model(inputs, depth).sum(), list(model.parameters()), allow_unused=True)
        reference = torch.autograd.grad(model(inputs, depth, stack=False).sum(), list(model.parameters()),
                                        allow_unused=True)
        for a, b in zip(grads, reference):
            assert (a is None) == (b is None)  # layers below the truncation get no gradient
            if a is not None:
                torch.testing.assert_close(a, b)


def test_shared_weights_are_one_tensor():
    model = net("shared")
    assert len(model.layers) == 1
    assert model.layer(1).weight is model.layer(15).weight
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == 12 * 12 + 12 + 12 * 3 + 3
    assert len(net("variable").layers) == 15


def test_unrolling_to_1000_layers_reproduces_the_first_15_exactly():
    model = net("shared")
    inputs = torch.rand(4, 10)
    short, long = model.trajectory(inputs), model.trajectory(inputs, depth=1000)
    assert long.y.shape[0] == 1000
    assert torch.equal(long.x[:16], short.x) and torch.equal(long.y[:15], short.y)


def test_variable_net_truncates_but_cannot_unroll():
    model = net("variable")
    inputs = torch.rand(4, 10)
    torch.testing.assert_close(model.trajectory(inputs, depth=5).x, model.trajectory(inputs).x[:6])
    with pytest.raises(ValueError, match="only be truncated"):
        model(inputs, depth=16)


def test_zero_padding_puts_the_input_first():
    model = net(width=12, in_dim=10)
    x0 = model.pad(torch.ones(2, 10))
    assert x0.shape == (2, 12) and torch.equal(x0[:, 10:], torch.zeros(2, 2))


def test_mlp_has_no_skip():
    model = net(residual=False)
    traj = model.trajectory(torch.rand(3, 10))
    torch.testing.assert_close(traj.x[1:], traj.y)


def test_lesioned_layer_passes_input_through():
    model = net()
    x = torch.rand(3, 12)
    x_next, y = model.step(x, 4, lesion=True)
    assert torch.equal(x_next, x) and torch.equal(y, torch.zeros_like(y))


def test_remove_last_layer_drops_parameters_and_depth():
    model = net("variable", depth=4)
    model.remove_last_layer()
    assert model.depth == 3 and len(model.layers) == 3
    assert model.trajectory(torch.rand(2, 10)).depth == 3
    model.remove_last_layer()
    model.remove_last_layer()
    with pytest.raises(ValueError, match="depth-1"):
        model.remove_last_layer()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(depth=0), "depth must be >= 1"),
        (dict(width=5), "below the input dimension"),
        (dict(weights="tied"), "unknown weight mode"),
    ],
)
def test_bad_configs_are_refused(kwargs, message):
    args = dict(in_dim=10, width=12, depth=3, n_classes=3) | kwargs
    with pytest.raises(ValueError, match=message):
        ModelConfig(**args)


def test_flop_count():
    cfg = ModelConfig(784, 784, 15, 10)
    assert count_flops_per_sample(cfg) == 2 * 784 * 784 * 15 + 2 * 784 * 10
