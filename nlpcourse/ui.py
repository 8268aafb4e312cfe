"""Widget helpers shared by every notebook's ``<topic>.widgets``: an interactive figure, buttons, a stepper.

A widget is a view over a pure function ``draw_<thing>(...) -> matplotlib Figure`` that lives in the topic's
``figures.py`` (unit-tested, and called by the static cell right after the widget). A builder only lays out
controls and shows that function's figure (``ipywidgets.interactive_output``) on every change. In the
notebook the widget's cell carries the ``nbval-ignore-output`` tag (nbval cannot replay widget callbacks).

A redraw follows the hand (≤ 100 ms from a control change to the new image, ``make test-browser``): the
figure is rendered once, to a PNG cropped to its drawn pixels and lightly compressed (``figure_png``), instead
of the notebook's static path (drawn twice for ``bbox_inches="tight"``, zlib at level 6).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets as W
import numpy as np
from IPython.display import Image, display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

__all__ = ["figure_png", "pin_titles", "show_in", "make_buttons", "interactive_figure"]

PAD_INCHES = 0.1  # matplotlib's pad around a "tight" box


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes: one Agg render, cropped to its drawn pixels + 0.1 in, RGB, zlib level 1."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())  # (H, W, 4)
    pixels = rgba.view(np.uint32)[..., 0]  # (H, W): one word a pixel, so the crop is one comparison
    drawn = pixels != pixels[0, 0]  # what differs from the background (the corner pixel)
    rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    if len(rows):
        pad = int(round(PAD_INCHES * fig.dpi))
        rgba = rgba[max(0, rows[0] - pad):rows[-1] + 1 + pad, max(0, cols[0] - pad):cols[-1] + 1 + pad]
    buffer = io.BytesIO()  # the figure is opaque: RGB is 3/4 of the bytes to compress
    PILImage.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def pin_titles(fig: Figure) -> None:
    """Keep every axes' title where the last render put it: a render then skips matplotlib's search for a
    title position (a tight box of every tick label: ~⅓ of a redraw's text work). For a kept figure."""
    for ax in fig.axes:
        title = ax.title
        if title.get_text():
            ax.set_title(title.get_text(), y=title.get_position()[1], fontsize=title.get_fontsize(),
                         fontweight=title.get_fontweight(), color=title.get_color())


def show_in(out: W.Output, fig: Figure) -> None:
    """Replace what ``out`` shows by ``fig`` (one PNG, ``figure_png``), without flicker."""
    with out:
        out.clear_output(wait=True)
        display(Image(figure_png(fig), format="png"))


def make_buttons(*names: str, width: str = "110px") -> dict[str, W.Button]:
    """One button per name (its label), in order: name -> Button."""
    return {name: W.Button(description=name, layout=W.Layout(width=width)) for name in names}


def interactive_figure(draw: Callable[..., Figure], controls: dict[str, W.ValueWidget], columns: int = 3,
                       update: Callable[..., bool | None] | None = None) -> W.Widget:
    """``controls`` in rows of ``columns`` above ``draw(**values)``'s figure, shown again on every change.

    draw: a pure function taking one keyword argument per control and returning a Figure. update: optional,
    ``update(fig, **values)`` changes the artists of the figure ``draw`` made first (set_data, set_text, ...)
    instead of building a new one — a redraw then costs one render; it returns False where it cannot (say,
    another example with other shapes), and ``draw`` makes a new figure. Returns the container (display it as the
    cell's last expression).
    """
    kept: list[Figure] = []

    def show(**values: object) -> None:
        if not (update is not None and kept and update(kept[0], **values) is not False):
            kept[:] = [draw(**values)]
        png = figure_png(kept[0])
        if update is not None:
            pin_titles(kept[0])
        display(Image(png, format="png"))

    out = W.interactive_output(show, controls)
    items = list(controls.values())
    rows = [W.HBox(items[i : i + columns]) for i in range(0, len(items), columns)]
    return W.VBox([*rows, out])
