"""The course's elementwise and row-wise functions, written once and numerically stable.

Each works for scores of any size (±1000 and beyond): no ``exp`` of a large positive number, no
``log(1 − σ(x))``. numpy in, numpy (float64) out; ``axis`` defaults to the last one.
"""

from __future__ import annotations

import numpy as np

from . import validate

__all__ = ["sigmoid", "log_sigmoid", "logsumexp", "softmax", "log_softmax"]


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    """σ(x) = 1 / (1 + e^−x), elementwise, any shape -> same shape; computed as exp(−log(1 + e^−x))."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -x))


def log_sigmoid(x: np.ndarray | float) -> np.ndarray:
    """log σ(x) = −log(1 + e^−x), elementwise, any shape -> same shape; finite for every finite x.

    Note log(1 − σ(x)) = log σ(−x): use ``log_sigmoid(-x)``, never ``np.log(1 - sigmoid(x))``.
    """
    x = np.asarray(x, dtype=np.float64)
    return -np.logaddexp(0.0, -x)


def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log Σ exp(z) along ``axis`` as max + log Σ exp(z − max): (..., V) -> (...) (or (..., 1) with keepdims).

    A slice that is all −inf gives −inf (not NaN).
    """
    z = np.asarray(z, dtype=np.float64)
    axis = validate.integer(axis, "axis")
    zmax = np.max(z, axis=axis, keepdims=True)
    zmax = np.where(np.isfinite(zmax), zmax, 0.0)
    with np.errstate(divide="ignore"):
        out = zmax + np.log(np.sum(np.exp(z - zmax), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z) along ``axis``: (z − max) − log Σ exp(z − max), any shape -> same shape.

    (Subtracting the max first, then the log of the sum, is the rounding the MLP and the language model of
    notebook 05 have always used; their stored outputs depend on it.)
    """
    z = np.asarray(z, dtype=np.float64)
    axis = validate.integer(axis, "axis")
    zmax = z.max(axis=axis, keepdims=True)
    if np.isfinite(zmax).all():  # every slice has a finite max, so each sum is >= 1 (a trainer's every step)
        shifted = z - zmax
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    shifted = z - np.where(np.isfinite(zmax), zmax, 0.0)
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z) along ``axis`` (sums to 1 there), any shape -> same shape, as exp(log_softmax(z))."""
    return np.exp(log_softmax(z, axis=axis))
