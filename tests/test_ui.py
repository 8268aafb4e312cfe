"""The widget helpers (nlpcourse.ui): they build, and every control change redraws through the tested drawing function.

(The redraws are counted with a spy; ``FigureView``'s pictures are compared with full renders.)
"""

import ipywidgets as W
from matplotlib.figure import Figure

from nlpcourse import ui


def test_interactive_figure_redraws_on_every_change():
    calls = []

    def draw(a: float, b: str) -> Figure:
        calls.append((a, b))
        return Figure()

    box = ui.interactive_figure(draw, {"a": W.FloatSlider(value=1.0), "b": W.Dropdown(options=["x", "y"])})
    assert calls == [(1.0, "x")]  # the default state is drawn at once
    box.children[0].children[0].value = 2.0
    box.children[0].children[1].value = "y"
    assert calls == [(1.0, "x"), (2.0, "x"), (2.0, "y")]


def test_make_buttons():
    buttons = ui.make_buttons("step", "reset", width="90px")
    assert list(buttons) == ["step", "reset"]
    assert [b.description for b in buttons.values()] == ["step", "reset"]
    assert buttons["step"].layout.width == "90px"


def test_interactive_figure_lays_controls_out_in_rows():
    controls = {k: W.FloatSlider() for k in "abcde"}
    box = ui.interactive_figure(lambda **kw: Figure(), controls, columns=2)
    assert [len(row.children) for row in box.children[:-1]] == [2, 2, 1]
    assert isinstance(box.children[-1], W.Image)


def test_figure_png_is_one_render_cropped_to_what_is_drawn():
    import io

    import numpy as np
    from PIL import Image

    fig = Figure(figsize=(4.0, 3.0), dpi=100)
    ax = fig.add_axes((0.4, 0.4, 0.2, 0.2))  # a small axes in the middle of a white figure
    ax.plot([0, 1], [0, 1])
    ax.set_axis_off()
    img = Image.open(io.BytesIO(ui.figure_png(fig)))
    assert img.format == "PNG"
    w, h = img.size
    assert 20 + 20 <= w <= 80 + 20 + 2 and 20 + 20 <= h <= 60 + 20 + 2  # the line's box (≤ 80 × 60 px) + 0.1 in pads
    pixels = np.asarray(img.convert("L"))
    assert pixels[:10].min() == 255 and pixels[-10:].min() == 255  # the pads are background
    assert pixels.min() < 255  # the line is there


def test_interactive_figure_updates_a_kept_figure_when_given_update():
    made, updated = [], []

    def draw(a: float) -> Figure:
        fig = Figure()
        fig.add_subplot().plot([0, 1], [0, a])
        made.append(fig)
        return fig

    def update(fig: Figure, a: float) -> None:
        fig.axes[0].lines[0].set_ydata([0, a])
        updated.append((fig, a))

    box = ui.interactive_figure(draw, {"a": W.FloatSlider(value=1.0)}, update=update)
    box.children[0].children[0].value = 2.0
    box.children[0].children[0].value = 3.0
    assert len(made) == 1 and [a for _, a in updated] == [2.0, 3.0]
    assert all(fig is made[0] for fig, _ in updated)


def test_interactive_figure_draws_afresh_where_update_declines():
    made = []

    def draw(a: str) -> Figure:
        made.append(a)
        return Figure()

    box = ui.interactive_figure(draw, {"a": W.Dropdown(options=["x", "y"])}, update=lambda fig, a: a == "x")
    box.children[0].children[0].value = "y"  # update returns False: a new figure
    box.children[0].children[0].value = "x"  # update returns True: the kept one
    assert made == ["x", "y"]


def _picture(png: bytes):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def _same(png: bytes, fresh: Figure) -> bool:
    """Whether ``png`` shows ``fresh``'s picture: the same size, < 0.2 % of the pixels differing by more than 64."""
    import numpy as np

    a, b = _picture(png), _picture(ui.figure_png(fresh))
    return a.shape == b.shape and (np.abs(a - b).max(axis=2) > 64).mean() < 0.002


