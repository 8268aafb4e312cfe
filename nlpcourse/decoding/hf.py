"""The reference: a tiny randomly initialised GPT-2 (no download) as a step function, and HF's own generate.

``tiny_gpt2(seed)`` builds a ``transformers.GPT2LMHeadModel`` from a ``GPT2Config`` with a fixed seed
(``HF_HUB_OFFLINE=1`` is fine: nothing is fetched); ``hf_step(model)`` wraps it as a step function;
``hf_generate`` calls ``model.generate(num_beams=k, ...)`` and returns what our ``generate`` returns, so a test
and the notebook's table can compare the two; ``agreement`` runs both over a grid of settings.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import torch_threads, validate
from ..parallel import starmap
from ..perturb import nudge
from . import BeamConfig, StepFunction, check_prompts, generate, greedy_decode

if TYPE_CHECKING:
    from transformers import PreTrainedModel

__all__ = ["TinyGPT2", "tiny_gpt2", "gpt2_classes", "hf_step", "hf_generate", "reference_problem", "agreement"]


GREEDY = "—"  # agreement's early_stopping for k = 1: greedy search has no beams to stop


@dataclass(frozen=True)
class TinyGPT2(validate.Config):
    """The tiny GPT-2's size (``GPT2Config``'s names)."""

    vocab_size: int = 48  # V
    n_positions: int = 64  # the longest sequence
    n_embd: int = 32  # E
    n_layer: int = 2  # decoder blocks
    n_head: int = 2  # H, each of size E / H
    init: float = 0.5  # the weights' std: 0.5 (GPT-2: 0.02) peaks the random model, so beams differ and EOS comes

    def __post_init__(self) -> None:
        for name in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head"):
            self._set(name, validate.positive_int(getattr(self, name), name))
        self._set("init", validate.positive_float(self.init, "init"))
        if self.n_embd % self.n_head:
            raise ValueError(f"n_head: n_embd {self.n_embd} is not divisible by n_head {self.n_head}")


def tiny_gpt2(seed: int = 0, size: TinyGPT2 = TinyGPT2()) -> PreTrainedModel:
    """A randomly initialised GPT-2 from a ``GPT2Config`` (torch seeded with ``seed``), in eval mode, float32."""
    seed = validate.non_negative_int(seed, "seed")  # before importing transformers (seconds)
    if not isinstance(size, TinyGPT2):
        raise TypeError(f"size: expected a TinyGPT2, got {size!r}")
    import torch

    GPT2Config, GPT2LMHeadModel = gpt2_classes()
    config = GPT2Config(vocab_size=size.vocab_size, n_positions=size.n_positions, n_embd=size.n_embd,
                        n_layer=size.n_layer, n_head=size.n_head, n_inner=2 * size.n_embd,
                        initializer_range=size.init, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        bos_token_id=0, eos_token_id=1, pad_token_id=2)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = nudge(GPT2LMHeadModel(config).eval())
    finally:
        torch.random.set_rng_state(state)  # building a model does not disturb the caller's random stream
    return model


def gpt2_classes() -> tuple[type, type]:
    """transformers' ``GPT2Config`` and ``GPT2LMHeadModel`` (the first import takes seconds)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    return GPT2Config, GPT2LMHeadModel


