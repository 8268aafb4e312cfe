import numpy as np
import pytest
from matplotlib.collections import PathCollection

from nlpcourse import linear_maps as lm
from nlpcourse.linear_maps import checks, figures, widgets


def test_rotation_by_90_maps_e1_to_e2():
    xs, ys = np.array([[1.0]]), np.array([[0.0]])
    mx, my = lm.linear_map(lm.rotation(90), xs, ys)
    assert np.allclose([mx[0, 0], my[0, 0]], [0.0, 1.0])


@pytest.mark.parametrize("A", [[[2, 1], [1, 3]], [[1, 2], [2, 4]], [[-1, 0], [0, 1]], [[0.5, -2], [3, 1]]])
def test_determinant_is_the_area_scale_of_the_unit_square(A):
    assert lm.unit_square_area_after(A) == pytest.approx(abs(np.linalg.det(A)), abs=1e-12)


def test_linear_map_keeps_grid_shape_and_is_linear():
    xs, ys = lm.make_grid(2.0, 5)
    A = np.array([[1.0, 2.0], [-1.0, 0.5]])
    mx, my = lm.linear_map(A, xs, ys)
    assert mx.shape == my.shape == (5, 5)
    assert np.allclose(mx, A[0, 0] * xs + A[0, 1] * ys)
    assert np.allclose(my, A[1, 0] * xs + A[1, 1] * ys)


def test_composition_is_the_product_and_order_matters():
    xs, ys = lm.make_grid(1.0, 3)
    A, B = lm.rotation(90), lm.shear(1.0)
    step = lm.linear_map(A, *lm.linear_map(B, xs, ys))
    assert np.allclose(step, lm.linear_map(A @ B, xs, ys))
    assert not np.allclose(A @ B, B @ A)


def test_layer_rejects_bad_shapes_with_the_shapes_in_the_message():
    xs, ys = lm.make_grid(1.0, 3)
    with pytest.raises(ValueError, match=r"2×2 matrix, got shape \(3, 3\)"):
        lm.layer(np.eye(3), (0.0, 0.0), xs, ys)
    with pytest.raises(ValueError, match=r"xs \(3, 3\) and ys \(2, 3\)"):
        lm.layer(np.eye(2), (0.0, 0.0), xs, ys[:2])


def test_standard_matrices():
    assert np.linalg.det(lm.rotation(37)) == pytest.approx(1.0)
    assert np.linalg.det(lm.shear(2.5)) == pytest.approx(1.0)
    assert np.linalg.det(lm.reflection("x=y")) == pytest.approx(-1.0)
    P = lm.projection((1.0, 1.0))
    assert np.allclose(P @ P, P) and np.linalg.det(P) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="axis"):
        lm.reflection("z")
    with pytest.raises(ValueError, match="direction"):
        lm.projection((0.0, 0.0))


def test_eigenvectors_only_stretch():
    S = np.array([[2.0, 1.0], [1.0, 2.0]])
    pairs = lm.real_eigenvectors(S)
    assert [round(lam, 6) for lam, _ in pairs] == [3.0, 1.0]
    for lam, v in pairs:
        assert np.allclose(S @ v, lam * v)
    assert lm.real_eigenvectors(lm.rotation(45)) == []
    assert len(lm.real_eigenvectors(lm.shear(1.0))) == 1  # one direction, listed once


def test_layer_applies_the_nonlinearity_elementwise():
    xs, ys = lm.make_grid(2.0, 5)
    A, b = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0.3, -0.2])
    lx, ly = lm.layer(A, b, xs, ys, "identity")
    rx, ry = lm.layer(A, b, xs, ys, "relu")
    assert np.allclose(rx, np.maximum(lx, 0)) and np.allclose(ry, np.maximum(ly, 0))
    sx, _ = lm.layer(A, b, xs, ys, "sigmoid")
    assert np.all((sx > 0) & (sx < 1))
    with pytest.raises(ValueError, match="activation"):
        lm.layer(A, b, xs, ys, "softplus")
    with pytest.raises(ValueError, match=r"b: expected a bias of shape \(2,\), got \(3,\)"):
        lm.layer(A, [0, 0, 0], xs, ys)


def test_polygon_area_and_grid_errors():
    assert lm.polygon_area([0, 2, 2, 0], [0, 0, 1, 1]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="n: expected at least 2"):
        lm.make_grid(1.0, 1)


def test_matrix_str_is_fixed_format():
    assert lm.matrix_str(lm.rotation(30)) == "[ 0.87 -0.50]\n[ 0.50  0.87]"
    assert lm.matrix_str([-1e-9, 1.0]) == "[0.00 1.00]"  # never "-0.00"
    assert lm.det_label(lm.projection((1.0, 1.0))) == "0.00"


