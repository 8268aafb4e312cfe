"""The shared training pipeline (nlpcourse.corpus): encoding, subsampling, epoch pairs, noise, lr schedule, init.

gensim is the reference for the subsampling and the noise distribution; the sampler is checked by a χ² test.
"""

import itertools

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from nlpcourse import corpus
from nlpcourse import word2vec as w2v
from nlpcourse.data import Vocab, load_corpus


def test_unigram_noise_reproduces_the_lecture_numbers():
    powered = np.array([0.9, 0.09, 0.01]) ** 0.75
    np.testing.assert_allclose(powered, [0.92, 0.16, 0.032], atol=0.005)
    p = corpus.unigram_noise([0.9, 0.09, 0.01], 0.75)
    np.testing.assert_allclose(p, powered / powered.sum())
    np.testing.assert_allclose(p, [0.825, 0.147, 0.028], atol=0.001)
    np.testing.assert_allclose(corpus.unigram_noise([3, 1], 1.0), [0.75, 0.25])
    np.testing.assert_allclose(corpus.unigram_noise([3, 1], 0.0), [0.5, 0.5])
    with pytest.raises(ValueError, match="alpha"):
        corpus.unigram_noise([3, 1], 1.5)
    with pytest.raises(ValueError, match="counts"):
        corpus.unigram_noise([], 0.75)


def test_sampler_follows_the_noise_distribution_chi_square():
    counts = (1000 / np.arange(1, 51)).astype(int) + 1
    probs = corpus.unigram_noise(counts)
    draws = corpus.NegativeSampler(probs, seed=0).draw(100_000)
    observed = np.bincount(draws, minlength=len(probs))
    assert chisquare(observed, probs * len(draws)).pvalue > 0.01


def test_sampler_never_returns_the_positive():
    sampler = corpus.NegativeSampler(corpus.unigram_noise([100, 1, 1]), seed=0)
    positives = np.zeros(500, dtype=np.int64)
    negs = sampler.sample(positives, 5)
    assert negs.shape == (500, 5) and not np.any(negs == 0)
    assert sampler.sample(1, 4).shape == (4,)
    with pytest.raises(ValueError, match="negative: expected an int >= 1, got 0"):
        sampler.sample(1, 0)


def test_keep_probabilities_match_gensim():
    from gensim.models import Word2Vec

    sentences = load_corpus("lee_background.cor")
    model = Word2Vec(min_count=5, sample=1e-3)
    model.build_vocab(sentences)
    vocab = Vocab.build(sentences, min_count=5)
    ours = corpus.keep_probabilities(vocab.counts, 1e-3)
    theirs = np.array([model.wv.get_vecattr(w, "sample_int") / 2**32 for w in vocab.itos])
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    # the noise distribution: gensim's cumulative table of count^0.75
    cum = model.cum_table.astype(np.float64)
    gensim_noise = np.diff(cum, prepend=0.0) / cum[-1]
    by_word = np.array([gensim_noise[model.wv.key_to_index[w]] for w in vocab.itos])
    np.testing.assert_allclose(corpus.unigram_noise(vocab.counts, 0.75), by_word, atol=1e-8)


def test_encode_corpus_and_epoch_pairs_follow_gensims_reduced_window():
    sentences = [["a", "b", "c", "d", "e"], ["f", "g"], ["zzz"]]
    vocab = Vocab.build(sentences[:2])
    ids, sid = corpus.encode_corpus(sentences, vocab)
    assert ids.shape == sid.shape == (7,) and sid.tolist() == [0, 0, 0, 0, 0, 1, 1]  # "zzz" is dropped
    keep = np.ones(len(vocab), dtype=np.float32)
    # window 1: the reach is always 1, so the pairs are exactly the fixed-window pairs
    c, o = corpus.epoch_pairs(ids, sid, keep, 1, np.random.default_rng(0))
    expected = w2v.skipgram_pairs_corpus([ids[sid == 0], ids[sid == 1]], 1)
    assert sorted(zip(c.tolist(), o.tolist(), strict=True)) == sorted(map(tuple, expected.tolist()))
    # a wider window: a subset of the fixed-window pairs, never across sentences, near pairs more often
    fixed = {tuple(p) for p in w2v.skipgram_pairs_corpus([ids[sid == 0], ids[sid == 1]], 3).tolist()}
    rng = np.random.default_rng(1)
    counts = {1: 0, 3: 0}
    for _ in range(200):
        c, o = corpus.epoch_pairs(ids, sid, keep, 3, rng)
        assert set(zip(c.tolist(), o.tolist(), strict=True)) <= fixed
        pos = {w: i for i, w in enumerate(ids.tolist())}
        for a, b in zip(c.tolist(), o.tolist(), strict=True):
            d = abs(pos[a] - pos[b])
            if d in counts:
                counts[d] += 1
    assert counts[1] > 2 * counts[3]
    # subsampling: keep nothing -> no pairs
    c, _ = corpus.epoch_pairs(ids, sid, np.zeros(len(vocab), dtype=np.float32), 2, rng)
    assert len(c) == 0


