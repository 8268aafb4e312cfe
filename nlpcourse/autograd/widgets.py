"""Notebook 04's widget: step a forward pass node by node, then the backward pass gate by gate."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as W
from matplotlib.figure import Figure

from ..ui import FigureView, make_buttons
from . import EXAMPLES, build_example
from .stepper import BackpropStepper

__all__ = ["backprop_stepper", "update_graph"]


def update_graph(fig: Figure, stepper: BackpropStepper) -> None:
    """Turn ``stepper.draw()``'s figure of a stepper over the same graph (any inputs, any step) into the current
    one's, changing its texts, frames and arrows (``BackpropStepper.paint``): no new artist (the widget's redraw)."""
    stepper.paint(fig.axes[0])


def backprop_stepper(example: str = "(x+y)z") -> W.Widget:
    """Notebook 04: step a forward pass node by node, then the backward pass gate by gate.

    A dropdown picks the graph (``autograd.EXAMPLES``), one box per input edits its value, and the buttons
    call ``stepper.BackpropStepper.forward_step / backward_step / reset`` and redraw its ``draw()``.
    """
    view = FigureView()
    message = W.HTML()
    choice = W.Dropdown(options=list(EXAMPLES), value=example, description="graph")
    inputs_box = W.HBox()
    buttons = make_buttons("forward", "backward", "run all", "reset")
    state: dict = {}  # the stepper, and the figure shown ("fig") while the graph stays the same

    def redraw() -> None:
        if state.get("fig") is None:
            state["fig"] = state["stepper"].draw()
        else:
            update_graph(state["fig"], state["stepper"])
        view.show(state["fig"])

    def rebuild(_change: object = None) -> None:
        values = {box.description: box.value for box in inputs_box.children}
        try:
            state["stepper"] = BackpropStepper(build_example(choice.value, values))
        except ValueError as err:  # e.g. exp overflowing for a huge input: say so instead of a stale graph
            state.pop("stepper", None)
            message.value = f"<span style='color:#b00'>ValueError: {html.escape(str(err))}</span>"
            view.widget.layout.display = "none"
            return
        message.value = ""
        view.widget.layout.display = None
        redraw()

    def new_graph(_change: object = None) -> None:
        boxes = [W.FloatText(value=v, description=k, layout=W.Layout(width="150px"),
                             style={"description_width": "30px"}) for k, v in EXAMPLES[choice.value][1].items()]
        for box in boxes:
            box.observe(rebuild, names="value")
        inputs_box.children = boxes
        state["fig"] = None  # another graph: another layout, a new figure
        rebuild()

    def press(action: str) -> Callable[[W.Button], None]:
        def on_click(_button: W.Button) -> None:
            stepper = state.get("stepper")
            if stepper is None:  # the inputs gave no graph (the error is shown)
                return
            {"forward": stepper.forward_step, "backward": stepper.backward_step,
             "run all": stepper.run_all, "reset": stepper.reset}[action]()
            redraw()
        return on_click

    for name, button in buttons.items():
        button.on_click(press(name))
    choice.observe(new_graph, names="value")
    new_graph()
    return W.VBox([W.HBox([choice, *buttons.values()]), inputs_box, message, view.widget])
