"""Exercise checks: each says right or wrong with a hint, and never reveals the answer.

The convention (see CONTRIBUTING.md): a code cell tagged ``exercise`` holds the student's stub, the
instructor's answer sits in the next cell tagged ``solution`` (stripped from the student build), and a
``check_<name>(answer)`` cell follows. A check prints one line and returns ``True``/``False``; later
cells never depend on the student's answer, so an unanswered notebook still runs top to bottom.

Each topic adds its checks below in its own section; they are built from the helpers at the top.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

RIGHT = "✅ Correct"
WRONG = "❌ Not yet"
MISSING = "✏️ Not answered yet"


def report(ok: bool, message: str) -> bool:
    """Print the verdict line a student sees and return ``ok``.

    Args:
        ok: whether the answer is right.
        message: on success a short confirmation, otherwise the hint (never the answer).
    Returns:
        ``ok`` (a bool), so tests can assert on it.
    """
    print(f"{RIGHT if ok else WRONG}: {message}")
    return bool(ok)


def as_array(answer: object, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray | str:
    """Turn a student's answer into a float array, or return the hint explaining why it can't be.

    Args:
        answer: whatever the student assigned (list, array, tensor, None, ...).
        name: the variable name the exercise asked for, used in the hint.
        shape: the expected shape, or None to accept any.
    Returns:
        a float64 ndarray of ``shape``, or a hint string when the answer is missing or malformed.
    """
    if answer is None or answer is Ellipsis:
        return f"{MISSING}: replace the `...` / `None` in `{name}` with your answer and run the cell again."
    if hasattr(answer, "detach"):  # a torch tensor
        answer = answer.detach().cpu().numpy()
    try:
        arr = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return f"`{name}` should be numbers (a float or an array), got {type(answer).__name__}."
    if shape is not None and arr.shape != tuple(shape):
        return f"`{name}` should have shape {tuple(shape)}, got shape {arr.shape}."
    if not np.all(np.isfinite(arr)):
        return f"`{name}` contains NaN or inf: check for a division by zero or a log of 0."
    return arr


def check_against(
    answer: object,
    name: str,
    expected: np.ndarray | float,
    wrong_answers: list[tuple[Callable[[np.ndarray], bool], str]] = (),
    *,
    atol: float = 1e-6,
    success: str = "well done.",
    fallback: str = "not the right value; re-read the derivation above and try again.",
) -> bool:
    """Generic check: accept ``expected`` (to ``atol``), else give the hint of the first matching mistake.

    Args:
        answer: the student's value.
        name: the variable name the exercise asked for.
        expected: the right value (scalar or array); its shape is the expected shape.
        wrong_answers: (predicate on the answer array, hint) pairs for typical mistakes, tried in order.
        atol: absolute tolerance.
        success: message on a right answer.
        fallback: hint when no typical mistake matches.
    Returns:
        True when right.
    """
    expected = np.asarray(expected, dtype=np.float64)
    arr = as_array(answer, name, expected.shape)
    if isinstance(arr, str):
        if arr.startswith(MISSING):
            print(arr)
            return False
        return report(False, arr)
    if np.allclose(arr, expected, atol=atol, rtol=0):
        return report(True, success)
    for predicate, hint in wrong_answers:
        if predicate(arr):
            return report(False, hint)
    return report(False, fallback)


# ---------------------------------------------------------------- 00 linear maps and grids
