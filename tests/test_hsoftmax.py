"""Hierarchical softmax (notebook 02): Huffman trees, probabilities, gradients, training, search, checks."""

import heapq
import itertools

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nlpcourse import hsoftmax as hs
from nlpcourse import torch_threads
from nlpcourse.functional import sigmoid
from nlpcourse.gradcheck import check_gradients
from nlpcourse.hsoftmax import checks, figures, search, train, widgets


def lecture_tree():
    return hs.HuffmanTree.from_tokens(hs.LECTURE_SENTENCE)


def random_params(tree, d=4, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return {"W_in": rng.normal(size=(tree.n_leaves, d)) * scale, "inner": rng.normal(size=(tree.n_inner, d)) * scale}


# ---------------------------------------------------------------- Huffman codes

def test_lecture_sentence_is_135_bits_with_the_classic_code_lengths():
    tree = lecture_tree()
    assert tree.weighted_length() == 135
    lengths = dict(zip(tree.symbols, tree.lengths.tolist(), strict=True))
    assert lengths[" "] == 3 and lengths["a"] == 3 and lengths["e"] == 3
    assert all(lengths[c] == 4 for c in "fthismn") and all(lengths[c] == 5 for c in "xplour")


def test_codes_are_prefix_free_and_match_the_paths():
    tree = lecture_tree()
    codes = [tree.code(s) for s in tree.symbols]
    assert len(set(codes)) == len(codes)
    for a, b in itertools.permutations(codes, 2):
        assert not b.startswith(a)
    # Kraft's equality holds for a full binary tree
    assert sum(2.0 ** -len(c) for c in codes) == pytest.approx(1.0)
    # the first turn from the root goes through the root row V-2
    assert (tree.nodes[:, 0] == tree.n_inner - 1).all()


def brute_force_optimum(counts):
    """The optimal weighted length by trying every merge order (small inputs only)."""
    best = [np.inf]

    def rec(items):
        if len(items) == 1:
            best[0] = min(best[0], 0)
            return 0
        out = np.inf
        for i, j in itertools.combinations(range(len(items)), 2):
            rest = [x for k, x in enumerate(items) if k not in (i, j)]
            out = min(out, items[i] + items[j] + rec([*rest, items[i] + items[j]]))
        return out

    return rec(list(counts))


@pytest.mark.parametrize("counts", [[5, 1, 1], [1, 1, 1, 1], [10, 6, 3, 2, 1], [4, 4, 3, 2, 2, 1]])
def test_huffman_is_optimal_on_small_examples(counts):
    # weighted length = sum of the merged weights, minimised over all merge orders
    assert hs.HuffmanTree.build(counts).weighted_length() == brute_force_optimum(counts)


def test_power_of_two_equal_counts_give_a_balanced_tree():
    tree = hs.HuffmanTree.build(np.ones(8, dtype=int))
    assert tree.n_inner == 7 and (tree.lengths == 3).all()


def test_frequent_words_are_never_deeper():
    counts = train.zipf_counts(500)
    tree = hs.HuffmanTree.build(counts)
    more = counts[:, None] > counts[None, :]  # (i, j): word i strictly more frequent than word j
    assert (tree.lengths[:, None] <= tree.lengths[None, :])[more].all()
    assert tree.weighted_length() <= counts.sum() * np.ceil(np.log2(500))


def test_same_total_as_gensim_and_same_lengths_for_distinct_counts():
    from nlpcourse.data import load_corpus

    sentences = load_corpus("lee_background.cor")
    for min_count in (1, 2, 5):
        df = train.gensim_tree_comparison(sentences, min_count=min_count)
        assert (df["count"] * df["ours"]).sum() == (df["count"] * df["gensim"]).sum()
    # at min_count=5 every word whose count is unique has the same code length as in gensim
    unique = ~df["count"].duplicated(keep=False)
    assert (df["ours"][unique] == df["gensim"][unique]).all()


def test_identical_code_lengths_to_gensim_without_ties():
    from gensim.models import Word2Vec

    rng = np.random.default_rng(0)
    # counts 3^k-ish spread so that no two counts and no two partial sums collide
    words = [f"w{i}" for i in range(40)]
    counts = np.sort(rng.choice(np.arange(1, 400), size=40, replace=False))[::-1] * 7 + 1
    tree = hs.HuffmanTree.build(counts, words)
    g = Word2Vec(hs=1, negative=0, min_count=1, workers=1, seed=0)
    g.build_vocab_from_freq(dict(zip(words, counts.tolist(), strict=True)))
    assert [len(g.wv.get_vecattr(w, "code")) for w in words] == tree.lengths.tolist()
    assert tree.weighted_length() == sum(c * len(g.wv.get_vecattr(w, "code")) for w, c in zip(words, counts,
                                                                                                 strict=True))


def test_tree_queries_table_and_from_vocab():
    from nlpcourse.data import Vocab

    tree = lecture_tree()
    assert (len(tree), tree.n_leaves, tree.n_inner, tree.root, tree.max_depth) == (16, 16, 15, 30, 5)
    assert " " in tree and "z" not in tree and repr(tree) == "HuffmanTree(V=16, max_depth=5)"
    assert tree.average_depth() == pytest.approx(135 / 36)
    table = tree.table()
    assert list(table.columns) == ["symbol", "count", "code", "length"] and len(table) == 16
    assert table.set_index("symbol").loc["x", "code"] == "10100" == tree.code("x")
    assert (table["code"].str.len() == table["length"]).all()
    vocab = Vocab.build([list("abracadabra")], min_count=1)
    vtree = hs.HuffmanTree.from_vocab(vocab)
    assert vtree.symbols == tuple(vocab.itos) and (vtree.counts == vocab.counts).all()
    assert vtree.index("a") == vocab.index("a") and vtree.lengths[vocab.index("a")] == 1


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("counts, match", [
    ([], "empty"), ([3], "at least 2 counts"), ([3, 0, 1], "> 0, got 0 at position 1"),
    ([3, -2], "> 0, got -2"), ([[1, 2], [3, 4]], "1-D"), ([1.0, np.nan], "finite"), (["a", "b"], "numbers"),
])
def test_bad_counts(counts, match):
    with pytest.raises((ValueError, TypeError), match=match):  # TypeError: not numbers
        hs.HuffmanTree.build(counts)


def test_bad_symbols_words_and_vectors():
    with pytest.raises(ValueError, match="expected 3 labels"):
        hs.HuffmanTree.build([3, 2, 1], ["a", "b"])
    with pytest.raises(ValueError, match="duplicates"):
        hs.HuffmanTree.build([3, 2, 1], ["a", "b", "a"])
    with pytest.raises(ValueError, match="at least 2 distinct"):
        hs.HuffmanTree.from_tokens("")
    with pytest.raises(ValueError, match="at least 2 counts"):
        hs.HuffmanTree.from_tokens("aaaa")
    tree = lecture_tree()
    with pytest.raises(KeyError, match="'z' is not a leaf"):
        tree.path("z")
    with pytest.raises(KeyError, match=r"leaf id in \[0, 16\)"):
        tree.index(16)
    p = random_params(tree)
    with pytest.raises(ValueError, match=r"center: expected shape \(d,\) with d=4, got \(3,\)"):
        hs.leaf_probabilities(tree, np.zeros(3), p["inner"])
    with pytest.raises(ValueError, match=r"inner: expected shape \(V-1, d\) = \(15, d\), got \(16, 4\)"):
        hs.branch_probabilities(tree, "a", np.zeros(4), np.zeros((16, 4)))
    with pytest.raises(ValueError, match=r"params\['inner'\]"):
        hs.skipgram_hs_loss_and_grad({"W_in": p["W_in"], "inner": p["inner"][:, :2]}, np.zeros((1, 2), int), tree)
    with pytest.raises(KeyError, match="expected keys"):
        hs.skipgram_hs_loss_and_grad({"W": p["W_in"]}, np.zeros((1, 2), int), tree)
    with pytest.raises(ValueError, match=r"pairs: expected word ids in \[0, 16\)"):
        hs.skipgram_hs_loss_and_grad(p, np.array([[0, 16]]), tree)
    with pytest.raises(ValueError, match="codes: expected 0/1 turns"):
        hs.path_loss_and_grad(np.zeros(2), np.zeros((3, 2)), np.array([0, 2, 1]))
    with pytest.raises(ValueError, match=r"rows: expected shape \(L, d\) with d = 2, got \(3, 4\)"):
        hs.path_loss_and_grad(np.zeros(2), np.zeros((3, 4)), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match=r"center: expected shape \(d,\), got \(1, 2\)"):
        hs.path_loss_and_grad(np.zeros((1, 2)), np.zeros((3, 2)), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match=r"params\['W_in'\]: expected shape \(V, d\) with V = 16, got \(15, 4\)"):
        hs.skipgram_hs_loss_and_grad({"W_in": p["W_in"][:15], "inner": p["inner"]}, np.zeros((1, 2), int), tree)
    with pytest.raises(ValueError, match=r"pairs: expected an int array of shape \(N, 2\)"):
        hs.skipgram_hs_loss_and_grad(p, np.zeros((2, 3), int), tree)
    with pytest.raises(KeyError, match="'z' is not a leaf"):
        figures.draw_tree(tree, word="z")
    with pytest.raises(KeyError, match="'z' is not a leaf"):
        hs.hs_loss_and_grad(p["W_in"][0], p["inner"], tree, "z")


# ---------------------------------------------------------------- probabilities

@pytest.mark.parametrize("seed", range(10))
def test_leaf_probabilities_sum_to_one_for_any_parameters(seed):
    rng = np.random.default_rng(seed)
    V, d = int(rng.integers(2, 60)), int(rng.integers(1, 8))
    tree = hs.HuffmanTree.build(rng.integers(1, 100, size=V))
    scale = 10.0 ** rng.uniform(-2, 1)
    p = hs.leaf_probabilities(tree, rng.normal(size=d) * scale, rng.normal(size=(V - 1, d)) * scale)
    assert p.shape == (V,) and (p >= 0).all()
    assert p.sum() == pytest.approx(1.0, abs=1e-12)


def test_path_probability_is_the_product_of_branches_and_matches_leaf_probabilities():
    tree = lecture_tree()
    p = random_params(tree)
    h = p["W_in"][0]
    all_p = hs.leaf_probabilities(tree, h, p["inner"])
    for i, s in enumerate(tree.symbols):
        b = hs.branch_probabilities(tree, s, h, p["inner"])
        assert len(b) == tree.lengths[i]
        assert hs.path_probability(tree, s, h, p["inner"]) == pytest.approx(all_p[i]) == pytest.approx(np.prod(b))
    # left turn = sigma(x), right turn = 1 - sigma(x)
    nodes, codes = tree.path("a")
    x = p["inner"][nodes] @ h
    assert np.allclose(b := hs.branch_probabilities(tree, "a", h, p["inner"]),
                       np.where(codes == 0, sigmoid(x), sigmoid(-x)))
    assert b.shape == codes.shape


def test_loss_is_minus_log_path_probability():
    tree = lecture_tree()
    p = random_params(tree)
    loss, g = hs.hs_loss_and_grad(p["W_in"][3], p["inner"], tree, "e")
    assert loss == pytest.approx(-np.log(hs.path_probability(tree, "e", p["W_in"][3], p["inner"])))
    nodes, _ = tree.path("e")
    others = np.setdiff1d(np.arange(tree.n_inner), nodes)
    assert (g["inner"][others] == 0).all() and (g["inner"][nodes] != 0).any()


# ---------------------------------------------------------------- gradients vs autograd and finite differences

def test_path_gradients_match_autograd_and_finite_differences():
    center, rows, codes = hs.gradient_exercise()

    def ours(q):
        loss, g = hs.path_loss_and_grad(q["center"], q["rows"], codes)
        return loss, g

    res = check_gradients(ours, lambda t: hs.path_loss_torch(t["center"], t["rows"], codes),
                          {"center": center, "rows": rows})
    assert res.ok, str(res)


def test_skipgram_gradients_match_autograd_and_finite_differences():
    tree = lecture_tree()
    params = random_params(tree, d=3, scale=0.5)
    rng = np.random.default_rng(1)
    pairs = rng.integers(0, tree.n_leaves, size=(12, 2))
    res = check_gradients(lambda q: hs.skipgram_hs_loss_and_grad(q, pairs, tree),
                          lambda t: hs.skipgram_hs_loss_torch(t, pairs, tree), params)
    assert res.ok, str(res)


def test_vectorised_loss_equals_the_sum_of_single_examples():
    tree = lecture_tree()
    params = random_params(tree, d=3)
    pairs = np.array([[0, 1], [2, 15], [0, 1], [7, 3]])
    loss, grads = hs.skipgram_hs_loss_and_grad(params, pairs, tree)
    singles = [hs.hs_loss_and_grad(params["W_in"][c], params["inner"], tree, o) for c, o in pairs]
    assert loss == pytest.approx(np.mean([s[0] for s in singles]))
    assert np.allclose(grads["inner"], sum(s[1]["inner"] for s in singles) / len(pairs))
    grad_w = np.zeros_like(params["W_in"])
    for (c, _), s in zip(pairs, singles, strict=True):
        grad_w[c] += s[1]["center"] / len(pairs)
    assert np.allclose(grads["W_in"], grad_w)


def test_batched_torch_equals_numpy():
    tree = lecture_tree()
    params = random_params(tree, d=5)
    pairs = np.random.default_rng(2).integers(0, tree.n_leaves, size=(20, 2))
    loss, grads = hs.skipgram_hs_loss_and_grad(params, pairs, tree)
    c, o = pairs[:, 0], pairs[:, 1]
    W = torch.tensor(params["W_in"])
    inner = torch.tensor(params["inner"])
    nodes = torch.as_tensor(tree.nodes[o])
    l_t, g_h, g_rows = train.hs_batch_loss_and_grad(W[c], inner, nodes, torch.as_tensor(tree.codes[o]),
                                                 torch.as_tensor(tree.mask[o]))
    assert float(l_t) / len(pairs) == pytest.approx(loss)
    gw = torch.zeros_like(W).index_add_(0, torch.as_tensor(c), g_h) / len(pairs)
    steps = torch.as_tensor(tree.mask[o])
    gi = torch.zeros_like(inner).index_add_(0, nodes[steps], g_rows) / len(pairs)
    assert np.allclose(gw.numpy(), grads["W_in"]) and np.allclose(gi.numpy(), grads["inner"])


def test_softmax_baseline_matches_autograd():
    gen = torch.Generator().manual_seed(0)
    h = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    W = torch.randn(10, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0, 3, 9, 3, 1, 2])
    loss, g_h, g_W = train.softmax_batch_loss_and_grad(h.detach(), W.detach(), t)
    ref = torch.nn.functional.cross_entropy(h @ W.T, t, reduction="sum")
    ref.backward()
    assert float(loss) == pytest.approx(ref.item())
    assert torch.allclose(g_h, h.grad) and torch.allclose(g_W, W.grad)


