"""The scalar autograd engine of notebook 04: the lecture's numbers, torch agreement, bad input, stepper,
drawing, the widget and the notebook's checks."""

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nlpcourse import autograd as A
from nlpcourse.autograd import Value, checks, figures, widgets
from nlpcourse.autograd.stepper import BackpropStepper
from nlpcourse.gradcheck import torch_gradients


def torch_value_and_grad(fn, inputs):
    """Reference: the same expression on float64 torch tensors (gradcheck's autograd runner)."""
    value, grads = torch_gradients(lambda tensors: fn(**tensors), inputs)
    return value, {k: float(g) for k, g in grads.items()}


def _long_chain(x, y):
    for _ in range(300):  # 2402 nodes: deeper than Python's recursion limit would allow recursively
        x = (x * 0.9 + y * 0.1).tanh() + 0.5
    return x


# A dozen expressions of increasing size; each runs unchanged on Values and on torch tensors.
EXPRESSIONS = [
    ("lecture (x+y)z", lambda x, y, z: (x + y) * z, {"x": -2.0, "y": 5.0, "z": -4.0}),
    ("sub, div, neg", lambda x, y: -(x - y) / y, {"x": 1.5, "y": -0.7}),
    ("numbers on both sides", lambda x: 2 * x + 1 - 10.0 / x + x * 3 - 4 / (1 + x) + x**3 - 2**1 * x,
     {"x": 1.3}),
    ("powers", lambda x, y: x**2 * y**-1 + x**0.5 - (y * y) ** 1.5, {"x": 2.0, "y": 1.7}),
    ("exp and log", lambda x, y: (x * y).exp().log() + (x.exp() + y).log(), {"x": 0.3, "y": 2.0}),
    ("tanh, sigmoid, relu", lambda x, y: x.tanh() * y.sigmoid() + (x - y).relu() + (y - x).relu() * x,
     {"x": 0.8, "y": -0.4}),
    ("max routes", lambda x, y, z: 2 * (x * y + z.maximum(y)), {"x": 3.0, "y": -4.0, "z": 2.0}),
    ("reused variable", lambda x: x * x + x * x * x + x, {"x": -1.3}),
    ("shared sub-expression", lambda a, b: ((a + b) * (a + b)).tanh() * (a + b) + (a + b).exp(),
     {"a": 0.2, "b": -0.5}),
    ("logistic neuron gate by gate",
     lambda w0, x0, w1, x1, b: 1 / (1 + (-(w0 * x0 + w1 * x1 + b)).exp()),
     {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "b": -3.0}),
    ("softmax cross-entropy of 3 logits",
     lambda a, b, c: -(a.exp() / (a.exp() + b.exp() + c.exp())).log(), {"a": 1.0, "b": 2.0, "c": -0.5}),
    ("long chain", _long_chain, {"x": 0.3, "y": -0.2}),
]


