"""Notebook 04: a scalar autograd engine, small enough to read in one sitting (after micrograd's engine.py).

A ``Value`` wraps one float. Every operation on Values makes a new Value that remembers its inputs, the
op's name, and a *local gradient* rule written right next to the forward computation::

    q = x + y          # forward: q.data = x.data + y.data      local: dq/dx = 1, dq/dy = 1
    L = q * z          # forward: L.data = q.data * z.data      local: dL/dq = z,  dL/dz = q

``L.backward()`` then walks the graph from ``L`` back to the inputs in reverse topological order and
applies the one rule every gate shares, the chain rule::

    input.grad += upstream gradient (node.grad) × local gradient (d node / d input)

It records each of those multiplications as a ``Step`` so that a figure or a widget can replay the pass
node by node (``stepper.BackpropStepper``). ``figures.draw_graph`` draws a graph, layered by depth, with matplotlib
only; ``checks.py`` holds the notebook's exercise checks, ``widgets.py`` its stepper widget.

The expressions used in the notebook are written with methods that torch tensors share
(``x.exp()``, ``x.log()``, ``x.tanh()``, ``x.sigmoid()``, ``x.relu()``, ``x.maximum(y)``), so the *same*
Python function runs on our Values and on torch tensors — that is how the tests compare the two.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..gradcheck import GradCheck, check_gradients

__all__ = [
    "Value", "Step", "backward", "topological_order", "value_and_grad", "check_with_torch", "steps_table",
    "describe_step", "node_name",
    "lecture_example", "logistic_neuron", "tanh_neuron", "EXAMPLES", "build_example",
]


def _as_float(x: object, name: str) -> float:
    """``x`` as a Python float if it is one real number, else a ValueError/TypeError naming ``name``."""
    if isinstance(x, numbers.Real):
        return float(x)
    shape = getattr(x, "shape", None)
    if shape is not None:  # numpy arrays, torch tensors: only a single number is a scalar
        if tuple(shape) == ():  # a 0-d array or tensor holds one number
            return float(x)
        raise ValueError(f"{name}: expected one real number (a scalar), got {type(x).__name__} of shape "
                         f"{tuple(shape)}; this engine works one number at a time — make one Value per entry")
    raise TypeError(f"{name}: expected a real number (int or float), got {type(x).__name__} {x!r}")


class Value:
    """One scalar in a computation graph: ``data`` (forward value), ``grad`` (d output / d self, filled by
    ``output.backward()``), ``op`` and ``inputs`` (how it was made; none for a leaf), a ``label`` for drawings,
    and on the output, ``backward_steps`` (the recorded pass)."""

    def __init__(self, data: float, inputs: tuple[Value, ...] = (), op: str = "", label: str = "") -> None:
        self.data = _as_float(data, "data")
        self.grad = 0.0
        self.inputs = tuple(inputs)
        self.op = op
        self.label = label
        self.backward_steps: list[Step] = []
        self._constant = False  # True for the leaves made from plain Python numbers (2 in `2 * x`)
        self._local: Callable[[], tuple[float, ...]] = lambda: ()  # d self / d each input, set by gate()

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.4f}, grad={self.grad:.4f})"

    # ---- making Values from numbers, and new Values from ops
    @staticmethod
    def _lift(other: object, op: str) -> Value:
        """``other`` as a Value: a Value is kept, a plain real number becomes a constant leaf."""
        if isinstance(other, Value):
            return other
        if isinstance(other, numbers.Real):
            const = Value(other, label=f"{float(other):g}")
            const._constant = True
            return const
        raise TypeError(f"{op}: unsupported operand type {type(other).__name__} ({other!r}); a Value combines "
                        f"with another Value or a plain int/float" +
                        ("; for a one-element tensor use .item()" if hasattr(other, "item") else ""))

    def gate(self, data: float, inputs: tuple[Value, ...], op: str,
              local_grads: Callable[[], tuple[float, ...]]) -> Value:
        """The new node ``op(*inputs) = data``; ``local_grads()`` returns d out / d each input, for backward()."""
        out = Value(data, inputs, op)
        out._local = local_grads
        return out

    def local_grads(self) -> tuple[float, ...]:
        """d self / d input, one float per input (the gate's rule, evaluated at the cached forward values)."""
        local = self._local()
        if not isinstance(local, tuple | list) or len(local) != len(self.inputs):
            raise TypeError(f"{node_name(self)} ({self.op}): the local-gradient function must return a tuple with one "
                            f"number per input ({len(self.inputs)} here, e.g. (d,) for one input), got {local!r}")
        return tuple(float(g) for g in local)

    # ---- the gates: forward value and local gradients side by side
    def __add__(self, other: object) -> Value:  # add distributes: both local gradients are 1
        other = self._lift(other, "+")
        return self.gate(self.data + other.data, (self, other), "+", lambda: (1.0, 1.0))

    def __sub__(self, other: object) -> Value:  # d(a - b)/da = 1, d(a - b)/db = -1
        other = self._lift(other, "-")
        return self.gate(self.data - other.data, (self, other), "-", lambda: (1.0, -1.0))

    def __mul__(self, other: object) -> Value:  # mul swaps: d(ab)/da = b, d(ab)/db = a
        other = self._lift(other, "*")
        a, b = self.data, other.data
        return self.gate(a * b, (self, other), "*", lambda: (b, a))

    def __truediv__(self, other: object) -> Value:  # d(a/b)/da = 1/b, d(a/b)/db = -a/b² (as -a/b/b)
        other = self._lift(other, "/")
        if other.data == 0.0:
            raise ValueError(f"/: division by zero (the denominator {other!r} is 0)")
        a, b = self.data, other.data
        return self.gate(a / b, (self, other), "/", lambda: (1.0 / b, -a / b / b))  # not b**2: 0 for tiny b

    def __neg__(self) -> Value:  # d(-a)/da = -1
        return self.gate(-self.data, (self,), "neg", lambda: (-1.0,))

    def __pow__(self, k: object) -> Value:  # a power by a constant k: d(a^k)/da = k a^(k-1)
        if isinstance(k, Value) or not isinstance(k, numbers.Real):
            raise TypeError(f"**: the exponent must be a plain number (int or float), got {type(k).__name__}; "
                            f"for a Value exponent write (y * x.log()).exp()")
        k, a = float(k), self.data
        if a == 0.0 and k < 0:
            raise ValueError(f"**: 0 to the negative power {k:g} is undefined (division by zero)")
        if a < 0.0 and not k.is_integer():
            raise ValueError(f"**: a negative base {a:g} to the non-integer power {k:g} is not a real number")
        try:
            out = a**k
        except OverflowError:
            raise ValueError(f"**: {a:g} to the power {k:g} overflows a float") from None
        return self.gate(out, (self,), f"**{k:g}", lambda: (_power_slope(a, k),))

    def exp(self) -> Value:
        """e**self (ValueError when it overflows a float); local gradient e**self (the gate's own output)."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise ValueError(f"exp: input {self.data:g} is too large, e**{self.data:g} overflows a float "
                             f"(inputs above about 709.78 do)") from None
        return self.gate(e, (self,), "exp", lambda: (e,))  # the exp gate's local gradient is its output

    def log(self) -> Value:
        """Natural log (ValueError for self <= 0); local gradient 1/self."""
        if self.data <= 0.0:
            name = f"{self.label} = " if self.label else ""
            raise ValueError(f"log: expected a positive input, got {name}{self.data:g} (log is only defined for "
                             f"inputs > 0)")
        a = self.data
        return self.gate(math.log(a), (self,), "log", lambda: (1.0 / a,))

    def tanh(self) -> Value:
        """tanh(self); local gradient 1 - tanh(self)**2."""
        t = math.tanh(self.data)
        return self.gate(t, (self,), "tanh", lambda: (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """σ(self) = 1 / (1 + e**-self) as one gate; local gradient σ(self)(1 - σ(self))."""
        z = self.data
        s = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))  # no overflow
        return self.gate(s, (self,), "sigmoid", lambda: (s * (1.0 - s),))

    def relu(self) -> Value:
        """max(self, 0); local gradient 1 where self > 0, else 0 (as torch, also at 0)."""
        a = self.data
        return self.gate(max(a, 0.0), (self,), "relu", lambda: (1.0 if a > 0 else 0.0,))

    def maximum(self, other: object) -> Value:
        """max(self, other); routes the gradient to the larger input (a tie: half each, as torch.maximum)."""
        other = self._lift(other, "maximum")
        a, b = self.data, other.data
        return self.gate(max(a, b), (self, other), "max",
                          lambda: (1.0, 0.0) if a > b else (0.0, 1.0) if b > a else (0.5, 0.5))

    # a plain number on the left: 2 * x, 1 + x, 10.0 / x, 1 - x
    def __radd__(self, other: object) -> Value:
        return self._lift(other, "+") + self

    def __rsub__(self, other: object) -> Value:
        return self._lift(other, "-") - self

    def __rmul__(self, other: object) -> Value:
        return self._lift(other, "*") * self

    def __rtruediv__(self, other: object) -> Value:
        return self._lift(other, "/") / self

    # ---- the backward pass
    def zero_grad(self) -> None:
        """Set ``grad = 0`` on every node of the graph that ends here, and forget the recorded steps."""
        for node in topological_order(self):
            node.grad = 0.0
        self.backward_steps = []

    def backward(self, accumulate: bool = True, check_stale: bool = True) -> None:
        """Fill every node's ``.grad`` with d self / d node: base case 1, then ``input.grad += node.grad × local``
        over the nodes in reverse topological order (a node passes its gradient back after all its uses).

        ``accumulate=False`` shows the classic bug ``input.grad = ...`` (wrong for a Value used twice);
        ``check_stale=False`` lets a second pass add to stale gradients (RuntimeError otherwise: zero_grad()).
        """
        order = topological_order(self)
        if check_stale:
            _refuse_stale_gradients(order)
        self.grad = 1.0  # base case: dL/dL = 1
        steps = [Step(None, self, 1.0, 1.0, 1.0)]
        for node in reversed(order):
            for child, local in zip(node.inputs, node.local_grads(), strict=True):
                if accumulate:
                    child.grad += node.grad * local
                else:
                    child.grad = node.grad * local
                steps.append(Step(node, child, node.grad, local, child.grad))
        self.backward_steps = steps


def _power_slope(a: float, k: float) -> float:
    """d(a^k)/da = k a^(k-1), defined wherever torch defines it: 0 for k = 0 (a constant, also at a = 0),
    1 for k = 1, +inf at a = 0 for 0 < k < 1 (a vertical tangent), ±inf where k a^(k-1) overflows."""
    if k == 0.0:
        return 0.0  # a**0 = 1 everywhere: flat, even at 0 (where k a^(k-1) would divide 0 by 0)
    if a == 0.0 and k < 1.0:
        return math.inf  # 0 < k < 1 (k < 0 at 0 is refused in the forward pass)
    try:
        return k * a ** (k - 1)
    except OverflowError:  # |a| tiny and k < 1: the slope is larger than any float
        odd = (k - 1).is_integer() and int(k - 1) % 2 != 0
        return math.copysign(math.inf, k * (a if odd else 1.0))


def _refuse_stale_gradients(order: list[Value]) -> None:
    """RuntimeError when a node already holds a gradient: a second backward() would add to it."""
    stale = [node for node in order if node.grad != 0.0]
    if stale:
        names = ", ".join(f"{node_name(n)}.grad={n.grad:.4g}" for n in stale[:3])
        raise RuntimeError(
            f"backward: {len(stale)} node(s) of this graph already hold a gradient ({names}"
            f"{', ...' if len(stale) > 3 else ''}) from an earlier backward(). Gradients accumulate with "
            f"+=, so a second pass would add to them — and not just twice: the intermediate nodes' stale "
            f"gradients flow down as well. Call zero_grad() first.")


def backward(output: Value) -> None:
    """``output.backward()`` for one scalar Value (ValueError for a list of outputs: dL/dx needs one L)."""
    if not isinstance(output, Value):
        raise ValueError(_not_a_value(output, "output"))
    output.backward()


def topological_order(root: Value) -> list[Value]:
    """The graph's distinct nodes, each after all of its inputs (``root`` last); an iterative depth-first
    search, so a chain of thousands of ops does not hit Python's recursion limit."""
    if not isinstance(root, Value):
        raise ValueError(_not_a_value(root, "root"))
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.inputs) if id(child) not in seen)
    return order