# ---------------------------------------------------------------- search

def test_tree_search_greedy_beam_exhaustive():
    tree = lecture_tree()
    misses = 0
    for seed in range(30):
        p = random_params(tree, seed=seed, scale=0.7)
        h = p["W_in"][0]
        best = search.exhaustive_search(tree, h, p["inner"], k=tree.n_leaves)
        assert [w for w, _ in search.tree_search(tree, h, p["inner"], beam_size=tree.n_leaves)] == [w for w, _ in best]
        greedy = search.tree_search(tree, h, p["inner"], beam_size=1)[0]
        assert greedy[1] <= best[0][1] + 1e-12
        assert greedy[1] == pytest.approx(hs.path_probability(tree, greedy[0], h, p["inner"]))
        misses += greedy[0] != best[0][0]
    assert 0 < misses < 30  # greedy descent sometimes misses the most probable leaf


# ---------------------------------------------------------------- speed measurement, drawing, toy

def test_zipf_counts_and_measure_speed_shape():
    c = train.zipf_counts(1000)
    assert c[0] == 10_000 and c[-1] == 10 and (np.diff(c) <= 0).all()
    with pytest.raises(ValueError, match="V: expected an int >= 2"):
        train.zipf_counts(1)
    threads = torch.get_num_threads()
    df = train.measure_speed([200, 400], dim=8, batch=16, repeats=1, threads=1)
    assert torch.get_num_threads() == threads  # restored
    assert list(df.columns) == ["V", "avg_path", "softmax_ms", "hs_ms", "speedup"]
    assert (df["avg_path"] < np.log2(df["V"]) + 1).all()
    ax = figures.draw_speed(df).axes[0]
    assert len(ax.lines) == 2 and [t.get_text() for t in ax.get_legend().get_texts()] == [
        "full softmax: O(|V|)", "hierarchical softmax: O(log |V|)"]
    assert [t.get_text() for t in ax.texts] == [f"{r:.0f}×" for r in df["speedup"]]  # one speed-up per size
    with pytest.raises(ValueError, match="missing"):
        figures.draw_speed(df.drop(columns="speedup"))


