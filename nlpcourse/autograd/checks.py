"""Notebook 04's exercise checks: gradients by hand on small graphs (values), and a gate the student writes
(a function plugged into the engine and run against torch autograd): right/wrong with a hint, never the answer."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from ..exercise import MISSING, check_against, check_function, is_stub, reject, replaying, report
from . import Value, topological_order

__all__ = ["check_gate_patterns", "check_fork_gradient", "check_neuron_gradients", "check_tanh_gate",
           "TANH_EXPRESSIONS", "TANH_MISTAKES", "tanh_gate_with_local"]


def check_gate_patterns(grads_patterns: object) -> bool:
    """Notebook 04: [df/dx, df/dy, df/dz, df/dw] of f = 3·(x·y + max(z, w)) at x=-1, y=4, z=-2, w=1.5."""
    x, y, z, w = -1.0, 4.0, -2.0, 1.5
    expected = np.array([3 * y, 3 * x, 3.0 if z > w else 0.0, 3.0 if w > z else 0.0])
    return check_against(grads_patterns, "grads_patterns", expected, [
        (lambda a: np.allclose(a, expected / 3), "the last gate multiplies by 3: its local gradient 3 reaches "
                                                 "every input."),
        (lambda a: np.allclose(a[:2], expected[1::-1]), "the mul gate swaps: d(x·y)/dx is the *other* input."),
        (lambda a: a[2] != 0 and a[3] != 0, "max routes: the whole upstream gradient goes to the larger input, "
                                            "the other one gets 0."),
        (lambda a: np.isclose(a[3], 0) and not np.isclose(a[2], 0), "max routes to the input that won the forward "
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
        (lambda a: np.allclose(a, expected[::-1]), "you swapped the two: the first entry is df/dx."),
        (lambda a: np.isclose(a[0], q) or np.isclose(a[0], x), "x is used twice (in q = x + y and in q·x): its "
                                                                "gradient is the SUM of both branches."),
        (lambda a: np.isclose(a[0], expected[0]), "df/dx is right; y only flows through q: upstream df/dq times "
                                                  "the add gate's local 1."),
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


# ---------------------------------------------------------------- exercise 4: the student's tanh gate
# Expressions the notebook never shows, each written with `op` for tanh so that the same function runs with the
# student's gate on Values and with torch.tanh on float64 tensors: a chain, a tanh of a tanh, a reused node,
# a saturated unit (tanh' ≈ 0) and a negative input.
TANH_EXPRESSIONS: list[tuple[Callable[..., object], dict[str, float]]] = [
    (lambda op, x, y: op(x * y + x) * y, {"x": 0.7, "y": -1.3}),
    (lambda op, x, y: op(op(x) + y * y), {"x": -0.4, "y": 0.9}),
    (lambda op, x, y: op(x) * op(x) + op(x - y) * 2, {"x": 1.1, "y": 0.25}),
    (lambda op, x, y: op(x * 4) + op(y) * x, {"x": 2.5, "y": -3.0}),
    (lambda op, x, y: op(x / y) - op(-x), {"x": -0.8, "y": 1.6}),
]


def _engine_run(op: Callable[[Value], Value], k: int) -> tuple[float, ...] | None:
    """Value and gradients (d/dx, d/dy) of expression ``k`` in our engine, with ``op`` as its tanh gate."""
    fn, inputs = TANH_EXPRESSIONS[k]
    leaves = {name: Value(v, label=name) for name, v in inputs.items()}
    stub = []

    def gate(v: Value) -> Value:
        out = op(v)
        if out is None or out is Ellipsis:
            stub.append(out)
            return v  # finish the expression; the check reports the missing answer
        if not isinstance(out, Value):
            raise TypeError(f"it should return a Value (the new node), got {type(out).__name__}")
        return out

    out = fn(gate, **leaves)
    if stub:
        return None
    out.backward()
    return (out.data, *(leaf.grad for leaf in leaves.values()))


def _torch_run(k: int) -> tuple[float, ...]:
    """The same expression with torch.tanh on float64 tensors, through torch autograd (the reference)."""
    fn, inputs = TANH_EXPRESSIONS[k]
    leaves = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in inputs.items()}
    out = fn(torch.tanh, **leaves)
    out.backward()
    return (out.item(), *(leaf.grad.item() for leaf in leaves.values()))


def tanh_gate_with_local(local: Callable[[float, float], float]) -> Callable[[Value], Value]:
    """A tanh gate with the right forward value and the local gradient ``local(a, t)`` (a the input,
    t = tanh(a)): the wrong versions of the exercise's mistakes are built with it."""
    def gate(x: Value) -> Value:
        a = x.data
        t = math.tanh(a)
        return x._gate(t, (x,), "tanh", lambda: (local(a, t),))
    return gate


