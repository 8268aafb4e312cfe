"""Notebook 06's figures: every ``draw_*`` the notebook shows, and the attention explorer's pure logic.

Each returns a ``matplotlib.figure.Figure`` (outside pyplot: one PNG per cell). ``draw_explorer`` is what
the widget redraws and what the static cell after it shows; ``attention_view`` is its arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..plotting import new_figure, plain_log_labels
from ..validate import float_array, index, positive_float
from . import causal_mask, masked_softmax, thinking_machines

__all__ = ["heatmap", "annotate_cells", "draw_attention", "draw_attention_panels", "draw_decoder_step", "draw_scaling",
           "draw_positional_encoding", "draw_norms", "draw_gradient_through_depth", "draw_loss",
           "draw_attention_maps", "AttentionExample", "attention_view", "draw_explorer", "explorer_examples",
           "SENTENCE"]

# Fixed margins (a figure's PNG is cropped to what is drawn, so generous ones cost nothing): one render, where
# matplotlib's constrained layout first measures every label (~40% of a render of these label-heavy figures).
FIXED = {"left": 0.08, "right": 0.97, "bottom": 0.15, "top": 0.9}


def heatmap(ax: Axes, values: np.ndarray, rows: Sequence[str] | None = None, cols: Sequence[str] | None = None,
            title: str = "", annotate: bool | None = None, cmap: str = "viridis", vmin: float | None = 0.0,
            vmax: float | None = None, fmt: str = "{:.2f}", colorbar: bool = False) -> Axes:
    """A (R, C) matrix as an image, rows and columns labelled, the numbers inside when ``annotate`` (default:
    R·C ≤ 100), colours from vmin to vmax (default 0 … max: attention weights), a colour bar if asked."""
    values = float_array(values, "values", ndim=2)
    R, C = values.shape
    im = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    for labels, n, setter, ticks in ((rows, R, ax.set_yticklabels, ax.set_yticks),
                                     (cols, C, ax.set_xticklabels, ax.set_xticks)):
        ticks(range(n))
        setter(list(labels) if labels is not None else [str(i) for i in range(n)], fontsize=9)
    if annotate if annotate is not None else R * C <= 100:
        annotate_cells(ax, values, np.nanmin(values) if vmin is None else vmin,
                       np.nanmax(values) if vmax is None else vmax, fmt)
    ax.spines[:].set_visible(False)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.05, pad=0.03).ax.tick_params(labelsize=9)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def annotate_cells(ax: Axes, values: np.ndarray, lo: float, hi: float, fmt: str = "{:.2f}") -> None:
    """``heatmap``'s numbers: each cell's value (R, C) written in it, black above the colour scale's middle
    (lo … hi), else white."""
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=9,
                color="black" if v > (hi + lo) / 2 else "white")


def draw_attention(weights: np.ndarray, queries: Sequence[str] | None = None, keys: Sequence[str] | None = None,
                   title: str = "attention weights", ax: Axes | None = None) -> Figure:
    """One attention matrix (L, S): row i is query i's distribution over the keys."""
    weights = float_array(weights, "weights", ndim=2)
    if ax is None:
        fig, ax = new_figure(size=(4.2, 3.4))
    heatmap(ax, weights, queries, keys, title, vmax=1.0)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    return ax.figure


def draw_attention_panels(panels: dict[str, tuple[np.ndarray, Sequence[str], Sequence[str]]]) -> Figure:
    """Several attention matrices side by side: title -> (weights (L, S), query labels, key labels)."""
    # constrained layout: three label-heavy panels side by side leave no room for fixed margins
    fig, axes = new_figure(len(panels), size=(min(3.4 * len(panels), 10.0), 3.6), squeeze=False)
    for ax, (title, (weights, rows, cols)) in zip(axes[0], panels.items(), strict=True):
        draw_attention(weights, rows, cols, title, ax)
        for label in ax.get_xticklabels():
            label.set_rotation(45)
    return fig


