"""Notebook 02's widget: a target, a center word and a shift of the center vector; the tree's probabilities."""

from __future__ import annotations

import ipywidgets as W
from matplotlib.figure import Figure

from ..ui import interactive_figure
from .figures import ToyExample, toy_example

__all__ = ["hsoftmax_path_explorer", "update_path"]


def update_path(fig: Figure, toy: ToyExample, word: str, center: str, perturb: float) -> None:
    """Turn ``toy.draw``'s figure into the one for a new state: its texts, colours and highlighted path change in
    place (``ToyExample.update``), nothing is drawn anew."""
    toy.update(fig.axes[0], word, center, perturb)


def hsoftmax_path_explorer() -> W.Widget:
    """Notebook 02: pick a target and a center word, move the center vector; the tree shows the branch probabilities.

    Redraws ``figures.toy_example().draw(word, center, perturb)``: the word's path highlighted, every edge labelled
    with its branch probability for the current center vector, the running product in the title (moving the kept
    figure's texts and colours: ``update_path``).
    """
    toy = toy_example()
    words = list(toy.tree.symbols)
    controls = {
        "word": W.Dropdown(options=words, value="language", description="target"),
        "center": W.Dropdown(options=words, value="natural", description="center"),
        "perturb": W.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.25, description="move h",
                                 continuous_update=False),
    }
    return interactive_figure(toy.draw, controls, update=lambda fig, **values: update_path(fig, toy, **values))
