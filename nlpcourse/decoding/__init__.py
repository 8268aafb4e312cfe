"""Decoding (notebook 07): greedy, beam and exhaustive search over one step-function interface.

Every search talks to the model through a **step function** (``step.py``), batched so that one call expands
every open hypothesis of every prompt: prefixes (N, t) int64 -> (N, V) next-token log-probabilities, checked
on every call. Sections in the notebook's order: 1 counting the sequences, 2 greedy, 3 beam search with
Hugging Face's rules (``prune``, ``advance``, ``generate``: ``model.generate(num_beams=k)``'s outputs),
4 the length-normalised score, 5 search error or model error. Models as step functions: ``models``, ``hf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import validate
from ..beams import Hypothesis, beam_search, greedy_search  # shared with notebook 02's tree search
from .step import (
    TOY_TABLE,
    TOY_WORDS,
    StepFunction,
    ban,
    check_ids_in_vocab,
    check_prompts,
    check_step_output,
    counting,
    random_step,
    run_step,
    table_step,
    toy_step,
)

__all__ = [
    "StepFunction", "check_step_output", "check_prompts", "table_step", "random_step", "ban", "counting",
    "TOY_WORDS", "TOY_TABLE", "toy_step",
    "count_sequences", "greedy_decode", "exhaustive_decode", "length_normalised", "BeamConfig", "Beam",
    "Node", "SearchState", "start", "advance", "expand", "generate", "sequence_logprob", "diagnose",
    "Hypothesis", "beam_search", "greedy_search", "sample",
]

# ---------------------------------------------------------------- 1. the problem: how many sequences?


def count_sequences(vocab_size: int, max_new_tokens: int, eos: bool = True) -> int:
    """Complete outputs of at most T tokens: V^T without an end token; with one,
    Σ_{t<T} (V−1)^(t−1) (ended by EOS at step t) + V·(V−1)^(T−1) (length T) ≈ V^T."""
    V = validate.integer(vocab_size, "vocab_size", low=1)
    T = validate.positive_int(max_new_tokens, "max_new_tokens")
    if not eos:
        return V**T
    return sum((V - 1) ** (t - 1) for t in range(1, T)) + V * (V - 1) ** (T - 1)


def _settings(max_new_tokens: object, eos_token_id: object, pad_token_id: object) -> tuple[int, int | None, int]:
    T = validate.positive_int(max_new_tokens, "max_new_tokens")
    eos = None if eos_token_id is None else validate.non_negative_int(eos_token_id, "eos_token_id")
    return T, eos, validate.non_negative_int(pad_token_id, "pad_token_id")


def _pad(rows: list[tuple[int, ...]], pad: int) -> np.ndarray:
    """Token tuples of different lengths -> (len(rows), longest) int64, padded with ``pad``."""
    out = np.full((len(rows), max(map(len, rows))), pad, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


# ---------------------------------------------------------------- 2. greedy decoding


def greedy_decode(step: StepFunction, input_ids: object, *, max_new_tokens: int, eos_token_id: int | None,
                  pad_token_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The most probable next token, every step (ties: the lowest id): prompts (B, P) -> sequences
    (B, P + T') padded with ``pad_token_id`` after EOS, and Σ log p of the generated tokens (B,)."""
    prompts = check_prompts(input_ids)
    T, eos, pad = _settings(max_new_tokens, eos_token_id, pad_token_id)
    seqs = [tuple(p) for p in prompts.tolist()]
    scores = np.zeros(len(seqs))
    open_, V = list(range(len(seqs))), None
    for _ in range(T):
        if not open_:
            break
        logp = run_step(step, [seqs[i] for i in open_], V)  # (len(open_), V)
        if V is None:
            V = logp.shape[1]
            check_ids_in_vocab(prompts, V, eos_token_id=eos, pad_token_id=pad)
        best = np.argmax(logp, axis=1)
        for row, i in enumerate(open_):
            seqs[i] += (int(best[row]),)
            scores[i] += logp[row, best[row]]
        open_ = [i for i in open_ if seqs[i][-1] != eos]
    return _pad(seqs, pad), scores


# ---------------------------------------------------------------- 3. exhaustive search