def draw_decoder_step(words: Sequence[str], scores: np.ndarray, weights: np.ndarray, states: np.ndarray,
                      context: np.ndarray) -> Figure:
    """The seq2seq decoder step: scores (T,) and softmax weights (T,) over the T source ``words``, the encoder
    states (T, d) and the context (d,)."""
    sizes = {"T": len(words)}
    scores = float_array(scores, "scores", shape=("T",), sizes=sizes)
    weights = float_array(weights, "weights", shape=("T",), sizes=sizes)
    states = float_array(states, "states", shape=("T", "d"), sizes=sizes)
    context = float_array(context, "context", shape=("d",), sizes=sizes)
    fig, axes = new_figure(3, size=(10.0, 3.4), layout=None)
    fig.subplots_adjust(**{**FIXED, "bottom": 0.2}, wspace=0.4)
    T = len(words)
    axes[0].bar(range(T), scores, color="#7f7f7f")
    axes[0].set_title("scores  s_t = h_t · q")
    axes[1].bar(range(T), weights, color="#1f77b4")
    axes[1].set_title("weights  a = softmax(s)")
    for ax in axes[:2]:
        ax.set_xticks(range(T))
        ax.set_xticklabels(words, rotation=30)
    rows = [*words, "context"]
    heatmap(axes[2], np.vstack([states, context]), rows, [f"h{i}" for i in range(states.shape[1])],
            "states, and context = Σ a_t h_t", cmap="coolwarm", vmin=None)
    axes[2].axhline(T - 0.5, color="black", lw=1.5)
    return fig


def draw_scaling(variance: pd.DataFrame, saturation: pd.DataFrame) -> Figure:
    """Why √d_k: ``dot_product_variance``'s table (left), ``softmax_saturation``'s (right)."""
    fig, (a, b) = new_figure(2, size=(10.0, 3.6), layout=None)
    fig.subplots_adjust(**FIXED, wspace=0.2)
    d = variance.index.to_numpy()
    a.plot(d, variance["var q·k"], "o-", label="var(q·k)")
    a.plot(d, variance["var q·k/√d"], "s-", label="var(q·k / √d)")
    a.plot(d, d, ":", color="0.5", label="d")
    a.set_xscale("log", base=2)
    a.set_yscale("log", base=2)
    plain_log_labels(a, "both")
    a.set_xlabel("d_k")
    a.set_title("the scores' variance grows like d_k")
    a.legend(fontsize=9)
    d = saturation.index.to_numpy()
    b.plot(d, saturation["max weight (raw)"], "o-", color="#d62728", label="largest weight, raw q·k")
    b.plot(d, saturation["max weight (÷√d)"], "o-", color="#1f77b4", label="largest weight, q·k/√d")
    b.plot(d, saturation["‖J‖ (raw)"], "s--", color="#d62728", label="‖softmax Jacobian‖, raw")
    b.plot(d, saturation["‖J‖ (÷√d)"], "s--", color="#1f77b4", label="‖softmax Jacobian‖, ÷√d")
    b.set_xscale("log", base=2)
    plain_log_labels(b, "x")
    b.set_xlabel("d_k")
    b.set_ylim(0, 1.05)
    b.set_title("raw scores saturate the softmax")
    b.legend(fontsize=9)
    return fig


def draw_positional_encoding(pe: np.ndarray) -> Figure:
    """The sinusoidal encoding (positions × dimensions) as a heatmap, and four of its columns as curves."""
    pe = float_array(pe, "pe", ndim=2)
    fig, (a, b) = new_figure(2, size=(10.0, 3.6), layout=None)
    fig.subplots_adjust(**FIXED, wspace=0.22)
    im = a.imshow(pe, aspect="auto", cmap="coolwarm", vmin=-1, vmax=1, interpolation="nearest")
    a.set_xlabel("dimension")
    a.set_ylabel("position")
    a.set_title("PE[pos, i]")
    fig.colorbar(im, ax=a)
    for i in (0, 2, 8, 16):
        if i < pe.shape[1]:
            b.plot(pe[:, i], label=f"dimension {i}")
    b.set_xlabel("position")
    b.set_title("each dimension is a sinusoid of its own wavelength")
    b.legend(fontsize=9)
    return fig


