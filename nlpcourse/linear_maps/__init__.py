"""Notebook 00: 2×2 matrices acting on a grid of points, then a neural layer f(Ax + b) on the same grid.

A grid is two arrays ``xs, ys`` of shape (rows, cols) from ``np.meshgrid``; a matrix maps every point (x, y)
to A @ (x, y). Figures: ``figures.py``; exercise checks: ``checks.py``; the widget: ``widgets.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import linprog

from .. import validate
from ..functional import sigmoid

__all__ = [
    "make_grid", "as_matrix", "linear_map", "matrix_str", "rotation", "scaling", "shear", "reflection",
    "projection", "polygon_area", "UNIT_SQUARE", "unit_square_area_after", "real_eigenvectors", "ACTIVATIONS",
    "layer", "det_label", "stripe", "map_points", "separating_line",
]

ArrayLike2x2 = np.ndarray | list[list[float]]


# ---------------------------------------------------------------- grids and maps
def make_grid(lim: float = 2.0, n: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """A square grid of n×n points covering [-lim, lim]²: (xs, ys), each (n, n)."""
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


def linear_map(A: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x', y') = A @ (x, y) for every grid point; A (2, 2), xs and ys (rows, cols) -> two (rows, cols)."""
    points = np.stack([xs.ravel(), ys.ravel()])  # (2, rows*cols): one column per point
    mapped = A @ points                           # (2, rows*cols)
    return mapped[0].reshape(xs.shape), mapped[1].reshape(xs.shape)


def matrix_str(A: np.ndarray | list, decimals: int = 2) -> str:
    """A vector or matrix as fixed-width text, the same on every numpy version: "[ 0.87 -0.50]\\n[ 0.50  0.87]"."""
    decimals = validate.non_negative_int(decimals, "decimals")
    A = np.atleast_2d(validate.float_array(A, "A"))
    if A.ndim != 2:
        raise ValueError(f"A: expected a vector or a matrix, got shape {A.shape}")
    cells = [[f"{v + 0.0:.{decimals}f}" for v in row] for row in np.round(A, decimals)]
    width = max(len(c) for row in cells for c in row)
    return "\n".join("[" + " ".join(c.rjust(width) for c in row) + "]" for row in cells)


# ---------------------------------------------------------------- the usual suspects, each (2, 2)
def rotation(degrees: float) -> np.ndarray:
    """Counter-clockwise rotation by ``degrees``: columns (cos θ, sin θ) and (−sin θ, cos θ)."""
    t = np.deg2rad(validate.number(degrees, "degrees"))
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def scaling(sx: float, sy: float) -> np.ndarray:
    """Stretch x by sx and y by sy."""
    return np.array([[validate.number(sx, "sx"), 0.0], [0.0, validate.number(sy, "sy")]])


def shear(k: float) -> np.ndarray:
    """Horizontal shear: x' = x + k·y."""
    return np.array([[1.0, validate.number(k, "k")], [0.0, 1.0]])


def reflection(axis: str = "y") -> np.ndarray:
    """Mirror across the "x" axis, the "y" axis, or the diagonal "x=y"."""
    mats = {"x": [[1.0, 0.0], [0.0, -1.0]], "y": [[-1.0, 0.0], [0.0, 1.0]], "x=y": [[0.0, 1.0], [1.0, 0.0]]}
    validate.one_of(axis, "axis", mats)
    return np.array(mats[axis])


def projection(direction: tuple[float, float] = (1.0, 0.0)) -> np.ndarray:
    """Orthogonal projection u uᵀ onto the line along ``direction`` (u its unit vector; singular: det 0)."""
    u = validate.float_array(direction, "direction")
    if u.shape != (2,) or not np.any(u):
        raise ValueError(f"direction: expected a non-zero vector of shape (2,), got {direction!r}")
    u = u / np.linalg.norm(u)
    return np.outer(u, u)


# ---------------------------------------------------------------- what a matrix does to area and directions
def polygon_area(xs: np.ndarray, ys: np.ndarray) -> float:
    """Shoelace formula: the area of the polygon with vertices (xs[i], ys[i]) in order; xs, ys (n,)."""
    return 0.5 * abs(float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))))


UNIT_SQUARE = np.array([[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0]])  # (2, 4): corners, counter-clockwise


def unit_square_area_after(A: ArrayLike2x2) -> float:
    """Area of the image of the unit square under A, measured geometrically (equals |det A|)."""
    corners = as_matrix(A) @ UNIT_SQUARE  # (2, 4)
    return polygon_area(corners[0], corners[1])


