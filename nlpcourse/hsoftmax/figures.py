"""Notebook 02's figures: the tree with codes or branch probabilities, the measured cost; the widget's toy model.

``ToyExample.draw`` (a ``draw_tree`` of the toy model) is what the widget ``widgets.hsoftmax_path_explorer``
redraws and the static cell after it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.text import Text

from .. import validate
from ..functional import sigmoid
from ..plotting import new_figure
from . import LECTURE_BRANCHES, HuffmanTree, branch_probabilities, leaf_probabilities

__all__ = ["draw_tree", "update_tree", "draw_lecture_path", "draw_speed", "TOY_COUNTS", "ToyExample", "toy_example"]



def _layout(tree: HuffmanTree) -> tuple[np.ndarray, np.ndarray]:
    """x (leaves 0, 1, 2, ... left to right; inner nodes centred over their children) and y = -depth."""
    V = tree.n_leaves
    x = np.zeros(2 * V - 1)
    y = np.zeros(2 * V - 1)
    order: list[int] = []
    stack = [(tree.root, 0)]
    while stack:  # depth-first, left child first
        node, depth = stack.pop()
        y[node] = -depth
        if node < V:
            x[node] = len(order)
            order.append(node)
        else:
            left, right = tree.children[node - V]
            stack += [(int(right), depth + 1), (int(left), depth + 1)]
    for j in range(V - 1):  # children are merged before parents
        x[V + j] = x[tree.children[j]].mean()
    return x, y


def _label(symbol: str) -> str:
    return "␣" if symbol == " " else symbol


def draw_tree(tree: HuffmanTree, word: str | int | None = None, center: np.ndarray | None = None,
              inner: np.ndarray | None = None, ax: Axes | None = None, show_counts: bool = True,
              center_label: str = "center") -> Figure:
    """Draw a small tree (≤ ~20 leaves stays readable at 9 pt), each edge labelled with its code bit, or, given
    ``center`` (d,) and ``inner`` (V-1, d), with its branch probability and each leaf with p(leaf | center).

    ``word``: a leaf whose path is highlighted (its code, or its running product, in the title);
    ``show_counts``: each leaf's count under it (without vectors); ``center_label``: the title's name for it."""
    if (center is None) != (inner is None):
        raise ValueError("center, inner: give both (to show probabilities) or neither")
    V = tree.n_leaves
    if center is not None:
        leaf_probabilities(tree, center, inner)  # checks center (d,) and inner (V-1, d)
    if word is not None:
        tree.index(word)  # checks the word before anything is drawn
    if ax is None:
        # fixed margins instead of constrained layout (the axes are off): the widget redraws within 100 ms
        # at most 10 in wide: a laptop shows a wider figure scaled down, and 9 pt text then reads as 7
        fig, ax = new_figure(size=(min(1.0 + 0.7 * V, 10.0), 0.9 + 0.75 * (tree.max_depth + 1)), layout=None)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9)
    x, y = _layout(tree)
    for j, (left, right) in enumerate(tree.children):  # the edges' labels: texts and colours by update_tree
        parent = V + j
        for child, bit in ((int(left), 0), (int(right), 1)):
            ax.text((x[parent] + x[child]) / 2, (y[parent] + y[child]) / 2, "", fontsize=9,
                    ha="right" if bit == 0 else "left", va="bottom", zorder=3)
    # one LineCollection per style (the other edges, the path's): fast to render; segments by update_tree
    ax.add_collection(LineCollection([], colors="0.6", linewidths=1.0, zorder=1))
    ax.add_collection(LineCollection([], colors="#d62728", linewidths=2.5, zorder=1))
    inner_ids = np.arange(V, 2 * V - 1)
    ax.scatter(x[inner_ids], y[inner_ids], s=18, color="0.3", zorder=2)
    for i in range(V):
        ax.text(x[i], y[i], _label(tree.symbols[i]), ha="center", va="center", fontsize=9, zorder=4,
                bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "0.5"})
        ax.text(x[i], y[i] - 0.35, "", ha="center", va="top", fontsize=9, color="0.35")
    ax.set_xlim(x.min() - 0.8, x.max() + 0.8)
    ax.set_ylim(y.min() - 0.9, 0.4)
    ax.axis("off")
    if word is not None:
        ax.set_title("", **({} if center is None else {"fontsize": 9}))
    update_tree(ax, tree, word, center, inner, show_counts, center_label)
    return ax.figure


def update_tree(ax: Axes, tree: HuffmanTree, word: str | int | None = None, center: np.ndarray | None = None,
                inner: np.ndarray | None = None, show_counts: bool = True, center_label: str = "center") -> None:
    """Set the texts and colours of ``draw_tree``'s artists in ``ax`` (of the same tree, with or without vectors
    as drawn) to those of ``draw_tree(tree, word, center, inner, ...)``, touching only what changed: the widget's
    redraw moves them instead of drawing a new tree."""
    V = tree.n_leaves
    probs = leaves = None
    if center is not None:
        leaves = leaf_probabilities(tree, center, inner)
        probs = sigmoid(np.asarray(inner, dtype=float) @ np.asarray(center, dtype=float))  # p(left) per inner node
    on_path: set[int] = set()
    target = None
    if word is not None:
        target = tree.index(word)
        nodes, _ = tree.path(target)
        on_path = {int(n) + V for n in nodes} | {target}
    x, y = _layout(tree)
    edges: dict[bool, list] = {False: [], True: []}
    texts = iter(ax.texts)
    for j, (left, right) in enumerate(tree.children):
        parent = V + j
        for child, bit in ((int(left), 0), (int(right), 1)):
            hot = parent in on_path and child in on_path
            edges[hot].append([(x[parent], y[parent]), (x[child], y[child])])
            _set(next(texts), str(bit) if probs is None else f"{probs[j] if bit == 0 else 1 - probs[j]:.2f}",
                 "#d62728" if hot else "0.25")
    for collection, hot in zip(ax.collections[:2], (False, True), strict=True):
        if [s.tolist() for s in collection.get_segments()] != [np.asarray(e).tolist() for e in edges[hot]]:
            collection.set_segments(edges[hot])
    for i in range(V):
        box = next(texts).get_bbox_patch()
        fc, ec = ("#fde0dd", "#d62728") if i == target else ("white", "0.5")
        if box.get_facecolor() != to_rgba(fc) or box.get_edgecolor() != to_rgba(ec):
            box.set_facecolor(fc)
            box.set_edgecolor(ec)
        _set(next(texts), f"{leaves[i]:.3f}" if leaves is not None else (f"{tree.counts[i]}" if show_counts else ""))
    if target is not None:
        name = _label(tree.symbols[target])
        if center is None:
            ax.title.set_text(f"'{name}': code {tree.code(target)} (length {tree.lengths[target]})")
        else:
            bp = branch_probabilities(tree, target, center, inner)
            factors = " × ".join(f"{p:.2f}" for p in bp)
            ax.title.set_text(f"p('{name}' | {center_label}) = {factors} = {np.prod(bp):.4f}")


def _set(text: Text, string: str, color: str | None = None) -> None:
    """Set a text's string (and colour), marking it changed (stale) only where it changed."""
    text.set_text(string)  # (stale only if the string changed)
    if color is not None and text.get_color() != color:
        text.set_color(color)


