"""Tests of nlpcourse.evaluation, with reference tests against gensim's KeyedVectors on a tiny Word2Vec."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors, Word2Vec
from gensim.test.utils import datapath
from scipy.stats import spearmanr

from nlpcourse.data import Vocab, load_analogies, load_corpus, load_similarity, porter_stem
from nlpcourse.evaluation import (
    AnalogyResult,
    Embeddings,
    SimilarityResult,
    analogy_accuracy,
    binomial_interval,
    cosine,
    pca_2d,
    spearman,
    welch_pvalue,
    word_similarity,
)


@pytest.fixture(scope="module")
def model() -> Word2Vec:
    """A small word2vec on the Lee corpus: ~4000 words, trained enough for some analogies to come out right."""
    return Word2Vec(load_corpus("lee_background.cor"), vector_size=40, window=5, min_count=2,
                    workers=1, seed=0, epochs=25)


@pytest.fixture(scope="module")
def emb(model) -> Embeddings:
    return Embeddings.from_gensim(model.wv)


@pytest.fixture(scope="module")
def analogies() -> pd.DataFrame:
    return load_analogies()


@pytest.fixture(scope="module")
def gensim_analogies(model) -> dict[int | None, tuple[float, list[dict]]]:
    """gensim's evaluate_word_analogies for the restrict_vocab values used below (computed once)."""
    path = datapath("questions-words.txt")
    return {rv: model.wv.evaluate_word_analogies(path, restrict_vocab=rv or 300000) for rv in (None, 1000, 500)}


# ------------------------------------------------------------------------------------------ Embeddings
def test_embeddings_basics():
    W = np.arange(12, dtype=np.float64).reshape(4, 3)
    emb = Embeddings(W, ["a", "b", "c", "d"])
    assert len(emb) == 4 and emb.dim == 3 and emb.words == ["a", "b", "c", "d"] and "c" in emb
    np.testing.assert_array_equal(emb["c"], [6, 7, 8])
    assert emb.vectors.shape == (4, 3) and not emb.vectors.flags.writeable
    W[0, 0] = 100.0  # a copy: the caller's matrix can change
    assert emb["a"][0] == 0.0
    np.testing.assert_allclose(np.linalg.norm(emb.unit_vectors, axis=1), 1.0)
    vocab = Vocab.build([["x", "y", "x"]])
    emb2 = Embeddings(np.eye(2), vocab)
    assert emb2.vocab is vocab and emb2.words == ["x", "y"]
    assert repr(emb2) == "Embeddings(V=2, d=2)"
    assert emb.restrict(2).words == ["a", "b"]


def test_embeddings_bad_input():
    with pytest.raises(ValueError, match=r"vectors: expected shape \(V, d\) with V=3 words, got \(3,\)"):
        Embeddings(np.zeros(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match=r"expected one row per word, got vectors of shape \(3, 2\) and 2 words"):
        Embeddings(np.zeros((3, 2)), ["a", "b"])
    with pytest.raises(ValueError, match="words: expected distinct words|itos: expected distinct words"):
        Embeddings(np.zeros((2, 2)), ["a", "a"])
    with pytest.raises(ValueError, match="vectors: expected finite numbers"):
        Embeddings(np.array([[np.nan, 0.0]]), ["a"])
    with pytest.raises(ValueError, match="words: expected a Vocab or a list of str, got str"):
        Embeddings(np.zeros((2, 2)), "ab")
    with pytest.raises(ValueError, match="kv: expected a gensim KeyedVectors"):
        Embeddings.from_gensim(np.zeros((2, 2)))
    emb = Embeddings(np.eye(3), ["apricot", "jam", "lemon"])
    with pytest.raises(KeyError, match=r"word: 'apricots' is not in the vocabulary.*'apricot'"):
        emb["apricots"]
    with pytest.raises(KeyError, match="'pie' is not in the vocabulary"):
        emb.most_similar("pie")
    with pytest.raises(ValueError, match=r"expected a word or a vector of shape \(3,\), got shape \(2,\)"):
        emb.most_similar(np.ones(2))
    with pytest.raises(ValueError, match="word_or_vector: the query vector is zero"):
        emb.most_similar(np.zeros(3))
    with pytest.raises(ValueError, match="k: expected an int >= 1, got 0"):
        emb.most_similar("jam", k=0)


def test_cosine_and_spearman():
    assert cosine(np.array([1.0, 0.0]), np.array([1.0, 1.0])) == pytest.approx(2**-0.5)
    assert cosine(np.zeros(2), np.ones(2)) == 0.0
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    y[:10] = y[0]  # ties
    assert spearman(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)


# ------------------------------------------------------------------------------------------ most_similar
def test_most_similar_agrees_with_gensim(model, emb):
    for word in ["fire", "police", "said", "australia"]:
        ours = emb.most_similar(word, k=10)
        ref = model.wv.most_similar(word, topn=10)
        assert [w for w, _ in ours] == [w for w, _ in ref]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in ref], atol=1e-6)
    # a query vector: not excluded, like gensim's similar_by_vector
    vec = model.wv["fire"]
    ours = emb.most_similar(vec, k=5)
    assert ours[0][0] == "fire" and ours[0][1] == pytest.approx(1.0, abs=1e-6)
    assert [w for w, _ in ours] == [w for w, _ in model.wv.similar_by_vector(vec, topn=5)]
    # exclude
    top = [w for w, _ in emb.most_similar("fire", k=3)]
    assert [w for w, _ in emb.most_similar("fire", k=2, exclude=top[:1])] == top[1:3]


