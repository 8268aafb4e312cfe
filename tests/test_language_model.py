import numpy as np
import pytest
import torch

from nlpcourse.gradcheck import check_gradients
from nlpcourse.mlp.language_model import (
    BOS,
    EOS,
    UNK,
    FixedWindowLM,
    KneserNeyLM,
    LMTrainConfig,
    NGramLM,
    encode,
    lm_vocab,
    load_documents,
    perplexity,
    softmax_cross_entropy,
    train_val_split,
    train_window_lm,
    windows,
)

TOY = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"], ["the", "cat", "ran"]]


def toy(n=2):
    vocab = lm_vocab(TOY, min_count=1)
    C, T = windows(encode(TOY, vocab), n, vocab.stoi[BOS])
    return vocab, C, T


def test_vocab_encode_windows():
    vocab = lm_vocab(TOY, min_count=2)
    assert vocab.itos[:3] == [UNK, BOS, EOS] and "dog" not in vocab and "cat" in vocab
    assert vocab.counts[0] == 2  # "dog" and "a" are unknown tokens
    ids = encode([["the", "dog"]], vocab)[0]
    assert vocab.decode(ids) == ["the", UNK, EOS]
    C, T = windows(encode([["the", "dog"]], vocab), 2, vocab.stoi[BOS])
    assert vocab.decode(T) == ["the", UNK, EOS]
    assert [vocab.decode(c) for c in C] == [[BOS, BOS], [BOS, "the"], ["the", UNK]]
    with pytest.raises(ValueError, match="n: expected"):
        windows([ids], 0, 1)


def test_documents_and_split():
    docs = load_documents()
    assert len(docs) == 300 and all(s for d in docs for s in d)
    assert "a" in docs[0][0] or "a" in sum(docs[0], [])  # one-letter words kept
    tr, va = train_val_split(docs, val_docs=30)
    assert len(tr) + len(va) == sum(len(d) for d in docs) and va[-1] == docs[-1][-1]
    with pytest.raises(ValueError, match="val_docs"):
        train_val_split(docs, val_docs=300)


def test_ngram_probabilities_sum_to_one_and_match_scalar():
    vocab, C, T = toy()
    lm = NGramLM(C, T, len(vocab))
    for ctx in [C[0], C[3], np.array([vocab.stoi["dog"], vocab.stoi["ran"]])]:  # seen and unseen contexts
        lp = lm.next_token_logprobs(ctx)
        assert np.exp(lp).sum() == pytest.approx(1.0)
        w = vocab.stoi["sat"]
        assert lp[w] == pytest.approx(lm.logprob(tuple(int(i) for i in ctx), w))
    # "the cat" is followed by sat/ran: both likely
    p = np.exp(lm.next_token_logprobs([vocab.stoi["the"], vocab.stoi["cat"]]))
    assert p[vocab.stoi["sat"]] > 0.2 and p[vocab.stoi["ran"]] > 0.2 > p[vocab.stoi["dog"]]
    assert lm.perplexity(C, T) < len(vocab)
    assert perplexity(np.log(np.full(5, 0.25))) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="discount"):
        NGramLM(C, T, len(vocab), discount=1.5)


def test_window_lm_backward_vs_autograd_and_finite_differences():
    vocab, C, T = toy()
    model = FixedWindowLM(vocab, n=2, dim=3, hidden=4, seed=1)

    result = check_gradients(*model.gradient_check_functions(C, T))
    assert result.ok, str(result)


def test_window_lm_numpy_equals_torch_and_trains():
    vocab, C, T = toy()
    model = FixedWindowLM(vocab, n=2, dim=4, hidden=8, seed=0)
    lp = model.logprobs(C)
    assert np.allclose(np.exp(lp).sum(axis=1), 1.0)
    params = {k: torch.tensor(v) for k, v in model.params.items()}
    loss_t = model.torch_loss(params, C, T).item()
    assert loss_t == pytest.approx(-lp[np.arange(len(T)), T].mean())
    before = model.perplexity(C, T)
    hist = train_window_lm(model, C, T, epochs=60, batch_size=4, lr=1e-2, val=(C, T), progress=False)
    assert hist["val_perplexity"][-1] < before / 2 and len(hist["train_loss"]) == 60
    assert torch.get_num_threads() >= 1
    # next_token_logprobs pads short contexts with <s>
    assert np.allclose(model.next_token_logprobs([]), model.logprobs([[vocab.stoi[BOS]] * 2])[0])
    the = vocab.stoi["the"]
    assert np.allclose(model.next_token_logprobs([5, 6, the, the]), model.logprobs([[the, the]])[0])