def length_normalised(logprob: float | np.ndarray, length: int | np.ndarray,
                      length_penalty: float) -> float | np.ndarray:
    """Hugging Face's score of a finished hypothesis: Σ log p / length^α, length = generated tokens (EOS
    included, prompt excluded); α = 0 is the raw log-probability, α > 0 favours longer outputs."""
    return logprob / np.asarray(length, dtype=np.float64) ** length_penalty


def _pack(prompts: np.ndarray, best: list[list[tuple[float, tuple[int, ...]]]], n: int,
          pad: int) -> tuple[np.ndarray, np.ndarray]:
    """n-best lists (score, generated tokens) per prompt -> (B·n, P + T') sequences, (B·n,) scores; a prompt
    with fewer than n hypotheses gets rows of prompt + padding scored −inf."""
    rows, scores = [], np.full(len(best) * n, -np.inf)
    for b, hyps in enumerate(best):
        for j in range(n):
            rows.append(tuple(prompts[b]) + (hyps[j][1] if j < len(hyps) else ()))
            if j < len(hyps):
                scores[b * n + j] = hyps[j][0]
    return _pad(rows, pad), scores


def exhaustive_decode(step: StepFunction, input_ids: object, *, max_new_tokens: int, eos_token_id: int | None,
                      pad_token_id: int, length_penalty: float = 1.0,
                      num_return_sequences: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Every complete sequence scored (``length_normalised``), the n best per prompt, as ``generate``
    returns them; ~V^T step rows (tiny models only), one step call per level."""
    prompts = check_prompts(input_ids)
    T, eos, pad = _settings(max_new_tokens, eos_token_id, pad_token_id)
    alpha = validate.number(length_penalty, "length_penalty")
    n = validate.positive_int(num_return_sequences, "num_return_sequences")
    best, V = [], None
    for prompt in prompts.tolist():
        complete: list[tuple[float, tuple[int, ...]]] = []
        level: list[tuple[tuple[int, ...], float]] = [((), 0.0)]  # (generated tokens, log-prob)
        for t in range(1, T + 1):
            logp = run_step(step, [tuple(prompt) + toks for toks, _ in level], V)  # (len(level), V)
            if V is None:
                V = logp.shape[1]
                check_ids_in_vocab(prompts, V, eos_token_id=eos, pad_token_id=pad)
            nxt = []
            for (toks, score), row in zip(level, logp, strict=True):
                for w in np.flatnonzero(np.isfinite(row)).tolist():
                    if w == eos or t == T:
                        complete.append((float(length_normalised(score + row[w], t, alpha)), toks + (w,)))
                    else:
                        nxt.append((toks + (w,), score + row[w]))
            level = nxt
            if not level:
                break
        complete.sort(key=lambda c: -c[0])  # stable: equal scores keep enumeration order
        best.append(complete[:n])
    return _pack(prompts, best, n, pad)


# ---------------------------------------------------------------- 4. beam search, Hugging Face's rules


def prune(beam_scores: np.ndarray, logp: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The n best continuations over *all* beams, best first: beam_scores (k,), logp (k, V) -> beam (n,),
    token (n,), score (n,) = beam score + log p(token | beam); ties to the lower flat index beam·V + token."""
    scores = (beam_scores[:, None] + logp).ravel()  # (k·V,)
    nth = np.partition(scores, scores.size - n)[scores.size - n]  # the n-th best, without sorting all k·V
    candidates = np.flatnonzero(scores >= nth)  # the n best and any ties with the n-th, in flat order
    best = candidates[np.argsort(-scores[candidates], kind="stable")[:n]]
    beam, token = np.divmod(best, logp.shape[1])
    return beam, token, scores[best]


@dataclass(frozen=True)
class BeamConfig(validate.Config):
    """One beam search's settings, with ``model.generate``'s names and meaning."""

    num_beams: int  # k
    max_new_tokens: int  # T
    eos_token_id: int | None  # ends a hypothesis (None: only T does)
    pad_token_id: int  # fills the rows after a hypothesis ended
    length_penalty: float = 1.0  # α in length_normalised
    early_stopping: bool | str = False  # True, False or "never" (see _cannot_improve)
    num_return_sequences: int = 1  # n <= k

    def __post_init__(self) -> None:
        k = validate.positive_int(self.num_beams, "num_beams")
        self._set("num_beams", k)
        for name, value in zip(("max_new_tokens", "eos_token_id", "pad_token_id"),
                               _settings(self.max_new_tokens, self.eos_token_id, self.pad_token_id), strict=True):
            self._set(name, value)
        self._set("length_penalty", validate.number(self.length_penalty, "length_penalty"))
        if not (isinstance(self.early_stopping, bool) or self.early_stopping == "never"):
            validate.one_of(self.early_stopping, "early_stopping", (True, False, "never"))
            raise TypeError(f"early_stopping: expected True, False or 'never', got {self.early_stopping!r}")
        n = validate.positive_int(self.num_return_sequences, "num_return_sequences")
        self._set("num_return_sequences", n)
        if n > k:
            raise ValueError(f"num_return_sequences: expected at most num_beams = {k} (the beam keeps only "
                             f"{k} finished hypotheses), got {n}")


@dataclass
class Beam:
    """A hypothesis: its generated tokens (prompt excluded), their summed log-prob, its node in the tree."""

    tokens: tuple[int, ...]
    score: float
    node: int = 0


@dataclass
class Node:
    """A candidate the search looked at (the tree figure's node); status "start", "kept" (an open beam),
    "finished" (set aside), or "pruned" (among the 2k best, not kept)."""

    parent: int
    token: int
    score: float
    depth: int
    status: str


@dataclass
class SearchState:
    """Beam search for one prompt between steps: open beams, finished ones (best first), the explored tree."""

    prompt: tuple[int, ...]
    running: list[Beam]
    finished: list[tuple[float, Beam]] = field(default_factory=list)  # (normalised score, beam)
    steps: int = 0
    done: bool = False
    nodes: list[Node] = field(default_factory=list)


def start(prompt: Sequence[int]) -> SearchState:
    """The state before the first step: one open beam (the prompt, score 0)."""
    prompt = tuple(validate.int_array(list(prompt), "prompt", ndim=1).tolist())  # 2.5 refused, not truncated
    return SearchState(prompt, [Beam((), 0.0, 0)], nodes=[Node(-1, -1, 0.0, 0, "start")])


def _cannot_improve(state: SearchState, cfg: BeamConfig) -> bool:
    """Hugging Face's stopping rule, once k hypotheses are finished: True stops at once; otherwise stop when
    the best open beam scored at length L cannot beat the worst finished one, L = the current length (False,
    and "never" with α <= 0) or L = max_new_tokens ("never" with α > 0: an upper bound, nothing is missed)."""
    if len(state.finished) < cfg.num_beams:
        return False
    if cfg.early_stopping is True:
        return True
    alpha = cfg.length_penalty
    L = cfg.max_new_tokens if cfg.early_stopping == "never" and alpha > 0 else state.steps
    return not length_normalised(state.running[0].score, L, alpha) > state.finished[-1][0]


def advance(state: SearchState, logp: np.ndarray, cfg: BeamConfig) -> None:
    """One beam step in place, logp (len(state.running), V): expand every open beam; ``prune`` to the 2k best
    candidates; an ended one (EOS, or the length limit) among the best k is set aside, scored
    ``length_normalised``; the k best that did not end go on; stop? (``_cannot_improve``)."""
    k, t = cfg.num_beams, state.steps + 1  # t: the generated length after this step
    last = t == cfg.max_new_tokens
    beams, tokens, scores = prune(np.array([b.score for b in state.running]), logp, min(2 * k, logp.size))
    running = []
    for rank, (i, w, s) in enumerate(zip(beams.tolist(), tokens.tolist(), scores.tolist(), strict=True)):
        if s == -np.inf:  # probability 0: never taken
            break
        parent = state.running[i]
        beam = Beam((*parent.tokens, w), s, len(state.nodes))
        if w == cfg.eos_token_id or last:
            status = "finished" if rank < k else "pruned"
            if rank < k:
                state.finished.append((float(length_normalised(s, t, cfg.length_penalty)), beam))
        elif len(running) < k:
            status = "kept"
            running.append(beam)
        else:
            status = "pruned"
        state.nodes.append(Node(parent.node, w, s, t, status))
    state.finished.sort(key=lambda f: -f[0])  # stable: the earlier-finished hypothesis wins a tie
    for _, dropped in state.finished[k:]:
        state.nodes[dropped.node].status = "pruned"
    del state.finished[k:]
    state.running, state.steps = running, t
    state.done = last or not running or _cannot_improve(state, cfg)


def expand(step: StepFunction, states: list[SearchState], cfg: BeamConfig, vocab_size: int | None = None) -> int:
    """One step of every unfinished search: ONE step call for all their open beams, then ``advance`` each;
    returns V (pass it back in, so later calls are checked against it)."""
    active = [s for s in states if not s.done]
    if not active:
        return vocab_size  # type: ignore[return-value]
    logp = run_step(step, [s.prompt + b.tokens for s in active for b in s.running], vocab_size)  # (Σ beams, V)
    row = 0
    for s in active:
        n = len(s.running)  # advance replaces s.running
        advance(s, logp[row : row + n], cfg)
        row += n
    return logp.shape[1]


def generate(step: StepFunction, input_ids: object, *, num_beams: int, max_new_tokens: int,
             eos_token_id: int | None, pad_token_id: int, length_penalty: float = 1.0,
             early_stopping: bool | str = False, num_return_sequences: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Beam search with ``model.generate(num_beams=k, do_sample=False, ...)``'s rules and outputs: prompts
    (B, P) -> ``sequences`` (B·n, P + T') padded with ``pad_token_id``, ``sequences_scores`` (B·n,) best first.

    Equal to transformers' in the tests, with one deliberate difference: with ``pad_token_id=0`` transformers
    pads with the EOS id (its fill value is ``pad_token_id or eos_token_id``); this pads with ``pad_token_id``.
    For k = 1 transformers runs greedy search instead; this runs the beam rules, which can continue past an
    EOS that greedy stops at (``early_stopping`` False or "never").
    """
    cfg = BeamConfig(num_beams, max_new_tokens, eos_token_id, pad_token_id, length_penalty, early_stopping,
                     num_return_sequences)
    prompts = check_prompts(input_ids)
    states = [start(p) for p in prompts.tolist()]
    V = None
    while not all(s.done for s in states):
        if V is None:
            V = expand(step, states, cfg)
            check_ids_in_vocab(prompts, V, eos_token_id=cfg.eos_token_id, pad_token_id=cfg.pad_token_id)
        else:
            V = expand(step, states, cfg, V)
    best = [[(score, beam.tokens) for score, beam in s.finished] for s in states]
    return _pack(prompts, best, cfg.num_return_sequences, cfg.pad_token_id)


# ---------------------------------------------------------------- 5. search error or model error?


def sequence_logprob(step: StepFunction, prompt: Sequence[int], tokens: Sequence[int]) -> float:
    """log p(tokens | prompt) = Σ_t log p(tokens[t] | prompt, tokens[:t]) (−inf if impossible)."""
    prompt = validate.int_array(validate.non_empty(list(prompt), "prompt", what="tokens"), "prompt", ndim=1).tolist()
    tokens = validate.int_array(validate.non_empty(list(tokens), "tokens"), "tokens", ndim=1).tolist()
    # prefixes of different lengths: one call each (a step function takes a batch of equal-length prefixes)
    return float(sum(run_step(step, [tuple(prompt + tokens[:t])], None)[0, w] for t, w in enumerate(tokens)))


def diagnose(step: StepFunction, prompt: Sequence[int], found: Sequence[int], reference: Sequence[int]) -> str:
    """"found the reference" when they are equal; "search error" when the search's output is less probable
    than the reference (a better search would find more); else "model error" (the model prefers another)."""
    if list(found) == list(reference):
        return "found the reference"
    return ("search error" if sequence_logprob(step, prompt, found) < sequence_logprob(step, prompt, reference)
            else "model error")


from .sampling import sample  # noqa: E402  (07's last section: sampling; sampling.py builds on step.py only)
