"""Notebook 07's exercise checks: the student's greedy decoder, one beam step and the length-normalised score,
run on models and inputs they have not seen and compared with the package's reference (``nlpcourse.exercise``).

Every hint comes with the wrong implementation that triggers it (``GREEDY_MISTAKES`` …), so a test can show
each one is reachable.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import validate
from ..exercise import Verdict, check_function
from . import Beam, BeamConfig, SearchState, advance, greedy_decode, length_normalised, prune, random_step

__all__ = ["check_greedy", "check_beam_step", "check_normalised"]

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
    (_greedy_no_stop, "you keep generating after the end token: stop as soon as the model picks EOS"),
    (_greedy_drops_eos, "your tokens stop right before the EOS: keep the EOS itself (it was generated and "
                        "scored) as the last token"),
    (_greedy_probability, "your second value looks like a probability: return the summed log-probability"),
    (_greedy_last_logprob, "your score is only the last token's log-probability: add up every step's"),
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


def check_greedy(greedy: object) -> Verdict:
    """Exercise 07.1: ``greedy(step, prompt, max_new_tokens, eos_token_id) -> (tokens, logprob)``."""
    if not callable(greedy):
        return check_function(greedy, "greedy", reference_greedy, [])
    return check_function(_padded(greedy), "greedy", _padded(reference_greedy), _greedy_cases(),
                          [(_padded(wrong), hint) for wrong, hint in GREEDY_MISTAKES],
                          output_names=("tokens", "logprob"),
                          success="your greedy decoder matches the reference on 8 unseen models and prompts.")


# ---------------------------------------------------------------- exercise 2: one beam step

def reference_beam_step(beams: list[tuple[tuple[int, ...], float]], logp: np.ndarray, k: int,
                        eos_token_id: int) -> tuple[list, list]:
    """The exercise's signature around ``advance``: open beams [(tokens, score)] (equal lengths) and their
    next-token log-probs (len(beams), V) -> (the next open beams, the hypotheses that ended here), best first."""
    t = len(beams[0][0])
    state = SearchState((), [Beam(tuple(tokens), float(score)) for tokens, score in beams], steps=t)
    advance(state, logp, BeamConfig(k, t + 2, eos_token_id, 0, length_penalty=0.0))
    return [(b.tokens, b.score) for b in state.running], [(b.tokens, b.score) for _, b in state.finished]


def _as_arrays(beam_step: Callable) -> Callable:
    """``beam_step`` with its two lists as four arrays of fixed shape (2k rows; −1 tokens and score 1 pad), so
    lists of different lengths are compared output by output instead of stopping at "wrong shape"."""
    def run(beams, logp, k, eos_token_id):
        result = beam_step([(tuple(t), s) for t, s in beams], logp, k, eos_token_id)
        if result is None or result is Ellipsis:
            return result
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError("beam_step should return two lists: (open beams, finished hypotheses)")
        width = len(beams[0][0]) + 1
        out = []
        for hyps in result:
            hyps = list(hyps)
            if len(hyps) > 2 * k:
                raise ValueError(f"beam_step returned {len(hyps)} hypotheses in one list; a step looks at only the "
                                 f"2k = {2 * k} best candidates")
            tokens, scores = np.full((2 * k, width), -1.0), np.ones(2 * k)
            for r, (toks, score) in enumerate(hyps):
                toks = np.asarray(toks, dtype=np.float64).ravel()
                if len(toks) != width:
                    raise ValueError(f"beam_step returned a hypothesis of {len(toks)} tokens; each should be its "
                                     f"beam's {width - 1} tokens plus the new one")
                tokens[r], scores[r] = toks, score
            out += [tokens, scores]
        return tuple(out)
    return run


def _candidates(beams, logp, n):
    """The n best (beam, token, score) over all beams, best first (what ``prune`` returns)."""
    b, w, s = prune(np.array([score for _, score in beams]), logp, n)
    return list(zip(b.tolist(), w.tolist(), s.tolist(), strict=True))


def _step_with(n_candidates: Callable[[int], int], finished_rank: Callable[[int], int], eos: str = "aside",
               max_open: Callable[[int], int] = lambda k: k) -> Callable:
    """A beam step with variations (the typical mistakes): how many candidates, up to which rank an ended one
    counts, what happens to EOS ("aside", "open", "dropped"), how many open beams."""
    def step(beams, logp, k, eos_token_id):
        running, finished = [], []
        for rank, (i, w, s) in enumerate(_candidates(beams, logp, n_candidates(k))):
            hyp = ((*beams[i][0], w), s)
            if w == eos_token_id and eos != "open":
                if eos == "aside" and rank < finished_rank(k):
                    finished.append(hyp)
            elif len(running) < max_open(k):
                running.append(hyp)
        return running, finished
    return step


def _step_per_beam(beams, logp, k, eos_token_id):
    cands = sorted(((beams[i][0] + (w,), beams[i][1] + logp[i, w]) for i in range(len(beams))
                    for w in np.argsort(-logp[i], kind="stable")[:2].tolist()), key=lambda h: -h[1])
    running = [h for h in cands if h[0][-1] != eos_token_id][:k]
    return running, [h for h in cands[:k] if h[0][-1] == eos_token_id]


def _step_last_token_only(beams, logp, k, eos_token_id):
    return reference_beam_step([(t, 0.0) for t, _ in beams], logp, k, eos_token_id)


BEAM_STEP_OUTPUTS = ("running", "running_scores", "finished", "finished_scores")
BEAM_STEP_MISTAKES: list[tuple] = [
    (_step_with(lambda k: k, lambda k: k),
     "you keep only the k best candidates: keep the 2k best, so that k beams stay open even when some of the "
     "best candidates end with EOS"),
    (_step_with(lambda k: 2 * k, lambda k: 2 * k),
     "an ended candidate is set aside only if it ranks among the best k; those ranked k+1 … 2k are there to "
     "refill the open beams, not to finish"),
    (_step_with(lambda k: 2 * k, lambda k: k, eos="open"),
     "a candidate that ends with EOS is finished: set it aside, it must not stay among the open beams"),
    (_step_with(lambda k: 2 * k, lambda k: k, eos="dropped"),
     "ended candidates among the best k are hypotheses: set them aside in the second list, do not drop them"),
    (_step_with(lambda k: 2 * k, lambda k: k, max_open=lambda k: 2 * k),
     "keep at most k open beams: the best k candidates that did not end"),
    (_step_per_beam,
     "you take the best tokens of each beam separately: rank all beams' continuations together (one beam may "
     "supply several, another none)"),
    (_step_last_token_only,
     "a candidate's score is its beam's score plus the new token's log-probability: the whole hypothesis's "
     "log-probability, not the last token's alone"),
]


def _beam_step_cases(seed: int = 2025) -> list[tuple]:
    rng = np.random.default_rng(seed)
    cases = []
    for k, V, t, eos_boost in [(2, 5, 1, 1.0), (3, 6, 2, 1.5), (3, 8, 3, 0.5), (4, 7, 2, 2.0), (2, 6, 4, 2.5),
                               (3, 5, 1, 0.0), (4, 9, 3, 1.2), (2, 7, 2, 1.8)]:
        beams = [(tuple(rng.integers(2, V, size=t).tolist()), float(-rng.gamma(2.0, 1.5))) for _ in range(k)]
        beams.sort(key=lambda b: -b[1])
        logits = rng.normal(size=(k, V))
        logits[:, EOS] += eos_boost * rng.random(k)
        cases.append((beams, logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)), k, EOS))
    return cases


def check_beam_step(beam_step: object) -> Verdict:
    """Exercise 07.2: ``beam_step(beams, logp, k, eos_token_id) -> (open beams, finished)``, each a list of
    (tokens, score) best first, against the package's ``advance`` on unseen beams."""
    if not callable(beam_step):
        return check_function(beam_step, "beam_step", reference_beam_step, [])
    return check_function(_as_arrays(beam_step), "beam_step", _as_arrays(reference_beam_step), _beam_step_cases(),
                          [(_as_arrays(wrong), hint) for wrong, hint in BEAM_STEP_MISTAKES],
                          output_names=BEAM_STEP_OUTPUTS, shortcuts=(reference_beam_step, advance),
                          success="open beams and finished hypotheses agree with the package's beam step on 8 "
                                  "unseen sets of beams.")


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


def check_normalised(normalised: object) -> Verdict:
    """Exercise 07.3: ``normalised(logprob, sequence_length, prompt_length, alpha)`` on arrays of hypotheses."""
    rng = np.random.default_rng(7)
    cases = []
    for P, alpha in [(3, 1.0), (1, 0.5), (5, 2.0), (2, 1.3)]:
        L = P + rng.integers(2, 12, size=6)
        cases.append((-rng.gamma(3.0, 2.0, size=6), L, P, alpha))
    return check_function(normalised, "normalised", reference_normalised, cases, NORMALISED_MISTAKES,
                          success="your score agrees with Hugging Face's on 24 unseen hypotheses.")
