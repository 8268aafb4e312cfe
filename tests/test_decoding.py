"""decoding.beam_search over an abstract expand function (used by hsoftmax's tree search and notebook 07)."""

import math

import pytest

from nlpcourse.decoding import Hypothesis, beam_search, greedy_search

# A two-step toy problem where greedy misses: after "a" both continuations are mediocre,
# after "b" one continuation is very likely.
STEPS = {
    "": [("a", 0.6), ("b", 0.4)],
    "a": [("aa", 0.5), ("ab", 0.5)],
    "b": [("ba", 0.9), ("bb", 0.1)],
}


def expand(state):
    return [(nxt, math.log(p)) for nxt, p in STEPS[state]]


def is_final(state):
    return len(state) == 2


def test_greedy_takes_the_locally_best_step_and_misses():
    hyp = greedy_search("", expand, is_final)
    assert hyp.states == ("", "a", "aa")
    assert math.isclose(math.exp(hyp.score), 0.3)


def test_beam_of_two_finds_the_best_and_returns_sorted_hypotheses():
    hyps = beam_search("", expand, is_final, beam_size=2)
    assert [h.state for h in hyps] == ["ba", "aa"]
    assert math.isclose(math.exp(hyps[0].score), 0.36)
    assert all(h.finished for h in hyps)
    assert hyps[0].score >= hyps[1].score


def test_a_beam_as_wide_as_the_space_is_exhaustive():
    hyps = beam_search("", expand, is_final, beam_size=4)
    assert [h.state for h in hyps] == ["ba", "aa", "ab", "bb"]  # 0.36, 0.3, 0.3 (first found first), 0.04
    assert sum(math.exp(h.score) for h in hyps) == pytest.approx(1.0)


def test_hypotheses_of_different_lengths():
    # "stop" ends early with probability 0.5; the long path has 0.5 · 0.9
    steps = {"": [("stop", 0.5), ("go", 0.5)], "go": [("go-on", 0.9), ("go-x", 0.1)]}
    hyps = beam_search("", lambda s: [(n, math.log(p)) for n, p in steps[s]],
                       lambda s: s in ("stop", "go-on", "go-x"), beam_size=2)
    assert [h.state for h in hyps] == ["stop", "go-on"]


def test_start_already_final_and_max_steps():
    assert beam_search("aa", expand, is_final, beam_size=3) == [Hypothesis(("aa",), 0.0, True)]
    # one step only: nothing finished, the beam comes back as it stands
    hyps = beam_search("", expand, is_final, beam_size=2, max_steps=1)
    assert [h.state for h in hyps] == ["a", "b"] and not any(h.finished for h in hyps)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_bad_beam_size(bad, error):
    """Through ``validate.positive_int``: a wrong value is a ValueError, a wrong type (float, bool) a TypeError."""
    with pytest.raises(error, match="beam_size: expected an int >= 1"):
        beam_search("", expand, is_final, beam_size=bad)


def test_numpy_ints_are_sizes():
    assert beam_search("", expand, is_final, beam_size=np.int64(2)) == beam_search("", expand, is_final, beam_size=2)
    assert greedy_search("", expand, is_final, max_steps=np.int32(5)) == greedy_search("", expand, is_final)


# ================================================================ the step-function searches (notebook 07)

import itertools  # noqa: E402

import numpy as np  # noqa: E402

from nlpcourse import decoding as dec  # noqa: E402
from nlpcourse.decoding import hf, models  # noqa: E402

BOS, EOS, A, THE, DOG, CAT = range(6)
TOY = dec.TOY_TABLE  # greedy: "the dog" 0.6 · 0.55 = 0.33; the best sequence is "a dog": 0.4 · 0.9 = 0.36
KW = dict(max_new_tokens=3, eos_token_id=EOS, pad_token_id=BOS)


def toy_step():
    return dec.table_step(TOY)


def test_toy_greedy_misses_and_beam_finds_the_best():
    seqs, lp = dec.greedy_decode(toy_step(), [[BOS]], **KW)
    assert seqs.tolist() == [[BOS, THE, DOG, EOS]] and math.isclose(math.exp(lp[0]), 0.33)
    seqs, scores = dec.generate(toy_step(), [[BOS]], num_beams=2, length_penalty=0.0, **KW)
    assert seqs.tolist() == [[BOS, A, DOG, EOS]] and math.isclose(math.exp(scores[0]), 0.36)
    seqs, scores = dec.exhaustive_decode(toy_step(), [[BOS]], length_penalty=0.0, num_return_sequences=4, **KW)
    assert seqs[:, 1:3].tolist() == [[A, DOG], [THE, DOG], [THE, CAT], [A, CAT]]
    assert np.allclose(np.exp(scores), [0.36, 0.33, 0.27, 0.04])


