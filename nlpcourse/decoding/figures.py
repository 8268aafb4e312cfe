"""Every figure of notebook 07: the tree a search explored (the beam stepper's view) and the cost of search.

``draw_beam_tree(state)`` draws a ``decoding.SearchState``'s nodes: kept beams bold, pruned candidates grey,
finished hypotheses as green squares, each labelled with its token and cumulative log-probability.
``search_tree(step, ...)`` runs the search with a beam wide enough to keep every prefix, so the same
drawing shows a toy model's whole tree (with greedy's and the best path highlighted).
``draw_search_cost`` compares exhaustive search's |V|^T with beam search's k·|V|·T.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from .. import validate
from ..plotting import new_figure
from . import BeamConfig, SearchState, StepFunction, count_sequences, expand, start

__all__ = ["STYLE", "tree_layout", "frame_tree_figure", "draw_beam_tree", "search_tree", "draw_search_cost",
           "draw_filtered"]

# status -> (edge colour, edge width, marker, marker colour)
STYLE = {"kept": ("0.1", 2.2, "o", "0.1"), "pruned": ("0.72", 1.0, "o", "0.72"),
         "finished": ("#2ca02c", 2.2, "s", "#2ca02c"), "start": ("0.1", 2.2, "o", "0.1")}


def tree_layout(state: SearchState) -> np.ndarray:
    """(N, 2) positions of the state's nodes: x = depth, y = leaf order (depth-first, best candidate on top),
    an inner node at the mean height of its children."""
    children: list[list[int]] = [[] for _ in state.nodes]
    for i, node in enumerate(state.nodes[1:], start=1):
        children[node.parent].append(i)
    y = np.zeros(len(state.nodes))
    next_leaf = 0
    order = [(0, False)]
    while order:  # iterative depth-first post-order (a deep tree must not hit Python's recursion limit)
        i, visited = order.pop()
        if not children[i]:
            y[i] = -next_leaf
            next_leaf += 1
        elif visited:
            y[i] = np.mean(y[children[i]])
        else:
            order.append((i, True))
            order.extend((c, False) for c in reversed(children[i]))
    return np.column_stack([[n.depth for n in state.nodes], y])


def frame_tree_figure(fig: Figure, nodes: Sequence, n_leaves: int) -> None:
    """The size and margins of ``draw_beam_tree``'s figure for a tree of these nodes and leaves: one column per
    step, one row per leaf, at most 10 × 4.4 inches (a widget's controls stay on a 768-pixel screen)."""
    depth = max(n.depth for n in nodes)
    fig.set_size_inches(min(2.6 + 1.5 * (depth + 1), 10.0), min(1.6 + 0.3 * n_leaves, 4.4))
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.02, right=0.98, top=1 - 0.55 / height, bottom=0.4 / height)


def _path_nodes(state: SearchState, tokens: Sequence[int]) -> list[int]:
    """The node ids along ``tokens`` (generated tokens) from the start node, as far as the tree has them."""
    path, node = [0], 0
    for w in tokens:
        nxt = [i for i, n in enumerate(state.nodes) if n.parent == node and n.token == w]
        if not nxt:
            break
        node = nxt[0]
        path.append(node)
    return path


