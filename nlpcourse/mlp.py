"""Notebook 05: the multi-layer perceptron, built from layers with hand-written backward passes.

Read top to bottom: 2-D datasets, activations, layers (Linear, ReLU, Sigmoid, Tanh, BatchNorm, MeanPool,
SoftmaxCrossEntropy), a Sequential model, the same model in torch (for the gradient checks), optimisers
(SGD, momentum in the lecture's form, Adam), a mini-batch trainer, a 2-D valley for optimiser paths, the
training stepper behind the widget, and the drawings. Everything is numpy; torch appears only to check.

Shapes: a batch is ``X`` of shape (N, d) (one example per row), labels ``y`` of shape (N,) with ints in
[0, k). A Linear layer stores ``W`` of shape (d_out, d_in) like the lecture's W¹ ∈ R^{p×d} (and like
``torch.nn.Linear``), so it computes ``X @ W.T + b``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:
    import scipy.sparse
    import torch

LossFn = Callable[[np.ndarray], tuple[float, np.ndarray]]  # theta (2,) -> (loss, gradient (2,))

# The exercises' numbers (checked by nlpcourse.checks, section 05).
EXERCISE_SCORES = np.array([2.0, 1.0, 0.1])  # scores of one example, 3 classes
EXERCISE_LABEL = 0  # its true class
EXERCISE_Z = np.array([-1.0, 2.0, 0.5, -3.0])  # pre-activations entering a ReLU
EXERCISE_UPSTREAM = np.array([0.1, -0.2, 0.3, 0.4])  # ∂L/∂h arriving from above
EXERCISE_LR, EXERCISE_ALPHA = 0.1, 0.9  # the lecture's γ and α

# ---------------------------------------------------------------- 2-D datasets


def make_moons(n: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: a problem no straight line separates.

    Returns:
        X of shape (n, 2) float64, y of shape (n,) int64 with labels 0/1 (n//2 of class 0).
    """
    if n < 2:
        raise ValueError(f"n: expected at least 2 points, got {n}")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n - n0)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    X = X + noise * rng.standard_normal(X.shape)
    y = np.r_[np.zeros(n0, dtype=np.int64), np.ones(n - n0, dtype=np.int64)]
    return X, y


def make_spirals(n: int = 300, k: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """k interleaved spiral arms (the cs231n toy problem), n//k points each (n rounded down to a multiple).

    Returns:
        X of shape (k * (n // k), 2) float64, y of shape (k * (n // k),) int64 in [0, k).
    """
    if k < 2 or n < k:
        raise ValueError(f"k, n: expected k >= 2 classes and n >= k points, got k={k}, n={n}")
    rng = np.random.default_rng(seed)
    m = n // k
    r = np.linspace(0.0, 1.0, m)
    X, y = [], []
    for c in range(k):
        t = np.linspace(c * 4.0, (c + 1) * 4.0, m) + noise * rng.standard_normal(m)
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y.append(np.full(m, c, dtype=np.int64))
    return np.concatenate(X), np.concatenate(y)


# ---------------------------------------------------------------- activations, element-wise


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{−z}), element-wise, any shape (computed without overflow)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def d_sigmoid(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)(1 − σ(z)): at most 1/4, and ≈ 0 for large |z| (vanishing gradients)."""
    s = sigmoid(z)
    return s * (1 - s)


def d_tanh(z: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 − tanh²(z): at most 1, ≈ 0 for large |z|."""
    return 1 - np.tanh(z) ** 2


def relu(z: np.ndarray) -> np.ndarray:
    """max(0, z), element-wise."""
    return np.maximum(0.0, z)