def draw_norms(x: np.ndarray, batch_normed: np.ndarray, layer_normed: np.ndarray) -> Figure:
    """One batch (N, d) before and after BatchNorm (columns normalised) and LayerNorm (rows normalised)."""
    fig, axes = new_figure(3, size=(10.0, 3.4), layout=None)
    fig.subplots_adjust(**FIXED, wspace=0.3)
    for ax, m, title in zip(axes, (x, batch_normed, layer_normed),
                            ("the batch (rows: examples)", "BatchNorm: each column mean 0, var 1",
                             "LayerNorm: each row mean 0, var 1"), strict=True):
        heatmap(ax, m, [f"x{i}" for i in range(m.shape[0])], [f"f{j}" for j in range(m.shape[1])], title,
                cmap="coolwarm", vmin=-2.5, vmax=2.5, fmt="{:.1f}")
        ax.set_xlabel("feature")
    return fig


def draw_gradient_through_depth(norms: pd.DataFrame) -> Figure:
    """``train.gradient_through_depth``'s table: the gradient's size at each layer's input, post- and pre-LN."""
    fig, ax = new_figure(size=(5.5, 3.4), layout=None)
    fig.subplots_adjust(**{**FIXED, "left": 0.16})
    for name, style in (("post-LN", "o-"), ("pre-LN", "s-")):
        ax.plot(norms.index, norms[name], style, label=f"{name} blocks")
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("input of layer (1 = the bottom)")
    ax.set_ylabel("‖∂L/∂x‖ ÷ ‖∂L/∂output‖")
    ax.set_title("the gradient on its way down", fontsize=10)
    ax.legend(fontsize=9)
    return fig


def draw_loss(losses: Sequence[float], title: str = "training loss") -> Figure:
    """A training loss curve (log scale), one point per step."""
    fig, ax = new_figure(size=(5.0, 3.2), layout=None)
    fig.subplots_adjust(**{**FIXED, "left": 0.16})
    ax.plot(np.arange(1, len(losses) + 1), losses, lw=1)
    ax.set_yscale("log")
    plain_log_labels(ax)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy per token")
    ax.set_title(title)
    return fig


def draw_attention_maps(maps: Sequence[np.ndarray], inputs: Sequence[str], outputs: Sequence[str] | None = None,
                        title: str = "") -> Figure:
    """Every layer × head of a model's self-attention on one sequence: per layer the weights (H, L, L); the L
    ``inputs`` label the keys, ``outputs`` the queries (default: the inputs)."""
    layers, H = len(maps), np.shape(maps[0])[0]
    fig, axes = new_figure(H, layers, size=(3.4 * H, 3.1 * layers), squeeze=False, layout=None)
    fig.subplots_adjust(**{**FIXED, "left": 0.13, "top": 0.9 if title else 0.94}, wspace=0.3, hspace=0.45)
    for layer, m in enumerate(maps):
        for h in range(H):
            ax = axes[layer, h]
            heatmap(ax, np.asarray(m)[h], outputs or inputs, inputs, f"layer {layer + 1}, head {h + 1}",
                    annotate=False, vmax=1.0)
            ax.set_xlabel("key (input token)")
            if h == 0:
                ax.set_ylabel("query position")
    if title:
        fig.suptitle(title)
    return fig


# ---------------------------------------------------------------- the explorer's logic and figure


@dataclass
class AttentionExample:
    """What the explorer shows: per head, queries (H, L, d), keys (H, S, d), values (H, S, d_v), and labels."""

    name: str
    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    query_labels: Sequence[str]
    key_labels: Sequence[str]


