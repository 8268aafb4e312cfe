"""Decoding (notebook 07): greedy, beam and exhaustive search over one step-function interface.

A language model gives p(w_{t+1} | w_1..w_t). Every search here talks to the model through a **step
function**, batched so that one call expands every open hypothesis of every input:

    step(prefixes)  prefixes (N, t) int64 token ids  ->  (N, V) next-token log-probabilities

Any model plugs in: a toy table (``table_step``), a random toy model (``random_step``), the fixed-window
neural LM (``decoding.models.window_lm_step``), the hierarchical-softmax tree (``decoding.models.tree_step``),
a transformers model (``decoding.hf.hf_step``). The step's output is checked on every call
(``check_step_output``): the wrong shape, NaN, or rows that are not log-probabilities (logits, probabilities)
get an error that says which.

In the notebook's order:
1. ``count_sequences``: how many complete outputs exist — exhaustive search's cost, |V|^T.
2. ``greedy_decode``: the most probable token at each step.
3. ``exhaustive_decode``: every complete sequence scored (tiny models only), the n best.
4. ``generate``: beam search with Hugging Face's exact rules (``model.generate(num_beams=k)``): keep the
   ``2k`` best continuations of all beams (``prune``), finished (EOS) hypotheses set aside with the
   length-normalised score ``length_normalised`` (sum of log-probs / generated length ** ``length_penalty``),
   the k best non-finished go on; stop at ``max_new_tokens`` or when no open beam can beat the k finished
   (``early_stopping`` True / False / "never"). ``start`` and ``advance`` are its one-step pieces, used by the
   beam stepper and the tree figure.

``beam_search`` / ``greedy_search`` / ``Hypothesis`` (shared module ``nlpcourse.beams``) search over abstract
states instead of token prefixes; notebook 02's hierarchical-softmax tree search uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import validate
from ..beams import Hypothesis, beam_search, greedy_search

__all__ = [
    "Step", "check_step_output", "check_prompts", "table_step", "random_step", "ban", "counting",
    "TOY_WORDS", "TOY_TABLE", "toy_step",
    "count_sequences", "greedy_decode", "exhaustive_decode",
    "length_normalised", "prune", "BeamConfig", "Beam", "Node", "SearchState", "start", "advance", "expand",
    "generate", "sequence_logprob", "diagnose", "Hypothesis", "beam_search", "greedy_search", "sample",
]

from .step import (  # the step-function interface (step.py)
    TOY_TABLE,
    TOY_WORDS,
    Step,
    _check_ids_in_vocab,
    _run_step,
    ban,
    check_prompts,
    check_step_output,
    counting,
    random_step,
    table_step,
    toy_step,
)

# ---------------------------------------------------------------- 1. the problem: how many sequences?

def count_sequences(vocab_size: int, max_new_tokens: int, eos: bool = True) -> int:
    """The number of complete outputs of at most ``max_new_tokens`` tokens — what exhaustive search scores.

    Without an end token (``eos=False``) every output has T tokens: V^T. With one, an output ends at EOS or at
    length T: (V−1)^(t−1) outputs end with EOS at step t < T, and V·(V−1)^(T−1) reach length T, in all
    Σ_{t=1}^{T−1} (V−1)^(t−1) + V·(V−1)^(T−1) ≈ V^T.
    """
    V = validate.integer(vocab_size, "vocab_size", low=1)
    T = validate.positive_int(max_new_tokens, "max_new_tokens")
    if not eos:
        return V**T
    return sum((V - 1) ** (t - 1) for t in range(1, T)) + V * (V - 1) ** (T - 1)


# ---------------------------------------------------------------- 2. greedy decoding

def greedy_decode(step: Step, input_ids: object, *, max_new_tokens: int, eos_token_id: int | None,
                  pad_token_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Take the most probable next token, every step, for every prompt (ties: the lowest id).

    Args:
        step: the step function; input_ids: (B, P) prompts of equal length.
        max_new_tokens: at most this many tokens are generated; eos_token_id: ends a sequence (None: never).
        pad_token_id: fills the sequences that ended early.
    Returns:
        sequences (B, P + T') int64, prompt included, padded with ``pad_token_id`` after EOS (T' = the
        longest generated part), and the summed log-probabilities of the generated tokens (B,) float64.
    """
    prompts = check_prompts(input_ids)
    T = validate.positive_int(max_new_tokens, "max_new_tokens")
    eos = None if eos_token_id is None else validate.non_negative_int(eos_token_id, "eos_token_id")
    pad = validate.non_negative_int(pad_token_id, "pad_token_id")
    seqs = [tuple(p) for p in prompts.tolist()]
    scores = np.zeros(len(seqs))
    open_ = list(range(len(seqs)))
    V = None
    for _ in range(T):
        if not open_:
            break
        logp = _run_step(step, [seqs[i] for i in open_], V)
        if V is None:
            V = logp.shape[1]
            _check_ids_in_vocab(prompts, V, eos_token_id=eos, pad_token_id=pad)
        best = np.argmax(logp, axis=1)
        for row, i in enumerate(open_):
            seqs[i] += (int(best[row]),)
            scores[i] += logp[row, best[row]]
        open_ = [i for i in open_ if seqs[i][-1] != eos]
    width = max(map(len, seqs))
    out = np.full((len(seqs), width), pad, dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out, scores


# ---------------------------------------------------------------- 3. exhaustive search

def length_normalised(logprob: float | np.ndarray, length: int | np.ndarray,
                      length_penalty: float) -> float | np.ndarray:
    """Hugging Face's beam score of a finished hypothesis: Σ log p / length ** length_penalty.

    ``length`` is the number of *generated* tokens, the EOS included and the prompt excluded;
    ``length_penalty`` α = 0 gives the raw log-probability, α > 0 favours longer outputs (the sum is negative).
    """
    return logprob / np.asarray(length, dtype=np.float64) ** length_penalty


def _pack(prompts: np.ndarray, best: list[list[tuple[float, tuple[int, ...]]]], n: int,
          pad: int) -> tuple[np.ndarray, np.ndarray]:
    """n-best lists (score, generated tokens) per prompt -> (B·n, P + T') sequences and (B·n,) scores.

    A prompt with fewer than n hypotheses gets rows of its prompt + padding with score −inf.
    """
    P = prompts.shape[1]
    width = P + max((len(toks) for hyps in best for _, toks in hyps[:n]), default=0)
    seqs = np.full((len(best) * n, width), pad, dtype=np.int64)
    scores = np.full(len(best) * n, -np.inf)
    for b, hyps in enumerate(best):
        for j in range(n):
            row = b * n + j
            seqs[row, :P] = prompts[b]
            if j < len(hyps):
                score, toks = hyps[j]
                seqs[row, P : P + len(toks)] = toks
                scores[row] = score
    return seqs, scores


def exhaustive_decode(step: Step, input_ids: object, *, max_new_tokens: int, eos_token_id: int | None,
                      pad_token_id: int, length_penalty: float = 1.0,
                      num_return_sequences: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Score every complete sequence (ended by EOS, or ``max_new_tokens`` long) and return the n best.

    The same score as ``generate``: ``length_normalised`` (prompt excluded). Costs ~V^T step rows: tiny
    models only (a ``counting`` step shows it). Level by level, one step call expands all open prefixes.

    Returns:
        sequences (B·n, P + T') int64 padded with ``pad_token_id``, scores (B·n,) float64, best first per prompt.
    """
    prompts = check_prompts(input_ids)
    T = validate.positive_int(max_new_tokens, "max_new_tokens")
    eos = None if eos_token_id is None else validate.non_negative_int(eos_token_id, "eos_token_id")
    pad = validate.non_negative_int(pad_token_id, "pad_token_id")
    alpha = validate.number(length_penalty, "length_penalty")
    n = validate.positive_int(num_return_sequences, "num_return_sequences")
    best = []
    V = None
    for prompt in prompts.tolist():
        complete: list[tuple[float, tuple[int, ...]]] = []
        level: list[tuple[tuple[int, ...], float]] = [((), 0.0)]  # (generated tokens, log-prob)
        for t in range(1, T + 1):
            logp = _run_step(step, [tuple(prompt) + toks for toks, _ in level], V)
            if V is None:
                V = logp.shape[1]
                _check_ids_in_vocab(prompts, V, eos_token_id=eos, pad_token_id=pad)
            nxt = []
            for (toks, score), row in zip(level, logp, strict=True):
                for w in np.flatnonzero(np.isfinite(row)).tolist():
                    hyp = (toks + (w,), score + row[w])
                    if w == eos or t == T:
                        complete.append((float(length_normalised(hyp[1], t, alpha)), hyp[0]))
                    else:
                        nxt.append(hyp)
            level = nxt
            if not level:
                break
        complete.sort(key=lambda c: -c[0])  # stable: equal scores keep enumeration order
        best.append(complete[:n])
    return _pack(prompts, best, n, pad)


# ---------------------------------------------------------------- 4. beam search, Hugging Face's rules

def prune(beam_scores: np.ndarray, logp: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pruning step: the n best continuations over *all* beams, best first.

    Args:
        beam_scores: (k,) the open beams' cumulative log-probabilities.
        logp: (k, V) next-token log-probabilities of each beam.
        n: how many continuations to keep (n <= k·V).
    Returns:
        beam (n,) int64 (which beam each continues), token (n,) int64, score (n,) float64 = beam score +
        log p(token | beam), sorted by descending score; ties go to the lower flat index (beam, then token).
    """
    sizes: dict[str, int] = {}
    beam_scores = validate.float_array(beam_scores, "beam_scores", shape=("k",), sizes=sizes, finite=False)
    logp = validate.float_array(logp, "logp", shape=("k", "V"), sizes=sizes, finite=False)
    n = validate.positive_int(n, "n")
    scores = (beam_scores[:, None] + logp).ravel()  # (k·V,): flat index = beam · V + token
    best = np.argsort(-scores, kind="stable")[:n]
    beam, token = np.divmod(best, logp.shape[1])
    return beam, token, scores[best]


@dataclass(frozen=True)
class BeamConfig:
    """The settings of one beam search, with ``model.generate``'s names and meaning."""

    num_beams: int
    max_new_tokens: int
    eos_token_id: int | None
    pad_token_id: int
    length_penalty: float = 1.0
    early_stopping: bool | str = False
    num_return_sequences: int = 1

    def __post_init__(self) -> None:
        k = validate.positive_int(self.num_beams, "num_beams")
        validate.positive_int(self.max_new_tokens, "max_new_tokens")
        if self.eos_token_id is not None:
            validate.non_negative_int(self.eos_token_id, "eos_token_id")
        validate.non_negative_int(self.pad_token_id, "pad_token_id")
        validate.number(self.length_penalty, "length_penalty")
        if not (isinstance(self.early_stopping, bool) or self.early_stopping == "never"):
            validate.one_of(self.early_stopping, "early_stopping", (True, False, "never"))
            raise TypeError(f"early_stopping: expected True, False or 'never', got {self.early_stopping!r}")
        n = validate.positive_int(self.num_return_sequences, "num_return_sequences")
        if n > k:
            raise ValueError(f"num_return_sequences: expected at most num_beams = {k} (the beam keeps only "
                             f"{k} finished hypotheses), got {n}")


@dataclass
class Beam:
    """An open (or finished) hypothesis: the generated tokens (prompt excluded) and their summed log-prob."""

    tokens: tuple[int, ...]
    score: float
    node: int = 0  # its node in SearchState.nodes, for the tree figure


@dataclass
class Node:
    """One candidate the search looked at: the tree figure's node.

    status: "start" (the prompt), "kept" (an open beam), "finished" (set aside as a finished hypothesis),
    "pruned" (among the 2k best continuations but not kept).
    """

    parent: int
    token: int
    score: float
    depth: int
    status: str


@dataclass
class SearchState:
    """Beam search for one prompt, between steps: the open beams, the finished ones, the explored tree."""

    prompt: tuple[int, ...]
    running: list[Beam]
    finished: list[tuple[float, Beam]] = field(default_factory=list)  # (normalised score, beam), best first
    steps: int = 0
    done: bool = False
    nodes: list[Node] = field(default_factory=list)


def start(prompt: Sequence[int]) -> SearchState:
    """The state before the first step: one open beam (the prompt, score 0)."""
    prompt = tuple(validate.int_array(list(prompt), "prompt", ndim=1).tolist())  # 2.5 refused, not truncated
    return SearchState(prompt, [Beam((), 0.0, 0)], nodes=[Node(-1, -1, 0.0, 0, "start")])


def _cannot_improve(state: SearchState, cfg: BeamConfig) -> bool:
    """Hugging Face's stopping rule for one input, checked after each step.

    Only once k hypotheses are finished: with ``early_stopping=True`` stop at once; otherwise stop when the
    best open beam, scored as if it ended at length L, is not better than the worst finished one —
    L = the current length (False, and "never" with α <= 0: a heuristic when α > 0), or
    L = max_new_tokens ("never" with α > 0: an upper bound, so nothing better is ever missed).
    """
    k, alpha = cfg.num_beams, cfg.length_penalty
    if len(state.finished) < k:
        return False
    if cfg.early_stopping is True:
        return True
    L = cfg.max_new_tokens if cfg.early_stopping == "never" and alpha > 0 else state.steps
    return not length_normalised(state.running[0].score, L, alpha) > state.finished[-1][0]


def advance(state: SearchState, logp: np.ndarray, cfg: BeamConfig,
            prune: Callable[[np.ndarray, np.ndarray, int], tuple] = prune) -> None:
    """One beam-search step for one input, in place: expand, prune, set finished hypotheses aside, stop?

    Args:
        state: the search so far; logp: (len(state.running), V) next-token log-probs of its open beams.
        cfg: the settings; prune: the pruning step (the exercise plugs the student's in here).
    The rules are ``model.generate``'s (transformers' ``_beam_search``):
    - candidates: the 2k best (beam, token) continuations by cumulative log-prob;
    - a candidate ending in EOS (or reaching ``max_new_tokens``) is finished — kept only if it ranks among
      the k best candidates, with the score ``length_normalised(logprob, generated length, α)``; the k best
      finished hypotheses are kept;
    - the k best candidates not finished are the next open beams;
    - a continuation of probability 0 (−inf) is never taken.
    """
    k = cfg.num_beams
    t = state.steps + 1  # the generated length after this step
    last = t == cfg.max_new_tokens
    beam_scores = np.array([b.score for b in state.running])
    beams, tokens, cand = prune(beam_scores, logp, min(2 * k, logp.size))
    running = []
    for rank, (i, w, s) in enumerate(zip(np.asarray(beams).tolist(), np.asarray(tokens).tolist(),
                                         np.asarray(cand, dtype=np.float64).tolist(), strict=True)):
        if s == -np.inf:
            break
        parent = state.running[i]
        beam = Beam((*parent.tokens, w), s, len(state.nodes))
        if w == cfg.eos_token_id or last:
            status = "finished" if rank < k else "pruned"
            if rank < k:
                state.finished.append((float(length_normalised(s, t, cfg.length_penalty)), beam))
        elif len(running) < k:
            running.append(beam)
            status = "kept"
        else:
            status = "pruned"
        state.nodes.append(Node(parent.node, w, s, t, status))
    state.finished.sort(key=lambda f: -f[0])  # stable: the earlier-finished hypothesis wins a tie
    for _, dropped in state.finished[k:]:
        state.nodes[dropped.node].status = "pruned"
    del state.finished[k:]
    state.running, state.steps = running, t
    state.done = last or not running or _cannot_improve(state, cfg)


def expand(step: Step, states: list[SearchState], cfg: BeamConfig, vocab_size: int | None = None,
           prune: Callable[[np.ndarray, np.ndarray, int], tuple] = prune) -> int:
    """One step of every unfinished search: ONE step call for all their open beams, then ``advance`` each.

    Returns:
        V, the step function's vocabulary size (pass it back in to check later calls).
    """
    if vocab_size is not None:
        vocab_size = validate.positive_int(vocab_size, "vocab_size")
    if not all(isinstance(s, SearchState) for s in validate.non_empty(states, "states", what="search states")):
        raise TypeError(f"states: expected a list of SearchState (from start), got {states!r:.60}")
    active = [s for s in states if not s.done]
    if not active:
        return vocab_size  # type: ignore[return-value]
    logp = _run_step(step, [s.prompt + b.tokens for s in active for b in s.running], vocab_size)
    row = 0
    for s in active:
        n = len(s.running)
        advance(s, logp[row : row + n], cfg, prune)
        row += n
    return logp.shape[1]


def generate(step: Step, input_ids: object, *, num_beams: int, max_new_tokens: int, eos_token_id: int | None,
             pad_token_id: int, length_penalty: float = 1.0, early_stopping: bool | str = False,
             num_return_sequences: int = 1,
             prune: Callable[[np.ndarray, np.ndarray, int], tuple] = prune) -> tuple[np.ndarray, np.ndarray]:
    """Beam search with the rules and outputs of ``model.generate(num_beams=k, do_sample=False, ...,
    return_dict_in_generate=True, output_scores=True)`` (``.sequences``, ``.sequences_scores``).

    Args:
        step: prefixes (N, t) -> (N, V) log-probs. input_ids: (B, P) prompts of equal length.
        num_beams: k >= 1. max_new_tokens: T >= 1. eos_token_id: ends a hypothesis (None: only T does).
        pad_token_id: fills the rows after a hypothesis ended.
        length_penalty: α in ``length_normalised`` (generated length, prompt excluded, EOS included).
        early_stopping: True (stop once k hypotheses are finished), False (stop when the best open beam at
            its current length cannot beat the worst finished one), "never" (the same with the longest
            possible length when α > 0: exact).
        num_return_sequences: n <= k hypotheses per prompt.
        prune: the pruning step (default ``prune``).
    Returns:
        sequences (B·n, P + T') int64: prompt + hypothesis, padded with ``pad_token_id`` to the longest
        returned one; sequences_scores (B·n,) float64, the length-normalised scores, best first per prompt.
    Equal to transformers' output in the tests (seeds × widths × length penalties × early_stopping, small
    vocabularies with |V| < 2k included), with one deliberate difference: with ``pad_token_id=0``
    transformers pads with the EOS id instead (its fill value is ``pad_token_id or eos_token_id``); this
    pads with ``pad_token_id``, as asked.
    """
    cfg = BeamConfig(num_beams, max_new_tokens, eos_token_id, pad_token_id, length_penalty, early_stopping,
                     num_return_sequences)
    prompts = check_prompts(input_ids)
    states = [start(p) for p in prompts.tolist()]
    V = None
    while not all(s.done for s in states):
        first = V is None
        V = expand(step, states, cfg, V, prune)
        if first:
            _check_ids_in_vocab(prompts, V, eos_token_id=cfg.eos_token_id, pad_token_id=cfg.pad_token_id)
    best = [[(score, beam.tokens) for score, beam in s.finished] for s in states]
    return _pack(prompts, best, cfg.num_return_sequences, cfg.pad_token_id)


# ---------------------------------------------------------------- 5. search error or model error?

def sequence_logprob(step: Step, prompt: Sequence[int], tokens: Sequence[int]) -> float:
    """log p(tokens | prompt) = Σ_t log p(tokens[t] | prompt, tokens[:t]) (a float; −inf if impossible)."""
    prompt = validate.int_array(validate.non_empty(list(prompt), "prompt", what="tokens"), "prompt", ndim=1).tolist()
    tokens = validate.int_array(validate.non_empty(list(tokens), "tokens"), "tokens", ndim=1).tolist()
    # prefixes of different lengths: one call each (a step function takes a batch of equal-length prefixes)
    return float(sum(_run_step(step, [tuple(prompt + tokens[:t])], None)[0, w] for t, w in enumerate(tokens)))


def diagnose(step: Step, prompt: Sequence[int], found: Sequence[int], reference: Sequence[int]) -> str:
    """"search error" when the search's output is less probable than the reference (a better search would
    have found something at least as probable), else "model error" (the model prefers a worse output)."""
    return ("search error" if sequence_logprob(step, prompt, found) < sequence_logprob(step, prompt, reference)
            else "model error")

from .sampling import sample  # noqa: E402  (07's last section: sampling; sampling.py builds on step.py only)
