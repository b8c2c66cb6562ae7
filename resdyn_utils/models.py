"""The paper's dense residual network, its plain (MLP) counterpart, and their trajectories.

Layer ``t`` computes the residual ``y(t) = sigmoid(W(t) x(t-1) + b(t))`` and, with the
skip connection, ``x(t) = x(t-1) + y(t)``; without it (the MLP), ``x(t) = y(t)``.
The readout is a linear map ``K x(T) + c`` followed by a softmax (inside the loss).
With *shared* weights every layer uses one ``(W, b)``; with *variable* weights each
layer has its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from . import ledger

WeightMode = Literal["shared", "variable"]
WEIGHT_MODES = ("shared", "variable")
#: A net's identity is its ``kind`` (:attr:`ModelConfig.kind`); tables and figures show
#: it under the column "net", with these labels.
KIND_LABELS = {"shared": "ResNet, shared W", "variable": "ResNet, variable W", "mlp": "MLP (no skip)"}
# Initialisations of the hidden layers: "paper" draws W from N(0, w_std^2 / N) and sets
# every bias to bias_init; "torch" keeps torch's nn.Linear default, W and b both from
# U(-1/sqrt(N), 1/sqrt(N)) (kaiming_uniform with a = sqrt(5)), as a framework user would.
INITS = ("paper", "torch")
# The precision of the matmuls in training. "bf16" multiplies bfloat16 copies of the
# operands (accumulating in float32); weights, residual stream x(t), sigmoid and
# optimiser stay float32. See :class:`ResidualStack`.
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


def matmul_dtype(precision: str) -> torch.dtype | None:
    """The dtype of the matmul operands for ``precision`` (None: the tensors' own)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; use one of {tuple(PRECISIONS)}")
    return PRECISIONS[precision]


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and initialisation of a :class:`ResidualNet`.

    ``width`` is the number of units N per layer; an input narrower than N is
    zero-padded (``x(0) = (input, 0, ..., 0)``). ``w_std`` scales the normal
    initialisation of W as ``w_std / sqrt(N)``; ``bias_init`` is the initial value of
    every hidden bias (negative values start the residuals small).
    """

    in_dim: int
    width: int
    depth: int
    n_classes: int
    weights: str = "shared"
    residual: bool = True
    w_std: float = 1.0
    bias_init: float = 0.0
    init: str = "paper"  # added after cache format 2: left out of the cache key at "paper"

    def __post_init__(self) -> None:
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; use one of {INITS}")
        if self.init == "torch" and (self.w_std != 1.0 or self.bias_init != 0.0):
            raise ValueError(f"init='torch' keeps nn.Linear's default initialisation: w_std ({self.w_std}) "
                             f"and bias_init ({self.bias_init}) would be ignored; leave them at 1.0 and 0.0")
        if self.weights not in WEIGHT_MODES:
            raise ValueError(f"unknown weight mode {self.weights!r}; use one of {WEIGHT_MODES}")
        if self.depth < 1:
            raise ValueError(f"depth must be >= 1, got {self.depth}: a network needs a layer")
        if self.in_dim < 1 or self.n_classes < 2:
            raise ValueError(f"need in_dim >= 1 and n_classes >= 2, got {self.in_dim}, {self.n_classes}")
        if self.width < self.in_dim:
            raise ValueError(
                f"width {self.width} is below the input dimension {self.in_dim}: the input is "
                "zero-padded to the width, never cropped. Use width >= in_dim."
            )
        if not self.w_std >= 0:
            raise ValueError(f"w_std must be >= 0, got {self.w_std}")

    @property
    def kind(self) -> str:
        """The net's name in the book: its weight mode, or ``mlp`` without skip connections."""
        return self.weights if self.residual else "mlp"


@dataclass
class Trajectory:
    """Activations ``x`` of shape (T+1, B, N), ``x[0]`` the padded input, and
    residuals ``y`` of shape (T, B, N), ``y[t-1]`` being the paper's ``y(t)``."""

    x: torch.Tensor
    y: torch.Tensor

    @property
    def depth(self) -> int:
        return int(self.y.shape[0])


class ResidualNet(nn.Module):
    """Dense residual (or, with ``residual=False``, plain) sigmoid network."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        n = config.width
        n_layers = 1 if config.weights == "shared" else config.depth
        self.layers = nn.ModuleList(nn.Linear(n, n) for _ in range(n_layers))
        self.readout = nn.Linear(n, config.n_classes)
        self.depth = config.depth
        for layer in self.layers if config.init == "paper" else ():
            nn.init.normal_(layer.weight, std=config.w_std / math.sqrt(n))
            nn.init.constant_(layer.bias, config.bias_init)
        for linear in (*self.layers, self.readout):  # the cost ledger counts every call
            linear.register_forward_hook(ledger.linear_hook)

    # -- structure ------------------------------------------------------------------
    @property
    def shared(self) -> bool:
        return self.config.weights == "shared"

    @property
    def width(self) -> int:
        return self.config.width

    def layer(self, t: int) -> nn.Linear:
        """The linear map of layer ``t`` (1-based, as in the paper)."""
        if not 1 <= t <= self.max_depth:
            raise IndexError(f"layer {t} outside 1..{self.max_depth}")
        return self.layers[0] if self.shared else self.layers[t - 1]

    @property
    def max_depth(self) -> int:
        """The deepest layer this net can run: unbounded for shared weights."""
        return 10**9 if self.shared else len(self.layers)

    def remove_last_layer(self) -> None:
        """Drop layer T (its parameters too, for variable weights). Depth stays >= 1."""
        if self.depth <= 1:
            raise ValueError("cannot remove the last layer of a depth-1 network")
        if not self.shared:
            del self.layers[-1]
        self.depth -= 1

    # -- computation ----------------------------------------------------------------
    def pad(self, inputs: torch.Tensor) -> torch.Tensor:
        """Zero-pad flat inputs (B, in_dim) to the width N."""
        inputs = inputs.reshape(len(inputs), -1)
        if inputs.shape[1] != self.config.in_dim:
            raise ValueError(f"expected inputs of dimension {self.config.in_dim}, got {inputs.shape[1]}")
        extra = self.width - inputs.shape[1]
        return nn.functional.pad(inputs, (0, extra)) if extra else inputs

    def _check_depth(self, depth: int | None) -> int:
        depth = self.depth if depth is None else int(depth)
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        if depth > self.max_depth:
            raise ValueError(
                f"a variable-weight net has {self.max_depth} layers and cannot run {depth}: "
                "it can only be truncated. Only shared weights unroll beyond training depth."
            )
        return depth

    # The theory chapter prints this method beside the paper's equation: keep it short.
    def step(self, x: torch.Tensor, t: int,
             lesion: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """One layer: returns ``(x(t), y(t))`` from ``x(t-1)``.

        A lesioned layer is deleted: ``x(t) = x(t-1)`` and ``y(t) = 0``. For a residual
        net that is exactly a zero residual; for the MLP it passes its input on (the
        layer-deletion of Veit et al. 2016), which its zero output would not."""
        if lesion:
            return x, torch.zeros_like(x)
        y = torch.sigmoid(self.layer(t)(x))
        return (x + y if self.config.residual else y), y

    def hidden(self, inputs: torch.Tensor, depth: int | None = None, stack: bool = True,
               precision: str = "fp32") -> torch.Tensor:
        """``x(T)`` for a batch of inputs.

        When a gradient is wanted (training, FGSM) the whole stack runs as one
        :class:`ResidualStack`, whose backward pass computes the weight gradient of all
        layers in one large matmul; otherwise it keeps no trajectory in memory.
        ``stack=False`` runs layer by layer whatever is wanted, so that autograd builds
        the backward pass (the reference the tests and the benchmark compare with).
        ``precision="bf16"`` multiplies in bfloat16 (a training option: every analysis
        runs in float32); layer by layer it runs under :func:`torch.autocast`."""
        x = self.pad(inputs)
        depth = self._check_depth(depth)
        low = matmul_dtype(precision)
        n_layers = 1 if self.shared else depth
        params = [p for layer in self.layers[:n_layers] for p in (layer.weight, layer.bias)]
        wanted = torch.is_grad_enabled() and (x.requires_grad or any(p.requires_grad for p in params))
        if stack and wanted:
            return ResidualStack.apply(x, depth, self.config.residual, low, *params)
        stream = x.dtype
        with torch.autocast(x.device.type, dtype=low or torch.bfloat16, enabled=low is not None):
            for t in range(1, depth + 1):
                x, _ = self.step(x, t)
        return x.to(stream)  # the MLP's x(T) is a bfloat16 y(T) under autocast

    def forward(self, inputs: torch.Tensor, depth: int | None = None, stack: bool = True,
                precision: str = "fp32") -> torch.Tensor:
        """Class logits ``K x(T) + c``; ``depth`` overrides T (unroll or truncate);
        ``stack`` and ``precision`` as in :meth:`hidden`."""
        return self.readout(self.hidden(inputs, depth, stack, precision))

    @torch.no_grad()
    def trajectory(self, inputs: torch.Tensor, depth: int | None = None) -> Trajectory:
        """All ``x(0..T)`` and ``y(1..T)`` for a batch (no gradients)."""
        x = self.pad(inputs)
        xs, ys = [x], []
        for t in range(1, self._check_depth(depth) + 1):
            x, y = self.step(x, t)
            xs.append(x)
            ys.append(y)
        return Trajectory(torch.stack(xs), torch.stack(ys))

    def weight_matrix(self, t: int = 1) -> torch.Tensor:
        """``W(t)`` (detached); for shared weights, the one W."""
        return self.layer(t).weight.detach()


class ResidualStack(torch.autograd.Function):
    """``x(T)`` of a stack of sigmoid layers, with a hand-written backward pass.

    ``apply(x0, depth, residual, low, W1, b1[, W2, b2, ...])``: one ``(W, b)`` pair is
    shared by every layer, ``depth`` pairs give each layer its own. The forward pass is
    the same sequence of ``addmm`` + sigmoid (+ skip) as :meth:`ResidualNet.step`. The
    backward pass walks the layers down computing ``s(t) = dL/d(pre-activation)`` and
    the input gradients, then forms all weight gradients at once: for shared weights
    ``dW = sum_t s(t)^T x(t-1)`` is one (N x TB) @ (TB x N) matmul (autograd would do T
    small matmuls and T-1 additions of N x N gradients); for variable weights one
    matmul per layer, into a tensor of that layer's own. The forward pass allocates
    its buffers once per call, and the input gradient of ``x(0)`` is computed only
    when asked for.

    ``low`` (None or ``torch.bfloat16``) is the dtype of the matmul operands: with
    bfloat16 every matmul (forward, input and weight gradients) multiplies bfloat16
    copies of W, b, x(t-1) and s(t), accumulating in float32 inside the kernel and
    rounding its result to bfloat16; the residual stream x(t), the sigmoid and its
    derivative, the bias gradient and the returned gradients stay float32. This is
    what ``torch.autocast`` does to the layer-by-layer net (whose sigmoid it runs in
    bfloat16), with the weight gradients summed in float32.
    """

    @staticmethod
    def forward(ctx, x0: torch.Tensor, depth: int, residual: bool, low: torch.dtype | None,
                *params: torch.Tensor) -> torch.Tensor:
        weights, biases = params[0::2], params[1::2]
        shared = len(weights) == 1
        if not shared and len(weights) != depth:
            raise ValueError(f"{len(weights)} weight matrices for {depth} layers: give 1 (shared) or {depth}")
        if low is not None:
            weights, biases = [w.to(low) for w in weights], [b.to(low) for b in biases]
        xs = x0.new_empty((depth,) + x0.shape, dtype=low)  # x(0) .. x(T-1), the matmul operands
        ys = x0.new_empty((depth,) + x0.shape)  # y(1) .. y(T)
        xs[0].copy_(x0)
        x = xs[0] if low is None else x0
        for t in range(depth):
            w, b = (weights[0], biases[0]) if shared else (weights[t], biases[t])
            if low is None:
                y = torch.addmm(b, x, w.t(), out=ys[t]).sigmoid_()
                if t + 1 < depth:
                    x = torch.add(x, y, out=xs[t + 1]) if residual else xs[t + 1].copy_(y)
            else:  # the float32 stream x, rounded to the matmul dtype in xs
                y = ys[t].copy_(torch.addmm(b, xs[t], w.t())).sigmoid_()  # the sigmoid in float32
                x = x + y if residual else y
                if t + 1 < depth:
                    xs[t + 1].copy_(x)
        if low is None:
            out = x + ys[-1] if residual else ys[-1].clone()
        else:
            out = x if residual else ys[-1].clone()
        ctx.save_for_backward(xs, ys, *weights)
        ctx.residual, ctx.low = residual, low
        ledger.add("fp32" if low is None else "bf16", 2.0 * depth * x0.shape[0] * x0.shape[1] ** 2)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor):
        xs, ys, *weights = ctx.saved_tensors
        depth, batch, width = ys.shape
        shared = len(weights) == 1
        s = torch.empty_like(ys)  # dL/d(W x(t-1) + b), layer by layer
        s_low = s if ctx.low is None else torch.empty_like(ys, dtype=ctx.low)  # its matmul operand
        g = grad
        for t in range(depth - 1, -1, -1):
            torch.ops.aten.sigmoid_backward.grad_input(g, ys[t], grad_input=s[t])
            if ctx.low is not None:
                s_low[t].copy_(s[t])
            if t == 0 and not ctx.needs_input_grad[0]:
                break
            w = weights[0] if shared else weights[t]
            if ctx.low is None:
                g = torch.addmm(g, s[t], w) if ctx.residual else s[t] @ w
            else:
                g = g + s_low[t] @ w if ctx.residual else (s_low[t] @ w).to(grad.dtype)
        input_grads = depth if ctx.needs_input_grad[0] else depth - 1  # and all weight gradients
        ledger.add("fp32" if ctx.low is None else "bf16", 2.0 * (input_grads + depth) * batch * width**2)
        grads: list[torch.Tensor | None] = []
        if shared:
            flat_s = s_low.reshape(depth * batch, width)
            dw = flat_s.t() @ xs.reshape(depth * batch, width)
            grads += [dw.to(grad.dtype), s.reshape(depth * batch, width).sum(0)]
        else:
            for t in range(depth):  # one N x N tensor per layer, as the parameters are
                grads += [(s_low[t].t() @ xs[t]).to(grad.dtype), s[t].sum(0)]
        return (g if ctx.needs_input_grad[0] else None, None, None, None, *grads)


def count_flops_per_sample(config: ModelConfig, depth: int | None = None) -> int:
    """Multiply-add FLOPs of one forward pass (2 per MAC), hidden layers and readout."""
    depth = config.depth if depth is None else depth
    return 2 * config.width * config.width * depth + 2 * config.width * config.n_classes
