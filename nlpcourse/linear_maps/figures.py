"""Notebook 00's figures: a matrix acting on the grid, a gallery of matrices, a layer f(A·p + b), and a layer
that makes two interleaved classes separable. Every panel's limits fit what it draws.

``draw_layer`` is also what the notebook's widget (``widgets.linear_map_explorer``) redraws.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from .. import validate
from ..plotting import label_points, new_figure, plot_grid, plot_points, plot_vectors
from . import (
    UNIT_SQUARE,
    ArrayLike2x2,
    as_matrix,
    det_label,
    layer,
    linear_map,
    make_grid,
    map_points,
    real_eigenvectors,
    separating_line,
)

__all__ = ["draw_linear_map", "draw_gallery", "draw_layer", "draw_separation", "fit_axes", "still_fits"]

CLASS_COLORS = ("#1f77b4", "#d62728")  # class 0 (outside the stripe), class 1 (inside)


def fit_axes(ax: Axes, *coords: np.ndarray, title: str | None = None, pad: float = 0.08,
             limits: tuple[float, float, float, float] | None = None) -> tuple[float, ...]:
    """Equal-aspect square limits that hold every point of ``coords`` (pairs xs, ys, ...), padded by ``pad``
    of the span (or the given ``limits``); thin axes through the origin where it is in view. Returns
    (x0, x1, y0, y1)."""
    if limits is None:
        xs = np.concatenate([np.ravel(c) for c in coords[0::2]])
        ys = np.concatenate([np.ravel(c) for c in coords[1::2]])
        cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
        half = _half_width(xs, ys, pad)
        limits = (cx - half, cx + half, cy - half, cy + half)
    x0, x1, y0, y1 = limits
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.locator_params(nbins=5)
    if y0 < 0 < y1:
        ax.axhline(0, color="0.6", lw=0.8, zorder=0)
    if x0 < 0 < x1:
        ax.axvline(0, color="0.6", lw=0.8, zorder=0)
    if title:
        ax.set_title(title)
    return x0, x1, y0, y1


def still_fits(ax: Axes, xs: np.ndarray, ys: np.ndarray, pad: float = 0.08) -> bool:
    """Whether ``ax``'s square limits (from ``fit_axes``) still hold every point with a quarter of ``fit_axes``'s
    margin, and the points still span at least half of them: a widget then keeps its view (the grid moves on screen)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    margin = pad / 4 / (1 + 2 * pad) * (x1 - x0)
    inside = (xs.min() >= x0 + margin and xs.max() <= x1 - margin and ys.min() >= y0 + margin
              and ys.max() <= y1 - margin)
    return bool(inside and 2 * _half_width(xs, ys, pad) >= (x1 - x0) / 2)


def _half_width(xs: np.ndarray, ys: np.ndarray, pad: float) -> float:
    """Half the side of ``fit_axes``'s square: the larger span (at least 0.2), padded by ``pad`` on each side."""
    return max(xs.max() - xs.min(), ys.max() - ys.min(), 0.2) / 2 * (1 + 2 * pad)


def draw_linear_map(A: ArrayLike2x2, ax: Axes | None = None, title: str | None = None,
                    show_eigenvectors: bool = False, n: int = 9) -> Figure:
    """The grid before (faint) and after A, the images of e1 and e2, the unit square's image (area |det A|),
    and optionally the real eigen-directions (dashed) with their λ."""
    A = as_matrix(A)
    if ax is None:
        fig, ax = new_figure(size=(4.0, 4.0), layout=None)  # fixed margins (a faster render; the PNG is cropped)
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.08, top=0.9)
    xs, ys = make_grid(2.0, validate.integer(n, "n", low=2))
    mx, my = linear_map(A, xs, ys)
    square = A @ UNIT_SQUARE                                  # (2, 4)
    x0, x1, y0, y1 = fit_axes(ax, xs, ys, mx, my, square[0], square[1], A[0], A[1],
                              title=title if title is not None else f"det A = {det_label(A)}")
    plot_grid(xs, ys, ax, color="0.8", lw=0.7)
    plot_grid(mx, my, ax)
    plot_points(ax, mx, my)
    ax.add_patch(Polygon(square.T, closed=True, color="#ff7f0e", alpha=0.35, zorder=2))
    colors = ["#d62728", "#2ca02c"]
    plot_vectors(ax, A.T, colors=colors)
    lim = min(x1 - x0, y1 - y0) / 2
    tips, names, tip_colors = [*A.T], ["Ae₁", "Ae₂"], colors
    if show_eigenvectors:
        for lam, v in real_eigenvectors(A):
            ax.plot([-2 * lim * v[0], 2 * lim * v[0]], [-2 * lim * v[1], 2 * lim * v[1]], ls="--",
                    color="#9467bd", lw=1.2)
            tips.append(0.75 * lim * v)
            names.append(f"λ={lam:.2f}")
            tip_colors = [*tip_colors, "#9467bd"]
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
    # labels at the arrow tips and on the eigen-directions, placed so that no two overlap (a projection sends
    # e₁ and e₂ to one point)
    tips = np.array(tips)
    label_points(ax, tips, names, colors=tip_colors, prefer=np.where(tips == 0.0, 1.0, tips), fontsize=10)
    return ax.figure


