"""Notebook 08's widget: step the trained decoder through a source sentence (controls only).

Type English number words (or pick an example); a slider steps through the greedy decoding. Each redraw is
``figures.draw_step`` on a ``translate.trace`` computed once per sentence (a few milliseconds), so moving the
slider only draws.
"""

from __future__ import annotations

import ipywidgets as W

from ..ui import show_in
from .figures import draw_step
from .translate import trace

__all__ = ["decoder_stepper"]


def decoder_stepper(model, task, text: str = "three hundred twenty one") -> W.Widget:
    """A text box (the English source), a step slider and the figure of that step."""
    box = W.Text(value=text, description="English", continuous_update=False)
    examples = W.Dropdown(options=["three hundred twenty one", "forty seven", "nine hundred eighty five",
                                   "one hundred twelve"], value=None, description="examples")
    step = W.IntSlider(value=0, min=0, max=0, description="step")
    message = W.HTML()
    out = W.Output()
    state: dict = {}

    def redraw(_change: object = None) -> None:
        if "trace" in state:
            show_in(out, draw_step(state["trace"], min(step.value, len(state["trace"].output) - 1), task.itos))

    def retrace(_change: object = None) -> None:
        try:
            state["trace"] = trace(model, task, box.value)
        except ValueError as e:
            message.value = f"<span style='color:#b00'>{e}</span>"
            return
        message.value = ""
        step.max = len(state["trace"].output) - 1
        redraw()

    def pick(change: dict) -> None:
        if change["new"]:
            box.value = change["new"]

    box.observe(retrace, names="value")
    examples.observe(pick, names="value")
    step.observe(redraw, names="value")
    retrace()
    return W.VBox([W.HBox([box, examples]), step, message, out])