def test_figure_view_draws_again_only_what_changed_and_the_picture_of_a_full_render(monkeypatch):
    import numpy as np

    def make(top: float = 1.0, shift: float = 0.0, title: str = "a") -> Figure:
        fig = Figure(figsize=(6.0, 3.0), dpi=100)
        left, right = fig.subplots(1, 2)
        left.plot([0, 1], [0, 1])
        left.set_ylim(0, top)
        right.imshow(np.eye(4) + shift, vmin=0, vmax=2)
        right.set_title(title)
        return fig

    fig = make()
    left, right = fig.axes
    drawn = []
    for ax in (left, right):  # which axes draw whole (Axes.draw), as opposed to their contents only
        monkeypatch.setattr(ax, "draw", lambda renderer, ax=ax, real=ax.draw: drawn.append(ax) or real(renderer))
    view = ui.FigureView()
    assert _same(view.png(fig), make())
    view.prepare()  # (what ``show`` does once a kept figure's first picture is sent: its background)
    drawn.clear()
    right.images[0].set_data(np.eye(4) + 0.5)  # the image and the title change, not the ticks
    right.set_title("b")
    assert _same(view.png(fig), make(shift=0.5, title="b"))
    right.images[0].set_data(np.eye(4) + 1.0)
    assert _same(view.png(fig), make(shift=1.0, title="b"))
    assert drawn == []  # each axes draws its contents over its kept ticks
    left.set_ylim(0, 2.0)  # new ticks: the figure draws whole, and its background is kept without the left axes
    assert _same(view.png(fig), make(top=2.0, shift=1.0, title="b"))
    assert drawn == [left, right]  # one render before the picture is sent, not a background and then the plan
    view.prepare()
    drawn.clear()
    left.set_ylim(0, 3.0)
    assert _same(view.png(fig), make(top=3.0, shift=1.0, title="b"))
    assert drawn == [left]
    once = ui.FigureView(kept=False)  # for a new figure every time: one render each
    assert _same(once.png(make(shift=0.2)), make(shift=0.2))
    view.show(make())  # another figure: drawn afresh
    assert _same(view.widget.value, make())


def test_png_bytes_decodes_to_the_pixels_it_was_given():
    import io

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(7, 9, 4), dtype=np.uint8)
    for image in (rgba, rgba[1:-2, 2:-3]):  # whole, and a crop (rows not contiguous)
        png = Image.open(io.BytesIO(ui.png_bytes(image)))
        assert png.format == "PNG" and png.mode == "RGBA" and png.size == image.shape[1::-1]
        assert np.array_equal(np.asarray(png), image)


def test_figure_view_keeps_the_background_of_an_axes_without_ticks_whose_view_moves(monkeypatch):
    def make(right: float = 1.0, spine: str | None = None) -> Figure:
        fig = Figure(figsize=(3.0, 3.0), dpi=100)
        ax = fig.subplots()
        ax.plot([0, 1], [0, 1])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("x")
        if spine is not None:
            ax.spines["left"].set_position(spine)
        ax.set_xlim(-1, right)
        return fig

    for spine, whole in ((None, False), ("zero", True), (("data", 0.5), True)):
        fig = make(spine=spine)
        (ax,) = fig.axes
        drawn: list[int] = []
        monkeypatch.setattr(ax, "draw", lambda renderer, real=ax.draw, drawn=drawn: drawn.append(1) or real(renderer))
        view = ui.FigureView()
        view.png(fig)
        view.prepare()
        for right in (2.0, 3.0):  # a zoom: limits move, no tick or label does, unless a spine sits at a data value
            drawn.clear()
            ax.set_xlim(-1, right)
            assert _same(view.png(fig), make(right, spine))
            assert bool(drawn) == whole, spine
            view.prepare()


