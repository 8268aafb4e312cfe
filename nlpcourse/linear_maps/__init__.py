"""Notebook 00: 2×2 matrices acting on a grid of points, then a neural layer σ(Ax + b) on the same grid.

Layer 1 (numpy) is all this topic needs: a grid is two arrays ``xs, ys`` of shape (rows, cols) from
``np.meshgrid``; a matrix maps every point (x, y) to A @ (x, y). The figures are in ``figures.py``, the
exercise checks in ``checks.py``, the widget in ``widgets.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import validate
from ..functional import sigmoid

__all__ = [
    "make_grid", "as_matrix", "linear_map", "matrix_str", "rotation", "scaling", "shear", "reflection",
    "projection", "polygon_area", "UNIT_SQUARE", "unit_square_area_after", "real_eigenvectors", "ACTIVATIONS",
    "layer", "det_label",
]

ArrayLike2x2 = np.ndarray | list[list[float]]


# ---------------------------------------------------------------- grids and maps
def make_grid(lim: float = 2.0, n: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """A square grid of n×n points covering [-lim, lim]².

    Returns:
        (xs, ys), each of shape (n, n).
    """
    if validate.integer(n, "n") < 2:
        raise ValueError(f"n: expected at least 2 points per side, got {n}")
    lim = validate.number(lim, "lim", low=0.0, low_open=True, what="a half-width")
    return np.meshgrid(np.linspace(-lim, lim, n), np.linspace(-lim, lim, n))


def as_matrix(A: ArrayLike2x2, name: str = "A") -> np.ndarray:
    """``A`` as a float (2, 2) array, or a ValueError naming the received shape."""
    A = validate.float_array(A, name)
    if A.shape != (2, 2):
        raise ValueError(f"{name}: expected a 2×2 matrix, got shape {A.shape}")
    return A


def linear_map(A: ArrayLike2x2, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply the 2×2 matrix A to every grid point: (x', y') = A @ (x, y).

    Args:
        A: shape (2, 2).
        xs, ys: shape (rows, cols) each (the same shape).
    Returns:
        (xs', ys'), shape (rows, cols) each.
    """
    A = as_matrix(A)
    xs, ys = validate.float_array(xs, "xs"), validate.float_array(ys, "ys")
    if xs.shape != ys.shape:
        raise ValueError(f"xs, ys: expected grids of equal shape, got xs {xs.shape} and ys {ys.shape}")
    points = np.stack([xs.ravel(), ys.ravel()])  # (2, rows*cols): one column per point
    mapped = A @ points
    return mapped[0].reshape(xs.shape), mapped[1].reshape(xs.shape)


def matrix_str(A: np.ndarray | list, decimals: int = 2) -> str:
    """A matrix or vector as fixed-width text, the same on every numpy version (for printed outputs).

    Args:
        A: shape (n,) or (m, n).
    Returns:
        e.g. "[ 0.87 -0.50]\n[ 0.50  0.87]".
    """
    decimals = validate.non_negative_int(decimals, "decimals")
    A = np.atleast_2d(validate.float_array(A, "A"))
    if A.ndim != 2:
        raise ValueError(f"A: expected a vector or a matrix, got shape {A.shape}")
    cells = [[f"{v + 0.0:.{decimals}f}" for v in row] for row in np.round(A, decimals)]
    width = max(len(c) for row in cells for c in row)
    return "\n".join("[" + " ".join(c.rjust(width) for c in row) + "]" for row in cells)


# ---------------------------------------------------------------- the usual suspects
def rotation(degrees: float) -> np.ndarray:
    """Counter-clockwise rotation by ``degrees``. Returns shape (2, 2)."""
    t = np.deg2rad(validate.number(degrees, "degrees"))
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def scaling(sx: float, sy: float) -> np.ndarray:
    """Stretch x by sx and y by sy. Returns shape (2, 2)."""
    sx, sy = validate.number(sx, "sx"), validate.number(sy, "sy")
    return np.array([[sx, 0.0], [0.0, sy]])


def shear(k: float) -> np.ndarray:
    """Horizontal shear: x' = x + k·y. Returns shape (2, 2)."""
    k = validate.number(k, "k")
    return np.array([[1.0, k], [0.0, 1.0]])


