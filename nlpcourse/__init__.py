"""nlpcourse: the helper package behind the course notebooks.

Every notebook starts with::

    import nlpcourse
    nlpcourse.seed_everything(0)

which seeds python, numpy and torch, and applies the course's matplotlib style.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np

__all__ = ["seed_everything", "device", "torch_threads", "set_style", "STYLE"]

# One look for the whole course. DejaVu Sans ships inside matplotlib, so no font can be missing
# (a missing font prints a warning into a cell's output and breaks nbval).
STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.grid": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (6.0, 4.0),
    "image.cmap": "viridis",
    "axes.prop_cycle": mpl.cycler(
        color=["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    ),
    "svg.hashsalt": "nlpcourse",  # deterministic ids if anyone exports SVG
}


def set_style() -> None:
    """Apply the course's matplotlib style (called on import; call again after `plt.style.use`)."""
    mpl.rcParams.update(STYLE)


def seed_everything(seed: int = 0) -> None:
    """Seed python's `random`, numpy's global RNG and torch (CPU and CUDA) with ``seed`` (>= 0), and apply
    the course style."""
    from .validate import non_negative_int

    seed = non_negative_int(seed, "seed")
    random.seed(seed)
    np.random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))  # for subprocesses; this process's hash is fixed
    _seed_torch(seed)
    set_style()


class _SeedTorchOnImport(importlib.abc.MetaPathFinder):
    """Seeds torch right after its first import: a notebook that never uses torch does not pay its ~1.7 s import."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def find_spec(self, name: str, path: object, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if name != "torch":
            return None
        sys.meta_path.remove(self)  # one import; the finders below find torch
        spec = importlib.util.find_spec("torch")
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module, seed = spec.loader.exec_module, self.seed

        def exec_and_seed(module: object) -> None:
            exec_module(module)
            module.manual_seed(seed)

        spec.loader.exec_module = exec_and_seed
        return spec


def _seed_torch(seed: int) -> None:
    """torch.manual_seed(seed) (also every CUDA device's), now if torch is imported, else right after its import."""
    for finder in [f for f in sys.meta_path if isinstance(f, _SeedTorchOnImport)]:
        sys.meta_path.remove(finder)  # an earlier seed_everything's, not yet used
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    else:
        sys.meta_path.insert(0, _SeedTorchOnImport(seed))


def device() -> str:
    """The torch device to use: "cuda" if a GPU is visible, else "cpu". Nothing requires a GPU."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run a block on ``threads`` (>= 1) torch CPU threads, restoring the previous setting afterwards.

    Small per-batch ops run faster on one thread (no OpenMP hand-off), and a fixed count makes float
    reductions, hence stored results, the same on every machine. ``None`` leaves torch's setting alone."""
    import torch

    from .parallel import in_second_process
    from .validate import positive_int

    if threads is not None:
        threads = positive_int(threads, "threads")
        if in_second_process():
            threads = 1  # parallel.starmap's second process: torch's OpenMP threads do not survive a fork
    saved = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def _show_figures_as_png() -> None:
    """In a notebook, display a returned ``matplotlib.figure.Figure`` as one PNG (``ui.figure_png``).

    The package draws on ``Figure`` objects outside pyplot (so nothing is shown twice); IPython only
    knows how to render those once a formatter is registered, which happens here. PNG, never SVG: nbval
    skips PNG bytes but compares SVG text exactly. ``figure_png`` renders once and crops to the drawn pixels;
    the inline backend's ``bbox_inches="tight"`` renders twice (~1/3 more time per figure).
    """
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain python: nothing to display
        return
    shell = get_ipython()
    if shell is not None:
        from matplotlib.figure import Figure

        set_matplotlib_formats("png")
        shell.display_formatter.formatters["image/png"].for_type(Figure, _figure_png)


def _figure_png(fig: object) -> bytes:
    from .ui import figure_png  # (ui imports ipywidgets: only when a figure is shown)

    return figure_png(fig)


set_style()
_show_figures_as_png()
