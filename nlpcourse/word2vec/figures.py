"""Notebook 01's figures: the naive softmax's cost, one SGD step, the noise distribution, a PCA of vectors.

``draw_sgd_step`` and ``draw_noise_distribution`` are also what the notebook's widgets redraw.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import MaxNLocator

from .. import validate
from ..corpus import unigram_noise
from ..evaluation import Embeddings, pca_2d
from ..plotting import label_points
from . import SGDStepDemo

__all__ = ["draw_cost_curve", "draw_sgd_step", "update_sgd_axes", "draw_noise_distribution", "draw_embedding_pca"]


def draw_cost_curve(timings: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """``time_naive_softmax``'s medians, ms per pair against |V| on log–log axes, beside a line ∝ |V| (slope 1)
    through the smallest |V|: a cost that grows linearly runs parallel to it."""
    if ax is None:
        ax = Figure(figsize=(6.0, 3.6), layout="constrained").add_subplot()
    v, ms = timings["vocab_size"].to_numpy(float), timings["ms_per_pair"].to_numpy(float)
    ax.loglog(v, ms, "o-", label="measured (median)")
    ax.loglog(v, ms[0] * v / v[0], "--", color="0.5", label="∝ |V| (slope 1)")
    ax.set_xlabel("vocabulary size |V|", fontsize=10)
    ax.set_ylabel("ms per (center, context) pair", fontsize=10)
    ax.set_title("naive softmax: one loss + gradient costs O(|V|·D)", fontsize=10)
    ax.legend(fontsize=9)
    return ax.figure


_STEP_BLOCK = 8  # the loss panel's steps axis: 0..8, then 0..16, ...


def draw_sgd_step(state: SGDStepDemo, ax: Sequence[Axes] | None = None) -> Figure:
    """Left: an ``SGDStepDemo``'s 2-D vectors and the last step's update −lr·gradient as arrows; right: the loss
    curve. ``ax``: None, or a pair of Axes to draw into."""
    if ax is None:  # fixed margins (no constrained layout): a click redraws within 100 ms
        fig = Figure(figsize=(9.0, 3.8))
        ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1.0]})
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.14, top=0.86, wspace=0.18)
    ax_vec, ax_loss = ax
    scale = FontProperties().get_size_in_points()  # (an arrow's head scales with it, as annotate's does)
    for color in _sgd_colors(state):  # each vector, then its last update (dashed): placed by update_sgd_axes
        for lw, ls in ((2, "-"), (1, "--")):
            ax_vec.add_patch(FancyArrowPatch((0, 0), (0, 0), arrowstyle="->", color=color, lw=lw, ls=ls,
                                             mutation_scale=scale, zorder=3, clip_on=False))
    ax_vec.set_aspect("equal")
    ax_vec.axhline(0, color="0.85", lw=0.8)
    ax_vec.axvline(0, color="0.85", lw=0.8)
    ax_vec.set_xticks([])  # the coordinates of a 2-D toy mean nothing; fewer labels also redraw faster
    ax_vec.set_yticks([])
    ax_vec.set_title("", fontsize=9)
    ax_loss.plot([], [], "o-", ms=3)
    ax_loss.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax_loss.yaxis.set_major_locator(MaxNLocator(5))
    ax_loss.set_xlabel("SGD step")
    ax_loss.set_ylabel("SGNS loss")
    ax_loss.set_title("")
    update_sgd_axes((ax_vec, ax_loss), state)
    return ax_vec.figure


def update_sgd_axes(ax: Sequence[Axes], state: SGDStepDemo) -> None:
    """Move ``draw_sgd_step``'s artists in its pair of axes (of a demo with as many words) to ``state``: the
    arrows, the word labels (placed again), the loss curve, the titles, and the limits where they changed."""
    ax_vec, ax_loss = ax
    vectors = [state.center, *state.outside]
    updates = [-state.lr * state.grad_center, *(-state.lr * state.grad_outside)]
    arrows = iter(ax_vec.patches)
    for vec, upd in zip(vectors, updates, strict=True):
        next(arrows).set_positions((0, 0), tuple(vec))
        dashed = next(arrows)
        dashed.set_visible(bool(np.any(upd != 0)))
        dashed.set_positions(tuple(vec - upd), tuple(vec))
    lim = 1.5 * max(1.2, max(float(np.abs(v).max()) for v in vectors))  # room for the labels
    _set_limits(ax_vec, (-lim, lim), (-lim, lim))
    for label in list(ax_vec.texts):
        label.remove()
    label_points(ax_vec, np.array(vectors), state.words, _sgd_colors(state), prefer=np.array(vectors), fontsize=10)
    ax_vec.title.set_text(f"step {len(state.losses) - 1}: blue = target θ_W, green = positive, red = negatives\n"
                          "dashed: the last update −lr·∇")
    steps = len(state.losses) - 1
    ax_loss.lines[0].set_data(range(steps + 1), state.losses)
    # the steps axis grows 8 steps at a time: its ticks (and the kept background with them) stay put in between
    _set_limits(ax_loss, (-0.3, _STEP_BLOCK * max(1, -(-steps // _STEP_BLOCK)) + 0.3),
                (-0.04 * max(state.losses), 1.08 * max(state.losses)))  # a loss at 0 keeps its whole marker
    ax_loss.title.set_text(f"loss (lr = {state.lr:g})")


def _sgd_colors(state: SGDStepDemo) -> list[str]:
    return ["#1f77b4", "#2ca02c"] + ["#d62728"] * (len(state.outside) - 1)


def _set_limits(ax: Axes, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """Set the axes' limits where they differ (setting them marks the axes changed, ticks and all)."""
    if ax.get_xlim() != xlim:
        ax.set_xlim(*xlim)
    if ax.get_ylim() != ylim:
        ax.set_ylim(*ylim)