def real_eigenvectors(A: ArrayLike2x2) -> list[tuple[float, np.ndarray]]:
    """The real eigenpairs (λ, v) of A, v a unit (2,) vector, by descending λ, each direction once.

    The sign of v is fixed (first non-zero entry positive); a rotation (complex λ) has none.
    """
    values, vectors = np.linalg.eig(as_matrix(A))
    pairs = []
    for lam, v in zip(values, vectors.T, strict=True):
        if abs(lam.imag) > 1e-12:
            continue
        v = np.real(v) / np.linalg.norm(np.real(v))
        if v[np.flatnonzero(np.abs(v) > 1e-12)[0]] < 0:
            v = -v
        if any(abs(float(np.dot(v, w))) > 1 - 1e-9 for _, w in pairs):
            continue  # a repeated eigenvalue with one direction (a shear): list it once
        pairs.append((float(lam.real), v))
    return sorted(pairs, key=lambda p: -p[0])


def det_label(A: ArrayLike2x2) -> str:
    """det A formatted with 2 decimals, never "-0.00"."""
    d = round(float(np.linalg.det(as_matrix(A))), 2)
    return f"{d + 0.0:.2f}"


# ---------------------------------------------------------------- a neural layer on the grid
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),  # clamps each negative coordinate to 0: onto the axes
    "abs": np.abs,                         # a true fold: each half-plane z < 0 is mirrored onto z > 0
    "sigmoid": sigmoid,
    "tanh": np.tanh,
}


def layer(A: ArrayLike2x2, b: tuple[float, float] | np.ndarray, xs: np.ndarray, ys: np.ndarray,
          activation: str = "relu") -> tuple[np.ndarray, np.ndarray]:
    """f(A·p + b) for every grid point p: a linear map, a shift, then an element-wise nonlinearity f.

    A (2, 2), b (2,), xs and ys (rows, cols) -> (xs', ys'), each (rows, cols).
    """
    validate.one_of(activation, "activation", ACTIVATIONS)
    A, b = as_matrix(A), validate.float_array(b, "b")
    if b.shape != (2,):
        raise ValueError(f"b: expected a bias of shape (2,), got {b.shape}")
    xs, ys = validate.float_array(xs, "xs"), validate.float_array(ys, "ys")
    if xs.shape != ys.shape:
        raise ValueError(f"xs, ys: expected grids of equal shape, got xs {xs.shape} and ys {ys.shape}")
    lx, ly = linear_map(A, xs, ys)
    f = ACTIVATIONS[activation]
    return f(lx + b[0]), f(ly + b[1])


# ---------------------------------------------------------------- the payoff: a layer that makes classes separable
def stripe(n: int = 200, seed: int = 0, width: float = 0.8, gap: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved classes in [-2, 2]²: class 1 inside the diagonal stripe |x − y| < width, class 0 outside
    it beyond |x − y| > width + gap, on both sides. Returns points (n, 2) and labels (n,) in {0, 1}."""
    n, rng = validate.positive_int(n, "n"), np.random.default_rng(validate.non_negative_int(seed, "seed"))
    points = np.empty((0, 2))
    while len(points) < n:
        p = rng.uniform(-2.0, 2.0, size=(4 * n, 2))
        d = np.abs(p[:, 0] - p[:, 1])
        points = np.concatenate([points, p[(d < width) | (d > width + gap)]])
    points = points[:n]
    return points, (np.abs(points[:, 0] - points[:, 1]) < width).astype(int)


def map_points(W: ArrayLike2x2, b: np.ndarray, points: np.ndarray, activation: str) -> np.ndarray:
    """The layer f(W p + b) on a cloud of points: (n, 2) -> (n, 2)."""
    xs, ys = layer(W, b, points[:, 0], points[:, 1], activation)
    return np.stack([xs, ys], axis=1)


def separating_line(points: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float, float] | None:
    """The line w·h + c = 0 with the widest margin t: (2 labels − 1)(w·h + c) ≥ t for every point h, |w|∞ ≤ 1.

    A linear programme (scipy's ``linprog``) on features scaled to unit spread; (w, c, margin) in the
    original units' direction, or None when no line leaves a margin (the classes are not linearly separable).
    """
    h = np.asarray(points, dtype=np.float64)                  # (n, 2)
    centre, scale = h.mean(axis=0), max(float(np.abs(h - h.mean(axis=0)).max()), 1e-300)
    u = (h - centre) / scale                                  # (n, 2), every coordinate in [-1, 1]
    s = 2.0 * np.asarray(labels) - 1.0                        # (n,) ±1
    # variables (w1, w2, c, t): maximise t subject to t − s_i (w·u_i + c) ≤ 0
    A_ub = np.column_stack([-s[:, None] * u, -s, np.ones(len(s))])
    res = linprog(c=[0, 0, 0, -1], A_ub=A_ub, b_ub=np.zeros(len(s)),
                  bounds=[(-1, 1), (-1, 1), (-4, 4), (None, 1)], method="highs")
    if res.status != 0 or res.x[3] <= 1e-6:
        return None
    w, c, t = res.x[:2], res.x[2], res.x[3]
    return w / scale, float(c - w @ centre / scale), float(t)