@pytest.mark.parametrize("name, fn, inputs", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_values_and_gradients_agree_with_torch(name, fn, inputs):
    value, grads = A.value_and_grad(fn, inputs)
    value_t, grads_t = torch_value_and_grad(fn, inputs)
    assert value == pytest.approx(value_t, abs=1e-6)
    for k in inputs:
        assert grads[k] == pytest.approx(grads_t[k], abs=1e-6), k


@pytest.mark.parametrize("name, fn, inputs", EXPRESSIONS[:-1], ids=[e[0] for e in EXPRESSIONS[:-1]])
def test_check_with_torch_passes_including_finite_differences(name, fn, inputs):
    result = A.check_with_torch(fn, inputs)
    assert result.ok, str(result)
    assert "passed" in str(result)


def test_check_with_torch_catches_a_wrong_local_gradient(monkeypatch):
    monkeypatch.setattr(Value, "tanh", lambda self: self.gate(math.tanh(self.data), (self,), "tanh",
                                                               lambda: (1.0,)))  # wrong: should be 1 - t²
    assert not A.check_with_torch(lambda x: x.tanh() * 2, {"x": 0.7}).ok


# ---------------------------------------------------------------- the lecture's numbers
def test_lecture_example_exact_numbers():
    L = A.lecture_example()
    q = L.inputs[0]
    x, y = q.inputs
    z = L.inputs[1]
    assert (q.label, q.data, L.label, L.data) == ("q", 3.0, "L", -12.0)
    L.backward()
    assert (L.grad, z.grad, q.grad, x.grad, y.grad) == (1.0, 3.0, -4.0, -4.0, -4.0)


def test_lecture_example_recorded_steps():
    L = A.lecture_example()
    L.backward()
    table = A.steps_table(L)
    assert list(table.columns) == ["gate", "target", "upstream", "local", "upstream×local", "target.grad"]
    assert list(table["target"]) == ["L", "q", "z", "x", "y"]
    assert list(table["upstream"]) == [1.0, 1.0, 1.0, -4.0, -4.0]
    assert list(table["local"]) == [1.0, -4.0, 3.0, 1.0, 1.0]
    assert list(table["target.grad"]) == [1.0, -4.0, 3.0, -4.0, -4.0]
    lines = [A.describe_step(s) for s in L.backward_steps]
    assert lines[0] == "base case: ∂L/∂L = 1"
    assert lines[1] == "∂L/∂q = ∂L/∂L × ∂L/∂q = 1.00 × -4.00 = -4.00"
    assert lines[3] == "∂L/∂x = ∂L/∂q × ∂q/∂x = -4.00 × 1.00 = -4.00"


def test_reused_variable_accumulates_and_the_assign_bug():
    x = Value(3.0, label="x")
    y = x * x
    y.backward()
    assert x.grad == 6.0
    assert A.describe_step(y.backward_steps[-1], "y").startswith("∂y/∂x += ")
    assert A.describe_step(y.backward_steps[-1], "y").endswith("→ 6.00")
    x2 = Value(3.0)
    y2 = x2 * x2
    y2.backward(accumulate=False)  # the bug: the second use overwrites the first
    assert x2.grad == 3.0


def test_logistic_neuron_gate_by_gate_equals_collapsed_sigmoid():
    f1, f2 = A.logistic_neuron(), A.logistic_neuron(collapsed=True)
    f1.backward()
    f2.backward()
    assert f1.data == pytest.approx(f2.data, abs=1e-12)
    assert f1.data == pytest.approx(0.7311, abs=1e-4)
    g1 = {n.label: n.grad for n in A.topological_order(f1) if n.label in ("w0", "x0", "w1", "x1", "b")}
    g2 = {n.label: n.grad for n in A.topological_order(f2) if n.label in g1}
    assert g1 == pytest.approx(g2, abs=1e-12)
    # the lecture's rounded numbers
    assert {k: round(v, 2) for k, v in g1.items()} == {"w0": -0.2, "x0": 0.39, "w1": -0.39, "x1": -0.59, "b": 0.2}
    ops = [n.op for n in A.topological_order(f1) if n.inputs]
    assert ops == ["*", "*", "+", "+", "neg", "exp", "+", "**-1"]
    assert [n.op for n in A.topological_order(f2) if n.inputs][-1] == "sigmoid"


def test_tanh_neuron_micrograd_numbers():
    o = A.tanh_neuron()
    o.backward()
    grads = {n.label: n.grad for n in A.topological_order(o)}
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-6)
    assert grads["x1"] == pytest.approx(-1.5, abs=1e-6) and grads["w1"] == pytest.approx(1.0, abs=1e-6)
    assert grads["x2"] == pytest.approx(0.5, abs=1e-6) and grads["w2"] == 0.0


def test_ties_and_kinks_follow_torch():
    for fn, inputs in [(lambda x, y: x.maximum(y), {"x": 2.0, "y": 2.0}), (lambda x: x.relu(), {"x": 0.0})]:
        assert A.value_and_grad(fn, inputs)[1] == pytest.approx(torch_value_and_grad(fn, inputs)[1])