def test_count_sequences_matches_exhaustive_enumeration():
    for V, T in [(3, 1), (3, 3), (4, 4), (5, 2)]:
        step = dec.random_step(V, seed=1)
        _, scores = dec.exhaustive_decode(step, [[0]], max_new_tokens=T, eos_token_id=1, pad_token_id=0,
                                          num_return_sequences=10**4)
        assert np.isfinite(scores).sum() == dec.count_sequences(V, T)
        _, scores = dec.exhaustive_decode(step, [[0]], max_new_tokens=T, eos_token_id=None, pad_token_id=0,
                                          num_return_sequences=10**4)
        assert np.isfinite(scores).sum() == dec.count_sequences(V, T, eos=False) == V**T


def test_prune_takes_the_best_over_all_beams():
    rng = np.random.default_rng(0)
    for _ in range(20):
        beam_scores, logp = rng.normal(size=3), rng.normal(size=(3, 7))
        scores = beam_scores[:, None] + logp
        beam, token, s = dec.prune(beam_scores, logp, 5)
        assert np.allclose(s, np.sort(scores.ravel())[::-1][:5]) and np.allclose(scores[beam, token], s)


def test_prune_is_a_stable_sort_of_all_candidates():
    """prune partitions instead of sorting all k·V: the same n best, ties (and −inf) to the lower flat index."""
    rng = np.random.default_rng(1)
    for trial in range(500):
        k, V = rng.integers(1, 5), rng.integers(1, 30)
        logp = rng.integers(-3, 1, size=(k, V)).astype(float) if trial % 2 else rng.normal(size=(k, V))
        logp[rng.random((k, V)) < 0.3] = -np.inf
        beam_scores = np.full(k, -np.inf) if trial % 7 == 0 else rng.integers(-2, 1, size=k).astype(float)
        n = int(rng.integers(1, k * V + 1))
        scores = (beam_scores[:, None] + logp).ravel()
        best = np.argsort(-scores, kind="stable")[:n]
        beam, token, s = dec.prune(beam_scores, logp, n)
        assert np.array_equal(beam * V + token, best) and np.array_equal(s, scores[best])


def test_length_normalised_is_hf_formula():
    assert dec.length_normalised(-6.0, 3, 1.0) == -2.0 and dec.length_normalised(-6.0, 3, 0.0) == -6.0
    assert math.isclose(dec.length_normalised(-8.0, 4, 2.0), -0.5)


@pytest.mark.parametrize("seed", range(6))
def test_beam_of_one_is_greedy(seed):
    step = dec.random_step(5, seed=seed, temperature=0.7)
    prompts = [[0, 2], [3, 4]]
    g, glp = dec.greedy_decode(step, prompts, max_new_tokens=6, eos_token_id=1, pad_token_id=0)
    # HF's k = 1 beam search is greedy except with early_stopping="never" and alpha > 0 (it then keeps
    # searching past an EOS for a longer hypothesis with a better normalised score)
    for es, alpha in itertools.product((True, False, "never"), (-1.0, 0.0, 1.0, 2.0)):
        if es == "never" and alpha > 0:
            continue
        seqs, scores = dec.generate(step, prompts, num_beams=1, max_new_tokens=6, eos_token_id=1, pad_token_id=0,
                                    length_penalty=alpha, early_stopping=es)
        assert seqs.tolist() == g.tolist()
        lengths = np.array([r.index(1) + 1 if 1 in r else len(r) for r in g[:, 2:].tolist()])
        assert np.allclose(scores, glp / lengths**alpha)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0, 2.0])
def test_wide_beam_is_exhaustive(seed, alpha):
    V, T = 4, 4
    step = dec.random_step(V, seed=seed)
    n = dec.count_sequences(V, T)
    kw = dict(max_new_tokens=T, eos_token_id=1, pad_token_id=0, length_penalty=alpha)
    ex_seqs, ex_scores = dec.exhaustive_decode(step, [[2], [3]], num_return_sequences=5, **kw)
    # "never" (alpha > 0) bounds what an open beam can still reach: exact. With alpha = 0 False is exact too,
    # and True stops once k hypotheses finished: with k >= all sequences, only when all have.
    for es in ("never",) + ((False, True) if alpha == 0 else ()):
        seqs, scores = dec.generate(step, [[2], [3]], num_beams=n, num_return_sequences=5, early_stopping=es, **kw)
        assert seqs.tolist() == ex_seqs.tolist() and np.allclose(scores, ex_scores)


