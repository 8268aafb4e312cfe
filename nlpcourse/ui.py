"""Widget helpers shared by every notebook's ``<topic>.widgets``: an interactive figure, buttons, a stepper.

A widget is a view over a pure function ``draw_<thing>(...) -> matplotlib Figure`` that lives in the topic's
``figures.py`` (unit-tested, and called by the static cell right after the widget). A builder only lays out
controls and calls that function inside an ``Output`` on every change. In the notebook the widget's cell
carries the ``nbval-ignore-output`` tag (nbval cannot replay widget callbacks).
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as W
from IPython.display import display
from matplotlib.figure import Figure

from . import validate

__all__ = ["show_in", "make_buttons", "interactive_figure"]


def show_in(out: W.Output, fig: Figure) -> None:
    """Replace what ``out`` shows by ``fig`` (one PNG), without flicker."""
    with out:
        out.clear_output(wait=True)
        display(fig)


def make_buttons(*names: str, width: str = "110px") -> dict[str, W.Button]:
    """One button per name (its label), in order: name -> Button."""
    return {name: W.Button(description=name, layout=W.Layout(width=width)) for name in names}


def interactive_figure(draw: Callable[..., Figure], controls: dict[str, W.ValueWidget],
                       columns: int = 3) -> W.Widget:
    """Lay out ``controls`` above an Output showing ``draw(**values)``, redrawn on every change.

    Args:
        draw: a pure function taking one keyword argument per control and returning a Figure.
        controls: keyword name -> ipywidgets control (its ``.value`` is passed to ``draw``).
        columns: controls per row.
    Returns:
        the container widget (display it as the cell's last expression).
    """
    columns = validate.positive_int(columns, "columns")
    out = W.Output()

    def redraw(_change: object = None) -> None:
        show_in(out, draw(**{k: c.value for k, c in controls.items()}))

    for control in controls.values():
        control.observe(redraw, names="value")
    items = list(controls.values())
    rows = [W.HBox(items[i : i + columns]) for i in range(0, len(items), columns)]
    redraw()
    return W.VBox([*rows, out])