def draw_beam_tree(state: SearchState, labels: Sequence[str] | None = None, *,
                   highlight: Mapping[str, Sequence[int]] | None = None, title: str | None = None,
                   max_nodes: int = 400, ax: Axes | None = None, fig: Figure | None = None) -> Figure:
    """The tree of hypotheses a beam search looked at, one column per step: kept beams bold, pruned grey,
    finished green squares, each labelled "token score" where its label has room (finished first, then kept,
    then pruned); ``highlight``: name -> generated tokens, paths drawn in colour; at most ``max_nodes`` nodes.
    ``fig``: a figure this function drew before, with its axes emptied (``ui.clear_artists``), drawn into again
    (a widget's kept figure: resized and framed as a new one, ``frame_tree_figure``)."""
    nodes = state.nodes[:validate.positive_int(max_nodes, "max_nodes")]
    sub = SearchState(state.prompt, [], nodes=nodes)
    xy = tree_layout(sub)
    n_leaves = int(-xy[:, 1].min()) + 1
    depth = max(n.depth for n in nodes)
    if ax is None:
        if fig is None:
            fig, ax = new_figure(size=(1.0, 1.0), layout=None)
        else:
            ax = fig.axes[0]
        frame_tree_figure(fig, nodes, n_leaves)
    fig = ax.figure
    label = (lambda t: str(t)) if labels is None else (lambda t: labels[t])
    prompt = " ".join(label(t) for t in state.prompt)
    w, c = fig.get_figwidth() * ax.get_position().width, 0.08 * len(prompt)  # inches: the axes, the prompt
    left = max(1.4, (c * (depth + 1) / w + 0.15) / max(1 - c / w, 0.2))  # room for the prompt on the left
    ax.set_xlim(-left, depth + 1.0)
    ax.set_ylim(-n_leaves + 0.4, 0.8)
    ax.axis("off")
    texts = []  # (priority, text): finished, then kept, then pruned labels get the room first
    for priority, status in enumerate(("finished", "kept", "pruned")):
        idx = [i for i, n in enumerate(nodes) if i and n.status == status]
        colour, width, marker, mcolour = STYLE[status]
        ax.add_collection(LineCollection([(xy[nodes[i].parent], xy[i]) for i in idx], colors=colour,
                                         linewidths=width, zorder=1))
        ax.scatter(xy[idx, 0], xy[idx, 1], s=28 if marker == "s" else 14, marker=marker, color=mcolour,
                   zorder=3, label={"kept": "kept (open beam)", "pruned": "pruned",
                                    "finished": "finished (EOS or length limit)"}[status] if idx else None)
        texts += [(priority, ax.text(xy[i, 0] + 0.06, xy[i, 1] + 0.12, f"{label(nodes[i].token)} {nodes[i].score:.2f}",
                                     fontsize=9, color="0.1" if status != "pruned" else "0.45", zorder=4,
                                     fontweight="bold" if status != "pruned" else "normal")) for i in idx]
    ax.scatter([xy[0, 0]], [xy[0, 1]], s=40, color="0.1", zorder=3)
    ax.text(xy[0, 0] - 0.06, xy[0, 1], prompt, ha="right", va="center", fontsize=9)
    for (name, tokens), colour in zip((highlight or {}).items(), ("#d62728", "#1f77b4", "#ff7f0e"),
                                      strict=False):
        path = _path_nodes(sub, tokens)
        ax.plot(xy[path, 0], xy[path, 1], color=colour, lw=4, alpha=0.45, zorder=2, label=name)
    if title is None:
        best = state.finished[0] if state.finished else None
        title = f"after {state.steps} step(s)" + (
            f": best finished {' '.join(label(t) for t in best[1].tokens)} (score {best[0]:.2f})" if best else "")
    ax.set_title(title, fontsize=10, y=1.0)  # a fixed y (the axes are off): no costly search for the title's place
    handles = ax.get_legend_handles_labels()[0]
    legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=len(handles), fontsize=9,
                       frameon=False, borderaxespad=0.2) if handles else None  # in one row below the tree
    _make_room([t for _, t in sorted(texts, key=lambda p: p[0])], ax, legend)
    return fig