def _not_a_value(x: object, name: str) -> str:
    """The message for backward/ordering called on something that is not one scalar Value."""
    if isinstance(x, list | tuple) or getattr(x, "shape", ()) != ():
        n = len(x) if isinstance(x, list | tuple) else tuple(x.shape)
        return (f"{name}: backward needs one scalar output (a single Value, the loss), got "
                f"{type(x).__name__} of {'length' if isinstance(n, int) else 'shape'} {n}. A gradient "
                f"dL/dx needs one L: combine the outputs into one Value first, e.g. sum(outputs)")
    return f"{name}: expected a Value, got {type(x).__name__} {x!r}"


@dataclass(frozen=True)
class Step:
    """One multiplication of the backward pass, ``target.grad += upstream × local`` (``gate`` None for the base
    case dL/dL = 1; ``result`` is target.grad after the step)."""

    gate: Value | None
    target: Value
    upstream: float
    local: float
    result: float


def value_and_grad(fn: Callable[..., Value], inputs: dict[str, float]) -> tuple[float, dict[str, float]]:
    """(output value, {name: d output / d input}) of ``fn(**Values)``, e.g. ``lambda x, y, z: (x + y) * z``."""
    leaves = {k: Value(v, label=k) for k, v in inputs.items()}
    out = fn(**leaves)
    if not isinstance(out, Value):
        raise ValueError(_not_a_value(out, "fn(...)"))
    out.backward()
    return out.data, {k: v.grad for k, v in leaves.items()}