def test_narrow_beam_never_beats_exhaustive():
    step = dec.random_step(4, seed=3)
    kw = dict(max_new_tokens=5, eos_token_id=1, pad_token_id=0, length_penalty=1.0)
    _, best = dec.exhaustive_decode(step, [[2]], **kw)
    for k in (1, 2, 3):
        _, s = dec.generate(step, [[2]], num_beams=k, early_stopping="never", **kw)
        assert s[0] <= best[0] + 1e-12


def test_a_batch_decodes_like_its_prompts_one_by_one():
    step = dec.random_step(6, seed=2, temperature=0.5)
    prompts = [[0, 2], [3, 4], [5, 5]]
    kw = dict(num_beams=3, max_new_tokens=5, eos_token_id=1, pad_token_id=0, num_return_sequences=2)
    seqs, scores = dec.generate(step, prompts, **kw)
    for b, p in enumerate(prompts):
        s1, sc1 = dec.generate(step, [p], **kw)
        assert np.allclose(scores[2 * b : 2 * b + 2], sc1)
        assert seqs[2 * b : 2 * b + 2, : s1.shape[1]].tolist() == s1.tolist()


def test_one_step_call_expands_every_beam_of_every_input():
    counter = dec.counting(dec.random_step(8, seed=0))
    dec.generate(counter, [[2], [3]], num_beams=3, max_new_tokens=4, eos_token_id=None, pad_token_id=0)
    assert counter.calls == 4 and counter.rows == 2 * (1 + 3 + 3 + 3)


def test_ban_renormalises():
    step = dec.ban(dec.random_step(5, seed=0), [3])
    lp = step(np.array([[0], [1]]))
    assert np.all(lp[:, 3] == -np.inf) and np.allclose(np.exp(lp).sum(axis=1), 1)


def test_search_state_records_the_tree():
    state = dec.start([BOS])
    cfg = dec.BeamConfig(2, 3, EOS, BOS, length_penalty=0.0)
    while not state.done:
        dec.expand(toy_step(), [state], cfg)
    statuses = [n.status for n in state.nodes]
    assert statuses[0] == "start" and statuses.count("finished") == 2
    assert {n.status for n in state.nodes} <= {"start", "kept", "pruned", "finished"}
    assert all(state.nodes[n.parent].depth == n.depth - 1 for n in state.nodes[1:])


# ---------------------------------------------------------------- against transformers' generate

def test_same_as_hf_generate_over_a_grid():
    df = hf.agreement(seeds=range(3), widths=(1, 2, 4), length_penalties=(-0.5, 0.0, 1.5), max_new_tokens=5)
    assert len(df) == 3 * (1 + 2 * 3 * 3)  # k = 1 (greedy) once per seed: α and early_stopping do not apply
    assert df[df.num_beams == 1].length_penalty.isna().all() and (df[df.num_beams == 1].early_stopping == "—").all()
    assert df.same_sequences.all(), df[~df.same_sequences]
    beams = df[df.num_beams > 1]
    assert (beams.max_score_diff < 2e-5).all()  # float32 (HF) vs float64 (ours) sums of ~5 log-probs
    assert df.eos_ended.sum() > 0.2 * df.rows.sum()  # the EOS rules are exercised, not only the length limit


def test_same_as_hf_with_fewer_return_sequences_and_longer_prompts():
    model, step, prompts, eos, pad = hf.reference_problem(7, batch=3, prompt_length=5)
    for k, n in [(3, 1), (4, 2), (5, 5)]:
        kw = dict(num_beams=k, max_new_tokens=6, eos_token_id=eos, pad_token_id=pad, length_penalty=1.3,
                  early_stopping=False, num_return_sequences=n)
        ref, ref_scores = hf.hf_generate(model, prompts, **kw)
        seqs, scores = dec.generate(step, prompts, **kw)
        assert seqs.tolist() == ref.tolist() and np.allclose(scores, ref_scores, atol=1e-5)
    # hf_generate checks its arguments as generate does (BeamConfig), before calling the model; numpy ints are fine
    kw = dict(max_new_tokens=3, eos_token_id=eos, pad_token_id=pad)
    for bad, error in [(dict(num_beams=2.5), TypeError), (dict(num_beams=True), TypeError),
                       (dict(num_beams=0), ValueError), (dict(num_beams=2, num_return_sequences=3), ValueError)]:
        with pytest.raises(error, match="num_beams" if "num_return_sequences" not in bad else "num_return_sequences"):
            hf.hf_generate(model, prompts, **{**kw, **bad})
    assert hf.hf_generate(model, prompts, num_beams=np.int64(2), **kw)[0].tolist() == \
        hf.hf_generate(model, prompts, num_beams=2, **kw)[0].tolist()


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("over, error, message", [
    (dict(num_beams=0), ValueError, "num_beams: expected an int >= 1, got 0"),
    (dict(num_beams=2.0), TypeError, "num_beams: expected an int >= 1"),
    (dict(num_return_sequences=3), ValueError, "num_return_sequences: expected at most num_beams = 2"),
    (dict(max_new_tokens=0), ValueError, "max_new_tokens: expected an int >= 1, got 0"),
    (dict(early_stopping="always"), ValueError, "early_stopping: expected one of"),
    (dict(early_stopping=1), TypeError, "early_stopping: expected True, False or 'never'"),
    (dict(length_penalty=float("nan")), ValueError, "length_penalty: expected a finite number"),
    (dict(eos_token_id=6), ValueError, r"eos_token_id: expected a token id in \[0, 6\)"),
])
def test_bad_settings(over, error, message):
    kw = {**dict(num_beams=2, max_new_tokens=3, eos_token_id=EOS, pad_token_id=BOS), **over}
    with pytest.raises(error, match=message):
        dec.generate(toy_step(), [[BOS]], **kw)


