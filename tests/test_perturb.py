"""The perturbation switch (NLPCOURSE_PERTURB): off by default, ~10 roundings when on, deterministic."""
import numpy as np
import pytest
import torch

from nlpcourse.corpus import init_embeddings
from nlpcourse.perturb import ENV, nudge, perturb_seed


@pytest.fixture
def on(monkeypatch):
    monkeypatch.setenv(ENV, "1")


def test_off_returns_x_itself(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    a, t, m = np.ones(3), torch.ones(3), torch.nn.Linear(2, 2)
    before = m.weight.detach().clone()
    assert nudge(a) is a and nudge(t) is t and nudge(m) is m
    assert torch.equal(m.weight, before)
    monkeypatch.setenv(ENV, "")
    assert perturb_seed() is None and nudge(a) is a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_array_moves_by_about_ten_roundings(on, dtype):
    a = np.random.default_rng(0).standard_normal(10_000).astype(dtype)
    b = nudge(a)
    assert b.dtype == dtype and b.shape == a.shape and b is not a
    rel = np.abs(b.astype(np.float64) / a - 1)
    eps = np.finfo(dtype).eps
    assert rel.max() <= 10.5 * eps  # 10 roundings, plus the rounding of the product
    assert 4 * eps < rel.mean() < 6 * eps  # u uniform in [-1, 1]: mean |u| = 1/2
    assert (b > a).mean() == pytest.approx(0.5, abs=0.05)


def test_deterministic_for_a_seed_and_a_function_of_the_values(monkeypatch):
    a = np.random.default_rng(0).standard_normal(100)
    monkeypatch.setenv(ENV, "1")
    b1, b2 = nudge(a), nudge(a.copy())
    assert np.array_equal(b1, b2)  # same values, same nudge, whatever ran in between
    assert not np.array_equal(nudge(a[::-1].copy())[::-1], b1)  # other values, other noise
    monkeypatch.setenv(ENV, "2")
    assert not np.array_equal(nudge(a), b1)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_tensor(on, dtype):
    t = torch.randn(50, 20, generator=torch.Generator().manual_seed(0)).to(dtype).requires_grad_()
    u = nudge(t)
    assert u.dtype == dtype and u.requires_grad and u.is_leaf and not torch.equal(u, t)
    rel = (u.double() / t.double() - 1).abs()
    assert rel.max() <= 10.5 * torch.finfo(dtype).eps
    assert torch.equal(u, nudge(t))


def test_module_in_place(on):
    m = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3))
    before = [p.detach().clone() for p in m.parameters()]
    assert nudge(m) is m
    after = list(m.parameters())
    assert all(p.requires_grad for p in after)
    assert not torch.equal(after[0], before[0])
    for p, q in zip(after, before, strict=True):
        assert torch.allclose(p, q, rtol=1.5e-6, atol=0)


def test_gensim_model_in_place_after_build_vocab(monkeypatch):
    from gensim.models import FastText, Word2Vec
    from gensim.test.utils import common_texts

    for cls, kwargs in ((Word2Vec, {}), (FastText, {"bucket": 100})):
        models = []
        for env in ("", "1"):
            monkeypatch.setenv(ENV, env)
            m = cls(vector_size=8, min_count=1, seed=0, workers=1, **kwargs)
            m.build_vocab(common_texts)
            models.append(nudge(m))
        plain, nudged = models
        names = ["vectors_vocab", "vectors_ngrams"] if cls is FastText else ["vectors"]
        for name in names:
            a, b = getattr(plain.wv, name), getattr(nudged.wv, name)
            assert b.dtype == np.float32 and not np.array_equal(a, b)
            assert np.allclose(a, b, rtol=1.5e-6, atol=0)


def test_init_functions_go_through_it(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    W0, _ = init_embeddings(20, 20, 8, seed=3)
    monkeypatch.setenv(ENV, "1")
    W1, _ = init_embeddings(20, 20, 8, seed=3)
    assert not torch.equal(W0, W1) and torch.allclose(W0, W1, rtol=1.5e-6, atol=0)


def test_errors(monkeypatch):
    monkeypatch.setenv(ENV, "yes")
    with pytest.raises(ValueError, match=ENV):
        nudge(np.ones(2))
    monkeypatch.setenv(ENV, "1")
    with pytest.raises(TypeError, match="floating"):
        nudge(np.arange(3))
    with pytest.raises(TypeError, match="x: expected"):
        nudge([1.0, 2.0])
