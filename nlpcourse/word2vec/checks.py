"""Notebook 01's exercise checks (gradients of the two losses, the noise distribution): hints, never the answer."""

from __future__ import annotations

import numpy as np

from ..corpus import unigram_noise
from ..exercise import check_against, matches
from ..functional import sigmoid, softmax
from . import EXERCISE_CENTER, EXERCISE_OUTSIDE, EXERCISE_TARGET, naive_softmax_loss_and_grad

__all__ = ["check_softmax_center_grad", "check_sgns_positive_grad", "check_noise_alpha_half"]


def check_softmax_center_grad(grad_center: object) -> bool:
    """Exercise 01.1: dL/dθ_W[i] of the naive-softmax loss on the notebook's small example.

    Args:
        grad_center: the student's gradient, shape (3,) (word2vec.EXERCISE_CENTER / _OUTSIDE / _TARGET).
    """
    c, U, o = EXERCISE_CENTER, EXERCISE_OUTSIDE, EXERCISE_TARGET
    expected = naive_softmax_loss_and_grad(c, U, o)[1]
    p = softmax(U @ c)

    wrong = [
        (matches(-expected), "the sign is flipped: the gradient of the loss is θ_Cᵀ(p − y), not θ_Cᵀ(y − p)."),
        (matches(U.T @ p), "you forgot the −y: the observed word's row θ_C[o] must be subtracted (p − y)."),
        (matches(-U[o]), "that is only the gradient of −z_o: the log Σ exp term adds Σ_v p_v θ_C[v]."),
        (matches(U @ c), "that is the score vector z = θ_C θ_W[i] (one entry per word), not a gradient w.r.t. θ_W[i]."),
        (matches(p - np.eye(len(p))[o]), "p − y is dL/dz (one entry per word); multiply by θ_Cᵀ to get a d-vector."),
    ]
    return check_against(grad_center, "grad_center", expected, wrong,
                         success="θ_Cᵀ(p − y): the expected context vector minus the observed one.")


def check_noise_alpha_half(p_noise: object) -> bool:
    """Exercise 01.3: the noise distribution for frequencies (0.9, 0.09, 0.01) with α = 0.5, normalised."""
    f = np.array([0.9, 0.09, 0.01])
    expected = unigram_noise(f, 0.5)

    wrong = [
        (matches(f**0.5, atol=1e-4), "these are f^α, not yet a distribution: divide by their sum."),
        (matches(unigram_noise(f, 0.75), atol=1e-4),
         "that is α = 0.75 (the lecture's numbers); this exercise asks for α = 0.5."),
        (matches(f, atol=1e-4), "that is the unigram distribution itself (α = 1)."),
        (matches(np.full(3, 1 / 3), atol=1e-4), "that is α = 0 (uniform)."),
        (lambda a: not np.isclose(a.sum(), 1.0, atol=1e-4), "a probability distribution sums to 1."),
    ]
    return check_against(p_noise, "p_noise", expected, wrong, atol=1e-4,
                         success="√f, normalised: the rare word's share grows from 1% to about 7%.")


def check_sgns_positive_grad(grad_positive: object) -> bool:
    """Exercise 01.2: dL/dθ_C[o] of the SGNS loss on the notebook's small example (shape (3,))."""
    c, U, o = EXERCISE_CENTER, EXERCISE_OUTSIDE, EXERCISE_TARGET
    s = float(sigmoid(U[o] @ c))
    expected = (s - 1.0) * c

    wrong = [
        (matches(-expected), "the sign is flipped: d/dx[−log σ(x)] = σ(x) − 1, which is negative."),
        (matches(s * c), "that is the negatives' formula σ(x)·c; for the positive it is (σ(x) − 1)·c."),
        (matches((s - 1.0) * U[o]), "the gradient w.r.t. θ_C[o] is along the center vector c = θ_W[i], not θ_C[o]."),
        (matches(-np.log(s) * c), "differentiate: d/dx[−log σ(x)] = −(1 − σ(x)) = σ(x) − 1."),
    ]
    return check_against(grad_positive, "grad_positive", expected, wrong,
                         success="(σ(θ_C[o]·c) − 1)·c: it pulls the positive's context vector towards c.")