@pytest.mark.parametrize("prompts, message", [
    ([[]], r"input_ids: expected non-empty prompts"),
    ([[0, 1], [2]], r"input_ids: expected prompts of equal length .* got lengths \[2, 1\]"),
    ([0, 1], "input_ids: expected a 2-D array"),
    ([[0, 9]], r"input_ids: expected token ids in \[0, 6\)"),
    ([[-1]], "input_ids: expected token ids >= 0"),
])
def test_bad_prompts(prompts, message):
    with pytest.raises(ValueError, match=message):
        dec.generate(dec.random_step(6), prompts, num_beams=2, max_new_tokens=3, eos_token_id=EOS, pad_token_id=BOS)


def logits_step(prefixes):
    return np.random.default_rng(0).normal(size=(len(prefixes), 5))


@pytest.mark.parametrize("step, message", [
    (lambda p: np.zeros((1, 5)) - np.log(5), r"step: expected shape \(2, V\)"),               # one row, 2 prefixes
    (lambda p: np.full((len(p), 5), 0.2), "these are probabilities .* return their log"),
    (logits_step, "logsumexp"),
    (lambda p: np.full((len(p), 5), np.nan), "got NaN or \\+inf"),
    (lambda p: np.full((len(p), 4), -np.log(5.0)), "the rows are not normalised"),
    (lambda p: "log-probs", "step: expected an array of numbers"),
])
def test_bad_step_functions_are_explained(step, message):
    with pytest.raises((ValueError, TypeError), match=message):
        dec.generate(step, [[0], [1]], num_beams=2, max_new_tokens=2, eos_token_id=1, pad_token_id=0)


def test_step_that_changes_its_vocabulary():
    calls = []

    def step(p):
        calls.append(1)
        V = 4 if len(calls) == 1 else 5
        return np.full((len(p), V), -np.log(V))

    with pytest.raises(ValueError, match="with V = 4"):
        dec.generate(step, [[0]], num_beams=2, max_new_tokens=3, eos_token_id=1, pad_token_id=0)


def test_toy_table_names_a_missing_prefix():
    with pytest.raises(KeyError, match=r"no row for the generated tokens \(0,\)"):
        dec.table_step({(): [1.0, 0.0]})(np.array([[0, 0]]))


# ---------------------------------------------------------------- real models

def test_same_as_hf_on_vocabularies_smaller_than_2k():
    for seed, V, k in [(0, 4, 4), (1, 4, 5), (2, 5, 5), (3, 6, 4)]:
        model = hf.tiny_gpt2(seed, hf.TinyGPT2(vocab_size=V))
        kw = dict(num_beams=k, max_new_tokens=4, eos_token_id=1, pad_token_id=2, num_return_sequences=k)
        ref, ref_scores = hf.hf_generate(model, [[3, 0]], **kw)
        seqs, scores = dec.generate(hf.hf_step(model), [[3, 0]], **kw)
        assert seqs.tolist() == ref.tolist() and np.allclose(scores, ref_scores, atol=1e-5)


def test_hf_pads_with_eos_when_the_pad_id_is_0():
    # transformers' fill value is `pad_token_id or eos_token_id`: a pad id of 0 is replaced by the EOS id.
    # Ours pads with the pad id asked for; apart from that the outputs are the same.
    any_padded = False
    for seed in (0, 1, 4):  # 1 and 4 have hypotheses that end early
        model, step, prompts, eos, _ = hf.reference_problem(seed)
        prompts = np.where(prompts == 0, 5, prompts)
        kw = dict(num_beams=3, max_new_tokens=6, eos_token_id=eos, pad_token_id=0, num_return_sequences=3)
        ref, _ = hf.hf_generate(model, prompts, **kw)
        seqs, _ = dec.generate(step, prompts, **kw)
        padded = np.zeros_like(seqs, dtype=bool)
        for r, row in enumerate(seqs.tolist()):
            gen = row[prompts.shape[1]:]
            if eos in gen:
                padded[r, prompts.shape[1] + gen.index(eos) + 1:] = True
        assert np.all(ref[padded] == eos) and np.all(seqs[padded] == 0)
        assert np.array_equal(seqs[~padded], ref[~padded])
        any_padded |= bool(padded.any())
    assert any_padded


