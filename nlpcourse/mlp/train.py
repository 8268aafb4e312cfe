"""Notebook 05's training: optimisers (SGD, the lecture's momentum, Adam), the mini-batch trainer with early
stopping (``train``; ``train_runs`` for several runs side by side), optimiser paths in a 2-D valley, and the
nudged-start probe of chaotic learning rates."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import validate
from ..parallel import starmap
from . import ReLU, Sequential, SoftmaxCrossEntropy, evaluation_mode, mlp

__all__ = [
    "SGD", "Momentum", "torch_sgd_arguments", "Adam", "DivergedError", "History", "accuracy", "evaluate",
    "TrainConfig", "minibatches", "train", "dead_relu_units", "train_runs", "valley", "optimizer_path",
    "nudged_loss_curves",
]

# ---------------------------------------------------------------- 5. optimisers: update parameters in place


class SGD:
    """θ ← θ − γ g."""

    def __init__(self, lr: float = 0.1) -> None:
        self.lr = validate.positive_float(lr, "lr")

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for name, g in grads.items():
            params[name] -= self.lr * g


class Momentum(SGD):
    """The lecture's momentum: Δₜ = αΔₜ₋₁ + (1 − α)gₜ (Δ₀ = 0), θ ← θ − γΔₜ.

    torch's SGD(momentum=α, dampening=0) keeps buf = Δ/(1 − α): the same path with lr = γ(1 − α).
    """

    def __init__(self, lr: float = 0.1, alpha: float = 0.9) -> None:
        super().__init__(lr)
        self.alpha = validate.probability(alpha, "alpha", open_high=True)
        self.delta: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for name, g in grads.items():
            self.delta[name] = self.alpha * self.delta.get(name, 0.0) + (1 - self.alpha) * g
            params[name] -= self.lr * self.delta[name]


def torch_sgd_arguments(lr: float, alpha: float) -> dict[str, float]:
    """``torch.optim.SGD`` arguments that follow ``Momentum(lr, alpha)`` step for step."""
    lr = validate.positive_float(lr, "lr")
    alpha = validate.probability(alpha, "alpha", open_high=True)
    return {"lr": lr * (1 - alpha), "momentum": alpha, "dampening": 0.0}


class Adam(SGD):
    """Adam (Kingma & Ba): bias-corrected running means m of g and v of g²; θ ← θ − lr·m̂/(√v̂ + ε)."""

    def __init__(self, lr: float = 3e-4, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(lr)
        if len(betas) != 2:
            raise ValueError(f"betas: expected two decay rates (β₁, β₂), got {betas!r}")
        self.betas = tuple(validate.probability(b, "betas", open_high=True) for b in betas)
        self.eps = validate.positive_float(eps, "eps")
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.work: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # two scratch arrays per parameter
        self.t = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.betas
        for name, g in grads.items():
            if name not in self.m:
                self.m[name], self.v[name] = np.zeros_like(g), np.zeros_like(g)
                self.work[name] = np.empty_like(g), np.empty_like(g)
            # in place, into buffers kept from step to step (a fine-tuned embedding table is large: a new array
            # per operation would cost more than the arithmetic), the same roundings as the formulas:
            m, v, (sq, step) = self.m[name], self.v[name], self.work[name]
            m *= b1
            m += np.multiply(g, 1 - b1, out=step)  # m = β₁m + (1 − β₁)g
            np.multiply(g, 1 - b2, out=sq)
            sq *= g
            v *= b2
            v += sq  # v = β₂v + (1 − β₂)g²
            np.divide(v, 1 - b2**self.t, out=sq)
            np.sqrt(sq, out=sq)
            sq += self.eps  # √v̂ + ε
            np.divide(m, 1 - b1**self.t, out=step)  # m̂
            step *= self.lr
            step /= sq
            params[name] -= step  # θ −= lr·m̂/(√v̂ + ε)


# ---------------------------------------------------------------- the training loop


class DivergedError(ValueError):
    """The loss became NaN, infinite or larger than ``max_loss`` during training."""


@dataclass
class History:
    """What ``train`` records."""

    step_loss: list[float] = field(default_factory=list)  # after every update
    epoch_loss: list[float] = field(default_factory=list)  # mean batch loss of each epoch
    val_loss: list[float] = field(default_factory=list)  # on the whole validation set, after each epoch
    val_accuracy: list[float] = field(default_factory=list)
    diverged_at: int | None = None  # the step whose loss was NaN/inf (on_nan="stop")
    best_epoch: int | None = None  # early stopping: the epoch (1-based) whose weights were kept
    stopped_at: int | None = None  # early stopping: the last epoch run, when it stopped before ``epochs``


def accuracy(model: Sequential, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of X (N, d) whose predicted label equals y (N,)."""
    return float((model.predict(X) == np.asarray(y)).mean())


