"""Notebook 00's exercise checks. The warm-up runs the student's rotation on angles they have not seen; the
layer exercise maps fresh samples of the two classes with the student's W, b and f and asks whether a line
separates them (``separating_line``) — many layers do, so the check tests the property, not one answer."""

from __future__ import annotations

import numpy as np

from ..exercise import MISSING, as_array, check_function, is_stub, reject, report
from . import ACTIVATIONS, map_points, rotation, separating_line, stripe

__all__ = ["check_rotation_matrix", "check_separating_layer"]


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
    """Warm-up: ``rotation_matrix(degrees)`` is the (2, 2) counter-clockwise rotation, on unseen angles."""
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


SEPARATION_SAMPLES = (101, 202, 303)  # fresh draws of the stripe, never shown in the notebook
MIN_MARGIN = 1e-3                     # on features scaled to unit spread: a line with room to spare

SEPARATION_HINTS = {
    "identity": "a linear map and a shift keep straight lines straight: the outside class sits on both sides of "
                "the stripe before the map and still does after it. The layer needs a nonlinearity.",
    "sigmoid": "sigmoid squashes each coordinate but keeps its order (it is increasing), so the outside class "
               "still lies on both sides of the stripe. Which nonlinearity sends z and −z to the same place?",
    "tanh": "tanh squashes each coordinate but keeps its order (it is increasing), so the outside class still "
            "lies on both sides of the stripe. Which nonlinearity sends z and −z to the same place?",
    "shift": "your fold is across the stripe, but not on its centre line: check the shift b — where must a "
             "coordinate of W p + b be zero?",
    "one relu": "a single ReLU clamps one side only: it keeps the stripe's one side and flattens the other onto "
                "the stripe itself. Use the second unit for the other side (recall |z| = ReLU(z) + ReLU(−z)).",
    "fold": "the nonlinearity can fold, but your fold is not across the stripe: make one coordinate of W p "
            "measure how far a point is from the stripe's centre line (which direction crosses the stripe?), "
            "and let b put the fold on that line.",
}


def check_separating_layer(separating_layer: object) -> bool:
    """Exercise: ``separating_layer = (W, b, f)`` — W (2, 2), b (2,), f a name in ``ACTIVATIONS`` — such that
    after p ↦ f(W p + b) a straight line separates the stripe's two classes, on fresh samples of them."""
    if is_stub(separating_layer) or (isinstance(separating_layer, tuple) and any(
            is_stub(part) for part in separating_layer)):
        return reject(f"{MISSING}: set `separating_layer = (W, b, nonlinearity)` and run the cell again.")
    if not isinstance(separating_layer, tuple | list) or len(separating_layer) != 3:
        return report(False, "`separating_layer` should be a tuple (W, b, nonlinearity): a 2×2 matrix, a bias of "
                             f"two numbers and a name; got {type(separating_layer).__name__}.")
    W, b, activation = separating_layer
    W, b = as_array(W, "W", (2, 2)), as_array(b, "b", (2,))
    for part in (W, b):
        if isinstance(part, str):
            return reject(part)
    if type(activation) is not str or activation not in ACTIVATIONS:
        return report(False, f"the nonlinearity should be one of {', '.join(map(repr, ACTIVATIONS))}; "
                             f"got {activation!r}.")
    separated = [separating_line(map_points(W, b, points, activation), labels) for points, labels in
                 (stripe(400, seed) for seed in SEPARATION_SAMPLES)]
    margins = [0.0 if line is None else line[2] for line in separated]
    if min(margins) > MIN_MARGIN:
        return report(True, "a straight line separates the two classes after your layer, on every fresh sample "
                            "of the stripe: the nonlinearity folded the plane so that the stripe's two sides "
                            "land together.")
    if activation in SEPARATION_HINTS:
        return report(False, SEPARATION_HINTS[activation])
    return report(False, SEPARATION_HINTS[_fold_mistake(W, activation)])


def _fold_mistake(W: np.ndarray, activation: str) -> str:
    """Which hint a folding layer (abs or relu) that does not separate gets: a row of W across the stripe
    measures x − y (it is orthogonal to the stripe's direction (1, 1))."""
    across = [float(r @ (1.0, -1.0)) for r in W if np.linalg.norm(r) > 1e-9 and abs(r @ (1.0, 1.0)) < 1e-9 * (
        1 + np.linalg.norm(r))]
    if activation == "relu" and across and (len(across) == 1 or across[0] * across[1] > 0):
        return "one relu"
    return "shift" if across else "fold"
