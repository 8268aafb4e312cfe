"""Drawing shared by several notebooks: grids, points, vectors.

Figures are made with ``matplotlib.figure.Figure`` (not pyplot), so a notebook cell whose last
expression is the figure shows exactly one PNG, and nothing piles up in pyplot's global state.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FormatStrFormatter, NullFormatter

from . import validate

TEXT_TO_PATH = TextToPath()  # measures a label's width in points without a renderer


def new_figure(ncols: int = 1, nrows: int = 1, size: tuple[float, float] | None = None,
               layout: str | None = "constrained", **subplot_kw: object) -> tuple[Figure, np.ndarray | Axes]:
    """A figure outside pyplot with ``nrows × ncols`` axes: (figure, an Axes for 1×1, else an array of axes).

    ``size``: inches, default 4 per column and 3.6 per row. ``layout``: "constrained" (tidy, slower) or None
    (fixed margins: for widget figures that must redraw within 100 ms). ``subplot_kw``: ``Figure.subplots``'s."""
    ncols, nrows = validate.integer(ncols, "ncols"), validate.integer(nrows, "nrows")
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols, nrows: expected ≥ 1, got ncols={ncols}, nrows={nrows}")
    fig = Figure(figsize=size or (4.0 * ncols, 3.6 * nrows), layout=layout)
    return fig, fig.subplots(nrows, ncols, **subplot_kw)


def plain_log_labels(ax: Axes, axis: str = "y") -> None:
    """Label a log axis 0.01, 0.1, 1 (or 4, 8, 16), not 10⁻², 2²: no math text to lay out, so the figure renders
    faster; minor ticks unlabelled. For axes spanning a few decades (beyond, keep matplotlib's powers).
    ``axis``: "x", "y" or "both"."""
    axis = validate.one_of(axis, "axis", ("x", "y", "both"))
    for target in (ax.xaxis,) if axis == "x" else (ax.yaxis,) if axis == "y" else (ax.xaxis, ax.yaxis):
        target.set_major_formatter(FormatStrFormatter("%g"))
        target.set_minor_formatter(NullFormatter())


def square_axes(ax: Axes, lim: float = 3.0, title: str | None = None) -> Axes:
    """Equal aspect, limits ±lim, few ticks, thin axes through the origin; returns ``ax``."""
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ticks = np.arange(-np.floor(lim), np.floor(lim) + 1)
    ticks = ticks[ticks % 2 == 0] if len(ticks) > 5 else ticks  # few tick labels: they dominate redraw time
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_aspect("equal")
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)
    ax.axvline(0, color="0.6", lw=0.8, zorder=0)
    if title:
        ax.set_title(title)
    return ax


