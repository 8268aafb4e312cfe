"""Notebook 07's exercise checks: the student's greedy decoder, pruning step and length-normalised score are run
on models and inputs they have not seen and compared with the package's reference (``nlpcourse.exercise``).

Every hint comes with the wrong implementation that triggers it (``GREEDY_MISTAKES`` …), so a test can show
each one is reachable. ``check_prune`` also runs the whole beam search with the student's pruning step in
place of ours and compares the n-best lists.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import validate
from ..exercise import check_function
from . import generate, greedy_decode, length_normalised, prune, random_step

__all__ = ["check_greedy", "check_prune", "check_normalised", "GREEDY_MISTAKES", "PRUNE_MISTAKES",
           "NORMALISED_MISTAKES", "reference_greedy", "reference_normalised"]

EOS = 1  # the end token of the check's random models


# ---------------------------------------------------------------- exercise 1: greedy decoding

def reference_greedy(step, prompt: list[int], max_new_tokens: int, eos_token_id: int) -> tuple[np.ndarray, float]:
    """The exercise's signature around ``greedy_decode``: (generated tokens (T',) with the EOS, summed log-prob)."""
    seqs, lp = greedy_decode(step, [prompt], max_new_tokens=max_new_tokens, eos_token_id=eos_token_id,
                             pad_token_id=0)
    tokens = seqs[0, len(prompt):].tolist()
    if eos_token_id in tokens:
        tokens = tokens[: tokens.index(eos_token_id) + 1]
    return np.array(tokens, dtype=np.float64), float(lp[0])


def _greedy_no_stop(step, prompt, max_new_tokens, eos_token_id):
    tokens, total = [], 0.0
    for _ in range(max_new_tokens):
        logp = step(np.array([prompt + tokens]))[0]
        tokens.append(int(np.argmax(logp)))
        total += logp[tokens[-1]]
    return np.array(tokens, dtype=np.float64), total


def _greedy_drops_eos(step, prompt, max_new_tokens, eos_token_id):
    tokens, total = reference_greedy(step, prompt, max_new_tokens, eos_token_id)
    return (tokens[:-1] if len(tokens) and tokens[-1] == eos_token_id else tokens), total


def _greedy_probability(step, prompt, max_new_tokens, eos_token_id):
    tokens, total = reference_greedy(step, prompt, max_new_tokens, eos_token_id)
    return tokens, float(np.exp(total))


def _greedy_last_logprob(step, prompt, max_new_tokens, eos_token_id):
    tokens, _ = reference_greedy(step, prompt, max_new_tokens, eos_token_id)
    toks = [int(t) for t in tokens]
    return tokens, float(step(np.array([prompt + toks[:-1]]))[0, toks[-1]])


GREEDY_MISTAKES: list[tuple[Callable, str]] = [
    (_greedy_no_stop, "you keep generating after the end token: stop as soon as the model picks EOS."),
    (_greedy_drops_eos, "your tokens stop right before the EOS: keep the EOS itself (it was generated and "
                        "scored) as the last token."),
    (_greedy_probability, "your second value looks like a probability: return the summed log-probability."),
    (_greedy_last_logprob, "your score is only the last token's log-probability: add up every step's."),
]


def _greedy_cases() -> list[tuple]:
    cases = []
    for seed, V, T in [(11, 5, 6), (12, 8, 8), (13, 4, 5), (14, 6, 10)]:
        step = random_step(V, seed=seed, temperature=0.6)
        cases += [(step, [0, 2], T, EOS), (step, [3], T, EOS)]
    return cases


def _padded(greedy: Callable) -> Callable:
    """``greedy`` with its tokens padded with −1 to ``max_new_tokens``, so outputs of different lengths are
    compared (and matched to a mistake) instead of stopping at "wrong shape"."""
    def run(step, prompt, max_new_tokens, eos_token_id):
        result = greedy(step, list(prompt), max_new_tokens, eos_token_id)
        if result is None or result is Ellipsis:
            return result
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError("greedy should return two values: (the generated tokens, their summed log-prob)")
        tokens = np.asarray(result[0], dtype=np.float64).ravel()
        if len(tokens) > max_new_tokens:
            raise ValueError(f"greedy generated {len(tokens)} tokens, more than max_new_tokens = {max_new_tokens}")
        return np.concatenate([tokens, np.full(max_new_tokens - len(tokens), -1.0)]), result[1]
    return run


def check_greedy(greedy: object) -> bool:
    """Exercise 07.1: ``greedy(step, prompt, max_new_tokens, eos_token_id) -> (tokens, logprob)``."""
    if not callable(greedy):
        return check_function(greedy, "greedy", reference_greedy, [])
    return check_function(_padded(greedy), "greedy", _padded(reference_greedy), _greedy_cases(),
                          [(_padded(wrong), hint) for wrong, hint in GREEDY_MISTAKES],
                          success="your greedy decoder matches the reference on 8 unseen models and prompts.")


# ---------------------------------------------------------------- exercise 2: the pruning step

def _prune_step_only(beam_scores, logp, n):
    flat = logp.ravel()
    best = np.argsort(-flat, kind="stable")[:n]
    beam, token = np.divmod(best, logp.shape[1])
    return beam, token, flat[best]


def _prune_per_beam(beam_scores, logp, n):
    k = len(beam_scores)
    per = -(-n // k)
    rows = [(i, w, beam_scores[i] + logp[i, w]) for i in range(k) for w in np.argsort(-logp[i], kind="stable")[:per]]
    rows = rows[:n]
    return (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))


def _prune_ascending(beam_scores, logp, n):
    beam, token, score = prune(beam_scores, logp, n)
    return beam[::-1], token[::-1], score[::-1]


def _prune_swapped(beam_scores, logp, n):
    scores = (beam_scores[:, None] + logp).ravel()
    best = np.argsort(-scores, kind="stable")[:n]
    return best % len(beam_scores), best // len(beam_scores), scores[best]


def _prune_worst(beam_scores, logp, n):
    scores = (beam_scores[:, None] + logp).ravel()
    best = np.argsort(scores, kind="stable")[:n]
    beam, token = np.divmod(best, logp.shape[1])
    return beam, token, scores[best]


PRUNE_MISTAKES: list[tuple[Callable, str]] = [
    (_prune_step_only, "you rank continuations by the last token's log-probability alone: add each beam's "
                       "cumulative score (a hypothesis is judged by its whole log-probability)."),
    (_prune_per_beam, "you keep the best tokens of each beam separately: beam search ranks all k·V "
                      "continuations together (one beam may supply several, another none)."),
    (_prune_ascending, "you return the right continuations in the wrong order: best (highest score) first."),
    (_prune_worst, "you keep the lowest scores: log-probabilities are ≤ 0, the best is the largest."),
    (_prune_swapped, "beam and token ids are mixed up: the flat index of (beam i, token w) is i·V + w, so "
                     "divide by V (the vocabulary size), not by k."),
]


def _prune_cases() -> list[tuple]:
    rng = np.random.default_rng(2024)
    cases = []
    for k, V, n in [(3, 7, 6), (4, 5, 8), (2, 9, 4), (5, 6, 10), (1, 8, 2)]:
        beam_scores = np.sort(-rng.gamma(2.0, 2.0, size=k))[::-1].copy()
        logp = rng.normal(size=(k, V))
        logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
        cases.append((beam_scores, logp, n))
    return cases


def _search_with(prune_fn: Callable) -> Callable:
    def search(seed: int, V: int, k: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        return generate(random_step(V, seed=seed, temperature=0.7), [[0, 2], [3, 4]], num_beams=k,
                        max_new_tokens=6, eos_token_id=EOS, pad_token_id=0, length_penalty=alpha,
                        num_return_sequences=k, prune=prune_fn)
    return search


def check_prune(prune_fn: object) -> bool:
    """Exercise 07.2: ``prune(beam_scores (k,), logp (k, V), n) -> (beam (n,), token (n,), score (n,))``.

    First on unseen arrays (with hints), then inside the beam search on unseen random models: the n-best
    lists must equal the reference search's.
    """
    ok = check_function(prune_fn, "prune", prune, _prune_cases(), PRUNE_MISTAKES,
                        success="your pruning step agrees with the reference on 5 unseen sets of beams.")
    if not ok:
        return False
    return check_function(_search_with(prune_fn), "beam search with your prune", _search_with(prune),
                          [(21, 8, 2, 0.0), (22, 10, 3, 1.0), (23, 6, 4, 2.0)],
                          success="beam search with your pruning step returns the reference's n-best lists "
                                  "on 3 unseen models.")


# ---------------------------------------------------------------- exercise 3: the length-normalised score

def reference_normalised(logprob: np.ndarray, sequence_length: np.ndarray, prompt_length: int,
                         alpha: float) -> np.ndarray:
    """Hugging Face's score: logprob / (generated length) ** alpha, generated = sequence − prompt (EOS counted)."""
    prompt_length = validate.non_negative_int(prompt_length, "prompt_length")
    return length_normalised(logprob, np.asarray(sequence_length) - prompt_length, alpha)


