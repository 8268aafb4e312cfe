"""Tests of nlpcourse.gradcheck: finite differences, autograd, the three-way check and its printout."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nlpcourse.gradcheck import GradCheck, check_gradients, error_bound, finite_difference, torch_gradients


# ------------------------------------------------------------------------------------------ test functions
def softmax_ce_numpy(p: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    """Cross-entropy of softmax(W x) against target 2: loss and hand-derived gradients."""
    W, x = p["W"], p["x"]
    z = W @ x
    probs = np.exp(z - z.max())
    probs /= probs.sum()
    loss = -np.log(probs[2])
    dz = probs.copy()
    dz[2] -= 1.0
    return float(loss), {"W": np.outer(dz, x), "x": W.T @ dz}


def softmax_ce_torch(p: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.nn.functional.cross_entropy((p["W"] @ p["x"])[None], torch.tensor([2]))


def matmul_numpy(p: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    """loss = sum(C * (A @ B)) for a fixed C."""
    A, B = p["A"], p["B"]
    C = np.arange(A.shape[0] * B.shape[1], dtype=np.float64).reshape(A.shape[0], B.shape[1]) / 10
    return float((C * (A @ B)).sum()), {"A": C @ B.T, "B": A.T @ C}


def matmul_torch(p: dict[str, torch.Tensor]) -> torch.Tensor:
    A, B = p["A"], p["B"]
    C = torch.arange(A.shape[0] * B.shape[1], dtype=torch.float64).reshape(A.shape[0], B.shape[1]) / 10
    return (C * (A @ B)).sum()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# ------------------------------------------------------------------------------------------ error_bound
@pytest.mark.parametrize(
    ("x", "expected"),
    [(0.0, "0"), (3e-17, "< 1e-16"), (1e-10, "< 1e-9"), (9.9e-11, "< 1e-10"), (0.5, "< 1e0"), (42.0, "< 1e2"),
     (float("nan"), "nan"), (float("inf"), "inf")],
)
def test_error_bound(x, expected):
    assert error_bound(x) == expected


def test_error_bound_floor_and_bad_input():
    assert error_bound(3e-17, floor=1e-12) == "< 1e-12"
    assert error_bound(3e-9, floor=1e-12) == "< 1e-8"
    assert error_bound(0.0, floor=1e-12) == "< 1e-12"  # an exact 0 here may be 1e-17 on another CPU
    with pytest.raises(ValueError, match="x: expected a non-negative error, got -1.0"):
        error_bound(-1.0)


# ------------------------------------------------------------------------------------------ pieces
def test_finite_difference_of_a_quadratic_restores_x(rng):
    x = rng.normal(size=(3, 2))
    x0 = x.copy()
    A = rng.normal(size=(3, 2))
    grad = finite_difference(lambda: float((A * x**2).sum()), x)
    np.testing.assert_allclose(grad, 2 * A * x0, atol=1e-8)
    np.testing.assert_array_equal(x, x0)  # restored exactly


def test_finite_difference_bad_input():
    with pytest.raises(ValueError, match="x: expected a float64 numpy array.*got ndarray of dtype float32"):
        finite_difference(lambda: 0.0, np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="x: expected a float64 numpy array.*got list"):
        finite_difference(lambda: 0.0, [1.0, 2.0])
    with pytest.raises(ValueError, match="eps: expected a positive step"):
        finite_difference(lambda: 0.0, np.zeros(3), eps=0.0)


def test_torch_gradients(rng):
    W, x = rng.normal(size=(4, 3)), rng.normal(size=3)
    loss, grads = torch_gradients(softmax_ce_torch, {"W": W, "x": x})
    ours_loss, ours = softmax_ce_numpy({"W": W, "x": x})
    assert loss == pytest.approx(ours_loss, abs=1e-12)
    np.testing.assert_allclose(grads["W"], ours["W"], atol=1e-12)
    assert grads["x"].dtype == np.float64 and grads["x"].shape == (3,)
    # an unused parameter gets a zero gradient
    _, g = torch_gradients(lambda p: (p["a"] ** 2).sum(), {"a": np.ones(2), "unused": np.ones((2, 2))})
    np.testing.assert_array_equal(g["unused"], np.zeros((2, 2)))


def test_torch_gradients_bad_input():
    with pytest.raises(ValueError, match=r"torch_fn: expected a scalar loss, got a tensor of shape \(2,\)"):
        torch_gradients(lambda p: p["a"] * 2, {"a": np.ones(2)})
    with pytest.raises(ValueError, match="torch_fn: expected to return a scalar torch tensor, got float"):
        torch_gradients(lambda p: 1.0, {"a": np.ones(2)})
    with pytest.raises(ValueError, match="params: expected a non-empty dict"):
        torch_gradients(lambda p: p, {})


# ------------------------------------------------------------------------------------------ the check
def test_check_softmax_cross_entropy_passes(rng):
    params = {"W": rng.normal(size=(5, 4)), "x": rng.normal(size=4)}
    before = {k: v.copy() for k, v in params.items()}
    result = check_gradients(softmax_ce_numpy, softmax_ce_torch, params)
    assert isinstance(result, GradCheck) and result.ok
    assert list(result.table.index) == ["W", "x"] and result.table["ok"].all()
    assert result.table.loc["W", "shape"] == "(5, 4)"
    assert result.table["max |ours - autograd|"].max() < 1e-12
    assert result.table["max |ours - finite diff|"].max() < 1e-7
    for k in params:  # the caller's arrays are untouched
        np.testing.assert_array_equal(params[k], before[k])
    text = str(result)
    assert text.startswith("gradient check passed (tol 1e-06)")
    assert "< 1e-12" in text and "e-17" not in text and "e-16" not in text
    assert repr(result) == text


def test_check_matrix_product_passes(rng):
    params = {"A": rng.normal(size=(3, 4)), "B": rng.normal(size=(4, 2))}
    result = check_gradients(matmul_numpy, matmul_torch, params)
    assert result.ok
    np.testing.assert_allclose(result.grads_finite["A"], result.grads["A"], atol=1e-7)
    np.testing.assert_allclose(result.grads_autograd["B"], result.grads["B"], atol=1e-12)


def test_check_wrong_gradient_fails(rng, capsys):
    def wrong(p):
        loss, grads = softmax_ce_numpy(p)
        grads["x"] = 2 * grads["x"]  # a classic mistake: a factor 2
        return loss, grads

    result = check_gradients(wrong, softmax_ce_torch, {"W": rng.normal(size=(5, 4)), "x": rng.normal(size=4)})
    assert not result.ok
    assert bool(result.table.loc["W", "ok"]) and not bool(result.table.loc["x", "ok"])
    result.show()
    out = capsys.readouterr().out
    assert out.startswith("gradient check FAILED") and "NO" in out


def test_check_wrong_torch_also_fails(rng):
    # ours right, autograd computing another loss: the losses disagree, nothing passes
    result = check_gradients(matmul_numpy, lambda p: 2 * matmul_torch(p),
                             {"A": rng.normal(size=(2, 2)), "B": rng.normal(size=(2, 2))})
    assert not result.ok and result.table["loss vs autograd"].iloc[0] > 1e-3


def test_check_without_torch(rng):
    result = check_gradients(matmul_numpy, None, {"A": rng.normal(size=(2, 3)), "B": rng.normal(size=(3, 2))})
    assert result.ok and np.isnan(result.loss_autograd)
    assert "autograd" not in str(result) and "finite diff" in str(result)


def test_check_bad_numpy_fn(rng):
    params = {"W": rng.normal(size=(5, 4)), "x": rng.normal(size=4)}
    with pytest.raises(ValueError, match=r"numpy_fn: expected gradients for exactly \['W', 'x'\].*missing \['x'\]"):
        check_gradients(lambda p: (1.0, {"W": np.zeros((5, 4))}), None, params)
    with pytest.raises(ValueError, match=r"numpy_fn: gradient of 'x': expected shape \(4,\), got \(1, 4\)"):
        check_gradients(lambda p: (1.0, {"W": np.zeros((5, 4)), "x": np.zeros((1, 4))}), None, params)
    with pytest.raises(ValueError, match=r"numpy_fn: expected a scalar loss, got shape \(2,\)"):
        check_gradients(lambda p: (np.zeros(2), {"W": p["W"], "x": p["x"]}), None, params)
    with pytest.raises(ValueError, match="numpy_fn: expected to return \\(loss, dict of gradients\\)"):
        check_gradients(lambda p: 1.0, None, params)

    def mutating(p):
        p["x"] *= 2
        return softmax_ce_numpy(p)

    with pytest.raises(ValueError, match="numpy_fn: it modified its input params\\['x'\\]"):
        check_gradients(mutating, None, params)
    with pytest.raises(ValueError, match="params\\['W'\\]: expected a float array, got str"):
        check_gradients(softmax_ce_numpy, None, {"W": "abc"})