def test_sigmoid_does_not_overflow():
    for z in (-1000.0, 1000.0):
        v = Value(z)
        s = v.sigmoid()
        s.backward()
        assert s.data in (0.0, 1.0) and v.grad == 0.0


def test_topological_order_lists_each_node_once_after_its_inputs():
    a = Value(1.0)
    s = a + a
    out = s * s + s
    order = A.topological_order(out)
    assert len(order) == 4 and order[-1] is out
    pos = {id(n): i for i, n in enumerate(order)}
    assert all(pos[id(c)] < pos[id(n)] for n in order for c in n.inputs)


def test_backward_applies_each_local_rule_once():
    a, b = Value(0.2, label="a"), Value(-0.5, label="b")
    s = a + b  # shared: used four times below
    out = (s * s).tanh() * s + s.exp() + a * 2
    order = A.topological_order(out)
    calls = {}
    for node in order:
        rule = node._local

        def counted(node=node, rule=rule):
            calls[id(node)] = calls.get(id(node), 0) + 1
            return rule()
        node._local = counted
    out.backward()
    assert calls == {id(n): 1 for n in order}
    assert len(out.backward_steps) == 1 + sum(len(n.inputs) for n in order)  # base case + one step per edge
    base, first = out.backward_steps[:2]
    assert isinstance(base, A.Step) and (base.gate, base.target, base.result) == (None, out, 1.0)
    assert (first.gate, first.upstream, first.local, first.result) == (out, 1.0, 1.0, 1.0)  # the last add


def test_zero_grad_then_backward_gives_the_same_gradients():
    L = A.lecture_example()
    L.backward()
    first = [n.grad for n in A.topological_order(L)]
    L.zero_grad()
    assert all(n.grad == 0.0 for n in A.topological_order(L)) and L.backward_steps == []
    L.backward()
    assert [n.grad for n in A.topological_order(L)] == first


def test_repr_and_plain_number_inputs():
    assert repr(Value(3, label="q")) == "Value(label='q', data=3.0000, grad=0.0000)"
    assert Value(np.float32(2.5)).data == 2.5 and Value(np.array(1.5)).data == 1.5
    assert Value(torch.tensor(2.0)).data == 2.0


# ---------------------------------------------------------------- bad input
def test_backward_twice_without_zero_grad_raises():
    L = A.lecture_example()
    L.backward()
    with pytest.raises(RuntimeError, match=r"already hold a gradient.*zero_grad\(\)"):
        L.backward()
    x = L.inputs[0].inputs[0]
    assert x.grad == -4.0  # the failed call changed nothing
    L2 = x * 2  # a new loss on a leaf with a stale gradient: the forgotten zero_grad of a training loop
    with pytest.raises(RuntimeError, match="x.grad=-4"):
        L2.backward()


def test_backward_on_a_non_scalar_output_raises():
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match=r"output: backward needs one scalar output.*list of length 2.*sum"):
        A.backward([a * b, a + b])
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        A.backward(torch.ones(3))
    with pytest.raises(ValueError, match="output: expected a Value, got float"):
        A.backward(1.0)
    with pytest.raises(ValueError, match="fn"):
        A.value_and_grad(lambda x: [x, x], {"x": 1.0})
    out = a * b
    A.backward(out)
    assert (a.grad, b.grad) == (2.0, 1.0)


def test_value_of_a_non_scalar_raises():
    with pytest.raises(ValueError, match=r"data: expected one real number \(a scalar\), got ndarray of shape \(2,\)"):
        Value(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="data: expected a real number.*str"):
        Value("3")