def draw_lecture_path(branches: Sequence[float] = LECTURE_BRANCHES, word: str = "language",
                      center: str = "natural", ax: Axes | None = None) -> Figure:
    """The lecture's path: from the root to ``word``, one inner node per decision, each edge with its probability.

    The branch taken at each node (red) has the probability given, the other branch (grey, to a subtree of
    other words drawn as "…") the rest, 1 − p; the product is left to the reader (the exercise asks for it).
    ``branches``: the probabilities of the turns taken, root first."""
    branches = [validate.probability(b, "branches") for b in validate.non_empty(branches, "branches",
                                                                               what="branch probabilities")]
    n = len(branches)
    if ax is None:
        fig, ax = new_figure(size=(6.4, 0.9 + 0.8 * n))
    for k, p in enumerate(branches):
        node, taken, other = (k, -k), (k + 1, -k - 1), (k - 0.9, -k - 1)
        ax.plot(*zip(node, taken, strict=True), color="#d62728", lw=2.5, zorder=1)
        ax.plot(*zip(node, other, strict=True), color="0.6", lw=1.0, zorder=1)
        ax.scatter(*node, s=30, color="0.3", zorder=2)
        ax.text(k + 0.55, -k - 0.45, f"{p:.2f}", color="#d62728", fontsize=9, ha="left", va="bottom")
        ax.text(k - 0.5, -k - 0.45, f"{1 - p:.2f}", color="0.35", fontsize=9, ha="right", va="bottom")
        ax.text(*other, "…", ha="center", va="top", fontsize=10, color="0.35",
                bbox={"boxstyle": "round,pad=0.2", "fc": "0.95", "ec": "0.7"})
        ax.text(k + 0.12, -k + 0.08, f"n{k + 1}", fontsize=9, color="0.3", ha="left", va="bottom")
    ax.text(n, -n, word, ha="center", va="top", fontsize=9,
            bbox={"boxstyle": "round,pad=0.25", "fc": "#fde0dd", "ec": "#d62728"})
    ax.set_xlim(-1.6, n + 1.0)
    ax.set_ylim(-n - 0.8, 0.6)
    ax.axis("off")
    ax.set_title(f"the lecture's tree: the path to '{word}' given '{center}' (grey: the other branch)",
                 fontsize=9)
    return ax.figure

