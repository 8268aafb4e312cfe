"""Notebook 00's exercise checks: each prints right/wrong with a hint, never the answer."""

from __future__ import annotations

import numpy as np

from ..exercise import as_array, check_against, matches, reject, report
from . import rotation

__all__ = ["check_rotation_30", "check_collapse"]


def check_rotation_30(R: object) -> bool:
    """Exercise 00.1: the 2×2 matrix that rotates the plane by 30° counter-clockwise.

    Args:
        R: the student's matrix, shape (2, 2).
    """
    t = 30.0
    wrong = [
        (matches(rotation(-t)), "that turns the plane clockwise: check the signs of the two sin entries."),
        (matches(rotation(t).T), "that turns the plane clockwise: check the signs of the two sin entries."),
        (matches(rotation(60.0)), "cos and sin are swapped: the diagonal holds cos θ."),
        (matches(np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])),
         "np.cos and np.sin take radians, not degrees: convert 30° first (np.deg2rad)."),
        (lambda a: not np.isclose(abs(np.linalg.det(a)), 1.0, atol=1e-6),
         "a rotation keeps areas: its determinant must be 1. Are both columns unit vectors?"),
        (lambda a: not np.allclose(a @ np.array([1.0, 0.0]), rotation(t)[:, 0], atol=1e-6),
         "look where e₁ = (1, 0) lands: the first column is A e₁, which should be (cos 30°, sin 30°)."),
    ]
    return check_against(R, "R", rotation(t), wrong, success="R e₁ = (cos 30°, sin 30°) and det R = 1.")


def check_collapse(A: object, det_A: object) -> bool:
    """Exercise 00.2: a matrix that collapses the grid onto a line, and its determinant.

    Args:
        A: the student's matrix, shape (2, 2); det_A: its determinant (a number).
    """
    arr = as_array(A, "A", (2, 2))
    if isinstance(arr, str):
        return reject(arr)
    rank = int(np.linalg.matrix_rank(arr, tol=1e-9))
    if rank == 2:
        return report(False, "this matrix keeps the plane 2-D (its columns point in different directions): "
                             "make one column a multiple of the other.")
    if rank == 0:
        return report(False, "the zero matrix collapses everything onto a single point, not onto a line.")
    d = as_array(det_A, "det_A", ())
    if isinstance(d, str):
        return reject(d)
    if not np.isclose(float(d), 0.0, atol=1e-9):
        return report(False, "A is right, but not its determinant: what area does a line have?")
    return report(True, "rank 1: the whole plane lands on one line, and a line has area 0, so det A = 0.")