def test_draw_tree_codes_and_probabilities():
    tree = lecture_tree()
    fig = figures.draw_tree(tree, word="x")
    assert isinstance(fig, Figure) and "10100" in fig.axes[0].get_title()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[:2 * tree.n_inner] == ["0", "1"] * tree.n_inner  # every edge labelled with its code bit
    assert texts[2 * tree.n_inner::2] == [s.replace(" ", "␣") for s in tree.symbols]  # then every leaf
    toy = figures.toy_example()
    fig = toy.draw("language", "natural", perturb=0.5)
    title = fig.axes[0].get_title()
    p = hs.path_probability(toy.tree, "language", toy.center_at("natural", 0.5), toy.inner)
    assert title.startswith("p('language' | 'natural' +0.50·u)") and title.endswith(f"= {p:.4f}")
    with pytest.raises(ValueError, match="give both"):
        figures.draw_tree(tree, center=np.zeros(3))
    fig2, ax = Figure(), None
    ax = fig2.subplots()
    assert figures.draw_tree(tree, ax=ax) is fig2


def test_toy_example_perturbation_changes_probabilities_and_keeps_the_sum():
    toy = figures.toy_example()
    p0 = hs.leaf_probabilities(toy.tree, toy.center_at("natural", 0.0), toy.inner)
    p1 = hs.leaf_probabilities(toy.tree, toy.center_at("natural", 1.0), toy.inner)
    p2 = hs.leaf_probabilities(toy.tree, toy.center_at("tree", 0.0), toy.inner)
    assert not np.allclose(p0, p1) and not np.allclose(p0, p2) and p1.sum() == pytest.approx(1.0)
    assert np.allclose(toy.center_at("natural"), toy.W_in[toy.tree.index("natural")])