def test_save_load_roundtrip(tmp_path):
    vocab, C, T = toy()
    model = FixedWindowLM(vocab, n=2, dim=4, hidden=8, seed=3)
    path = tmp_path / "lm.npz"
    model.save(path)
    loaded = FixedWindowLM.load(path)
    assert loaded.vocab.itos == vocab.itos and loaded.n == 2 and loaded.eos_id == vocab.stoi[EOS]
    assert np.allclose(loaded.next_token_logprobs(C[3]), model.next_token_logprobs(C[3]))


def test_bad_inputs():
    vocab, C, T = toy()
    model = FixedWindowLM(vocab, n=2, dim=4, hidden=8)
    with pytest.raises(ValueError, match=r"contexts: expected shape \(N, 2\), got \(5, 3\)"):
        model.logprobs(np.zeros((5, 3), dtype=int))
    with pytest.raises(ValueError, match="contexts: expected ids in"):
        model.logprobs(np.full((1, 2), 999))
    with pytest.raises(ValueError, match="batch_size"):
        train_window_lm(model, C, T, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="targets"):
        train_window_lm(model, C, T[:-1], progress=False)
    with pytest.raises(KeyError, match="special token"):
        from nlpcourse.data import Vocab

        FixedWindowLM(Vocab(["a", "b"], [1, 1]))
    with pytest.raises(ValueError, match="dim"):
        FixedWindowLM(vocab, dim=0)


def test_course_lm_trains_saves_and_loads(tmp_path):
    from nlpcourse.mlp.language_model import COURSE_LM, course_lm

    path = tmp_path / "sub" / "lm.npz"
    model = course_lm(path, epochs=1)
    assert path.exists() and model.n == COURSE_LM["n"] and model.dim == COURSE_LM["dim"]
    again = course_lm(path)  # loaded, not retrained
    assert np.allclose(again.next_token_logprobs([model.bos_id]), model.next_token_logprobs([model.bos_id]))
    lp = model.next_token_logprobs([model.vocab.stoi["the"]])
    assert lp.shape == (len(model.vocab),) and np.exp(lp).sum() == pytest.approx(1.0)


def test_scores_and_loss_and_grad_agree_with_logprobs():
    vocab, C, T = toy()
    model = FixedWindowLM(vocab, n=2, dim=3, hidden=5, seed=2)
    s = model.scores(C)
    assert s.shape == (len(C), len(vocab))
    assert np.allclose(model.logprobs(C), s - np.log(np.exp(s).sum(axis=1, keepdims=True)))
    loss, grads = model.loss_and_grad(C, T)
    assert loss == pytest.approx(np.log(model.perplexity(C, T)))
    assert {k: g.shape for k, g in grads.items()} == {k: p.shape for k, p in model.params.items()}
    with pytest.raises(ValueError, match=r"targets: expected shape \(5,\)"):
        NGramLM(C[:5], T[:4], len(vocab))


def test_sizes_are_ints_and_the_trainer_takes_one_config():
    sents = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"]] * 4
    vocab = lm_vocab(sents, min_count=1)
    for bad, name in [(dict(n=2.5), "n"), (dict(dim=True), "dim"), (dict(hidden="8"), "hidden")]:
        with pytest.raises(TypeError, match=name):
            FixedWindowLM(vocab, **bad)
    lm = FixedWindowLM(vocab, n=np.int64(2), dim=np.int64(3), hidden=4, seed=0)
    assert lm.n == 2 and lm.params["W"].shape == (4, 6)
    C, T = windows(encode(sents, vocab), 2, vocab.stoi[BOS])
    a = train_window_lm(lm, C, T, LMTrainConfig(epochs=1, batch_size=8, lr=1e-2), progress=False)
    lm2 = FixedWindowLM(vocab, n=2, dim=3, hidden=4, seed=0)
    b = train_window_lm(lm2, C, T, epochs=1, batch_size=8, lr=1e-2, progress=False)
    assert a == b
    with pytest.raises(TypeError, match="batch_size"):
        train_window_lm(lm, C, T, batch_size=2.5, progress=False)
    with pytest.raises(TypeError, match="epoch: not a field of LMTrainConfig"):
        train_window_lm(lm, C, T, epoch=1, progress=False)
    with pytest.raises(TypeError, match="model"):
        train_window_lm("lm", C, T, progress=False)