def test_hf_step_with_and_without_cache_agree():
    model, step, prompts, eos, pad = hf.reference_problem(1, batch=2, prompt_length=3)
    no_cache = hf.hf_step(model, cache=False)
    kw = dict(num_beams=3, max_new_tokens=5, eos_token_id=eos, pad_token_id=pad, num_return_sequences=3)
    a, b = dec.generate(step, prompts, **kw), dec.generate(no_cache, prompts, **kw)
    assert a[0].tolist() == b[0].tolist() and np.allclose(a[1], b[1], atol=1e-5)
    # a call that does not extend the previous one runs the whole prefixes
    assert np.allclose(step(prompts[:, :2]), no_cache(prompts[:, :2]), atol=1e-5)


def test_course_lm_and_its_step():
    m = models.course_lm()
    step = models.window_lm_step(m)
    ctx = np.array([[m.bos_id] * 3, [3, 4, 5], [7, 8, 9]])
    assert np.allclose(step(ctx), m.logprobs(ctx), atol=1e-12)
    assert np.allclose(step(np.array([[m.bos_id, 3]])), m.logprobs(np.array([[m.bos_id, m.bos_id, 3]])))
    p = models.encode_prompt(m, "police said")
    assert models.decode(m, p[0]) == "police said"
    with pytest.raises(KeyError, match="not in the model's vocabulary"):
        models.encode_prompt(m, "police zzzqqq")


def test_prompts_and_heldout_sentences_come_from_the_corpus():
    from nlpcourse.mlp import language_model

    m = models.course_lm()
    sentences = [s for d in language_model.load_documents() for s in d]
    for prompt in models.PROMPTS:
        words = prompt.split()
        assert any(s[: len(words)] == words for s in sentences), prompt
    held = models.heldout_sentences(m, n=5)
    assert len(held) == 5 and len({p + " ".join(r) for p, r in held}) == 5
    assert all(r[-1] == "</s>" and all(w in m.vocab for w in r) for _, r in held)


def _generated(m, seq, prompt):  # notebook 07's former inline helper, the reference of models.continuation
    return [t for t in seq[prompt.shape[1]:].tolist() if t != m.bos_id]


def test_the_notebooks_lm_searches_equal_its_former_inline_code():
    """continuation, best_hypotheses, diagnose_continuation and compare_searches: what cells 32, 44 and 47 of
    notebook 07 computed inline, on the course LM."""
    m = models.course_lm()
    step = models.lm_step(m)
    lm_kw = dict(max_new_tokens=15, eos_token_id=m.eos_id, pad_token_id=m.bos_id)
    texts = models.PROMPTS[:2]
    prompt = models.encode_prompt(m, "the united states")
    seqs, _ = dec.generate(step, prompt, num_beams=5, num_return_sequences=5, **lm_kw)
    assert [models.continuation(m, s, prompt) for s in seqs] == [_generated(m, s, prompt) for s in seqs]
    # cell 32: each prompt's best hypothesis, its length and raw log-probability
    for alpha in (0.0, 2.0):
        cfg = dec.BeamConfig(num_beams=5, length_penalty=alpha, early_stopping="never", **lm_kw)
        lengths, logps = [], []
        for text in texts:
            p = models.encode_prompt(m, text)
            s, _ = dec.generate(step, p, num_beams=5, length_penalty=alpha, early_stopping="never", **lm_kw)
            out = _generated(m, s[0], p)
            lengths.append(len(out))
            logps.append(dec.sequence_logprob(step, p[0], out))
        assert models.best_hypotheses(m, texts, cfg, step) == (lengths, logps)
    assert models.best_hypotheses(m, texts[:1], cfg) == (lengths[:1], logps[:1])  # step None: lm_step(model)
    # cell 44: a held-out sentence's diagnosis
    cfg = dec.BeamConfig(num_beams=5, length_penalty=0.0, early_stopping="never", **lm_kw)
    text, ref_words = models.heldout_sentences(m, n=1)[0]
    p = models.encode_prompt(m, text)
    s, _ = dec.generate(step, p, num_beams=5, length_penalty=0.0, early_stopping="never", **lm_kw)
    out, ref = _generated(m, s[0], p), [m.vocab.stoi[w] for w in ref_words]
    assert models.diagnose_continuation(m, text, ref_words, cfg, step) == {
        "prompt": text, "reference": " ".join(ref_words[:-1]), "log p(ref)": dec.sequence_logprob(step, p[0], ref),
        "beam output": models.decode(m, out[:-1]), "log p(output)": dec.sequence_logprob(step, p[0], out),
        "verdict": dec.diagnose(step, p[0], out, ref)}
    # cell 47: greedy, then beams k = 1, 3 at α = 1
    text = texts[1]
    p = models.encode_prompt(m, text)
    g, glp = dec.greedy_decode(step, p, **lm_kw)
    out = _generated(m, g[0], p)
    rows = [{"prompt": text, "search": "greedy", "continuation": models.decode(m, out), "log p": glp[0],
             "score": dec.length_normalised(glp[0], len(out), 1.0)}]
    for k in (1, 3):
        s, scores = dec.generate(step, p, num_beams=k, **lm_kw)
        out = _generated(m, s[0], p)
        rows.append({"prompt": text, "search": f"beam k = {k}", "continuation": models.decode(m, out),
                     "log p": dec.sequence_logprob(step, p[0], out), "score": scores[0]})
    configs = [dec.BeamConfig(num_beams=k, length_penalty=1.0, **lm_kw) for k in (1, 3)]
    assert models.compare_searches(m, text, configs, step) == rows