def test_exp_overflow_raises_a_clear_error():
    assert Value(709.0).exp().data == pytest.approx(math.exp(709.0))
    with pytest.raises(ValueError, match="exp: input 710 is too large"):
        Value(710.0).exp()
    with pytest.raises(ValueError, match="exp: input 997 is too large"):
        A.build_example("logistic neuron", {"w0": 1000.0})  # z = -997, u = -z


def test_log_of_a_non_positive_value_raises():
    for bad in (0.0, -2.0):
        with pytest.raises(ValueError, match=f"log: expected a positive input, got {bad:g}"):
            Value(bad).log()


@pytest.mark.parametrize("make", [lambda v: v + "1", lambda v: "1" + v, lambda v: v * [2], lambda v: v - None,
                                  lambda v: v / "x", lambda v: v.maximum("x")])
def test_unsupported_operand_types_raise(make):
    with pytest.raises(TypeError, match="unsupported operand type"):
        make(Value(1.0))


def test_tensor_operand_hint_and_bad_powers():
    with pytest.raises(TypeError, match=r"\.item\(\)"):
        Value(1.0) + torch.tensor(1.0)
    with pytest.raises(TypeError, match="exponent must be a plain number"):
        Value(2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="0 to the negative power"):
        Value(0.0) ** -1
    with pytest.raises(ValueError, match="not a real number"):
        Value(-8.0) ** 0.5
    with pytest.raises(ValueError, match="division by zero"):
        Value(1.0) / 0


def test_steps_table_needs_a_backward_pass():
    with pytest.raises(ValueError, match=r"call L.backward\(\) first"):
        A.steps_table(A.lecture_example())


# ---------------------------------------------------------------- stepper and drawing
def test_stepper_forward_then_backward():
    st = BackpropStepper(A.lecture_example())
    assert len(st.gates) == 2 and len(st.steps) == 5
    assert set(st.shown_values().values()) == {-2.0, 5.0, -4.0} and st.shown_grads() == {}
    assert st.backward_step() is False and "forward pass first" in st.message
    assert st.forward_step() and st.message == "forward: q = +(x=-2.00, y=5.00) = 3.0000"
    assert st.forward_step() and st.forward_done and st.forward_step() is False
    assert st.shown_values()[id(st.root)] == -12.0
    assert st.backward_step() and st.message == "backward: base case: ∂L/∂L = 1"
    assert st.backward_step() and st.current.target.label == "q"
    assert st.shown_grads() == {id(st.root): 1.0, id(st.current.target): -4.0}
    while st.step():
        pass
    assert st.backward_done and "backward pass done" in st.message
    assert st.shown_grads() == {id(n): n.grad for n in st.order}
    assert st.current is None  # nothing left: nothing highlighted
    st.reset()
    assert (st.n_forward, st.n_backward, st.current) == (0, 0, None)
    st.run_all()
    assert st.forward_done and st.backward_done


def test_stepper_replays_accumulation_of_a_reused_node():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    st = BackpropStepper(y)
    st.run_all()
    results = [s.result for s in st.steps if s.target is x]
    assert results == [3.0, 6.0]


def test_build_example_and_bad_names():
    assert A.build_example("(x+y)z", {"z": 2.0}).data == 6.0
    assert set(A.EXAMPLES) == {"(x+y)z", "logistic neuron", "tanh neuron"}
    with pytest.raises(KeyError, match="name: expected one of"):
        A.build_example("mlp")
    with pytest.raises(KeyError, match=r"unknown \['w'\]"):
        A.build_example("(x+y)z", {"w": 1.0})