# (wrong gate, hint): each wrong gate makes the mistake its hint names (tests plug each one into the check)
TANH_MISTAKES = [
    (tanh_gate_with_local(lambda a, t: 1 - a * a),
     "your local gradient uses the gate's input a where tanh's derivative is written with its cached OUTPUT "
     "t = tanh(a)."),
    (tanh_gate_with_local(lambda a, t: 1 - t),
     "close, not quite: differentiate tanh = sinh/cosh with the quotient rule, then write the result with t."),
    (tanh_gate_with_local(lambda a, t: t * (1 - t)),
     "t(1 − t) is the sigmoid's local gradient; tanh's is another expression in t."),
    (tanh_gate_with_local(lambda a, t: t * t - 1),
     "check the sign: tanh is increasing, so its local gradient is positive."),
    (tanh_gate_with_local(lambda a, t: t),
     "the local gradient equal to the output is exp's rule (d e^a/da = e^a); tanh's differs."),
    (tanh_gate_with_local(lambda a, t: 1.0),
     "a local gradient of 1 passes the upstream gradient on unchanged (an add gate); tanh's depends on t."),
]


def check_tanh_gate(tanh_gate: object) -> bool:
    """Notebook 04, exercise 4: ``tanh_gate(x: Value) -> Value``, one new node with tanh's value and local
    gradient, built like the engine's own gates (``x._gate(value, (x,), "tanh", local_grads)``).

    Plugs the gate into our engine on ``TANH_EXPRESSIONS`` (inputs the notebook never shows) and compares the
    value and both gradients with torch autograd; a wrong local gradient gets the hint of its mistake.
    """
    if is_stub(tanh_gate) or not callable(tanh_gate):
        return check_function(tanh_gate, "tanh_gate", _torch_run, [])
    if not replaying():  # the grader judges the recorded outputs; these tests ran in the sandbox
        probe = Value(0.5, label="a")
        try:
            node = tanh_gate(probe)
        except NotImplementedError:
            return reject(f"{MISSING}: `tanh_gate` still raises NotImplementedError; replace it with your code.")
        except Exception as e:  # the student's bug: say what, never the answer
            return report(False, f"`tanh_gate` raised {type(e).__name__}: {e}")
        if node is None or node is Ellipsis:
            return reject(f"{MISSING}: `tanh_gate` returns {node!r}; make it return the new Value.")
        if not isinstance(node, Value):
            return report(False, f"`tanh_gate` should return a Value (the new node, made with x._gate(...)), got "
                                 f"{type(node).__name__}.")
        if tuple(node.inputs) != (probe,):
            n = len(topological_order(node)) - 1
            return report(False, f"`tanh_gate` should make ONE gate whose only input is x (x._gate(t, (x,), "
                                 f"...)); yours builds {n} node(s) from smaller gates. Right or not, the exercise is "
                                 f"to write tanh's own local gradient.")
    return check_function(lambda k: _engine_run(tanh_gate, k), "tanh_gate", _torch_run,
                          [(k,) for k in range(len(TANH_EXPRESSIONS))],
                          [(lambda k, wrong=wrong: _engine_run(wrong, k), hint) for wrong, hint in TANH_MISTAKES],
                          shortcuts=(Value.tanh,), atol=1e-9, rtol=1e-9,
                          success="your gate, plugged into the engine, gives torch's values and gradients on "
                                  "every test expression.",
                          fallback="the values or gradients disagree with torch: the value should be tanh(a) and "
                                   "the local gradient d tanh(a)/da, computed from the cached output.")
