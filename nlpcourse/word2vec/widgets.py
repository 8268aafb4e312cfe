"""Notebook 01's widgets: one SGNS step at a time, and the noise exponent α."""

from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from ..corpus import unigram_noise
from ..ui import FigureView, interactive_figure, make_buttons
from . import SGDStepDemo
from .figures import draw_noise_distribution, draw_sgd_step, update_sgd_axes

__all__ = ["sgd_step_explorer", "update_sgd_step", "noise_alpha_explorer", "update_noise_distribution"]


def update_sgd_step(fig: Figure, state: SGDStepDemo) -> None:
    """Turn ``draw_sgd_step``'s figure (of any state of the same words) into ``draw_sgd_step(state)``'s by moving
    its arrows, labels, curve and titles (``figures.update_sgd_axes``): the widget's redraw."""
    update_sgd_axes(fig.axes, state)


def sgd_step_explorer(lr: float = 0.3) -> W.Widget:
    """Notebook 01: the lecture's "one SGD step" picture; each click takes one SGNS step.

    Buttons call ``word2vec.SGDStepDemo.step / reset`` and redraw ``figures.draw_sgd_step`` (moving the kept
    figure's artists: ``update_sgd_step``); the slider sets
    the learning rate (changing it starts again from the initial vectors).
    """
    view = FigureView()
    state = SGDStepDemo(lr=lr)
    shown: list[Figure] = []  # the figure on screen: drawn once, then moved by update_sgd_step
    slider = W.FloatSlider(value=lr, min=0.05, max=2.0, step=0.05, description="lr", continuous_update=False)
    buttons = make_buttons("step", "5 steps", "reset")

    def redraw() -> None:
        if shown:
            update_sgd_step(shown[0], state)
        else:
            shown.append(draw_sgd_step(state))
        view.show(shown[0])

    def on_click(button: W.Button) -> None:
        if button.description == "reset":
            state.reset()
        else:
            state.step(5 if button.description == "5 steps" else 1)
        redraw()

    def on_lr(change: dict) -> None:
        state.lr = float(change["new"])
        state.reset()
        redraw()

    for button in buttons.values():
        button.on_click(on_click)
    slider.observe(on_lr, names="value")
    redraw()
    return W.VBox([W.HBox([slider, *buttons.values()]), view.widget])


def update_noise_distribution(fig: Figure, counts: object, alpha: float) -> None:
    """Turn ``draw_noise_distribution``'s figure into the one for ``alpha`` (same words, counts and top): the
    α bars' heights, their legend entry, the title and the y limits; the widget's redraw. With the words most
    frequent first the unigram bars (α = 1) are the tallest (unigram^α, α ≤ 1, takes mass from the frequent
    words), so the limits stay put and the axes' ticks stay in the kept background."""
    counts = np.asarray(counts, dtype=float)
    ax = fig.axes[0]
    unigram, noise = unigram_noise(counts, 1.0), unigram_noise(counts, alpha)
    bars = ax.containers[1]
    shown = len(bars)
    before = max(bar.get_height() for bar in bars)
    for bar, height in zip(bars, noise[:shown], strict=True):
        bar.set_height(height)
    ax.get_legend().get_texts()[1].set_text(f"unigram^α, α = {alpha:.2f}")
    rest = 1.0 - noise[:shown].sum()
    ax.title.set_text(f"noise distribution; the other {len(counts) - shown} words share {rest:.1%} "
                      f"(unigram: {1.0 - unigram[:shown].sum():.1%})")
    if max(before, noise[:shown].max()) > unigram[:shown].max():  # (words not most frequent first): refit
        ax.relim()
        ax.autoscale_view()


def noise_alpha_explorer(words: list[str], counts: object, top: int = 12) -> W.Widget:
    """Notebook 01: a slider for α reshaping the noise distribution unigram^α over the top words.

    Redraws ``figures.draw_noise_distribution(words, counts, alpha, top)`` (moving its bars:
    ``update_noise_distribution``).
    """
    controls = {"alpha": W.FloatSlider(value=0.75, min=0.0, max=1.0, step=0.05, description="α",
                                       continuous_update=False)}
    return interactive_figure(lambda alpha: draw_noise_distribution(words, counts, alpha, top=top), controls,
                              update=lambda fig, alpha: update_noise_distribution(fig, counts, alpha))