def test_draw_graph_layout_and_figure():
    f = A.logistic_neuron()
    pos = figures._layout(f)
    by_label = {n.label: pos[id(n)] for n in A.topological_order(f)}
    assert {by_label[k][0] for k in ("w0", "x0", "w1", "x1", "b")} == {0}
    assert by_label["f"][0] == max(c for c, _ in pos.values())
    assert by_label["1"][0] == by_label["d"][0] - 1  # a constant sits next to its gate
    rows = {}
    for col, row in pos.values():
        rows.setdefault(col, []).append(row)
    assert all(abs(a - b) >= 1.0 for rs in rows.values() for i, a in enumerate(rs) for b in rs[i + 1:])
    f.backward()
    fig = figures.draw_graph(f, title="done")
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"f [**-1]", "0.7311", "grad -0.1966"} <= set(texts)
    other = Figure()
    ax = other.add_subplot()
    assert figures.draw_graph(f, ax=ax) is other
    with pytest.raises(ValueError, match="root"):
        figures.draw_graph([f])


def test_stepper_draw_marks_unknown_values_and_the_current_node():
    st = BackpropStepper(A.lecture_example())
    texts = [t.get_text() for t in st.draw().axes[0].texts]
    assert "q [+]" in texts and texts.count("?") == 2 and texts.count("grad ?") == 5  # q and L not yet known
    st.forward_step()
    orange = (1.0, 127 / 255, 14 / 255)

    def highlighted(fig):
        return [p for p in fig.axes[0].patches if np.allclose(p.get_edgecolor()[:3], orange)]
    assert len(highlighted(st.draw())) == 1  # q, the node just computed
    st.run_all()
    fig = st.draw()
    assert "grad -4" in [t.get_text() for t in fig.axes[0].texts]
    assert fig.axes[0].get_title(loc="left").startswith("backward pass done")
    assert highlighted(fig) == []  # when both passes are done nothing is highlighted


def test_backprop_stepper_widget_buttons_and_inputs():
    box = widgets.backprop_stepper()
    choice, forward, backward, run_all, reset = box.children[0].children
    assert [b.description for b in (forward, backward, run_all, reset)] == ["forward", "backward", "run all",
                                                                          "reset"]
    assert [t.description for t in box.children[1].children] == ["x", "y", "z"]
    forward.click()
    backward.click()
    run_all.click()
    reset.click()
    box.children[1].children[2].value = 2.0  # z = 2: a new graph
    choice.value = "logistic neuron"
    assert [t.description for t in box.children[1].children] == ["w0", "x0", "w1", "x1", "b"]
    message, image = box.children[2:]
    shown = image.value
    box.children[1].children[0].value = 1000.0  # exp overflows: the error is shown, the buttons do nothing
    forward.click()
    assert message.value.endswith("ValueError: exp: input 997 is too large, e**997 overflows a float (inputs above "
                                  "about 709.78 do)</span>")
    assert image.layout.display == "none" and image.value == shown  # no stale graph on screen
    box.children[1].children[0].value = 1.5  # a valid input: a graph again
    assert message.value == "" and image.layout.display is None
    assert image.value != shown and image.value[:4] == b"\x89PNG"  # ui.FigureView sends the figure as one PNG


# ---------------------------------------------------------------- the notebook's checks
def test_check_gate_patterns(capsys):
    assert checks.check_gate_patterns([12.0, -3.0, 0.0, 3.0])
    assert A.value_and_grad(lambda x, y, z, w: 3 * (x * y + z.maximum(w)),
                            {"x": -1.0, "y": 4.0, "z": -2.0, "w": 1.5})[1] == {"x": 12.0, "y": -3.0, "z": 0.0,
                                                                                "w": 3.0}
    for wrong, hint in [([4, -1, 0, 1], "multiplies by 3"), ([-3, 12, 0, 3], "mul gate swaps"),
                        ([12, -3, 3, 3], "max routes"), ([12, -3, 3, 0], "won the forward"),
                        ([1, 1, 0, 3], "max is right")]:
        capsys.readouterr()
        assert not checks.check_gate_patterns(wrong)
        assert hint in capsys.readouterr().out
    assert not checks.check_gate_patterns(None)
    assert "Not answered" in capsys.readouterr().out