def draw_gallery(maps: Mapping[str, ArrayLike2x2], show_eigenvectors: bool = False) -> Figure:
    """One panel per named (2, 2) matrix, side by side (1 to 6; titles: name and det)."""
    if not 1 <= len(maps) <= 6:
        raise ValueError(f"maps: expected 1 to 6 matrices, got {len(maps)}")
    fig, axes = new_figure(ncols=len(maps), size=(3.3 * len(maps), 3.6), squeeze=False, layout=None)
    fig.subplots_adjust(left=0.25 / len(maps), right=1 - 0.05 / len(maps), bottom=0.08, top=0.84, wspace=0.3)
    for ax, (name, A) in zip(axes[0], maps.items(), strict=True):
        draw_linear_map(A, ax=ax, title=f"{name}\ndet = {det_label(A)}", show_eigenvectors=show_eigenvectors)
    return fig


def draw_layer(A: ArrayLike2x2, b: tuple[float, float] | np.ndarray = (0.0, 0.0), activation: str = "relu",
               limits: Sequence[tuple[float, float, float, float] | None] | None = None) -> Figure:
    """Three panels: the input grid, after the linear part A·p + b, after the nonlinearity f(·); each panel
    zoomed to what it holds (or shown at ``limits``: one (x0, x1, y0, y1) or None per panel). The widget's
    drawing function (notebook 00) and the static figure after it."""
    limits = [None] * 3 if limits is None else list(limits)
    if len(limits) != 3:
        raise ValueError(f"limits: expected one (x0, x1, y0, y1) or None per panel (3), got {len(limits)}")
    xs, ys = make_grid(2.0, 11)
    lx, ly = layer(A, b, xs, ys, "identity")
    nx, ny = layer(A, b, xs, ys, activation)
    fig, axes = new_figure(ncols=3, size=(10.5, 3.8), layout=None)  # fixed margins: the widget redraws fast
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.08, top=0.9, wspace=0.22)
    titles = ["input grid", f"A·p + b   (det A = {det_label(A)})", f"{activation}(A·p + b)"]
    for ax, (gx, gy), title, lim in zip(axes, [(xs, ys), (lx, ly), (nx, ny)], titles, limits, strict=True):
        fit_axes(ax, gx, gy, title=title, limits=lim)
        plot_grid(gx, gy, ax)
        plot_points(ax, gx, gy)
    return fig


def draw_separation(W: ArrayLike2x2, b: np.ndarray, activation: str, points: np.ndarray,
                    labels: np.ndarray) -> Figure:
    """Two panels: the two classes in the plane, and after the layer f(W p + b) with the widest separating line
    (``separating_line``) when there is one."""
    H = map_points(W, validate.float_array(b, "b"), points, activation)   # (n, 2)
    fig, axes = new_figure(ncols=2, size=(8.0, 4.0), layout=None)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=0.9, wspace=0.2)
    before = "a line separates them" if separating_line(points, labels) else "no line separates them"
    for ax, P, title in ((axes[0], points, f"the plane: {before}"), (axes[1], H, f"after {activation}(W p + b)")):
        x0, x1, y0, y1 = fit_axes(ax, P[:, 0], P[:, 1], title=title)
        for k, name in enumerate(("outside the stripe", "inside the stripe")):
            ax.scatter(*P[labels == k].T, s=10, color=CLASS_COLORS[k], label=name)
    line = separating_line(H, labels)
    ax = axes[1]
    if line is not None:
        w, c, _ = line
        t = np.linspace(-1, 1, 2) * 2 * max(x1 - x0, y1 - y0)
        direction, foot = np.array([-w[1], w[0]]), -c * w / (w @ w)    # along the line; its point nearest 0
        ax.plot(foot[0] + t * direction[0], foot[1] + t * direction[1], color="k", lw=1.5, ls="--")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
    axes[0].legend(loc="upper left", fontsize=9, framealpha=0.9)
    return fig
