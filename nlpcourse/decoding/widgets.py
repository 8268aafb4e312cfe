"""Notebook 07's widget: a beam stepper over the neural LM (built on ``nlpcourse.ui``).

``BeamStepper`` is the logic (plain Python, unit-tested): a search state that ``step()`` advances by one
expansion and ``reset()`` restarts; ``beam_stepper()`` only lays out the controls — a prompt box, sliders for
the beam width k and the length penalty α, buttons step / run / reset — and redraws
``figures.draw_beam_tree`` into its kept figure after each click.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ipywidgets as W
from matplotlib.figure import Figure

from ..ui import FigureView, clear_artists, make_buttons
from . import BeamConfig, SearchState, expand, start
from .figures import draw_beam_tree
from .models import course_lm, encode_prompt, lm_step

__all__ = ["BeamStepper", "beam_stepper"]


@dataclass
class BeamStepper:
    """Beam search on the LM one step at a time. A bad prompt leaves ``error`` set and no state."""

    model: object
    prompt: str = "police said"
    num_beams: int = 3
    length_penalty: float = 1.0
    max_new_tokens: int = 12
    state: SearchState | None = field(default=None, init=False)
    error: str = field(default="", init=False)
    note: str = field(default="", init=False)  # what the last reset did, shown until the next step
    _step: object = field(default=None, init=False, repr=False)
    _cfg: BeamConfig | None = field(default=None, init=False, repr=False)
    _V: int | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # the settings a caller passes must be right (raises); a bad prompt typed later only sets ``error``
        BeamConfig(self.num_beams, self.max_new_tokens, self.model.eos_id, self.model.bos_id, self.length_penalty)
        self._step = lm_step(self.model)
        self.reset()

    def reset(self, note: str = "") -> None:
        """Back to the prompt alone (0 steps), with the current settings; ``note`` says why (shown in the title)."""
        self.note = note
        try:
            self._cfg = BeamConfig(self.num_beams, self.max_new_tokens, self.model.eos_id, self.model.bos_id,
                                   self.length_penalty)
            self.state = start(encode_prompt(self.model, self.prompt)[0])
            self.error = ""
        except (KeyError, ValueError, TypeError) as e:
            self.state, self.error = None, str(e.args[0] if isinstance(e, KeyError) else e)
        self._V = None

    def step(self) -> None:
        """One more expansion (nothing once the search has stopped)."""
        if self.state is not None and not self.state.done:
            self.note = ""
            self._V = expand(self._step, [self.state], self._cfg, self._V)

    def run(self) -> None:
        """To the end."""
        while self.state is not None and not self.state.done:
            self.step()

    def draw(self, fig: Figure | None = None) -> Figure:
        """The tree so far (or, after a bad prompt, a figure saying what was wrong). ``fig``: a tree figure this
        drew before, drawn into again (emptied, resized: the widget's kept figure) instead of a new one."""
        if self.state is None:
            from ..plotting import new_figure

            fig, ax = new_figure(size=(6.0, 1.2), layout=None)
            ax.axis("off")
            ax.text(0.0, 0.5, self.error, fontsize=9, color="#d62728", va="center", wrap=True)
            return fig
        done = " — stopped" if self.state.done else ""
        best = self.state.finished[0] if self.state.finished else None
        words = self.model.vocab.itos
        title = (f"k = {self.num_beams}, α = {self.length_penalty:g}: step {self.state.steps}{done}" +
                 (f"; best finished: {' '.join(words[t] for t in best[1].tokens)} ({best[0]:.2f})" if best else "") +
                 (f"\n{self.note}" if self.note else ""))
        if fig is not None:
            clear_artists(fig.axes[0])
        return draw_beam_tree(self.state, words, title=title, fig=fig)


def beam_stepper(model=None, prompt: str = "police said", num_beams: int = 3,
                 length_penalty: float = 1.0) -> W.Widget:
    """The widget: prompt box, k and α sliders, step / run / reset; the tree redrawn after each change."""
    stepper = BeamStepper(course_lm() if model is None else model, prompt, num_beams, length_penalty)
    text = W.Text(value=prompt, description="prompt", continuous_update=False)
    k = W.IntSlider(value=num_beams, min=1, max=8, description="beam k", continuous_update=False)
    alpha = W.FloatSlider(value=length_penalty, min=0.0, max=2.0, step=0.1, description="α",
                          continuous_update=False)
    buttons = make_buttons("step", "run", "reset")
    view = FigureView(kept=False)  # its axes redrawn whole (their size moves with the tree): no background to keep
    shown: list[Figure] = []  # the tree figure shown, drawn into again (no new figure and axes: ~15 ms a redraw)

    def redraw() -> None:
        fig = stepper.draw(shown[0] if shown and stepper.state is not None else None)
        shown[:] = [fig] if stepper.state is not None else []
        view.show(fig)

    def settings(change: dict) -> None:
        stepper.prompt, stepper.num_beams, stepper.length_penalty = text.value, k.value, alpha.value
        what = "prompt" if change["owner"] is text else "k" if change["owner"] is k else "α"
        stepper.reset(f"{what} changed from {change['old']} to {change['new']}: the search restarted from the prompt")
        redraw()

    for control in (text, k, alpha):
        control.observe(settings, names="value")
    for name, action in (("step", stepper.step), ("run", stepper.run),
                         ("reset", lambda: stepper.reset("reset: the search restarted from the prompt"))):
        buttons[name].on_click(lambda _b, act=action: (act(), redraw()))
    redraw()
    return W.VBox([W.HBox([text, k, alpha]), W.HBox(list(buttons.values())), view.widget])