def test_check_fork_gradient(capsys):
    assert checks.check_fork_gradient([1.0, -2.0])
    for wrong, hint in [([3, -2], "SUM of both"), ([-2, -2], "SUM of both"), ([1, 1], "only flows through q"),
                        ([-2, 1], "swapped")]:
        capsys.readouterr()
        assert not checks.check_fork_gradient(wrong)
        assert hint in capsys.readouterr().out
    assert not checks.check_fork_gradient(...)
    assert "Not answered" in capsys.readouterr().out


def test_check_neuron_gradients(capsys):
    f = A.logistic_neuron(collapsed=True)
    f.backward()
    g = {n.label: n.grad for n in A.topological_order(f)}
    assert checks.check_neuron_gradients([g["w0"], g["x0"]])
    assert checks.check_neuron_gradients([-0.2, 0.39])  # the lecture's rounding is accepted
    for wrong, hint in [([-0.7311, 1.4622], "not σ(z)"), ([-1.0, 2.0], "left out the sigmoid"),
                        ([0.3932, -0.1966], "swaps"), ([0.1966, -0.3932], "signs")]:
        capsys.readouterr()
        assert not checks.check_neuron_gradients(wrong)
        assert hint in capsys.readouterr().out
    assert not checks.check_neuron_gradients(None)


def _tanh_answer(x):
    t = math.tanh(x.data)
    return x.gate(t, (x,), "tanh", lambda: (1 - t * t,))


def test_check_tanh_gate_accepts_the_right_gate_and_it_equals_the_engines(capsys):
    assert checks.check_tanh_gate(_tanh_answer)
    assert "✅" in capsys.readouterr().out
    assert not checks.check_tanh_gate(lambda x: x.tanh())  # the engine's own gate is reported, not accepted


@pytest.mark.parametrize("k", range(len(checks.TANH_MISTAKES)))
def test_check_tanh_gate_every_hint_fires_for_its_mistake(capsys, k):
    wrong, hint = checks.TANH_MISTAKES[k]
    assert not checks.check_tanh_gate(wrong)
    out = capsys.readouterr().out
    assert hint in out
    assert "1 - t * t" not in out and "1 − t²" not in out and "1 − tanh" not in out  # never the answer


def _stub(x):
    ...


@pytest.mark.parametrize("student, message", [
    (..., "Not answered"),
    (_stub, "Not answered"),
    (lambda x: math.tanh(x.data), "should return a Value"),
    (lambda x: ((2 * x).exp() - 1) / ((2 * x).exp() + 1), "ONE gate"),
    (lambda x: x.gate(math.tanh(x.data), (x,), "tanh", lambda: 1.0), "a tuple with one number per input"),
    (lambda x: x.gate(math.tan(x.data), (x,), "tanh", lambda: (1 / math.cos(x.data) ** 2,)), "disagree with torch"),
])
def test_check_tanh_gate_other_answers(capsys, student, message):
    assert not checks.check_tanh_gate(student)
    assert message in capsys.readouterr().out


# ---------------------------------------------------------------- local gradients wherever torch has one
@pytest.mark.parametrize("k", [0, 1, 2, 3, 0.5, 1.5, 2.5, -1, -2, -0.5])
@pytest.mark.parametrize("a", [0.0, -1.5, 2.0, 1e-200, -1e-200, 1e150])
def test_power_value_and_gradient_match_torch_wherever_both_are_defined(k, a):
    xt = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    yt = xt**k
    yt.backward()
    if (a == 0.0 and k < 0) or (a < 0 and not float(k).is_integer()) or not math.isfinite(yt.item()):
        with pytest.raises(ValueError, match=r"\*\*"):  # torch gives inf/nan; the engine names the problem
            Value(a) ** k
        return
    x = Value(a)
    y = x**k
    y.backward()
    assert y.data == pytest.approx(yt.item(), rel=1e-12)
    assert x.grad == pytest.approx(xt.grad.item(), rel=1e-12) or x.grad == xt.grad.item()  # ±inf included