def hf_step(model: PreTrainedModel, cache: bool = True) -> StepFunction:
    """A transformers causal LM as a step function: prefixes (N, t) -> log_softmax of the last logits (N, V).

    With ``cache`` (the default), the step keeps the previous call's key/value cache: when every prefix is a
    previous prefix plus one token (what a search asks for, step after step), the cache rows are gathered for
    the new prefixes' parents and only the last tokens run through the model — as ``model.generate`` does.
    Any other call (a first step, a prefix it has not seen) runs the whole prefixes. ``cache=False`` always
    runs the whole prefixes. float32 logits as ``generate`` uses them, returned as float64 numpy.
    """
    import torch

    device = next(model.parameters()).device
    vocab_size = model.config.vocab_size
    previous: dict = {}  # "rows": prefix tuple -> its row in "cache"; "cache": the model's past_key_values

    def step(prefixes: np.ndarray) -> np.ndarray:
        prefixes = np.asarray(prefixes, dtype=np.int64)
        if prefixes.size and not 0 <= prefixes.min() <= prefixes.max() < vocab_size:
            raise ValueError(f"prefixes: expected token ids in [0, {vocab_size}) (the model's vocabulary), got "
                             f"ids from {prefixes.min()} to {prefixes.max()}")
        keys = [tuple(p) for p in prefixes.tolist()]
        rows = previous.get("rows", {})
        parents = [rows.get(k[:-1]) for k in keys]
        with torch.no_grad():
            mask = torch.ones(prefixes.shape, dtype=torch.long, device=device)
            if cache and parents and None not in parents:
                past = previous["cache"]
                past.reorder_cache(torch.tensor(parents, device=device))
                out = model(input_ids=torch.as_tensor(prefixes[:, -1:], device=device), attention_mask=mask,
                            past_key_values=past, use_cache=True)
            else:
                out = model(input_ids=torch.as_tensor(prefixes, device=device), attention_mask=mask,
                            use_cache=cache)
            if cache:
                previous["rows"], previous["cache"] = {k: i for i, k in enumerate(keys)}, out.past_key_values
            return torch.log_softmax(out.logits[:, -1, :].float(), dim=-1).double().cpu().numpy()

    return step


def hf_generate(model: PreTrainedModel, input_ids: object, *, num_beams: int, max_new_tokens: int,
                eos_token_id: int | None, pad_token_id: int, length_penalty: float = 1.0,
                early_stopping: bool | str = False,
                num_return_sequences: int = 1) -> tuple[np.ndarray, np.ndarray | None]:
    """``model.generate(num_beams=k, do_sample=False, ...)``: (sequences (B·n, L) int64, sequences_scores
    (B·n,) float64 — None for k = 1, which transformers runs as greedy search)."""
    # our checks and messages first (model.generate's own are about its config, and some come late)
    BeamConfig(num_beams, max_new_tokens, eos_token_id, pad_token_id, length_penalty, early_stopping,
               num_return_sequences)
    num_beams, max_new_tokens, num_return_sequences = int(num_beams), int(max_new_tokens), int(num_return_sequences)
    eos_token_id, pad_token_id = None if eos_token_id is None else int(eos_token_id), int(pad_token_id)
    import torch
    from transformers.utils import logging

    ids = torch.as_tensor(check_prompts(input_ids), device=next(model.parameters()).device)
    # greedy search (k = 1) warns that it ignores the beam-only flags: pass them only to beam search
    beam_only = dict(length_penalty=length_penalty, early_stopping=early_stopping) if num_beams > 1 else {}
    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # its greedy search warns about a mask it dropped itself after step 1
    try:
        with torch.no_grad():
            out = model.generate(ids, attention_mask=torch.ones_like(ids), num_beams=num_beams, do_sample=False,
                                 max_new_tokens=max_new_tokens, eos_token_id=eos_token_id,
                                 pad_token_id=pad_token_id, num_return_sequences=num_return_sequences,
                                 return_dict_in_generate=True, output_scores=True, **beam_only)
    finally:
        logging.set_verbosity(verbosity)
    scores = getattr(out, "sequences_scores", None)
    return out.sequences.cpu().numpy(), None if scores is None else scores.double().cpu().numpy()


def reference_problem(seed: int, batch: int = 2, prompt_length: int = 3, size: TinyGPT2 = TinyGPT2()):
    """(model, step, prompts (batch, prompt_length), eos, pad) for seed: a tiny GPT-2, random prompts, and as EOS
    the model's most probable token after a single prompt token (so hypotheses end, at different lengths)."""
    batch = validate.positive_int(batch, "batch")
    prompt_length = validate.positive_int(prompt_length, "prompt_length")
    model = tiny_gpt2(seed, size)
    step = hf_step(model)
    pad = 2
    prompts = _prompts(seed, batch, prompt_length, size.vocab_size, avoid=(pad,))
    eos = int(np.argmax(step(prompts[:1, :1])[0]))
    prompts = _prompts(seed, batch, prompt_length, size.vocab_size, avoid=(pad, eos))
    return model, step, prompts, eos, pad


def _prompts(seed: int, batch: int, length: int, vocab_size: int, avoid: Iterable[int]) -> np.ndarray:
    """Random prompts (batch, length) without the special ids."""
    allowed = np.setdiff1d(np.arange(vocab_size), list(avoid))
    return np.random.default_rng(seed).choice(allowed, size=(batch, length))