def test_the_notebooks_lm_searches_name_their_bad_arguments():
    m = models.course_lm()
    step = models.lm_step(m)
    lm_kw = dict(max_new_tokens=3, eos_token_id=m.eos_id, pad_token_id=m.bos_id)
    cfg = dec.BeamConfig(num_beams=2, **lm_kw)
    prompt = models.encode_prompt(m, "it is")
    with pytest.raises(TypeError, match=r"sequence: expected an array of ints, got dtype float64"):
        models.continuation(m, np.array([1.0, 2.0]), prompt)
    with pytest.raises(ValueError, match=r"sequence: expected a 1-D array"):
        models.continuation(m, prompt, prompt)
    with pytest.raises(ValueError, match=r"prompt: expected shape \(1, \?\), got \(3,\)"):
        models.continuation(m, prompt[0], prompt[0])
    with pytest.raises(TypeError, match=r"cfg: expected a decoding.BeamConfig, got \{.*\(dict\)"):
        models.best_hypotheses(m, ["it is"], dict(num_beams=2, **lm_kw), step)
    with pytest.raises(TypeError, match="texts: expected a list of prompt texts, got a str"):
        models.best_hypotheses(m, "it is", cfg, step)
    with pytest.raises(ValueError, match="texts: expected at least one of the prompt texts"):
        models.best_hypotheses(m, [], cfg, step)
    with pytest.raises(KeyError, match="text: words not in the model's vocabulary"):
        models.best_hypotheses(m, ["it zzzqqq"], cfg, step)
    with pytest.raises(TypeError, match=r"cfg: expected a decoding.BeamConfig, got None \(NoneType\)"):
        models.diagnose_continuation(m, "it is", ["a", "</s>"], None, step)
    with pytest.raises(KeyError, match=r"reference: words not in the model's vocabulary: \['zzzqqq'\]"):
        models.diagnose_continuation(m, "it is", ["zzzqqq", "</s>"], cfg, step)
    with pytest.raises(ValueError, match="reference: expected at least one of the words"):
        models.diagnose_continuation(m, "it is", [], cfg, step)
    with pytest.raises(TypeError, match=r"configs: expected a decoding.BeamConfig, got 3 \(int\)"):
        models.compare_searches(m, "it is", [cfg, 3], step)
    with pytest.raises(ValueError, match="configs: expected at least one of the BeamConfigs"):
        models.compare_searches(m, "it is", [], step)
    with pytest.raises(ValueError, match="configs: expected the same max_new_tokens, .* in every config"):
        models.compare_searches(m, "it is", [cfg, dec.BeamConfig(num_beams=3, length_penalty=0.0, **lm_kw)], step)


