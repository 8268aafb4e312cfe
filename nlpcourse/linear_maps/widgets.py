"""Notebook 00's widget: sliders for a 2×2 matrix and a bias, a dropdown for the nonlinearity f."""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from ..ui import interactive_figure
from . import ACTIVATIONS, det_label, layer, make_grid
from .figures import draw_layer, fit_axes, still_fits

__all__ = ["linear_map_explorer", "update_layer", "DEFAULT"]

DEFAULT = {"A": [[1.5, 0.5], [0.5, -1.0]], "b": [0.3, 0.2], "activation": "relu"}
ROOM = 0.2  # a panel fitted again leaves this much of its span free on each side: the next steps fit in it


def update_layer(fig: Figure, A: object, b: object, activation: str) -> None:
    """Turn ``draw_layer``'s figure into ``draw_layer(A, b, activation)``'s, moving its artists (grid lines,
    points, titles) instead of building a new figure: the widget's redraw. A panel keeps its limits while its grid
    still fits them (``figures.still_fits``): a step of a slider then moves the grid on screen, where a new fit
    would move the ticks instead (and the redraw draws the panel's contents only, ``ui.FigureView``); it is fitted
    again, with room to move (``ROOM``), when the grid leaves the view or shrinks below half of it. The first
    panel, the input grid, is the same for every layer: it is left as it is."""
    xs, ys = make_grid(2.0, 11)
    panels = [layer(A, b, xs, ys, "identity"), layer(A, b, xs, ys, activation)]
    titles = [f"A·p + b   (det A = {det_label(A)})", f"{activation}(A·p + b)"]
    for ax, (gx, gy), title in zip(fig.axes[1:], panels, titles, strict=True):
        if still_fits(ax, gx, gy):
            ax.title.set_text(title)  # (set_title would undo the title's pinned place, ui.pin_titles)
        else:
            for line in list(ax.lines):  # fit_axes draws the axes through the origin again where they are in view
                line.remove()
            fit_axes(ax, gx, gy, title=title, pad=ROOM)
        grid, points = ax.collections
        rows = np.stack([gx, gy], axis=-1)  # (rows, cols, 2), as plotting.plot_grid
        grid.set_segments([*rows, *rows.transpose(1, 0, 2)])
        points.set_offsets(np.column_stack([gx.ravel(), gy.ravel()]))


def linear_map_explorer() -> W.Widget:
    """Sliders for the four entries of A and the bias, a dropdown for f; redraws ``figures.draw_layer``.

    The default state is ``DEFAULT`` (what the notebook's static cell draws)."""
    def slider(value: float, description: str) -> W.FloatSlider:
        return W.FloatSlider(value=value, min=-2.0, max=2.0, step=0.1, description=description,
                             continuous_update=False)

    controls = {
        "a11": slider(DEFAULT["A"][0][0], "a11"), "a12": slider(DEFAULT["A"][0][1], "a12"),
        "a21": slider(DEFAULT["A"][1][0], "a21"), "a22": slider(DEFAULT["A"][1][1], "a22"),
        "b1": slider(DEFAULT["b"][0], "b1"), "b2": slider(DEFAULT["b"][1], "b2"),
        "activation": W.Dropdown(options=list(ACTIVATIONS), value=DEFAULT["activation"], description="f"),
    }

    def draw(a11: float, a12: float, a21: float, a22: float, b1: float, b2: float, activation: str) -> Figure:
        return draw_layer([[a11, a12], [a21, a22]], [b1, b2], activation)

    def update(fig: Figure, a11: float, a12: float, a21: float, a22: float, b1: float, b2: float,
               activation: str) -> None:
        update_layer(fig, [[a11, a12], [a21, a22]], [b1, b2], activation)

    return interactive_figure(draw, controls, update=update)