@pytest.mark.parametrize("name, fn, inputs", [
    ("relu at 0", lambda x: x.relu(), {"x": 0.0}),
    ("relu at -0.0", lambda x: x.relu(), {"x": -0.0}),
    ("max tie", lambda x, y: x.maximum(y), {"x": 2.0, "y": 2.0}),
    ("max tie at 0", lambda x, y: x.maximum(y) * 3, {"x": 0.0, "y": 0.0}),
    ("sigmoid at ±1000", lambda x, y: x.sigmoid() + y.sigmoid(), {"x": 1000.0, "y": -1000.0}),
    ("tanh at ±1000", lambda x, y: x.tanh() + y.tanh(), {"x": 1000.0, "y": -1000.0}),
    ("exp far below 0", lambda x: x.exp(), {"x": -1000.0}),
    ("log of a tiny number", lambda x: x.log(), {"x": 1e-300}),
    ("a tiny denominator", lambda x, y: x / y, {"x": 1.0, "y": 1e-200}),
    ("x**0 and x**1 at 0", lambda x: x**0 + x**1 + x**2, {"x": 0.0}),
    ("sqrt at 0", lambda x: x**0.5, {"x": 0.0}),
])
def test_every_local_gradient_is_defined_where_torchs_is(name, fn, inputs):
    value, grads = A.value_and_grad(fn, inputs)
    ref_value, ref_grads = torch_value_and_grad(fn, inputs)
    assert value == pytest.approx(ref_value, rel=1e-12, abs=0.0) or value == ref_value
    for k in inputs:
        assert grads[k] == pytest.approx(ref_grads[k], rel=1e-12, abs=1e-300) or grads[k] == ref_grads[k], k


