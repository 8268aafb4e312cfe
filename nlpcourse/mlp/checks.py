"""Notebook 05's exercise checks (dSoft, a ReLU's backward, torch's momentum lr): hints, never the answer."""

from __future__ import annotations

import numpy as np

from ..exercise import check_against, matches
from ..functional import softmax
from . import EXERCISE_ALPHA, EXERCISE_LABEL, EXERCISE_LR, EXERCISE_SCORES, EXERCISE_UPSTREAM, EXERCISE_Z

__all__ = ["check_dsoft", "check_relu_backward", "check_torch_lr"]


def check_dsoft(d_scores: object) -> bool:
    """Exercise 05.1: ∂L/∂scores for L = −log softmax(s)[y], s = mlp.EXERCISE_SCORES, y = mlp.EXERCISE_LABEL."""
    s = EXERCISE_SCORES
    p = softmax(s)
    onehot = np.eye(len(s))[EXERCISE_LABEL]

    wrong = [
        (matches(np.ones(len(s)), atol=1e-3), "∂L/∂L = 1 is only the base case at the top of the graph; one gate down, "
                                 "the softmax + cross-entropy has its own local gradient."),
        (matches(onehot - p, atol=1e-3), "the sign is flipped: raising the true class's score lowers the loss."),
        (matches(p, atol=1e-3), "almost: that is the softmax's output; subtract the one-hot vector of the true class."),
        (matches(-onehot / p[EXERCISE_LABEL], atol=1e-3),
         "that is ∂L/∂p (through the log only); go through the softmax too."),
        (lambda a: not np.isclose(a.sum(), 0.0, atol=1e-3), "the entries of p − y sum to 0: check your softmax."),
    ]
    return check_against(d_scores, "d_scores", p - onehot, wrong, atol=1e-3,
                         success="dSoft = p − y: small when the model is right, never just 1.")


def check_relu_backward(d_z: object) -> bool:
    """Exercise 05.2: ∂L/∂z through a ReLU for z = mlp.EXERCISE_Z and upstream ∂L/∂h = mlp.EXERCISE_UPSTREAM."""
    z, up = EXERCISE_Z, EXERCISE_UPSTREAM
    mask = (z > 0).astype(float)

    wrong = [
        (matches(up), "the upstream gradient must be multiplied by the local gradient ReLU'(z) (0 or 1)."),
        (matches(mask), "that is the local gradient alone; multiply it by the upstream gradient."),
        (matches(up * z), "the local gradient of max(0, z) is 0 or 1, not z."),
        (matches(up * (1 - mask)), "the mask is the wrong way round: gradient flows where z > 0."),
    ]
    return check_against(d_z, "d_z", up * mask, wrong,
                         success="upstream × local: the ReLU routes the gradient where z > 0 and kills it elsewhere.")


def check_torch_lr(lr_torch: object) -> bool:
    """Exercise 05.3: torch SGD's lr (momentum α, dampening 0) reproducing the lecture's γ = 0.1, α = 0.9."""
    g, a = EXERCISE_LR, EXERCISE_ALPHA
    wrong = [
        (lambda x: np.isclose(x, g), "with the same lr torch's steps are 1/(1 − α) = 10 times larger: its buffer "
                                     "sums the gradients instead of averaging them."),
        (lambda x: np.isclose(x, g / (1 - a)), "the wrong way round: torch's buffer is the larger one, so its lr "
                                               "must be smaller."),
        (lambda x: np.isclose(x, g * a), "compare buf = αbuf + g with Δ = αΔ + (1 − α)g: the factor is (1 − α)."),
    ]
    return check_against(lr_torch, "lr_torch", g * (1 - a), wrong, atol=1e-9,
                         success="lr = γ(1 − α): buf = Δ/(1 − α) at every step, so the paths coincide.")
