"""Notebook 05: the multi-layer perceptron, built from layers with hand-written backward passes.

Read top to bottom: 2-D datasets, activations, layers (Linear, ReLU, Sigmoid, Tanh, BatchNorm, MeanPool,
SoftmaxCrossEntropy), a Sequential model, and the same model in torch (for the gradient checks). Everything
is numpy; torch appears only to check. The rest of the notebook is in this folder: ``train.py`` (optimisers,
the mini-batch trainer, optimiser paths), ``stepper.py`` (the widget's training stepper), ``sentiment.py``
(pooled word vectors → MLP, k-fold), ``language_model.py`` (n-gram and fixed-window neural LMs),
``figures.py``, ``checks.py``, ``widgets.py``.

Shapes: a batch is ``X`` of shape (N, d) (one example per row), labels ``y`` of shape (N,) with ints in
[0, k). A Linear layer stores ``W`` of shape (d_out, d_in) like the lecture's W¹ ∈ R^{p×d} (and like
``torch.nn.Linear``), so it computes ``X @ W.T + b``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from .. import validate
from ..functional import log_softmax as _log_softmax
from ..perturb import nudge

if TYPE_CHECKING:
    import scipy.sparse
    import torch

__all__ = [
    "EXERCISE_Z", "EXERCISE_UPSTREAM", "EXERCISE_LR", "EXERCISE_ALPHA",
    "make_moons", "make_spirals", "sigmoid", "d_sigmoid", "d_tanh", "relu", "d_relu", "ACTIVATIONS",
    "Layer", "linear_weights", "Linear", "Activation", "ReLU", "Sigmoid", "Tanh", "BatchNorm", "MeanPool",
    "check_labels", "log_softmax", "SoftmaxCrossEntropy", "Sequential", "evaluation_mode", "mlp", "torch_loss",
    "gradient_check_functions",
]

# The exercises' numbers (checked by mlp.checks).
EXERCISE_Z = np.array([-1.0, 2.0, 0.5, -3.0])  # pre-activations entering a ReLU
EXERCISE_UPSTREAM = np.array([0.1, -0.2, 0.3, 0.4])  # ∂L/∂h arriving from above
EXERCISE_LR, EXERCISE_ALPHA = 0.1, 0.9  # the lecture's γ and α

# ---------------------------------------------------------------- 2-D datasets


def make_moons(n: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: a problem no straight line separates.

    Returns:
        X of shape (n, 2) float64, y of shape (n,) int64 with labels 0/1 (n//2 of class 0).
    """
    if validate.integer(n, "n") < 2:
        raise ValueError(f"n: expected at least 2 points, got {n}")
    noise = validate.number(noise, "noise", low=0.0)
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
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
    n, k = validate.integer(n, "n"), validate.integer(k, "k")
    if k < 2 or n < k:
        raise ValueError(f"k, n: expected k >= 2 classes and n >= k points, got k={k}, n={n}")
    noise = validate.number(noise, "noise", low=0.0)
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
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


def linear_weights(d_in: int, d_out: int, *, init: str = "random", scale: float | None = None,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A linear layer's initial W (d_out, d_in) and b (d_out,) (zeros).

    init: "random" (Gaussian, std ``scale`` or 1/sqrt(d_in)), "zeros", or "constant" (every weight = scale,
    0.5 by default). Seeded by ``seed`` alone.
    """
    d_in, d_out = validate.integer(d_in, "d_in"), validate.integer(d_out, "d_out")
    if d_in < 1 or d_out < 1:
        raise ValueError(f"d_in, d_out: expected sizes >= 1, got d_in={d_in}, d_out={d_out}")
    seed = validate.non_negative_int(seed, "seed")
    if scale is not None:
        scale = validate.number(scale, "scale")
    rng = np.random.default_rng(seed)
    std = 1 / np.sqrt(d_in) if scale is None else scale
    if init == "random":  # (a constant init stays exactly symmetric on any CPU: not nudged)
        W = nudge(std * rng.standard_normal((d_out, d_in)))
    elif init == "zeros":
        W = np.zeros((d_out, d_in))
    elif init == "constant":
        W = np.full((d_out, d_in), 0.5 if scale is None else scale)
    else:
        raise ValueError(f"init: expected 'random', 'zeros' or 'constant', got {init!r}")
    return W, np.zeros(d_out)


class Linear(Layer):
    """z = x Wᵀ + b with W of shape (d_out, d_in), b of shape (d_out,).

    init: "random" (Gaussian, std ``scale`` or 1/sqrt(d_in)), "zeros", or "constant" (every weight = scale).
    """

    def __init__(self, d_in: int, d_out: int, *, init: str = "random", scale: float | None = None,
                 seed: int = 0) -> None:
        super().__init__()
        self.size_in, self.size_out = d_in, d_out
        W, b = linear_weights(d_in, d_out, init=init, scale=scale, seed=seed)
        self.params = {"W": W, "b": b}

    @classmethod
    def from_params(cls, W: np.ndarray, b: np.ndarray) -> Linear:
        """A Linear layer around existing arrays W (d_out, d_in) and b (d_out,) (shared, not copied)."""
        W = validate.float_array(W, "W", ndim=2)
        b = validate.float_array(b, "b", shape=(W.shape[0],))
        layer = cls.__new__(cls)
        Layer.__init__(layer)
        layer.size_out, layer.size_in = W.shape
        layer.params = {"W": W, "b": b}
        return layer

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
        self.size_in = self.size_out = validate.positive_int(d, "d")
        self.momentum = validate.probability(momentum, "momentum")
        self.eps = validate.positive_float(eps, "eps")
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
        if trainable:
            vectors = nudge(vectors)  # fine-tuned: starting parameters
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
    k = validate.positive_int(k, "k")
    if n is not None:
        n = validate.non_negative_int(n, "n")
    y = np.asarray(y)
    if y.ndim != 1 or (n is not None and len(y) != n):
        raise ValueError(f"y: expected shape ({n if n is not None else 'N'},), got {y.shape}")
    bad = np.flatnonzero((y < 0) | (y >= k) | (y != np.round(y))) if y.dtype.kind in "iufb" else [0]
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"y: labels must be integers in [0, {k}) for {k} classes, got {y[i].item()!r} at index {i}")
    return y.astype(np.int64)


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise log softmax of scores (N, k) -> log-probabilities (N, k): ``functional.log_softmax`` along
    the rows, (s − max s) − log Σ exp(s − max s), so large scores do not overflow; the shape is checked."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores: expected shape (N, k), got {scores.shape}")
    return _log_softmax(scores, axis=1)


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
        with evaluation_mode(self):
            return self.forward(X).argmax(axis=1)


@contextmanager
def evaluation_mode(model: Sequential) -> Iterator[Sequential]:
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
    sizes = [validate.positive_int(s, "sizes") for s in sizes]
    seed = validate.non_negative_int(seed, "seed")
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
