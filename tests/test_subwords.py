"""Notebook 03 (fastText subwords): n-grams, hash and ids vs gensim and fastText; the trainer; checks; widget."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from gensim.models.fasttext import ft_ngram_hashes
from gensim.models.fasttext_inner import compute_ngrams_bytes, ft_hash_bytes
from matplotlib.figure import Figure

from nlpcourse import subwords as sw
from nlpcourse.data import Vocab, load_corpus
from nlpcourse.subwords import checks, figures, train, widgets

NON_ASCII = ["café", "Häuser", "naïve", "日本語", "東京都庁", "👍🏽ok", "é", "straße", "Ελλάδα", "москва", "ǅ"]


@pytest.fixture(scope="module")
def words() -> list[str]:
    """A few hundred words: the 300 most frequent of lee, a rare tail, and non-ASCII words."""
    vocab = Vocab.build(load_corpus())
    return vocab.itos[:300] + vocab.itos[-100:] + NON_ASCII + ["a", "ab", "where", "x" * 40]


@pytest.fixture(scope="module")
def fasttext_model():
    sentences = load_corpus() + [NON_ASCII] * 5  # tiny corpora make fastText diverge to NaN
    return train.train_fasttext(sentences, train.SubwordConfig(dim=8, epochs=1, min_count=1, bucket=5000))


def test_where_example_from_the_lecture():
    assert sw.char_ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>"]
    assert "<where>" not in sw.char_ngrams("where")  # 7 characters > maxn = 6
    assert "<cat>" in sw.char_ngrams("cat")  # 5 characters: an n-gram too
    assert sw.char_ngrams("where")[:4] == ["<wh", "<whe", "<wher", "<where"]  # start outer, length inner


@pytest.mark.parametrize("minn, maxn, bucket", [(3, 6, 2_000_000), (1, 3, 1000), (2, 5, 97), (1, 1, 10), (4, 4, 1)])
def test_ids_equal_gensim(words, minn, maxn, bucket):
    ids, offsets = sw.ngram_ids_batch(words, minn, maxn, bucket)
    for i, w in enumerate(words):
        expected = ft_ngram_hashes(w, minn, maxn, bucket)
        assert sw.ngram_ids(w, minn, maxn, bucket).tolist() == expected, w
        assert ids[offsets[i] : offsets[i + 1]].tolist() == expected, w
        assert [g.encode() for g in sw.char_ngrams(w, minn, maxn)] == compute_ngrams_bytes(w, minn, maxn)


def test_hash_equals_gensim_and_signed_bytes_matter(words):
    grams = sw.distinct_ngrams(words)
    assert all(sw.fnv1a_32(g.encode()) == ft_hash_bytes(g.encode()) for g in grams)
    ascii_grams = [g for g in grams if g.isascii()]
    assert all(sw.fnv1a_32(g.encode(), signed_bytes=False) == sw.fnv1a_32(g.encode()) for g in ascii_grams)
    assert sw.fnv1a_32("é".encode(), signed_bytes=False) != sw.fnv1a_32("é".encode())
    assert sw.fnv1a_32(b"") == sw.FNV_OFFSET


def test_ids_equal_fasttext_get_subwords(fasttext_model, words):
    nwords, bucket = len(fasttext_model.words), fasttext_model.f.getArgs().bucket
    vocab = Vocab(fasttext_model.words, np.ones(nwords, dtype=int))
    for w in words:
        subs, ids = fasttext_model.get_subwords(w)
        rows = sw.subword_rows(w, vocab, 3, 6, bucket)
        assert ids.tolist() == rows.tolist(), w
        assert subs[len(subs) - len(sw.char_ngrams(w)):] == sw.char_ngrams(w)
        if w in vocab:  # the word's own row first, then the n-grams (offset by nwords)
            assert subs[0] == w and ids[0] == fasttext_model.get_word_id(w) < nwords
        assert (ids[-len(sw.char_ngrams(w)):] - nwords).tolist() == sw.ngram_ids(w, 3, 6, bucket).tolist()


def test_fasttext_runs_reproduce():
    """In-process training by the bindings is not reproducible; train_fasttext's fresh process is."""
    config = train.SubwordConfig(dim=8, epochs=1, bucket=2000)
    junk = [np.full(100_000, 3e12) for _ in range(20)]  # leave freed, non-zero memory behind
    del junk
    a = train.train_fasttext(load_corpus(), config).get_input_matrix()
    b = train.train_fasttext(load_corpus(), config).get_input_matrix()
    assert np.array_equal(a, b) and np.isfinite(a).all()


