"""A tiny MLP made of scalar ``Value``s (micrograd's nn.py): the engine trains a network, one number at a time.

Every weight is a leaf Value; a forward pass builds a graph of a few hundred nodes; ``loss.backward()`` fills
every weight's ``grad``; one SGD step moves each weight against it.
"""

from __future__ import annotations

import numpy as np

from .. import validate
from ..perturb import nudge
from . import Value

__all__ = ["MLP", "train_mlp"]


class MLP:
    """tanh hidden layers, a linear output: sizes (n_in, h1, ..., n_out); weights ~ U(-1, 1) from ``seed``."""

    def __init__(self, sizes: tuple[int, ...] = (2, 4, 1), seed: int = 0) -> None:
        sizes = tuple(validate.positive_int(n, "sizes") for n in sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes: expected at least (n_in, n_out), got {sizes}")
        rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
        self.layers = []  # per layer: (W as rows of Values (n_out, n_in), b (n_out,))
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            W = nudge(rng.uniform(-1.0, 1.0, size=(n_out, n_in)))
            b = nudge(rng.uniform(-1.0, 1.0, size=n_out))
            self.layers.append(([[Value(w) for w in row] for row in W], [Value(v) for v in b]))

    def __call__(self, x: list[float]) -> list[Value]:
        h = [Value(v) if not isinstance(v, Value) else v for v in x]
        for k, (W, b) in enumerate(self.layers):
            h = [sum((w * v for w, v in zip(row, h, strict=True)), bias) for row, bias in zip(W, b, strict=True)]
            if k < len(self.layers) - 1:
                h = [v.tanh() for v in h]
        return h

    def parameters(self) -> list[Value]:
        return [p for W, b in self.layers for p in [*(w for row in W for w in row), *b]]


def train_mlp(model: MLP, xs: list[list[float]], ys: list[float], steps: int = 30, lr: float = 0.05) -> list[float]:
    """SGD on the squared error Σ (model(x) − y)²: forward, zero the grads, backward, step; the losses per step."""
    steps, lr = validate.positive_int(steps, "steps"), validate.positive_float(lr, "lr")
    if len(xs) != len(ys):
        raise ValueError(f"xs, ys: expected one target per input, got {len(xs)} inputs and {len(ys)} targets")
    losses = []
    for _ in range(steps):
        loss = sum(((model(x)[0] - y) ** 2 for x, y in zip(xs, ys, strict=True)), Value(0.0))
        for p in model.parameters():
            p.grad = 0.0
        loss.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(loss.data)
    return losses