def test_analogy_agrees_with_gensim(model, emb):
    for a, b, c in [("man", "king", "woman"), ("sydney", "australia", "london"), ("good", "better", "bad")]:
        if not all(w in emb for w in (a, b, c)):
            continue
        ours = emb.analogy(a, b, c, k=3)
        ref = model.wv.most_similar(positive=[b, c], negative=[a], topn=3)
        assert [w for w, _ in ours] == [w for w, _ in ref]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in ref], atol=1e-6)


# ------------------------------------------------------------------------------------------ word similarity
@pytest.mark.parametrize("name", ["wordsim353", "simlex999"])
def test_word_similarity_agrees_with_gensim(model, emb, name):
    fname = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}[name]
    _, (ref_spearman, _), ref_oov_percent = model.wv.evaluate_word_pairs(datapath(fname))
    result = word_similarity(emb, load_similarity(name))
    assert isinstance(result, SimilarityResult)
    assert result.spearman == pytest.approx(ref_spearman, abs=1e-6)
    assert result.oov_ratio * 100 == pytest.approx(ref_oov_percent, abs=1e-9)
    assert result.n_pairs == len(load_similarity(name)) and 0 < result.n_used < result.n_pairs
    assert result.table["cosine"].notna().sum() == result.n_used
    assert str(result).startswith("Spearman ")


def test_word_similarity_with_transform_agrees_with_gensim(model, emb, tmp_path):
    pairs = load_similarity("wordsim353")
    stemmed = tmp_path / "stemmed.tsv"  # the same pairs, stemmed, in gensim's file format
    lines = [f"{porter_stem(a)}\t{porter_stem(b)}\t{s}\n" for a, b, s in pairs.itertuples(index=False)]
    stemmed.write_text("".join(lines))
    _, (ref_spearman, _), ref_oov_percent = model.wv.evaluate_word_pairs(str(stemmed))
    result = word_similarity(emb, pairs, transform=porter_stem)
    assert result.spearman == pytest.approx(ref_spearman, abs=1e-6)
    assert result.oov_ratio * 100 == pytest.approx(ref_oov_percent, abs=1e-9)
    assert result.n_used != word_similarity(emb, pairs).n_used  # stemming changes which pairs are found