def check_with_torch(fn: Callable[..., object], inputs: dict[str, float], tol: float = 1e-6) -> GradCheck:
    """Our engine vs torch autograd vs finite differences on one expression, written once with what Values and
    tensors share (``+ - * / **``, ``.exp() .log() .tanh() .sigmoid() .relu() .maximum()``)."""
    return check_gradients(lambda p: value_and_grad(fn, p), lambda p: fn(**p), inputs, tol=tol)


def node_name(node: Value) -> str:
    return node.label or node.op or "?"


def describe_step(step: Step, output: str = "L") -> str:
    """``∂L/∂q = ∂L/∂L × ∂L/∂q = 1.00 × -4.00 = -4.00`` (``+=`` and the running sum for a reused target)."""
    t = node_name(step.target)
    if step.gate is None:
        return f"base case: ∂{t}/∂{t} = 1"
    g, contribution = node_name(step.gate), step.upstream * step.local
    first_use = math.isclose(contribution, step.result, abs_tol=1e-12)  # else it adds to earlier uses
    line = (f"∂{output}/∂{t} {'=' if first_use else '+='} ∂{output}/∂{g} × ∂{g}/∂{t} = "
            f"{step.upstream:.2f} × {step.local:.2f} = {contribution:.2f}")
    return line if first_use else f"{line} → {step.result:.2f}"


