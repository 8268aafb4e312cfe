"""Widget helpers shared by every notebook's ``<topic>.widgets``: an interactive figure, buttons, a stepper.

A widget is a view over a pure function ``draw_<thing>(...) -> matplotlib Figure`` that lives in the topic's
``figures.py`` (unit-tested, and called by the static cell right after the widget). A builder only lays out
controls and shows that function's figure in a ``FigureView`` on every change. In the notebook the widget's cell
carries the ``nbval-ignore-output`` tag (nbval cannot replay widget callbacks).

A redraw follows the hand (≤ 100 ms from a control change to the new image, ``make test-browser``, which prints
each redraw's stages). Measured on the course's widgets, a redraw was ~90 ms of matplotlib rendering in the
kernel (most of it tick labels and other text that did not change), ~10 ms of PNG encoding, and an Output
widget's round trip (``clear_output`` + ``display_data`` as base64, framed by two comm messages). So:

- the image is an ``ipywidgets.Image`` whose value (the PNG) travels as one binary comm buffer;
- a figure shown again (its artists moved by an ``update``) is drawn again only where it changed: the parts that
  did not change come from a kept background image (matplotlib's blitting, ``restore_region``), per axes —
  an axes whose limits, ticks and labels are unchanged redraws its contents only (its tick labels stay in the
  background), an axes whose ticks moved redraws whole, an untouched axes not at all (``FigureView``); a
  background is prepared after the picture is sent (in a kernel a tenth of a second later: on a 2-core machine a
  render at once would compete with the browser drawing the picture and delay the picture's message by ~5 ms);
- the PNG is the drawn pixels cropped + 0.1 in, unfiltered, zlib level 1 (``figure_png``, ``png_bytes``): ~5 ms
  for a 1050 × 380 figure where Pillow's encoder (five row filters tried on each row) takes ~13 ms;
- a text drawn before (the same string and font at the same sub-pixel offset) is pasted from its kept glyph images
  instead of laid out and rasterised again (``_StampRenderer``: Agg's own pixels, ~1.8 → ~0.4 ms a label);
- a widget's numpy runs on one BLAS thread (``one_blas_thread``): idle OpenBLAS threads otherwise spin on the core
  the browser draws with.
"""

from __future__ import annotations

import asyncio
import math
import struct
import sys
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from threadpoolctl import ThreadpoolController

__all__ = ["FigureView", "figure_png", "png_bytes", "pin_titles", "clear_artists", "make_buttons", "interactive_figure",
           "one_blas_thread"]

PAD_INCHES = 0.1  # matplotlib's pad around a "tight" box
PREPARE_AFTER_S = 0.1  # a kept figure's background is prepared this long after its picture is sent (``show``)
KEEP, CONTENTS, WHOLE = 0, 1, 2  # what a redraw draws again of an axes: nothing, its contents, all of it


def _png(fig: Figure, rgba: np.ndarray) -> bytes:
    """Rendered pixels (H, W, 4) as PNG bytes: cropped to what differs from the corner pixel + 0.1 in."""
    pixels = rgba.view(np.uint32)[..., 0]  # (H, W): one word a pixel, so the crop is one comparison
    drawn = pixels != pixels[0, 0]  # what differs from the background (the corner pixel)
    rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    if len(rows):
        pad = int(round(PAD_INCHES * fig.dpi))
        rgba = rgba[max(0, rows[0] - pad) : rows[-1] + 1 + pad, max(0, cols[0] - pad) : cols[-1] + 1 + pad]
    return png_bytes(rgba)