def test_word_similarity_bad_input(emb):
    pairs = load_similarity("wordsim353")
    with pytest.raises(KeyError, match=r"pairs: expected columns \['word1', 'word2', 'score'\].*missing \['score'\]"):
        word_similarity(emb, pairs.drop(columns="score"))
    with pytest.raises(ValueError, match="pairs: expected a pandas DataFrame"):
        word_similarity(emb, [("a", "b", 1.0)])
    with pytest.raises(ValueError, match="pairs: expected at least one row"):
        word_similarity(emb, pairs.iloc[:0])
    with pytest.raises(ValueError, match="pairs: none of the 353 pairs has both words in the vocabulary"):
        word_similarity(Embeddings(np.eye(2), ["zz", "yy"]), pairs)
    with pytest.raises(ValueError, match="emb: expected an nlpcourse.evaluation.Embeddings"):
        word_similarity(np.eye(2), pairs)


# ------------------------------------------------------------------------------------------ analogies
@pytest.mark.parametrize("restrict_vocab", [None, 1000, 500])
def test_analogy_accuracy_agrees_with_gensim(emb, analogies, gensim_analogies, restrict_vocab):
    ref_score, ref_sections = gensim_analogies[restrict_vocab]
    total = ref_sections[-1]
    result = analogy_accuracy(emb, analogies, restrict_vocab=restrict_vocab)
    assert isinstance(result, AnalogyResult)
    assert result.n_total == len(analogies) == 19544
    assert result.n_correct == len(total["correct"])
    assert result.n_evaluated == len(total["correct"]) + len(total["incorrect"])
    assert result.accuracy == pytest.approx(ref_score, abs=1e-12)
    # the same questions right, section by section
    ours_right = {tuple(w.upper() for w in row) for row in
                  result.predictions.loc[result.predictions["correct"], ["a", "b", "c", "d"]].itertuples(index=False)}
    assert ours_right == set(total["correct"])
    ref_by_section = {s["section"]: (len(s["correct"]), len(s["incorrect"])) for s in ref_sections[:-1]}
    for row in result.by_section.itertuples(index=False):
        assert (row.n_correct, row.n_evaluated - row.n_correct) == ref_by_section[row.section]


def test_analogy_accuracy_predictions_match_gensim_most_similar(model, emb, analogies):
    result = analogy_accuracy(emb, analogies, restrict_vocab=1000)
    assert result.n_correct > 0 and result.n_evaluated > 20  # a meaningful comparison
    for q in result.predictions.itertuples(index=False):
        ref = model.wv.most_similar(positive=[q.b, q.c], negative=[q.a], topn=1, restrict_vocab=1000)
        assert q.predicted == ref[0][0]


def test_analogy_accuracy_edge_cases_and_bad_input(emb, analogies):
    none = analogy_accuracy(Embeddings(np.eye(3), ["x", "y", "z"]), analogies)
    assert (none.accuracy, none.n_correct, none.n_evaluated, none.n_total) == (0.0, 0, 0, 19544)
    # a hand-made space where the analogy holds exactly
    words = ["man", "king", "woman", "queen", "apple"]
    W = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [1, 1, 1]], dtype=np.float64)
    qs = pd.DataFrame({"a": ["man"], "b": ["king"], "c": ["woman"], "d": ["queen"]})  # no section column
    exact = analogy_accuracy(Embeddings(W, words), qs)
    assert (exact.accuracy, exact.n_correct, exact.n_evaluated) == (1.0, 1, 1)
    assert exact.predictions["predicted"].tolist() == ["queen"]
    assert Embeddings(W, words).analogy("man", "king", "woman")[0][0] == "queen"
    with pytest.raises(KeyError, match=r"analogies: expected columns \['a', 'b', 'c', 'd'\]"):
        analogy_accuracy(emb, qs.drop(columns="d"))
    with pytest.raises(ValueError, match="restrict_vocab: expected None or an int >= 1, got 0"):
        analogy_accuracy(emb, qs, restrict_vocab=0)


def test_from_gensim_keeps_order_and_counts(model, emb):
    assert emb.words == model.wv.index_to_key
    np.testing.assert_array_equal(emb.vectors, model.wv.vectors)
    assert emb.vocab.counts[0] == model.wv.get_vecattr(emb.words[0], "count")
    kv = KeyedVectors(vector_size=2)
    kv.add_vectors(["a", "b"], np.eye(2, dtype=np.float32))
    assert Embeddings.from_gensim(kv).words == ["a", "b"]