def test_figures_have_the_expected_panels():
    fig = figures.draw_linear_map(lm.shear(1.0), show_eigenvectors=True)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "det A = 1.00"
    assert len(ax.patches) >= 1  # the unit square's image
    assert [t.get_text() for t in ax.texts if t.get_text().startswith("λ")] == ["λ=1.00"]  # a shear: one direction
    gallery = figures.draw_gallery({"a": np.eye(2), "b": lm.rotation(10)})
    assert [ax.get_title() for ax in gallery.axes] == ["a\ndet = 1.00", "b\ndet = 1.00"]
    fig = figures.draw_layer(np.eye(2), (0.0, 0.0), "tanh")
    assert [ax.get_title() for ax in fig.axes] == ["input grid", "A·p + b   (det A = 1.00)", "tanh(A·p + b)"]
    assert len(fig.axes[2].collections) >= 1  # the mapped points
    with pytest.raises(ValueError, match="1 to 6"):
        figures.draw_gallery({})


# ---------------------------------------------------------------- the exercise checks
def _rotation_answer(degrees):
    t = np.deg2rad(degrees)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def test_rotation_check_accepts_a_right_function(capsys):
    assert checks.check_rotation_matrix(_rotation_answer)
    assert "✅" in capsys.readouterr().out
    assert checks.check_rotation_matrix(lambda d: lm.rotation(d).tolist())  # a nested list is fine


@pytest.mark.parametrize("k", range(len(checks.ROTATION_MISTAKES)))
def test_rotation_check_every_hint_fires_for_its_mistake(capsys, k):
    wrong, hint = checks.ROTATION_MISTAKES[k]
    assert not checks.check_rotation_matrix(wrong)
    out = capsys.readouterr().out
    assert hint in out
    assert "0.87" not in out and "0.866" not in out  # never the answer


@pytest.mark.parametrize("student, message", [
    (..., "Not answered"),
    (lambda degrees: None, "Not answered"),
    (lambda degrees: np.eye(3), "shape (2, 2)"),
    (lambda degrees: 2 * np.eye(2), "where e₁ = (1, 0) and e₂ = (0, 1) must land"),
    (lambda degrees: 1 / 0, "ZeroDivisionError"),
])
def test_rotation_check_other_answers(capsys, student, message):
    assert not checks.check_rotation_matrix(student)
    assert message in capsys.readouterr().out


# ---------------------------------------------------------------- the separating-layer exercise
RIGHT_LAYERS = [
    (np.array([[1.0, -1.0], [-1.0, 1.0]]), np.zeros(2), "relu"),   # two ReLUs, one per side: |x − y|
    (np.array([[1.0, -1.0], [0.0, 0.0]]), np.zeros(2), "abs"),      # one fold across the stripe
    (np.array([[2.0, -2.0], [-1.0, 1.0]]), np.array([1.0, 1.0]), "relu"),
    ([[1, -1], [0, 1]], [0, 0], "abs"),                              # lists and ints are fine
]


@pytest.mark.parametrize("answer", RIGHT_LAYERS)
def test_separating_layer_check_accepts_layers_that_separate(capsys, answer):
    assert checks.check_separating_layer(answer)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("answer, hint", [
    ((np.eye(2), np.zeros(2), "identity"), "identity"),
    ((lm.rotation(45), np.zeros(2), "identity"), "identity"),
    ((np.array([[1.0, -1.0], [-1.0, 1.0]]), np.zeros(2), "sigmoid"), "sigmoid"),
    ((np.array([[1.0, -1.0], [-1.0, 1.0]]), np.zeros(2), "tanh"), "tanh"),
    ((np.eye(2), np.zeros(2), "abs"), "fold"),
    ((np.eye(2), np.zeros(2), "relu"), "fold"),
    ((np.array([[1.0, -1.0], [0.0, 0.0]]), np.array([0.6, 0.0]), "abs"), "shift"),
    ((np.array([[1.0, -1.0], [0.0, 0.0]]), np.zeros(2), "relu"), "one relu"),
    ((np.array([[1.0, -1.0], [2.0, -2.0]]), np.zeros(2), "relu"), "one relu"),
])
def test_separating_layer_every_hint_fires_for_its_mistake(capsys, answer, hint):
    assert not checks.check_separating_layer(answer)
    assert checks.SEPARATION_HINTS[hint] in capsys.readouterr().out


@pytest.mark.parametrize("answer, message", [
    (..., "Not answered"),
    ((..., ..., ...), "Not answered"),
    ((np.eye(3), np.zeros(2), "abs"), "shape (2, 2)"),
    ((np.eye(2), np.zeros(3), "abs"), "shape (2,)"),
    ((np.eye(2), np.zeros(2), "softmax"), "one of"),
    ((np.eye(2), np.zeros(2)), "a tuple (W, b, nonlinearity)"),
    ((np.full((2, 2), np.nan), np.zeros(2), "abs"), "NaN"),
])
def test_separating_layer_check_other_answers(capsys, answer, message):
    assert not checks.check_separating_layer(answer)
    assert message in capsys.readouterr().out


def test_the_stripe_is_not_linearly_separable_and_a_fold_makes_it_so():
    points, labels = lm.stripe(300, seed=0)
    assert set(np.unique(labels)) == {0, 1}
    assert lm.separating_line(points, labels) is None
    H = lm.map_points(np.array([[1.0, -1.0], [-1.0, 1.0]]), np.zeros(2), points, "relu")
    w, c, margin = lm.separating_line(H, labels)
    s = 2 * labels - 1
    assert margin > 0.01 and np.all(s * (H @ w + c) > 0)  # the line returned really separates, in H's units


