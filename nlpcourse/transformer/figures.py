"""Notebook 08's figures: the causal mask, training curves, gradient norms per layer, the cross-attention next
to a person's alignment, and the decoder stepper's view (one step: cross-attention row + next-token
distribution)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from .. import validate
from ..attention import causal_mask
from ..attention.figures import heatmap
from ..plotting import new_figure
from .train import Curves
from .translate import Trace

__all__ = ["draw_causal_mask", "draw_curves", "draw_gradient_norms", "draw_alignment", "step_view", "draw_step"]


def draw_causal_mask(words: Sequence[str]) -> Figure:
    """The decoder's mask over its input words: row t (a query) may attend to the coloured keys ≤ t."""
    words = list(validate.non_empty(list(words), "words", what="words"))
    allowed = (~causal_mask(len(words))).astype(float)
    fig, ax = new_figure(size=(4.6, 3.9))
    heatmap(ax, allowed, [f"query {w}" for w in words], words, annotate=False, cmap="Blues", vmax=1.3)
    ax.set_xlabel("key (may attend where blue)")
    ax.set_title("causal mask: no peeking at later words")
    return fig


def draw_curves(curves: Mapping[str, Curves], log: bool = True) -> Figure:
    """Training objective and validation cross-entropy per epoch for each run; a dot marks the epoch kept."""
    if not curves or not all(isinstance(c, Curves) for c in curves.values()):
        raise TypeError(f"curves: expected a dict name -> Curves, got {curves!r:.60}")
    fig, ax = new_figure(size=(6.4, 3.8), layout=None)  # fixed margins: one render (the PNG is cropped)
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.14, top=0.9)
    for (name, c), colour in zip(curves.items(), ("C0", "C1", "C2", "C3"), strict=False):
        epochs = np.arange(1, len(c.val) + 1)
        ax.plot(epochs, c.train, color=colour, ls="--", label=f"{name}: training")
        ax.plot(epochs, c.val, color=colour, label=f"{name}: validation")
        ax.plot([c.best_epoch], [c.val[c.best_epoch - 1]], "o", color=colour, ms=7)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="loss (nats per token)", title="learning curves (dot: the epoch kept)")
    ax.legend(fontsize=9)
    return fig


def draw_gradient_norms(norms: Mapping[str, np.ndarray]) -> Figure:
    """‖∂L/∂θ‖ per layer (bottom = 1) for each setting: name -> (seeds, layers)."""
    if not norms:
        raise ValueError("norms: expected at least one setting, got none")
    fig, ax = new_figure(size=(5.6, 3.6), layout=None)  # fixed margins: one render (the PNG is cropped)
    fig.subplots_adjust(left=0.17, right=0.97, bottom=0.15, top=0.9)
    for (name, n), colour in zip(norms.items(), ("C0", "C1", "C2", "C3"), strict=False):
        n = validate.float_array(n, f"norms[{name!r}]", ndim=2)
        layers = np.arange(1, n.shape[1] + 1)
        for row in n:
            ax.plot(layers, row, color=colour, alpha=0.3, lw=1)
        ax.plot(layers, n.mean(axis=0), color=colour, lw=2.5, marker="o", label=f"{name} (mean of {len(n)} seeds)")
    ax.set(xlabel="decoder layer (1 = bottom)", ylabel="gradient norm of the layer", yscale="log",
           title="gradient reaching each layer at initialisation")
    ax.legend(fontsize=9)
    return fig


def draw_alignment(trace: Trace, human: np.ndarray, layer: int | None = None, head: int = 0) -> Figure:
    """The model's cross-attention (one decoder layer, default the top one, and head) beside the alignment a
    person would draw."""
    human = validate.float_array(human, "human", shape=(len(trace.output) - 1, len(trace.source)))
    layer = len(trace.cross) - 1 if layer is None else validate.index(layer, "layer", len(trace.cross), what="a layer")
    head = validate.index(head, "head", trace.cross.shape[1], what="a head")
    w = trace.cross[layer, head, : len(trace.output) - 1]  # the </s> step left out: a person aligns words
    fig, axes = new_figure(2, size=(9.0, 3.9), layout=None)  # fixed margins: one render (the PNG is cropped)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.9, wspace=0.3)
    heatmap(axes[0], w, trace.output[:-1], trace.source, vmax=1.0, colorbar=True,
            title=f"model: decoder layer {layer + 1}, head {head + 1}")
    heatmap(axes[1], human, trace.output[:-1], trace.source, title="a person's alignment (green: aligned)",
            cmap="Greens", vmax=1.0, annotate=False, colorbar=True)  # 0/1: the colour says it
    for ax in axes:
        ax.set_xlabel("English (source)")
    axes[0].set_ylabel("German word being generated")
    return fig


def step_view(trace: Trace, t: int, itos: Sequence[str], top: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                                    str]:
    """What step t shows: the top layer's cross-attention rows (H, S), the ``top`` most probable next words (ids),
    their probabilities, and the title."""
    t = validate.index(t, "t", len(trace.output), what="a step")
    top = validate.positive_int(top, "top")
    p = trace.probs[t]
    best = np.argsort(-p, kind="stable")[:top]
    so_far = " ".join(trace.output[:t]) or "(nothing yet)"
    title = f"{' '.join(trace.source)}  →  {so_far}  ▸ step {t + 1}: {trace.output[t]}"
    return trace.cross[-1, :, t], best, p[best], title


def draw_step(trace: Trace, t: int, itos: Sequence[str], top: int = 8) -> Figure:
    """Decoder step t (0-based): each head's cross-attention row over the source, and the ``top`` most probable
    next words. Fixed layout (no constrained layout); the widget moves its artists (``widgets.update_step``)."""
    rows, best, probs, title = step_view(trace, t, itos, top)
    fig, axes = new_figure(2, size=(9.0, 3.4), layout=None)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.2, top=0.82, wspace=0.35)
    heatmap(axes[0], rows, [f"head {h + 1}" for h in range(len(rows))], trace.source, vmax=1.0,
            title="cross-attention of this step (top layer)", annotate=True, colorbar=True)
    fig.axes[-1].set_yticks([0.0, 0.5, 1.0])  # the colour bar: few labels, a quick redraw
    axes[1].barh(range(len(best))[::-1], probs, color=["C2" if i == best[0] else "0.6" for i in best])
    # the words as texts where tick labels would be (7 pt left of the axes): a new step changes texts, not ticks,
    # so the widget's redraw draws the panel's contents only (``ui.FigureView``)
    axes[1].set_yticks(range(len(best))[::-1], [""] * len(best))
    for y, i in zip(range(len(best))[::-1], best, strict=True):
        axes[1].annotate(itos[i], (0, y), xycoords=("axes fraction", "data"), xytext=(-7, 0),
                         textcoords="offset points",
                         ha="right", va="center_baseline", fontsize=9)
    axes[1].set(xlim=(0, 1), xlabel="probability", title="next word")
    fig.suptitle(title, fontsize=10)
    return fig
