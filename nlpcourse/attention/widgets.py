"""Notebook 06's widget: the attention explorer (controls only; the figure is ``figures.draw_explorer``)."""

from __future__ import annotations

import ipywidgets as W

from ..ui import interactive_figure
from .figures import draw_explorer, explorer_examples

__all__ = ["attention_explorer"]


def attention_explorer(model: object | None = None, tokens: object | None = None) -> W.Widget:
    """Controls for an example (``figures.explorer_examples(model, tokens)``; the first is the default), a head,
    the √d_k scaling, a temperature and the causal mask; ``figures.draw_explorer`` redraws."""
    examples = explorer_examples(model, tokens)
    heads = max(len(e.q) for e in examples.values())
    controls = {
        "example": W.Dropdown(options=list(examples), description="example"),
        "head": W.IntSlider(value=1, min=1, max=heads, description="head"),
        "scaled": W.Checkbox(value=True, description="divide by √d_k"),
        "temperature": W.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.1, description="temperature"),
        "causal": W.Checkbox(value=False, description="causal mask"),
    }

    def draw(example: str, head: int, scaled: bool, temperature: float, causal: bool):
        chosen = examples[example]
        return draw_explorer(chosen, min(head, len(chosen.q)) - 1, scaled, temperature, causal)

    return interactive_figure(draw, controls)