def test_abs_is_a_fold_and_relu_a_clamp():
    xs, ys = lm.make_grid(2.0, 5)
    fx, fy = lm.layer(np.eye(2), (0.0, 0.0), xs, ys, "abs")
    assert np.array_equal(fx, np.abs(xs)) and np.array_equal(fx, fx[:, ::-1])  # mirrored: x and -x meet
    rx, _ = lm.layer(np.eye(2), (0.0, 0.0), xs, ys, "relu")
    assert np.array_equal(rx[:, :3], np.zeros((5, 3)))  # every x ≤ 0 lands on the axis x = 0


def _drawn_extent_fits_and_labels_apart(fig):
    """Every plotted point inside its axes' limits, and no two text labels of one axes overlapping."""
    fig.canvas.draw()
    for ax in fig.axes:
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        for coll in (c for c in ax.collections if isinstance(c, PathCollection)):  # the scattered points
            xy = np.asarray(coll.get_offsets())
            if len(xy):
                assert np.all((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)), ax.get_title()
        boxes = [t.get_window_extent() for t in ax.texts if t.get_text()]
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), ax.get_title()


@pytest.mark.parametrize("draw", [
    lambda: figures.draw_linear_map(np.array([[2.0, 1.0], [0.0, 1.0]])),
    lambda: figures.draw_gallery({"s": np.array([[2.0, 1.0], [1.0, 2.0]]), "shear": lm.shear(1.0),
                                  "rot": lm.rotation(45)}, show_eigenvectors=True),
    lambda: figures.draw_gallery({"p": lm.projection((1.0, 1.0)), "m": lm.scaling(-1.0, -1.0)}),
    lambda: figures.draw_layer([[2.0, 2.0], [-2.0, 2.0]], [2.0, -2.0], "relu"),   # the sliders' extremes
    lambda: figures.draw_layer([[1.0, 0.5], [-0.5, 1.0]], [0.5, -0.5], "abs"),
    lambda: figures.draw_layer([[1.0, 0.5], [-0.5, 1.0]], [0.5, -0.5], "sigmoid"),
    lambda: figures.draw_separation(np.array([[1.0, -1.0], [-1.0, 1.0]]), np.zeros(2), "relu", *lm.stripe(200)),
])
def test_every_figure_fits_what_it_draws_and_its_labels_do_not_overlap(draw):
    _drawn_extent_fits_and_labels_apart(draw())


def test_the_sigmoid_panel_zooms_to_the_unit_square():
    ax = figures.draw_layer([[1.0, 0.5], [-0.5, 1.0]], [0.5, -0.5], "sigmoid").axes[2]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert -0.2 < x0 and x1 < 1.2 and -0.2 < y0 and y1 < 1.2


def test_vector_labels_never_overlap_even_when_the_arrows_coincide():
    fig = figures.draw_linear_map(lm.projection((1.0, 1.0)))
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text() in ("Ae₁", "Ae₂")]
    assert len(labels) == 2
    r1, r2 = (t.get_window_extent() for t in labels)
    assert not r1.overlaps(r2)


# ---------------------------------------------------------------- the widget
def test_linear_map_explorer_builds_and_redraws_through_draw_layer(monkeypatch):
    import ipywidgets as W

    calls, updates = [], []
    real, real_update = widgets.draw_layer, widgets.update_layer
    monkeypatch.setattr(widgets, "draw_layer", lambda *a: calls.append(a) or real(*a))
    monkeypatch.setattr(widgets, "update_layer", lambda fig, *a: updates.append(a) or real_update(fig, *a))
    box = widgets.linear_map_explorer()
    sliders = [c for row in box.children[:-1] for c in row.children]
    assert [s.description for s in sliders] == ["a11", "a12", "a21", "a22", "b1", "b2", "f"]
    assert len(calls) == 1 and calls[0][2] == widgets.DEFAULT["activation"] != "identity"  # drawn at once
    sliders[0].value = 1.2
    sliders[-1].value = "tanh"
    # later changes move the kept figure's artists (update_layer: the same picture, tests/test_widget_updates.py)
    assert len(calls) == 1 and len(updates) == 2
    assert updates[-1] == ([[1.2, 0.5], [0.5, -1.0]], [0.3, 0.2], "tanh")
    assert isinstance(box.children[-1], W.Image) and box.children[-1].value[:4] == b"\x89PNG"


def test_draw_layer_shows_given_limits_and_names_a_wrong_count():
    fig = figures.draw_layer(np.eye(2), (0.0, 0.0), "relu", limits=[None, (-5.0, 5.0, -5.0, 5.0), None])
    assert fig.axes[1].get_xlim() == (-5.0, 5.0) and fig.axes[0].get_xlim() != (-5.0, 5.0)
    with pytest.raises(ValueError, match="limits"):
        figures.draw_layer(np.eye(2), (0.0, 0.0), "relu", limits=[None])