# ---------------------------------------------------------------- exercise checks

def test_gradient_check_accepts_the_derivation_and_rejects_typical_mistakes(capsys):
    center, rows, codes = hs.gradient_exercise()
    x, t = rows @ center, 1.0 - codes
    g = sigmoid(x) - t
    assert checks.check_hs_gradient(g @ rows, np.outer(g, center))
    assert capsys.readouterr().out.count("✅") == 2
    for gg, hint in [(-g, "sign is flipped"), (sigmoid(x) - codes, "t = 1 − code"), (x - t, "sigmoid")]:
        assert not checks.check_hs_gradient(gg @ rows, np.outer(gg, center))
        assert hint in capsys.readouterr().out
    assert not checks.check_hs_gradient(None, None)
    assert "Not answered" in capsys.readouterr().out
    assert not checks.check_hs_gradient(np.outer(g, center), g @ rows)
    assert "shape (3,)" in capsys.readouterr().out


# ---------------------------------------------------------------- training, model search, widget

def small_corpus():
    from nlpcourse.data import load_corpus

    return load_corpus("lee_background.cor")[:40]


def test_train_hs_learns_and_is_deterministic():
    sentences = small_corpus()
    m = train.train_hs(sentences, dim=16, epochs=3, min_count=3, batch_size=256, seed=1, progress=False)
    with torch_threads(1 if torch.get_num_threads() > 1 else 2):  # the other thread count: the same weights
        m2 = train.train_hs(sentences, dim=16, epochs=3, min_count=3, batch_size=256, seed=1, progress=False)
    assert np.array_equal(m.W_in, m2.W_in) and np.array_equal(m.inner, m2.inner)
    assert m.losses[-1] < m.losses[0]
    assert m.W_in.shape == (len(m.vocab), 16) and m.inner.shape == (len(m.vocab) - 1, 16)
    emb = m.embeddings()
    assert emb.vectors.shape == m.W_in.shape and m.vocab.itos[0] in emb
    # the trained model's leaf probabilities still sum to 1 and the three searches agree with their definitions
    h = m.W_in[m.vocab.index("the")]
    assert hs.leaf_probabilities(m.tree, h, m.inner).sum() == pytest.approx(1.0)
    best = m.predict("the")
    assert best == search.exhaustive_search(m.tree, h, m.inner)[0]
    assert m.predict("the", "greedy")[1] <= best[1] + 1e-12
    assert m.predict("the", "beam", beam_size=len(m.vocab))[0] == best[0]
    with pytest.raises(ValueError, match="method: expected"):
        m.predict("the", "sampling")
    df = train.search_agreement(m, m.vocab.itos[:20], beam_sizes=(1, 4))
    assert list(df.columns) == ["beam_size", "found_best", "mean_ratio"]
    assert (df["mean_ratio"] <= 1 + 1e-9).all() and df["found_best"].is_monotonic_increasing


