"""Tests of nlpcourse.word2vec: pairs, losses, gradients (vs autograd and finite differences), the noise
sampler, the batched trainer (equal to the numpy math on small inputs; learns a planted structure)."""


import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from nlpcourse import corpus, functional
from nlpcourse import word2vec as w2v
from nlpcourse.data import Vocab, load_corpus
from nlpcourse.evaluation import Embeddings
from nlpcourse.word2vec import checks, figures, train, widgets

LECTURE = "lemon , a tablespoon of apricot jam a pinch".split()


# ---------------------------------------------------------------- windows and pairs
def test_apricot_context_words_match_the_lecture():
    assert w2v.context_words(LECTURE, LECTURE.index("apricot"), 2) == ["tablespoon", "of", "jam", "a"]


def brute_force_pairs(ids, m):
    return [(ids[i], ids[j]) for i in range(len(ids)) for j in range(len(ids)) if 0 < abs(i - j) <= m]


@pytest.mark.parametrize("m", [1, 2, 5])
def test_skipgram_pairs_equal_brute_force(m):
    ids = np.array([3, 1, 4, 1, 5, 9, 2])
    pairs = w2v.skipgram_pairs(ids, m)
    assert pairs.shape[1] == 2 and pairs.dtype == np.int64
    assert sorted(map(tuple, pairs.tolist())) == sorted(brute_force_pairs(ids.tolist(), m))


def test_apricot_has_four_positive_pairs():
    vocab = Vocab.build([LECTURE])
    ids = vocab.encode(LECTURE)
    pairs = w2v.skipgram_pairs(ids, 2)
    apricot = pairs[pairs[:, 0] == vocab.index("apricot")]
    assert sorted(vocab.decode(apricot[:, 1])) == sorted(["tablespoon", "of", "jam", "a"])


def test_pairs_never_cross_sentences():
    pairs = w2v.skipgram_pairs_corpus([np.array([0, 1]), np.array([2, 3])], window=5)
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (1, 0), (2, 3), (3, 2)]


def test_cbow_examples_pad_the_ends():
    contexts, centers = w2v.cbow_examples(np.array([7, 8, 9]), 2)
    assert contexts.shape == (3, 4)
    np.testing.assert_array_equal(centers, [7, 8, 9])
    np.testing.assert_array_equal(contexts[0], [-1, -1, 8, 9])
    np.testing.assert_array_equal(contexts[1], [-1, 7, 9, -1])


