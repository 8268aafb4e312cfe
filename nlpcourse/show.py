"""Small notebook helpers: print a table, show the errors bad input gets, put a function's source in the text,
state a claim about the numbers just computed (and fail loudly when it is false).

Every notebook uses these instead of writing its own ``print(df.to_string(...))`` or try/except loop, so the
stored outputs have one format across the course.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable

import pandas as pd

__all__ = ["table", "show_errors", "show_source", "claim", "ClaimError"]


def table(df: pd.DataFrame, fmt: str = "{:.3f}", index: bool = True) -> None:
    """Print ``df`` with every float formatted by ``fmt`` (e.g. ``"{:.3f}"``; ints and strings as they are).

    A negative zero prints as a zero (``fmt`` gets ``v + 0.0``), so ``-0.0`` never shows as ``-0.000``."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df: expected a pandas DataFrame, got {type(df).__name__}")
    if not isinstance(fmt, str) or "{" not in fmt:
        raise ValueError(f"fmt: expected a format pattern such as '{{:.3f}}', got {fmt!r}")
    print(df.to_string(float_format=lambda v: fmt.format(v + 0.0), index=index))


def show_errors(*calls: Callable[[], object]) -> None:
    """Run each zero-argument call and print the error it raises as a student would see it.

    ``show_errors(lambda: f(-1), lambda: f("a"))`` prints one line per call: ``ValueError: k: expected ...``.
    A call that raises nothing prints ``(no error)``: that is a bug the notebook should show, not hide.
    """
    for call in calls:
        if not callable(call):
            raise TypeError(f"calls: expected zero-argument callables (lambda: ...), got {type(call).__name__}")
        try:
            call()
        except (ValueError, KeyError, TypeError) as e:
            message = e.args[0] if isinstance(e, KeyError) and e.args else e
            print(f"{type(e).__name__}: {message}")
        else:
            print("(no error)")


def show_source(fn: Callable[..., object]) -> None:
    """Print the source of ``fn`` (a function, method or class) so the notebook's text shows the key code.

    The printed code is the package's own, so what the student reads is what runs.
    """
    try:
        src = inspect.getsource(fn)
    except (TypeError, OSError) as e:
        raise TypeError(f"fn: expected a function or class defined in Python source, got {fn!r}") from e
    print(textwrap.dedent(src).rstrip())  # a method: its common indentation off, its body still indented


class ClaimError(AssertionError):
    """A sentence of the notebook's text is no longer true of the numbers it is about."""


def claim(text: str, condition: object) -> None:
    """Print ``text`` (a sentence about the numbers this cell computed) when ``condition`` holds; raise otherwise.

    ``claim(f"ours is faster per thread ({r:.2f}×)", r > 1)``: the sentence is printed from the numbers, and a
    change that makes it false turns ``make test`` red, naming the sentence.
    """
    if not isinstance(text, str) or not text:
        raise TypeError(f"text: expected the claim as a non-empty string, got {text!r}")
    if not bool(condition):
        raise ClaimError(f"claim no longer holds: {text}")
    print(text)
