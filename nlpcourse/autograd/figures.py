"""Notebook 04's figure: a computation graph, layered by depth, with each node's value and gradient."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.transforms import offset_copy

from ..plotting import new_figure, plain_log_labels
from . import Value, topological_order

__all__ = ["draw_graph", "paint_graph", "draw_training"]

BOX_W, BOX_H = 0.78, 0.8  # a node's box, in data units (columns and rows are 1 apart)


def _layout(root: Value) -> dict[int, tuple[float, float]]:
    """id(node) -> (column, row): inputs in column 0, a gate one column right of its deepest input,
    a constant just left of the gate that uses it; rows ordered by the mean row of a node's inputs."""
    order = topological_order(root)
    depth: dict[int, int] = {}
    for n in order:
        depth[id(n)] = 1 + max(depth[id(c)] for c in n.inputs) if n.inputs else 0
    users: dict[int, list[Value]] = {}
    for n in order:
        for c in n.inputs:
            users.setdefault(id(c), []).append(n)
    for n in order:
        if n._constant and id(n) in users:
            depth[id(n)] = min(depth[id(u)] for u in users[id(n)]) - 1
    columns: dict[int, list[Value]] = {}
    for n in order:
        columns.setdefault(depth[id(n)], []).append(n)
    pos: dict[int, tuple[float, float]] = {}
    for col in sorted(columns):
        nodes = columns[col]
        for i, n in enumerate(nodes):
            placed = [pos[id(c)][1] for c in n.inputs if id(c) in pos and not c._constant]
            pos[id(n)] = (col, sum(placed) / len(placed) if placed else float(i))
        for n in nodes:  # a constant goes one row above the other inputs of the gate that uses it
            if n._constant and id(n) in users:
                rows = [pos[id(c)][1] for u in users[id(n)] for c in u.inputs if id(c) in pos and c is not n]
                pos[id(n)] = (col, min(rows) - 1.0 if rows else pos[id(n)][1])
        # keep the rows' order, but at least one row apart
        nodes.sort(key=lambda n: pos[id(n)][1])
        prev = -math.inf
        for n in nodes:
            row = max(pos[id(n)][1], prev + 1.0)
            pos[id(n)] = (col, row)
            prev = row
    top = min(r for _, r in pos.values())
    return {k: (c, r - top) for k, (c, r) in pos.items()}


def draw_graph(root: Value, values: dict[int, float] | None = None, grads: dict[int, float] | None = None,
               highlight: Value | None = None, gate: Value | None = None, title: str = "",
               ax: Axes | None = None) -> Figure:
    """Draw the graph ending at ``root`` left to right, layered by depth; each node shows its name and op, its
    value (black) and its gradient (red), like the lecture's circuit diagrams.

    ``values`` / ``grads``: id(node) -> number to show (None: every node's data / grad; a missing node "?").
    ``highlight``: a node in a thick orange frame; ``gate``: the node whose edge to ``highlight`` is orange,
    its arrow pointing back to ``highlight`` (the gradient's direction in the stepper's current step)."""
    topological_order(root)  # a ValueError naming root unless it is one Value
    pos = _layout(root)
    order = topological_order(root)
    n_cols = 1 + max(c for c, _ in pos.values())
    n_rows = 1 + max(r for _, r in pos.values())
    if ax is None:  # ≤ 10 in wide: shown unscaled on a 1366-px screen, so 9 pt text stays 9 pt
        fig = Figure(figsize=(min(10.0, max(4.0, 1.3 * n_cols)), max(2.0, 0.9 * n_rows + 0.5)))
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99 - 0.4 / fig.get_figheight())
    ax.set_xlim(-0.55, n_cols - 0.45)
    ax.set_ylim(n_rows - 0.45, -0.6)  # row 0 at the top
    ax.set_axis_off()
    for i, n in enumerate(order):  # one arrow per edge, placed and styled by paint_graph
        for j in range(len(n.inputs)):
            ax.add_artist(FancyArrowPatch((0, 0), (0, 0), arrowstyle="-|>", shrinkA=0, shrinkB=0, gid=f"edge {i} {j}"))
    # name, value and gradient: three lines 13 pt apart (a 9-pt line is ~12 pt tall), whatever the figure's size
    shifts = [offset_copy(ax.transData, fig=ax.figure, y=dy, units="points") for dy in (13.0, 0.0, -13.0)]
    for i, n in enumerate(order):
        x, y = pos[id(n)]
        ax.add_artist(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H, boxstyle="round,pad=0.02",
                                     gid=f"box {i}"))
        head = "const" if n._constant else n.label if not n.op else f"{n.label or ''} [{n.op}]".strip()
        for kind, shift, color in zip(("name", "value", "grad"), shifts, ("black", "black", "#d62728"), strict=True):
            ax.text(x, y, head if kind == "name" else "", ha="center", va="center", fontsize=9, color=color,
                    transform=shift, gid=f"{kind} {i}")  # (value and grad: paint_graph writes them)
    paint_graph(ax, root, values, grads, highlight, gate, title)
    return ax.figure