@pytest.mark.parametrize("window, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError)])
def test_bad_window_is_named(window, error):
    with pytest.raises(error, match="window"):
        w2v.skipgram_pairs(np.array([1, 2, 3]), window)


def test_ids_must_be_integers():
    with pytest.raises(TypeError, match="ids"):
        w2v.skipgram_pairs(np.array([1.0, 2.0]), 2)


# ---------------------------------------------------------------- one-hot and the two matrices
def test_one_hot_selects_a_row():
    W, C = w2v.init_params(6, 3)
    assert W.shape == C.shape == (6, 3)
    np.testing.assert_array_equal(w2v.one_hot(4, 6) @ W, W[4])
    with pytest.raises(ValueError, match=r"i: expected a word index in \[0, 6\), got 6"):
        w2v.one_hot(6, 6)


# ---------------------------------------------------------------- naive softmax
@pytest.fixture
def params():
    rng = np.random.default_rng(1)
    return rng.standard_normal(5), rng.standard_normal((8, 5))


def test_naive_softmax_loss_is_minus_log_probability(params):
    c, Out = params
    loss, g_c, g_o = w2v.naive_softmax_loss_and_grad(c, Out, 3)
    p = np.exp(Out @ c) / np.exp(Out @ c).sum()
    assert loss == pytest.approx(-np.log(p[3]))
    assert g_c.shape == (5,) and g_o.shape == (8, 5)
    assert np.all(np.any(g_o != 0, axis=1))  # the full softmax touches every row


def test_naive_softmax_gradients_match_autograd_and_finite_differences(params):
    assert w2v.check_naive_softmax_gradients(*params, target=2).ok


def test_naive_softmax_is_stable_for_huge_scores():
    loss, g_c, _ = w2v.naive_softmax_loss_and_grad(np.array([1000.0, 0.0]), np.array([[1.0, 0], [0.9, 0]]), 1)
    assert np.isfinite(loss) and loss == pytest.approx(100.0)
    assert np.all(np.isfinite(g_c))


def test_softmax_and_logsumexp():
    z = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(functional.softmax(z), np.exp(z) / np.exp(z).sum())
    assert functional.logsumexp(z + 1000) == pytest.approx(np.log(np.exp(z).sum()) + 1000)
    assert functional.sigmoid(-1000.0) == 0.0 and functional.sigmoid(1000.0) == 1.0


def test_torch_losses_equal_numpy(params):
    c, Out = params
    tc, tO = torch.tensor(c), torch.tensor(Out)
    expected = w2v.naive_softmax_loss_and_grad(c, Out, 4)[0]
    assert w2v.naive_softmax_loss_torch(tc, tO, 4).item() == pytest.approx(expected)
    negs = np.array([0, 1, 1])
    assert w2v.neg_sampling_loss_torch(tc, tO, 4, negs).item() == pytest.approx(
        w2v.neg_sampling_loss_and_grad(c, Out, 4, negs)[0])


def test_mismatched_dimensions_and_bad_target_are_named(params):
    c, Out = params
    with pytest.raises(ValueError, match=r"center_vec: expected shape \(D,\) with D = 5, got \(3,\)"):
        w2v.naive_softmax_loss_and_grad(c[:3], Out, 0)
    with pytest.raises(ValueError, match=r"center_vec: expected shape \(D,\), got \(2, 5\)"):
        w2v.naive_softmax_loss_and_grad(Out[:2], Out, 0)
    with pytest.raises(ValueError, match=r"target: expected a word index in \[0, 8\), got 8"):
        w2v.naive_softmax_loss_and_grad(c, Out, 8)
    with pytest.raises(ValueError, match="outside_vectors"):
        w2v.naive_softmax_loss_and_grad(c, Out[0], 0)


# ---------------------------------------------------------------- CBOW
def test_cbow_uses_the_average_and_splits_the_gradient(params):
    c, Out = params
    ctx = np.stack([c, 2 * c, 3 * c, 4 * c])
    loss, g_ctx, g_o = w2v.cbow_naive_softmax_loss_and_grad(ctx, Out, 1)
    loss_avg, g_avg, g_o_avg = w2v.naive_softmax_loss_and_grad(2.5 * c, Out, 1)
    assert loss == pytest.approx(loss_avg)
    np.testing.assert_allclose(g_ctx, np.tile(g_avg / 4, (4, 1)))
    np.testing.assert_allclose(g_o, g_o_avg)


def test_cbow_gradients_match_autograd(params):
    c, Out = params
    ctx = np.random.default_rng(2).standard_normal((4, 5))
    assert w2v.check_cbow_gradients(ctx, Out, 1).ok
    assert w2v.check_cbow_gradients(ctx, Out, 1, np.array([0, 2, 3])).ok
    with pytest.raises(ValueError, match="context_vectors"):
        w2v.cbow_naive_softmax_loss_and_grad(ctx[:, :3], Out, 1)


# ---------------------------------------------------------------- negative sampling
def test_neg_sampling_loss_formula_and_sparse_gradient(params):
    c, Out = params
    negs = np.array([0, 5, 5])
    loss, g_c, g_o = w2v.neg_sampling_loss_and_grad(c, Out, 2, negs)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    expected = -np.log(sig(Out[2] @ c)) - sum(np.log(sig(-Out[k] @ c)) for k in negs)
    assert loss == pytest.approx(expected)
    np.testing.assert_array_equal(w2v.changed_rows(g_o), [0, 2, 5])
    np.testing.assert_allclose(g_o[5], 2 * sig(Out[5] @ c) * c)  # a repeated negative counts twice


def test_neg_sampling_gradients_match_autograd(params):
    assert w2v.check_neg_sampling_gradients(*params, target=3, negatives=np.array([0, 1, 7, 7])).ok


def test_neg_sampling_bad_negatives(params):
    c, Out = params
    with pytest.raises(ValueError, match="negatives: must not contain the positive target 3"):
        w2v.neg_sampling_loss_and_grad(c, Out, 3, np.array([1, 3]))
    with pytest.raises(ValueError, match="negatives: expected at least one of the word indices"):
        w2v.neg_sampling_loss_and_grad(c, Out, 3, np.array([], dtype=int))
    with pytest.raises(ValueError, match=r"negatives: expected word indices in \[0, 8\), got 9"):
        w2v.neg_sampling_loss_and_grad(c, Out, 3, np.array([9]))


# ---------------------------------------------------------------- the noise distribution and the sampler


# ---------------------------------------------------------------- batched torch version = the numpy math
def small_batch():
    rng = np.random.default_rng(3)
    W, C = rng.standard_normal((10, 4)) * 0.5, rng.standard_normal((10, 4)) * 0.5
    centers, contexts = np.array([0, 1, 2]), np.array([3, 4, 5])
    negs = np.array([[6, 7], [8, 9], [6, 8]])
    return W, C, centers, contexts, negs


def test_batch_loss_equals_numpy_sum():
    W, C, centers, contexts, negs = small_batch()
    rows = zip(centers, contexts, negs, strict=True)
    expected = sum(w2v.neg_sampling_loss_and_grad(W[i], C, o, n)[0] for i, o, n in rows)
    got = train.sgns_batch_loss(*(torch.tensor(x) for x in (W, C, centers, contexts, negs)))
    assert got.item() == pytest.approx(expected)


def pooled_step_by_autograd(W, C, centers, contexts, pool, lr, negative):
    """SGD on −Σ log σ(pos) − (K/P) Σ_{pool words ≠ the pair's context} log σ(−neg), gradients by autograd."""
    tW, tC = torch.tensor(W, requires_grad=True), torch.tensor(C, requires_grad=True)
    c, p = torch.tensor(centers), torch.tensor(contexts)
    w = tW[c]
    weight = (torch.tensor(pool)[None, :] != p[:, None]) * (negative / len(pool))
    loss = (-torch.nn.functional.logsigmoid((w * tC[p]).sum(1)).sum()
            - (weight * torch.nn.functional.logsigmoid(-(w @ tC[torch.tensor(pool)].T))).sum())
    loss.backward()
    return loss.item(), W - lr * tW.grad.numpy(), C - lr * tC.grad.numpy()


def run_step(W, C, centers, contexts, pool, lr, negative, loss=True):
    theta, V = torch.tensor(np.concatenate([W, C])), len(W)
    got = train.sgns_step(theta, torch.tensor(centers), torch.tensor(contexts) + V, torch.tensor(pool) + V, lr,
                          negative, loss)
    return got, theta[:V].numpy(), theta[V:].numpy()


def test_pooled_step_is_an_sgd_step_with_autograd_gradients():
    W, C, centers, contexts, _ = small_batch()
    pool = np.array([6, 7, 3, 9, 6])  # a repeated pool word counts twice; 3 is pair 0's context: skipped there
    want = pooled_step_by_autograd(W, C, centers, contexts, pool, 0.1, negative=2)
    got = run_step(W, C, centers, contexts, pool, 0.1, negative=2)
    assert got[0] == pytest.approx(want[0])
    np.testing.assert_allclose(got[1], want[1], atol=1e-12)
    np.testing.assert_allclose(got[2], want[2], atol=1e-12)
    assert np.isnan(run_step(W, C, centers, contexts, pool, 0.1, 2, loss=False)[0])


def test_pooled_step_with_the_pairs_own_negatives_is_the_numpy_sgd_step():
    """P = K and one shared set of negatives: each pair's update is that of ``neg_sampling_loss_and_grad``."""
    W, C, centers, contexts, _ = small_batch()
    negs = np.array([6, 8])
    loss, W2, C2 = run_step(W, C, centers, contexts, negs, 0.1, negative=2)
    gW, gC, total = np.zeros_like(W), np.zeros_like(C), 0.0
    for i, o in zip(centers, contexts, strict=True):
        pair, g_center, g_outside = w2v.neg_sampling_loss_and_grad(W[i], C, o, negs)
        total, gW[i], gC = total + pair, gW[i] + g_center, gC + g_outside
    assert loss == pytest.approx(total)
    np.testing.assert_allclose(W2, W - 0.1 * gW, atol=1e-12)
    np.testing.assert_allclose(C2, C - 0.1 * gC, atol=1e-12)


def test_compare_with_gensim_runs_both_trainers():
    runs, embeddings = train.compare_with_gensim(load_corpus("lee_background.cor"), seeds=(0,), transform=None,
                                               progress=False, dim=10, epochs=1, min_count=5)
    assert list(runs["trainer"]) == ["ours", "gensim"] and set(embeddings) == {("ours", 0), ("gensim", 0)}
    assert runs["oov_ws353_test"].nunique() == 1  # same vocabulary for both
    assert np.all(np.abs(runs[["ws353_tune", "ws353_test", "simlex999"]].to_numpy()) <= 1)


# ---------------------------------------------------------------- the trainer
def planted_corpus(n_sentences=400, seed=0):
    """Two topics: words of a topic only co-occur with words of the same topic."""
    rng = np.random.default_rng(seed)
    topics = [["apple", "pear", "plum", "fig", "lime"], ["car", "bus", "train", "tram", "ship"]]
    return [list(rng.choice(topics[i % 2], size=8)) for i in range(n_sentences)]


def test_trainer_learns_the_planted_structure_and_loss_decreases():
    history = []
    emb = train.train_sgns(planted_corpus(), dim=10, window=2, negative=3, epochs=5, min_count=1, sample=0,
                         lr=0.05, batch_size=64, progress=False, history=history)
    assert isinstance(emb, Embeddings) and emb.vectors.shape == (10, 10)
    assert np.mean(history[-10:]) < 0.8 * np.mean(history[:10])
    fruit = {"apple", "pear", "plum", "fig", "lime"}
    for word in ["apple", "car"]:
        neighbours = {w for w, _ in emb.most_similar(word, k=4)}
        assert neighbours == (fruit - {word} if word in fruit else {"bus", "train", "tram", "ship"})


@pytest.mark.parametrize("pool_size", [5, 8])
def test_trainer_is_deterministic(pool_size):
    kw = dict(dim=8, window=2, epochs=2, min_count=1, batch_size=32, progress=False, seed=3, pool_size=pool_size)
    a = train.train_sgns(planted_corpus(100), **kw)
    b = train.train_sgns(planted_corpus(100), **kw)
    np.testing.assert_array_equal(a.vectors, b.vectors)


def test_trainer_stops_when_it_diverges():
    with pytest.raises(ValueError, match="lr: training diverged at lr = 1e[+]06 .NaN or inf vectors after epoch 1"):
        train.train_sgns(planted_corpus(), dim=10, window=2, epochs=3, min_count=1, lr=1e6, sample=0, batch_size=64,
                         progress=False)


def test_trainer_restores_torch_threads():
    before = torch.get_num_threads()
    train.train_sgns(planted_corpus(20), dim=4, min_count=1, epochs=1, progress=False, threads=1)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(sentences=[]), "sentences: expected a non-empty list"),
        (dict(sentences=[[], []]), "sentences: expected a non-empty list"),
        (dict(window=0), "window: expected an int >= 1, got 0"),
        (dict(negative=0), "negative: expected an int >= 1, got 0"),
        (dict(min_count=10_000), "min_count"),
        (dict(pool_size=0), "pool_size"),
    ],
)
def test_trainer_bad_input(kwargs, match):
    args = dict(sentences=planted_corpus(10), min_count=1, progress=False) | kwargs
    with pytest.raises(ValueError, match=match):
        train.train_sgns(**args)


