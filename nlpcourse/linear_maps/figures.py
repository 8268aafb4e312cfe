"""Notebook 00's figures: a matrix acting on the grid, a gallery of matrices, a layer σ(A·p + b).

``draw_layer`` is also what the notebook's widget (``linear_maps.widgets.linear_map_explorer``) redraws.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from .. import validate
from ..plotting import label_points, new_figure, plot_grid, plot_points, plot_vectors, square_axes
from . import UNIT_SQUARE, ArrayLike2x2, as_matrix, det_label, layer, linear_map, make_grid, real_eigenvectors

__all__ = ["draw_linear_map", "draw_gallery", "draw_layer"]


def draw_linear_map(A: ArrayLike2x2, ax: Axes | None = None, title: str | None = None, lim: float = 3.0,
                    show_eigenvectors: bool = False, n: int = 9) -> Figure:
    """The grid before (faint) and after A, the images of e1 and e2, and the unit square's image (area |det A|).

    Args:
        A: shape (2, 2).
        ax: draw into these axes; default a new 1-panel figure.
        title: panel title; default shows det A.
        lim: axis half-width; n: grid points per side.
        show_eigenvectors: draw the real eigen-directions (dashed) with their λ.
    Returns:
        the figure.
    """
    A = as_matrix(A)
    lim = validate.positive_float(lim, "lim")
    if ax is None:
        _, ax = new_figure(size=(4.0, 4.0))
    xs, ys = make_grid(2.0, n)
    plot_grid(xs, ys, ax, color="0.8", lw=0.7)
    mx, my = linear_map(A, xs, ys)
    plot_grid(mx, my, ax)
    plot_points(ax, mx, my)
    square = A @ UNIT_SQUARE
    ax.add_patch(Polygon(square.T, closed=True, color="#ff7f0e", alpha=0.35, zorder=2))
    colors = ["#d62728", "#2ca02c"]
    plot_vectors(ax, A.T, colors=colors)
    if show_eigenvectors:
        for lam, v in real_eigenvectors(A):
            ax.plot([-lim * v[0], lim * v[0]], [-lim * v[1], lim * v[1]], ls="--", color="#9467bd", lw=1.2)
            ax.text(0.7 * lim * v[0], 0.7 * lim * v[1] + 0.15, f"λ={lam:.2f}", color="#9467bd")
    square_axes(ax, lim, title if title is not None else f"det A = {det_label(A)}")
    # the labels at the arrow tips, placed so that they never overlap (a projection sends e₁ and e₂ to one point)
    tips = np.clip(A.T, -0.9 * lim, 0.9 * lim)
    label_points(ax, tips, ["Ae₁", "Ae₂"], colors=colors, prefer=np.where(tips == 0.0, 1.0, tips), fontsize=11)
    return ax.figure


def draw_gallery(maps: Mapping[str, ArrayLike2x2], lim: float = 3.0, show_eigenvectors: bool = False) -> Figure:
    """One panel per named matrix, side by side (titles: name and det).

    Args:
        maps: name -> (2, 2) matrix (1 to 6 of them).
    """
    if not 1 <= len(maps) <= 6:
        raise ValueError(f"maps: expected 1 to 6 matrices, got {len(maps)}")
    fig, axes = new_figure(ncols=len(maps), size=(3.2 * len(maps), 3.4), squeeze=False)
    for ax, (name, A) in zip(axes[0], maps.items(), strict=True):
        draw_linear_map(A, ax=ax, title=f"{name}\ndet = {det_label(A)}", lim=lim,
                        show_eigenvectors=show_eigenvectors)
    return fig


def draw_layer(A: ArrayLike2x2, b: tuple[float, float] | np.ndarray = (0.0, 0.0), activation: str = "relu",
               lim: float = 3.0) -> Figure:
    """Three panels: the input grid, after the linear part A·p + b, after the nonlinearity σ(·).

    This is the widget's drawing function (notebook 00) and the static figure after it.
    Args:
        A: shape (2, 2); b: shape (2,); activation: a key of ``ACTIVATIONS``.
    """
    A = as_matrix(A)
    lim = validate.positive_float(lim, "lim")
    xs, ys = make_grid(2.0, 11)
    fig, axes = new_figure(ncols=3, size=(10.5, 3.6), layout=None)  # fixed margins: the widget redraws fast
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.08, top=0.92, wspace=0.15)
    plot_grid(xs, ys, axes[0])
    plot_points(axes[0], xs, ys)
    square_axes(axes[0], lim, "input grid")
    b = validate.float_array(b, "b")
    lx, ly = layer(A, b, xs, ys, "identity")
    plot_grid(lx, ly, axes[1])
    plot_points(axes[1], lx, ly)
    square_axes(axes[1], lim, f"A·p + b   (det A = {det_label(A)})")
    nx, ny = layer(A, b, xs, ys, activation)
    plot_grid(nx, ny, axes[2])
    plot_points(axes[2], nx, ny)
    square_axes(axes[2], lim, f"{activation}(A·p + b)")
    return fig