def test_the_tree_as_a_step_function_finds_the_most_probable_leaves():
    from nlpcourse.hsoftmax import figures as hs_figures
    from nlpcourse.hsoftmax import search as hs

    toy = hs_figures.toy_example()
    tree = toy.tree
    for center in ("natural", "language", tree.symbols[-1]):
        h = toy.center_at(center)
        step = models.tree_step(tree, h, toy.inner)
        kw = dict(max_new_tokens=tree.max_depth + 1, eos_token_id=2 * tree.n_leaves - 1, pad_token_id=tree.root,
                  length_penalty=0.0)
        best = hs.exhaustive_search(tree, h, toy.inner, k=3)
        seqs, scores = dec.generate(step, models.tree_prompt(tree), num_beams=tree.n_leaves,
                                    num_return_sequences=3, early_stopping="never", **kw)
        assert [models.tree_leaf(tree, s) for s in seqs] == [w for w, _ in best]
        assert np.allclose(np.exp(scores), [p for _, p in best])
        seqs, _ = dec.greedy_decode(step, models.tree_prompt(tree), max_new_tokens=kw["max_new_tokens"],
                                    eos_token_id=kw["eos_token_id"], pad_token_id=tree.root)
        assert models.tree_leaf(tree, seqs[0]) == hs.tree_search(tree, h, toy.inner, beam_size=1)[0][0]


# ---------------------------------------------------------------- exercises: the right answer passes, every hint fires

from nlpcourse.decoding import checks, figures, widgets  # noqa: E402
from nlpcourse.plotting import layout_problems  # noqa: E402


@pytest.mark.parametrize("check, right, mistakes", [
    (checks.check_greedy, checks.reference_greedy, checks.GREEDY_MISTAKES),
    (checks.check_beam_step, checks.reference_beam_step, checks.BEAM_STEP_MISTAKES),
    (checks.check_normalised, checks.reference_normalised, checks.NORMALISED_MISTAKES),
])
def test_exercise_checks(check, right, mistakes, capsys):
    assert check(right)
    assert "✅" in capsys.readouterr().out
    for wrong, hint in mistakes:
        assert not check(wrong)
        assert hint in capsys.readouterr().out, hint
    assert not check(...)
    assert "Not answered yet" in capsys.readouterr().out

    def stub(*args):
        raise NotImplementedError

    assert not check(stub)
    assert "NotImplementedError" in capsys.readouterr().out


def test_the_notebook_solutions_pass(capsys):
    def greedy(step, prompt, max_new_tokens, eos_token_id):
        tokens, total = [], 0.0
        for _ in range(max_new_tokens):
            logp = step(np.array([prompt + tokens]))[0]
            w = int(np.argmax(logp))
            tokens.append(w)
            total += logp[w]
            if w == eos_token_id:
                break
        return tokens, total

    def beam_step(beams, logp, k, eos_token_id):
        scores = np.array([s for _, s in beams])[:, None] + logp  # (len(beams), V)
        running, finished = [], []
        for rank, flat in enumerate(np.argsort(-scores, axis=None, kind="stable")[:2 * k].tolist()):
            i, w = divmod(flat, logp.shape[1])
            hyp = ((*beams[i][0], w), float(scores[i, w]))
            if w == eos_token_id:
                if rank < k:
                    finished.append(hyp)
            elif len(running) < k:
                running.append(hyp)
        return running, finished

    assert checks.check_greedy(greedy) and checks.check_beam_step(beam_step)
    assert checks.check_normalised(lambda lp, L, P, a: lp / (L - P) ** a)


# ---------------------------------------------------------------- figures and the widget's logic

def test_tree_layout_and_drawing():
    state = figures.search_tree(dec.toy_step(), [BOS], **KW)
    xy = figures.tree_layout(state)
    assert xy.shape == (len(state.nodes), 2) and xy[0, 0] == 0
    leaves = {i for i in range(len(state.nodes))} - {n.parent for n in state.nodes}
    assert len({xy[i, 1] for i in leaves}) == len(leaves)  # every leaf on its own row
    fig = figures.draw_beam_tree(state, dec.TOY_WORDS, highlight={"best": (A, DOG, EOS)})
    assert len(fig.axes) == 1 and "best" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(figures.draw_search_cost(100).axes[0].lines) == 4


def test_beam_stepper_steps_resets_and_reports_bad_prompts():
    m = models.course_lm()
    s = widgets.BeamStepper(m, prompt="police said", num_beams=3)
    assert s.state.steps == 0 and len(s.state.nodes) == 1
    s.step()
    s.step()
    assert s.state.steps == 2 and all(n.depth <= 2 for n in s.state.nodes)
    s.run()
    full = models.lm_search(m, "police said", num_beams=3)
    assert s.state.done and [n.token for n in s.state.nodes] == [n.token for n in full.nodes]
    s.step()  # a stopped search stays stopped
    assert s.state.steps == full.steps
    s.reset()
    assert s.state.steps == 0
    assert s.draw().axes
    s.prompt = "zzzqqq words"
    s.reset()
    assert s.state is None and "not in the model's vocabulary" in s.error
    s.step()
    s.run()
    assert s.draw().axes[0].texts[0].get_text() == s.error


