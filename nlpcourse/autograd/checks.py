"""Notebook 04's exercise checks: gradients by hand on small graphs (values), and a gate the student writes
(a function plugged into the engine and run against torch autograd): right/wrong with a hint, never the answer."""

from __future__ import annotations

import dis
import math
from collections.abc import Callable

import numpy as np
import torch

from ..exercise import MISSING, check_against, check_function, is_stub, reject, replaying, report
from . import Value, topological_order

__all__ = ["check_gate_patterns", "check_fork_gradient", "check_neuron_gradients", "check_tanh_gate", "check_backward"]


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
        return x.gate(t, (x,), "tanh", lambda: (local(a, t),))
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
    gradient, built like the engine's own gates (``x.gate(value, (x,), "tanh", local_grads)``).

    Plugs the gate into our engine on ``TANH_EXPRESSIONS`` (inputs the notebook never shows) and compares the
    value and both gradients with torch autograd; a wrong local gradient gets the hint of its mistake.
    """
    if is_stub(tanh_gate) or not callable(tanh_gate):
        return check_function(tanh_gate, "tanh_gate", _torch_run, [])
    if not replaying():  # the grader judges the recorded outputs; these tests ran in the sandbox
        probe = Value(0.5, label="a")
        engine_tanh, called = Value.tanh, []
        Value.tanh = lambda self: called.append(1) or engine_tanh(self)
        try:
            node = tanh_gate(probe)
        except NotImplementedError:
            return reject(f"{MISSING}: `tanh_gate` still raises NotImplementedError; replace it with your code.")
        except Exception as e:  # the student's bug: say what, never the answer
            return report(False, f"`tanh_gate` raised {type(e).__name__}: {e}")
        finally:
            Value.tanh = engine_tanh
        if called:
            return report(False, "your gate calls the engine's own `Value.tanh`: the exercise is to write the gate "
                                 "— the forward value from `x.data` (math.tanh) and tanh's local gradient.")
        if node is None or node is Ellipsis:
            return reject(f"{MISSING}: `tanh_gate` returns {node!r}; make it return the new Value.")
        if not isinstance(node, Value):
            return report(False, f"`tanh_gate` should return a Value (the new node, made with x.gate(...)), got "
                                 f"{type(node).__name__}.")
        if tuple(node.inputs) != (probe,):
            n = len(topological_order(node)) - 1
            return report(False, f"`tanh_gate` should make ONE gate whose only input is x (x.gate(t, (x,), ...)); "
                                 f"yours builds {n} node(s) from smaller gates. Right or not, the exercise is to "
                                 f"write tanh's own local gradient.")
    return check_function(lambda k: _engine_run(tanh_gate, k), "tanh_gate", _torch_run,
                          [(k,) for k in range(len(TANH_EXPRESSIONS))],
                          [(lambda k, wrong=wrong: _engine_run(wrong, k), hint) for wrong, hint in TANH_MISTAKES],
                          shortcuts=(Value.tanh,), atol=1e-9, rtol=1e-9,
                          success="your gate, plugged into the engine, gives torch's values and gradients on "
                                  "every test expression.",
                          fallback="the values or gradients disagree with torch: the value should be tanh(a) and "
                                   "the local gradient d tanh(a)/da, computed from the cached output.")


# ---------------------------------------------------------------- the student's backward()
def _graph(k: int) -> Value:
    """Graphs the notebook never shows, each with a node used more than once (where the order matters)."""
    x, y, z = Value(0.6, label="x"), Value(-1.2, label="y"), Value(2.0, label="z")
    if k == 0:    # a diamond: a feeds both b and c, which meet again
        a = x * y
        return (a + x) * (a.tanh() + z)
    if k == 1:    # a node used three times, through paths of different lengths
        a = x + z
        return a * a * a + (a * y).exp()
    if k == 2:    # a chain with a shortcut from its start to its end
        h = x
        for _ in range(5):
            h = (h * 1.3 + y).tanh()
        return h * x + z.sigmoid()
    if k == 3:    # micrograd's neuron, one of its weights shared by both inputs
        return (x * y + z * y + 0.5).tanh() * y
    a = x.maximum(z) * y                         # max routes; a deep reuse of a
    return (a + 1.0) / (a * a + 2.0) - a.relu()


N_GRAPHS = 5


def _grads_after(backward: Callable[[Value], object], k: int) -> np.ndarray | None:
    """Every node's gradient, in a fixed order, after ``backward(root)`` on graph ``k`` (None for the stub)."""
    root = _graph(k)
    if backward(root) is Ellipsis:
        return None
    return np.array([node.grad for node in topological_order(root)])


def _reference_backward(root: Value) -> None:
    root.backward()


