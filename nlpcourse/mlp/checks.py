"""Notebook 05's exercise checks, each on inputs the student has not seen, with a hint per typical mistake
(``*_MISTAKES``: the wrong version itself, so every hint is tested to fire), never the answer:
1. ``check_softmax_ce_backward``: softmax cross-entropy's backward (scores of ±1000 included);
2. ``check_linear_backward``: a Linear layer's (dX, dW, db);
3. ``check_torch_lr``: the torch lr that follows the lecture's momentum.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from .. import validate
from ..exercise import Verdict, check_function
from ..functional import softmax

__all__ = ["check_softmax_ce_backward", "check_linear_backward", "check_torch_lr"]


# ---------------------------------------------------------------- exercise 1: softmax cross-entropy's backward


def _torch_softmax_ce_backward(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The reference: ∂/∂scores of torch's mean cross-entropy, by autograd. scores (N, k), y (N,) -> (N, k)."""
    import torch
    import torch.nn.functional as F

    s = torch.tensor(np.asarray(scores, dtype=np.float64), requires_grad=True)
    F.cross_entropy(s, torch.as_tensor(np.asarray(y, dtype=np.int64))).backward()
    return s.grad.numpy()


def softmax_ce_cases(seed: int = 105) -> list[tuple[np.ndarray, np.ndarray]]:
    """Unseen inputs for exercise 1: (scores (N, k), labels (N,)) with N != k, one case with scores of ±1000
    (the true class the largest there, so every typical mistake stays finite and its hint reachable)."""
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
    cases = [(3 * rng.standard_normal((n, k)), rng.integers(0, k, n)) for n, k in [(5, 3), (2, 4), (7, 6)]]
    big = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 998.0], [5.0, -1000.0, 1000.0], [0.0, 0.5, -1000.0]])
    cases.append((big, np.array([0, 1, 2, 1])))
    return cases


def _p_minus_y(scores: np.ndarray, y: np.ndarray, axis: int = 1) -> np.ndarray:
    return softmax(scores, axis=axis) - np.eye(scores.shape[1])[y]


SOFTMAX_CE_MISTAKES = [
    (lambda s, y: _p_minus_y(s, y), "forgotten 1/N: L is the MEAN over the N examples, so every row of "
                                    "∂L/∂scores carries a factor 1/N."),
    (lambda s, y: -_p_minus_y(s, y) / len(s), "wrong sign: raising the true class's score must lower the loss, "
                                              "so its entry of ∂L/∂scores is negative."),
    (lambda s, y: _p_minus_y(s, y) / s.shape[1], "divided by the wrong number: N is the number of examples "
                                                 "(rows), not of classes."),
    (lambda s, y: _p_minus_y(s, y, axis=0) / len(s), "the softmax normalises each example's scores over the "
                                                     "classes (along each row, axis=1), not each column."),
    (lambda s, y: softmax(s, axis=1) / len(s), "almost: that is the softmax's output; subtract the one-hot "
                                               "vector of each example's true class."),
    (lambda s, y: np.ones_like(s), "∂L/∂L = 1 is only the base case at the top of the graph; one gate down, "
                                   "the softmax + cross-entropy has its own local gradient."),
    (lambda s, y: np.ones_like(s) / len(s), "∂L/∂L = 1 is only the base case at the top of the graph; one gate "
                                            "down, the softmax + cross-entropy has its own local gradient."),
]


def check_softmax_ce_backward(softmax_ce_backward: object) -> Verdict:
    """Exercise 05.1: ``softmax_ce_backward(scores (N, k), y (N,)) -> ∂L/∂scores (N, k)`` for
    L = (1/N) Σₙ −log softmax(scoresₙ)[yₙ], compared with torch autograd on unseen inputs."""
    return check_function(softmax_ce_backward, "softmax_ce_backward", _torch_softmax_ce_backward,
                          softmax_ce_cases(), SOFTMAX_CE_MISTAKES, atol=1e-9, rtol=1e-7,
                          success="∂L/∂scores = (P − Y)/N, equal to torch autograd on every test input "
                                  "(scores of ±1000 included).")


# ---------------------------------------------------------------- exercise 2: a Linear layer's backward


def _torch_linear_backward(X: np.ndarray, W: np.ndarray, dZ: np.ndarray) -> tuple[np.ndarray, ...]:
    """The reference: Z = X Wᵀ + b in torch, ``Z.backward(dZ)``: (∂L/∂X (N, d_in), ∂L/∂W (d_out, d_in), ∂L/∂b)."""
    import torch

    Xt = torch.tensor(np.asarray(X, dtype=np.float64), requires_grad=True)
    Wt = torch.tensor(np.asarray(W, dtype=np.float64), requires_grad=True)
    bt = torch.zeros(Wt.shape[0], dtype=torch.float64, requires_grad=True)
    (Xt @ Wt.T + bt).backward(torch.as_tensor(np.asarray(dZ, dtype=np.float64)))
    return Xt.grad.numpy(), Wt.grad.numpy(), bt.grad.numpy()


