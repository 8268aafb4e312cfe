"""Tests of nlpcourse.data: corpora, evaluation sets, tokenising, Vocab, verified data files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from gensim.parsing.porter import PorterStemmer
from gensim.test.utils import datapath
from gensim.utils import simple_preprocess

from nlpcourse import data
from nlpcourse.data import (
    Vocab,
    corpus_path,
    data_file,
    load_analogies,
    load_corpus,
    load_polarity,
    load_similarity,
    load_toy_sentences,
    porter_stem,
    tokenize,
)


# ------------------------------------------------------------------------------------------ files
def test_corpus_path_known_and_unknown():
    assert corpus_path("lee_background.cor").is_file()
    with pytest.raises(KeyError, match=r"name: unknown corpus 'lee_background.txt'.*lee_background.cor"):
        corpus_path("lee_background.txt")


@pytest.mark.parametrize("name", sorted(data.CORPORA))
def test_corpus_path_is_gensims_datapath(name):
    """corpus_path finds gensim's test data without importing gensim: the same file as gensim's own datapath."""
    assert corpus_path(name).samefile(datapath(name))


def test_data_file_verifies_hash(tmp_path, monkeypatch):
    path = data_file("toy_sentences.txt")
    assert path.read_text(encoding="utf-8").startswith("#")
    with pytest.raises(KeyError, match=r"name: 'nope.txt' is not registered.*toy_sentences.txt"):
        data_file("nope.txt")
    # a tampered copy: same SHA256SUMS, different content
    (tmp_path / "SHA256SUMS").write_text((data.DATA_DIR / "SHA256SUMS").read_text())
    (tmp_path / "toy_sentences.txt").write_text("changed\n")
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    expected = data._registered_hashes()["toy_sentences.txt"]
    got = data.sha256(tmp_path / "toy_sentences.txt")
    with pytest.raises(ValueError, match=rf"sha256 mismatch, expected {expected}.*got {got}"):
        data_file("toy_sentences.txt")


def test_toy_sentences():
    toy = load_toy_sentences()
    assert toy[0] == ["lemon", "a", "tablespoon", "of", "apricot", "jam", "a", "pinch"]
    assert all(isinstance(s, list) and s for s in toy)


# ------------------------------------------------------------------------------------------ text
def test_tokenize_equals_gensim_simple_preprocess_on_lee():
    with open(datapath("lee_background.cor"), encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    for line in lines:
        assert tokenize(line) == simple_preprocess(line)
    assert tokenize("Émile's 2 cats, a_b _x and ÉCOLE!") == simple_preprocess("Émile's 2 cats, a_b _x and ÉCOLE!")
    assert tokenize("I saw a cat", min_len=1) == ["i", "saw", "a", "cat"]


def test_tokenize_bad_input():
    with pytest.raises(ValueError, match="text: expected a str, got list"):
        tokenize(["a", "b"])
    with pytest.raises(ValueError, match="min_len, max_len"):
        tokenize("abc", min_len=0)


def test_load_corpus_shapes():
    lee = load_corpus()
    assert len(lee) == 300 and lee[0][:4] == ["hundreds", "of", "people", "have"]
    assert all(t == t.lower() for s in lee[:20] for t in s)
    head = load_corpus("head500.noblanks.cor")
    assert len(head) == 250 and head[0][:3] == ["anarch", "greek", "rule"]
    pang = load_corpus("pang_lee_polarity.cor")
    assert len(pang) == 200 and pang[0] == ["simplistic", "silly", "and", "tedious"]
    lee[0].append("changed")  # a copy: the next call is not affected
    assert load_corpus()[0][-1] != "changed" and isinstance(load_corpus()[0], list)


def test_load_corpus_bad_names():
    with pytest.raises(KeyError, match="unknown corpus 'lee'"):
        load_corpus("lee")
    with pytest.raises(ValueError, match="expected a text corpus.*got the evaluation set 'wordsim353.tsv'"):
        load_corpus("wordsim353.tsv")


# ------------------------------------------------------------------------------------------ vocab
def test_vocab_order_counts_and_lookups():
    v = Vocab.build([["b", "a", "c", "a"], ["c", "d", "a"]])
    assert v.itos == ["a", "c", "b", "d"]  # a:3, c:2, then ties b:1, d:1 alphabetical
    assert v.counts.dtype == np.int64 and v.counts.tolist() == [3, 2, 1, 1]
    assert v.stoi == {"a": 0, "c": 1, "b": 2, "d": 3}
    assert len(v) == 4 and "a" in v and "z" not in v and v.index("c") == 1 and v["c"] == 1
    np.testing.assert_array_equal(v.encode(["d", "zzz", "a"]), np.array([3, 0]))
    assert v.encode(["zzz"]).dtype == np.int64
    assert v.decode([3, 0]) == ["d", "a"] and v.decode(np.array([1])) == ["c"] and v.decode([]) == []
    np.testing.assert_allclose(v.frequencies(), [3 / 7, 2 / 7, 1 / 7, 1 / 7])
    assert v.frequencies().sum() == pytest.approx(1.0)
    assert list(v) == v.itos and "size=4" in repr(v)


def test_vocab_min_count_max_size_and_determinism():
    lee = load_corpus()
    v = Vocab.build(lee, min_count=5)
    assert v.counts.min() >= 5 and v.itos[:3] == ["the", "to", "of"]
    assert np.all(np.diff(v.counts) <= 0)
    assert Vocab.build(lee, min_count=5).itos == v.itos
    small = Vocab.build(lee, max_size=100)
    assert len(small) == 100 and small.itos == v.itos[:100]
    # counts agree with a plain count
    assert v.counts[v.index("fire")] == sum(s.count("fire") for s in lee)


def test_vocab_bad_input():
    v = Vocab.build([["apricot", "jam", "apple"]])
    with pytest.raises(KeyError, match=r"word: 'apricots' is not in the vocabulary.*'apricot'"):
        v.index("apricots")
    with pytest.raises(ValueError, match="empty corpus"):
        Vocab.build([])
    with pytest.raises(ValueError, match="empty corpus"):
        Vocab.build([[], []])
    with pytest.raises(ValueError, match="got a str at position 0"):
        Vocab.build(["a sentence as a string"])
    with pytest.raises(ValueError, match="min_count: expected an int >= 1, got 0"):
        Vocab.build([["a"]], min_count=0)
    with pytest.raises(ValueError, match="min_count: no word occurs 5 times"):
        Vocab.build([["a"]], min_count=5)
    with pytest.raises(ValueError, match="max_size"):
        Vocab.build([["a"]], max_size=0)
    for bad in (True, 2.0):  # a bool or a float is not a size
        with pytest.raises(TypeError, match="max_size: expected None or an int >= 1"):
            Vocab.build([["a"]], max_size=bad)
    with pytest.raises(TypeError, match="min_count"):
        Vocab.build([["a"]], min_count=1.5)
    assert len(Vocab.build([["a", "b", "a"]], min_count=np.int64(2), max_size=np.int32(5))) == 1
    with pytest.raises(ValueError, match="tokens: expected a list of str tokens, got a str"):
        v.encode("apricot jam")
    with pytest.raises(KeyError, match=r"ids: expected ids in \[0, 3\), got 7"):
        v.decode([0, 7])
    with pytest.raises(ValueError, match="ids: expected a 1-d sequence of ints"):
        v.decode([0.5])
    with pytest.raises(ValueError, match=r"counts: expected shape \(2,\)"):
        Vocab(["a", "b"], [1])
    with pytest.raises(ValueError, match="duplicates"):
        Vocab(["a", "a"], [1, 1])


# ------------------------------------------------------------------------------------------ evaluation sets
def test_load_similarity():
    ws = load_similarity("wordsim353")
    assert list(ws.columns) == ["word1", "word2", "score"] and len(ws) == 353
    assert ws.iloc[0].tolist() == ["love", "sex", 6.77] and ws["score"].dtype == np.float64
    sl = load_similarity("simlex999.txt")
    assert len(sl) == 999 and sl["score"].between(0, 10).all()
    with pytest.raises(KeyError, match="name: unknown similarity set 'men3000'"):
        load_similarity("men3000")


def test_load_analogies():
    an = load_analogies()
    assert list(an.columns) == ["section", "a", "b", "c", "d"] and len(an) == 19544
    assert an.iloc[0].tolist() == ["capital-common-countries", "athens", "greece", "baghdad", "iraq"]
    assert an["section"].nunique() == 14
    assert (an[["a", "b", "c", "d"]].map(str.lower) == an[["a", "b", "c", "d"]]).all().all()


def test_load_polarity():
    pol = load_polarity()
    assert isinstance(pol, pd.DataFrame) and list(pol.columns) == ["label", "text", "tokens"]
    assert len(pol) == 200 and pol["label"].value_counts().to_dict() == {0: 100, 1: 100}
    assert pol.iloc[0]["text"] == "simplistic , silly and tedious ."
    assert any("—" in t for t in pol["text"])  # Windows-1252 em-dash decoded
    pol.iloc[0]["tokens"].append("x")  # a copy: the cache is not affected
    assert load_polarity().iloc[0]["tokens"] == ["simplistic", "silly", "and", "tedious"]


def test_porter_stem_matches_gensim():
    stemmer = PorterStemmer()
    for w in ["dictionary", "running", "Philosophy", "encompasses", "relational", "a"]:
        assert porter_stem(w) == stemmer.stem(w)
    assert porter_stem("dictionary") == "dictionari"
    with pytest.raises(ValueError, match="word: expected a str, got int"):
        porter_stem(3)