def steps_table(root: Value) -> pd.DataFrame:
    """The recorded backward pass of ``root``, a row per step: gate, target, upstream, local, product, target.grad."""
    if not isinstance(root, Value):
        raise ValueError(_not_a_value(root, "root"))
    if not root.backward_steps:
        raise ValueError(f"root: no recorded steps on {node_name(root)}; call {node_name(root)}.backward() first")
    rows = [{"gate": "—" if s.gate is None else f"{node_name(s.gate)} ({s.gate.op})", "target": node_name(s.target),
             "upstream": s.upstream, "local": s.local, "upstream×local": s.upstream * s.local,
             "target.grad": s.result} for s in root.backward_steps]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the notebook's graphs
def _named(v: Value, label: str) -> Value:
    v.label = label
    return v


def lecture_example(x: float = -2.0, y: float = 5.0, z: float = -4.0) -> Value:
    """The lecture's L = (x + y)·z: nodes x, y, z, q = x + y, L = q·z (q = 3, L = -12 at the defaults)."""
    xv, yv, zv = Value(x, label="x"), Value(y, label="y"), Value(z, label="z")
    q = _named(xv + yv, "q")
    return _named(q * zv, "L")


def logistic_neuron(w0: float = 2.0, x0: float = -1.0, w1: float = -3.0, x1: float = -2.0, b: float = -3.0,
                    collapsed: bool = False) -> Value:
    """f(w, x) = σ(w0·x0 + w1·x1 + b), either gate by gate (*, *, +, +, neg, exp, +1, **-1; nodes w0x0,
    w1x1, s, z, u = -z, e = exp(u), d = 1 + e, f = 1/d) or with the sigmoid collapsed into one gate
    (``collapsed=True``). Same value and gradients either way (f = 0.73 at the lecture's numbers)."""
    leaves = [Value(v, label=n) for v, n in zip((w0, x0, w1, x1, b), ("w0", "x0", "w1", "x1", "b"), strict=True)]
    w0v, x0v, w1v, x1v, bv = leaves
    z = _named(_named(_named(w0v * x0v, "w0x0") + _named(w1v * x1v, "w1x1"), "s") + bv, "z")
    if collapsed:
        return _named(z.sigmoid(), "f")
    d = _named(1 + _named(_named(-z, "u").exp(), "e"), "d")
    return _named(d**-1, "f")