def png_bytes(rgba: np.ndarray) -> bytes:
    """An (H, W, 4) uint8 RGBA image as PNG bytes: 8 bits a channel, no row filter, zlib level 1.

    A widget's picture needs speed: Pillow's encoder tries PNG's five row filters on every row (~12 ms for a
    1050 × 380 figure at level 1, after ~1–3 ms of dropping the alpha channel); a plot's flat areas compress as
    well unfiltered, and the RGBA rows copy as they are (~5 ms, 71 kB against Pillow's 73 kB). The format: a
    signature, then IHDR, IDAT and IEND chunks (length, type, data, CRC-32)."""
    h, w, _ = rgba.shape
    rows = np.zeros((h, 1 + 4 * w), dtype=np.uint8)  # each row: its filter type, 0 (none), then its pixels
    rows[:, 1:] = rgba.reshape(h, 4 * w)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # 8 bits, RGBA, deflate, (filters), not interlaced
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.data, 1))
            + chunk(b"IEND", b""))


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes: one Agg render, cropped to its drawn pixels + 0.1 in (``png_bytes``)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return _png(fig, np.asarray(canvas.buffer_rgba()))


def pin_titles(fig: Figure) -> None:
    """Keep every axes' title where the last render put it: a render then skips matplotlib's search for a
    title position (a tight box of every tick label: ~⅓ of a redraw's text work). For a kept figure."""
    for ax in fig.axes:
        title = ax.title
        if title.get_text():
            ax.set_title(title.get_text(), y=title.get_position()[1], fontsize=title.get_fontsize(),
                         fontweight=title.get_fontweight(), color=title.get_color())


def clear_artists(ax: Axes) -> None:
    """Remove what was drawn into ``ax`` (lines, texts, patches, collections, images, its legend) and restart its
    colour cycle, keeping the axes and its ticks: a draw function can draw into it again, for a kept figure
    (``Axes.clear`` would also drop the ticks, and a new figure builds everything)."""
    for artist in [*ax.lines, *ax.texts, *ax.patches, *ax.collections, *ax.images, *ax.tables]:
        artist.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.set_prop_cycle(None)


def _contents(ax: Axes) -> list[Artist]:
    """What ``Axes.draw`` draws of ``ax`` besides its x and y axis (ticks, tick labels, axis labels), in its order."""
    axes = {ax.xaxis, ax.yaxis}
    framed = ax.axison and ax.get_frame_on()
    children = [a for a in ax.get_children() if a is not ax.patch and a not in axes and not a.get_animated()
                and (framed or a not in ax.spines.values())]
    return ([ax.patch] if framed else []) + sorted(children, key=lambda a: a.get_zorder())


def _signature(ax: Axes) -> tuple | None:
    """What the axes' x and y axis draw depends on (position, limits, ticks and their labels, axis labels);
    None where they draw inside the axes (grid lines, ticks pointing in), so its contents cannot be redrawn alone.
    The limits count only where something the axes draw depends on them (ticks, a spine placed at a data value):
    a view without ticks that zooms keeps its background."""
    parts: list[object] = [ax.get_position().bounds, ax.axison]
    if not ax.axison:  # (axis off: no ticks drawn)
        return tuple(parts)
    ticks = any(len(axis.get_majorticklocs()) or len(axis.get_minorticklocs()) for axis in (ax.xaxis, ax.yaxis))
    at_data = any(s.get_position() == "zero" or s.get_position()[0] == "data" for s in ax.spines.values()
                  if s.spine_type in ("left", "right", "bottom", "top"))  # (a colorbar's outline has no position)
    if ticks or at_data:
        parts += [ax.get_xlim(), ax.get_ylim()]
    for axis in (ax.xaxis, ax.yaxis):
        default = mpl.rcParams[f"{axis.axis_name}tick.direction"]
        direction = axis.get_tick_params(which="major").get("direction", default)
        if direction != "out" or any(line.get_visible() for line in axis.get_gridlines()):
            return None
        for locs, ticker in ((axis.get_majorticklocs(), axis.major), (axis.get_minorticklocs(), axis.minor)):
            parts += [tuple(locs), tuple(ticker.formatter.format_ticks(locs))]
        parts.append(axis.label.get_text())
    return tuple(parts)


class _Recorder:
    """Stands in for Agg's C++ renderer during one text's drawing: forwards everything, and notes each glyph image
    drawn (a copy, and where)."""

    def __init__(self, real: object, drawn: list) -> None:
        self._real, self._drawn = real, drawn

    def draw_text_image(self, image: np.ndarray, x: int, y: int, angle: float, gc: object) -> None:
        self._drawn.append((np.array(image), x, y))
        self._real.draw_text_image(image, x, y, angle, gc)

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)


