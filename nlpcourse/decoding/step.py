"""The step-function interface every search in this folder runs on, and small step functions to try it with.

A *step function* maps prefixes (N, t) int64 to next-token log-probabilities (N, V): one batched call expands
every beam of every prompt. Any model plugs in through it — a toy table, a random model, the neural LM, the
hierarchical-softmax tree, a transformers model (``hf.hf_step``). ``check_step_output`` checks each call's output
(shape, NaN, probabilities or logits given instead of log-probabilities) and explains what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import validate
from ..functional import log_softmax, logsumexp

__all__ = ["StepFunction", "check_step_output", "check_prompts", "table_step", "random_step", "ban", "counting",
           "TOY_WORDS", "TOY_TABLE", "toy_step"]

StepFunction = Callable[[np.ndarray], object]
"""prefixes (N, t) int64 -> (N, V) next-token log-probabilities (numpy array or torch tensor)."""

LOGSUMEXP_TOL = 1e-4  # a row of float32 log_softmax over 50 000 words sums to 1 far better than this


# ---------------------------------------------------------------- the step-function interface

def check_step_output(out: object, n_rows: int, vocab_size: int | None = None) -> np.ndarray:
    """What ``step(prefixes)`` returned (array or tensor) as float64 log-probabilities (n_rows, V), −inf allowed;
    V must equal ``vocab_size`` from earlier calls. A wrong shape, NaN/+inf, probabilities or logits get a
    ValueError that says which."""
    n_rows = validate.non_negative_int(n_rows, "n_rows")
    if vocab_size is not None:
        vocab_size = validate.positive_int(vocab_size, "vocab_size")
    if hasattr(out, "detach"):  # a torch tensor, possibly float16/bfloat16 on a GPU
        out = out.detach().cpu().double()
    shape = (n_rows, "V")
    sizes = {} if vocab_size is None else {"V": vocab_size}
    try:
        arr = validate.float_array(out, "step", shape=shape, sizes=sizes, finite=False)
    except ValueError as e:
        raise ValueError(f"{e}: the step function must return one row of next-token log-probabilities per "
                         f"prefix it is given ({n_rows} prefixes here), over the same vocabulary every call") from None
    if np.isnan(arr).any() or np.isposinf(arr).any():
        raise ValueError("step: expected log-probabilities (finite, or -inf for probability 0), got NaN or +inf")
    if arr.shape[1] == 0:
        raise ValueError("step: expected log-probabilities over a vocabulary of at least one token, got V = 0")
    lse = logsumexp(arr, axis=1)
    bad = np.abs(lse) > LOGSUMEXP_TOL
    if bad.any():
        row = int(np.argmax(np.abs(lse)))
        if arr.min() >= 0 and np.allclose(arr.sum(axis=1), 1.0, atol=LOGSUMEXP_TOL):
            hint = "these are probabilities (each row sums to 1): return their log"
        elif (arr > 0).any():
            hint = "positive values mean probabilities above 1: these look like logits; apply log_softmax"
        else:
            hint = "the rows are not normalised: apply log_softmax over the vocabulary"
        raise ValueError(f"step: expected log-probabilities (logsumexp of every row = 0), got row {row} with "
                         f"logsumexp {lse[row]:.4g}; {hint}")
    return arr


def check_prompts(input_ids: object) -> np.ndarray:
    """The prompts as a (B, P) int64 array: B >= 1 prompts of the same length P >= 1, ids >= 0.

    Accepts a list of lists, a numpy array or a torch tensor. Prompts of unequal length are refused
    (``model.generate`` would need left padding and an attention mask, which these searches do not model).
    """
    if isinstance(input_ids, (list, tuple)) and input_ids and all(
            isinstance(p, (list, tuple, np.ndarray)) for p in input_ids):
        lengths = sorted({len(p) for p in input_ids})
        if len(lengths) > 1:
            raise ValueError(f"input_ids: expected prompts of equal length (a (batch, length) array), got "
                             f"lengths {[len(p) for p in input_ids]}; decode prompts of different lengths "
                             "one at a time")
    arr = validate.int_array(input_ids, "input_ids", ndim=2)
    if arr.shape[0] == 0:
        raise ValueError(f"input_ids: expected at least one prompt, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError(f"input_ids: expected non-empty prompts (at least one token each, e.g. a start token), "
                         f"got shape {arr.shape}")
    if arr.min() < 0:
        raise ValueError(f"input_ids: expected token ids >= 0, got {int(arr.min())}")
    return arr


def check_ids_in_vocab(prompts: np.ndarray, vocab_size: int, **ids: int | None) -> None:
    """After the first step call tells V: the prompt ids and the special ids must be < V."""
    if prompts.max() >= vocab_size:
        raise ValueError(f"input_ids: expected token ids in [0, {vocab_size}) (the step function's vocabulary), "
                         f"got {int(prompts.max())}")
    for name, value in ids.items():
        if value is not None and value >= vocab_size:
            raise ValueError(f"{name}: expected a token id in [0, {vocab_size}) (the step function's "
                             f"vocabulary), got {value}")


def run_step(step: StepFunction, prefixes: list[tuple[int, ...]], vocab_size: int | None) -> np.ndarray:
    """Call ``step`` once on all prefixes (equal lengths) and check what it returns."""
    return check_step_output(step(np.array(prefixes, dtype=np.int64)), len(prefixes), vocab_size)


def table_step(table: Mapping[tuple[int, ...], Sequence[float]], prompt_length: int = 1) -> StepFunction:
    """A hand-made model: ``table[generated tokens]`` -> the next-token probabilities (V,).

    The key is the tuple of tokens generated after the first ``prompt_length`` prompt tokens (``()`` for the
    first step). Probabilities are turned into log-probabilities (0 -> −inf). A prefix missing from the table
    raises a KeyError naming it.
    """
    prompt_length = validate.non_negative_int(prompt_length, "prompt_length")
    rows = {tuple(k): np.asarray(v, dtype=np.float64) for k, v in table.items()}

    def step(prefixes: np.ndarray) -> np.ndarray:
        out = []
        for p in prefixes.tolist():
            key = tuple(p[prompt_length:])
            if key not in rows:
                raise KeyError(f"prefixes: the toy table has no row for the generated tokens {key}")
            with np.errstate(divide="ignore"):
                out.append(np.log(rows[key]))
        return np.array(out)

    return step


def random_step(vocab_size: int, seed: int = 0, temperature: float = 1.0) -> StepFunction:
    """A random toy model: the next-token distribution is a fixed random function of the whole prefix.

    logits ~ N(0, 1) / ``temperature`` drawn from a generator seeded by (seed, *prefix), so the same prefix
    always gets the same distribution (on every machine: numpy's PCG64 and normal sampler are fixed).
    """
    vocab_size = validate.integer(vocab_size, "vocab_size", low=2)
    seed = validate.non_negative_int(seed, "seed")
    temperature = validate.positive_float(temperature, "temperature")

    def step(prefixes: np.ndarray) -> np.ndarray:
        logits = np.array([np.random.default_rng([seed, *p]).standard_normal(vocab_size)
                           for p in prefixes.tolist()])
        return log_softmax(logits / temperature)

    return step


def ban(step: StepFunction, tokens: Sequence[int]) -> StepFunction:
    """``step`` with ``tokens`` forbidden (log-prob −inf) and the other probabilities renormalised.

    E.g. the LM's <unk>: a decoder that may not say "unknown word" (the distribution over the rest is p / (1 − p_unk)).
    """
    banned = validate.int_array(list(tokens), "tokens", ndim=1)

    def banned_step(prefixes: np.ndarray) -> np.ndarray:
        logp = check_step_output(step(prefixes), len(prefixes)).copy()
        logp[:, banned] = -np.inf
        return logp - logsumexp(logp, axis=1, keepdims=True)

    return banned_step


# The notebook's hand-made model: "<s>" then two words then "</s>". Greedy takes "the" (0.6), then "dog"
# (0.55): p = 0.33; the most probable sentence is "a dog" (0.4 · 0.9 = 0.36).
TOY_WORDS = ("<s>", "</s>", "a", "the", "dog", "cat")
TOY_TABLE = {(): (0, 0, 0.4, 0.6, 0, 0), (3,): (0, 0, 0, 0, 0.55, 0.45), (2,): (0, 0, 0, 0, 0.9, 0.1),
             **{(w, x): (0, 1, 0, 0, 0, 0) for w in (2, 3) for x in (4, 5)}}


def toy_step() -> StepFunction:
    """The hand-made model ``TOY_TABLE`` over ``TOY_WORDS`` as a step function (prompt: ``[[0]]``, "<s>")."""
    return table_step(TOY_TABLE)


@dataclass
class counting:  # noqa: N801  (used like a function: counting(step))
    """Wrap a step function to count its calls and the prefixes it scored (the cost of a search)."""

    step: StepFunction
    calls: int = field(default=0, init=False)
    rows: int = field(default=0, init=False)

    def __call__(self, prefixes: np.ndarray) -> object:
        self.calls += 1
        self.rows += len(prefixes)
        return self.step(prefixes)
