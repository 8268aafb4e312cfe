"""The exercise machinery: right/wrong with a hint, "not answered yet", never the answer.

The convention (see CONTRIBUTING.md): a code cell tagged ``exercise`` holds the student's stub, the
instructor's answer sits in the next cell tagged ``solution`` (stripped from the student edition), and a
``<topic>.checks.check_<name>(answer)`` cell follows. A check prints one line and returns a :class:`Verdict`
(true when right; it shows nothing more below the cell); later cells never depend on the student's answer, so
an unanswered notebook still runs top to bottom.

Two kinds of check are built from this module:
- a value (``check_against``): the student computed a number or an array;
- a function (``check_function``): the student wrote code, run here on inputs they have not seen and compared
  with a reference implementation, output by output when the function returns several things
  (``output_names``); typical mistakes are recognised by running *wrong* reference versions on the same inputs,
  so every hint is reachable by the mistake it names.

While grading (``coursetools.grade``) a check runs twice: in the student's sandbox, where ``check_function``
records what the answer returned on each case, and in the grader's process, where the same check judges those
records (the student's code never runs there). So a check calls the student's function only through
``check_function`` (tests of the answer's structure go under ``if not replaying():``), and its cases are the same
on every run (a fixed seed).

Answers are compared only after conversion to plain float64 arrays, from plain numbers, numpy arrays and
scalars, torch tensors, and lists/tuples of those (exact types, no subclasses): an object whose ``__eq__``
always says yes, an ndarray or tensor subclass that rewrites comparisons, is refused with a message.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

RIGHT = "✅ Correct"
WRONG = "❌ Not yet"
MISSING = "✏️ Not answered yet"


@dataclass(frozen=True)
class Verdict:
    """What a check returns: true when the answer is right, with the line the student read.

    ``status`` is "passed", "failed" or "not answered". In a notebook it displays nothing (the printed line
    is the feedback; no bare ``True``/``False`` below a check); ``bool(verdict)`` and ``verdict == True`` work.
    """

    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "passed"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Verdict):
            return (self.status, self.message) == (other.status, other.message)
        if isinstance(other, (bool, np.bool_)):
            return bool(self) == bool(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.status, self.message))

    def _ipython_display_(self) -> None:  # IPython shows nothing for a cell that ends with a check
        pass


# The grader's hook (coursetools.grade): None in a notebook. While grading it records what the student's function
# returned on each case (in the sandbox) or replays those records (in the grader's own process); see _run_cases.
_tap = None


def replaying() -> bool:
    """True while the grader judges recorded answers in its own process: a check's own tests on the student's
    objects (not on their outputs) ran in the sandbox and cannot run again; skip them (``if not replaying():``)."""
    return bool(getattr(_tap, "replaying", False))


def report(ok: bool, message: str) -> Verdict:
    """Print the verdict line a student sees (✅/❌ and ``message``: a confirmation or a hint, never the answer)."""
    verdict = Verdict("passed" if ok else "failed", message)
    print(f"{RIGHT if ok else WRONG}: {message}")
    if _tap is not None:
        _tap.reported(verdict)
    return verdict


def reject(problem: str) -> Verdict:
    """Print why an answer cannot be checked (missing, wrong type or shape): "not answered" when ``problem``
    starts with ``MISSING``, else a ❌ line."""
    if problem.startswith(MISSING):
        print(problem)
        verdict = Verdict("not answered", problem)
        if _tap is not None:
            _tap.reported(verdict)
        return verdict
    return report(False, problem)


# --- answers as plain arrays ------------------------------------------------------------------------------------

_NUMPY_SCALARS = frozenset(t for t in np.sctypeDict.values()
                           if issubclass(t, (np.integer, np.floating, np.bool_)) and t is not np.timedelta64)


class NotNumbers(TypeError):
    """An answer that is not plain numbers (see ``plain``); its message says what came."""


def _torch_types() -> tuple[type, ...]:
    torch = sys.modules.get("torch")  # only when the student's code already imported torch
    return (torch.Tensor, torch.nn.Parameter) if torch is not None else ()


def plain(value: object) -> np.ndarray:
    """``value`` as a new float64 ndarray, from an allowlist of exact types: bool/int/float, numpy's integer,
    float and bool scalars, ``np.ndarray`` of such a dtype, torch tensors, and lists/tuples of these (same shape).

    Raises NotNumbers for anything else (a subclass, an object with its own ``__eq__``, strings, None), so a
    comparison never runs the student's code.
    """
    kind = type(value)
    if kind in (bool, int, float) or kind in _NUMPY_SCALARS:
        return np.array(value, dtype=np.float64)
    if kind is np.ndarray:
        if value.dtype.kind not in "biuf":
            raise NotNumbers(f"an array of {value.dtype}")
        return np.array(value, dtype=np.float64, copy=True)
    if kind in _torch_types():
        torch = sys.modules["torch"]
        if value.is_complex() or value.dtype not in (torch.float16, torch.bfloat16, torch.float32, torch.float64,
                                                     torch.int8, torch.int16, torch.int32, torch.int64,
                                                     torch.uint8, torch.bool):
            raise NotNumbers(f"a tensor of {value.dtype}")
        return torch.Tensor.detach(value).to("cpu", torch.float64).numpy().copy()
    if kind in (list, tuple):
        parts = [plain(v) for v in value]
        if len({p.shape for p in parts}) > 1:
            raise NotNumbers(f"a ragged {kind.__name__} (elements of shapes {sorted({p.shape for p in parts})})")
        return np.array(parts, dtype=np.float64).reshape(len(parts), *(parts[0].shape if parts else ()))
    if isinstance(value, np.ndarray) or any(isinstance(value, t) for t in _torch_types()):
        raise NotNumbers(f"{kind.__name__}, not a plain array or tensor (return np.asarray(x) or x.detach())")
    raise NotNumbers(kind.__name__)


def as_array(answer: object, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray | str:
    """Turn a student's answer into a float64 array (see ``plain``), or return the hint explaining why it can't be.

    ``shape``: the expected shape, or None to accept any.
    """
    if answer is None or answer is Ellipsis:
        return f"{MISSING}: replace the `...` / `None` in `{name}` with your answer and run the cell again."
    try:
        arr = plain(answer)
    except NotNumbers as e:
        return f"`{name}` should be numbers (a float or an array), got {e}."
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
) -> Verdict:
    """Accept ``expected`` (to ``atol``; its shape is the expected shape), else give the hint of the first
    matching mistake: ``wrong_answers`` are (predicate on the answer array, hint) pairs, tried in order."""
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


# --- checking a function -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What the student's function did on one case: ``kind`` "ok" (``outputs``: plain float64 arrays),
    "missing" (still the stub) or "wrong" (raised, or returned something that is not numbers: ``message``)."""

    kind: str
    outputs: tuple[np.ndarray, ...] = ()
    message: str = ""


