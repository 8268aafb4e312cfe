"""The grader's tap on ``nlpcourse.exercise``: record a student's answers in the sandbox, replay them in the grader.

In the sandbox, each trusted check cell runs inside :func:`recorded`: the answers' names are described (a value
as a plain array, a function as "function", ``...``/None as missing, undefined), every ``check_function`` call
records what the student's function returned on each case (plain float64 arrays, keyed by the case's
fingerprint) and whether it is, or called, one of the exercise's ``shortcuts`` (the course's own
implementation), and the record leaves the kernel as a display output of MIME type ``MIME`` (JSON: numbers and
strings only). Everything in it may be forged by the student's code: it is data, judged by :class:`Replay` in
the grader's own process, which runs the course's check again on the recorded outputs for the grader's own
cases, and never calls anything the student wrote.
"""

from __future__ import annotations

import inspect
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import contextmanager

import numpy as np

from nlpcourse import exercise
from nlpcourse.exercise import NotNumbers, Outcome, fingerprint, plain, run_case

MIME = "application/vnd.nlpcourse.grading+json"
MAX_VALUES = 2_000_000  # numbers one record may carry (a larger record is refused by the grader)


# --- in the sandbox -------------------------------------------------------------------------------------------


def _array(a: np.ndarray) -> dict:
    """An array as JSON (NaN and infinities as the strings "nan", "inf", "-inf")."""
    return {"shape": list(a.shape), "data": [float(x) if np.isfinite(x) else repr(float(x)) for x in a.ravel()]}


def _course_name(obj: object) -> str | None:
    """``module.qualname`` when ``obj`` is (a method, partial or wrapper of) a function of the course's package."""
    seen = 0
    while seen < 10:
        seen += 1
        if hasattr(obj, "__wrapped__"):
            obj = obj.__wrapped__
        elif hasattr(obj, "func") and callable(obj.func):  # functools.partial
            obj = obj.func
        elif hasattr(obj, "__func__"):  # a bound method
            obj = obj.__func__
        else:
            break
    module = getattr(obj, "__module__", None)
    if isinstance(module, str) and (module == "nlpcourse" or module.startswith("nlpcourse.")) and callable(obj):
        return f"{module}.{getattr(obj, '__qualname__', '?')}"
    return None


MAX_DEPTH, MAX_TEXT = 8, 10_000


def encode(value: object, depth: int = 0) -> dict:
    """A value as JSON data: numbers and arrays (with their type: int, float, bool, numpy dtype, tensor), strings,
    None, ``...``, and tuples/lists/dicts (string keys) of these; anything else as {"opaque": its type's name}."""
    kind = type(value)
    if value is None or value is Ellipsis:
        return {"t": "none" if value is None else "ellipsis"}
    if kind is str:
        return {"t": "str", "v": value[:MAX_TEXT]}
    if depth < MAX_DEPTH and kind in (tuple, list):
        return {"t": kind.__name__, "v": [encode(v, depth + 1) for v in value]}
    if depth < MAX_DEPTH and kind is dict and all(type(k) is str for k in value):
        return {"t": "dict", "v": {k[:200]: encode(v, depth + 1) for k, v in value.items()}}
    if kind in (bool, int, float):
        return {"t": kind.__name__, **_array(plain(value))}
    try:
        array = plain(value)
    except NotNumbers:
        return {"t": "opaque", "v": f"{kind.__module__}.{kind.__qualname__}"[:200]}
    dtype = str(getattr(value, "dtype", "float64")).removeprefix("torch.")
    return {"t": "tensor" if type(value).__module__.startswith("torch") else "numpy", "dtype": dtype,
            "scalar": kind is not np.ndarray and not hasattr(value, "dim"), **_array(array)}