def _make_room(texts: list, ax: Axes, legend: object | None) -> None:
    """Hide every label that would overlap a label placed before it, the legend, or leave the axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = ax.figure.canvas  # an Agg canvas (a widget's): the renderer that will draw, and the sizes it measured
    renderer = (canvas if isinstance(canvas, FigureCanvasAgg) else FigureCanvasAgg(ax.figure)).get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = [legend.get_window_extent(renderer)] if legend is not None else []
    for t in texts:
        box = t.get_window_extent(renderer)
        if box.x1 > frame.x1:  # past the right edge: write it to the left of its node instead
            t.set_horizontalalignment("right")
            t.set_x(t.get_position()[0] - 0.12)
            box = t.get_window_extent(renderer)
        if box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1 or any(box.overlaps(b) for b in taken):
            t.set_visible(False)
        else:
            taken.append(box)


def search_tree(step: StepFunction, prompt: Sequence[int], *, max_new_tokens: int, eos_token_id: int | None,
                pad_token_id: int, num_beams: int = 10**6, length_penalty: float = 0.0) -> SearchState:
    """Run beam search on one prompt to the end and return its state (with ``num_beams`` huge, every
    prefix is kept: the model's whole tree, for ``draw_beam_tree``)."""
    cfg = BeamConfig(num_beams, max_new_tokens, eos_token_id, pad_token_id, length_penalty, "never")
    state = start(prompt)
    V = None
    while not state.done:
        V = expand(step, [state], cfg, V)
    return state


def draw_search_cost(vocab_size: int, num_beams: Sequence[int] = (1, 5, 10), max_len: int = 20,
                     ax: Axes | None = None) -> Figure:
    """Sequences exhaustive search scores (count_sequences(V, T)) vs candidates beam search scores
    (k·V per step, k·V·T in all), for T = 1..max_len, log scale."""
    vocab_size = validate.positive_int(vocab_size, "vocab_size")
    max_len = validate.positive_int(max_len, "max_len")
    num_beams = [validate.positive_int(k, "num_beams") for k in validate.non_empty(num_beams, "num_beams")]
    if ax is None:
        fig, ax = new_figure(size=(6.0, 3.6), layout=None)  # fixed margins: a faster render (the PNG is cropped)
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.14, top=0.9)
    fig = ax.figure
    T = np.arange(1, max_len + 1)
    ax.semilogy(T, [float(count_sequences(vocab_size, t)) for t in T], color="#d62728", lw=2,
                label=f"exhaustive: all sequences ≈ |V|^T (|V| = {vocab_size})")
    for k, ls in zip(num_beams, ("-", "--", ":", "-."), strict=False):
        ax.semilogy(T, k * vocab_size * T, color="#1f77b4", ls=ls, lw=1.6, label=f"beam k = {k}: k·|V|·T")
    ax.set_xlabel("output length T")
    ax.set_ylabel("candidates scored")
    ax.legend(fontsize=9, frameon=False)
    ax.set_title("The cost of search")
    return fig


def draw_filtered(logp: np.ndarray, words: Sequence[str], settings: dict[str, dict], top: int = 12) -> Figure:
    """Sampling's knobs at one step: the model's distribution (the ``top`` most probable words) and, per setting
    (name -> ``sampling.warp``'s knobs), the distribution a sampler actually draws from."""
    from .sampling import filtered_distribution

    logp = validate.float_array(logp, "logp", ndim=1, finite=False)
    top = validate.positive_int(top, "top")
    if len(words) != len(logp):
        raise ValueError(f"words: expected one word per entry of logp ({len(logp)}), got {len(words)}")
    order = np.argsort(-logp, kind="stable")[:top]
    panels = {"the model": {}, **settings}
    width = 2.6 * len(panels)
    fig, axes = new_figure(len(panels), size=(width, 3.6), sharey=True, layout=None)  # fixed margins: faster
    fig.subplots_adjust(left=1.0 / width, right=1 - 0.3 / width, bottom=0.14, top=0.9, wspace=0.3)
    for ax, (name, knobs) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        p = filtered_distribution(logp, **knobs)[order]
        ax.barh(range(len(order))[::-1], p, color=["C0" if v > 0 else "0.8" for v in p])
        ax.set_title(name, fontsize=9)
        ax.set_xlim(0, max(0.05, float(p.max()) * 1.1))
        ax.set_xlabel("probability", fontsize=8)
    np.atleast_1d(axes)[0].set_yticks(range(len(order))[::-1], [words[i] for i in order], fontsize=8)
    return fig
