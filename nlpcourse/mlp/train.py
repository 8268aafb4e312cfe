"""Notebook 05's training: optimisers (SGD, the lecture's momentum, Adam), the mini-batch trainer, optimiser
paths in a 2-D valley, and the nudged-start probe of chaotic learning rates.

``train`` takes the model, the data and the optimiser, and its loop's options as one ``TrainConfig`` (epochs,
batch size, seed, what to do on divergence) — or those fields as keywords.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import validate
from . import ReLU, Sequential, SoftmaxCrossEntropy, evaluation_mode, mlp

__all__ = [
    "SGD", "Momentum", "torch_sgd_arguments", "Adam", "make_optimizer", "DivergedError", "History", "accuracy",
    "evaluate", "TrainConfig", "minibatches", "train", "dead_relu_units", "zero_input_baseline", "LossFn", "valley",
    "optimizer_path",
    "nudged_final_losses",
]

LossFn = Callable[[np.ndarray], tuple[float, np.ndarray]]  # theta (2,) -> (loss, gradient (2,))


# ---------------------------------------------------------------- optimisers: update parameters in place


class SGD:
    """θ ← θ − γ g."""

    def __init__(self, lr: float = 0.1) -> None:
        if not validate.number(lr, "lr") > 0:
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
        if not 0 <= validate.number(alpha, "alpha") < 1:
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
    lr = validate.positive_float(lr, "lr")
    alpha = validate.probability(alpha, "alpha", open_high=True)
    return {"lr": lr * (1 - alpha), "momentum": alpha, "dampening": 0.0}


class Adam(SGD):
    """Adam (Kingma & Ba): running means of g and g², bias-corrected; 3e-4 is the forgiving default."""

    def __init__(self, lr: float = 3e-4, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(lr)
        if len(betas) != 2:
            raise ValueError(f"betas: expected two decay rates (β₁, β₂), got {betas!r}")
        self.betas = tuple(validate.probability(b, "betas", open_high=True) for b in betas)
        self.eps = validate.positive_float(eps, "eps")
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
    validate.string(name, "name")
    alpha = validate.probability(alpha, "alpha", open_high=True)
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
    best_epoch: int | None = None  # early stopping: the epoch (1-based) whose weights were kept
    stopped_at: int | None = None  # early stopping: the last epoch run, when it stopped before ``epochs``


def accuracy(model: Sequential, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of X (N, d) whose predicted label equals y (N,)."""
    return float((model.predict(X) == np.asarray(y)).mean())