def outputs(value: object) -> tuple[np.ndarray, ...]:
    """A function's result as plain float64 arrays, one per element of a returned tuple or list (see ``plain``)."""
    return tuple(plain(part) for part in value) if type(value) in (tuple, list) else (plain(value),)


def _copy(case: tuple) -> tuple:
    return tuple(np.array(a, copy=True) if type(a) is np.ndarray else a for a in case)


def run_case(student: Callable[..., object], name: str, case: tuple) -> Outcome:
    """Run ``student(*case)`` on a copy of the case's arrays (a function that writes into its inputs cannot spoil
    the reference's run) and classify what happened."""
    try:
        result = student(*_copy(case))
    except NotImplementedError:
        return Outcome("missing", message=f"{MISSING}: `{name}` still raises NotImplementedError; replace it "
                                          "with your code.")
    except Exception as e:  # the student's bug: say what and where, never the answer
        return Outcome("wrong", message=f"`{name}` raised {type(e).__name__}: {e}")
    if result is None or result is Ellipsis:
        return Outcome("missing", message=f"{MISSING}: `{name}` returns {result!r}; make it return its result.")
    try:
        return Outcome("ok", outputs(result))
    except NotNumbers as e:
        return Outcome("wrong", message=f"`{name}` should return numbers (floats or arrays), got {e}.")


def fingerprint(case: tuple) -> str:
    """A digest of a case's arguments (arrays by dtype, shape and bytes; numbers and strings by value; other
    objects by their type): the grader looks a recorded output up by it."""
    h = hashlib.sha256()

    def feed(a: object) -> None:
        if type(a) is np.ndarray:
            h.update(f"a{a.dtype.str}{a.shape}".encode())
            h.update(np.ascontiguousarray(a).tobytes())
        elif type(a) in (bool, int, float, str) or type(a) in _NUMPY_SCALARS or a is None:
            h.update(f"{type(a).__name__}:{a!r};".encode())
        elif type(a) in (list, tuple):
            h.update(f"{type(a).__name__}[{len(a)}".encode())
            for v in a:
                feed(v)
            h.update(b"]")
        elif type(a) is dict:
            h.update(b"{")
            for k in sorted(a, key=repr):
                feed(k)
                feed(a[k])
            h.update(b"}")
        else:
            h.update(f"<{type(a).__module__}.{type(a).__qualname__}>".encode())

    feed(tuple(case))
    return h.hexdigest()[:32]


def _run_cases(student: Callable[..., object], name: str, cases: Sequence[tuple],
               shortcuts: Sequence[Callable[..., object]]) -> list[Outcome]:
    if _tap is not None:  # grading: recorded in the sandbox, replayed (the student's code never runs) in the grader
        return _tap.cases(student, name, cases, shortcuts)
    return [run_case(student, name, case) for case in cases]


def _close(x: np.ndarray, y: np.ndarray, atol: float, rtol: float) -> bool:
    return x.shape == y.shape and bool(np.allclose(x, y, atol=atol, rtol=rtol))


