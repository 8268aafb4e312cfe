"""Notebook 00's widget: sliders for a 2×2 matrix and a bias, a dropdown for the nonlinearity f."""

from __future__ import annotations

import ipywidgets as W
from matplotlib.figure import Figure

from ..ui import interactive_figure
from . import ACTIVATIONS
from .figures import draw_layer

__all__ = ["linear_map_explorer", "DEFAULT"]

DEFAULT = {"A": [[1.5, 0.5], [0.5, -1.0]], "b": [0.3, 0.2], "activation": "relu"}


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

    return interactive_figure(draw, controls)
