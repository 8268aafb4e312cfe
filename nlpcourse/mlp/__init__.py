"""Notebook 05: the multi-layer perceptron, from layers with hand-written backward passes (numpy; torch only checks).

A batch X is (N, d), one example per row; labels y (N,) are ints in [0, k). A Linear layer stores W (d_out, d_in)
like the lecture's W¹ ∈ R^{p×d} and ``torch.nn.Linear``, so it computes X Wᵀ + b. The rest of the notebook:
``train.py`` (optimisers, the trainer), ``sentiment.py``, ``language_model.py``, ``stepper.py`` (the widget's
state), ``figures.py``, ``checks.py``, ``widgets.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from .. import validate
from ..functional import log_softmax, sigmoid
from ..perturb import nudge

if TYPE_CHECKING:
    import scipy.sparse
    import torch

__all__ = [
    "make_moons", "make_spirals", "d_sigmoid", "d_tanh", "relu", "d_relu", "ACTIVATION_PAIRS",
    "Linear", "ReLU", "Sigmoid", "Tanh", "SoftmaxCrossEntropy", "Sequential", "mlp", "gradient_check_functions",
    "BatchNorm", "MeanPool",
]

# ---------------------------------------------------------------- 1. two toy problems in the plane


def make_moons(n: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X (n, 2) float64, y (n,) int64 with n//2 zeros, then ones."""
    n = validate.integer(n, "n", low=2)
    noise = validate.number(noise, "noise", low=0.0)
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
    t0, t1 = np.linspace(0, np.pi, n // 2), np.linspace(0, np.pi, n - n // 2)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])  # (n, 2)
    y = np.r_[np.zeros(len(t0), dtype=np.int64), np.ones(len(t1), dtype=np.int64)]
    return X + noise * rng.standard_normal(X.shape), y


def make_spirals(n: int = 300, k: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """k spiral arms of n//k points (cs231n's toy problem): X (k·(n//k), 2) float64, y (k·(n//k),) in [0, k)."""
    k = validate.integer(k, "k", low=2)
    n = validate.integer(n, "n", low=k)
    noise = validate.number(noise, "noise", low=0.0)
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
    m = n // k
    r = np.linspace(0.0, 1.0, m)  # radius grows along each arm
    X, y = [], []
    for c in range(k):
        t = np.linspace(c * 4.0, (c + 1) * 4.0, m) + noise * rng.standard_normal(m)  # angle
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y.append(np.full(m, c, dtype=np.int64))
    return np.concatenate(X), np.concatenate(y)


# ---------------------------------------------------------------- 2. activations and their derivatives


def d_sigmoid(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)(1 − σ(z)) ≤ 1/4, element-wise."""
    s = sigmoid(z)
    return s * (1 - s)


def d_tanh(z: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 − tanh²(z) ≤ 1, element-wise."""
    return 1 - np.tanh(z) ** 2


def relu(z: np.ndarray) -> np.ndarray:
    """max(0, z), element-wise."""
    return np.maximum(0.0, z)


def d_relu(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0 (0 at z = 0, as torch), element-wise."""
    return (np.asarray(z) > 0).astype(np.float64)


# name -> (f, f'): what an activation layer applies forward and multiplies by backward
ACTIVATION_PAIRS = {"sigmoid": (sigmoid, d_sigmoid), "tanh": (np.tanh, d_tanh), "relu": (relu, d_relu)}


# ---------------------------------------------------------------- 3. layers: forward caches what backward needs


class Layer:
    """``params``/``grads`` dicts (empty for activations), ``forward(x)``, ``backward(dout) -> dx``."""

    size_in: int | None = None  # None: any width
    size_out: int | None = None

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True

    def __repr__(self) -> str:
        dims = f"{self.size_in} → {self.size_out}" if self.size_in is not None else ""
        return f"{type(self).__name__}({dims})"


def linear_weights(d_in: int, d_out: int, init: str = "random", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """W (d_out, d_in) ~ N(0, 1/d_in) ("random"), all 0 ("zeros") or all 0.5 ("constant"); b = 0 (d_out,)."""
    if init == "random":  # nudged by the perturbation switch; a constant init stays exactly symmetric
        W = nudge(1 / np.sqrt(d_in) * np.random.default_rng(seed).standard_normal((d_out, d_in)))
    else:
        W = np.full((d_out, d_in), 0.0 if init == "zeros" else 0.5)
    return W, np.zeros(d_out)


class Linear(Layer):
    """z = x Wᵀ + b: x (N, d_in) -> z (N, d_out), W (d_out, d_in), b (d_out,)."""

    def __init__(self, d_in: int, d_out: int, *, init: str = "random", seed: int = 0) -> None:
        super().__init__()
        self.size_in, self.size_out = validate.positive_int(d_in, "d_in"), validate.positive_int(d_out, "d_out")
        init = validate.one_of(init, "init", ("random", "zeros", "constant"))
        W, b = linear_weights(self.size_in, self.size_out, init, validate.non_negative_int(seed, "seed"))
        self.params = {"W": W, "b": b}

    @classmethod
    def from_params(cls, W: np.ndarray, b: np.ndarray) -> Linear:
        """A Linear layer around existing arrays W (d_out, d_in), b (d_out,): shared, not copied."""
        layer = cls.__new__(cls)
        Layer.__init__(layer)
        layer.size_out, layer.size_in = W.shape
        layer.params = {"W": W, "b": b}
        return layer

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.params["W"].T + self.params["b"]  # (N, d_out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout = ∂L/∂z (N, d_out) -> ∂L/∂x (N, d_in); stores ∂L/∂W = doutᵀ x and ∂L/∂b = Σ_n dout."""
        self.grads = {"W": dout.T @ self.x, "b": dout.sum(axis=0)}
        return dout @ self.params["W"]


class Activation(Layer):
    """h = f(z) element-wise; backward: ∂L/∂z = ∂L/∂h ⊙ f'(z)."""

    name = ""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.z = z
        return ACTIVATION_PAIRS[self.name][0](z)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * ACTIVATION_PAIRS[self.name][1](self.z)


class ReLU(Activation):
    name = "relu"


class Sigmoid(Activation):
    name = "sigmoid"


class Tanh(Activation):
    name = "tanh"

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.h = super().forward(z)
        return self.h

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1 - self.h**2)  # tanh' = 1 − tanh², from the output kept by forward


def check_labels(y: np.ndarray, k: int, n: int) -> np.ndarray:
    """y as int64 after checking it is (n,) ints in [0, k): the error names the first bad label."""
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y: expected shape ({n},), one label per row of scores, got {y.shape}")
    if y.dtype.kind in "iu":  # integers (a trainer's every batch): only the range can be wrong
        bad = np.flatnonzero((y < 0) | (y >= k)) if n and (y.min() < 0 or y.max() >= k) else ()
    else:
        bad = np.flatnonzero((y < 0) | (y >= k) | (y != np.round(y))) if y.dtype.kind in "fb" else [0]
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"y: labels must be integers in [0, {k}) for {k} classes, got {y[i].item()!r} at index {i}")
    return y.astype(np.int64, copy=False)


class SoftmaxCrossEntropy:
    """L = mean_n −log softmax(scores_n)[y_n]; backward: dSoft = ∂L/∂scores = (p − onehot(y)) / N."""

    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        """scores (N, k), y (N,) ints in [0, k) -> the mean loss."""
        scores = validate.float_array(scores, "scores", ndim=2, finite=False)  # NaN: reported by the trainer
        self.y = check_labels(y, scores.shape[1], len(scores))
        log_p = log_softmax(scores, axis=1)  # (N, k), stable for any score
        self.p = np.exp(log_p)
        return float(-(log_p[np.arange(len(self.y)), self.y].sum() / len(self.y)))  # the mean, as np.mean computes it

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        """dloss = ∂L/∂L = 1 (the base case) -> (N, k)."""
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return dloss * d / len(self.y)


class Sequential:
    """Layers in order, then softmax cross-entropy; parameters are named "<layer index>.<name>"."""

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
        """name -> the live array (optimisers update it in place)."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    def gradients(self) -> dict[str, np.ndarray]:
        """name -> the gradient from the last ``backward``."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}

    def set_parameters(self, values: dict[str, np.ndarray]) -> None:
        """Copy ``values`` (name -> array) into the parameters, in place."""
        params = self.parameters()
        for name, v in values.items():
            params[name][...] = v

    def train(self, mode: bool = True) -> Sequential:
        """Training mode (BatchNorm uses the batch's statistics) or, with ``mode=False``, evaluation mode."""
        for layer in self.layers:
            layer.training = mode
        return self

    def eval(self) -> Sequential:
        return self.train(False)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """X (N, d) -> scores (N, k)."""
        width = self.layers[0].size_in
        if X.ndim != 2 or (width is not None and X.shape[1] != width):
            raise ValueError(f"X: expected shape (N, {width}), got {X.shape}")
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dscores: np.ndarray) -> np.ndarray:
        """∂L/∂scores (N, k) -> ∂L/∂X, filling every layer's ``grads`` on the way down."""
        for layer in reversed(self.layers):
            dscores = layer.backward(dscores)
        return dscores

    def loss_and_grad(self, X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """One forward and backward pass: (mean loss, name -> gradient)."""
        loss = self.loss_fn.forward(self.forward(X), y)
        self.backward(self.loss_fn.backward())
        return loss, self.gradients()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """X (N, d) -> labels (N,), in evaluation mode."""
        with evaluation_mode(self):
            return self.forward(X).argmax(axis=1)


@contextmanager
def evaluation_mode(model: Sequential) -> Iterator[Sequential]:
    """``model`` in evaluation mode inside the ``with`` block; each layer's mode is restored after it."""
    modes = [layer.training for layer in model.layers]
    try:
        yield model.eval()
    finally:
        for layer, m in zip(model.layers, modes, strict=True):
            layer.training = m


def mlp(sizes: tuple[int, ...] | list[int], activation: str = "tanh", *, init: str = "random",
        batchnorm: bool = False, seed: int = 0) -> Sequential:
    """sizes (d, p, …, k): Linear [BatchNorm] f … Linear; (d, k) is the linear softmax classifier."""
    if len(sizes) < 2:
        raise ValueError(f"sizes: expected (d, ..., k) with at least 2 sizes, got {sizes!r}")
    sizes = [validate.positive_int(s, "sizes") for s in sizes]
    seed = validate.non_negative_int(seed, "seed")
    act = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}[validate.one_of(activation, "activation",
                                                                          ACTIVATION_PAIRS)]
    layers: list[Layer] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(a, b, init=init, seed=seed + i))
        if i < len(sizes) - 2:
            layers += [BatchNorm(b), act()] if batchnorm else [act()]
    return Sequential(*layers)