def evaluate(model: Sequential, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean loss, accuracy) on X (N, d), y (N,), in evaluation mode."""
    with evaluation_mode(model):
        scores = model.forward(X)  # one forward pass for both numbers
    return SoftmaxCrossEntropy().forward(scores, y), float((scores.argmax(axis=1) == np.asarray(y)).mean())


@dataclass(frozen=True)
class TrainConfig(validate.Config):
    """The loop's options for ``train`` (checked on creation)."""

    epochs: int = 10  # passes over the data
    batch_size: int = 32  # B examples per step: N is batch GD, 1 plain SGD (1 <= B <= N, checked by train)
    seed: int = 0  # the shuffling's seed
    on_nan: str = "raise"  # loss NaN/inf/above max_loss: "raise" a DivergedError, or "stop" and record it
    max_loss: float = 1e6  # float64 overflows only after many exploding steps: stop earlier
    progress: bool = False  # a tqdm bar over the epochs
    drop_last: bool = False  # drop each epoch's incomplete last batch (the lecture's scheme)
    patience: int | None = None  # early stopping: epochs without a better validation loss before stopping

    def __post_init__(self) -> None:
        self._set("epochs", validate.non_negative_int(self.epochs, "epochs"))
        self._set("batch_size", validate.integer(self.batch_size, "batch_size"))
        self._set("seed", validate.non_negative_int(self.seed, "seed"))
        self._set("on_nan", validate.one_of(self.on_nan, "on_nan", ("raise", "stop")))
        self._set("max_loss", validate.positive_float(self.max_loss, "max_loss"))
        for name in ("progress", "drop_last"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name}: expected True or False, got {getattr(self, name)!r}")
        if self.patience is not None:
            self._set("patience", validate.positive_int(self.patience, "patience"))


def minibatches(n: int, batch_size: int, rng: np.random.Generator, drop_last: bool = False) -> list[np.ndarray]:
    """One epoch's batches: a permutation of range(n) from ``rng`` cut into ceil(n/B) index arrays (floor with
    ``drop_last``)."""
    n = validate.positive_int(n, "n")
    batch_size = validate.integer(batch_size, "batch_size", low=1, high=n)
    order = rng.permutation(n)
    end = n - n % batch_size if drop_last else n
    return [order[start : start + batch_size] for start in range(0, end, batch_size)]


def train(model: Sequential, X: np.ndarray, y: np.ndarray, optimizer: SGD, config: TrainConfig | None = None, *,
          X_val: np.ndarray | None = None, y_val: np.ndarray | None = None, **overrides: object) -> History:
    """Every epoch: shuffle, cut into batches of B (``minibatches``), one optimiser step per batch; X (N, d), y (N,).

    ``config`` (or its fields as keywords) sets the loop; with ``patience`` and a validation set it stops early
    and keeps the weights of the best validation loss.
    """
    c = TrainConfig.make(config, **overrides)
    if not isinstance(optimizer, SGD):
        raise TypeError(f"optimizer: expected an SGD, Momentum or Adam, got {type(optimizer).__name__}")
    X = X if hasattr(X, "tocsr") else validate.float_array(X, "X", ndim=2)  # scipy sparse inputs stay sparse
    n = X.shape[0]
    if np.shape(y) != (n,):
        raise ValueError(f"y: expected shape ({n},) to match X's {n} rows, got {np.shape(y)}")
    if not 1 <= c.batch_size <= n:
        raise ValueError(f"batch_size: expected 1 <= batch_size <= {n} (the number of examples), got {c.batch_size}")
    if c.patience is not None and X_val is None:
        raise ValueError(f"patience: early stopping watches the validation loss; pass X_val and y_val "
                         f"(got patience={c.patience} and no X_val)")
    from tqdm.auto import tqdm

    rng = np.random.default_rng(c.seed)
    hist = History()
    model.train()
    best: tuple[float, int, dict[str, np.ndarray]] | None = None  # (val loss, epoch, weights)
    for epoch in tqdm(range(c.epochs), desc="epochs", disable=not c.progress):
        losses = []
        full = c.batch_size == n  # batch GD: one step on the whole set, in any order
        for idx in [None] if full else minibatches(n, c.batch_size, rng, c.drop_last):
            with np.errstate(all="ignore"):  # overflow is reported below, with the step number
                loss, grads = model.loss_and_grad(*((X, y) if idx is None else (X[idx], y[idx])))
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
    """For each ReLU layer: how many units have z <= 0 on every row of X (N, d) — no output, no gradient."""
    dead, h = [], validate.float_array(X, "X", ndim=2)
    with evaluation_mode(model):
        for layer in model.layers:
            if isinstance(layer, ReLU):
                dead.append(int((h.max(axis=0) <= 0).sum()))
            h = layer.forward(h)
    return dead