def test_train_hs_bad_input():
    with pytest.raises(ValueError, match="dim: expected an int >= 1, got 0"):
        train.train_hs(small_corpus(), dim=0, progress=False)
    with pytest.raises(ValueError, match="min_count: only 1 word"):
        train.train_hs([["a", "a", "b"]], min_count=2, progress=False)


def test_widget_builds_and_redraws(monkeypatch):
    drawn = []
    monkeypatch.setattr(figures.ToyExample, "draw",  # the first image: a new figure
                        lambda self, word, center, perturb, ax=None: drawn.append((word, center, perturb))
                        or Figure().add_subplot().figure)
    monkeypatch.setattr(figures.ToyExample, "update",  # a later redraw moves the kept figure's artists
                        lambda self, ax, word, center, perturb: drawn.append((word, center, perturb)))
    w = widgets.hsoftmax_path_explorer()
    word, center, perturb = w.children[0].children
    assert (word.value, center.value) == ("language", "natural")
    perturb.value = 1.0
    word.value = "tree"
    center.value = "the"
    assert drawn == [("language", "natural", 0.0), ("language", "natural", 1.0), ("tree", "natural", 1.0),
                     ("tree", "the", 1.0)]


def test_hs_config_checks_its_fields_and_takes_numpy_ints():
    sentences = [["a", "b", "c", "a", "b", "d"]] * 20
    model = train.train_hs(sentences, dim=np.int64(4), window=np.int64(2), epochs=1, min_count=1, progress=False)
    assert model.W_in.shape == (4, 4)
    same = train.train_hs(sentences, train.HSConfig(dim=4, window=2, epochs=1, min_count=1), progress=False)
    np.testing.assert_array_equal(model.W_in, same.W_in)
    for bad, error in [(dict(dim=True), TypeError), (dict(window=2.5), TypeError), (dict(epochs=0), ValueError),
                       (dict(sample=-1.0), ValueError), (dict(lr=0), ValueError)]:
        with pytest.raises(error, match=next(iter(bad))):
            train.HSConfig(**bad)
    with pytest.raises(TypeError, match="negative: not a field of HSConfig"):
        train.train_hs(sentences, negative=5)