NORMALISED_MISTAKES: list[tuple[Callable, str]] = [
    (lambda lp, L, P, a: lp / np.asarray(L, dtype=float) ** a,
     "you divide by the whole sequence's length: Hugging Face counts only the generated tokens (the prompt "
     "is the same for every hypothesis)."),
    (lambda lp, L, P, a: lp / (np.asarray(L, dtype=float) - P - 1) ** a,
     "you leave the EOS out of the length: it is a generated (and scored) token, so it counts."),
    (lambda lp, L, P, a: lp / (np.asarray(L, dtype=float) - P),
     "you divide by the length itself: raise it to the power α (α = 0 keeps the raw log-probability)."),
    (lambda lp, L, P, a: lp * (np.asarray(L, dtype=float) - P) ** a,
     "you multiply by length^α: that makes long hypotheses even worse; divide."),
]


def check_normalised(normalised: object) -> bool:
    """Exercise 07.3: ``normalised(logprob, sequence_length, prompt_length, alpha)`` on arrays of hypotheses."""
    rng = np.random.default_rng(7)
    cases = []
    for P, alpha in [(3, 1.0), (1, 0.5), (5, 2.0), (2, 1.3)]:
        L = P + rng.integers(2, 12, size=6)
        cases.append((-rng.gamma(3.0, 2.0, size=6), L, P, alpha))
    return check_function(normalised, "normalised", reference_normalised, cases, NORMALISED_MISTAKES,
                          success="your score agrees with Hugging Face's on 24 unseen hypotheses.")