def train_runs(runs: Sequence[Mapping[str, object]]) -> list[tuple[Sequential, History]]:
    """``train(**run)`` for every run (its keywords: model, X, y, optimizer and ``train``'s own), side by side on
    two cores (``parallel.starmap``): [(the trained model, its History)] in the runs' order.

    Each run trains a copy of its model and optimiser (the caller's stay as they were, whichever process ran it);
    each is seeded (the model built with a seed, the trainer's ``seed``), so where it ran does not change it.
    """
    runs = list(validate.non_empty(runs, "runs", what="runs (dicts of train's keywords)"))
    for run in runs:
        validate.keys(run, "runs", ("model", "X", "y", "optimizer"))
        if not isinstance(run["model"], Sequential):
            raise TypeError(f"runs: expected each run's model to be an mlp.Sequential, got "
                            f"{type(run['model']).__name__}")
    return starmap(_train_run, [(dict(run),) for run in runs])


def _train_run(run: dict[str, object]) -> tuple[Sequential, History]:
    """One run of ``train_runs``: a copy of its model, trained, and the History."""
    run["model"], run["optimizer"] = copy.deepcopy((run["model"], run["optimizer"]))
    return run["model"], train(**run)


# ---------------------------------------------------------------- a long narrow valley: optimiser paths


def valley(theta: np.ndarray, a: float = 0.1, b: float = 10.0) -> tuple[float, np.ndarray]:
    """f = (a θ₁² + b θ₂²)/2, b/a times steeper across than along: θ (2,) -> (f, ∇f (2,))."""
    return float(0.5 * (a * theta[0] ** 2 + b * theta[1] ** 2)), np.array([a * theta[0], b * theta[1]])


def optimizer_path(optimizer: SGD, start: tuple[float, float] = (-4.0, 1.0), steps: int = 50,
                   loss_fn: Callable[[np.ndarray], tuple[float, np.ndarray]] = valley) -> np.ndarray:
    """The points ``optimizer`` visits from ``start`` on ``loss_fn`` (θ -> (loss, grad)): (steps + 1, 2)."""
    steps = validate.non_negative_int(steps, "steps")
    theta = {"theta": validate.float_array(start, "start", shape=(2,)).copy()}
    path = [theta["theta"].copy()]
    for _ in range(steps):
        optimizer.step(theta, {"theta": loss_fn(theta["theta"])[1]})
        path.append(theta["theta"].copy())
    return np.array(path)


# ---------------------------------------------------------------- the learning rate: stable, or chaotic?


def nudged_loss_curves(sizes: tuple[int, ...], activation: str, X: np.ndarray, y: np.ndarray,
                       lr: float | Sequence[float], *, starts: int = 3, nudge: float = 1e-12, epochs: int = 60,
                       batch_size: int = 32, seed: int = 0) -> np.ndarray:
    """Epoch losses (starts, epochs) of SGD runs from one init, run k's weights times (1 + nudge·noise_k) (run 0
    as is; NaN after a divergence): the ends agree at a stable lr and scatter where training is chaotic.

    ``lr``: one rate, or a sequence of rates -> (rates, starts, epochs); the runs go side by side on two cores
    (``parallel.starmap``), each seeded by its own arguments.
    """
    starts, epochs = validate.positive_int(starts, "starts"), validate.positive_int(epochs, "epochs")
    nudge = validate.number(nudge, "nudge", low=0.0)
    many = isinstance(lr, (list, tuple, np.ndarray))
    rates = [validate.positive_float(r, "lr") for r in (lr if many else [lr])]
    jobs = [(sizes, activation, X, y, r, k, nudge, epochs, batch_size, seed) for r in rates for k in range(starts)]
    curves = np.array(starmap(_nudged_run, jobs)).reshape(len(rates), starts, epochs)
    return curves if many else curves[0]


def _nudged_run(sizes: tuple[int, ...], activation: str, X: np.ndarray, y: np.ndarray, lr: float, k: int,
                nudge: float, epochs: int, batch_size: int, seed: int) -> np.ndarray:
    """One run of ``nudged_loss_curves``: its epoch losses (epochs,), NaN after a divergence."""
    model = mlp(sizes, activation, seed=seed)
    if k:
        noise = np.random.default_rng(k)
        for value in model.parameters().values():
            value *= 1.0 + nudge * noise.standard_normal(value.shape)
    hist = train(model, X, y, SGD(lr), epochs=epochs, batch_size=batch_size, on_nan="stop", seed=seed)
    curve = np.full(epochs, np.nan)
    curve[: len(hist.epoch_loss)] = hist.epoch_loss
    return curve