class _StampRenderer(RendererAgg):
    """Agg's renderer, keeping each drawn text's glyph images (``stamps``): the same text (string, font, size)
    at the same sub-pixel offset is pasted again instead of laid out and rasterised (~4× faster; a widget redraws
    mostly the same labels). The pixels are Agg's own: FreeType renders a glyph moved by whole pixels the same."""

    MAX_STAMPS = 4096

    def __init__(self, width: int, height: int, dpi: float, stamps: dict) -> None:
        super().__init__(width, height, dpi)
        self._stamps = stamps

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):  # (Agg's signature)
        if ismath or angle:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        ix, iy = math.floor(x), math.floor(self.height - y)  # FreeType's y is upwards
        key = (s, tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(),
               prop.get_stretch(), prop.get_size_in_points(), prop.get_file(), x - ix, self.height - y - iy,
               gc.get_antialiased(), self.dpi, None if mtext is None else (mtext.get_fontfeatures(),
               mtext.get_language()), mpl.rcParams["text.hinting"], mpl.rcParams["text.hinting_factor"],
               mpl.rcParams["text.kerning_factor"])
        stamps = self._stamps.get(key)
        if stamps is None:
            real, drawn = self._renderer, []
            self._renderer = _Recorder(real, drawn)
            try:
                super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            finally:
                self._renderer = real
            if len(self._stamps) >= self.MAX_STAMPS:
                self._stamps.clear()
            self._stamps[key] = [(image, left - ix, top + iy - int(self.height)) for image, left, top in drawn]
        else:
            for image, dx, dy in stamps:
                self._renderer.draw_text_image(image, ix + dx, int(self.height) - iy + dy, 0, gc)
        return None


class _StampCanvas(FigureCanvasAgg):
    """An Agg canvas whose renderer pastes texts drawn before (``_StampRenderer``, sharing ``stamps``)."""

    def __init__(self, figure: Figure, stamps: dict) -> None:
        super().__init__(figure)
        self._stamps = stamps

    def get_renderer(self) -> RendererAgg:
        w, h = self.get_width_height(physical=True)
        if self._lastKey != (w, h, self.figure.dpi):
            self.renderer = _StampRenderer(w, h, self.figure.dpi, self._stamps)
            self._lastKey = (w, h, self.figure.dpi)
        return self.renderer