# ---------------------------------------------------------------- cost, widgets, figures, probes
def test_time_naive_softmax_rows():
    df = w2v.time_naive_softmax([10, 100], dim=8, repeats=2)
    assert list(df["vocab_size"]) == [10, 100] and (df["ms_per_pair"] >= 0).all()
    ax = figures.draw_cost_curve(df).axes[0]
    assert len(ax.lines) == 2 and list(ax.lines[0].get_xdata()) == [10, 100]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert ax.get_xlabel() == "vocabulary size |V|"


def test_sgd_step_demo_pulls_the_positive_and_pushes_the_negatives():
    demo = w2v.SGDStepDemo(lr=0.3)
    before = demo.similarities()["sigmoid"]
    demo.step(5)
    after = demo.similarities()["sigmoid"]
    assert len(demo.losses) == 6 and all(np.diff(demo.losses) < 0)
    assert after["jam"] > before["jam"] and (after.iloc[1:] < before.iloc[1:]).all()
    fig = figures.draw_sgd_step(demo)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title().startswith("step 5:")
    assert [t.get_text() for t in fig.axes[0].texts if t.get_text()] == demo.words  # every vector labelled
    assert sum(a.get_visible() for a in fig.axes[0].patches) == 8  # 4 vectors + 4 dashed update arrows
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), demo.losses)
    demo.reset()
    assert len(demo.losses) == 1
    with pytest.raises(ValueError, match="lr"):
        w2v.SGDStepDemo(lr=0)


