"""Notebook 04's exercise checks (gradients by hand on small graphs): right/wrong with a hint, never the answer."""

from __future__ import annotations

import numpy as np

from ..exercise import check_against

__all__ = ["check_gate_patterns", "check_fork_gradient", "check_neuron_gradients"]


def check_gate_patterns(grads_patterns: object) -> bool:
    """Notebook 04: [df/dx, df/dy, df/dz, df/dw] of f = 2·(x·y + max(z, w)) at x=3, y=-4, z=2, w=-1."""
    x, y, z, w = 3.0, -4.0, 2.0, -1.0
    expected = np.array([2 * y, 2 * x, 2.0 if z > w else 0.0, 2.0 if w > z else 0.0])
    return check_against(grads_patterns, "grads_patterns", expected, [
        (lambda a: np.allclose(a, expected / 2), "the last gate multiplies by 2: its local gradient 2 reaches "
                                                 "every input."),
        (lambda a: np.allclose(a[:2], expected[1::-1]), "the mul gate swaps: d(x·y)/dx is the *other* input."),
        (lambda a: a[2] != 0 and a[3] != 0, "max routes: the whole upstream gradient goes to the larger input, "
                                            "the other one gets 0."),
        (lambda a: np.isclose(a[2], 0) and not np.isclose(a[3], 0), "max routes to the input that won the forward "
                                                                    "pass: compare z and w."),
        (lambda a: np.allclose(a[2:], expected[2:]), "max is right; check x and y: upstream into the mul gate "
                                                     "times the other factor."),
    ], success="add distributes, mul swaps, max routes.")


def check_fork_gradient(grads_fork: object) -> bool:
    """Notebook 04: [df/dx, df/dy] of f = (x + y)·x at x=-2, y=5 (x is used twice)."""
    x, y = -2.0, 5.0
    q = x + y
    expected = np.array([q + x, x])  # df/dx = (direct, through the mul) q + (through q) x·1
    return check_against(grads_fork, "grads_fork", expected, [
        (lambda a: np.isclose(a[0], q) or np.isclose(a[0], x), "x is used twice (in q = x + y and in q·x): its "
                                                                "gradient is the SUM of both branches."),
        (lambda a: np.isclose(a[0], expected[0]), "df/dx is right; y only flows through q: upstream df/dq times "
                                                  "the add gate's local 1."),
        (lambda a: np.allclose(a, expected[::-1]), "you swapped the two: the first entry is df/dx."),
    ], success="a fork in the forward pass is a sum in the backward pass.")


def check_neuron_gradients(grads_neuron: object) -> bool:
    """Notebook 04: [df/dw0, df/dx0] of f = σ(w0·x0 + w1·x1 + b) at w0=2, x0=-1, w1=-3, x1=-2, b=-3."""
    w0, x0, w1, x1, b = 2.0, -1.0, -3.0, -2.0, -3.0
    s = 1.0 / (1.0 + np.exp(-(w0 * x0 + w1 * x1 + b)))
    ds = s * (1.0 - s)
    expected = np.array([ds * x0, ds * w0])
    return check_against(grads_neuron, "grads_neuron", expected, [
        (lambda a: np.allclose(a, [s * x0, s * w0], atol=5e-3), "the local gradient of σ is σ(z)(1 − σ(z)), "
                                                                 "not σ(z)."),
        (lambda a: np.allclose(a, [x0, w0], atol=5e-3), "you left out the sigmoid gate: multiply by its local "
                                                         "gradient σ'(z) first."),
        (lambda a: np.allclose(a, expected[::-1], atol=5e-3), "the mul gate swaps: df/dw0 uses x0, df/dx0 uses "
                                                               "w0."),
        (lambda a: np.allclose(np.abs(a), np.abs(expected), atol=5e-3), "check the signs: x0 is negative."),
    ], atol=5e-3, success="σ'(z) = σ(z)(1 − σ(z)) ≈ 0.20 at z = 1, then the mul gate swaps.")