def _order(root: Value) -> list[Value]:
    return topological_order(root)


def _no_base_case(root: Value) -> None:
    for node in reversed(_order(root)):
        for child, local in zip(node.inputs, node.local_grads(), strict=True):
            child.grad += node.grad * local


def _assign(root: Value) -> None:
    root.grad = 1.0
    for node in reversed(_order(root)):
        for child, local in zip(node.inputs, node.local_grads(), strict=True):
            child.grad = node.grad * local


def _inputs_first(root: Value) -> None:
    root.grad = 1.0
    for node in _order(root):
        for child, local in zip(node.inputs, node.local_grads(), strict=True):
            child.grad += node.grad * local


def _recursive(root: Value) -> None:
    root.grad = 1.0

    def send(node: Value) -> None:  # passes its gradient on before all of its uses have added theirs
        for child, local in zip(node.inputs, node.local_grads(), strict=True):
            child.grad += node.grad * local
            send(child)
    send(root)


def _local_only(root: Value) -> None:
    root.grad = 1.0
    for node in reversed(_order(root)):
        for child, local in zip(node.inputs, node.local_grads(), strict=True):
            child.grad += local


# (wrong backward, hint): each makes the mistake its hint names (tests feed them to the check)
BACKWARD_MISTAKES = [
    (_no_base_case, "every gradient is 0: the pass needs its base case, d root / d root = 1, before the loop."),
    (_assign, "a node used more than once keeps only its last contribution: gradients from several uses add up "
              "(+=), they do not replace each other (=)."),
    (_inputs_first, "you visit the inputs before the nodes that use them: the backward pass starts at the output, "
                    "so walk the topological order from its end."),
    (_recursive, "some nodes pass their gradient on before all of their uses have added theirs (a node reached by "
                 "two paths sends twice): that is what the topological order prevents — build it first, then walk "
                 "it once from the output."),
    (_local_only, "the chain rule multiplies: each input gets the node's upstream gradient × the local gradient, "
                  "not the local gradient alone."),
]


def check_backward(backward: object) -> bool:
    """Exercise: ``backward(root)`` fills ``.grad`` of every node of the graph ending at ``root`` (its own
    topological order, the base case, the chain rule with +=), compared with the engine's on unseen graphs.
    Calling the engine's own ``backward``/``topological_order`` is reported, not accepted."""
    if is_stub(backward) or not callable(backward) or _does_nothing(backward):
        return check_function(None if callable(backward) else backward, "backward",
                              lambda k: _grads_after(_reference_backward, k), [])
    import nlpcourse.autograd as engine

    from . import topological_order as engine_order

    if replaying():  # the grader judges the recorded outputs; the calls below ran in the sandbox
        return _judge_backward(backward)
    calls = []

    def refuse(*_args: object, **_kwargs: object) -> None:
        calls.append(1)
        raise _Delegated

    engine_backward = Value.backward
    Value.backward, engine.topological_order = refuse, refuse
    try:
        outputs = []
        for k in range(N_GRAPHS):
            try:
                outputs.append(_grads_after(backward, k))
            except _Delegated:
                break
            except Exception:  # the student's bug: check_function below reports it
                break
    finally:
        Value.backward, engine.topological_order = engine_backward, engine_order
    if calls:
        return report(False, "your `backward` calls the engine's own `backward()` or `topological_order`: "
                             "the exercise is to write both — the order with a depth-first search over "
                             "`node.inputs`, then the chain rule over it.")
    return _judge_backward(backward)


def _judge_backward(backward: Callable[[Value], object]) -> bool:
    return check_function(lambda k: _grads_after(backward, k), "backward",
                          lambda k: _grads_after(_reference_backward, k), [(k,) for k in range(N_GRAPHS)],
                          [(lambda k, wrong=wrong: _grads_after(wrong, k), hint) for wrong, hint in BACKWARD_MISTAKES],
                          atol=1e-9, rtol=1e-9,
                          success="every node's gradient equals the engine's on graphs with shared nodes, a chain "
                                  "and a max: the topological order, the base case and += are all right.",
                          fallback="some gradients disagree with the engine's: check the order of the visits, the "
                                   "base case, and that each input gets upstream × local added to its grad.")


def _does_nothing(fn: Callable[..., object]) -> bool:
    """True for the stub ``def backward(root): ...`` (a body that only returns None)."""
    if not hasattr(fn, "__code__"):
        return False
    return all(i.opname in ("RESUME", "NOP", "RETURN_VALUE", "RETURN_CONST") or
               (i.opname == "LOAD_CONST" and i.argval is None) for i in dis.get_instructions(fn))


class _Delegated(Exception):
    """Raised inside the check when the student's backward calls the engine's own."""
