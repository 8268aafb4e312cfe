"""Notebook 08's widget: step the trained decoder through a source sentence (controls only).

Type English number words (or pick an example); a slider steps through the greedy decoding. A new sentence is
``figures.draw_step`` on a ``translate.trace`` computed once (a few milliseconds); moving the slider, or another
sentence, only moves the kept figure's artists (``update_step``: the heatmap's data and numbers, the bars, the
labels; for a sentence also the heatmap's columns): one render.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from ..attention.figures import annotate_cells
from ..ui import FigureView
from .figures import draw_step, step_view
from .translate import Trace, trace

__all__ = ["decoder_stepper", "update_step"]


def update_step(fig: Figure, trace: Trace, t: int, itos: list[str], top: int = 8) -> None:
    """Turn ``draw_step(trace0, t0, itos, top)``'s figure into ``draw_step(trace, t, itos, top)``'s: the heatmap's
    data, numbers and their colours, the bars and their words, the title — no tick changes (a redraw of contents
    only) unless the source sentence changed: then also the heatmap's columns (its words, extent and numbers)."""
    rows, best, probs, title = step_view(trace, t, itos, top)
    heat, bars = fig.axes[0], fig.axes[1]
    image = heat.images[0]
    mid = 0.5  # draw_step's heatmap: vmin 0, vmax 1
    words = heat.xaxis.get_major_formatter().format_ticks(heat.xaxis.get_majorticklocs())  # (not laid out: cheap)
    if image.get_array().shape != rows.shape or list(words) != list(trace.source):
        H, S = rows.shape  # another sentence: heatmap's columns, as ``heatmap`` draws them
        image.set_extent((-0.5, S - 0.5, H - 0.5, -0.5))
        heat.set(xlim=(-0.5, S - 0.5), ylim=(H - 0.5, -0.5))
        heat.set_xticks(range(S), trace.source, fontsize=9)
        for text in list(heat.texts):
            text.remove()
        annotate_cells(heat, rows, 0.0, 2 * mid)
    else:
        for text, (_, v) in zip(heat.texts, np.ndenumerate(rows), strict=True):
            text.set_text(f"{v:.2f}")
            text.set_color("black" if v > mid else "white")
    image.set_data(rows)
    for bar, label, p, i in zip(bars.patches, bars.texts, probs, best, strict=True):
        bar.set_width(p)
        bar.set_color("C2" if i == best[0] else "0.6")
        label.set_text(itos[i])
    fig._suptitle.set_text(title)


def decoder_stepper(model, task, text: str = "three hundred twenty one") -> W.Widget:
    """A text box (the English source), a step slider and the figure of that step."""
    box = W.Text(value=text, description="English", continuous_update=False)
    options = ["three hundred twenty one", "forty seven", "nine hundred eighty five", "one hundred twelve"]
    # the list shows the sentence in the box when it is one of them, so that picking another one always changes it
    examples = W.Dropdown(options=options, value=text if text in options else None, description="examples")
    step = W.IntSlider(value=0, min=0, max=0, description="step")
    message = W.HTML()
    view = FigureView()
    state: dict = {}

    def redraw(_change: object = None) -> None:
        if "trace" not in state or state.get("retracing"):  # (retracing: the slider's new maximum moved it)
            return
        t = min(step.value, len(state["trace"].output) - 1)
        if state.get("fig") is None:
            state["fig"] = draw_step(state["trace"], t, task.itos)
        else:
            update_step(state["fig"], state["trace"], t, task.itos)
        view.show(state["fig"])

    def retrace(_change: object = None) -> None:
        try:
            state["trace"] = trace(model, task, box.value)
        except ValueError as e:
            message.value = f"<span style='color:#b00'>{e}</span>"
            return
        message.value = ""
        state["retracing"] = True  # a new sentence: the kept figure, moved (``update_step``), once
        step.max = len(state["trace"].output) - 1
        state["retracing"] = False
        redraw()

    def pick(change: dict) -> None:
        if change["new"]:
            box.value = change["new"]

    def typed(change: dict) -> None:
        examples.value = change["new"] if change["new"] in options else None

    box.observe(retrace, names="value")
    box.observe(typed, names="value")
    examples.observe(pick, names="value")
    step.observe(redraw, names="value")
    retrace()
    return W.VBox([W.HBox([box, examples]), step, message, view.widget])