def draw_noise_distribution(words: Sequence[str], counts: np.ndarray, alpha: float = 0.75, top: int = 12,
                            ax: Axes | None = None) -> Figure:
    """Bars of the unigram distribution (α = 1) and of unigram^α over the ``top`` most frequent words.

    The probabilities are normalised over the whole vocabulary (all of ``counts``), so the mass that α < 1
    takes from the frequent words and gives to the rare ones is visible. ``words`` (V,): most frequent first (a
    Vocab's itos); ``counts`` (V,): their counts."""
    counts = validate.float_array(counts, "counts", ndim=1)
    top = validate.positive_int(top, "top")
    if len(words) != len(counts):
        raise ValueError(f"words: expected {len(counts)} words (one per count), got {len(words)}")
    unigram, noise = unigram_noise(counts, 1.0), unigram_noise(counts, alpha)
    if ax is None:  # fixed margins (no constrained layout): the α slider redraws within 100 ms
        fig = Figure(figsize=(8.0, 3.6))
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.24, top=0.9)
        ax = fig.add_subplot()
    x = np.arange(min(top, len(words)))
    ax.bar(x - 0.2, unigram[x], width=0.4, label="unigram (α = 1)", color="0.6")
    ax.bar(x + 0.2, noise[x], width=0.4, label=f"unigram^α, α = {alpha:.2f}", color="#d62728")
    ax.set_xticks(x, [words[i] for i in x], rotation=45, ha="right")
    ax.set_ylabel("P(noise word)")
    ax.yaxis.set_major_locator(MaxNLocator(4))  # fewer labels: the α slider redraws in < 100 ms
    rest = 1.0 - noise[x].sum()
    ax.set_title(f"noise distribution; the other {len(words) - len(x)} words share {rest:.1%} "
                 f"(unigram: {1.0 - unigram[x].sum():.1%})", fontsize=10)
    ax.legend(loc="upper right")  # (most frequent first: the bars fall to the right; no search for the best place)
    return ax.figure


def draw_embedding_pca(emb: Embeddings, groups: dict[str, Sequence[str]] | Sequence[str],
                       ax: Axes | None = None) -> Figure:
    """Scatter the 2-D PCA projection (fitted on the shown words only) of the words' vectors, by group.

    Each group (a topic: countries, weekdays, ...) gets its own colour and a legend entry, so the figure shows
    what to look for: whether the words of one topic sit together, away from the other topics. ``groups``:
    {topic name: words}, or a plain list of words (one group); every word must be in ``emb``."""
    if not isinstance(groups, dict):
        groups = {"words": list(groups)}
    words = [w for ws in groups.values() for w in ws]
    validate.non_empty(words, "groups", what="words")
    missing = [w for w in words if w not in emb]
    if missing:
        raise KeyError(f"groups: words not in the vocabulary: {missing}")
    xy = pca_2d(np.stack([emb[w] for w in words]))
    if ax is None:
        fig = Figure(figsize=(9.0, 7.0))
        fig.subplots_adjust(left=0.02, right=0.84, bottom=0.02, top=0.95)  # fixed before labels are placed
        ax = fig.add_subplot()
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    colors = [palette[g % len(palette)] for g, ws in enumerate(groups.values()) for _ in ws]
    start = 0
    for g, (name, ws) in enumerate(groups.items()):
        ax.scatter(xy[start:start + len(ws), 0], xy[start:start + len(ws), 1], s=16,
                   color=palette[g % len(palette)], label=name, zorder=3)
        start += len(ws)
    span = xy.max(axis=0) - xy.min(axis=0)
    ax.set_xlim(xy[:, 0].min() - 0.25 * span[0], xy[:, 0].max() + 0.3 * span[0])  # room for the labels
    ax.set_ylim(xy[:, 1].min() - 0.15 * span[1], xy[:, 1].max() + 0.15 * span[1])
    label_points(ax, xy, words, colors=colors, fontsize=9.0)
    if len(groups) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, frameon=False, title="topic",
                  title_fontsize=9)
    ax.set_title("2-D PCA of the trained θ_W: does each topic's words sit together, apart from the others?",
                 fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax.figure