def test_path_probabilities_agree_with_gensim_score():
    """Reference: with gensim's own tree (point, code), syn1 and vectors, our log p matches Word2Vec.score.

    gensim scores each node with a 1000-entry log-sigmoid table over [-6, 6] and skips nodes with |f| >= 6 (f =
    ±x, the signed score), so we skip those too. Its index int((f + 6) · 83) (an integer 1000 / 6 / 2) rounds
    down and shrinks the grid slightly: per node it is off by at most one table step 0.012 plus 0.004 · (f + 6).
    """
    from gensim.models import Word2Vec

    from nlpcourse.data import load_corpus

    g = Word2Vec(load_corpus("lee_background.cor")[:100], vector_size=20, hs=1, negative=0, sg=1, min_count=3,
                 window=1, epochs=1, workers=1, seed=0)
    rng = np.random.default_rng(0)  # scores far from 0, so that left and right turns are easy to tell apart
    g.wv.vectors[:] = rng.normal(scale=0.5, size=g.wv.vectors.shape)
    g.syn1[:] = rng.normal(scale=0.5, size=g.syn1.shape)
    words = g.wv.index_to_key[:200:10]
    pairs = list(zip(words[:-1], words[1:], strict=True))
    theirs = g.score([[a, b] for a, b in pairs], total_sentences=len(pairs))

    def log_p(target, center, flip=False):
        codes = np.asarray(g.wv.get_vecattr(target, "code"), dtype=np.int64)
        codes = 1 - codes if flip else codes
        rows = g.syn1[np.asarray(g.wv.get_vecattr(target, "point"), dtype=np.int64)].astype(np.float64)
        h = g.wv[center].astype(np.float64)
        f = (1 - 2 * codes) * (rows @ h)
        keep = np.abs(f) < 6
        loss, _ = hs.path_loss_and_grad(h, rows[keep], codes[keep])
        return -loss, float((0.012 + 0.004 * (f[keep] + 6)).sum())

    for (a, b), score in zip(pairs, theirs, strict=True):
        (lp_ab, tol1), (lp_ba, tol2) = log_p(b, a), log_p(a, b)
        assert abs(score - (lp_ab + lp_ba)) <= tol1 + tol2 + 1e-4
    # the test tells the conventions apart: with left and right swapped most pairs fall outside the tolerance
    outside = 0
    for (a, b), score in zip(pairs, theirs, strict=True):
        (lp_ab, tol1), (lp_ba, tol2) = log_p(b, a, flip=True), log_p(a, b, flip=True)
        outside += abs(score - (lp_ab + lp_ba)) > tol1 + tol2
    assert outside > len(pairs) // 2


