"""The shared numerics: equal to torch on ordinary inputs and finite (no NaN, no overflow) on extreme ones."""

import numpy as np
import pytest
import torch

from nlpcourse import functional as F


@pytest.fixture(params=[0, 1, 2, 3, 4])
def scores(request):
    rng = np.random.default_rng(request.param)
    return rng.normal(size=(5, 7)) * rng.choice([0.1, 1.0, 30.0, 1000.0])


def test_against_torch_on_many_inputs(scores):
    t = torch.tensor(scores)
    np.testing.assert_allclose(F.sigmoid(scores), torch.sigmoid(t).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(F.log_sigmoid(scores), torch.nn.functional.logsigmoid(t).numpy(), rtol=1e-12)
    for axis in (-1, 0):
        np.testing.assert_allclose(F.logsumexp(scores, axis=axis), torch.logsumexp(t, dim=axis).numpy(), rtol=1e-12)
        np.testing.assert_allclose(F.log_softmax(scores, axis=axis), torch.log_softmax(t, dim=axis).numpy(),
                                   rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(F.softmax(scores, axis=axis), torch.softmax(t, dim=axis).numpy(),
                                   rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(F.softmax(scores).sum(axis=-1), 1.0)


def test_extreme_scores_stay_finite():
    x = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow warning anywhere
        s, ls = F.sigmoid(x), F.log_sigmoid(x)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    assert np.all(np.isfinite(ls)) and ls[0] == -1e4 and ls[-1] == 0.0
    # log(1 − σ(x)) = log σ(−x): finite where the naive form gives log 0 = −inf
    np.testing.assert_allclose(F.log_sigmoid(-x), torch.nn.functional.logsigmoid(torch.tensor(-x)).numpy())
    assert F.log_sigmoid(-800.0) == -800.0
    z = np.array([1000.0, 999.0, 990.0])
    assert F.logsumexp(z) == pytest.approx(1000 + np.log(1 + np.exp(-1) + np.exp(-10)), abs=1e-12)
    e = np.exp([0.0, -1.0, -10.0])
    np.testing.assert_allclose(F.softmax(z), e / e.sum(), rtol=1e-12)
    np.testing.assert_array_equal(F.log_softmax(np.array([-1e4, 0.0, 1e4])), [-2e4, -1e4, 0.0])


def test_shapes_keepdims_and_all_minus_infinity():
    z = np.zeros((2, 3, 4))
    assert F.logsumexp(z).shape == (2, 3) and F.logsumexp(z, axis=0, keepdims=True).shape == (1, 3, 4)
    assert F.softmax(z, axis=1).shape == z.shape
    assert F.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf  # not NaN
    assert float(F.logsumexp(np.array([2.0]))) == 2.0
    assert F.sigmoid(0.0).shape == ()


def test_log_softmax_is_the_mlps_rounding():
    """(z − max) − log Σ exp(z − max), bit for bit: notebook 05's stored outputs were computed this way."""
    rng = np.random.default_rng(0)
    s = rng.normal(size=(50, 9)) * 20
    shifted = s - s.max(axis=1, keepdims=True)
    expected = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(F.log_softmax(s, axis=1), expected)
    with pytest.raises(TypeError, match="axis"):
        F.log_softmax(s, axis=1.0)