def d_relu(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0 (the dead side; we take 0 at z = 0, as torch does)."""
    return (np.asarray(z) > 0).astype(np.float64)


ACTIVATIONS = {"sigmoid": (sigmoid, d_sigmoid), "tanh": (np.tanh, d_tanh), "relu": (relu, d_relu)}


# ---------------------------------------------------------------- layers: forward caches, backward uses it


def _check_2d(x: np.ndarray, d: int, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != d:
        raise ValueError(f"{name}: expected shape (N, {d}), got {x.shape}")
    return x


class Layer:
    """Base class: ``params``/``grads`` dicts (empty for activations), ``forward(x)``, ``backward(dout)``."""

    size_in: int | None = None  # None: works on any width
    size_out: int | None = None

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True

    def __repr__(self) -> str:
        dims = f"{self.size_in} → {self.size_out}" if self.size_in is not None else ""
        return f"{type(self).__name__}({dims})"


class Linear(Layer):
    """z = x Wᵀ + b with W of shape (d_out, d_in), b of shape (d_out,).

    init: "random" (Gaussian, std ``scale`` or 1/sqrt(d_in)), "zeros", or "constant" (every weight = scale).
    """

    def __init__(self, d_in: int, d_out: int, *, init: str = "random", scale: float | None = None,
                 seed: int = 0) -> None:
        super().__init__()
        if d_in < 1 or d_out < 1:
            raise ValueError(f"d_in, d_out: expected sizes >= 1, got d_in={d_in}, d_out={d_out}")
        self.size_in, self.size_out = d_in, d_out
        rng = np.random.default_rng(seed)
        std = 1 / np.sqrt(d_in) if scale is None else scale
        if init == "random":
            W = std * rng.standard_normal((d_out, d_in))
        elif init == "zeros":
            W = np.zeros((d_out, d_in))
        elif init == "constant":
            W = np.full((d_out, d_in), 0.5 if scale is None else scale)
        else:
            raise ValueError(f"init: expected 'random', 'zeros' or 'constant', got {init!r}")
        self.params = {"W": W, "b": np.zeros(d_out)}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, d_in) -> z (N, d_out)."""
        self.x = _check_2d(x, self.size_in, "x")
        return self.x @ self.params["W"].T + self.params["b"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout = ∂L/∂z (N, d_out) -> ∂L/∂x (N, d_in); stores ∂L/∂W = doutᵀ x and ∂L/∂b = Σ_n dout."""
        dout = _check_2d(dout, self.size_out, "dout")
        self.grads = {"W": dout.T @ self.x, "b": dout.sum(axis=0)}
        return dout @ self.params["W"]


class Activation(Layer):
    """h = f(z) element-wise; backward multiplies the upstream gradient by f'(z) (local gradient)."""

    name = ""

    def forward(self, z: np.ndarray) -> np.ndarray:
        """z (N, p) -> f(z) (N, p)."""
        self.z = np.asarray(z, dtype=np.float64)
        return ACTIVATIONS[self.name][0](self.z)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """∂L/∂h (N, p) -> ∂L/∂z = ∂L/∂h ⊙ f'(z) (N, p)."""
        if np.shape(dout) != self.z.shape:
            raise ValueError(f"dout: expected shape {self.z.shape}, got {np.shape(dout)}")
        return dout * ACTIVATIONS[self.name][1](self.z)


class ReLU(Activation):
    name = "relu"


class Sigmoid(Activation):
    name = "sigmoid"


class Tanh(Activation):
    name = "tanh"


class BatchNorm(Layer):
    """Batch normalisation of a (N, d) input over the mini-batch, with its own γ (d,), β (d,).

    Training: normalise with the batch's mean and (biased) variance, and update the running statistics
    ``running = (1 − momentum)·running + momentum·batch`` (running variance unbiased, as torch does).
    Evaluation (``training = False``): normalise with the running statistics instead.
    """

    def __init__(self, d: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.size_in = self.size_out = d
        self.momentum, self.eps = momentum, eps
        self.params = {"gamma": np.ones(d), "beta": np.zeros(d)}
        self.running_mean, self.running_var = np.zeros(d), np.ones(d)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, d) -> γ ⊙ (x − μ)/sqrt(σ² + ε) + β (N, d)."""
        x = _check_2d(x, self.size_in, "x")
        if self.training:
            if len(x) < 2:
                raise ValueError(f"x: batch norm needs at least 2 examples in training mode, got {len(x)}")
            mean, var = x.mean(axis=0), x.var(axis=0)
            m, n = self.momentum, len(x)
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.xhat = (x - mean) * self.inv_std
        return self.params["gamma"] * self.xhat + self.params["beta"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """∂L/∂out (N, d) -> ∂L/∂x (N, d); stores ∂L/∂γ, ∂L/∂β. (In training mode μ, σ² depend on x too.)"""
        dout = _check_2d(dout, self.size_out, "dout")
        self.grads = {"gamma": (dout * self.xhat).sum(axis=0), "beta": dout.sum(axis=0)}
        dxhat = dout * self.params["gamma"]
        if not self.training:
            return dxhat * self.inv_std
        n = len(dout)
        return self.inv_std / n * (n * dxhat - dxhat.sum(axis=0) - self.xhat * (dxhat * self.xhat).sum(axis=0))


class MeanPool(Layer):
    """Mean of word embeddings as a matrix product: features = P E, with P (N, V) the pooling matrix
    (row n holds 1/len on sentence n's word ids) and E (V, d) the embedding table.

    ``trainable=False`` keeps E frozen (no gradient, the optimiser leaves it alone).
    """

    def __init__(self, vectors: np.ndarray, trainable: bool = True) -> None:
        super().__init__()
        vectors = np.array(vectors, dtype=np.float64)
        if vectors.ndim != 2:
            raise ValueError(f"vectors: expected shape (V, d), got {vectors.shape}")
        self.size_in, self.size_out = vectors.shape
        self.trainable = trainable
        self.params = {"E": vectors} if trainable else {}
        self.E = vectors

    def forward(self, P: np.ndarray | scipy.sparse.spmatrix) -> np.ndarray:
        """P (N, V), dense or scipy sparse -> mean embeddings (N, d)."""
        if P.ndim != 2 or P.shape[1] != self.size_in:
            raise ValueError(f"P: expected shape (N, {self.size_in}), got {P.shape}")
        self.P = P
        return np.asarray(P @ self.E)

    def backward(self, dout: np.ndarray) -> None:
        """∂L/∂features (N, d) -> None (P is data: nothing flows further); stores ∂L/∂E = Pᵀ dout if trainable."""
        dout = _check_2d(dout, self.size_out, "dout")
        if self.trainable:
            self.grads = {"E": np.asarray(self.P.T @ dout)}
        return None


def check_labels(y: np.ndarray, k: int, n: int | None = None) -> np.ndarray:
    """Validate labels: ints in [0, k), shape (n,). Returns them as int64."""
    y = np.asarray(y)
    if y.ndim != 1 or (n is not None and len(y) != n):
        raise ValueError(f"y: expected shape ({n if n is not None else 'N'},), got {y.shape}")
    bad = np.flatnonzero((y < 0) | (y >= k) | (y != np.round(y))) if y.dtype.kind in "iufb" else [0]
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"y: labels must be integers in [0, {k}) for {k} classes, got {y[i].item()!r} at index {i}")
    return y.astype(np.int64)


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise log softmax of scores (N, k) -> log-probabilities (N, k), computed as
    (s − max s) − log Σ exp(s − max s), so large scores do not overflow."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores: expected shape (N, k), got {scores.shape}")
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class SoftmaxCrossEntropy:
    """L = mean_n −log softmax(scores_n)[y_n]; its backward is the famous dSoft = (p − onehot(y)) / N."""

    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        """scores (N, k), y (N,) ints in [0, k) -> mean loss (float)."""
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim != 2:
            raise ValueError(f"scores: expected shape (N, k), got {scores.shape}")
        self.y = check_labels(y, scores.shape[1], len(scores))
        log_p = log_softmax(scores)
        self.p = np.exp(log_p)
        return float(-log_p[np.arange(len(y)), self.y].mean())

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        """dloss = ∂L/∂L = 1 (the base case) -> ∂L/∂scores = (p − onehot(y)) / N, shape (N, k)."""
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return dloss * d / len(self.y)


# ---------------------------------------------------------------- a model: layers in a row


class Sequential:
    """Layers applied in order, then softmax cross-entropy. Parameters are named "<layer index>.<name>"."""

    def __init__(self, *layers: Layer) -> None:
        width = None
        for i, layer in enumerate(layers):
            if layer.size_in is not None:
                if width is not None and layer.size_in != width:
                    raise ValueError(f"layers[{i}]: expected input size {width} (the previous layer's "
                                     f"output), got {layer!r} with input size {layer.size_in}")
                width = layer.size_out
        self.layers = list(layers)
        self.loss_fn = SoftmaxCrossEntropy()

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"

    def parameters(self) -> dict[str, np.ndarray]:
        """name -> the live parameter array (optimisers update these in place)."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    def gradients(self) -> dict[str, np.ndarray]:
        """name -> gradient from the last ``backward``, same keys and shapes as ``parameters()``."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}

    def set_parameters(self, values: dict[str, np.ndarray]) -> None:
        """Copy ``values`` (name -> array of the parameter's shape) into the model's parameters."""
        params = self.parameters()
        for name, v in values.items():
            if name not in params:
                raise KeyError(f"values: unknown parameter {name!r}; the model has {sorted(params)}")
            if np.shape(v) != params[name].shape:
                raise ValueError(f"values[{name!r}]: expected shape {params[name].shape}, got {np.shape(v)}")
            params[name][...] = v

    def train(self, mode: bool = True) -> Sequential:
        """Training mode (batch statistics in BatchNorm) or, with ``mode=False``, evaluation mode."""
        for layer in self.layers:
            layer.training = mode
        return self

    def eval(self) -> Sequential:
        """Evaluation mode (BatchNorm uses its running statistics); same as ``train(False)``."""
        return self.train(False)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """X (N, d) -> scores (N, k)."""
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dscores: np.ndarray) -> np.ndarray:
        """∂L/∂scores (N, k) -> ∂L/∂X (N, d), filling every layer's ``grads``."""
        for layer in reversed(self.layers):
            dscores = layer.backward(dscores)
        return dscores

    def loss_and_grad(self, X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """One forward and backward pass: (mean loss, name -> gradient)."""
        loss = self.loss_fn.forward(self.forward(X), y)
        self.backward(self.loss_fn.backward())
        return loss, self.gradients()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """X (N, d) -> predicted labels (N,), computed in evaluation mode (training mode is restored)."""
        with _evaluation_mode(self):
            return self.forward(X).argmax(axis=1)


@contextmanager
def _evaluation_mode(model: Sequential) -> Iterator[Sequential]:
    """``model`` in evaluation mode inside the ``with`` block; each layer's own mode is restored after it."""
    modes = [layer.training for layer in model.layers]
    try:
        yield model.eval()
    finally:
        for layer, m in zip(model.layers, modes, strict=True):
            layer.training = m


def mlp(sizes: tuple[int, ...] | list[int], activation: str = "tanh", *, init: str = "random",
        batchnorm: bool = False, seed: int = 0) -> Sequential:
    """A multi-layer perceptron d → p → ... → k: Linear [BatchNorm] activation ... Linear.

    Args:
        sizes: (d, hidden..., k); (d, k) is the linear softmax classifier.
        activation: "tanh", "relu" or "sigmoid".
        init: the Linear layers' init ("random", "zeros", "constant").
        batchnorm: insert a BatchNorm after every hidden Linear layer.
    """
    if len(sizes) < 2:
        raise ValueError(f"sizes: expected (d, ..., k) with at least 2 sizes, got {sizes!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {list(ACTIVATIONS)}, got {activation!r}")
    act = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}[activation]
    layers: list[Layer] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(a, b, init=init, seed=seed + i))
        if i < len(sizes) - 2:
            layers += [BatchNorm(b)] if batchnorm else []
            layers.append(act())
    return Sequential(*layers)


def torch_loss(model: Sequential, params: dict[str, torch.Tensor], X: np.ndarray, y: np.ndarray) -> torch.Tensor:
    """The same model in torch: loss of ``model`` with parameters ``params`` (name -> torch tensor).

    Used by ``nlpcourse.gradcheck.check_gradients`` to compare our backward passes with autograd.
    Returns a scalar tensor.
    """
    import torch
    import torch.nn.functional as F

    h = torch.tensor(np.asarray(X, dtype=np.float64))  # a copy: X may be read-only
    for i, layer in enumerate(model.layers):
        p = {k: params.get(f"{i}.{k}") for k in ("W", "b", "gamma", "beta", "E")}
        if isinstance(layer, Linear):
            h = h @ p["W"].T + p["b"]
        elif isinstance(layer, MeanPool):
            h = h @ (p["E"] if layer.trainable else torch.as_tensor(layer.E))
        elif isinstance(layer, BatchNorm):
            stats = (None, None) if layer.training else (torch.as_tensor(layer.running_mean),
                                                         torch.as_tensor(layer.running_var))
            h = F.batch_norm(h, *stats, p["gamma"], p["beta"], training=layer.training, eps=layer.eps)
        else:
            h = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[layer.name](h)
    return F.cross_entropy(h, torch.tensor(np.asarray(y, dtype=np.int64)))


def gradient_check_functions(model: Sequential, X: np.ndarray, y: np.ndarray) -> tuple[
        Callable[[dict[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]],
        Callable[[dict[str, torch.Tensor]], torch.Tensor], dict[str, np.ndarray]]:
    """(numpy_fn, torch_fn, params) for ``nlpcourse.gradcheck.check_gradients`` on this model and batch.

    numpy_fn(params) copies params into the model and returns (loss, grads) from our backward passes;
    torch_fn(tensors) computes the same loss in torch; params are copies of the model's parameters.
    (A BatchNorm layer in training mode updates its running statistics at every call; the loss does not
    depend on them, so the check is still exact.)
    """
    def numpy_fn(values: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
        model.set_parameters(values)
        loss, grads = model.loss_and_grad(X, y)
        return loss, {k: g.copy() for k, g in grads.items()}

    def torch_fn(tensors: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch_loss(model, tensors, X, y)

    return numpy_fn, torch_fn, {k: v.copy() for k, v in model.parameters().items()}


# ---------------------------------------------------------------- optimisers: update parameters in place


class SGD:
    """θ ← θ − γ g."""

    def __init__(self, lr: float = 0.1) -> None:
        if not lr > 0:
            raise ValueError(f"lr: expected a learning rate > 0, got {lr}")
        self.lr = lr

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array in ``params`` (name -> array) in place with the matching gradient."""
        for name, g in grads.items():
            params[name] -= self.lr * g


class Momentum(SGD):
    """The lecture's momentum: Δₜ = αΔₜ₋₁ + (1 − α)gₜ (Δ₀ = 0), θ ← θ − γΔₜ.

    Relation to ``torch.optim.SGD(momentum=μ, dampening=0)``, which keeps buf = μ·buf + g (first buf = g)
    and steps θ ← θ − lr·buf: with μ = α, buf = Δ / (1 − α) at every step, so the trajectories are
    identical when lr = γ(1 − α). See ``torch_sgd_arguments``.
    """

    def __init__(self, lr: float = 0.1, alpha: float = 0.9) -> None:
        super().__init__(lr)
        if not 0 <= alpha < 1:
            raise ValueError(f"alpha: expected 0 <= alpha < 1, got {alpha}")
        self.alpha = alpha
        self.delta: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Δ ← αΔ + (1 − α)g, then θ ← θ − γΔ, for every array in ``params`` (in place)."""
        for name, g in grads.items():
            d = self.alpha * self.delta.get(name, 0.0) + (1 - self.alpha) * g
            self.delta[name] = d
            params[name] -= self.lr * d


def torch_sgd_arguments(lr: float, alpha: float) -> dict[str, float]:
    """Arguments for ``torch.optim.SGD`` that reproduce ``Momentum(lr, alpha)`` step for step."""
    return {"lr": lr * (1 - alpha), "momentum": alpha, "dampening": 0.0}


class Adam(SGD):
    """Adam (Kingma & Ba): running means of g and g², bias-corrected; 3e-4 is the forgiving default."""

    def __init__(self, lr: float = 3e-4, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.betas, self.eps = betas, eps
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.t = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """One Adam update of every array in ``params`` (in place) with the matching gradient."""
        self.t += 1
        b1, b2 = self.betas
        for name, g in grads.items():
            self.m[name] = b1 * self.m.get(name, 0.0) + (1 - b1) * g
            self.v[name] = b2 * self.v.get(name, 0.0) + (1 - b2) * g * g
            m_hat = self.m[name] / (1 - b1**self.t)
            v_hat = self.v[name] / (1 - b2**self.t)
            params[name] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def make_optimizer(name: str, lr: float, alpha: float = 0.9) -> SGD:
    """"sgd", "momentum" or "adam" with learning rate ``lr`` (``alpha``: the momentum coefficient)."""
    if name == "sgd":
        return SGD(lr)
    if name == "momentum":
        return Momentum(lr, alpha)
    if name == "adam":
        return Adam(lr)
    raise ValueError(f"name: expected 'sgd', 'momentum' or 'adam', got {name!r}")


# ---------------------------------------------------------------- the training loop


class DivergedError(ValueError):
    """The loss became NaN or infinite during training."""


@dataclass
class History:
    """What ``train`` records: loss after every update, and per-epoch train/validation loss and accuracy."""

    step_loss: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    diverged_at: int | None = None


def accuracy(model: Sequential, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of X (N, d) whose predicted label equals y (N,)."""
    return float((model.predict(X) == np.asarray(y)).mean())


def evaluate(model: Sequential, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean loss, accuracy) on the whole set, in evaluation mode, without touching gradients."""
    with _evaluation_mode(model):
        scores = model.forward(X)  # one forward pass for both numbers
    loss = SoftmaxCrossEntropy().forward(scores, y)
    return loss, float((scores.argmax(axis=1) == np.asarray(y)).mean())


def train(model: Sequential, X: np.ndarray, y: np.ndarray, optimizer: SGD, *, epochs: int = 10,
          batch_size: int = 32, seed: int = 0, X_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
          on_nan: str = "raise", max_loss: float = 1e6, history: History | None = None,
          progress: bool = False) -> History:
    """The lecture's scheme: every epoch, shuffle (fixed seed), cut into batches of ``batch_size``, and
    take one optimiser step per batch. batch_size = N is batch gradient descent, 1 is plain SGD.

    Args:
        model, X (N, d), y (N,): the model and its training set.
        optimizer: SGD, Momentum or Adam.
        epochs: passes over the data; batch_size: 1 <= batch_size <= N.
        X_val, y_val: optional held-out set, evaluated in full after every epoch.
        on_nan: when the loss is NaN/inf (or above ``max_loss``: float64 overflows only after very many
            exploding steps), "raise" a DivergedError naming the step, or "stop" and record ``diverged_at``.
        history: continue this History instead of starting a new one.
    Returns:
        the History.
    """
    X = X if hasattr(X, "tocsr") else np.asarray(X, dtype=np.float64)  # scipy sparse inputs stay sparse
    if X.ndim != 2:
        raise ValueError(f"X: expected shape (N, d), got {X.shape}")
    n = X.shape[0]
    if len(np.shape(y)) != 1 or len(y) != n:
        raise ValueError(f"y: expected shape ({n},) to match X's {n} rows, got {np.shape(y)}")
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size: expected 1 <= batch_size <= {n} (the number of examples), got {batch_size}")
    if on_nan not in ("raise", "stop"):
        raise ValueError(f"on_nan: expected 'raise' or 'stop', got {on_nan!r}")
    from tqdm.auto import tqdm

    rng = np.random.default_rng(seed)
    hist = history if history is not None else History()
    model.train()
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):
        order = rng.permutation(n)
        losses = []
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            with np.errstate(all="ignore"):  # overflow is reported below, with the step number
                loss, grads = model.loss_and_grad(X[idx], y[idx])
            hist.step_loss.append(loss)
            if not loss <= max_loss:  # also true for NaN
                hist.diverged_at = len(hist.step_loss)
                if on_nan == "stop":
                    return hist
                raise DivergedError(
                    f"loss is {loss:.3g} at step {hist.diverged_at} (epoch {epoch + 1}): training diverged "
                    f"(NaN, inf or above max_loss={max_loss:g}). Try a smaller learning rate than "
                    f"lr={optimizer.lr:g}, e.g. lr={optimizer.lr / 10:g}.")
            optimizer.step(model.parameters(), grads)
            losses.append(loss)
        hist.epoch_loss.append(float(np.mean(losses)))
        if X_val is not None:
            vl, va = evaluate(model, X_val, y_val)
            hist.val_loss.append(vl)
            hist.val_accuracy.append(va)
    return hist


def dead_relu_units(model: Sequential, X: np.ndarray) -> list[int]:
    """For each ReLU layer of ``model``: how many of its units are dead on X (N, d), i.e. z <= 0 for every row
    (such a unit outputs 0 and passes no gradient, whatever the input)."""
    dead, h = [], np.asarray(X, dtype=np.float64)
    with _evaluation_mode(model):
        for layer in model.layers:
            if isinstance(layer, ReLU):
                dead.append(int((h.max(axis=0) <= 0).sum()))
            h = layer.forward(h)
    return dead


def zero_input_baseline(model: Sequential, X: np.ndarray, y: np.ndarray, optimizer: SGD,
                        X_val: np.ndarray, y_val: np.ndarray, **kwargs) -> tuple[History, float]:
    """Karpathy's input-independent baseline: train ``model`` on all-zero inputs, return (History, val accuracy).

    The model can only learn the label frequencies; a real model must beat this number.
    """
    hist = train(model, np.zeros_like(X, dtype=np.float64), y, optimizer, **kwargs)
    return hist, accuracy(model, np.zeros_like(X_val, dtype=np.float64), y_val)


# ---------------------------------------------------------------- a long narrow valley: optimiser paths


def valley(theta: np.ndarray, a: float = 0.1, b: float = 10.0) -> tuple[float, np.ndarray]:
    """f(x, y) = (a x² + b y²) / 2, a valley b/a times steeper across than along. theta (2,) -> (f, ∇f (2,))."""
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (2,):
        raise ValueError(f"theta: expected shape (2,), got {theta.shape}")
    return float(0.5 * (a * theta[0] ** 2 + b * theta[1] ** 2)), np.array([a * theta[0], b * theta[1]])


def optimizer_path(optimizer: SGD, start: tuple[float, float] = (-4.0, 1.0), steps: int = 50,
                   loss_fn: LossFn = valley) -> np.ndarray:
    """Points visited by ``optimizer`` from ``start`` on ``loss_fn`` (theta -> (loss, grad)): shape (steps+1, 2)."""
    theta = {"theta": np.array(start, dtype=np.float64)}
    path = [theta["theta"].copy()]
    for _ in range(steps):
        optimizer.step(theta, {"theta": loss_fn(theta["theta"])[1]})
        path.append(theta["theta"].copy())
    return np.array(path)


# ---------------------------------------------------------------- the widget's state: a training stepper


class TrainingStepper:
    """A model being trained on a 2-D dataset, one mini-batch (``step``) or one epoch (``epoch``) at a time.

    The widget changes ``lr`` and ``alpha`` between steps; ``hidden`` or ``dataset`` changes call ``reset``.
    """

    def __init__(self, dataset: str = "moons", hidden: int = 16, lr: float = 0.5, alpha: float = 0.9,
                 batch_size: int = 32, seed: int = 0) -> None:
        if dataset not in ("moons", "spirals"):
            raise ValueError(f"dataset: expected 'moons' or 'spirals', got {dataset!r}")
        if hidden < 0:
            raise ValueError(f"hidden: expected a hidden size >= 0 (0: the linear classifier), got {hidden}")
        self.X, self.y = make_moons(200, seed=seed) if dataset == "moons" else make_spirals(300, seed=seed)
        if not 1 <= batch_size <= len(self.X):
            raise ValueError(f"batch_size: expected 1 <= batch_size <= {len(self.X)} (the number of examples), "
                             f"got {batch_size}")
        self.dataset, self.hidden, self.batch_size, self.seed = dataset, hidden, batch_size, seed
        self.optimizer = Momentum(lr, alpha)
        self.reset()

    def reset(self) -> None:
        """Fresh random weights, zero momentum, empty loss curve, same data."""
        k = int(self.y.max()) + 1
        self.model = mlp((2, self.hidden, k) if self.hidden else (2, k), "tanh", seed=self.seed)
        self.optimizer.delta = {}
        self.history = History()
        self._order: list[int] = []
        self.rng = np.random.default_rng(self.seed)

    @property
    def steps(self) -> int:
        """Mini-batch updates since the last reset (each records one loss)."""
        return len(self.history.step_loss)

    @property
    def steps_per_epoch(self) -> int:
        """ceil(N / batch_size): the steps of one pass over the data (the last batch may be smaller)."""
        return -(-len(self.X) // self.batch_size)

    @property
    def epochs(self) -> float:
        """Steps taken, in epochs."""
        return self.steps / self.steps_per_epoch

    def set(self, lr: float | None = None, alpha: float | None = None) -> None:
        """Change the learning rate and/or momentum for the next steps."""
        if lr is not None:
            self.optimizer.lr = lr
        if alpha is not None:
            self.optimizer.alpha = alpha

    def step(self) -> float:
        """One mini-batch update (a new shuffled order each epoch); returns the batch loss."""
        if not self._order:  # a new epoch: reshuffle (the last batch of an epoch may be smaller)
            self._order = list(self.rng.permutation(len(self.X)))
        idx, self._order = self._order[: self.batch_size], self._order[self.batch_size :]
        loss, grads = self.model.loss_and_grad(self.X[idx], self.y[idx])
        if np.isfinite(loss):
            self.optimizer.step(self.model.parameters(), grads)
        self.history.step_loss.append(loss)
        return loss

    def epoch(self) -> float:
        """ceil(N / batch_size) steps; returns the loss on the whole training set afterwards."""
        for _ in range(self.steps_per_epoch):
            self.step()
        return evaluate(self.model, self.X, self.y)[0]

    def draw(self) -> Figure:
        """Decision boundary (left) and loss per step (right)."""
        fig = Figure(figsize=(9, 3.8))
        ax1, ax2 = fig.subplots(1, 2)
        acc = accuracy(self.model, self.X, self.y)
        draw_decision_boundary(self.model, self.X, self.y, ax=ax1, resolution=80,  # coarser grid: a fast redraw
                               title=f"after {self.steps} steps ({self.epochs:.1f} epochs), train acc {acc:.2f}")
        draw_loss_curves({"batch loss": self.history.step_loss}, ax=ax2, xlabel="step")
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.13, top=0.92, wspace=0.2)  # fixed: faster than tight
        return fig


# ---------------------------------------------------------------- sentiment: pooled word vectors -> MLP


def pooling_matrix(sentences: list[list[str]], words: list[str], vectors: np.ndarray
                   ) -> tuple[scipy.sparse.csr_matrix, np.ndarray, list[str]]:
    """Mean pooling as a sparse matrix, over the words of ``sentences`` that have a vector.

    Args:
        sentences: N token lists; words: V words with vectors (V, d).
    Returns:
        (P, E, kept): P a scipy CSR matrix (N, V′) whose row n holds 1/count on sentence n's known words (all
        zeros if none is known), E (V′, d) the rows of ``vectors`` for those V′ words, kept their words.
        ``P @ E`` is every sentence's mean word vector.
    """
    from scipy.sparse import csr_matrix

    if np.ndim(vectors) != 2 or len(vectors) != len(words):
        raise ValueError(f"vectors: expected shape ({len(words)}, d), one row per word, got {np.shape(vectors)}")
    index = {w: i for i, w in enumerate(words)}
    kept = sorted({w for s in sentences for w in s if w in index}, key=index.get)
    col = {w: j for j, w in enumerate(kept)}
    rows, cols, vals = [], [], []
    for n, sentence in enumerate(sentences):
        ids = [col[w] for w in sentence if w in col]
        rows += [n] * len(ids)
        cols += ids
        vals += [1.0 / max(len(ids), 1)] * len(ids)
    P = csr_matrix((vals, (rows, cols)), shape=(len(sentences), len(kept)))  # duplicates are summed
    return P, np.asarray(vectors, dtype=np.float64)[[index[w] for w in kept]], kept


def split_indices(y: np.ndarray, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train/validation/test index arrays for labels y (N,) (each class split by ``fractions``)."""
    if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions: expected 3 non-negative fractions summing to 1, got {fractions!r}")
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        a, b = round(fractions[0] * len(idx)), round((fractions[0] + fractions[1]) * len(idx))
        for part, chunk in zip(parts, (idx[:a], idx[a:b], idx[b:]), strict=True):
            part.append(chunk)
    return tuple(np.sort(np.concatenate(p)) for p in parts)


def sentiment_run(P: np.ndarray | scipy.sparse.spmatrix, y: np.ndarray, vectors: np.ndarray, *, fine_tune: bool,
                  seed: int = 0, hidden: int = 16, epochs: int = 100, lr: float = 3e-3,
                  zero_inputs: bool = False) -> dict[str, float]:
    """Train MeanPool(vectors) → Linear → tanh → Linear on a stratified 60/20/20 split of (P (N, V), y (N,)),
    with P and vectors (V, d) from ``pooling_matrix``.

    Returns {"train", "val", "test"} accuracies (the test set is evaluated once, at the end).
    ``zero_inputs=True`` is the input-independent baseline (all features zeroed).
    """
    tr, va, te = split_indices(y, seed=seed)
    d = vectors.shape[1]
    model = Sequential(MeanPool(vectors, trainable=fine_tune), Linear(d, hidden, seed=seed), Tanh(),
                       Linear(hidden, int(y.max()) + 1, seed=seed + 1))
    X = P * 0.0 if zero_inputs else P
    train(model, X[tr], y[tr], Adam(lr), epochs=epochs, batch_size=16, seed=seed)
    return {name: accuracy(model, X[idx], y[idx]) for name, idx in (("train", tr), ("val", va), ("test", te))}


def stratified_folds(y: np.ndarray, folds: int = 10, seed: int = 0) -> list[np.ndarray]:
    """k-fold cross-validation over all examples: ``folds`` disjoint, stratified test-index arrays covering y (N,).

    Each class's examples are shuffled (fixed seed) and dealt round-robin, so every fold holds each class in
    proportion; every example is tested exactly once.
    """
    from .validate import integer

    y = np.asarray(y)
    folds = integer(folds, "folds", low=2, high=len(y))
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in range(folds)]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        for f in range(folds):
            parts[f].append(idx[f::folds])
    return [np.sort(np.concatenate(p)) for p in parts]


def sentiment_cv(P: np.ndarray | scipy.sparse.spmatrix, y: np.ndarray, vectors: np.ndarray, *, fine_tune: bool,
                 zero_inputs: bool = False, folds: int = 10, seed: int = 0, hidden: int = 16, epochs: int = 100,
                 lr: float = 3e-3) -> dict[str, float]:
    """k-fold version of ``sentiment_run``: every one of the N examples is predicted once, by the model of the
    fold that held it out.

    Returns {"correct": number of the N held-out predictions that are right, "n": N, "train": mean training
    accuracy over the folds}. A count over all N examples, with a binomial interval (``evaluation.
    binomial_interval``), is what a few hundred examples can support; a mean over 40-sentence test sets is
    not. Everything is float64, so another CPU's float kernels change the scores by ~1e-15 — far below any
    prediction's margin.
    """
    d = vectors.shape[1]
    X = P * 0.0 if zero_inputs else P
    correct, train_acc = 0, []
    for f, test in enumerate(stratified_folds(y, folds, seed)):
        tr = np.setdiff1d(np.arange(len(y)), test)
        model = Sequential(MeanPool(vectors, trainable=fine_tune), Linear(d, hidden, seed=seed + f),
                           Tanh(), Linear(hidden, int(y.max()) + 1, seed=seed + f + 1))
        train(model, X[tr], y[tr], Adam(lr), epochs=epochs, batch_size=16, seed=seed + f)
        correct += int((model.predict(X[test]) == y[test]).sum())
        train_acc.append(accuracy(model, X[tr], y[tr]))
    return {"correct": correct, "n": len(y), "train": float(np.mean(train_acc))}


def nudged_final_losses(sizes: tuple[int, ...], activation: str, X: np.ndarray, y: np.ndarray, lr: float, *,
                        starts: int = 5, nudge: float = 1e-12, epochs: int = 60, batch_size: int = 32,
                        seed: int = 0) -> np.ndarray:
    """Final epoch losses of ``starts`` SGD runs from the same initial weights, run k's weights multiplied by
    (1 + nudge · noise_k) (run 0 un-nudged): how much the last bits of the start decide where training ends.

    A stable learning rate ends every run at the same loss (spread ~nudge); at the edge of divergence the
    spread is of the order of the loss itself — the trajectory is chaotic, and another CPU's float kernels
    (which change the last bits of every matmul) are such a nudge.

    Returns:
        (starts,) float64 final epoch losses.
    """
    finals = []
    for k in range(starts):
        model = mlp(sizes, activation, seed=seed)
        if k:
            noise = np.random.default_rng(k)
            for value in model.parameters().values():
                value *= 1.0 + nudge * noise.standard_normal(value.shape)
        hist = train(model, X, y, SGD(lr), epochs=epochs, batch_size=batch_size, on_nan="stop", seed=seed)
        finals.append(hist.epoch_loss[-1])
    return np.array(finals)


# ---------------------------------------------------------------- drawings


def _ax(ax: Axes | None, figsize: tuple[float, float] = (5, 4)) -> Axes:
    if ax is None:
        ax = Figure(figsize=figsize).add_subplot()
    return ax


def draw_decision_boundary(model: Sequential, X: np.ndarray, y: np.ndarray, ax: Axes | None = None, title: str = "",
                           resolution: int = 120) -> Figure:
    """The model's predicted class over the plane (shaded) and the points X (N, 2) coloured by y (N,)."""
    ax = _ax(ax)
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    pred = model.predict(np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape)
    k = int(max(y.max(), pred.max())) + 1
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"][:k]
    from matplotlib.colors import ListedColormap

    ax.imshow(pred, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto", interpolation="nearest",
              cmap=ListedColormap(colors), vmin=-0.5, vmax=k - 0.5, alpha=0.25)
    ax.scatter(X[:, 0], X[:, 1], c=[colors[c] for c in y], s=12, edgecolors="k", linewidths=0.3)
    ax.set(title=title, xticks=[], yticks=[])
    return ax.figure


def draw_activations(z_max: float = 6.0, ax: Axes | None = None) -> Figure:
    """Sigmoid, tanh and ReLU (top row) with their derivatives (bottom row) on [−z_max, z_max]."""
    fig = Figure(figsize=(9, 4.5)) if ax is None else ax.figure
    axes = fig.subplots(2, 3, sharex=True) if ax is None else np.array([[ax] * 3, [ax] * 3])
    z = np.linspace(-z_max, z_max, 401)
    for j, (name, (f, df)) in enumerate(ACTIVATIONS.items()):
        axes[0, j].plot(z, f(z), color="C0")
        axes[1, j].plot(z, df(z), color="C1")
        axes[0, j].set_title(name)
        axes[1, j].set_title(f"{name}'")
        for a in axes[:, j]:
            a.axhline(0, color="gray", lw=0.5)
            a.axvline(0, color="gray", lw=0.5)
    fig.tight_layout()
    return fig


def draw_loss_curves(curves: dict[str, list[float]], ax: Axes | None = None, xlabel: str = "step", log: bool = False,
                     title: str = "") -> Figure:
    """One line per named loss curve (NaN/inf points are cut off)."""
    ax = _ax(ax)
    for name, values in curves.items():
        v = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(v)
        end = len(v) if finite.all() else int(np.argmin(finite))
        ax.plot(np.arange(1, end + 1), v[:end], label=name + ("" if finite.all() else " (diverged)"), lw=1.2)
    ax.set(xlabel=xlabel, ylabel="loss", title=title)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax.figure


def draw_paths(paths: dict[str, np.ndarray], loss_fn: LossFn = valley, ax: Axes | None = None) -> Figure:
    """Optimiser paths (name -> (T, 2) points) over the contour lines of ``loss_fn``."""
    ax = _ax(ax, figsize=(8, 3.5))
    gx, gy = np.meshgrid(np.linspace(-4.5, 1.5, 200), np.linspace(-1.5, 1.5, 120))
    f = np.vectorize(lambda a, b: loss_fn(np.array([a, b]))[0])(gx, gy)
    ax.contour(gx, gy, f, levels=np.geomspace(0.005, 12, 12), colors="lightgray", linewidths=0.8)
    for name, p in paths.items():
        ax.plot(p[:, 0], p[:, 1], "o-", ms=2.5, lw=1, label=name)
    ax.plot(0, 0, "k*", ms=10)
    ax.set(xlim=(-4.5, 1.5), ylim=(-1.5, 1.5), xlabel="θ₁", ylabel="θ₂")
    ax.legend(fontsize=8, loc="lower right")
    return ax.figure
