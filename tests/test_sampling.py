"""decoding.sampling: the filters equal transformers' logits warpers, and ``sample`` equals
``model.generate(do_sample=True)`` after the same seed (ties, p near 0 and 1 included)."""

import numpy as np
import pytest
import torch
from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

from nlpcourse.decoding import random_step, sample
from nlpcourse.decoding.sampling import (
    SamplingConfig,
    filtered_distribution,
    sampling_agreement,
    tied_gpt2,
    top_k_filter,
    top_p_filter,
    warp,
)


def _scores(seed: int, tied: bool) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(4, 30, generator=g)
    if tied:  # coarse values: many exact ties, also at the k-th place and across the nucleus boundary
        x = torch.round(x * 2) / 2
    return x


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("tied", [False, True])
def test_filters_equal_transformers_warpers(seed, tied):
    x = _scores(seed, tied)
    for k in (1, 2, 5, 17, 30, 40):
        assert torch.equal(top_k_filter(x, k), TopKLogitsWarper(k)(None, x))
    for p in (0.0, 1e-6, 0.1, 0.5, 0.9, 0.999999, 1.0):
        assert torch.equal(top_p_filter(x, p), TopPLogitsWarper(p)(None, x))
    for t in (0.3, 1.0, 2.5):
        assert torch.equal(warp(x, t), TemperatureLogitsWarper(t)(None, x))
        ref = TopPLogitsWarper(0.7)(None, TopKLogitsWarper(6)(None, TemperatureLogitsWarper(t)(None, x)))
        assert torch.equal(warp(x, t, 6, 0.7), ref)


def test_top_k_keeps_ties_and_top_p_keeps_one():
    x = torch.tensor([[3.0, 1.0, 1.0, 1.0, 0.0]])
    assert torch.isfinite(top_k_filter(x, 2)).sum() == 4  # the 2nd best ties with two others: all kept
    assert torch.isfinite(top_p_filter(x, 0.0)).sum() == 1
    assert torch.isfinite(top_p_filter(torch.zeros(1, 5), 0.0)).sum() == 1  # all tied: still one


def test_filtered_distribution():
    logp = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    assert np.allclose(filtered_distribution(logp), [0.5, 0.3, 0.15, 0.05], atol=1e-7)
    assert np.allclose(filtered_distribution(logp, top_k=2), [0.625, 0.375, 0, 0], atol=1e-7)
    assert np.allclose(filtered_distribution(logp, top_p=0.75), [0.625, 0.375, 0, 0], atol=1e-7)
    assert np.allclose(filtered_distribution(logp, top_p=0.85), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0], atol=1e-7)
    cold = filtered_distribution(logp, temperature=0.5)
    assert np.allclose(cold, np.array([0.25, 0.09, 0.0225, 0.0025]) / 0.3650, atol=1e-6)
    assert filtered_distribution(logp, temperature=100.0).max() < 0.26


def test_sample_equals_generate_on_tiny_gpt2():
    df = sampling_agreement(seeds=range(3), temperatures=(0.5, 1.0, 2.0), top_ks=(None, 1, 5),
                            top_ps=(None, 0.0, 0.5, 0.999))
    assert df.same_sequences.all(), df[~df.same_sequences]
    assert df.eos_ended.sum() > 0 and (df.eos_ended < df.rows).any()  # some sequences end early, some do not


def test_sample_equals_generate_with_ties():
    model = tied_gpt2(0)
    with torch.no_grad():
        logits = model(torch.tensor([[5, 7]])).logits[0, -1]
    assert (logits == 0).sum() >= 40  # the tied block
    df = sampling_agreement(seeds=range(3), temperatures=(1.0, 0.7), top_ks=(None, 3, 10),
                            top_ps=(None, 1e-3, 0.3, 0.9), tied=True)
    assert df.same_sequences.all(), df[~df.same_sequences]


