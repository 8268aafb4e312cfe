"""Argument checks shared by every module: one place, one wording.

Students read these messages, so each names the argument, what was expected and what was received::

    >>> positive_int(2.5, "batch_size")
    Traceback (most recent call last):
    ...
    TypeError: batch_size: expected an int >= 1, got 2.5 (float)

Conventions: an int is a Python ``int`` or a numpy integer, never a ``bool``; a wrong *type* raises
``TypeError``, a right type with a wrong *value* (out of range, wrong shape) raises ``ValueError``, a missing
key raises ``KeyError``. Every check returns the cleaned value (a Python int / float, a numpy array), so a
caller writes ``dim = positive_int(dim, "dim")``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import fields, replace
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "is_int", "integer", "positive_int", "non_negative_int", "number", "positive_float", "probability",
    "one_of", "array", "float_array", "int_array", "ids_in_range", "index", "non_empty", "string", "keys",
    "Config",
]


def _got(value: object) -> str:
    """How a received value is described in a message: its repr (shortened) and its type."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def is_int(value: object) -> bool:
    """True for a Python int or a numpy integer, False for bools, floats and everything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer(value: object, name: str, *, low: int | None = None, high: int | None = None,
            what: str = "an int") -> int:
    """``value`` as a Python int with ``low <= value <= high`` (either bound optional); TypeError for a non-int
    (bools and floats too, numpy ints accepted), ValueError outside. ``what`` names it ("an int", "a size")."""
    if low is None and high is None:
        want = what
    elif high is None:
        want = f"{what} >= {low}"
    elif low is None:
        want = f"{what} <= {high}"
    else:
        want = f"{what} in [{low}, {high}]"
    if not is_int(value):
        raise TypeError(f"{name}: expected {want}, got {_got(value)}")
    v = int(value)  # type: ignore[arg-type]
    if (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"{name}: expected {want}, got {v}")
    return v


def positive_int(value: object, name: str) -> int:
    """``value`` as an int >= 1 (TypeError for a non-int, ValueError for 0 or less)."""
    return integer(value, name, low=1)


def non_negative_int(value: object, name: str) -> int:
    """``value`` as an int >= 0 (TypeError for a non-int, ValueError below 0)."""
    return integer(value, name, low=0)


def number(value: object, name: str, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, what: str = "a number") -> float:
    """``value`` (an int or float, not a bool) as a finite Python float within the given bounds.

    ``low_open`` / ``high_open`` make a bound strict (``low < value``); ``what`` names the expected thing
    in the message ("a number", "a learning rate", ...).
    """
    lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
    hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
    want = what + (f" {lo}" if lo else "") + (" and" if lo and hi else "") + (f" {hi}" if hi else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected {want}, got {_got(value)}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name}: expected a finite number, got {v}")
    if low is not None and (v <= low if low_open else v < low):
        raise ValueError(f"{name}: expected {want}, got {v:g}")
    if high is not None and (v >= high if high_open else v > high):
        raise ValueError(f"{name}: expected {want}, got {v:g}")
    return v


def positive_float(value: object, name: str) -> float:
    """``value`` as a float > 0."""
    return number(value, name, low=0.0, low_open=True)


def probability(value: object, name: str, *, open_low: bool = False, open_high: bool = False) -> float:
    """``value`` as a float in [0, 1] (``open_low`` / ``open_high`` exclude 0 / 1)."""
    return number(value, name, low=0.0, high=1.0, low_open=open_low, high_open=open_high)


def one_of(value: object, name: str, options: Collection[Any]) -> Any:
    """``value`` if it is one of ``options`` (ValueError naming them otherwise)."""
    try:
        ok = value in options
    except TypeError:  # unhashable value against a set
        ok = False
    if not ok:
        raise ValueError(f"{name}: expected one of [{', '.join(sorted(map(repr, options)))}], got {_got(value)}")
    return value


def _shape_text(shape: Sequence[int | str | None]) -> str:
    parts = ["?" if s is None else str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def array(value: object, name: str, *, shape: Sequence[int | str | None] | None = None, ndim: int | None = None,
          dtype: Any = np.float64, sizes: dict[str, int] | None = None) -> np.ndarray:
    """``value`` (anything numpy takes, CPU tensors too) as an array of ``dtype`` with ``shape`` (or ``ndim``).

    A shape entry is an int (that size), None (any) or a letter (any, but the same letter the same size
    everywhere: ``sizes`` collects them, so passing one dict to the checks of ``q`` (L, d) and ``k`` (S, d)
    makes them agree on d). TypeError: not convertible; ValueError: wrong dimensions or sizes."""
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name}: expected an array of numbers, got {_got(value)}") from e
    if shape is not None:
        shape = tuple(shape)
        if arr.ndim != len(shape):
            raise ValueError(f"{name}: expected shape {_shape_text(shape)}, got {arr.shape}")
        sizes = {} if sizes is None else sizes
        for axis, (want, got) in enumerate(zip(shape, arr.shape, strict=True)):
            if want is None:
                continue
            if isinstance(want, str):
                bound = sizes.setdefault(want, got)
                if bound != got:
                    raise ValueError(f"{name}: expected shape {_shape_text(shape)} with {want} = {bound}, "
                                     f"got {arr.shape} (axis {axis} has {got})")
            elif got != want:
                raise ValueError(f"{name}: expected shape {_shape_text(shape)}, got {arr.shape}")
    elif ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    return arr


def float_array(value: object, name: str, *, shape: Sequence[int | str | None] | None = None,
                ndim: int | None = None, sizes: dict[str, int] | None = None, finite: bool = True) -> np.ndarray:
    """``array(value, name, ...)`` as float64, and (``finite=True``) with no NaN or inf."""
    arr = array(value, name, shape=shape, ndim=ndim, dtype=np.float64, sizes=sizes)
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite numbers, got NaN or inf")
    return arr


def int_array(value: object, name: str, *, shape: Sequence[int | str | None] | None = None,
              ndim: int | None = None, sizes: dict[str, int] | None = None) -> np.ndarray:
    """``value`` as an int64 array; floats (even 2.0) and bools are refused with a TypeError."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    raw = np.asarray(value)
    if raw.size and not np.issubdtype(raw.dtype, np.integer):
        raise TypeError(f"{name}: expected an array of ints, got dtype {raw.dtype}")
    return array(raw, name, shape=shape, ndim=ndim, dtype=np.int64, sizes=sizes)