def test_the_trainer_gives_the_same_weights_on_one_or_two_threads():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    sents = [[words[i] for i in rng.integers(0, 40, size=20)] for _ in range(300)]  # 6,000 windows
    vocab = lm_vocab(sents, min_count=1)
    C, T = windows(encode(sents, vocab), 3, vocab.stoi[BOS])
    weights = []
    for threads in (1, 2):
        lm = FixedWindowLM(vocab, n=3, dim=16, hidden=32, seed=0)
        train_window_lm(lm, C, T, epochs=2, batch_size=2048, lr=1e-2, threads=threads, progress=False)
        weights.append(lm.params)
    for name in weights[0]:
        np.testing.assert_array_equal(weights[0][name], weights[1][name], err_msg=name)


def test_kneser_ney_tiny_corpus_by_hand():
    # ids: 0 = <s>, 1 = a, 2 = b, 3 = c; six bigram windows, d = 0.75
    C = np.array([[0], [1], [0], [1], [0], [3]])
    T = np.array([1, 2, 1, 3, 3, 2])
    kn = KneserNeyLM(C, T, 4)
    # continuation counts N₁₊(• w): a after {<s>}, b after {a, c}, c after {a, <s>}: 1, 2, 2 of 5 distinct bigrams
    bottom = np.array([0.0, 0.25, 1.25, 1.25]) / 5 + 0.75 * 3 / 5 / 4
    np.testing.assert_allclose(kn.unigram, bottom, atol=1e-15)
    np.testing.assert_allclose(kn.unigram, [0.1125, 0.1625, 0.3625, 0.3625], atol=1e-15)
    # after <s>: c(<s> a) = 2, c(<s> c) = 1 of 3, two types: P(w | <s>) = max(c − d, 0)/3 + 0.75·2/3·bottom(w)
    p = np.exp(kn.next_token_logprobs([0]))
    np.testing.assert_allclose(p, [0.5 * 0.1125, 1.25 / 3 + 0.5 * 0.1625, 0.5 * 0.3625, 0.25 / 3 + 0.5 * 0.3625],
                               atol=1e-15)
    np.testing.assert_allclose(np.exp(kn.next_token_logprobs([2])), bottom, atol=1e-15)  # b: never a context
    # a and c occur equally often (2 each), but a only ever follows <s>: Kneser–Ney's lower order prefers c,
    # absolute discounting's add-one unigram cannot tell them apart
    assert kn.unigram[1] < kn.unigram[3]
    ad = NGramLM(C, T, 4)
    assert ad.unigram[1] == ad.unigram[3]
    assert np.exp(ad.logprob((0,), 3)) == pytest.approx(0.25 / 3 + 0.5 * 0.3)  # add-one unigram (2+1)/(6+4)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_kneser_ney_sums_to_one_over_the_vocabulary_for_many_contexts(n):
    sentences = [s for d in load_documents()[:40] for s in d]
    vocab = lm_vocab(sentences, min_count=2)
    C, T = windows(encode(sentences, vocab), 3, vocab.stoi[BOS])
    C = C[:, 3 - n :]  # the last n words of each window (n = 0: no context)
    kn = KneserNeyLM(C, T, len(vocab))
    rng = np.random.default_rng(n)
    contexts = [*C[rng.integers(0, len(C), 40)], *rng.integers(0, len(vocab), (40, n))]  # seen, mostly unseen
    for ctx in contexts:
        lp = kn.next_token_logprobs(ctx)
        assert np.all(np.isfinite(lp)) and np.exp(lp).sum() == pytest.approx(1.0, abs=1e-12)
        w = int(rng.integers(0, len(vocab)))
        assert lp[w] == pytest.approx(kn.logprob(tuple(int(i) for i in ctx), w), abs=1e-12)
    assert kn.perplexity(C, T) < NGramLM(C, T, len(vocab)).perplexity(C, T) * 1.5
    with pytest.raises(ValueError, match="ids"):
        KneserNeyLM(C, T + len(vocab), len(vocab))


def test_kneser_ney_beats_absolute_discounting_on_held_out_windows():
    docs = load_documents()
    train_sents, val_sents = train_val_split(docs, 30)
    vocab = lm_vocab(train_sents, 3)
    C, T = windows(encode(train_sents, vocab), 2, vocab.stoi[BOS])
    Cv, Tv = windows(encode(val_sents, vocab), 2, vocab.stoi[BOS])
    kn, ad = KneserNeyLM(C, T, len(vocab)).perplexity(Cv, Tv), NGramLM(C, T, len(vocab)).perplexity(Cv, Tv)
    assert kn < ad - 3  # measured: 106.0 vs 112.8


