"""Notebook 05's figures: decision boundaries (one model, or a grid of them), activations, loss curves,
optimiser paths. ``draw_decision_boundary`` and ``draw_loss_curves`` are also what the widget's stepper draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import validate
from . import ACTIVATION_PAIRS, Sequential
from .train import History, valley

__all__ = ["CLASS_COLORS", "draw_decision_boundary", "decision_grid", "grid_box", "draw_decision_boundaries",
           "draw_activations", "draw_loss_curves", "draw_paths", "draw_early_stopping"]

CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd")  # class c's colour in a boundary panel


def _ax(ax: Axes | None, figsize: tuple[float, float] = (5, 4)) -> Axes:
    if ax is None:  # fixed margins wide enough for the labels (the PNG is cropped to what is drawn): one render,
        fig = Figure(figsize=figsize)  # where constrained layout first measures every label (~1/3 of a render)
        fig.subplots_adjust(left=0.9 / figsize[0], right=0.97, bottom=0.55 / figsize[1], top=1 - 0.45 / figsize[1])
        ax = fig.add_subplot()
    return ax


def draw_decision_boundary(model: Sequential, X: np.ndarray, y: np.ndarray, ax: Axes | None = None, title: str = "",
                           resolution: int = 120) -> Figure:
    """The model's predicted class over the plane (shaded) and the points X (N, 2) coloured by y (N,)."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model: expected an mlp.Sequential, got {type(model).__name__}")
    X = validate.float_array(X, "X", shape=(None, 2))
    y = validate.int_array(y, "y", shape=(len(X),))
    resolution = validate.integer(resolution, "resolution", low=2)
    ax = _ax(ax)
    pred, (lo, hi) = decision_grid(model, X, resolution)
    k = int(max(y.max(), pred.max())) + 1
    colors = list(CLASS_COLORS[:k])
    from matplotlib.colors import ListedColormap

    ax.imshow(pred, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto", interpolation="nearest",
              cmap=ListedColormap(colors), vmin=-0.5, vmax=k - 0.5, alpha=0.25)
    ax.scatter(X[:, 0], X[:, 1], c=[colors[c] for c in y], s=12, edgecolors="k", linewidths=0.3)
    ax.set(title=title, xticks=[], yticks=[])
    return ax.figure


def decision_grid(model: Sequential, X: np.ndarray, resolution: int) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The model's predicted class on a ``resolution``² grid over X's box + 0.5: (pred (R, R), (lo (2,), hi (2,)))."""
    lo, hi = grid_box(X)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    return model.predict(np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape), (lo, hi)


def grid_box(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The box a boundary panel shades: X's (N, 2) bounding box + 0.5 on every side, (lo (2,), hi (2,))."""
    return X.min(axis=0) - 0.5, X.max(axis=0) + 0.5


def draw_decision_boundaries(panels: Sequence[tuple[Sequence, np.ndarray, np.ndarray, str]], ncols: int = 2,
                             panel_size: tuple[float, float] = (4.5, 3.4)) -> Figure:
    """``draw_decision_boundary`` panels row by row, one per (model, X (N, 2), y (N,), title), 1 to 12 of them,
    ``ncols`` a row, each ``panel_size`` inches; unused axes hidden."""
    ncols = validate.positive_int(ncols, "ncols")
    if not 1 <= len(panels) <= 12:
        raise ValueError(f"panels: expected 1 to 12 (model, X, y, title) panels, got {len(panels)}")
    nrows = -(-len(panels) // ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, (model, X, y, title) in zip(axes, panels, strict=False):
        draw_decision_boundary(model, X, y, ax=ax, title=title)
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    # fixed margins (no ticks, one title line a panel; the PNG is cropped): tight_layout would render once to measure
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1 - 0.35 / panel_size[1] / nrows, hspace=0.2,
                        wspace=0.06)
    return fig


