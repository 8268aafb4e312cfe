"""Widget builders: they build, and every control change redraws through the tested drawing function.

(An ``Output`` only captures inside a running kernel, so the redraws are counted with a spy.)
"""

import ipywidgets as W
from matplotlib.figure import Figure

from nlpcourse import widgets


def test_interactive_figure_redraws_on_every_change():
    calls = []

    def draw(a: float, b: str) -> Figure:
        calls.append((a, b))
        return Figure()

    box = widgets.interactive_figure(draw, {"a": W.FloatSlider(value=1.0), "b": W.Dropdown(options=["x", "y"])})
    assert calls == [(1.0, "x")]  # the default state is drawn at once
    box.children[0].children[0].value = 2.0
    box.children[0].children[1].value = "y"
    assert calls == [(1.0, "x"), (2.0, "x"), (2.0, "y")]


def test_linear_map_explorer_builds_and_accepts_changes():
    box = widgets.linear_map_explorer()
    sliders = [c for row in box.children[:-1] for c in row.children]
    assert [s.description for s in sliders] == ["a11", "a12", "a21", "a22", "b1", "b2", "σ"]
    sliders[0].value = 1.5
    sliders[-1].value = "tanh"
    assert isinstance(box.children[-1], W.Output)


def test_make_buttons_and_show_in():
    buttons = widgets.make_buttons("step", "reset", width="90px")
    assert list(buttons) == ["step", "reset"]
    assert [b.description for b in buttons.values()] == ["step", "reset"]
    assert buttons["step"].layout.width == "90px"
    out = W.Output()
    widgets.show_in(out, Figure())  # outside a kernel nothing is captured, but it must not fail
