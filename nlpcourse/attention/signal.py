"""Notebook 06, section 9: the training signal — cross-entropy as −log p of the true token, entropy, and KL.

CE(p, q) = H(p) + KL(p‖q), shown numerically in the notebook; ``token_cross_entropy`` is the stable form a
transformer is trained with (``F.cross_entropy``), finite for logits of any size.
"""

from __future__ import annotations

import numpy as np

from ..functional import log_softmax
from ..validate import float_array, ids_in_range

__all__ = ["entropy", "cross_entropy", "kl_divergence", "token_cross_entropy"]

# ---------------------------------------------------------------- 9. the training signal


def _distribution(p: object, name: str) -> np.ndarray:
    p = float_array(p, name)
    if p.ndim < 1 or np.any(p < 0) or not np.allclose(p.sum(axis=-1), 1.0, atol=1e-9):
        raise ValueError(f"{name}: expected probabilities (≥ 0, summing to 1 along the last axis), "
                         f"got {np.array2string(p, precision=3, threshold=8)}")
    return p


def entropy(p: np.ndarray) -> np.ndarray:
    """H(p) = −Σ p log p in nats (0 log 0 = 0); p (..., V) -> (...)."""
    p = _distribution(p, "p")
    return -np.sum(p * np.log(np.where(p > 0, p, 1.0)), axis=-1)


def cross_entropy(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """H(p, q) = −Σ p log q in nats; with p one-hot it is −log q(true token). (..., V) -> (...).

    inf when q puts 0 where p does not.
    """
    p, q = _distribution(p, "p"), _distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p, q: expected the same shape, got p {p.shape} and q {q.shape}")
    with np.errstate(divide="ignore"):
        return -np.sum(np.where(p > 0, p * np.log(q), 0.0), axis=-1)


def kl_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(p‖q) = Σ p log(p/q) = H(p, q) − H(p) ≥ 0 in nats, not symmetric; (..., V) -> (...)."""
    return cross_entropy(p, q) - entropy(p)


def token_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean −log softmax(logits)[target] (``F.cross_entropy``), stable for any logits (..., V); targets (...)."""
    logits = float_array(logits, "logits")
    if logits.ndim < 1:
        raise ValueError(f"logits: expected shape (..., V), got {logits.shape}")
    targets = ids_in_range(targets, "targets", logits.shape[-1], what="token ids", ndim=None)
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets: expected shape {logits.shape[:-1]} (logits without the last axis), "
                         f"got {targets.shape}")
    logp = log_softmax(logits)
    return float(-np.take_along_axis(logp, targets[..., None], axis=-1).mean())
