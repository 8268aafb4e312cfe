"""Notebook 05's widget: train a small MLP on a 2-D dataset a step or an epoch at a time."""

from __future__ import annotations

import ipywidgets as W

from ..ui import FigureView, make_buttons
from .stepper import ALPHA_CHOICES, LR_CHOICES, TrainingStepper

__all__ = ["training_stepper"]


def training_stepper(dataset: str = "moons") -> W.Widget:
    """Notebook 05: train a one-hidden-layer MLP on a 2-D dataset a step or an epoch at a time.

    Buttons call ``stepper.TrainingStepper.step / epoch / reset`` and redraw ``TrainingStepper.draw`` (decision
    boundary and loss curve); the lr and momentum sliders act from the next step on (the figure shows them at once);
    changing the hidden size or the dataset starts again from fresh weights.
    """
    view = FigureView()
    state = {"s": TrainingStepper(dataset)}
    start = state["s"]
    wide = {"style": {"description_width": "initial"}, "layout": W.Layout(width="320px")}  # labels in full
    # selection sliders over fixed positions: the start values are positions, so the sliders can return there
    lr = W.SelectionSlider(options=LR_CHOICES, value=start.lr, description="learning rate lr",
                           continuous_update=False, **wide)
    alpha = W.SelectionSlider(options=ALPHA_CHOICES, value=start.alpha, description="momentum α",
                              continuous_update=False, **wide)
    hidden = W.Dropdown(options=[0, 2, 4, 16, 64], value=16, description="hidden")
    data = W.Dropdown(options=["moons", "spirals"], value=dataset, description="data")
    buttons = make_buttons("step", "epoch", "reset", width="90px")

    def redraw() -> None:
        view.show(state["s"].draw())

    def on_click(button: W.Button) -> None:
        s = state["s"]
        s.set(lr=lr.value, alpha=alpha.value)
        {"step": s.step, "epoch": s.epoch, "reset": s.reset}[button.description]()
        redraw()

    def on_setting(_change: dict) -> None:  # the figure shows the lr and α of the next step at once
        state["s"].set(lr=lr.value, alpha=alpha.value)
        redraw()

    def on_model(_change: dict) -> None:
        state["s"] = TrainingStepper(data.value, hidden=hidden.value, lr=lr.value, alpha=alpha.value)
        redraw()

    for button in buttons.values():
        button.on_click(on_click)
    lr.observe(on_setting, names="value")
    alpha.observe(on_setting, names="value")
    hidden.observe(on_model, names="value")
    data.observe(on_model, names="value")
    redraw()
    return W.VBox([W.HBox([data, hidden, *buttons.values()]), W.HBox([lr, alpha]), view.widget])
