"""Notebook 05's widget state: a one-hidden-layer MLP trained on a 2-D dataset one step or epoch at a time."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import validate
from . import make_moons, make_spirals, mlp
from .figures import decision_grid, draw_decision_boundary, draw_loss_curves
from .train import History, Momentum, accuracy, evaluate

__all__ = ["LR_CHOICES", "ALPHA_CHOICES", "TrainingStepper"]

# The widget's slider positions: 1-2-5 steps, so every default (lr 0.5, α 0.9) is a position it can return to.
LR_CHOICES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
ALPHA_CHOICES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
GRID = 80  # the boundary panel's grid (coarser than draw_decision_boundary's default: a fast redraw)
# The loss panel's limits grow to round values (``TrainingStepper.loss_limits``): its ticks move only when the curve
# outgrows them, so a step redraws the curve, not the axes (``ui.FigureView``).
STEP_CEILINGS = (1, 2, 5)
LOSS_CEILINGS = (1, 1.5, 2, 3, 4, 5, 6, 8)


def _ceiling(x: float, mantissas: tuple[float, ...]) -> float:
    """The smallest m·10^e ≥ x > 0, m one of ``mantissas`` (ascending, in [1, 10))."""
    e = math.floor(math.log10(x))
    return next(c for c in (round(m * 10.0**e, 12) for m in (*mantissas, 10)) if c >= x)


class TrainingStepper:
    """A model being trained on a 2-D dataset, one mini-batch (``step``) or one epoch (``epoch``) at a time.

    The widget changes ``lr`` and ``alpha`` between steps; ``hidden`` or ``dataset`` changes call ``reset``.
    """

    def __init__(self, dataset: str = "moons", hidden: int = 16, lr: float = 0.5, alpha: float = 0.9,
                 batch_size: int = 32, seed: int = 0) -> None:
        if not isinstance(dataset, str) or dataset not in ("moons", "spirals"):
            raise ValueError(f"dataset: expected 'moons' or 'spirals', got {dataset!r}")
        if validate.integer(hidden, "hidden") < 0:
            raise ValueError(f"hidden: expected a hidden size >= 0 (0: the linear classifier), got {hidden}")
        self.X, self.y = make_moons(200, seed=seed) if dataset == "moons" else make_spirals(300, seed=seed)
        seed = validate.non_negative_int(seed, "seed")
        if not 1 <= validate.integer(batch_size, "batch_size") <= len(self.X):
            raise ValueError(f"batch_size: expected 1 <= batch_size <= {len(self.X)} (the number of examples), "
                             f"got {batch_size}")
        self.dataset, self.hidden, self.batch_size, self.seed = dataset, hidden, batch_size, seed
        self.optimizer = Momentum(lr, alpha)
        self.reset()

    @property
    def lr(self) -> float:
        """The learning rate γ of the next step."""
        return self.optimizer.lr

    @property
    def alpha(self) -> float:
        """The momentum α of the next step."""
        return self.optimizer.alpha

    def reset(self) -> None:
        """Fresh random weights, zero momentum, empty loss curve, same data."""
        k = int(self.y.max()) + 1
        self.model = mlp((2, self.hidden, k) if self.hidden else (2, k), "tanh", seed=self.seed)
        self.optimizer.delta = {}
        self.history = History()
        self.changes: list[tuple[int, float, float]] = []  # (step, lr, α) where the settings changed
        self._order: list[int] = []
        self.rng = np.random.default_rng(self.seed)
        self._grid: tuple | None = None  # (model, steps, predicted classes): ``grid_classes``'s last answer

    @property
    def steps(self) -> int:
        """Mini-batch updates since the last reset (each records one loss)."""
        return len(self.history.step_loss)

    @property
    def steps_per_epoch(self) -> int:
        """ceil(N / batch_size): the steps of one pass over the data (the last batch may be smaller)."""
        return -(-len(self.X) // self.batch_size)

    @property
    def epochs(self) -> float:
        """Steps taken, in epochs."""
        return self.steps / self.steps_per_epoch

    def set(self, lr: float | None = None, alpha: float | None = None) -> None:
        """New lr and/or α from the next step on; a change after step 0 is marked in the loss panel (several
        changes before one step: the last one counts)."""
        new = (self.lr if lr is None else validate.positive_float(lr, "lr"),
               self.alpha if alpha is None else validate.probability(alpha, "alpha", open_high=True))
        if new == (self.lr, self.alpha):
            return
        self.optimizer.lr, self.optimizer.alpha = new
        if self.changes and self.changes[-1][0] == self.steps:  # not stepped since the last change
            self.changes.pop()
        if self.steps:
            self.changes.append((self.steps, *new))

    def step(self) -> float:
        """One mini-batch update (a new shuffled order each epoch); returns the batch loss."""
        if not self._order:  # a new epoch: reshuffle (the last batch of an epoch may be smaller)
            self._order = list(self.rng.permutation(len(self.X)))
        idx, self._order = self._order[: self.batch_size], self._order[self.batch_size :]
        loss, grads = self.model.loss_and_grad(self.X[idx], self.y[idx])
        if np.isfinite(loss):
            self.optimizer.step(self.model.parameters(), grads)
        self.history.step_loss.append(loss)
        return loss

    def epoch(self) -> float:
        """ceil(N / batch_size) steps; returns the loss on the whole training set afterwards."""
        for _ in range(self.steps_per_epoch):
            self.step()
        return evaluate(self.model, self.X, self.y)[0]

    def grid_classes(self) -> np.ndarray:
        """The model's predicted class on the boundary panel's ``GRID``² grid (``figures.decision_grid``), computed
        once per model state (a new model or a step): a redraw for an lr or α change does not predict again."""
        if self._grid is None or self._grid[0] is not self.model or self._grid[1] != self.steps:
            self._grid = (self.model, self.steps, decision_grid(self.model, self.X, GRID)[0])
        return self._grid[2]

    def boundary_title(self) -> str:
        """The boundary panel's title: steps, epochs and the training accuracy."""
        acc = accuracy(self.model, self.X, self.y)
        return f"after {self.steps} steps ({self.epochs:.1f} epochs), train acc {acc:.2f}"

    def mark_changes(self, ax: Axes) -> None:
        """A dotted line and a label in the loss panel ``ax`` at each step where lr or α changed."""
        for step, lr, alpha in self.changes:
            ax.axvline(step + 0.5, color="gray", ls=":", lw=1)
            ax.annotate(f"lr {lr:g}, α {alpha:g}", (step + 0.5, 1.0), xycoords=("data", "axes fraction"),
                        fontsize=9, rotation=90, ha="right", va="top", color="gray")

    def loss_limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The loss panel's (xlim, ylim): steps from 0 to a round number ≥ the steps and ≥ two epochs' (room for the
        first clicks), loss from 0 to a round
        number ≥ the highest loss drawn and ≥ ln(classes) (a guess's loss: the panel before the first step)."""
        loss = np.asarray(self.history.step_loss, dtype=np.float64)
        finite = np.isfinite(loss)
        drawn = loss if finite.all() else loss[: int(np.argmin(finite))]  # (draw_loss_curves cuts at a NaN/inf)
        top = max(math.log(int(self.y.max()) + 1), float(drawn.max()) if len(drawn) else 0.0)
        right = _ceiling(max(self.steps, 2 * self.steps_per_epoch), STEP_CEILINGS)
        return (0.0, right), (0.0, _ceiling(top, LOSS_CEILINGS))

    def dress_loss_panel(self, ax: Axes) -> None:
        """The loss panel's limits (``loss_limits``), title, marks of setting changes and, before the first step, a
        note saying so: what changes in it besides the curve."""
        xlim, ylim = self.loss_limits()
        ax.set(xlim=xlim, ylim=ylim, title=self.loss_title())
        self.mark_changes(ax)
        if not self.steps:
            ax.text(0.5, 0.5, "no step yet:\npress step or epoch", ha="center", va="center", transform=ax.transAxes,
                    color="gray")

    def loss_title(self) -> str:
        """The loss panel's title: the settings of the next step, e.g. "next step: lr 0.5, momentum α 0.9"."""
        return f"next step: lr {self.lr:g}, momentum α {self.alpha:g}"

    def draw_loss_panel(self, ax: Axes) -> None:
        """``draw``'s right panel into the empty axes ``ax``: the loss per step (``dress_loss_panel``: round limits,
        the marks of setting changes, a note before the first step)."""
        draw_loss_curves({"batch loss": self.history.step_loss}, ax=ax, xlabel="step")
        self.dress_loss_panel(ax)

    def draw(self) -> Figure:
        """Decision boundary (left) and loss per step (right), titled with lr and α; a dotted line marks each
        step where they were changed. Before the first step the loss panel says so."""
        fig = Figure(figsize=(9, 3.8))
        ax1, ax2 = fig.subplots(1, 2)
        draw_decision_boundary(self.model, self.X, self.y, ax=ax1, resolution=GRID, title=self.boundary_title())
        self.draw_loss_panel(ax2)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.13, top=0.92, wspace=0.2)  # fixed: faster than tight
        return fig