def test_epoch_windows_are_epoch_pairs_grouped_by_center():
    """The same draws give the same pairs as epoch_pairs; each center's window is one run, in random order."""
    sentences = [[f"w{i}" for i in range(j, j + 9)] for j in range(0, 60, 10)]  # distinct words: a center = a position
    vocab = Vocab.build(sentences)
    ids, sid = corpus.encode_corpus(sentences, vocab)
    keep = np.full(len(vocab), 0.8, dtype=np.float32)
    for seed in range(5):
        c, o = corpus.epoch_windows(ids, sid, keep, 3, np.random.default_rng(seed))
        c2, o2 = corpus.epoch_pairs(ids, sid, keep, 3, np.random.default_rng(seed))
        assert c.dtype == o.dtype == np.int32
        assert sorted(zip(c.tolist(), o.tolist(), strict=True)) == sorted(zip(c2.tolist(), o2.tolist(), strict=True))
        runs = [int(x) for x, _ in itertools.groupby(c.tolist())]
        assert len(runs) == len(set(runs))  # one run per center
    assert runs != sorted(runs)  # the windows are shuffled
    c, _ = corpus.epoch_windows(ids, sid, np.zeros(len(vocab), dtype=np.float32), 2, np.random.default_rng(0))
    assert len(c) == 0


def test_keep_probabilities_without_subsampling():
    np.testing.assert_array_equal(corpus.keep_probabilities([10, 1], 0.0), [1.0, 1.0])
    keep = corpus.keep_probabilities([1000, 10, 1], 1e-2)
    assert keep[0] < keep[1] <= keep[2] == 1.0  # the frequent word is dropped most often


def test_sampler_draws_in_the_requested_dtype_and_is_seeded():
    probs = corpus.unigram_noise([5, 3, 2])
    a = corpus.NegativeSampler(probs, seed=4).draw((3, 7), np.int32)
    b = corpus.NegativeSampler(probs, seed=4).draw((3, 7))
    assert a.dtype == np.int32 and b.dtype == np.int64 and a.shape == (3, 7)
    np.testing.assert_array_equal(a, b)  # the same draws, only the dtype differs
    assert set(np.unique(a)) <= {0, 1, 2}


def test_linear_lr_goes_from_lr_to_min_lr():
    assert corpus.linear_lr(0.025, 1e-4, 0.0) == 0.025
    assert corpus.linear_lr(0.025, 1e-4, 1.0) == pytest.approx(1e-4)
    assert corpus.linear_lr(0.1, 0.0, 0.25) == pytest.approx(0.075)
    # the trainers' step: progress = (epoch + b / n_batches) / epochs, the same float32 rate as the formula before
    for epoch, b, n, epochs in [(0, 3, 7, 3), (2, 99, 137, 5), (9, 310, 311, 10)]:
        old = 0.025 - (0.025 - 1e-4) * (epoch + b / n) / epochs
        assert np.float32(corpus.linear_lr(0.025, 1e-4, (epoch + b / n) / epochs)) == np.float32(old)


def test_init_embeddings_is_word2vecs_and_seeded():
    W, C = corpus.init_embeddings(6, 5, 4, seed=3)
    assert W.shape == (6, 4) and C.shape == (5, 4) and W.dtype == C.dtype == torch.float32
    assert float(W.abs().max()) <= 0.5 / 4 and torch.count_nonzero(C) == 0
    W2, _ = corpus.init_embeddings(6, 5, 4, seed=3)
    assert torch.equal(W, W2)
    assert not torch.equal(W, corpus.init_embeddings(6, 5, 4, seed=4)[0])


@pytest.mark.parametrize("call, error, match", [
    (lambda: corpus.keep_probabilities([10, 1], -1e-3), ValueError, "sample: expected a threshold >= 0"),
    (lambda: corpus.keep_probabilities([10, 1], "1e-3"), TypeError, "sample"),
    (lambda: corpus.unigram_noise([3, 1], True), TypeError, "alpha"),
    (lambda: corpus.NegativeSampler([0.5, 0.2]), ValueError, "probs: expected a 1-D probability vector"),
    (lambda: corpus.NegativeSampler([1.0]), ValueError, "probs"),
    (lambda: corpus.NegativeSampler([0.5, 0.5], seed=-1), ValueError, "seed"),
    (lambda: corpus.NegativeSampler([1.0, 0.0]).sample(0, 2), ValueError, "positives: a positive holds all"),
    (lambda: corpus.NegativeSampler([0.5, 0.5]).sample(2, 2), ValueError,
     r"positives: expected word indices in \[0, 2\), got 2"),
    (lambda: corpus.NegativeSampler([0.5, 0.5]).sample(1, 2.0), TypeError, "negative"),
])
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