def evaluate(model: Sequential, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean loss, accuracy) on the whole set, in evaluation mode, without touching gradients."""
    with evaluation_mode(model):
        scores = model.forward(X)  # one forward pass for both numbers
    loss = SoftmaxCrossEntropy().forward(scores, y)
    return loss, float((scores.argmax(axis=1) == np.asarray(y)).mean())


@dataclass(frozen=True)
class TrainConfig(validate.Config):
    """How ``train`` runs (checked on creation): the loop's options, separate from the model and the data.

    Attributes:
        epochs: passes over the data (>= 0).  batch_size: examples per step, 1 <= batch_size <= N
            (N = plain gradient descent, 1 = plain SGD).  seed: the shuffling's seed.
        on_nan: when the loss is NaN/inf (or above ``max_loss``: float64 overflows only after very many
            exploding steps), "raise" a DivergedError naming the step, or "stop" and record ``diverged_at``.
        max_loss: the loss above which training counts as diverged.  progress: a tqdm bar over the epochs.
        drop_last: drop each epoch's incomplete last batch (the lecture's scheme: 10 examples, k = 3 give 3
            steps per epoch; the example left over is not lost, the next epoch's shuffle puts it in a batch).
            False (the default) keeps it as a smaller batch: ceil(N / k) steps per epoch.
        patience: early stopping on the validation loss (needs ``X_val``): stop when it has not improved for
            ``patience`` epochs and restore the weights of its best epoch (the parameters; a BatchNorm's
            running statistics stay those of the last epoch run). None: run every epoch.
    """

    epochs: int = 10
    batch_size: int = 32
    seed: int = 0
    on_nan: str = "raise"
    max_loss: float = 1e6
    progress: bool = False
    drop_last: bool = False
    patience: int | None = None

    def __post_init__(self) -> None:
        self._set("epochs", validate.non_negative_int(self.epochs, "epochs"))
        self._set("batch_size", validate.integer(self.batch_size, "batch_size"))  # 1..N: checked by train
        self._set("seed", validate.non_negative_int(self.seed, "seed"))
        if self.on_nan not in ("raise", "stop"):
            raise ValueError(f"on_nan: expected 'raise' or 'stop', got {self.on_nan!r}")
        self._set("max_loss", validate.positive_float(self.max_loss, "max_loss"))
        if not isinstance(self.progress, bool):
            raise TypeError(f"progress: expected True or False, got {self.progress!r}")
        if not isinstance(self.drop_last, bool):
            raise TypeError(f"drop_last: expected True or False, got {self.drop_last!r}")
        if self.patience is not None:
            self._set("patience", validate.positive_int(self.patience, "patience"))


def minibatches(n: int, batch_size: int, rng: np.random.Generator, drop_last: bool = False) -> list[np.ndarray]:
    """One epoch's batches: a fresh permutation of range(n) from ``rng``, cut into pieces of ``batch_size``.

    Returns:
        a list of int64 index arrays: ceil(n / batch_size) of them, the last one smaller when batch_size does
        not divide n; with ``drop_last`` only the floor(n / batch_size) full ones (the lecture's scheme).
    """
    n, batch_size = validate.positive_int(n, "n"), validate.positive_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(f"batch_size: expected 1 <= batch_size <= {n} (the number of examples), got {batch_size}")
    order = rng.permutation(n)
    end = n - n % batch_size if drop_last else n
    return [order[start : start + batch_size] for start in range(0, end, batch_size)]


def train(model: Sequential, X: np.ndarray, y: np.ndarray, optimizer: SGD, config: TrainConfig | None = None, *,
          X_val: np.ndarray | None = None, y_val: np.ndarray | None = None, history: History | None = None,
          **overrides: object) -> History:
    """The lecture's scheme: every epoch, shuffle (fixed seed), cut into batches of ``batch_size``
    (``minibatches``), and take one optimiser step per batch. batch_size = N is batch gradient descent, 1 is
    plain SGD. The incomplete last batch is kept (a smaller step) unless ``drop_last``; with ``patience``
    (and a validation set) training stops early and keeps the weights of the best validation loss.

    Args:
        model, X (N, d), y (N,): the model and its training set.
        optimizer: SGD, Momentum or Adam.
        config: the loop's options (``TrainConfig``: epochs, batch_size, seed, on_nan, max_loss, progress,
            drop_last, patience);
            ``overrides`` change its fields for this call, e.g. ``train(m, X, y, opt, epochs=5)``.
        X_val, y_val: optional held-out set, evaluated in full after every epoch.
        history: continue this History instead of starting a new one.
    Returns:
        the History.
    """
    c = TrainConfig.make(config, **overrides)
    if not isinstance(optimizer, SGD):
        raise TypeError(f"optimizer: expected an SGD, Momentum or Adam, got {type(optimizer).__name__}")
    X = X if hasattr(X, "tocsr") else np.asarray(X, dtype=np.float64)  # scipy sparse inputs stay sparse
    if X.ndim != 2:
        raise ValueError(f"X: expected shape (N, d), got {X.shape}")
    n = X.shape[0]
    if len(np.shape(y)) != 1 or len(y) != n:
        raise ValueError(f"y: expected shape ({n},) to match X's {n} rows, got {np.shape(y)}")
    if not 1 <= c.batch_size <= n:
        raise ValueError(f"batch_size: expected 1 <= batch_size <= {n} (the number of examples), got {c.batch_size}")
    if c.patience is not None and X_val is None:
        raise ValueError(f"patience: early stopping watches the validation loss; pass X_val and y_val "
                         f"(got patience={c.patience} and no X_val)")
    from tqdm.auto import tqdm

    rng = np.random.default_rng(c.seed)
    hist = history if history is not None else History()
    model.train()
    best: tuple[float, int, dict[str, np.ndarray]] | None = None  # (val loss, epoch, weights) for early stopping
    for epoch in tqdm(range(c.epochs), desc="epochs", disable=not c.progress):
        losses = []
        for idx in minibatches(n, c.batch_size, rng, c.drop_last):
            with np.errstate(all="ignore"):  # overflow is reported below, with the step number
                loss, grads = model.loss_and_grad(X[idx], y[idx])
            hist.step_loss.append(loss)
            if not loss <= c.max_loss:  # also true for NaN
                hist.diverged_at = len(hist.step_loss)
                if c.on_nan == "stop":
                    return hist
                raise DivergedError(
                    f"loss is {loss:.3g} at step {hist.diverged_at} (epoch {epoch + 1}): training diverged "
                    f"(NaN, inf or above max_loss={c.max_loss:g}). Try a smaller learning rate than "
                    f"lr={optimizer.lr:g}, e.g. lr={optimizer.lr / 10:g}.")
            optimizer.step(model.parameters(), grads)
            losses.append(loss)
        hist.epoch_loss.append(float(np.mean(losses)))
        if X_val is not None:
            vl, va = evaluate(model, X_val, y_val)
            hist.val_loss.append(vl)
            hist.val_accuracy.append(va)
            if c.patience is not None:
                if best is None or vl < best[0]:
                    best = (vl, epoch + 1, {k: v.copy() for k, v in model.parameters().items()})
                elif epoch + 1 - best[1] >= c.patience:
                    hist.stopped_at = epoch + 1
                    break
    if best is not None:
        model.set_parameters(best[2])
        hist.best_epoch = best[1]
    return hist


def dead_relu_units(model: Sequential, X: np.ndarray) -> list[int]:
    """For each ReLU layer of ``model``: how many of its units are dead on X (N, d), i.e. z <= 0 for every row
    (such a unit outputs 0 and passes no gradient, whatever the input)."""
    dead, h = [], np.asarray(X, dtype=np.float64)
    with evaluation_mode(model):
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
    steps = validate.non_negative_int(steps, "steps")
    theta = {"theta": validate.float_array(start, "start", shape=(2,)).copy()}
    path = [theta["theta"].copy()]
    for _ in range(steps):
        optimizer.step(theta, {"theta": loss_fn(theta["theta"])[1]})
        path.append(theta["theta"].copy())
    return np.array(path)


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
    starts, epochs = validate.positive_int(starts, "starts"), validate.positive_int(epochs, "epochs")
    nudge = validate.number(nudge, "nudge", low=0.0)
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