def draw_activations(z_max: float = 6.0, ax: Axes | None = None) -> Figure:
    """Sigmoid, tanh and ReLU (top row) with their derivatives (bottom row) on [−z_max, z_max]."""
    fig = Figure(figsize=(9, 4.5)) if ax is None else ax.figure
    axes = fig.subplots(2, 3, sharex=True) if ax is None else np.array([[ax] * 3, [ax] * 3])
    z = np.linspace(-z_max, z_max, 401)
    for j, (name, (f, df)) in enumerate(ACTIVATION_PAIRS.items()):
        axes[0, j].plot(z, f(z), color="C0")
        axes[1, j].plot(z, df(z), color="C1")
        axes[0, j].set_title(name)
        axes[1, j].set_title(f"{name}'")
        for a in axes[:, j]:
            a.axhline(0, color="gray", lw=0.5)
            a.axvline(0, color="gray", lw=0.5)
    if ax is None:  # fixed margins (the PNG is cropped): tight_layout would render once to measure the labels
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.07, top=0.94, hspace=0.3, wspace=0.25)
    return fig


def draw_loss_curves(curves: dict[str, list[float]], ax: Axes | None = None, xlabel: str = "step", log: bool = False,
                     title: str = "") -> Figure:
    """One line per named loss curve (NaN/inf points are cut off)."""
    ax = _ax(ax)
    for name, values in curves.items():
        v = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(v)
        end = len(v) if finite.all() else int(np.argmin(finite))
        ax.plot(np.arange(1, end + 1), v[:end], label=name + ("" if finite.all() else " (diverged)"), lw=1.2)
    ax.set(xlabel=xlabel, ylabel="loss", title=title)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=9)
    return ax.figure


def draw_paths(paths: dict[str, np.ndarray], loss_fn=valley, ax: Axes | None = None) -> Figure:
    """Optimiser paths (name -> (T, 2) points) over the contour lines of ``loss_fn``."""
    ax = _ax(ax, figsize=(8, 3.5))
    gx, gy = np.meshgrid(np.linspace(-4.5, 1.5, 200), np.linspace(-1.5, 1.5, 120))
    f = np.vectorize(lambda a, b: loss_fn(np.array([a, b]))[0])(gx, gy)
    ax.contour(gx, gy, f, levels=np.geomspace(0.005, 12, 12), colors="lightgray", linewidths=0.8)
    for name, p in paths.items():
        ax.plot(p[:, 0], p[:, 1], "o-", ms=2.5, lw=1, label=name)
    ax.plot(0, 0, "k*", ms=10)
    ax.set(xlim=(-4.5, 1.5), ylim=(-1.5, 1.5), xlabel="θ₁", ylabel="θ₂")
    ax.legend(fontsize=9, loc="lower right")
    return ax.figure


def draw_early_stopping(history: History, stopped: History | None = None, ax: Axes | None = None,
                        title: str = "") -> Figure:
    """Training and validation loss per epoch of a ``train`` run, with the epoch whose weights early stopping
    kept (``best_epoch``) and, if it stopped early, the epoch it stopped at (``stopped_at``) — read from
    ``stopped`` (the same run with ``patience``) when given, so that the curves can go on past the stop."""
    for name, h in (("history", history), ("stopped", stopped)):
        if h is not None and not isinstance(h, History):
            raise TypeError(f"{name}: expected a train.History, got {type(h).__name__}")
    if not history.val_loss:
        raise ValueError("history: expected validation losses (train with X_val, y_val), got none")
    marks = history if stopped is None else stopped
    ax = _ax(ax)
    draw_loss_curves({"training loss": history.epoch_loss, "validation loss": history.val_loss}, ax=ax,
                     xlabel="epoch", title=title)
    if marks.best_epoch is not None:
        ax.axvline(marks.best_epoch, color="C2", ls="--", lw=1, label=f"best epoch {marks.best_epoch} (kept)")
        ax.plot(marks.best_epoch, marks.val_loss[marks.best_epoch - 1], "o", color="C2")
    if marks.stopped_at is not None:
        ax.axvline(marks.stopped_at, color="gray", ls=":", lw=1, label=f"stopped after epoch {marks.stopped_at}")
    ax.legend(fontsize=9)
    return ax.figure