# ---------------------------------------------------------------- the path-walk exercise (a function)
def test_path_walk_exercise_accepts_the_reference_and_every_hint_fires(capsys):
    assert checks.check_path_walk(checks.path_walk_reference)
    assert "Correct" in capsys.readouterr().out
    for wrong, hint in checks.PATH_WALK_MISTAKES:
        assert not checks.check_path_walk(wrong)
        assert hint in capsys.readouterr().out, wrong.__name__
    assert not checks.check_path_walk(...)
    assert "Not answered" in capsys.readouterr().out

    def stub(h, inner, nodes, codes):
        ...

    checks.check_path_walk(stub)
    assert capsys.readouterr().out.startswith("✏️ Not answered")


def test_path_walk_cases_use_both_turns_and_the_reference_is_the_package_walk():
    rng = np.random.default_rng(5)
    tree = hs.HuffmanTree.build(rng.integers(1, 30, size=11))
    h, inner = rng.normal(size=3), rng.normal(size=(tree.n_inner, 3))
    for w in range(tree.n_leaves):
        nodes, codes = tree.path(w)
        assert checks.path_walk_reference(h, inner, nodes, codes) == pytest.approx(
            hs.path_probability(tree, w, h, inner), rel=1e-12)
    for _, _, _, codes in checks.path_walk_cases():
        assert set(codes.tolist()) == {0, 1}