def test_fasttext_and_gensim_side_by_side_are_the_two_calls():
    sentences, config = load_corpus(), train.SubwordConfig(dim=8, epochs=1, bucket=2000)
    ft, g = train.train_fasttext_and_gensim(sentences, config)
    np.testing.assert_array_equal(ft.get_input_matrix(), train.train_fasttext(sentences, config).get_input_matrix())
    np.testing.assert_array_equal(g.wv.vectors_ngrams, train.train_gensim_fasttext(sentences, config).wv.vectors_ngrams)


def test_a_failed_side_by_side_run_leaves_no_folder_behind(monkeypatch, tmp_path):
    def broken(*args):
        raise ValueError("gensim failed")

    started, popen = [], subprocess.Popen

    def recorded(*args, **kwargs):
        started.append(popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", recorded)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # fastText's folders go here, and nothing else does
    monkeypatch.setattr(train, "train_gensim_fasttext", broken)
    with pytest.raises(ValueError, match="gensim failed"):
        train.train_fasttext_and_gensim(load_corpus(), train.SubwordConfig(dim=8, epochs=1, bucket=2000))
    assert len(started) == 1 and started[0].poll() is not None  # fastText's process was ended, not left training
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError):  # a token that is no string: fastText never starts, the folder goes
        train.train_fasttext([["fire", 3]], train.SubwordConfig(dim=8, epochs=1, bucket=2000))
    assert list(tmp_path.iterdir()) == []


def test_vectors_agree_with_fasttext_and_gensim(fasttext_model):
    ours = train.fasttext_subword_vectors(fasttext_model)
    for w in ["the", "said", "zzqxfire", "café", "日本語"]:
        theirs = fasttext_model.get_word_vector(w)  # float32 sums: compare relative to the vector's scale
        np.testing.assert_allclose(ours.vector(w), theirs, rtol=0, atol=1e-5 * max(1.0, np.abs(theirs).max()))
    np.testing.assert_allclose(ours.vectors(["the", "zzqxfire"]), np.stack([ours.vector("the"),
                                                                           ours.vector("zzqxfire")]), atol=1e-6)
    g = train.train_gensim_fasttext(load_corpus()[:60], train.SubwordConfig(dim=8, epochs=1, bucket=5000))
    gv = train.gensim_subword_vectors(g)
    for w in ["the", "said", "zzqxfire", "café"]:
        np.testing.assert_allclose(gv.vector(w), g.wv[w], atol=1e-6)
    v = ours.vector("the", mode="sum") / len(ours.rows("the"))
    np.testing.assert_allclose(v, ours.vector("the"), atol=1e-12)


def test_collisions():
    grams = sw.distinct_ngrams(Vocab.build(load_corpus()[:50]).itos)
    assert sw.collision_rate(grams, 1) == 1.0
    assert sw.collision_rate(grams, 2**31) < 0.01
    table = sw.collision_table(grams, [100, 10_000, 1_000_000], nwords=10, dim=4)
    assert table["collision_rate"].is_monotonic_decreasing
    assert np.all(np.abs(table["collision_rate"] - table["expected"]) < 0.05)
    assert table["parameters"].tolist() == [440, 40_040, 4_000_040]
    assert isinstance(figures.draw_collisions(table, len(grams)), Figure)