def reflection(axis: str = "y") -> np.ndarray:
    """Mirror across the "x" axis, the "y" axis, or the diagonal "x=y". Returns shape (2, 2)."""
    mats = {"x": [[1.0, 0.0], [0.0, -1.0]], "y": [[-1.0, 0.0], [0.0, 1.0]], "x=y": [[0.0, 1.0], [1.0, 0.0]]}
    validate.one_of(axis, "axis", mats)
    return np.array(mats[axis])


def projection(direction: tuple[float, float] = (1.0, 0.0)) -> np.ndarray:
    """Orthogonal projection onto the line through the origin along ``direction`` (singular: det 0).

    Returns:
        P = u uᵀ with u the unit direction, shape (2, 2).
    """
    u = validate.float_array(direction, "direction")
    if u.shape != (2,) or not np.any(u):
        raise ValueError(f"direction: expected a non-zero vector of shape (2,), got {direction!r}")
    u = u / np.linalg.norm(u)
    return np.outer(u, u)


# ---------------------------------------------------------------- what a matrix does to area and directions
def polygon_area(xs: np.ndarray, ys: np.ndarray) -> float:
    """Area of a simple polygon with vertices (xs[i], ys[i]) in order (shoelace formula).

    Args:
        xs, ys: shape (n,) each, n ≥ 3.
    """
    xs, ys = validate.float_array(xs, "xs"), validate.float_array(ys, "ys")
    if xs.shape != ys.shape or xs.ndim != 1 or len(xs) < 3:
        raise ValueError(f"xs, ys: expected two (n,) arrays with n ≥ 3, got {xs.shape} and {ys.shape}")
    return 0.5 * abs(float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))))


UNIT_SQUARE = np.array([[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0]])  # (2, 4): corners, counter-clockwise


def unit_square_area_after(A: ArrayLike2x2) -> float:
    """Area of the image of the unit square under A, measured geometrically (equals |det A|)."""
    corners = as_matrix(A) @ UNIT_SQUARE
    return polygon_area(corners[0], corners[1])


def real_eigenvectors(A: ArrayLike2x2) -> list[tuple[float, np.ndarray]]:
    """The real eigenpairs of A: directions that A only stretches (by λ), never turns.

    Returns:
        a list of (λ, v) with v a unit vector of shape (2,), sorted by descending λ, sign fixed so that
        the first non-zero entry is positive, each direction once; empty for a rotation (complex λ).
    """
    values, vectors = np.linalg.eig(as_matrix(A))
    pairs = []
    for lam, v in zip(values, vectors.T, strict=True):
        if abs(lam.imag) > 1e-12:
            continue
        v = np.real(v)
        v = v / np.linalg.norm(v)
        if v[np.flatnonzero(np.abs(v) > 1e-12)[0]] < 0:
            v = -v
        if any(abs(float(np.dot(v, w))) > 1 - 1e-9 for _, w in pairs):
            continue  # a repeated eigenvalue with one direction (a shear): list it once
        pairs.append((float(lam.real), v))
    return sorted(pairs, key=lambda p: -p[0])


# ---------------------------------------------------------------- a neural layer on the grid
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),  # clamps each negative coordinate to 0: onto the axes
    "abs": np.abs,  # a true fold: each half-plane z < 0 is mirrored onto z > 0
    "sigmoid": sigmoid,
    "tanh": np.tanh,
}


def layer(A: ArrayLike2x2, b: tuple[float, float] | np.ndarray, xs: np.ndarray, ys: np.ndarray,
          activation: str = "relu") -> tuple[np.ndarray, np.ndarray]:
    """σ(A·p + b) for every grid point p: a linear map, a shift, then an element-wise nonlinearity.

    Args:
        A: shape (2, 2); b: shape (2,); xs, ys: shape (rows, cols).
        activation: one of ``ACTIVATIONS`` ("identity", "relu", "abs", "sigmoid", "tanh").
    Returns:
        (xs', ys'), shape (rows, cols) each.
    """
    if activation not in ACTIVATIONS:
        raise KeyError(f"activation: expected one of {list(ACTIVATIONS)}, got {activation!r}")
    b = validate.float_array(b, "b")
    if b.shape != (2,):
        raise ValueError(f"b: expected a bias of shape (2,), got {b.shape}")
    lx, ly = linear_map(A, xs, ys)
    f = ACTIVATIONS[activation]
    return f(lx + b[0]), f(ly + b[1])


def det_label(A: ArrayLike2x2) -> str:
    """det A formatted with 2 decimals, never "-0.00"."""
    d = round(float(np.linalg.det(as_matrix(A))), 2)
    return f"{d + 0.0:.2f}"
