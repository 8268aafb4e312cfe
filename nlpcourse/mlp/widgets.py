"""Notebook 05's widget: train a small MLP on a 2-D dataset a step or an epoch at a time."""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from ..ui import FigureView, make_buttons, one_blas_thread
from .figures import CLASS_COLORS, grid_box
from .stepper import ALPHA_CHOICES, LR_CHOICES, TrainingStepper

__all__ = ["training_stepper", "update_training"]


def update_training(fig: Figure, stepper: TrainingStepper) -> None:
    """Turn ``stepper.draw()``'s figure of another state into the current one's (the widget's redraw). Left: the
    predicted classes, their colours, the points and their box where the data changed, the title. Right: the curve,
    its round limits (``TrainingStepper.loss_limits``: they move seldom, so the axes' ticks are drawn again seldom),
    the marks of setting changes, the note and the title; where the panel changes kind (a diverged loss, or back),
    that panel drawn again into its cleared axes."""
    left, right = fig.axes
    image, points = left.images[0], left.collections[0]
    pred = stepper.grid_classes()
    k = int(max(stepper.y.max(), pred.max())) + 1
    if k != image.get_cmap().N:  # another number of classes: their colours, as draw_decision_boundary maps them
        image.set_cmap(ListedColormap(list(CLASS_COLORS[:k])))
        image.set_clim(-0.5, k - 0.5)
    if not np.array_equal(points.get_offsets(), stepper.X):  # another dataset: its points and its box
        (x0, y0), (x1, y1) = grid_box(stepper.X)
        points.set_offsets(stepper.X)
        points.set_facecolor([CLASS_COLORS[c] for c in stepper.y])
        image.set_extent((x0, x1, y0, y1))
        left.set(xlim=(x0, x1), ylim=(y0, y1))
    if not np.array_equal(image.get_array(), pred):  # (a setting changed, not the model: the panel is left as it is)
        image.set_data(pred)
    left.title.set_text(stepper.boundary_title())
    loss = np.asarray(stepper.history.step_loss, dtype=np.float64)
    if right.lines and right.lines[0].get_label() == "batch loss" and np.isfinite(loss).all():  # the same kind
        curve, *marks = right.lines
        curve.set_data(np.arange(1, len(loss) + 1), loss)
        for artist in [*marks, *right.texts]:  # the old marks of setting changes (and the note before a step)
            artist.remove()
        stepper.dress_loss_panel(right)
    else:  # the panel changes kind (a diverged loss, or back from one): drawn again into its cleared axes
        right.clear()
        stepper.draw_loss_panel(right)


def training_stepper(dataset: str = "moons") -> W.Widget:
    """Notebook 05: train a one-hidden-layer MLP on a 2-D dataset a step or an epoch at a time.

    Buttons call ``stepper.TrainingStepper.step / epoch / reset`` and redraw ``TrainingStepper.draw`` (decision
    boundary and loss curve; the figure shown, moved by ``update_training``); the lr and momentum sliders
    act from the next step on (the figure shows them at once); changing the hidden size or the dataset starts again
    from fresh weights.
    """
    view = FigureView()
    state = {"s": TrainingStepper(dataset), "fig": None}  # the stepper and the figure shown
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
        if state["fig"] is None:
            state["fig"] = state["s"].draw()
        else:
            update_training(state["fig"], state["s"])
        view.show(state["fig"])

    def on_click(button: W.Button) -> None:
        s = state["s"]
        s.set(lr=lr.value, alpha=alpha.value)
        with one_blas_thread():
            {"step": s.step, "epoch": s.epoch, "reset": s.reset}[button.description]()
            redraw()

    def on_setting(_change: dict) -> None:  # the figure shows the lr and α of the next step at once
        state["s"].set(lr=lr.value, alpha=alpha.value)
        with one_blas_thread():
            redraw()

    def on_model(_change: dict) -> None:
        with one_blas_thread():
            state["s"] = TrainingStepper(data.value, hidden=hidden.value, lr=lr.value, alpha=alpha.value)
            redraw()  # another model or dataset: the kept figure, moved (update_training)

    for button in buttons.values():
        button.on_click(on_click)
    lr.observe(on_setting, names="value")
    alpha.observe(on_setting, names="value")
    hidden.observe(on_model, names="value")
    data.observe(on_model, names="value")
    with one_blas_thread():  # (its first call finds the BLAS libraries: not in a click's time)
        redraw()
    return W.VBox([W.HBox([data, hidden, *buttons.values()]), W.HBox([lr, alpha]), view.widget])