def test_gradients_against_autograd_and_the_batched_step():
    vocab = Vocab(["cat", "cats", "dog", "where", "a"], [5, 4, 3, 2, 1])
    bucket = 7
    rows, offsets = train.subword_bags(vocab, 2, 4, bucket)
    for i, w in enumerate(vocab.itos):
        assert rows[offsets[i] : offsets[i + 1]].tolist() == sw.subword_rows(w, vocab, 2, 4, bucket).tolist()
    rng = np.random.default_rng(0)
    W, C = rng.normal(size=(len(vocab) + bucket, 3)), rng.normal(size=(len(vocab), 3))
    for word, target, negs in [("cats", 1, [2, 3]), ("a", 0, [4]), ("where", 2, [0, 1, 1])]:
        assert sw.check_subword_gradients(W, C, sw.subword_rows(word, vocab, 2, 4, bucket), target,
                                          np.array(negs)).ok
    # 3 windows (pairs with one center): word 0 twice, word 3 once, word 1 twice; a pool of P = 3 shared by all,
    # each pool word weighted K/P = 2/3, skipped where it is the pair's context
    centers, contexts, pool, K = np.array([0, 0, 3, 1, 1]), np.array([1, 2, 2, 4, 0]), np.array([2, 3, 0]), 2
    lr, dW, dC, total = 0.1, np.zeros_like(W), np.zeros_like(C), 0.0
    for c, o in zip(centers, contexts, strict=True):
        r, negs = sw.subword_rows(vocab.itos[c], vocab, 2, 4, bucket), pool[pool != o]
        # the loss is linear in its negatives' terms: with them once (1) and twice (2), pos + w·neg from the two
        (l1, gW1, gC1), (l2, gW2, gC2) = (sw.subword_loss_and_grad(W, C, r, o, n) for n in (negs, np.tile(negs, 2)))
        w = K / len(pool)
        loss, gW, gC = ((2 - w) * a + (w - 1) * b for a, b in [(l1, l2), (gW1, gW2), (gC1, gC2)])
        total, dW, dC = total + loss, dW + gW * len(r), dC + gC  # fastText: each row gets the whole dL/dh
    bags = train.window_bags(torch.from_numpy(centers), torch.from_numpy(rows), torch.from_numpy(offsets))
    bag_rows, row_start, owner, window, pair_start = bags
    assert window.tolist() == [0, 0, 1, 2, 2] and pair_start.tolist() == [0, 2, 3, 5]
    for u, word in enumerate([0, 3, 1]):
        assert bag_rows[row_start[u] : row_start[u + 1]].tolist() == rows[offsets[word] : offsets[word + 1]].tolist()
        assert owner[row_start[u] : row_start[u + 1]].eq(u).all()
    Wt, Ct = torch.tensor(W), torch.tensor(C)
    got = train.subword_sgns_step(Wt, Ct, bag_rows, row_start[:-1], owner, window, torch.from_numpy(contexts),
                                  torch.from_numpy(pool), lr, K, loss=True)
    assert got == pytest.approx(total, abs=1e-10)
    np.testing.assert_allclose(Wt.numpy(), W - lr * dW, atol=1e-12)
    np.testing.assert_allclose(Ct.numpy(), C - lr * dC, atol=1e-12)