def test_a_second_backward_without_zero_grad_compounds_in_our_engine_but_not_in_torch():
    L = A.lecture_example()
    L.backward()
    L.backward(check_stale=False)  # what the guard prevents
    nodes = {n.label: n.grad for n in A.topological_order(L)}
    assert nodes == {"x": -12.0, "y": -12.0, "q": -8.0, "z": 6.0, "L": 1.0}  # q doubled, so x tripled
    xt, yt, zt = (torch.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    qt = xt + yt
    Lt = qt * zt
    Lt.backward(retain_graph=True)
    Lt.backward()
    assert (xt.grad.item(), yt.grad.item(), zt.grad.item()) == (-8.0, -8.0, 6.0)  # exactly twice
    assert not qt.is_leaf and not qt.retains_grad  # torch keeps no gradient on q, so nothing stale flows down


def test_a_chain_k_gates_deep_gets_k_plus_1_times_its_gradient():
    x = Value(0.3, label="x")
    out = ((x * 2).tanh() * 3).exp()
    out.backward()
    first = x.grad
    out.backward(check_stale=False)
    assert x.grad == pytest.approx(5 * first, rel=1e-12)  # four gates above x: 1 + 4 passes' worth


def test_a_hand_written_gate_must_return_one_local_gradient_per_input():
    x = Value(2.0)
    bad = x.gate(4.0, (x,), "sq", lambda: 4.0)
    with pytest.raises(TypeError, match=r"sq \(sq\): the local-gradient function must return a tuple.*1 here"):
        bad.backward()
    two = x.gate(4.0, (x, x), "two", lambda: (1.0,))
    with pytest.raises(TypeError, match="2 here"):
        two.backward()


def test_stepper_arrow_points_along_the_gradient_during_the_backward_pass():
    st = BackpropStepper(A.lecture_example())
    st.run_all()
    st.reset()
    for _ in range(len(st.gates) + 4):  # forward done, then base case, L→q, L→z, q→x
        st.step()
    step = st.current
    assert step.gate.label == "q" and step.target.label == "x"
    fig = st.draw()
    pos = figures._layout(st.root)
    hot = [a for a in fig.axes[0].get_children() if isinstance(a, figures.FancyArrowPatch) and a.get_linewidth() > 2]
    assert len(hot) == 1
    (x0, _), (x1, _) = hot[0]._posA_posB
    assert x0 > x1  # tail at the gate q (right), head at its input x (left): the way the gradient flows
    assert x0 == pytest.approx(pos[id(step.gate)][0] - 0.39) and x1 == pytest.approx(pos[id(step.target)][0] + 0.39)
    fig = figures.draw_graph(st.root)  # no step: every edge points forward, input → gate
    assert all(a._posA_posB[0][0] < a._posA_posB[1][0] for a in fig.axes[0].get_children()
               if isinstance(a, figures.FancyArrowPatch))


# ---------------------------------------------------------------- the backward() exercise and the tiny MLP
def _student_backward(root):
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for child in node.inputs:
                visit(child)
            order.append(node)

    visit(root)
    root.grad = 1.0
    for node in reversed(order):
        for child, local in zip(node.inputs, node.local_grads(), strict=True):
            child.grad += node.grad * local


def test_backward_check_accepts_a_right_backward(capsys):
    assert checks.check_backward(_student_backward)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("k", range(len(checks.BACKWARD_MISTAKES)))
def test_backward_check_every_hint_fires_for_its_mistake(capsys, k):
    wrong, hint = checks.BACKWARD_MISTAKES[k]
    assert not checks.check_backward(wrong)
    assert hint in capsys.readouterr().out


def test_backward_check_reports_a_call_to_the_engine_and_the_stub(capsys):
    from nlpcourse import autograd as engine

    engine_backward, engine_order = A.Value.backward, engine.topological_order
    assert not checks.check_backward(lambda root: root.backward())
    assert "engine's own" in capsys.readouterr().out
    assert not checks.check_backward(lambda root: engine.topological_order(root))
    assert "engine's own" in capsys.readouterr().out
    assert (A.Value.backward, engine.topological_order) == (engine_backward, engine_order)  # restored

    def stub(root):
        """Fill .grad."""
        ...  # your code

    assert not checks.check_backward(stub)
    assert "Not answered" in capsys.readouterr().out


def test_tanh_gate_that_calls_the_engine_is_reported(capsys):
    assert not checks.check_tanh_gate(lambda x: x.tanh())
    assert "engine's own `Value.tanh`" in capsys.readouterr().out
    assert A.Value(0.3).tanh().op == "tanh"  # restored


def test_the_tiny_mlp_trains_and_its_gradients_match_torch():
    from nlpcourse.autograd import nn

    xs, ys = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]], [1.0, -1.0, -1.0, 1.0]
    model = nn.MLP((3, 4, 4, 1), seed=0)
    assert len(model.parameters()) == 3 * 4 + 4 + 4 * 4 + 4 + 4 + 1
    # one loss's gradients against torch autograd on the same weights
    loss = sum(((model(x)[0] - y) ** 2 for x, y in zip(xs, ys, strict=True)), A.Value(0.0))
    loss.backward()
    params = [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in model.parameters()]
    it = iter(params)
    layers = [([[next(it) for _ in W[0]] for _ in W], [next(it) for _ in b]) for W, b in model.layers]
    total = 0
    for x, y in zip(xs, ys, strict=True):
        h = [torch.tensor(v, dtype=torch.float64) for v in x]
        for k, (W, b) in enumerate(layers):
            h = [sum((w * v for w, v in zip(row, h, strict=True)), bias) for row, bias in zip(W, b, strict=True)]
            h = [torch.tanh(v) for v in h] if k < len(layers) - 1 else h
        total = total + (h[0] - y) ** 2
    total.backward()
    assert np.allclose([p.grad.item() for p in params], [p.grad for p in model.parameters()], atol=1e-12)
    losses = nn.train_mlp(nn.MLP((3, 4, 4, 1), seed=0), xs, ys, steps=40, lr=0.05)
    assert losses[-1] < 0.01 * losses[0]