def test_noise_figure_and_pca_and_bias_probe():
    vocab = Vocab.build(planted_corpus(20), min_count=1)
    ax = figures.draw_noise_distribution(vocab.itos, vocab.counts, 0.5, top=5).axes[0]
    assert len(ax.patches) == 10  # 5 words × (unigram, unigram^α)
    assert [t.get_text() for t in ax.get_xticklabels()] == vocab.itos[:5]
    heights = np.array([p.get_height() for p in ax.patches])
    np.testing.assert_allclose(heights[5:], corpus.unigram_noise(vocab.counts, 0.5)[:5])
    emb = Embeddings(np.random.default_rng(0).standard_normal((len(vocab), 4)), vocab)
    fig = figures.draw_embedding_pca(emb, ["apple", "car", "bus"])
    assert isinstance(fig, Figure) and len(fig.axes[0].collections[0].get_offsets()) == 3
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["apple", "bus", "car"]
    with pytest.raises(KeyError, match="zebra"):
        figures.draw_embedding_pca(emb, ["apple", "zebra"])
    probe = train.gender_direction(emb, ["apple", "zebra"], pair=("car", "bus"))
    expected = emb.similarity("apple", "car") - emb.similarity("apple", "bus")
    assert probe.loc["apple", "difference"] == pytest.approx(expected)
    assert np.isnan(probe.loc["zebra", "difference"])


# ---------------------------------------------------------------- exercise checks and widgets
def _output(capsys, check, answer):
    ok = check(answer)
    return ok, capsys.readouterr().out


@pytest.mark.parametrize("check, reference, mistakes", [
    (checks.check_naive_softmax, w2v.naive_softmax_loss_and_grad, checks.NAIVE_SOFTMAX_MISTAKES),
    (checks.check_neg_sampling, w2v.neg_sampling_loss_and_grad, checks.NEG_SAMPLING_MISTAKES),
    (checks.check_skipgram, w2v.skipgram_window, checks.SKIPGRAM_MISTAKES),
    (checks.check_sgd, w2v.sgd, checks.SGD_MISTAKES),
])
def test_function_exercises_accept_the_reference_and_every_hint_fires(capsys, check, reference, mistakes):
    ok, out = _output(capsys, check, reference)
    assert ok and "Correct" in out
    for wrong, hint in mistakes:  # each typical mistake gets its own hint, none is shadowed by an earlier one
        ok, out = _output(capsys, check, wrong)
        assert not ok and hint in out, (wrong.__name__, out)
    hints = [h for _, h in mistakes]
    assert len(set(hints)) == len(hints)


def test_function_exercise_references_agree_with_torch_autograd_on_the_unseen_cases():
    for c, U, o in checks.naive_softmax_cases():
        _, g_c, g_u = w2v.naive_softmax_loss_and_grad(c, U, o)
        tc, tu = torch.tensor(c, requires_grad=True), torch.tensor(U, requires_grad=True)
        w2v.naive_softmax_loss_torch(tc, tu, o).backward()
        np.testing.assert_allclose(g_c, tc.grad.numpy(), atol=1e-9)
        np.testing.assert_allclose(g_u, tu.grad.numpy(), atol=1e-9)
    for c, U, o, neg in checks.neg_sampling_cases():
        _, g_c, g_u = w2v.neg_sampling_loss_and_grad(c, U, o, neg)
        tc, tu = torch.tensor(c, requires_grad=True), torch.tensor(U, requires_grad=True)
        w2v.neg_sampling_loss_torch(tc, tu, o, neg).backward()
        np.testing.assert_allclose(g_c, tc.grad.numpy(), atol=1e-9)
        np.testing.assert_allclose(g_u, tu.grad.numpy(), atol=1e-9)


def _naive_exp_softmax(c, U, o):  # right formulas, but log Σ exp computed naively
    z = U @ c
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = np.exp(z) / np.exp(z).sum()
        loss = np.log(np.exp(z).sum()) - z[o]
    return loss, U.T @ (p - np.eye(len(U))[o]), np.outer(p - np.eye(len(U))[o], c)


def _log_of_sigmoid_sampling(c, U, o, negatives):  # right formulas, but log(σ) and log(1 − σ)
    x_pos, x_neg = U[o] @ c, U[negatives] @ c
    with np.errstate(divide="ignore"):
        loss = -np.log(functional.sigmoid(x_pos)) - np.log(1 - functional.sigmoid(x_neg)).sum()
    _, g_c, g_u = w2v.neg_sampling_loss_and_grad(c, U, o, negatives)
    return loss, g_c, g_u


@pytest.mark.parametrize("check, unstable", [(checks.check_naive_softmax, _naive_exp_softmax),
                                             (checks.check_neg_sampling, _log_of_sigmoid_sampling)])