# ---------------------------------------------------------------- losses finite and equal to torch at ±1000
@pytest.mark.parametrize("scale", [1000.0, -1000.0, 300.0])
def test_path_losses_are_finite_and_equal_torch_for_extreme_scores(scale):
    rng = np.random.default_rng(int(abs(scale)))
    center, rows, codes = scale * rng.normal(size=3), rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    loss, g = hs.path_loss_and_grad(center, rows, codes)
    tc, tr = torch.tensor(center, requires_grad=True), torch.tensor(rows, requires_grad=True)
    ref = hs.path_loss_torch(tc, tr, codes)
    ref.backward()
    assert np.isfinite(loss) and loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(g["center"], tc.grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(g["rows"], tr.grad.numpy(), atol=1e-9)
    tree = hs.HuffmanTree.build(rng.integers(1, 20, size=9))
    pairs = rng.integers(0, tree.n_leaves, size=(6, 2))
    params = {"W_in": scale * rng.normal(size=(tree.n_leaves, 3)), "inner": rng.normal(size=(tree.n_inner, 3))}
    ours, grads = hs.skipgram_hs_loss_and_grad(params, pairs, tree)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    theirs = hs.skipgram_hs_loss_torch(t, pairs, tree)
    theirs.backward()
    assert np.isfinite(ours) and ours == pytest.approx(theirs.item(), rel=1e-12)
    for k in params:
        np.testing.assert_allclose(grads[k], t[k].grad.numpy(), atol=1e-9)
    L = int(tree.lengths[pairs[:, 1]].max())
    b_loss, _, _ = train.hs_batch_loss_and_grad(
        torch.tensor(params["W_in"][pairs[:, 0]]), torch.tensor(params["inner"]),
        torch.as_tensor(tree.nodes[pairs[:, 1], :L]), torch.as_tensor(tree.codes[pairs[:, 1], :L]),
        torch.as_tensor(tree.mask[pairs[:, 1], :L]))
    assert b_loss.item() == pytest.approx(ours * len(pairs), rel=1e-12)


def test_average_depth_with_weights_and_the_lecture_path_figure():
    tree = hs.HuffmanTree.build([8, 4, 2, 1, 1])
    assert tree.average_depth() == pytest.approx((8 * 1 + 4 * 2 + 2 * 3 + 1 * 4 + 1 * 4) / 16)
    assert tree.average_depth(np.array([0, 0, 0, 1, 1])) == pytest.approx(4.0)
    assert tree.average_depth(np.ones(5)) == pytest.approx(np.mean(tree.lengths))
    with pytest.raises(ValueError, match="weights"):
        tree.average_depth(np.zeros(5))
    with pytest.raises(ValueError, match="weights"):
        tree.average_depth(np.ones(4))
    fig = figures.draw_lecture_path()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"1.00", "0.90", "0.95", "0.65", "0.20", "language"} <= set(texts)
    assert "0.1111" not in " ".join(texts) + fig.axes[0].get_title()  # never the exercise's answer
    with pytest.raises(ValueError, match="branches"):
        figures.draw_lecture_path([0.5, 1.5])


# ---------------------------------------------------------------- the Huffman exercise
def _huffman_other_ties(counts):
    """Huffman's algorithm breaking ties the other way (newest node first): another tree, the same total."""
    heap = [(c, -i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    children, V = {}, len(counts)
    for new in range(V, 2 * V - 1):
        (c1, a), (c2, b) = heapq.heappop(heap), heapq.heappop(heap)
        children[new] = (-a, -b)
        heapq.heappush(heap, (c1 + c2, -new))
    codes, stack = [""] * V, [(2 * V - 2, "")]
    while stack:
        node, code = stack.pop()
        if node < V:
            codes[node] = code
        else:
            stack += [(children[node][0], code + "0"), (children[node][1], code + "1")]
    return codes


def test_huffman_exercise_accepts_any_tie_breaking_and_every_hint_fires(capsys):
    assert checks.check_huffman(checks.huffman_reference)
    assert checks.check_huffman(_huffman_other_ties)
    assert any(_huffman_other_ties(list(c)) != checks.huffman_reference(list(c)) for (c,) in checks.HUFFMAN_CASES)
    assert capsys.readouterr().out.count("✅") == 2
    for wrong, hint in checks.HUFFMAN_MISTAKES:
        assert not checks.check_huffman(wrong)
        assert hint in capsys.readouterr().out, wrong.__name__
    assert not checks.check_huffman(...)
    assert "Not answered" in capsys.readouterr().out
    assert not checks.check_huffman(lambda counts: ["0"] * (len(counts) - 1))
    assert "list of" in capsys.readouterr().out


def test_code_summary_counts_bits_and_finds_prefixes():
    assert checks.code_summary(["0", "10", "11"], [5, 2, 1]) == (5 + 4 + 2, 1.0)
    assert checks.code_summary(["0", "01", "11"], [1, 1, 1]) == (5, 0.0)
    assert checks.code_summary(["00", "01", "1"], [1, 1, 2]) == (6, 1.0)