def test_figure_view_sends_a_new_figure_after_one_render_and_prepares_its_background_after(monkeypatch):
    import asyncio

    import numpy as np

    fig = Figure(figsize=(4.0, 3.0), dpi=100)
    fig.subplots().imshow(np.eye(3))
    view = ui.FigureView()
    renders, sent = [], []
    real = ui.FigureCanvasAgg.draw
    monkeypatch.setattr(ui.FigureCanvasAgg, "draw", lambda canvas: renders.append(len(sent)) or real(canvas))
    view.widget.observe(lambda change: sent.append(change["new"]), names="value")
    view.show(fig)
    assert renders == [0, 1] and len(sent) == 1  # one render before the picture is sent, the background's after
    fig.axes[0].images[0].set_data(np.eye(3)[::-1])
    view.show(fig)
    assert renders == [0, 1] and len(sent) == 2  # the move: over the kept background, no full render

    async def in_a_kernel() -> None:  # (a kernel's event loop: the background a tenth of a second later)
        renders.clear()
        sent.clear()
        other = Figure(figsize=(4.0, 3.0), dpi=100)
        other.subplots().imshow(np.eye(3))
        view.show(other)
        assert renders == [0] and len(sent) == 1  # sent; the background not yet
        await asyncio.sleep(2 * ui.PREPARE_AFTER_S)
        assert renders == [0, 1]

    asyncio.run(in_a_kernel())


def test_one_blas_thread_runs_numpy_blas_on_one_thread_inside_the_block_only():
    from threadpoolctl import threadpool_info

    from nlpcourse.ui import one_blas_thread

    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    before = blas_threads()
    with one_blas_thread():
        assert blas_threads() == {1}
    assert blas_threads() == before


def test_one_blas_thread_looks_for_thread_pools_again_after_an_import(monkeypatch):
    import contextlib
    import sys
    import types

    scans = []

    class Pools:  # stands in for threadpoolctl's controller: counts the scans of the loaded libraries
        def __init__(self) -> None:
            scans.append(1)

        def limit(self, **_: object) -> contextlib.AbstractContextManager:
            return contextlib.nullcontext()

    monkeypatch.setattr(ui, "ThreadpoolController", Pools)
    monkeypatch.setattr(ui, "_threadpools", {})
    for _ in range(2):
        with ui.one_blas_thread():
            pass
    assert len(scans) == 1  # found once
    monkeypatch.setitem(sys.modules, "a_module_with_a_blas_of_its_own", types.ModuleType("m"))
    with ui.one_blas_thread():
        pass
    assert len(scans) == 2  # an import since may have loaded another BLAS


def test_a_figure_view_draws_texts_pixel_for_pixel_as_agg_also_when_it_pastes_them_again():
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from nlpcourse.ui import FigureView

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.set_title("a title, ∂L/∂x")
    ax.set_xlabel("x label")
    for i in range(12):  # sub-pixel positions of all kinds, and repeated strings
        ax.text(0.03 + 0.0717 * i, 0.1 + 0.0613 * i, f"grad {i % 3:.4g}", fontsize=7 + i % 4, color="C1")
    ax.text(0.5, 0.5, "rotated", rotation=30)
    ax.text(0.2, 0.8, r"$\alpha^2$")

    def agg() -> np.ndarray:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    expected = agg()
    view = FigureView(kept=False)
    for _ in range(3):  # the first render lays the texts out; the next ones paste them
        view.png(fig)
        assert np.array_equal(np.asarray(view._canvas.buffer_rgba()), expected)
    assert view._stamps  # texts were kept
    for t in ax.texts:  # moved by a fraction of a pixel: laid out again, still Agg's pixels
        t.set_x(t.get_position()[0] + 0.0031)
    fig.stale = True
    expected = agg()
    view.png(fig)
    assert np.array_equal(np.asarray(view._canvas.buffer_rgba()), expected)


def test_an_axes_whose_ticks_moved_once_is_kept_in_the_background_again_once_they_stay():
    from matplotlib.figure import Figure

    from nlpcourse.ui import CONTENTS, WHOLE, FigureView

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    (line,) = ax.plot([0, 1], [0, 1])
    view = FigureView()
    view.show(fig)
    ax.set_xlim(0, 5)  # the ticks move: the axes is drawn whole
    view.show(fig)
    assert view._plan[ax] == WHOLE
    line.set_ydata([1, 0])  # the ticks stay: drawn whole once more, then it joins the background
    view.show(fig)
    assert view._plan[ax] == CONTENTS
    line.set_ydata([0.5, 0])
    fresh = Figure(figsize=(4, 3))
    fresh.add_subplot().plot([0, 1], [0.5, 0])
    fresh.axes[0].set_xlim(0, 5)
    fresh.axes[0].set_ylim(ax.get_ylim())
    assert _same(view.png(fig), fresh)