def ids_in_range(value: object, name: str, size: int, *, what: str = "ids", ndim: int | None = 1,
                 allow_empty: bool = False) -> np.ndarray:
    """``value`` as an int64 array of ids in [0, size); TypeError for non-integers, ValueError for a wrong ndim,
    an empty array (unless ``allow_empty``) or an id out of range (the first one is named)."""
    arr = int_array(value, name, ndim=ndim)
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name}: expected at least one of the {what}, got an empty array")
    bad = arr[(arr < 0) | (arr >= size)]
    if bad.size:
        raise ValueError(f"{name}: expected {what} in [0, {size}), got {int(bad.flat[0])}")
    return arr


def index(value: object, name: str, size: int, *, what: str = "an index") -> int:
    """``value`` as an int in [0, size) (TypeError for a non-int, ValueError outside)."""
    if not is_int(value):
        raise TypeError(f"{name}: expected {what} in [0, {size}), got {_got(value)}")
    v = int(value)  # type: ignore[arg-type]
    if not 0 <= v < size:
        raise ValueError(f"{name}: expected {what} in [0, {size}), got {v}")
    return v


def non_empty(value: Any, name: str, *, what: str = "items") -> Any:
    """``value`` if ``len(value) > 0`` (TypeError without a length, ValueError when empty)."""
    try:
        n = len(value)
    except TypeError as e:
        raise TypeError(f"{name}: expected a non-empty collection of {what}, got {_got(value)}") from e
    if n == 0:
        raise ValueError(f"{name}: expected at least one of the {what}, got an empty {type(value).__name__}")
    return value


def string(value: object, name: str, *, allow_empty: bool = False) -> str:
    """``value`` if it is a str (TypeError otherwise; ValueError when empty unless ``allow_empty``)."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a str, got {_got(value)}")
    if not value and not allow_empty:
        raise ValueError(f"{name}: expected a non-empty str, got ''")
    return value


def keys(mapping: object, name: str, required: Collection[str]) -> Mapping[str, Any]:
    """``mapping`` if it is a mapping holding every key of ``required`` (KeyError naming the missing ones)."""
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{name}: expected a dict with keys {sorted(required)}, got {_got(mapping)}")
    missing = [k for k in required if k not in mapping]
    if missing:
        raise KeyError(f"{name}: expected keys {sorted(required)}, missing {missing} (got {sorted(mapping)})")
    return mapping


C = TypeVar("C", bound="Config")


class Config:
    """Base of every config (nanoGPT's ``GPTConfig`` style): a ``@dataclass(frozen=True)``, a field a line with a
    short comment, whose ``__post_init__`` checks each field with this module's functions and stores the cleaned
    value with ``self._set(name, value)`` (a numpy int becomes an int); ``make`` applies a trainer's overrides.
    """

    def _set(self, name: str, value: object) -> None:
        """Store a checked (cleaned) value in the frozen dataclass."""
        object.__setattr__(self, name, value)

    @classmethod
    def make(cls: type[C], config: C | None = None, **overrides: object) -> C:
        """``config`` (default ``cls()``) with the fields in ``overrides`` replaced (and checked again); TypeError
        when ``config`` is not a ``cls`` or an override is not one of its fields."""
        if config is not None and not isinstance(config, cls):
            raise TypeError(f"config: expected a {cls.__name__}, got {_got(config)}")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise TypeError(f"{unknown[0]}: not a field of {cls.__name__} (fields: {names})")
        return replace(config or cls(), **overrides)