def agreement(seeds: Iterable[int] = range(3), widths: Iterable[int] = (2, 3, 4),
              length_penalties: Iterable[float] = (0.0, 1.0, 2.0),
              early_stopping: Iterable[bool | str] = (True, False, "never"), *, max_new_tokens: int = 6,
              batch: int = 2, prompt_length: int = 3, size: TinyGPT2 = TinyGPT2(),
              progress: bool = False) -> pd.DataFrame:
    """Our ``generate`` vs ``model.generate`` on tiny GPT-2s, one row per (seed, k, α, early_stopping).

    For each seed the EOS token is the model's most probable token after the first prompt's first token
    (so hypotheses do end, at different lengths); n = k return sequences; k = 1 compares with HF's greedy search,
    once per seed (α and early_stopping do not apply to it: its row has length_penalty NaN, early_stopping "—").
    Columns: seed, num_beams, length_penalty, early_stopping, same_sequences, max_score_diff (NaN for k = 1),
    eos_ended (returned hypotheses that end with EOS), rows. The seeds run side by side (``parallel.starmap``).
    """
    max_new_tokens = validate.positive_int(max_new_tokens, "max_new_tokens")
    batch = validate.positive_int(batch, "batch")
    prompt_length = validate.positive_int(prompt_length, "prompt_length")
    seeds = [validate.non_negative_int(s, "seeds") for s in seeds]
    widths = [validate.positive_int(k, "widths") for k in widths]
    length_penalties, early_stopping = list(length_penalties), list(early_stopping)
    settings = []  # (k, α, early_stopping), the same for every seed
    for k in widths:
        settings += ([(k, alpha, es) for alpha, es in itertools.product(length_penalties, early_stopping)] if k > 1
                     else [(k, np.nan, GREEDY)])
    jobs = [(seed, settings, max_new_tokens, batch, prompt_length, size) for seed in seeds] if settings else []
    if jobs:
        gpt2_classes()  # imported here, so that starmap's second process inherits it
    # one job per seed (its model, then its settings in order): independent, so side by side on two cores
    per_seed = starmap(_compare_seed, jobs, progress="ours vs model.generate (seeds)" if progress else None)
    return pd.DataFrame([row for rows in per_seed for row in rows])


def _compare_seed(seed: int, settings: list[tuple], max_new_tokens: int, batch: int, prompt_length: int,
                  size: TinyGPT2) -> list[dict]:
    """``agreement``'s rows for one seed: its problem (model, prompts, EOS), then every (k, α, early_stopping)."""
    with torch_threads(1):  # tiny matrices: one thread is faster, and both sides get the same kernels
        problem = reference_problem(seed, batch, prompt_length, size)
        return [_compare(problem, seed, k, alpha, es, max_new_tokens, prompt_length) for k, alpha, es in settings]


def _compare(problem: tuple, seed: int, k: int, alpha: float, es: bool | str, max_new_tokens: int,
             prompt_length: int) -> dict:
    """One row of ``agreement`` (problem: the seed's (model, step, prompts, eos, pad))."""
    model, step, prompts, eos, pad = problem
    kw = dict(num_beams=k, max_new_tokens=max_new_tokens, eos_token_id=eos, pad_token_id=pad, num_return_sequences=k)
    if k > 1:
        kw.update(length_penalty=alpha, early_stopping=es)
    ref_seqs, ref_scores = hf_generate(model, prompts, **kw)
    if k == 1:
        seqs, _ = greedy_decode(step, prompts, max_new_tokens=max_new_tokens, eos_token_id=eos,
                                pad_token_id=pad)
        diff = np.nan
    else:
        seqs, scores = generate(step, prompts, **kw)
        diff = float(np.max(np.abs(scores - ref_scores))) if seqs.shape == ref_seqs.shape else np.inf
    same = seqs.shape == ref_seqs.shape and bool(np.array_equal(seqs, ref_seqs))
    return {"seed": seed, "num_beams": k, "length_penalty": alpha, "early_stopping": str(es),
            "same_sequences": same, "max_score_diff": diff,
            "eos_ended": int(sum(eos in s[prompt_length:] for s in ref_seqs.tolist())), "rows": len(ref_seqs)}