class FigureView:
    """An ``ipywidgets.Image`` (``widget``) that shows figures; ``show(fig)`` sends ``fig`` as one PNG.

    Showing the same Figure again, after its artists moved (set_data, set_text, ...), draws again only what
    changed: per axes, its contents over a kept background where its ticks, limits and labels are unchanged, all of
    it where they changed (until they stay put for a redraw: then the background is kept again, with them, once the
    picture is sent), nothing where no artist of it changed (matplotlib's ``stale`` flags). The first image of
    a figure is a full render; the layout (constrained or not) and titles are then frozen (``pin_titles``), and,
    with ``kept`` (the figure will be moved and shown again), the background is prepared (one more render, of the
    axes without their contents) once the picture is sent (``show``; a ``png`` call prepares it first), so that
    the first move is as fast as the next ones and a new figure is on screen after one render. ``kept=False``: a
    widget that draws a new figure every time.
    """

    def __init__(self, kept: bool = True) -> None:
        self.widget = W.Image(format="png")
        self.kept = kept
        self._fig: Figure | None = None
        self._canvas: FigureCanvasAgg | None = None
        self._background: object = None  # the kept pixels: all but what ``_plan`` draws again
        self._plan: dict[Axes, int] = {}
        self._signatures: dict[Axes, tuple | None] = {}  # what each axes' x and y axis drew in the background
        self._pending: dict[Axes, int] | None = None  # the plan of a background still to prepare
        self._settled: set[Axes] = set()  # axes drawn whole whose ticks did not move in this redraw
        self._stamps: dict = {}  # the texts drawn so far, as glyph images (``_StampRenderer``), for every figure shown

    def show(self, fig: Figure) -> None:
        """Send ``fig``'s picture to the widget, then prepare what its next move needs (``prepare``): in a kernel,
        ``PREPARE_AFTER_S`` later (the browser draws the picture meanwhile; a move before then prepares it first)."""
        self.widget.value = self.png(fig)
        if self._pending is not None:
            try:
                asyncio.get_running_loop().call_later(PREPARE_AFTER_S, self.prepare)
            except RuntimeError:  # no event loop (a script, a test): now
                self.prepare()

    def prepare(self) -> None:
        """Keep the background that the last figure's first picture left to prepare, if any (its next move then
        draws only what changed). ``show`` calls it once the picture is on its way."""
        if self._pending is not None:
            plan, self._pending = self._pending, None
            self._keep_background(self._fig, plan)

    def png(self, fig: Figure) -> bytes:
        """``fig``'s picture as ``figure_png`` draws it, drawing again only what changed since the last call."""
        if not isinstance(fig, Figure):
            raise TypeError(f"fig: expected a matplotlib Figure, got {type(fig).__name__}")
        if fig is not self._fig or fig.canvas is not self._canvas:  # (another canvas drew it since)
            # a canvas of ours keeps its texts' sizes (measured, say, to place labels); any other becomes one
            canvas = fig.canvas if isinstance(fig.canvas, _StampCanvas) else _StampCanvas(fig, self._stamps)
            self._fig, self._canvas, self._background, self._plan = fig, canvas, None, {}
            self._pending = None
            self._canvas.draw()
            if fig.get_layout_engine() is not None:
                fig.set_layout_engine("none")  # the positions the first render found
            pin_titles(fig)
            self._signatures = {}
            if self.kept:
                self._signatures = {ax: _signature(ax) for ax in fig.axes}
                plan = {ax: WHOLE if sig is None else CONTENTS for ax, sig in self._signatures.items()}
                if CONTENTS in plan.values():
                    self._pending = plan
        else:
            self.prepare()
            self._redraw(fig)
        return _png(fig, np.asarray(self._canvas.buffer_rgba()))

    def _redraw(self, fig: Figure) -> None:
        if not self._signatures:  # a figure not prepared (``kept=False``): all of it, and what its axes show is noted
            self._canvas.draw()
            self._signatures = {ax: _signature(ax) for ax in fig.axes}
            return
        self._settled = set()
        need = {ax: self._need(ax) for ax in fig.axes}
        if (self._background is not None and self._plan.keys() == need.keys() and not fig.patch.stale
                and all(need[ax] <= self._plan[ax] for ax in need)):
            self._canvas.restore_region(self._background)
            self._draw_plan(fig)
        else:
            # all of it (a background and the plan over it would be two renders before the picture is sent);
            # the background for the next move is prepared once this is sent, unless there is nothing to keep
            plan = {ax: max(what, self._plan.get(ax, KEEP)) for ax, what in need.items()}
            self._canvas.draw()
            self._background, self._plan = None, plan
            if not (fig.patch.stale or all(what == WHOLE for what in plan.values())):
                self._pending = plan
        if self._settled:  # an axes drawn whole kept its ticks: a background with them, prepared once this is sent
            self._pending = {ax: CONTENTS if ax in self._settled else what for ax, what in self._plan.items()}

    def _draw_plan(self, fig: Figure) -> None:
        """Draw over the kept background what it lacks: per ``_plan``, whole axes or their contents, then the
        figure's own texts and legends."""
        renderer = self._canvas.get_renderer()
        for ax in sorted(fig.axes, key=lambda a: a.get_zorder()):
            if self._plan[ax] == WHOLE:
                ax.draw(renderer)
            elif self._plan[ax] == CONTENTS:
                for artist in _contents(ax):
                    artist.draw(renderer)
                ax.stale = False
        for artist in _figure_artists(fig):
            artist.draw(renderer)

    def _need(self, ax: Axes) -> int:
        """What of ``ax`` must be drawn again: nothing if no artist of it changed, its contents if its x and y axis
        draw what the kept background shows, else all of it."""
        if not ax.stale:
            return KEEP
        signature = _signature(ax)
        if self._plan.get(ax) == WHOLE:  # not in the background: all of it, and if its ticks stayed, it can join it
            if signature is not None and signature == self._signatures.get(ax):
                self._settled.add(ax)
            self._signatures[ax] = signature
            return WHOLE
        if signature is not None and signature == self._signatures.get(ax):
            return CONTENTS
        self._signatures[ax] = signature  # (drawn whole from now on: the next redraw compares its ticks with these)
        return WHOLE

    def _keep_background(self, fig: Figure, plan: dict[Axes, int]) -> None:
        """Render everything but what ``plan`` draws again (and the figure's own texts, legends, ...) and keep it."""
        hidden = _figure_artists(fig)
        for ax, what in plan.items():
            hidden += [ax] if what == WHOLE else _contents(ax) if what == CONTENTS else []
        hidden = [a for a in hidden if a.get_visible()]
        # a render moves an unpinned title above what it overlaps, and a hidden one overlaps everything
        places = [(a, a.get_position()) for a in hidden if isinstance(a, Text)]
        for artist in hidden:
            artist.set_visible(False)
        try:
            self._canvas.draw()
        finally:
            for artist in hidden:
                artist.set_visible(True)
            for text, xy in places:
                text.set_position(xy)
        self._background, self._plan = self._canvas.copy_from_bbox(fig.bbox), plan
        self._signatures = {ax: _signature(ax) for ax in fig.axes}


