"""Notebook 06's widget: the attention explorer (controls only; the figure is ``figures.draw_explorer``)."""

from __future__ import annotations

import ipywidgets as W
from matplotlib.figure import Figure

from ..ui import interactive_figure
from .figures import AttentionExample, attention_view, draw_explorer, explorer_examples

__all__ = ["attention_explorer", "update_explorer"]


def update_explorer(fig: Figure, example: AttentionExample, head: int = 0, scaled: bool = True,
                    temperature: float = 1.0, causal: bool = False) -> None:
    """Turn ``draw_explorer(example, ...)``'s figure (same example, any settings) into ``draw_explorer(example,
    head, scaled, temperature, causal)``'s: the two images' data, the numbers in the cells and their colours,
    the title; the widget's redraw."""
    weights, out = attention_view(example, head, scaled, temperature, causal)
    left, right = fig.axes[:2]
    left.images[0].set_data(weights)
    right.images[0].set_data(out)
    for text, v in zip(left.texts, weights.ravel(), strict=False):  # the numbers in the cells, if shown
        text.set_text(f"{v:.2f}")
        text.set_color("black" if v > 0.5 else "white")  # heatmap's rule for vmin 0, vmax 1
    how = ("÷√d" if scaled else "raw") + (f", T = {temperature:g}" if temperature != 1 else "") \
        + (", causal" if causal else "")
    left.title.set_text(f"{example.name}: head {head + 1} ({how})")


def attention_explorer(model: object | None = None, tokens: object | None = None) -> W.Widget:
    """Controls for an example (``figures.explorer_examples(model, tokens)``; the first is the default), a head,
    the √d_k scaling, a temperature and the causal mask; ``figures.draw_explorer`` redraws (the same example:
    ``update_explorer`` moves the kept figure's artists)."""
    examples = explorer_examples(model, tokens)
    heads = max(len(e.q) for e in examples.values())
    controls = {
        "example": W.Dropdown(options=list(examples), description="example"),
        "head": W.IntSlider(value=1, min=1, max=heads, description="head"),
        "scaled": W.Checkbox(value=True, description="divide by √d_k"),
        "temperature": W.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.1, description="temperature"),
        "causal": W.Checkbox(value=False, description="causal mask"),
    }
    shown = {}  # the example the kept figure draws: another one has other shapes and labels, a new figure

    def draw(example: str, head: int, scaled: bool, temperature: float, causal: bool) -> Figure:
        chosen = shown["example"] = examples[example]
        return draw_explorer(chosen, min(head, len(chosen.q)) - 1, scaled, temperature, causal)

    def update(fig: Figure, example: str, head: int, scaled: bool, temperature: float, causal: bool) -> bool:
        chosen = examples[example]
        if chosen is not shown["example"]:
            return False
        update_explorer(fig, chosen, min(head, len(chosen.q)) - 1, scaled, temperature, causal)
        return True

    return interactive_figure(draw, controls, update=update)