def test_function_exercises_catch_an_unstable_loss(capsys, check, unstable):
    ok, out = _output(capsys, check, unstable)
    assert not ok and "NaN or inf" in out


@pytest.mark.parametrize("check", [checks.check_naive_softmax, checks.check_neg_sampling])
def test_function_exercises_stub_shape_and_exception(capsys, check):
    def stub(*args):
        ...

    assert _output(capsys, check, stub)[1].startswith("✏️ Not answered")
    assert "Not answered" in _output(capsys, check, ...)[1]
    assert "should return 3 value(s)" in _output(capsys, check, lambda *a: (1.0, np.zeros(3)))[1]

    def broken(*args):
        raise IndexError("index 9 is out of bounds")

    assert "raised IndexError" in _output(capsys, check, broken)[1]


def test_sgd_trains_the_toy_corpus_and_a_do_nothing_loop_fails(capsys):
    # the reference answers: a window loss that sums its pairs; SGD that lowers the toy corpus's loss
    vocab = Vocab.build([list(s) for s in w2v.TOY_SENTENCES])
    f = w2v.window_objective([vocab.encode(s) for s in w2v.TOY_SENTENCES], len(vocab), 2,
                             w2v.naive_softmax_loss_and_grad)
    theta0 = np.concatenate(w2v.init_params(len(vocab), 5, seed=0))
    _, losses = w2v.sgd(f, theta0, lr=1.0, steps=30)
    assert losses[-1] < 0.9 * losses[0] and np.all(np.diff(losses) < 0)
    assert not checks.check_sgd(lambda f, x, lr, steps: (x, np.zeros(steps)))  # a do-nothing loop fails
    assert "Not yet" in capsys.readouterr().out


def test_skipgram_window_sums_the_pair_losses():
    rng = np.random.default_rng(0)
    W, C = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    loss, g_w, g_c = w2v.skipgram_window(1, [0, 2, 2], W, C, w2v.naive_softmax_loss_and_grad)
    parts = [w2v.naive_softmax_loss_and_grad(W[1], C, o) for o in (0, 2, 2)]
    assert loss == pytest.approx(sum(p[0] for p in parts))
    np.testing.assert_allclose(g_w[1], sum(p[1] for p in parts))
    assert not np.any(np.delete(g_w, 1, axis=0))
    np.testing.assert_allclose(g_c, sum(p[2] for p in parts))


def test_widgets_build_and_step(monkeypatch):
    drawn = []  # (steps taken, lr) of the state each redraw showed: drawn first, then moved
    monkeypatch.setattr(widgets, "draw_sgd_step",
                        lambda state, ax=None: drawn.append((len(state.losses) - 1, state.lr)) or Figure())
    monkeypatch.setattr(widgets, "update_sgd_axes",
                        lambda ax, state: drawn.append((len(state.losses) - 1, state.lr)))
    box = widgets.sgd_step_explorer(lr=0.3)
    slider, step, five, reset = box.children[0].children
    assert [b.description for b in (step, five, reset)] == ["step", "5 steps", "reset"]
    assert drawn == [(0, 0.3)]  # the default state is drawn at once
    step.click()
    five.click()
    assert drawn[-2:] == [(1, 0.3), (6, 0.3)]
    reset.click()
    assert drawn[-1] == (0, 0.3)
    step.click()
    slider.value = 1.0  # a new learning rate starts again from the initial vectors
    assert drawn[-1] == (0, 1.0)
    alphas = []
    real = widgets.draw_noise_distribution

    def spy(words, counts, alpha, top):
        alphas.append((alpha, top))
        return real(words, counts, alpha, top)

    monkeypatch.setattr(widgets, "draw_noise_distribution", spy)
    real_update = widgets.update_noise_distribution
    monkeypatch.setattr(widgets, "update_noise_distribution",
                        lambda fig, counts, alpha: alphas.append((alpha, "update")) or real_update(fig, counts, alpha))
    vocab = Vocab.build(planted_corpus(20), min_count=1)
    slider = widgets.noise_alpha_explorer(vocab.itos, vocab.counts, top=5).children[0].children[0]
    slider.value = 0.2
    # drawn once, then its bars move (update_noise_distribution: the same picture, tests/test_widget_updates.py)
    assert alphas == [(0.75, 5), (0.2, "update")]


# ---------------------------------------------------------------- review additions
def test_oov_by_min_count_equals_word_similarity_and_grows_with_the_cut_off():
    from nlpcourse.data import load_similarity
    from nlpcourse.evaluation import word_similarity

    lee, pairs = load_corpus("lee_background.cor"), load_similarity("wordsim353")
    table = train.oov_by_min_count(lee, pairs, min_counts=(1, 2, 5))
    assert list(table.columns) == ["min_count", "vocab_size", "pairs_in_vocabulary", "oov_ratio"]
    assert table["oov_ratio"].is_monotonic_increasing and table["vocab_size"].is_monotonic_decreasing
    for min_count, row in zip((1, 2, 5), table.itertuples(), strict=True):
        vocab = Vocab.build(lee, min_count=min_count)
        emb = Embeddings(np.random.default_rng(0).standard_normal((len(vocab), 4)), vocab)
        result = word_similarity(emb, pairs)
        assert row.vocab_size == len(vocab) and row.pairs_in_vocabulary == result.n_used
        assert row.oov_ratio == pytest.approx(result.oov_ratio)
    assert table["oov_ratio"].round(3).tolist() == [0.538, 0.623, 0.830]  # 62% at min_count 2, 83% at 5
    with pytest.raises(KeyError, match="pairs"):
        train.oov_by_min_count(lee, pairs.rename(columns={"word2": "w2"}))
    with pytest.raises(ValueError, match="min_counts: expected an int >= 1, got 0"):
        train.oov_by_min_count(lee, pairs, min_counts=(0,))
    with pytest.raises(ValueError, match="pairs: expected at least one row"):
        train.oov_by_min_count(lee, pairs.iloc[:0])