def _figure_artists(fig: Figure) -> list[Artist]:
    """The figure's artists that are not axes or its background (suptitle, figure texts and legends), by zorder."""
    axes = set(fig.axes)
    return sorted((a for a in fig.get_children() if a is not fig.patch and a not in axes and a.get_visible()),
                  key=lambda a: a.get_zorder())


# the thread pools found (a scan of the loaded libraries, ~2 ms), by the number of modules imported when scanned:
# an import since may have loaded another BLAS
_threadpools: dict[int, ThreadpoolController] = {}


def one_blas_thread() -> AbstractContextManager:
    """A ``with`` block in which numpy's BLAS uses one thread (threadpoolctl). For a widget's callback: its
    products are small, and after a multi-threaded one OpenBLAS's idle threads spin for a while on the other
    cores, where the browser is drawing the last image (measured: 40–100 ms of CPU a redraw in notebook 05)."""
    imported = len(sys.modules)
    if imported not in _threadpools:
        _threadpools.clear()
        _threadpools[imported] = ThreadpoolController()
    return _threadpools[imported].limit(limits=1, user_api="blas")


def make_buttons(*names: str, width: str = "110px") -> dict[str, W.Button]:
    """One button per name (its label), in order: name -> Button."""
    return {name: W.Button(description=name, layout=W.Layout(width=width)) for name in names}


def interactive_figure(draw: Callable[..., Figure], controls: dict[str, W.ValueWidget], columns: int = 3,
                       update: Callable[..., bool | None] | None = None) -> W.Widget:
    """``controls`` in rows of ``columns`` above ``draw(**values)``'s figure, shown again on every change.

    draw: a pure function taking one keyword argument per control and returning a Figure. update: optional,
    ``update(fig, **values)`` changes the artists of the figure ``draw`` made first (set_data, set_text, ...)
    instead of building a new one — a redraw then draws again only what changed (``FigureView``); it returns
    False where it cannot (say, another example with other shapes), and ``draw`` makes a new figure. Returns the
    container (display it as the cell's last expression). Like ``ipywidgets.interactive_output``, but into an
    image widget: no Output's clear-and-display round trip.
    """
    view = FigureView()
    kept: list[Figure] = []

    def show(_change: object = None) -> None:
        values = {name: control.value for name, control in controls.items()}
        if not (update is not None and kept and update(kept[0], **values) is not False):
            kept[:] = [draw(**values)]
        view.show(kept[0])

    for control in controls.values():
        control.observe(show, names="value")
    show()
    items = list(controls.values())
    rows = [W.HBox(items[i : i + columns]) for i in range(0, len(items), columns)]
    return W.VBox([*rows, view.widget])