def test_beam_stepper_refuses_bad_settings():
    """A bad prompt (typed in the widget) is reported in the figure; bad settings passed in code raise."""
    m = models.course_lm()
    with pytest.raises(TypeError, match="num_beams: expected an int >= 1, got 2.5"):
        widgets.BeamStepper(m, num_beams=2.5)
    with pytest.raises(ValueError, match="max_new_tokens: expected an int >= 1, got 0"):
        widgets.BeamStepper(m, max_new_tokens=0)
    assert widgets.BeamStepper(m, num_beams=np.int64(2)).state.steps == 0


def test_beam_stepper_widget_builds_and_says_what_a_reset_did():
    w = widgets.beam_stepper(models.course_lm())
    assert len(w.children) == 3
    alpha = w.children[0].children[2]
    alpha.value = 0.5  # a new α restarts the search: the figure's title says so
    s = widgets.BeamStepper(models.course_lm())
    s.step()
    s.reset("α changed from 1.0 to 0.5: the search restarted from the prompt")
    assert "restarted" in s.draw().axes[0].get_title()
    s.step()
    assert "restarted" not in s.draw().axes[0].get_title()


@pytest.mark.parametrize("prompt, k, alpha", [("police said", 3, 1.0), ("police said", 5, 1.0),
                                              ("the united states", 8, 2.0), ("the government", 1, 0.0)])
def test_beam_tree_fits_a_laptop_screen(prompt, k, alpha):
    """Labels never overlap (the lower-priority one is left out), nothing leaves the figure, text >= 9 pt, and the
    figure is at most 4.4 inches high, so the widget's controls stay on a 768-pixel screen."""
    s = widgets.BeamStepper(models.course_lm(), prompt=prompt, num_beams=k, length_penalty=alpha)
    s.run()
    fig = s.draw()
    assert layout_problems(fig) == [] and fig.get_figheight() <= 4.4
    shown = [t.get_text() for t in fig.axes[0].texts if t.get_visible()]
    best = s.state.finished[0][1]
    assert any(t.startswith(s.model.vocab.itos[best.tokens[-1]]) for t in shown)  # the winner keeps its label


def test_toy_tree_and_cost_figures_fit():
    state = figures.search_tree(dec.toy_step(), [BOS], **KW)
    assert layout_problems(figures.draw_beam_tree(state, dec.TOY_WORDS, highlight={"best": (A, DOG, EOS)})) == []
    assert layout_problems(figures.draw_search_cost(2592, num_beams=(1, 5, 10))) == []


def test_diagnose_names_a_found_reference_and_k1_is_not_always_greedy():
    toy = dec.toy_step()
    assert dec.diagnose(toy, [BOS], [A, DOG, EOS], [A, DOG, EOS]) == "found the reference"
    assert dec.diagnose(toy, [BOS], [THE, DOG, EOS], [A, DOG, EOS]) == "search error"
    assert dec.diagnose(toy, [BOS], [A, DOG, EOS], [THE, CAT, EOS]) == "model error"
    step = dec.random_step(6, seed=11, temperature=0.5)  # greedy ends at once; k = 1, "never", α = 1 goes on
    kw = dict(max_new_tokens=6, eos_token_id=1, pad_token_id=0)
    greedy, _ = dec.greedy_decode(step, [[0]], **kw)
    beam, _ = dec.generate(step, [[0]], num_beams=1, length_penalty=1.0, early_stopping="never", **kw)
    assert greedy.tolist() == [[0, 1]] and beam.shape[1] > 2


def test_token_ids_are_ints_not_truncated_floats():
    """start and sequence_logprob refused 2.5 only by int()-truncating it to 2; now validate.int_array refuses it."""
    with pytest.raises(TypeError, match="prompt: expected an array of ints"):
        dec.start([BOS, 2.5])
    with pytest.raises(TypeError, match="tokens: expected an array of ints"):
        dec.sequence_logprob(toy_step(), [BOS], [2.0])
    assert dec.start(np.array([BOS, A])).prompt == (BOS, A)
    assert np.isclose(dec.sequence_logprob(toy_step(), [BOS], [A, DOG, EOS]), np.log(0.4 * 0.9))


def test_hf_agreement_side_by_side_equals_one_process(monkeypatch):
    """agreement runs its seeds in two processes (parallel.starmap): the same table as in one."""
    grid = dict(seeds=[1, 0], widths=(1, 3), length_penalties=(1.0,), early_stopping=(False, "never"),
                max_new_tokens=4)
    two = hf.agreement(**grid)
    monkeypatch.setenv("NLPCOURSE_PARALLEL", "0")
    assert two.equals(hf.agreement(**grid)) and list(two.seed) == [1] * 3 + [0] * 3