def torch_loss(model: Sequential, params: dict[str, torch.Tensor], X: np.ndarray, y: np.ndarray) -> torch.Tensor:
    """The same network and loss in torch, with ``params`` (name -> tensor): what autograd differentiates."""
    import torch
    import torch.nn.functional as F

    h = torch.tensor(np.asarray(X, dtype=np.float64))  # a copy: X may be read-only
    for i, layer in enumerate(model.layers):
        p = {k: params.get(f"{i}.{k}") for k in ("W", "b", "gamma", "beta", "E")}
        if isinstance(layer, Linear):
            h = h @ p["W"].T + p["b"]  # (N, d_out)
        elif isinstance(layer, MeanPool):
            h = h @ (p["E"] if layer.trainable else torch.as_tensor(layer.E))  # (N, V) @ (V, D): mean vectors
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
    """(ours, torch's, a copy of the parameters) for ``gradcheck.check_gradients`` on one batch X (N, d), y (N,).

    ours(params) -> (loss, grads) from our backward passes; torch's(tensors) -> the same loss in torch.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model: expected an mlp.Sequential, got {type(model).__name__}")

    def ours(values: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
        model.set_parameters(values)
        loss, grads = model.loss_and_grad(X, y)
        return loss, {k: g.copy() for k, g in grads.items()}

    return ours, lambda tensors: torch_loss(model, tensors, X, y), {k: v.copy() for k, v in model.parameters().items()}


# ---------------------------------------------------------------- 6. batch normalisation


class BatchNorm(Layer):
    """y = γ ⊙ (x − μ)/sqrt(σ² + ε) + β over the mini-batch, x (N, d); running μ, σ² (unbiased) for evaluation."""

    def __init__(self, d: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.size_in = self.size_out = validate.positive_int(d, "d")
        self.momentum = validate.probability(momentum, "momentum")
        self.eps = validate.positive_float(eps, "eps")
        self.params = {"gamma": np.ones(d), "beta": np.zeros(d)}
        self.running_mean, self.running_var = np.zeros(d), np.ones(d)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.training:
            if len(x) < 2:
                raise ValueError(f"x: batch norm needs at least 2 examples in training mode, got {len(x)}")
            mean, var = x.mean(axis=0), x.var(axis=0)  # (d,) each, over the batch
            m, n = self.momentum, len(x)
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.xhat = (x - mean) * self.inv_std  # (N, d)
        return self.params["gamma"] * self.xhat + self.params["beta"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """(N, d) -> (N, d); in training mode μ and σ² depend on every x too; stores ∂L/∂γ, ∂L/∂β."""
        self.grads = {"gamma": (dout * self.xhat).sum(axis=0), "beta": dout.sum(axis=0)}
        dxhat = dout * self.params["gamma"]
        if not self.training:
            return dxhat * self.inv_std
        n = len(dout)
        return self.inv_std / n * (n * dxhat - dxhat.sum(axis=0) - self.xhat * (dxhat * self.xhat).sum(axis=0))


# ---------------------------------------------------------------- 8. mean of word vectors, for sentiment


class MeanPool(Layer):
    """features = P E: P (N, V) holds 1/len on sentence n's word ids, E (V, D) the table; ∂L/∂E = Pᵀ dout.

    ``trainable=False`` freezes E (no gradient, the optimiser leaves it alone).
    """

    def __init__(self, vectors: np.ndarray, trainable: bool = True) -> None:
        super().__init__()
        vectors = validate.float_array(vectors, "vectors", ndim=2).copy()  # its own copy: training writes into it
        vectors = nudge(vectors) if trainable else vectors  # fine-tuned: starting parameters
        self.size_in, self.size_out = vectors.shape
        self.trainable = trainable
        self.params = {"E": vectors} if trainable else {}
        self.E = vectors

    def forward(self, P: np.ndarray | scipy.sparse.spmatrix) -> np.ndarray:
        if P is not getattr(self, "P", None):  # full-batch training passes the same P every step
            self.P, self.P_T = P, P.T  # dense or scipy sparse
        return np.asarray(P @ self.E)  # (N, D)

    def backward(self, dout: np.ndarray) -> None:
        """(N, D) -> None: P is data, nothing flows further."""
        if self.trainable:
            self.grads = {"E": np.asarray(self.P_T @ dout)}  # (V, D)