def decode(entry: object, depth: int = 0) -> object:
    """The value ``encode`` described (ValueError for anything malformed); tensors come back as torch tensors
    when torch is installed, numpy values with their dtype."""
    if not isinstance(entry, dict) or depth > MAX_DEPTH:
        raise ValueError("a malformed value in the record")
    t = entry.get("t")
    if t in ("none", "ellipsis"):
        return None if t == "none" else ...
    if t == "str":
        return str(entry.get("v", ""))[:MAX_TEXT]
    if t in ("tuple", "list"):
        items = [decode(v, depth + 1) for v in entry.get("v") or []]
        return tuple(items) if t == "tuple" else items
    if t == "dict":
        return {str(k): decode(v, depth + 1) for k, v in (entry.get("v") or {}).items()}
    if t in ("bool", "int", "float"):
        return {"bool": bool, "int": int, "float": float}[t](_load(entry).item())
    if t in ("numpy", "tensor"):
        array = _load(entry)
        dtype = str(entry.get("dtype", "float64"))
        if t == "tensor":
            import torch

            out = torch.tensor(array, dtype=getattr(torch, dtype, torch.float64)
                               if isinstance(getattr(torch, dtype, None), torch.dtype) else torch.float64)
            return out
        try:
            np_dtype = np.dtype(dtype)
        except TypeError:
            np_dtype = np.dtype(np.float64)
        if np_dtype.kind not in "biuf":
            np_dtype = np.dtype(np.float64)
        array = array.astype(np_dtype)
        return array[()] if entry.get("scalar") else array
    if t == "opaque":
        name = str(entry.get("v", "object")).rsplit(".", 1)[-1][:60] or "object"
        return type(name if name.isidentifier() else "object", (), {})()
    raise ValueError("a value of an unknown kind in the record")


def describe(value: object, defined: bool) -> dict:
    """A name's value as data: undefined, missing (``...``/None), function, or value (``encode``)."""
    if not defined:
        return {"kind": "undefined"}
    if value is None or value is Ellipsis:
        return {"kind": "missing", "ellipsis": value is Ellipsis}
    if callable(value):
        return {"kind": "function", "course": _course_name(value)}
    return {"kind": "value", "value": encode(value)}


def _codes(functions: Sequence[Callable[..., object]]) -> dict:
    codes = {}
    for fn in functions:
        try:
            fn = inspect.unwrap(fn)
        except ValueError:
            continue
        code = getattr(getattr(fn, "__func__", fn), "__code__", None)
        if code is not None:
            codes[code] = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"
    return codes


class Recorder:
    """``exercise._tap`` in the sandbox: runs the student's function as usual and writes down what it did."""

    replaying = False

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.reports: list[dict] = []

    def cases(self, student, name: str, cases: Sequence[tuple], shortcuts: Sequence[Callable[..., object]]):
        codes = _codes(shortcuts)
        mine = getattr(inspect.unwrap(student), "__code__", None) if callable(student) else None
        codes.pop(mine, None)  # a course wrapper shared by the student's and the reference's call is no shortcut
        hit: list[str] = []
        is_course = _course_name(student) if any(student is s for s in shortcuts) else None

        def profile(frame, event, arg):
            if event == "call" and frame.f_code in codes and not hit:
                hit.append(codes[frame.f_code])

        outcomes, record = [], []
        for case in cases:
            sys.setprofile(profile)
            threading.setprofile(profile)
            try:
                outcome = run_case(student, name, case)
            finally:
                sys.setprofile(None)
                threading.setprofile(None)
            outcomes.append(outcome)
            record.append({"key": fingerprint(case), "kind": outcome.kind, "message": outcome.message,
                           "outputs": [_array(a) for a in outcome.outputs]})
        self.calls.append({"name": name, "cases": record, "shortcut": is_course or (hit[0] if hit else None)})
        return outcomes

    def reported(self, verdict: exercise.Verdict) -> None:
        self.reports.append({"status": verdict.status, "message": verdict.message})


@contextmanager
def recorded(exercise_id: str, names: Sequence[str], namespace: dict):
    """Run a check cell's body with the recorder on; the record is displayed (MIME ``MIME``) at the end."""
    from IPython.display import display

    record: dict = {"exercise": exercise_id, "done": False,
                    "names": {n: describe(namespace.get(n), n in namespace) for n in names}}
    recorder, previous = Recorder(), exercise._tap
    exercise._tap = recorder
    try:
        yield
        record["done"] = True
    except BaseException as e:
        record["raised"] = f"{type(e).__name__}: {e}"
        raise
    finally:
        exercise._tap = previous
        record.update(calls=recorder.calls, reports=recorder.reports)
        display({MIME: record, "text/plain": f"<graded: {exercise_id}>"}, raw=True)


