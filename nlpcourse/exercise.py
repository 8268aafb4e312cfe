"""The exercise machinery: right/wrong with a hint, "not answered yet", never the answer.

The convention (see CONTRIBUTING.md): a code cell tagged ``exercise`` holds the student's stub, the
instructor's answer sits in the next cell tagged ``solution`` (stripped from the student edition), and a
``<topic>.checks.check_<name>(answer)`` cell follows. A check prints one line and returns ``True``/``False``;
later cells never depend on the student's answer, so an unanswered notebook still runs top to bottom.

Two kinds of check are built from this module:
- a value (``check_against``): the student computed a number or an array;
- a function (``check_function``): the student wrote code, run here on inputs they have not seen and compared
  with a reference implementation; typical mistakes are recognised by running *wrong* reference versions on
  the same inputs, so every hint is reachable by the mistake it names.
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


def reject(problem: str) -> bool:
    """Print why an answer cannot be checked (missing, wrong type or shape) and return False.

    Args:
        problem: the string returned by ``as_array`` when it could not make an array.
    """
    if problem.startswith(MISSING):
        print(problem)
        return False
    return report(False, problem)


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


def matches(expected: np.ndarray | float, atol: float = 1e-6) -> Callable[[np.ndarray], bool]:
    """A predicate for ``check_against``'s typical mistakes: "the answer equals ``expected`` to ``atol``"."""
    return lambda a: bool(np.allclose(a, expected, atol=atol))


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
        return reject(arr)
    if np.allclose(arr, expected, atol=atol, rtol=0):
        return report(True, success)
    for predicate, hint in wrong_answers:
        if predicate(arr):
            return report(False, hint)
    return report(False, fallback)


def is_stub(fn: object) -> bool:
    """True when ``fn`` is still the exercise's stub: ``...``/``None`` itself, or a function that returns
    ``...``/``None`` or raises ``NotImplementedError`` when called (checked by the caller)."""
    return fn is None or fn is Ellipsis


def _outputs(value: object) -> tuple[np.ndarray, ...]:
    """A function's result as a tuple of float arrays (a tuple/list result gives one array per element)."""
    parts = value if isinstance(value, (tuple, list)) else (value,)
    out = []
    for part in parts:
        if hasattr(part, "detach"):
            part = part.detach().cpu().numpy()
        out.append(np.asarray(part, dtype=np.float64))
    return tuple(out)


def _same(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...], atol: float, rtol: float) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.allclose(x, y, atol=atol, rtol=rtol)
                                    for x, y in zip(a, b, strict=True))


def check_function(
    student: object,
    name: str,
    reference: Callable[..., object],
    cases: list[tuple],
    mistakes: list[tuple[Callable[..., object], str]] = (),
    *,
    atol: float = 1e-6,
    rtol: float = 1e-6,
    success: str = "your function agrees with the reference on every test input.",
    fallback: str = "your function disagrees with the reference; re-read the derivation and try again.",
) -> bool:
    """Run the student's function on ``cases`` and compare with ``reference``, hinting at typical mistakes.

    Args:
        student: the function the student wrote (or the untouched stub).
        name: its name in the exercise, used in messages.
        reference: the right implementation (same signature); the cases are inputs the student has not seen.
        cases: argument tuples, each passed as ``student(*case)``. Arrays are copied per call, so a function
            that writes into its inputs cannot spoil the reference's run.
        mistakes: (wrong implementation, hint) pairs: when the student's outputs equal a wrong version's on
            every case, its hint is printed. Each hint is thus reachable by exactly the mistake it names
            (tests call the wrong version itself as the student's answer).
        atol, rtol: tolerances of the comparison (``np.allclose``).
        success: message on a right answer.
        fallback: hint when no typical mistake matches.
    Returns:
        True when the function agrees with the reference on every case.
    """
    if is_stub(student):
        return reject(f"{MISSING}: write `{name}` in the exercise cell and run it again.")
    if not callable(student):
        return report(False, f"`{name}` should be a function, got {type(student).__name__}.")

    def copy(case: tuple) -> tuple:
        return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in case)

    got = []
    for case in cases:
        try:
            result = student(*copy(case))
        except NotImplementedError:
            return reject(f"{MISSING}: `{name}` still raises NotImplementedError; replace it with your code.")
        except Exception as e:  # the student's bug: say what and where, never the answer
            return report(False, f"`{name}` raised {type(e).__name__}: {e}")
        if result is None or result is Ellipsis:
            return reject(f"{MISSING}: `{name}` returns {result!r}; make it return its result.")
        try:
            got.append(_outputs(result))
        except (TypeError, ValueError):
            return report(False, f"`{name}` should return numbers (floats or arrays), got {type(result).__name__}.")
    expected = [_outputs(reference(*copy(case))) for case in cases]
    for g, e in zip(got, expected, strict=True):
        if len(g) != len(e):
            return report(False, f"`{name}` should return {len(e)} value(s), got {len(g)}.")
        for k, (x, y) in enumerate(zip(g, e, strict=True)):
            if x.shape != y.shape:
                which = f"output {k + 1}" if len(e) > 1 else "the output"
                return report(False, f"`{name}`: {which} should have shape {y.shape}, got {x.shape}.")
        if not all(np.all(np.isfinite(x)) for x in g):
            return report(False, f"`{name}` returned NaN or inf: check for an overflow, a division by zero "
                                 "or a log of 0.")
    if all(_same(g, e, atol, rtol) for g, e in zip(got, expected, strict=True)):
        return report(True, success)
    for wrong, hint in mistakes:
        try:
            if all(_same(g, _outputs(wrong(*copy(case))), atol, rtol) for g, case in zip(got, cases, strict=True)):
                return report(False, hint)
        except Exception:  # a wrong version that cannot run on some case simply does not match
            continue
    return report(False, fallback)