def test_batches_hold_whole_windows_and_every_pair_once(monkeypatch):
    """The trainer cuts an epoch into batches of whole windows, about batch_size pairs each, every pair once."""
    seen: list[tuple[int, int, int]] = []
    step = train.subword_sgns_step

    def spy(W, C, rows, offsets, owner, window, contexts, pool, *args, **kwargs):
        seen.append((len(offsets), len(contexts), len(rows)))
        assert window[0] == 0 and window[-1] == len(offsets) - 1 and owner[-1] == len(offsets) - 1
        return step(W, C, rows, offsets, owner, window, contexts, pool, *args, **kwargs)

    monkeypatch.setattr(train, "subword_sgns_step", spy)
    config = train.SubwordConfig(dim=4, epochs=1, bucket=100, min_count=1, batch_size=64, sample=0.0)
    train.train_subword_sgns(load_corpus()[:5], config, progress=False)
    n_pairs = sum(b for _, b, _ in seen)  # a window holds <= 2·window pairs (more if one center follows itself)
    assert len(seen) == -(-n_pairs // 64) and all(32 < b < 128 for _, b, _ in seen[:-1])


def test_unseen_word_is_close_to_its_relatives_after_training():
    """A planted corpus: 'walk*' and 'swim*' forms in two separate topics; 'walkers' is never seen."""
    rng = np.random.default_rng(0)
    walk = ["walk", "walks", "walked", "walking", "walker"]
    swim = ["swim", "swims", "swimming", "swimmer", "swum"]
    topic_a, topic_b = ["park", "road", "shoes", "dog", "path"], ["pool", "water", "lake", "sea", "wave"]
    sentences = [list(rng.choice(walk, 2)) + list(rng.choice(topic_a, 4)) for _ in range(400)]
    sentences += [list(rng.choice(swim, 2)) + list(rng.choice(topic_b, 4)) for _ in range(400)]
    config = train.SubwordConfig(dim=16, epochs=5, min_count=1, sample=0.0, bucket=2000, window=3)
    model = train.train_subword_sgns(sentences, config, progress=False)
    assert "walkers" not in model.vocab
    v = model.vector("walkers")
    assert np.linalg.norm(v) > 0
    emb = model.embeddings()
    sims = emb.unit_vectors @ (v / np.linalg.norm(v))
    walk_sim = np.mean([sims[model.vocab.index(w)] for w in walk])
    swim_sim = np.mean([sims[model.vocab.index(w)] for w in swim])
    assert walk_sim > swim_sim + 0.2
    assert model.most_similar("walkers", k=1)[0][0] in walk
    history: list[float] = []
    train.train_subword_sgns(sentences, replace(config, epochs=2), progress=False, history=history)
    assert np.mean(history[-5:]) < np.mean(history[:5])


def test_compare_trainers_has_no_oov_with_subwords():
    runs, models = train.compare_trainers(load_corpus()[:40], train.SubwordConfig(dim=8, epochs=1, bucket=2000),
                                          seeds=(0,), trainers=("ours", "gensim FastText", "word2vec"),
                                          progress=False)
    assert runs.loc[runs.trainer != "word2vec", ["oov_wordsim353", "oov_simlex999"]].eq(0).all().all()
    assert runs.loc[runs.trainer == "word2vec", "oov_wordsim353"].iloc[0] > 0.5
    assert set(models) == {("ours", 0), ("gensim FastText", 0)}
    reused = train.compare_trainers(load_corpus()[:40], train.SubwordConfig(dim=8, epochs=1, bucket=2000),
                                    seeds=(0,), trainers=("ours",), progress=False, trained=models)[1]
    assert reused[("ours", 0)] is models[("ours", 0)]
    assert isinstance(figures.draw_trainers(runs), Figure)
    assert isinstance(figures.draw_neighbours({k[0]: m for k, m in models.items()}, ["fire", "zzfire"]), Figure)


@pytest.mark.parametrize("call, error, text", [
    (lambda: sw.char_ngrams("where", 4, 3), ValueError, "minn <= maxn"),
    (lambda: sw.char_ngrams("where", 0, 3), ValueError, "minn: expected an int >= 1, got 0"),
    (lambda: sw.ngram_ids("where", bucket=0), ValueError, "bucket: expected an int >= 1, got 0"),
    (lambda: sw.char_ngrams(""), ValueError, "word: expected a non-empty str"),
    (lambda: sw.char_ngrams(42), TypeError, "word: expected a str, got 42 (int)"),
    (lambda: sw.char_ngrams("wh\0ere"), ValueError, "NUL at position 2"),
    (lambda: sw.char_ngrams("wh\ud800ere"), ValueError, "lone surrogate U+D800 at position 2"),
    (lambda: sw.ngram_ids_batch("where"), TypeError, "words: expected a list of str"),
    (lambda: sw.ngram_ids_batch(["ok", ""]), ValueError, "words[1]: expected a non-empty str"),
    (lambda: sw.fnv1a_32("where"), TypeError, "data: expected bytes"),
    (lambda: train.SubwordConfig(minn=5, maxn=3), ValueError, "minn <= maxn"),
    (lambda: train.SubwordConfig(bucket=0), ValueError, "bucket: expected an int >= 1"),
    (lambda: train.train_subword_sgns([]), ValueError, "sentences"),
    (lambda: train.train_subword_sgns([["a", "b", "c", "d"]] * 200,
                                      train.SubwordConfig(min_count=1, lr=50.0, bucket=10, sample=0.0),
                                      progress=False), ValueError, "training diverged"),
    (lambda: sw.SubwordVectors(np.zeros((3, 2)), Vocab(["a"], [1]), bucket=5), ValueError, "matrix"),
])
def test_bad_input(call, error, text):
    with pytest.raises(error) as info:
        call()
    assert text in str(info.value)


def test_non_ascii_ngrams_count_characters():
    assert sw.char_ngrams("café", 3, 3) == ["<ca", "caf", "afé", "fé>"]
    assert sw.char_ngrams("日本語", 2, 2) == ["<日", "日本", "本語", "語>"]
    assert sw.char_ngrams("ab", 1, 1) == ["a", "b"]  # fastText leaves out "<" and ">" alone


# ------------------------------------------------------------------------------------------ exercise checks
def _right_ngrams(word, minn, maxn):
    w = "<" + word + ">"
    return [w[i : i + n] for i in range(len(w)) for n in range(minn, maxn + 1) if i + n <= len(w)]


def _right_step(matrix, rows, grad_h, lr):
    h = sum(matrix[r] for r in rows) / len(rows)
    updated = matrix.copy()
    for r in rows:  # a repeated row, twice
        updated[r] = updated[r] - lr * grad_h
    return h, updated


def test_checks_accept_right_answers(capsys):
    assert checks.check_char_ngrams(_right_ngrams)
    assert checks.check_char_ngrams(sw.char_ngrams)
    assert checks.check_fasttext_step(_right_step)
    assert checks.check_fasttext_step(checks.step_reference)
    assert capsys.readouterr().out.count("✅") == 4


@pytest.mark.parametrize("wrong, hint", checks.NGRAM_MISTAKES)
def test_each_ngram_hint_fires(capsys, wrong, hint):
    assert not checks.check_char_ngrams(wrong)
    assert hint in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", checks.STEP_MISTAKES)
def test_each_step_hint_fires(capsys, wrong, hint):
    assert not checks.check_fasttext_step(wrong)
    assert hint in capsys.readouterr().out


def test_step_cases_repeat_a_row_and_the_update_matches_the_trainer():
    """Some case lists a row twice (two n-grams in one bucket): the mistakes that drop repeats can be told apart;
    and the reference's update is the batched trainer's on one pair (fastText's undivided update)."""
    assert any(len(set(rows.tolist())) < len(rows) for _, rows, _, _ in checks.STEP_CASES)
    vocab = Vocab(["cats", "dog", "where"], [3, 2, 1])
    rows, offsets = train.subword_bags(vocab, 2, 3, 5)
    rng = np.random.default_rng(0)
    W, C = rng.normal(size=(len(vocab) + 5, 3)), rng.normal(size=(len(vocab), 3))
    r = sw.subword_rows("cats", vocab, 2, 3, 5)
    _, gW, _ = sw.subword_loss_and_grad(W, C, r, 1, np.array([2]))
    grad_h = gW[r[0]] * len(r)  # dL/dh (the exact gradient gives each row dL/dh / n)
    Wt = torch.tensor(W)
    bag_rows, row_start, owner, window, _ = train.window_bags(torch.tensor([0]), torch.from_numpy(rows),
                                                              torch.from_numpy(offsets))
    train.subword_sgns_step(Wt, torch.tensor(C), bag_rows, row_start[:-1], owner, window, torch.tensor([1]),
                            torch.tensor([2]), 0.1, negative=1)
    np.testing.assert_allclose(Wt.numpy(), checks.step_reference(W, r, grad_h, 0.1)[1], atol=1e-12)


def test_checks_missing_and_broken_answers(capsys):
    def stub(word, minn, maxn):
        ...

    assert not checks.check_char_ngrams(...)
    assert not checks.check_char_ngrams(stub)
    assert not checks.check_fasttext_step(lambda m, r, g, lr: "x")
    assert not checks.check_char_ngrams(lambda w, a, b: ["a", 3])
    assert not checks.check_fasttext_step(...)
    out = capsys.readouterr().out
    assert out.count("Not answered") == 3 and "❌" in out


# ------------------------------------------------------------------------------------------ figures, widget
def test_ngram_figure_and_widget():
    model = train.train_subword_sgns(load_corpus()[:30], train.SubwordConfig(dim=8, epochs=1, bucket=1000),
                                     progress=False)
    table = figures.ngram_groups("where", 3, 6, 1000)
    assert table["ngram"].tolist() == sw.char_ngrams("where") and table["n"].tolist() == [3, 4, 5, 6, 3, 4, 5, 6,
                                                                                          3, 4, 5, 3, 4, 3]
    assert table["bucket_id"].tolist() == sw.ngram_ids("where", 3, 6, 1000).tolist()
    assert isinstance(figures.draw_ngrams("where", 3, 6, 1000), Figure)
    fig = widgets.safe_draw_ngrams("unseenword", 2, 5, 1000, model)  # its speed: make test-browser's redraw table
    fig.canvas.draw()
    assert isinstance(widgets.safe_draw_ngrams("", 3, 6, 1000), Figure)  # the error as a figure, no exception
    assert isinstance(widgets.safe_draw_ngrams("ok", 6, 3, 1000), Figure)
    assert widgets.ngram_explorer(model) is not None


def test_sizes_are_ints_numpy_ints_included():
    """minn, maxn, bucket go through nlpcourse.validate: numpy ints are sizes, floats and bools are not."""
    assert sw.char_ngrams("where", np.int64(3), np.int32(3)) == ["<wh", "whe", "her", "ere", "re>"]
    assert sw.ngram_ids("where", bucket=np.int64(100)).tolist() == sw.ngram_ids("where", bucket=100).tolist()
    config = train.SubwordConfig(minn=np.int64(2), maxn=np.int64(4), bucket=np.int64(10))
    assert (type(config.minn), type(config.maxn), type(config.bucket)) == (int, int, int)
    assert isinstance(widgets.safe_draw_ngrams("where", np.int64(3), np.int64(6), np.int64(100)), Figure)
    for call, error, text in [
        (lambda: sw.char_ngrams("where", 3, 2.5), TypeError, "maxn: expected an int >= 1, got 2.5 (float)"),
        (lambda: sw.char_ngrams("where", 3, 0), ValueError, "maxn: expected an int >= 1, got 0"),
        (lambda: sw.ngram_ids("where", bucket=True), TypeError, "bucket: expected an int >= 1, got True (bool)"),
        (lambda: train.SubwordConfig(maxn=6.0), TypeError, "maxn: expected an int >= 1, got 6.0 (float)"),
        (lambda: widgets.safe_draw_ngrams("where", 3, 6, 2.5), TypeError, "bucket: expected an int >= 1"),
        (lambda: widgets.ngram_explorer(bucket=0), ValueError, "bucket: expected an int >= 1, got 0"),
        (lambda: figures.draw_collisions(pd.DataFrame(), n_ngrams=True), TypeError, "n_ngrams: expected an int"),
    ]:
        with pytest.raises(error) as info:
            call()
        assert text in str(info.value)
