"""Notebook 00's widget: sliders for a 2×2 matrix and a bias, a dropdown for the nonlinearity."""

from __future__ import annotations

import ipywidgets as W
from matplotlib.figure import Figure

from ..ui import interactive_figure
from . import ACTIVATIONS
from .figures import draw_layer

__all__ = ["linear_map_explorer"]


def linear_map_explorer() -> W.Widget:
    """Notebook 00: sliders for the four entries of A and a bias, a nonlinearity dropdown.

    Redraws ``figures.draw_layer(A, b, activation)``.
    """
    def slider(value: float, description: str) -> W.FloatSlider:
        return W.FloatSlider(value=value, min=-2.0, max=2.0, step=0.1, description=description,
                             continuous_update=False)

    controls = {
        "a11": slider(1.0, "a11"), "a12": slider(0.5, "a12"),
        "a21": slider(0.0, "a21"), "a22": slider(1.0, "a22"),
        "b1": slider(0.0, "b1"), "b2": slider(0.0, "b2"),
        "activation": W.Dropdown(options=list(ACTIVATIONS), value="identity", description="σ"),
    }

    def draw(a11: float, a12: float, a21: float, a22: float, b1: float, b2: float, activation: str) -> Figure:
        return draw_layer([[a11, a12], [a21, a22]], [b1, b2], activation)

    return interactive_figure(draw, controls)