def test_sample_basics():
    step = random_step(6, seed=1)
    torch.manual_seed(0)
    seqs, logp = sample(step, [[0, 1], [0, 2]], max_new_tokens=5, eos_token_id=3, pad_token_id=5)
    assert seqs.shape[0] == 2 and seqs.shape[1] <= 7 and np.all(logp <= 0)
    for row in seqs.tolist():
        if 3 in row[2:]:
            assert all(t == 5 for t in row[2 + row[2:].index(3) + 1:])
    torch.manual_seed(0)
    again, _ = sample(step, [[0, 1], [0, 2]], max_new_tokens=5, eos_token_id=3, pad_token_id=5)
    assert np.array_equal(seqs, again)
    greedy, _ = sample(step, [[0, 1]], max_new_tokens=5, eos_token_id=None, pad_token_id=5, top_k=1)
    from nlpcourse.decoding import greedy_decode
    assert np.array_equal(greedy, greedy_decode(step, [[0, 1]], max_new_tokens=5, eos_token_id=None,
                                                pad_token_id=5)[0])


@pytest.mark.parametrize("kw, err, text", [
    (dict(temperature=0.0), ValueError, "temperature"),
    (dict(top_k=0), ValueError, "top_k"),
    (dict(top_k=2.5), TypeError, "top_k"),
    (dict(top_p=1.5), ValueError, "top_p"),
    (dict(top_p=True), TypeError, "top_p"),
])
def test_sample_refuses_bad_knobs(kw, err, text):
    with pytest.raises(err, match=text):
        sample(random_step(4), [[0]], max_new_tokens=2, eos_token_id=1, pad_token_id=2, **kw)
    with pytest.raises(err, match=text):
        SamplingConfig(**kw)


def test_sample_refuses_ids_outside_vocab():
    with pytest.raises(ValueError, match="eos_token_id"):
        sample(random_step(4), [[0]], max_new_tokens=2, eos_token_id=7, pad_token_id=2)


def test_diversity_vs_likelihood_and_the_figure():
    import matplotlib.figure

    from nlpcourse.decoding.figures import draw_filtered
    from nlpcourse.decoding.sampling import diversity_vs_likelihood

    step = random_step(6, seed=2, temperature=0.5)
    df = diversity_vs_likelihood(step, [np.array([[0, 1]]), np.array([[0]])], {"τ = 1": {}, "top-k 1": {"top_k": 1}},
                                 num_beams=3, samples=8, max_new_tokens=4, eos_token_id=3, pad_token_id=5)
    assert list(df.index) == ["beam search, k = 3", "τ = 1", "top-k 1"]
    assert df.loc["beam search, k = 3", "distinct outputs per prompt"] == 1
    assert df.loc["top-k 1", "distinct outputs per prompt"] == 1  # top-k 1 is greedy: always the same
    assert df.loc["τ = 1", "distinct outputs per prompt"] > 1
    assert (df["log-prob per token"] <= 0).all()
    logp = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    fig = draw_filtered(logp, list("abcd"), {"top-k = 2": {"top_k": 2}})
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2


def test_side_by_side_equals_one_process(monkeypatch):
    """The seeds (sampling_agreement) and the methods (diversity_vs_likelihood) run in two processes
    (parallel.starmap): the same tables as in one, and torch's random stream is left as it was."""
    from nlpcourse.decoding.sampling import diversity_vs_likelihood

    def both():
        torch.manual_seed(5)
        agreement = sampling_agreement(seeds=range(2), temperatures=(1.5,), top_ks=(None, 3), top_ps=(0.9,))
        dvl = diversity_vs_likelihood(random_step(6, seed=2), [np.array([[0, 1]]), np.array([[0]])],
                                      {"τ = 1": {}, "top-p 0.5": {"top_p": 0.5}}, num_beams=2, samples=4,
                                      max_new_tokens=4, eos_token_id=3, pad_token_id=5)
        return agreement, dvl, torch.rand(3)

    two = both()
    monkeypatch.setenv("NLPCOURSE_PARALLEL", "0")
    one = both()
    torch.manual_seed(5)
    assert two[0].equals(one[0]) and two[1].equals(one[1]) and torch.equal(two[2], one[2])
    assert torch.equal(two[2], torch.rand(3))  # as if nothing had drawn