# ------------------------------------------------------------------------------------------ pca_2d
def test_pca_2d():
    rng = np.random.default_rng(0)
    # points spread mostly along two known directions of a 5-d space
    basis = np.linalg.qr(rng.normal(size=(5, 5)))[0][:, :2].T  # (2, 5) orthonormal
    coords = rng.normal(size=(100, 2)) * np.array([5.0, 2.0])
    x = coords @ basis + 0.01 * rng.normal(size=(100, 5)) + 3.0
    y = pca_2d(x)
    assert y.shape == (100, 2) and y.dtype == np.float64
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-10)
    assert y[:, 0].var() > y[:, 1].var()
    np.testing.assert_allclose(np.abs(np.corrcoef(y[:, 0], coords[:, 0])[0, 1]), 1.0, atol=1e-4)
    # the variances are the top eigenvalues of the covariance
    eig = np.sort(np.linalg.eigvalsh(np.cov(x.T)))[::-1][:2]
    np.testing.assert_allclose(y.var(axis=0, ddof=1), eig, rtol=1e-10)
    # deterministic signs: each direction's largest-magnitude coordinate is positive
    directions = np.linalg.lstsq(x - x.mean(axis=0), y, rcond=None)[0].T  # (2, 5)
    assert (directions[np.arange(2), np.abs(directions).argmax(axis=1)] > 0).all()
    np.testing.assert_allclose(pca_2d(-x), -y, atol=1e-10)  # negating the points negates the picture


def test_binomial_interval_is_wilsons_and_stays_in_0_1():
    from scipy.stats import binomtest

    for correct, n in [(118, 200), (0, 20), (20, 20), (7, 13)]:
        lo, hi = binomial_interval(correct, n)
        ci = binomtest(correct, n).proportion_ci(0.95, method="wilson")
        assert np.isclose(lo, ci.low, atol=1e-12) and np.isclose(hi, ci.high, atol=1e-12)
        assert 0.0 <= lo <= correct / n <= hi <= 1.0
    rng = np.random.default_rng(0)  # scipy's formula without its import: the same numbers to the last bit
    for n, confidence in zip(rng.integers(1, 5000, 300), rng.uniform(0.01, 0.999, 300), strict=True):
        for correct in (0, 1, int(rng.integers(0, n + 1)), int(n) - 1, int(n)):
            ci = binomtest(correct, int(n)).proportion_ci(float(confidence), method="wilson")
            assert binomial_interval(correct, int(n), float(confidence)) == (ci.low, ci.high)
    with pytest.raises(ValueError, match="correct"):
        binomial_interval(21, 20)
    with pytest.raises(TypeError, match="n"):
        binomial_interval(3, 20.0)
    with pytest.raises(ValueError, match="confidence"):
        binomial_interval(3, 20, confidence=1.0)


@pytest.mark.filterwarnings("ignore:Precision loss occurred")  # scipy, on samples without spread
def test_welch_pvalue_equals_scipy():
    from scipy.stats import ttest_ind

    rng = np.random.default_rng(0)
    for trial in range(200):
        n_a, n_b = rng.integers(2, 12, size=2)
        a = rng.normal(rng.normal(), rng.uniform(0.1, 3), n_a).round(int(trial % 3))  # ties and counts too
        b = rng.normal(rng.normal(), rng.uniform(0.1, 3), n_b).round(int(trial % 3))
        ref = ttest_ind(a, b, equal_var=False).pvalue
        assert welch_pvalue(a, b) == pytest.approx(ref, rel=1e-12, abs=1e-300, nan_ok=True)
    counts = np.array([107, 119, 114, 118, 109]), np.array([98, 95, 96, 100, 100])  # 05's fine-tuned vs frozen
    assert welch_pvalue(*counts) == pytest.approx(ttest_ind(*counts, equal_var=False).pvalue, rel=1e-12)
    assert np.isnan(welch_pvalue([1, 1, 1], [1, 1]))  # no spread at all: undefined, like scipy's NaN
    with pytest.raises(ValueError, match="b: expected at least 2"):
        welch_pvalue([1.0, 2.0], [3.0])