@pytest.mark.parametrize("scale", [1.0, 100.0, 1000.0])
def test_window_lm_loss_is_finite_and_equals_torch_for_huge_scores(scale):
    vocab, C, T = toy()
    model = FixedWindowLM(vocab, n=2, dim=3, hidden=5, seed=1)
    model.params["U"] *= scale  # scores of size ~±scale
    model.params["c"][: 3] = [scale, -scale, 0.0]
    assert np.abs(model.scores(C)).max() > 0.5 * scale
    loss, grads = model.loss_and_grad(C, T)
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    ref = model.torch_loss(tensors, C, T)
    ref.backward()
    assert np.isfinite(loss) and loss == pytest.approx(ref.item(), rel=1e-12)
    for k, g in grads.items():
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, tensors[k].grad.numpy(), atol=1e-9 * scale)



@pytest.mark.parametrize("scale", [1.0, 50.0, 1e4])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_training_loss_equals_torch_cross_entropy_with_its_gradient(scale, dtype):
    g = torch.Generator().manual_seed(int(scale))
    scores = (scale * torch.randn(40, 30, generator=g, dtype=dtype)).requires_grad_()
    targets = torch.randint(0, 30, (40,), generator=g)
    ours = softmax_cross_entropy(scores, targets)
    (d_ours,) = torch.autograd.grad(3.0 * ours, scores)  # an upstream gradient other than 1
    ref = torch.nn.functional.cross_entropy(scores, targets)
    (d_ref,) = torch.autograd.grad(3.0 * ref, scores)
    eps = torch.finfo(dtype).eps
    assert torch.isfinite(ours) and abs(ours.item() - ref.item()) <= 10 * eps * max(1.0, ref.item())
    assert torch.allclose(d_ours, d_ref, rtol=0, atol=10 * eps)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):  # backward reuses p's memory
        loss = softmax_cross_entropy(scores, targets)
        loss.backward(retain_graph=True)
        loss.backward()


def _dict_lm(contexts, targets, V, d=0.75, kneser_ney=False):
    """The n-gram formulas with Counters, one window at a time: the reference for the numpy tables."""
    from collections import Counter, defaultdict

    n = contexts.shape[1]
    grams = [(*map(int, c), int(t)) for c, t in zip(contexts, targets, strict=True)]
    counts = [defaultdict(Counter) for _ in range(n + 1)]
    if kneser_ney:
        for g in grams:
            counts[n][g[:-1]][g[-1]] += 1
        for k in range(1, n):
            for g in {g[n - k - 1 :] for g in set(grams)}:
                counts[k][g[1:-1]][g[-1]] += 1
        c = np.bincount([g[-1] for g in {g[n - 1 :] for g in grams}] if n else targets, minlength=V) * 1.0
        bottom = np.maximum(c - d, 0) / c.sum() + d * np.count_nonzero(c) / c.sum() / V
    else:
        for g in grams:
            for k in range(1, n + 1):
                counts[k][g[n - k : -1]][g[-1]] += 1
        bottom = (np.bincount(targets, minlength=V) + 1.0) / (len(targets) + V)

    def logprob(context, w):
        p = bottom[w]
        for k in range(1, n + 1):
            seen = counts[k].get(tuple(context[n - k :]))
            if seen:
                total = sum(seen.values())
                p = max(seen.get(w, 0) - d, 0) / total + d * len(seen) / total * p
        return float(np.log(p))

    return logprob


@pytest.mark.parametrize("LM", [NGramLM, KneserNeyLM])
@pytest.mark.parametrize("n", [0, 1, 3])
def test_ngram_tables_equal_counting_with_dictionaries(LM, n):
    sentences = [s for d in load_documents()[:15] for s in d]
    vocab = lm_vocab(sentences, min_count=2)
    C, T = windows(encode(sentences, vocab), 3, vocab.stoi[BOS])
    C = C[:, 3 - n :]
    lm, reference = LM(C, T, len(vocab)), _dict_lm(C, T, len(vocab), kneser_ney=LM is KneserNeyLM)
    rng = np.random.default_rng(n)
    pairs = [(tuple(map(int, C[i])), int(T[i])) for i in rng.integers(0, len(C), 30)]  # seen windows, then unseen
    pairs += [(tuple(map(int, rng.integers(0, len(vocab), n))), int(rng.integers(0, len(vocab)))) for _ in range(30)]
    for ctx, w in pairs:
        assert lm.logprob(ctx, w) == reference(list(ctx), w)
    with pytest.raises(ValueError, match="contexts: 8 words of context over a vocabulary of 300"):
        LM(np.zeros((2, 8), dtype=np.int64), np.zeros(2, dtype=np.int64), 300)  # 300⁹ n-gram keys: over 2⁶³