# --- in the grader ------------------------------------------------------------------------------------------------


class Unrecorded(BaseException):  # noqa: N818 (not an error of the student's: the replay has no such call)
    """The check asked for something the record does not hold (a BaseException: a check's ``except Exception``
    around the student's call must not swallow it)."""


class Stand:
    """What the grader passes to the check in place of the student's function: never callable for real."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args, **kwargs):
        raise Unrecorded(f"the check called `{self.name}` outside check_function")


def _load(entry: object) -> np.ndarray:
    if not isinstance(entry, dict) or not isinstance(entry.get("shape"), list) or not isinstance(entry.get("data"),
                                                                                                 list):
        raise ValueError("a malformed array in the record")
    shape = tuple(int(s) for s in entry["shape"])
    if not all(isinstance(x, (int, float)) or x in ("nan", "inf", "-inf") for x in entry["data"]):
        raise ValueError("an array of something else than numbers in the record")
    data = np.array([float(x) for x in entry["data"]], dtype=np.float64)
    if any(s < 0 for s in shape) or int(np.prod(shape)) != data.size:
        raise ValueError("an array whose shape does not match its data in the record")
    return data.reshape(shape)


class Replay:
    """``exercise._tap`` in the grader: hands ``check_function`` the recorded outcomes of the grader's cases."""

    replaying = True

    def __init__(self, record: dict) -> None:
        names = record.get("names") if isinstance(record.get("names"), dict) else {}
        self.course = {str(d["course"]) for d in names.values() if isinstance(d, dict) and d.get("course")}
        self.pending = list(record.get("calls") or [])
        self.verdicts: list[exercise.Verdict] = []
        self.incomplete: list[str] = []
        self.shortcuts: list[str] = []

    def cases(self, student, name: str, cases: Sequence[tuple], shortcuts) -> list[Outcome]:
        call = next((c for c in self.pending if isinstance(c, dict) and c.get("name") == name), None)
        if call is None:
            self.incomplete.append(name)
            return [Outcome("wrong", message=f"`{name}` was not run on the check's inputs")] * len(cases)
        self.pending.remove(call)
        if call.get("shortcut"):
            self.shortcuts.append(str(call["shortcut"]))
        own = {_course_name(fn) for fn in shortcuts} & self.course  # the answer *is* one of them
        self.shortcuts += sorted(n for n in own if n)
        by_key: dict[str, list[dict]] = {}
        for entry in call.get("cases") or []:
            if isinstance(entry, dict):
                by_key.setdefault(str(entry.get("key")), []).append(entry)
        outcomes = []
        for case in cases:
            found = by_key.get(fingerprint(case)) or []
            if not found:
                self.incomplete.append(name)
                outcomes.append(Outcome("wrong", message=f"`{name}` was not run on the check's inputs"))
                continue
            entry = found.pop(0)
            kind, message = entry.get("kind"), str(entry.get("message", ""))[:500]
            if kind == "ok":
                outcomes.append(Outcome("ok", tuple(_load(a) for a in entry.get("outputs") or [])))
            elif kind == "missing":
                outcomes.append(Outcome("missing", message=message if message.startswith(exercise.MISSING)
                                        else f"{exercise.MISSING}: `{name}` is not written yet."))
            else:
                outcomes.append(Outcome("wrong", message=message or f"`{name}` failed"))
        return outcomes

    def reported(self, verdict: exercise.Verdict) -> None:
        self.verdicts.append(verdict)


def size(record: object) -> int:
    """How many numbers a record carries (the grader refuses one over ``MAX_VALUES``)."""
    if isinstance(record, dict):
        return sum(size(v) for v in record.values())
    if isinstance(record, list):
        return len(record) + sum(size(v) for v in record if isinstance(v, (dict, list)))
    return 1
