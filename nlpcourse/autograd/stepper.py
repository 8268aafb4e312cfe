"""Notebook 04's stepper: replay a forward pass node by node, then the backward pass step by step.

The state behind the widget ``widgets.backprop_stepper`` and the static cells after it; plain Python, tested.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import Step, Value, describe_step, node_name, topological_order
from .figures import draw_graph, paint_graph

__all__ = ["BackpropStepper"]


class BackpropStepper:
    """Replays a forward pass node by node, then the recorded backward pass step by step.

    The engine computes everything at once; the stepper only decides how much of it to show. Inputs
    and constants are known from the start; ``forward_step`` reveals the next gate's value (in
    topological order); once all values are shown, ``backward_step`` applies the next recorded Step.
    ``current`` is what the last step touched (a Value while going forward, a Step going backward), or
    None after a reset or a press with nothing left to do; ``draw`` highlights it. ``root``: the graph's output
    (``backward()`` is called on it here if it was not already).
    """

    def __init__(self, root: Value) -> None:
        topological_order(root)  # a ValueError naming root unless it is one Value
        if not root.backward_steps:
            root.zero_grad()
            root.backward()
        self.root = root
        self.order = topological_order(root)
        self.gates = [n for n in self.order if n.inputs]  # the nodes the forward pass computes
        self.steps = root.backward_steps
        self.reset()

    def reset(self) -> None:
        """Back to the start: only the inputs' values are known, no gradients."""
        self.n_forward = 0
        self.n_backward = 0
        self.current: Step | Value | None = None
        self.message = "forward pass: press 'forward' to compute the next node"

    @property
    def forward_done(self) -> bool:
        """Whether every gate's value is shown."""
        return self.n_forward == len(self.gates)

    @property
    def backward_done(self) -> bool:
        """Whether every recorded backward step is applied."""
        return self.n_backward == len(self.steps)

    def forward_step(self) -> bool:
        """Compute (reveal) the next gate's value. Returns False when there is nothing left to compute."""
        if self.forward_done:
            self.current, self.message = None, "forward pass done: press 'backward' to backpropagate"
            return False
        node = self.current = self.gates[self.n_forward]
        self.n_forward += 1
        args = ", ".join(f"{node_name(c)}={c.data:.2f}" for c in node.inputs)
        self.message = f"forward: {node_name(node)} = {node.op}({args}) = {node.data:.4f}"
        return True

    def backward_step(self) -> bool:
        """Apply the next recorded backward step. Returns False when it cannot (forward not done, or
        the pass is over)."""
        if not self.forward_done:
            self.current = None
            self.message = "finish the forward pass first: backprop needs every node's value (the cache)"
            return False
        if self.backward_done:
            self.current, self.message = None, f"backward pass done: every node holds ∂{node_name(self.root)}/∂node"
            return False
        step = self.current = self.steps[self.n_backward]
        self.n_backward += 1
        self.message = "backward: " + describe_step(step, node_name(self.root))
        return True

    def step(self) -> bool:
        """One step of whichever pass is under way: forward until it is done, then backward."""
        return self.forward_step() if not self.forward_done else self.backward_step()

    def run_all(self) -> None:
        """Both passes to the end."""
        while self.step():
            pass

    def shown_values(self) -> dict[int, float]:
        """id(node) -> value for every node whose value is known so far."""
        shown = {id(n): n.data for n in self.order if not n.inputs}
        shown.update({id(n): n.data for n in self.gates[: self.n_forward]})
        return shown

    def shown_grads(self) -> dict[int, float]:
        """id(node) -> gradient so far (after the steps applied); nodes not reached are absent."""
        return {id(s.target): s.result for s in self.steps[: self.n_backward]}

    def draw(self, ax: Axes | None = None) -> Figure:
        """The graph with the values and gradients known at this point, the current node highlighted."""
        return draw_graph(self.root, **self._shown(), ax=ax)

    def paint(self, ax: Axes) -> None:
        """Show this point's values, gradients and highlight in ``draw``'s drawing of the same graph (``ax``)."""
        paint_graph(ax, self.root, **self._shown())

    def _shown(self) -> dict:
        cur = self.current
        highlight, gate = (cur.target, cur.gate) if isinstance(cur, Step) else (cur, None)
        return {"values": self.shown_values(), "grads": self.shown_grads(), "highlight": highlight, "gate": gate,
                "title": self.message}