def test_cbow_losses_in_numpy_and_torch_agree(params):
    c, Out = params
    ctx = np.random.default_rng(4).standard_normal((4, 5))
    negs = np.array([0, 2, 2])
    loss, g_ctx, g_o = w2v.cbow_neg_sampling_loss_and_grad(ctx, Out, 1, negs)
    loss_avg, g_avg, g_o_avg = w2v.neg_sampling_loss_and_grad(ctx.mean(axis=0), Out, 1, negs)
    assert loss == pytest.approx(loss_avg)
    np.testing.assert_allclose(g_ctx, np.tile(g_avg / 4, (4, 1)))
    np.testing.assert_allclose(g_o, g_o_avg)
    tctx, tO = torch.tensor(ctx), torch.tensor(Out)
    assert w2v.cbow_neg_sampling_loss_torch(tctx, tO, 1, negs).item() == pytest.approx(loss)
    expected = w2v.cbow_naive_softmax_loss_and_grad(ctx, Out, 1)[0]
    assert w2v.cbow_naive_softmax_loss_torch(tctx, tO, 1).item() == pytest.approx(expected)
    with pytest.raises(ValueError, match="context_vectors"):
        w2v.cbow_neg_sampling_loss_and_grad(ctx[:0], Out, 1, negs)


def test_train_gensim_with_one_worker_is_reproducible():
    sentences = load_corpus("lee_background.cor")
    a = train.train_gensim(sentences, dim=10, epochs=1, seed=3, workers=1)
    b = train.train_gensim(sentences, dim=10, epochs=1, seed=3, workers=1)
    assert isinstance(a, Embeddings) and a.vectors.shape == (len(Vocab.build(sentences, min_count=5)), 10)
    np.testing.assert_array_equal(a.vectors, b.vectors)