def tanh_neuron(x1: float = 2.0, w1: float = -3.0, x2: float = 0.0, w2: float = 1.0,
                b: float = 6.8813735870195432) -> Value:
    """o = tanh(x1·w1 + x2·w2 + b), micrograd's two-input neuron (o = 0.7071 at the defaults)."""
    leaves = [Value(v, label=n) for v, n in zip((x1, w1, x2, w2, b), ("x1", "w1", "x2", "w2", "b"), strict=True)]
    x1v, w1v, x2v, w2v, bv = leaves
    n = _named(_named(_named(x1v * w1v, "x1w1") + _named(x2v * w2v, "x2w2"), "s") + bv, "n")
    return _named(n.tanh(), "o")


# name -> (builder, default inputs): the graphs the widget offers
EXAMPLES: dict[str, tuple[Callable[..., Value], dict[str, float]]] = {
    "(x+y)z": (lecture_example, {"x": -2.0, "y": 5.0, "z": -4.0}),
    "logistic neuron": (logistic_neuron, {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "b": -3.0}),
    "tanh neuron": (tanh_neuron, {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8814}),
}


def build_example(name: str, inputs: dict[str, float] | None = None) -> Value:
    """The output Value (not back-propagated) of one of ``EXAMPLES`` at ``inputs`` (defaults for the rest)."""
    if name not in EXAMPLES:
        raise KeyError(f"name: expected one of {list(EXAMPLES)}, got {name!r}")
    builder, defaults = EXAMPLES[name]
    unknown = sorted(set(inputs or {}) - set(defaults))
    if unknown:
        raise KeyError(f"inputs: {name} has inputs {list(defaults)}, got unknown {unknown}")
    return builder(**{**defaults, **(inputs or {})})
