import numpy as np
import pytest

from nlpcourse import linear_maps as lm


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


def test_linear_map_rejects_bad_shapes_with_the_shapes_in_the_message():
    xs, ys = lm.make_grid(1.0, 3)
    with pytest.raises(ValueError, match=r"2×2 matrix, got shape \(3, 3\)"):
        lm.linear_map(np.eye(3), xs, ys)
    with pytest.raises(ValueError, match=r"xs \(3, 3\) and ys \(2, 3\)"):
        lm.linear_map(np.eye(2), xs, ys[:2])


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
    with pytest.raises(KeyError, match="activation"):
        lm.layer(A, b, xs, ys, "softplus")
    with pytest.raises(ValueError, match=r"b: expected a bias of shape \(2,\), got \(3,\)"):
        lm.layer(A, [0, 0, 0], xs, ys)


def test_polygon_area_and_grid_errors():
    assert lm.polygon_area([0, 2, 2, 0], [0, 0, 1, 1]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="n ≥ 3"):
        lm.polygon_area([0, 1], [0, 1])
    with pytest.raises(ValueError, match="n: expected at least 2"):
        lm.make_grid(1.0, 1)


def test_matrix_str_is_fixed_format():
    assert lm.matrix_str(lm.rotation(30)) == "[ 0.87 -0.50]\n[ 0.50  0.87]"
    assert lm.matrix_str([-1e-9, 1.0]) == "[0.00 1.00]"  # never "-0.00"
    assert lm.det_label(lm.projection((1.0, 1.0))) == "0.00"


def test_figures_have_the_expected_panels():
    assert len(lm.draw_linear_map(lm.shear(1.0), show_eigenvectors=True).axes) == 1
    assert len(lm.draw_gallery({"a": np.eye(2), "b": lm.rotation(10)}).axes) == 2
    fig = lm.draw_layer(np.eye(2), (0.0, 0.0), "tanh")
    assert [ax.get_title() for ax in fig.axes] == ["input grid", "A·p + b   (det A = 1.00)", "tanh(A·p + b)"]
    with pytest.raises(ValueError, match="1 to 6"):
        lm.draw_gallery({})