def paint_graph(ax: Axes, root: Value, values: dict[int, float] | None = None, grads: dict[int, float] | None = None,
                highlight: Value | None = None, gate: Value | None = None, title: str = "") -> None:
    """Show other values, gradients, highlight, gate and title in ``draw_graph``'s drawing of the same graph
    (``ax``): its texts, frames and arrows change, nothing is drawn anew (the widget's redraw)."""
    pos, order = _layout(root), topological_order(root)
    parts = {a.get_gid(): a for a in ax.get_children() if a.get_gid()}
    for i, n in enumerate(order):
        for j, c in enumerate(n.inputs):
            (x0, y0), (x1, y1) = pos[id(c)], pos[id(n)]
            hot = highlight is c and gate is n  # the edge a backward step sends its gradient along
            tail, head = (x0 + BOX_W / 2, y0), (x1 - BOX_W / 2, y1)  # forward: from the input into the gate
            if hot:
                tail, head = head, tail  # the gradient flows backward: from the gate to its input
            arrow = parts[f"edge {i} {j}"]
            arrow.set_positions(tail, head)
            arrow.set_mutation_scale(14 if hot else 10)
            arrow.set_color("#ff7f0e" if hot else "#888888")
            arrow.set_linewidth(2.5 if hot else 1.0)
            arrow.set_zorder(3 if hot else 1)
        hot = n is highlight
        box = parts[f"box {i}"]
        box.set_facecolor("#fff3e0" if hot else ("#f2f2f2" if n._constant else "white"))
        box.set_edgecolor("#ff7f0e" if hot else ("#1f77b4" if n is gate else "#555555"))
        box.set_linewidth(2.5 if hot else 1.0)
        v = n.data if values is None else values.get(id(n))
        g = n.grad if grads is None else grads.get(id(n))
        parts[f"value {i}"].set_text("?" if v is None else f"{v:.4g}")
        parts[f"grad {i}"].set_text("grad ?" if g is None else f"grad {g:.4g}")
    ax.set_title(title, fontsize=10, loc="left", y=1.0)  # a fixed y skips matplotlib's costly auto-placement


def draw_training(losses: list[float], predictions: list[float], targets: list[float]) -> Figure:
    """Two panels: the loss per SGD step (log scale), and each example's prediction next to its target."""
    fig, (ax1, ax2) = new_figure(ncols=2, size=(9.0, 3.4), layout=None)  # fixed margins: a faster render
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.14, top=0.9, wspace=0.25)
    ax1.plot(range(len(losses)), losses, marker="o", ms=3)
    ax1.set_yscale("log")
    plain_log_labels(ax1)
    ax1.set_xlabel("SGD step")
    ax1.set_ylabel("loss Σ (ŷ − y)²")
    ax1.set_title("the loss falls")
    k = np.arange(len(targets))
    ax2.bar(k - 0.2, targets, width=0.4, label="target y", color="0.7")
    ax2.bar(k + 0.2, predictions, width=0.4, label="prediction ŷ", color="#1f77b4")
    ax2.axhline(0, color="0.4", lw=0.8)
    ax2.set_xticks(k, [f"example {i + 1}" for i in k])
    ax2.set_title("after training")
    ax2.legend(loc="lower right", fontsize=9)
    return fig
