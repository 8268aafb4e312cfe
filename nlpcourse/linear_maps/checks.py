"""Notebook 00's exercise checks: the student's functions run on inputs they have not seen, compared with the
package's reference; each typical mistake is a wrong version of the function, so each hint is reachable."""

from __future__ import annotations

import numpy as np

from ..exercise import check_function, is_stub
from . import layer, make_grid, rotation

__all__ = ["check_rotation_matrix", "check_relu_layer", "ROTATION_MISTAKES", "LAYER_MISTAKES"]


def _rotation_from_radians(t: float) -> np.ndarray:
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def _swapped(t: float) -> np.ndarray:
    return np.array([[np.sin(t), -np.cos(t)], [np.cos(t), np.sin(t)]])


def _mirror(t: float) -> np.ndarray:
    return np.array([[np.cos(t), np.sin(t)], [np.sin(t), -np.cos(t)]])


# (wrong version, hint): each wrong version is the mistake its hint names (tests feed them to the check)
ROTATION_MISTAKES = [
    (lambda degrees: _rotation_from_radians(degrees),
     "np.cos and np.sin take radians, not degrees: convert the angle first (np.deg2rad)."),
    (lambda degrees: rotation(degrees).T,
     "that turns the plane clockwise (it is the transpose of the rotation): check the signs of the two sin "
     "entries. Turned counter-clockwise by a small angle, where does e₂ = (0, 1) go: left or right?"),
    (lambda degrees: _swapped(np.deg2rad(degrees)),
     "cos and sin are swapped: e₁ = (1, 0) must land at (cos θ, sin θ), so the diagonal holds cos θ."),
    (lambda degrees: _mirror(np.deg2rad(degrees)),
     "det = −1: that matrix mirrors the plane. A rotation keeps the orientation (det = +1): the columns are "
     "A e₁ = (cos θ, sin θ) and A e₂ = e₁ turned by another 90°."),
    (lambda degrees: rotation(degrees)[::-1],
     "your rows are in the wrong order: row i of A gives coordinate i of A p, and the first column is A e₁."),
]


def check_rotation_matrix(rotation_matrix: object) -> bool:
    """Exercise 00.1: ``rotation_matrix(degrees)`` returns the (2, 2) counter-clockwise rotation by ``degrees``.

    Run on angles the notebook never shows (acute, obtuse, negative, beyond 180°) against ``rotation``.
    """
    cases = [(a,) for a in (30.0, 17.0, 123.0, -40.0, 270.0, 200.5)]
    if not is_stub(rotation_matrix) and callable(rotation_matrix):
        student = rotation_matrix

        def rotation_matrix(degrees: float) -> object:  # a nested list [[..], [..]] is one matrix, not two outputs
            result = student(degrees)
            return np.asarray(result, dtype=np.float64) if isinstance(result, list) else result
    return check_function(rotation_matrix, "rotation_matrix", rotation, cases, ROTATION_MISTAKES,
                          success="every column lands where it should: A e₁ = (cos θ, sin θ), "
                                  "A e₂ = (−sin θ, cos θ), for every angle tried.",
                          fallback="not a rotation by θ for every angle tried: check where e₁ = (1, 0) and "
                                   "e₂ = (0, 1) must land (they are the two columns).")


def _relu_layer(A: np.ndarray, b: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return layer(A, b, xs, ys, "relu")


def _linear(A: np.ndarray, b: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return layer(A, b, xs, ys, "identity")


LAYER_MISTAKES = [
    (lambda A, b, xs, ys: _relu_layer(A.T, b, xs, ys),
     "you applied Aᵀ: coordinate i of A p is row i of A times p, x' = A[0, 0]·x + A[0, 1]·y."),
    (lambda A, b, xs, ys: _relu_layer(A, np.zeros(2), xs, ys),
     "the bias is missing: shift by b before the nonlinearity, σ(A p + b)."),
    (lambda A, b, xs, ys: tuple(v + bi for v, bi in zip(_relu_layer(A, np.zeros(2), xs, ys), b, strict=True)),
     "the bias goes inside the nonlinearity: σ(A p + b), not σ(A p) + b."),
    (lambda A, b, xs, ys: _relu_layer(A, b[::-1], xs, ys),
     "b[0] shifts the first coordinate x', b[1] the second y'."),
    (lambda A, b, xs, ys: tuple(np.minimum(v, 0.0) for v in _linear(A, b, xs, ys)),
     "ReLU keeps the positive part and sets negatives to 0: np.maximum(z, 0), not np.minimum."),
    (lambda A, b, xs, ys: _linear(A, b, xs, ys),
     "you forgot the nonlinearity: apply ReLU, max(z, 0), to each coordinate of A p + b."),
]


def check_relu_layer(relu_layer: object) -> bool:
    """Exercise 00.2: ``relu_layer(A, b, xs, ys)`` returns (xs', ys') = ReLU(A p + b) for every grid point p.

    Run on random matrices, biases and grids (square and not) against ``layer(..., "relu")``.
    """
    rng = np.random.default_rng(14)
    cases = []
    for rows, cols in ((5, 5), (3, 7), (6, 4)):
        xs, ys = np.meshgrid(np.linspace(-2.0, 2.0, cols), np.linspace(-1.5, 2.5, rows))
        cases.append((rng.normal(size=(2, 2)), rng.normal(size=2), xs, ys))
    cases.append((np.array([[1.0, 0.5], [-0.5, 1.0]]), np.array([0.5, -0.5]), *make_grid(2.0, 4)))
    return check_function(relu_layer, "relu_layer", _relu_layer, cases, LAYER_MISTAKES,
                          success="ReLU(A p + b) on every grid point, for every matrix, bias and grid tried.",
                          fallback="your layer disagrees with ReLU(A p + b) on some grid: map each point p = "
                                   "(x, y) with A, add b, then clamp each coordinate at 0; keep the grid's shape.")