def _check_grid(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if xs.shape != ys.shape:
        raise ValueError(f"xs, ys: expected the same shape, got xs {xs.shape} and ys {ys.shape}")
    if xs.ndim != 2:
        raise ValueError(f"xs, ys: expected 2-D grids of shape (rows, cols) (np.meshgrid), got {xs.shape}")
    return xs, ys


def plot_grid(xs: np.ndarray, ys: np.ndarray, ax: Axes, color: str = "0.35", lw: float = 0.9,
              alpha: float = 1.0) -> Axes:
    """Draw every row and column of a (possibly mapped) meshgrid xs, ys (rows, cols) into ``ax``; returns ax."""
    xs, ys = _check_grid(xs, ys)
    rows = np.stack([xs, ys], axis=-1)  # (rows, cols, 2): row i is one polyline
    cols = rows.transpose(1, 0, 2)  # column j is one polyline
    ax.add_collection(LineCollection([*rows, *cols], colors=color, linewidths=lw, alpha=alpha), autolim=True)
    ax.autoscale_view()
    return ax


def plot_points(ax: Axes, xs: np.ndarray, ys: np.ndarray, colors: np.ndarray | None = None,
                size: float = 14.0) -> Axes:
    """Scatter grid points xs, ys (rows, cols), coloured by their position in the ORIGINAL grid (so you can
    follow them; ``colors`` (rows·cols, 3|4) overrides); returns ax."""
    xs, ys = _check_grid(xs, ys)
    if colors is None:
        colors = position_colors(xs.shape)
    ax.scatter(xs.ravel(), ys.ravel(), c=colors, s=size, zorder=3, edgecolors="none")
    return ax


def position_colors(shape: tuple[int, int]) -> np.ndarray:
    """One RGB colour per position of a (rows, cols) grid, (rows·cols, 3) in [0, 1]: red grows along x, blue
    along y."""
    rows, cols = shape
    u, v = np.meshgrid(np.linspace(0, 1, cols), np.linspace(0, 1, rows))
    return np.stack([0.15 + 0.8 * u, 0.35 * np.ones_like(u), 0.15 + 0.8 * v], axis=-1).reshape(-1, 3)


def plot_vectors(ax: Axes, vecs: Sequence[Sequence[float]] | np.ndarray, colors: Sequence[str],
                 labels: Sequence[str] | None = None, origin: Sequence[float] = (0.0, 0.0)) -> Axes:
    """Arrows from ``origin`` (2,) to each of ``vecs`` (n, 2), with n ``colors`` and optional ``labels`` at the
    tips; returns ax."""
    vecs = np.asarray(vecs, dtype=float)
    ox, oy = origin
    for k, (vx, vy) in enumerate(vecs):
        ax.annotate("", xy=(ox + vx, oy + vy), xytext=(ox, oy),
                    arrowprops={"arrowstyle": "-|>", "color": colors[k], "lw": 2.0}, zorder=4)
        if labels is not None:
            ax.text(ox + 1.08 * vx, oy + 1.08 * vy, labels[k], color=colors[k], fontsize=11, zorder=5)
    return ax


def label_points(ax: Axes, xy: np.ndarray, labels: Sequence[str], colors: Sequence[str] | None = None,
                 prefer: np.ndarray | None = None, fontsize: float = 9.0) -> None:
    """Write n ``labels`` next to the (n, 2) points ``xy`` (data coordinates; the axes limits already set).

    Each label goes to the first free slot around its point (right/left × above/below, then further up or
    down), in the quadrant ``prefer[i]`` (signs (n, 2), default up-right) first, so no two labels overlap;
    a label moved away from its point gets a thin leader line."""
    xy = np.asarray(xy, dtype=np.float64)
    ax.apply_aspect()
    pts = ax.transData.transform(xy) * 72.0 / ax.figure.dpi  # in points
    prefer = np.ones_like(pts) if prefer is None else np.where(np.asarray(prefer) < 0, -1.0, 1.0)
    h, placed = 1.25 * fontsize, []
    font = FontProperties(size=fontsize)
    for k, ((px, py), label) in enumerate(zip(pts, labels, strict=True)):
        w = 1.05 * TEXT_TO_PATH.get_text_width_height_descent(label, font, ismath=False)[0] + 2.0  # points
        sx, sy = prefer[k]
        slots = [(dx, dy + j * h * (1 if dy > 0 else -1)) for j in range(4)
                 for dx in (4.0 if sx > 0 else -w - 4, -w - 4 if sx > 0 else 4.0)
                 for dy in (2.0 if sy > 0 else -h - 2, -h - 2 if sy > 0 else 2.0)]
        free = [(dx, dy) for dx, dy in slots if all(
            px + dx + w < x0 or px + dx > x1 or py + dy + h < y0 or py + dy > y1 for x0, y0, x1, y1 in placed)]
        dx, dy = (free or slots)[0]
        placed.append((px + dx, py + dy, px + dx + w, py + dy + h))
        far = abs(dy + h / 2) > 1.5 * h  # moved away from its point: a thin line leads to it
        ax.annotate(label, xy[k], xytext=(dx, dy), textcoords="offset points", ha="left", va="bottom",
                    fontsize=fontsize, color=None if colors is None else colors[k],
                    arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.6} if far else None)


def layout_problems(fig: Figure, min_points: float = 9.0, display_px: float = 1000.0) -> list[str]:
    """What makes ``fig`` hard to read on a 1366×768 laptop: text outside the figure, two texts overlapping,
    text under ``min_points`` at display size (a figure wider than ``display_px`` is shown scaled down), a
    line, marker, patch or image that the axes limits cut off.

    Returns one line per problem (empty: the figure is fine); the figure tests assert it is empty.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    frame = fig.bbox
    scale = min(1.0, display_px / frame.width)
    hidden = set()  # tick labels matplotlib keeps but does not draw (outside the view, or the axes off)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not ax.axison or not lo - 1e-9 * (hi - lo) <= tick.get_loc() <= hi + 1e-9 * (hi - lo):
                    hidden |= {id(tick.label1), id(tick.label2)}
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_fontsize"))
             if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    boxes = [(t, Text.get_window_extent(t, renderer)) for t in texts]  # the words only, not an annotation's arrow
    problems = []
    for t, b in boxes:
        if b.x0 < frame.x0 - 1 or b.y0 < frame.y0 - 1 or b.x1 > frame.x1 + 1 or b.y1 > frame.y1 + 1:
            problems.append(f"outside the figure: {t.get_text()!r}")
        if t.get_fontsize() * scale < min_points:
            problems.append(f"{t.get_fontsize() * scale:.1f} pt at display size: {t.get_text()!r}")
    for i, (t, b) in enumerate(boxes):
        problems += [f"overlap: {t.get_text()!r} and {u.get_text()!r}" for u, c in boxes[:i] if b.overlaps(c)]
    for ax in fig.axes:  # what the axes clip: its unclipped extent reaches past the axes box
        box = ax.bbox
        for a in [*ax.lines, *ax.collections, *ax.patches, *ax.images]:
            if not a.get_visible() or not a.get_clip_on():
                continue
            e = a.get_window_extent(renderer)
            if not np.all(np.isfinite(e.get_points())) or e.width == e.height == 0:
                continue
            if e.x0 < box.x0 - 1 or e.y0 < box.y0 - 1 or e.x1 > box.x1 + 1 or e.y1 > box.y1 + 1:
                name = a.get_label() if not a.get_label().startswith("_") else type(a).__name__
                problems.append(f"cut off by the axes {ax.get_title() or ax.get_label()!r}: {name}")
    return problems