def check_function(
    student: object,
    name: str,
    reference: Callable[..., object],
    cases: Sequence[tuple],
    mistakes: Sequence[tuple] = (),
    *,
    output_names: Sequence[str] | None = None,
    example: tuple | None = None,
    shortcuts: Sequence[Callable[..., object]] | None = None,
    atol: float = 1e-6,
    rtol: float = 1e-6,
    success: str = "your function agrees with the reference on every test input.",
    fallback: str = "your function disagrees with the reference; re-read the derivation and try again.",
) -> Verdict:
    """Run the student's function on ``cases`` (argument tuples the student has not seen) and compare with
    ``reference`` (``np.allclose`` with ``atol``, ``rtol``), hinting at typical mistakes.

    ``mistakes``: (wrong implementation, hint) or (wrong implementation, hint, output names) entries. A hint
    fires when the student's outputs equal the wrong version's on every case, on the outputs the entry names
    (default: those where the wrong version differs from the reference), so each hint is reachable by exactly the
    mistake it names (tests pass the wrong version itself as the student's answer).
    ``output_names``: the names of a tuple result's parts; the verdict then says which are right and which
    wrong ("loss ✓, grad_center ✓, grad_outside ✗: <hint>"). Without it, one hint for the whole result.
    ``example``: the example arguments the notebook shows with the exercise; no case may equal them (a function
    that returns the shown example's output must not pass).
    ``shortcuts``: the course's own implementations of the exercise (default: ``reference``); while grading, an
    answer that is or calls one of them is reported.
    """
    if example is not None and any(fingerprint(c) == fingerprint(tuple(example)) for c in cases):
        raise ValueError(f"cases: expected inputs the notebook does not show, got the example {example!r} among them")
    names = tuple(output_names) if output_names is not None else None
    if is_stub(student):
        return reject(f"{MISSING}: write `{name}` in the exercise cell and run it again.")
    if not callable(student):
        return report(False, f"`{name}` should be a function, got {type(student).__name__}.")
    if not cases:
        raise ValueError(f"cases: expected at least one argument tuple for `{name}`, got none")
    got = _run_cases(student, name, cases, (reference,) if shortcuts is None else tuple(shortcuts))
    for outcome in got:
        if outcome.kind == "missing":
            return reject(outcome.message)
        if outcome.kind != "ok":
            return report(False, outcome.message)
    expected = [outputs(reference(*_copy(case))) for case in cases]
    n = len(expected[0])
    if names is not None and len(names) != n:
        raise ValueError(f"output_names: expected {n} names (the reference returns {n} values), got {names}")
    label = (lambda k: f"`{names[k]}`") if names else (lambda k: f"output {k + 1}" if n > 1 else "the output")
    for outcome, e in zip(got, expected, strict=True):
        g = outcome.outputs
        if len(g) != len(e):
            listed = f" ({', '.join(names)})" if names else ""
            return report(False, f"`{name}` should return {len(e)} value(s){listed}, got {len(g)}.")
        for k, (x, y) in enumerate(zip(g, e, strict=True)):
            if x.shape != y.shape:
                return report(False, f"`{name}`: {label(k)} should have shape {y.shape}, got {x.shape}.")
        for k, x in enumerate(g):
            if not np.all(np.isfinite(x)):
                where = f" in {label(k)}" if names else ""
                return report(False, f"`{name}` returned NaN or inf{where}: check for an overflow, a division by "
                                     "zero or a log of 0.")
    right = [all(_close(o.outputs[k], e[k], atol, rtol) for o, e in zip(got, expected, strict=True))
             for k in range(n)]
    if all(right):
        return report(True, success)
    hints: dict[int, str] = {}  # output -> the hint of the first mistake that explains it
    for entry in mistakes:
        wrong, hint = entry[0], entry[1]
        try:
            theirs = [outputs(wrong(*_copy(case))) for case in cases]
        except Exception:  # a wrong version that cannot run on some case simply does not match
            continue
        if any(len(t) != n for t in theirs):
            continue
        if not names:
            concerned = range(n)
        elif len(entry) > 2:
            concerned = [names.index(o) for o in entry[2]]
        else:
            concerned = [k for k in range(n)
                         if not all(_close(t[k], e[k], atol, rtol) for t, e in zip(theirs, expected, strict=True))]
        if concerned and all(_close(o.outputs[k], t[k], atol, rtol)
                             for k in concerned for o, t in zip(got, theirs, strict=True)):
            if not names:
                return report(False, hint)
            for k in concerned:
                if not right[k]:
                    hints.setdefault(k, hint)
    if not names:
        return report(False, fallback)
    return report(False, per_output(names, right, [hints.get(k, fallback) for k in range(n)]))


def per_output(names: Sequence[str], right: Sequence[bool], hints: Sequence[str]) -> str:
    """"loss ✓, grad_center ✗, grad_outside ✗: <hint>" — each wrong output's hint said once, after the last
    output it explains."""
    text = ""
    for k, name in enumerate(names):
        text += f"{name} {'✓' if right[k] else '✗'}"
        if not right[k] and all(right[j] or hints[j] != hints[k] for j in range(k + 1, len(names))):
            text += f": {hints[k]}; "
        else:
            text += ", "
    return text.rstrip(",; ")