def _text_boxes_overlap(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = [t.get_window_extent(renderer) for ax in fig.axes for t in ax.texts if t.get_text()]
    return [(i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]


def test_figure_labels_do_not_overlap():
    demo = w2v.SGDStepDemo(lr=2.0)
    demo.step(5)  # the negatives end up pointing the same way, so do apricot and jam
    assert _text_boxes_overlap(figures.draw_sgd_step(demo)) == []
    vocab = Vocab.build(planted_corpus(20), min_count=1)
    vectors = np.zeros((len(vocab), 4))
    vectors[:, 0] = np.arange(len(vocab)) * 1e-3  # all the words nearly on one point
    vectors[:, 1] = np.arange(len(vocab)) % 2
    emb = Embeddings(vectors, vocab)
    assert _text_boxes_overlap(figures.draw_embedding_pca(emb, vocab.itos)) == []


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: w2v.context_words(LECTURE, 42, 2), ValueError,
         r"position: expected a position in the sentence in \[0, 9\), got 42"),
        (lambda: w2v.context_words(LECTURE, 0, 0), ValueError, "window: expected an int >= 1, got 0"),
        (lambda: w2v.skipgram_pairs_corpus([np.array([1, 2])], 0), ValueError, "window"),
        (lambda: w2v.cbow_examples(np.array([1, 2]), -1), ValueError, "window"),
        (lambda: w2v.init_params(0, 3), ValueError, "vocab_size: expected an int >= 1, got 0"),
        (lambda: w2v.init_params(5, 2.5), TypeError, "dim: expected an int >= 1, got 2.5"),
        (lambda: w2v.one_hot(0, 0), ValueError, "size"),
        (lambda: w2v.naive_softmax_loss_and_grad(np.ones((2, 3)), np.ones((4, 3)), 0), ValueError,
         r"center_vec: expected shape \(D,\), got \(2, 3\)"),
        (lambda: w2v.time_naive_softmax([0]), ValueError, "vocab_sizes"),
        (lambda: w2v.changed_rows(np.zeros(3)), ValueError, "grad"),
        (lambda: figures.draw_noise_distribution(["a"], [3, 1]), ValueError, "words: expected 2 words"),
        (lambda: w2v.SGDStepDemo(words=("apricot", "jam")), ValueError, "words: expected 4 words, got 2"),
        (lambda: w2v.SGDStepDemo().step(0), ValueError, "n: expected an int >= 1, got 0"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_bias_probe_anchor():
    vocab = Vocab.build(planted_corpus(20), min_count=1)
    emb = Embeddings(np.random.default_rng(0).standard_normal((len(vocab), 4)), vocab)
    with pytest.raises(KeyError, match="pair: 'he' is not in the vocabulary"):
        train.gender_direction(emb, ["apple"], pair=("he", "she"))


def test_sgns_config_checks_its_fields_and_takes_overrides():
    c = train.SGNSConfig(dim=np.int64(8), window=2)
    assert c.dim == 8 and type(c.dim) is int
    assert train.SGNSConfig.make(c, epochs=2) == train.SGNSConfig(dim=8, window=2, epochs=2)
    for bad, error in [(dict(dim=True), TypeError), (dict(dim=2.5), TypeError), (dict(batch_size=0), ValueError),
                       (dict(alpha=1.5), ValueError), (dict(lr=-0.1), ValueError), (dict(threads=0), ValueError),
                       (dict(seed=-1), ValueError), (dict(pool_size=1.0), TypeError)]:
        (name,) = bad
        with pytest.raises(error, match=name):
            train.SGNSConfig(**bad)
    with pytest.raises(TypeError, match="dimm: not a field of SGNSConfig"):
        train.train_sgns(planted_corpus(10), dimm=3)
    with pytest.raises(TypeError, match="config"):
        train.train_sgns(planted_corpus(10), {"dim": 3})
    a = train.train_sgns(planted_corpus(50), train.SGNSConfig(dim=4, min_count=1, epochs=1), progress=False)
    b = train.train_sgns(planted_corpus(50), dim=4, min_count=1, epochs=1, progress=False)
    np.testing.assert_array_equal(a.vectors, b.vectors)  # a config and its fields as keywords are the same run


def test_train_sgns_float64_starts_from_the_same_vectors_and_refuses_other_dtypes():
    sents = [["a", "b", "c", "a", "b"], ["c", "a", "b", "c"]] * 5
    e32 = train.train_sgns(sents, dim=4, epochs=1, min_count=1, progress=False)
    e64 = train.train_sgns(sents, dim=4, epochs=1, min_count=1, progress=False, dtype=torch.float64)
    assert e64.vectors.dtype == np.float64 and np.allclose(e32.vectors, e64.vectors, atol=1e-5)
    with pytest.raises(TypeError, match="dtype"):
        train.train_sgns(sents, dim=4, epochs=1, min_count=1, progress=False, dtype=torch.float16)


def test_neg_sampling_loss_is_finite_for_scores_of_any_size():
    """log σ form: a confidently wrong pair (scores ±10⁴) costs about 2·10⁴, not inf, and equals torch."""
    center = np.array([100.0, 0.0])
    outside = np.array([[-100.0, 0.0], [100.0, 0.0], [1.0, 1.0]])
    loss, g_c, g_o = w2v.neg_sampling_loss_and_grad(center, outside, 0, np.array([1, 2]))
    ref = w2v.neg_sampling_loss_torch(torch.tensor(center), torch.tensor(outside), 0, np.array([1, 2]))
    assert np.isfinite(loss) and loss == pytest.approx(float(ref), rel=1e-12)
    assert np.all(np.isfinite(g_c)) and np.all(np.isfinite(g_o))


# ---------------------------------------------------------------- every loss finite and equal to torch at ±1000
EXTREME = [1000.0, -1000.0, 300.0, -300.0]


@pytest.mark.parametrize("scale", EXTREME)
@pytest.mark.parametrize("seed", range(3))
def test_every_loss_is_finite_and_equals_torch_for_extreme_scores(scale, seed):
    """Naive softmax, CBOW (both losses), negative sampling: scores of about ±1000, values and gradients
    finite and equal to torch's (float64) — the log-sigmoid / logsumexp forms never see log 0 or exp overflow."""
    rng = np.random.default_rng(seed)
    V, d = 7, 4
    center, U = scale * rng.normal(size=d) / 2, rng.normal(size=(V, d))
    ctx = scale * rng.normal(size=(3, d)) / 2
    negatives = np.array([1, 2, 2, 5])
    cases = [
        (lambda c, u: w2v.naive_softmax_loss_and_grad(c, u, 0), lambda c, u: w2v.naive_softmax_loss_torch(c, u, 0),
         center),
        (lambda c, u: w2v.neg_sampling_loss_and_grad(c, u, 0, negatives),
         lambda c, u: w2v.neg_sampling_loss_torch(c, u, 0, negatives), center),
        (lambda c, u: w2v.cbow_naive_softmax_loss_and_grad(c, u, 0),
         lambda c, u: w2v.cbow_naive_softmax_loss_torch(c, u, 0), ctx),
        (lambda c, u: w2v.cbow_neg_sampling_loss_and_grad(c, u, 0, negatives),
         lambda c, u: w2v.cbow_neg_sampling_loss_torch(c, u, 0, negatives), ctx),
    ]
    for ours, theirs, first in cases:
        loss, g_first, g_u = ours(first, U)
        tf, tu = torch.tensor(first, requires_grad=True), torch.tensor(U, requires_grad=True)
        ref = theirs(tf, tu)
        ref.backward()
        assert np.isfinite(loss) and np.isfinite(ref.item())
        assert loss == pytest.approx(ref.item(), rel=1e-12, abs=1e-9)
        np.testing.assert_allclose(g_first, tf.grad.numpy(), atol=1e-9)
        np.testing.assert_allclose(g_u, tu.grad.numpy(), atol=1e-9)


def test_window_examples_and_costs_match_the_lecture():
    table = w2v.sgns_window_examples(LECTURE, LECTURE.index("apricot"), 2, 2, w2v.LECTURE_NEGATIVES)
    assert table["positive"].tolist() == ["tablespoon", "of", "jam", "a"]
    assert table["negatives"].tolist() == ["aardvark, my", "where, coaxial", "seven, forever", "dear, if"]
    assert w2v.vectors_per_window(2, 2) == 13 and w2v.vectors_per_window(5, 5) == 61
    with pytest.raises(ValueError, match="noise_words: expected at least K × 4 = 8 words, got 3"):
        w2v.sgns_window_examples(LECTURE, 5, 2, 2, ["a", "b", "c"])
    cost = w2v.softmax_cost(3_000_000, 300, negative=5)
    assert cost.iloc[0, 0] == 1_800_000_000 and cost.iloc[2, 0] == 900_000_000 and cost.iloc[2, 1] == 1800
    assert cost.iloc[3, 0] == 2 * 900_000_000 and cost.iloc[3, 1] == 2 * 1800
    assert cost.iloc[1, 0] == pytest.approx(7.2)


def _fake_sweep():
    import pandas as pd

    rows = []
    for lr, ours, gensim in [(0.025, 0.3, 0.2), (0.1, 0.6, 0.55), (0.2, np.nan, 0.6)]:
        rows.append({"trainer": "ours", "lr": lr, "diverged": bool(np.isnan(ours)), "ws353_tune": ours,
                     "simlex999": ours / 2})
        rows.append({"trainer": "gensim", "lr": lr, "diverged": False, "ws353_tune": gensim, "simlex999": 0.1})
    return pd.DataFrame(rows)


def test_best_lrs_and_sweep_table_and_verdict():
    import pandas as pd

    sweep = _fake_sweep()
    assert train.best_lrs(sweep) == {"ours": 0.1, "gensim": 0.2}
    shown = train.format_sweep(sweep)
    assert shown.loc[0.2, "ws353_tune ours"] == "diverged" and shown.loc[0.1, "ws353_tune gensim"] == "0.55"
    with pytest.raises(ValueError, match="every run of \\['ours'\\] diverged"):
        train.best_lrs(sweep.assign(diverged=sweep["trainer"] == "ours"))
    runs = pd.DataFrame({"trainer": ["ours"] * 3 + ["gensim"] * 3,
                         "ws353_test": [0.60, 0.62, 0.61, 0.50, 0.51, 0.52], "simlex999": [0.2, 0.3, 0.25] * 2})
    assert train.comparison_verdict(runs, "ws353_test") == (
        "ws353_test: ours − gensim = +0.10 ± 0.01 (standard error), Welch's p = 0.0 → ours ahead")
    assert train.comparison_verdict(runs, "simlex999").endswith("→ can't tell them apart with 3 seeds")
    with pytest.raises(ValueError, match="at least 2 seeds"):
        train.comparison_verdict(runs.iloc[[0, 3]])


def test_compare_at_best_lr_reuses_the_sweep_runs():
    sentences = load_corpus("lee_background.cor")
    setting = dict(dim=10, epochs=1, min_count=5)
    sweep, runs, emb, best = train.compare_at_best_lr(sentences, lrs=(0.025, 0.05), seeds=(0, 1),
                                                      transform=None, progress=False, **setting)
    assert len(sweep) == 4 and len(runs) == 4 and set(emb) == {("ours", 0), ("gensim", 0), ("ours", 1), ("gensim", 1)}
    assert set(runs["lr"][runs["trainer"] == "ours"]) == {best["ours"]}
    # the runs share the vocabularies and the encoded corpus: each equals a fresh call of its trainer, bit for bit
    for seed in (0, 1):
        fresh = {"ours": train.train_sgns(sentences, seed=seed, lr=best["ours"], threads=1, progress=False, **setting),
                 "gensim": train.train_gensim(sentences, seed=seed, lr=best["gensim"], **setting)}
        for trainer, e in fresh.items():
            assert emb[trainer, seed].words == e.words
            np.testing.assert_array_equal(emb[trainer, seed].vectors, e.vectors)
    # the runs went side by side in two processes (parallel=True, the default); in this one: the same sweep
    again, again_emb = train.lr_sweep(sentences, lrs=(0.025, 0.05), transform=None, progress=False, parallel=False,
                                      **setting)
    columns = ["trainer", "lr", "ws353_tune", "ws353_test", "simlex999"]
    pd.testing.assert_frame_equal(again[columns], sweep[columns])
    for trainer in ("ours", "gensim"):
        np.testing.assert_array_equal(again_emb[trainer, best[trainer]].vectors, emb[trainer, 0].vectors)
        assert not emb[trainer, 0].vectors.flags.writeable  # also those trained in the second process
    with pytest.raises(ValueError, match="lr is what the sweep varies"):
        train.lr_sweep(sentences, lr=0.1, **setting)


def test_comparison_runs_here_where_no_second_process_is_allowed(monkeypatch):
    sentences = load_corpus("lee_background.cor")
    setting = dict(dim=8, epochs=1, min_count=5, lr=0.05)
    expected = train.train_gensim(sentences, seed=0, **setting)
    monkeypatch.setenv("NLPCOURSE_PARALLEL", "0")  # parallel.starmap runs every job in this process
    runs, emb = train.compare_with_gensim(sentences, seeds=(0,), transform=None, progress=False, **setting)
    assert list(runs["trainer"]) == ["ours", "gensim"]
    np.testing.assert_array_equal(emb["gensim", 0].vectors, expected.vectors)
    assert not emb["gensim", 0].vectors.flags.writeable


def test_pca_by_topic_colours_each_group_and_says_what_to_look_for():
    vocab = Vocab.build(planted_corpus(20), min_count=1)
    emb = Embeddings(np.random.default_rng(0).normal(size=(len(vocab), 4)), vocab)
    fig = figures.draw_embedding_pca(emb, {"fruit": ["apple", "pear", "plum"], "transport": ["car", "bus"]})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fruit", "transport"]
    assert "topic" in ax.get_title()
    assert len({tuple(t.get_color()) if not isinstance(t.get_color(), str) else t.get_color() for t in ax.texts}) == 2
    assert _text_boxes_overlap(fig) == []
    with pytest.raises(KeyError, match="zebra"):
        figures.draw_embedding_pca(emb, {"a": ["apple", "zebra"]})