def draw_speed(timings: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """``measure_speed``'s DataFrame[V, softmax_ms, hs_ms, speedup, ...]: ms per batched loss + gradient against
    |V| (log–log), both methods."""
    missing = {"V", "softmax_ms", "hs_ms", "speedup"} - set(timings.columns)
    if missing:
        raise ValueError(f"timings: expected measure_speed's columns, missing {sorted(missing)}")
    if ax is None:
        fig, ax = new_figure(size=(5.5, 3.6))
    ax.loglog(timings["V"], timings["softmax_ms"], "o-", label="full softmax: O(|V|)")
    ax.loglog(timings["V"], timings["hs_ms"], "s-", label="hierarchical softmax: O(log |V|)")
    for v, t, r in zip(timings["V"], timings["softmax_ms"], timings["speedup"], strict=True):
        ax.annotate(f"{r:.0f}×", (v, t), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=9)
    ax.set_xlabel("vocabulary size |V|")
    ax.set_ylabel("ms per batched loss + gradient")
    ax.legend(frameon=False, fontsize=9)
    ax.set_title("measured cost (labels: speed-up)")
    return ax.figure



# ---------------------------------------------------------------- a toy model for the widget (its state space)

TOY_COUNTS = {"the": 20, "language": 14, "natural": 12, "processing": 9, "model": 7, "word": 6,
              "vector": 5, "tree": 4, "softmax": 3, "huffman": 2}


@dataclass(frozen=True)
class ToyExample:
    """A 10-word tree with fixed random vectors: the widget's state space."""

    tree: HuffmanTree
    W_in: np.ndarray         # (V, d) the word ("center") vectors θ_W
    inner: np.ndarray        # (V-1, d) the inner-node vectors θ_C
    direction: np.ndarray    # (d,) the unit direction the "move h" control shifts the center vector along

    def center_at(self, center: str = "natural", perturb: float = 0.0) -> np.ndarray:
        """(d,) θ_W[center] moved by ``perturb`` along ``direction``."""
        return self.W_in[self.tree.index(center)] + float(perturb) * self.direction

    def draw(self, word: str = "language", center: str = "natural", perturb: float = 0.0,
             ax: Axes | None = None) -> Figure:
        """The tree with ``word``'s path, branch probabilities and running product for the (moved) center."""
        return draw_tree(self.tree, word, self.center_at(center, perturb), self.inner, ax=ax,
                         center_label=self._center_label(center, perturb))

    def update(self, ax: Axes, word: str = "language", center: str = "natural", perturb: float = 0.0) -> None:
        """Turn ``draw``'s tree in ``ax`` (of any state) into ``draw(word, center, perturb)``'s (``update_tree``)."""
        update_tree(ax, self.tree, word, self.center_at(center, perturb), self.inner,
                    center_label=self._center_label(center, perturb))

    @staticmethod
    def _center_label(center: str, perturb: float) -> str:
        return f"'{center}'" if perturb == 0 else f"'{center}' {perturb:+.2f}·u"


def toy_example(dim: int = 4, seed: int = 0) -> ToyExample:
    """The widget's toy model: a Huffman tree over ``TOY_COUNTS`` and seeded random vectors."""
    dim, seed = validate.positive_int(dim, "dim"), validate.non_negative_int(seed, "seed")
    tree = HuffmanTree.build(np.array(list(TOY_COUNTS.values())), list(TOY_COUNTS))
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=dim)
    return ToyExample(tree, rng.normal(size=(tree.n_leaves, dim)), 0.6 * rng.normal(size=(tree.n_inner, dim)),
                      direction / np.linalg.norm(direction))