def attention_view(example: AttentionExample, head: int = 0, scaled: bool = True, temperature: float = 1.0,
                   causal: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One head's weights (L, S) and output (L, d_v): softmax(q·kᵀ · c / temperature + mask), c = 1/√d or 1."""
    h = index(head, "head", len(example.q), what="a head")
    t = positive_float(temperature, "temperature")
    q, k, v = example.q[h], example.k[h], example.v[h]
    scores = q @ k.T * ((1 / np.sqrt(q.shape[-1])) if scaled else 1.0) / t
    if causal:
        scores = np.where(causal_mask(len(q), len(k)), -np.inf, scores)
    weights = masked_softmax(scores)
    return weights, weights @ v


def draw_explorer(example: AttentionExample, head: int = 0, scaled: bool = True, temperature: float = 1.0,
                  causal: bool = False) -> Figure:
    """The explorer's figure: one head's weights (left, with a colour bar) and its output rows (right)."""
    weights, out = attention_view(example, head, scaled, temperature, causal)
    fig, (a, b) = new_figure(2, size=(9.5, 4.0), layout=None, gridspec_kw={"width_ratios": [1.25, 1]})
    fig.subplots_adjust(left=0.1, right=0.93, bottom=0.2, top=0.88, wspace=0.35)  # fixed layout: fast redraws
    how = ("÷√d" if scaled else "raw") + (f", T = {temperature:g}" if temperature != 1 else "") \
        + (", causal" if causal else "")
    heatmap(a, weights, example.query_labels, example.key_labels, f"{example.name}: head {head + 1} ({how})",
            vmax=1.0, annotate=weights.size <= 16, colorbar=True)  # numbers in 64 cells would cost ~100 ms
    a.set_xlabel("key")
    a.set_ylabel("query")
    limit = np.abs(example.v).max()
    heatmap(b, out, example.query_labels, [str(j) for j in range(out.shape[1])], "output = weights · V",
            cmap="coolwarm", vmin=-limit, vmax=limit, annotate=False, colorbar=True)
    b.set_xticks([])
    b.set_yticks([])
    b.set_xlabel("value dimension")
    return fig


SENTENCE = "the animal didn't cross the street because it was tired".split()  # 06's mask figures


def explorer_examples(model: object | None = None, tokens: Sequence[int] | None = None,
                      seed: int = 0) -> dict[str, AttentionExample]:
    """The explorer's examples: given a trained ``TinyTransformer`` and one input sequence ``tokens``, each of
    its layers on that sequence (first: the default); "Thinking Machines" (one head, d_k = 64); and eight
    tokens through random 2-head projections (d = 16) — random weights, whose patterns mean nothing."""
    out = {}
    if model is not None:
        from .train import layer_heads

        labels = [str(int(t)) for t in tokens]
        for layer in reversed(range(len(model.blocks))):  # the last layer first: it reads the answer
            q, k, v = layer_heads(model, tokens, layer)
            name = f"trained model, layer {layer + 1}"
            out[name] = AttentionExample(name, q, k, v, [f"out {i}" for i in range(len(labels))], labels)
    ex = thinking_machines(seed=seed)
    X = ex["X"]
    out["Thinking Machines"] = AttentionExample(
        "Thinking Machines", (X @ ex["W_Q"])[None], (X @ ex["W_K"])[None], (X @ ex["W_V"])[None],
        ["Thinking", "Machines"], ["Thinking", "Machines"])
    rng = np.random.default_rng(seed)
    E, H, L = 16, 2, 8
    X = rng.standard_normal((L, E))
    q, k, v = (np.einsum("le,hed->hld", X, rng.standard_normal((H, E, E // H)) / np.sqrt(E / 2))
               for _ in range(3))
    names = [f"x{i + 1}" for i in range(L)]
    out["random weights"] = AttentionExample("random weights", q, k, v, names, names)
    return out