def linear_cases(square: bool = True, seed: int = 205) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Unseen (X (N, d_in), W (d_out, d_in), dZ (N, d_out)) for exercise 2. ``square``: N = d_in = d_out, so
    that a missing transpose or a sum over the wrong axis still has the right shape and gets its own hint;
    otherwise three different sizes (where such a mistake is a shape error)."""
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
    sizes = [(3, 3, 3), (4, 4, 4), (5, 5, 5)] if square else [(6, 3, 5), (2, 4, 3), (1, 2, 7)]
    return [(rng.standard_normal((n, i)), rng.standard_normal((o, i)), rng.standard_normal((n, o)))
            for n, i, o in sizes]


LINEAR_MISTAKES = [
    (lambda X, W, dZ: (dZ @ W, X.T @ dZ, dZ.sum(axis=0)),
     "dW: missing transpose — ∂L/∂W must have W's shape (d_out, d_in); which product of X and dZ gives that?"),
    (lambda X, W, dZ: (dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)),
     "dX: Z = X Wᵀ, so ∂L/∂X = dZ times W itself, not Wᵀ (check the shapes: dX has X's shape)."),
    (lambda X, W, dZ: (dZ @ W, dZ.T @ X, dZ.sum(axis=1)),
     "db: summed over the wrong axis — b is added to every example's row, so sum dZ over the examples (axis 0)."),
    (lambda X, W, dZ: (dZ @ W, dZ.T @ X, dZ.mean(axis=0)),
     "db: a sum, not a mean — the loss's 1/N is already inside dZ; dividing again counts it twice."),
    (lambda X, W, dZ: (dZ @ W / len(X), dZ.T @ X / len(X), dZ.sum(axis=0) / len(X)),
     "no 1/N here: the loss's 1/N is already inside dZ (upstream × local, nothing more)."),
    (lambda X, W, dZ: (-(dZ @ W), -(dZ.T @ X), -dZ.sum(axis=0)),
     "wrong sign: a gradient is not an update step; the minus belongs to the optimiser (θ ← θ − γ g)."),
]


def check_linear_backward(linear_backward: object) -> Verdict:
    """Exercise 05.2: ``linear_backward(X (N, d_in), W (d_out, d_in), dZ (N, d_out)) -> (dX, dW, db)`` for
    Z = X Wᵀ + b, compared with torch autograd: first on square inputs (where each typical mistake has the
    right shape, so its hint fires), then on rectangular ones."""
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        ok = check_function(linear_backward, "linear_backward", _torch_linear_backward, linear_cases(True),
                            LINEAR_MISTAKES, output_names=("dX", "dW", "db"), atol=1e-10, rtol=1e-9)
    if not ok:
        print(quiet.getvalue(), end="")
        return ok
    return check_function(linear_backward, "linear_backward", _torch_linear_backward, linear_cases(False),
                          LINEAR_MISTAKES, output_names=("dX", "dW", "db"), atol=1e-10, rtol=1e-9,
                          success="dX = dZ W, dW = dZᵀ X, db = Σₙ dZₙ — equal to torch autograd on every test input.")


# ---------------------------------------------------------------- exercise 3: the lecture's momentum in torch


def _torch_lr(gamma: float, alpha: float) -> float:
    """The reference: the lr for which torch's SGD(momentum=α, dampening=0) follows Momentum(γ, α)."""
    return gamma * (1 - alpha)


def torch_lr_cases(seed: int = 305) -> list[tuple[float, float]]:
    """Unseen (γ, α) pairs for exercise 3 (none with α = 0.5, where γα = γ(1 − α))."""
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
    return [(float(g), float(a)) for g, a in zip(rng.uniform(0.01, 1.0, 4), (0.9, 0.8, 0.99, 0.3), strict=True)]


TORCH_LR_MISTAKES = [
    (lambda g, a: g, "with the same lr torch's steps are 1/(1 − α) times larger: its buffer sums the gradients "
                     "instead of averaging them."),
    (lambda g, a: g / (1 - a), "the wrong way round: torch's buffer is the larger one, so its lr must be smaller."),
    (lambda g, a: g * a, "compare buf = α·buf + g with Δ = αΔ + (1 − α)g: the factor is (1 − α), not α."),
    (lambda g, a: 1 - a, "the learning rate γ itself is missing: torch's step is lr·buf, ours γΔ."),
]


def check_torch_lr(torch_lr: object) -> Verdict:
    """Exercise 05.3: ``torch_lr(gamma, alpha)``, the lr for which torch's SGD(momentum=alpha, dampening=0)
    follows the lecture's Momentum(gamma, alpha) step for step, checked on unseen (γ, α)."""
    return check_function(torch_lr, "torch_lr", _torch_lr, torch_lr_cases(), TORCH_LR_MISTAKES,
                          atol=1e-12, rtol=1e-9,
                          success="torch's buffer is Δ/(1 − α) at every step, so the paths coincide.")
