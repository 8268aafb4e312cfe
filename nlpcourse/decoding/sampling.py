"""Sampling (notebook 07's last section): draw the next token instead of taking the best one.

Three knobs reshape the model's next-token scores z (log-probabilities) before the draw, in the order
transformers applies its logits warpers (``GenerationMixin._get_logits_processor``):

1. temperature τ: z / τ (τ < 1 sharpens, τ > 1 flattens; τ = 1 is skipped);
2. top-k: every token scoring below the k-th best is removed (−inf); ties with the k-th are all kept;
3. top-p (nucleus): sorted from the least probable up, the tokens whose cumulative probability is ≤ 1 − p are
   removed; the most probable token always stays (p = 0 keeps one token, p = 1 is skipped).

Then p = softmax(scores) and one token per sequence is drawn with ``torch.multinomial(p, 1)`` — which on the
CPU is argmax(p / q), q ~ Exp(1), one q per (sequence, token): finished sequences take part in the draw too,
so the random stream is consumed as ``model.generate(do_sample=True)`` consumes it. The filters run in float32
torch, as transformers runs them, so after ``torch.manual_seed(s)`` ``sample`` returns ``generate``'s sequences
(tested over seeds, temperatures, k and p, ties included: ``sampling_agreement``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import torch_threads, validate
from ..parallel import starmap
from .step import StepFunction, check_prompts, check_step_output

__all__ = ["SamplingConfig", "apply_temperature", "top_k_filter", "top_p_filter", "warp", "filtered_distribution",
           "sample", "hf_sample", "tied_gpt2", "sampling_agreement", "diversity_vs_likelihood"]


@dataclass(frozen=True)
class SamplingConfig(validate.Config):
    """The three knobs, with ``model.generate``'s names; None switches a filter off."""

    temperature: float = 1.0  # τ > 0
    top_k: int | None = None  # keep the k best (k ≥ 1)
    top_p: float | None = None  # nucleus: drop the least probable tokens holding ≤ 1 − p of the mass (p in [0, 1])

    def __post_init__(self) -> None:
        self._set("temperature", validate.positive_float(self.temperature, "temperature"))
        if self.top_k is not None:
            self._set("top_k", validate.integer(self.top_k, "top_k", low=1))
        if self.top_p is not None:
            self._set("top_p", validate.number(self.top_p, "top_p", low=0.0, high=1.0))


def _check_scores(scores: object):
    """Scores must be a (N, V) float torch tensor (what the model gives and transformers' warpers take)."""
    import torch

    if not isinstance(scores, torch.Tensor) or not scores.is_floating_point():
        raise TypeError(f"scores: expected a float torch tensor (N, V), got {type(scores).__name__}")
    if scores.ndim != 2:
        raise ValueError(f"scores: expected shape (N, V), got {tuple(scores.shape)}")
    return scores


def apply_temperature(scores, temperature: float):
    """z / τ: the scores (N, V) float32 tensor divided by the temperature."""
    return _check_scores(scores) / validate.positive_float(temperature, "temperature")


def top_k_filter(scores, k: int):
    """Scores (N, V) with every entry below the row's k-th largest set to −inf (ties with it are kept)."""
    import torch

    scores, k = _check_scores(scores), min(validate.integer(k, "k", low=1), scores.shape[-1])
    kth = torch.topk(scores, k)[0][..., -1, None]  # (N, 1)
    return scores.masked_fill(scores < kth, -float("inf"))


def top_p_filter(scores, p: float):
    """Nucleus filter: sort each row ascending; remove the tokens whose cumulative probability is ≤ 1 − p,
    never the last (most probable) one. Scores (N, V) -> (N, V) with the removed tokens at −inf."""
    import torch

    scores, p = _check_scores(scores), validate.number(p, "p", low=0.0, high=1.0)
    ascending, order = torch.sort(scores, descending=False)
    cumulative = ascending.softmax(dim=-1).cumsum(dim=-1)  # (N, V)
    remove = cumulative <= (1 - p)
    remove[..., -1:] = False  # keep at least one token
    return scores.masked_fill(remove.scatter(1, order, remove), -float("inf"))


def warp(scores, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None):
    """Temperature, then top-k, then top-p, on float32 scores (N, V) (a torch tensor): transformers' order."""
    cfg = SamplingConfig(temperature, top_k, top_p)
    scores = _check_scores(scores)
    if cfg.temperature != 1.0:
        scores = apply_temperature(scores, cfg.temperature)
    if cfg.top_k is not None:
        scores = top_k_filter(scores, cfg.top_k)
    if cfg.top_p is not None and cfg.top_p < 1.0:
        scores = top_p_filter(scores, cfg.top_p)
    return scores


def filtered_distribution(logp: object, temperature: float = 1.0, top_k: int | None = None,
                          top_p: float | None = None) -> np.ndarray:
    """The distribution a sampler draws from: softmax(warp(log p)) for one step's log-probabilities (V,) -> (V,)."""
    import torch

    logp = validate.float_array(logp, "logp", ndim=1, finite=False)
    scores = torch.as_tensor(logp, dtype=torch.float32)[None]
    return torch.softmax(warp(scores, temperature, top_k, top_p), dim=-1)[0].double().numpy()


def sample(step: StepFunction, input_ids: object, *, max_new_tokens: int, eos_token_id: int | None, pad_token_id: int,
           temperature: float = 1.0, top_k: int | None = None,
           top_p: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw each next token from the ``warp``-filtered distribution, for every prompt, with torch's random stream.

    step: prefixes (N, t) -> log-probabilities (N, V); input_ids (B, P) -> sequences (B, P + T') int64 (padded
    after EOS; T' ≤ max_new_tokens the longest generated part) and the drawn tokens' summed log-probabilities
    under the *unfiltered* model (B,) float64.
    """
    import torch

    cfg = SamplingConfig(temperature, top_k, top_p)
    prompts = check_prompts(input_ids)
    T = validate.positive_int(max_new_tokens, "max_new_tokens")
    eos = None if eos_token_id is None else validate.non_negative_int(eos_token_id, "eos_token_id")
    pad = validate.non_negative_int(pad_token_id, "pad_token_id")
    seqs = prompts.copy()
    logprob = np.zeros(len(seqs))
    open_ = np.ones(len(seqs), dtype=bool)
    V = None
    with torch_threads(1):  # small (B, V) ops: one thread is faster (no hand-off to a thread pool)
        for _ in range(T):
            rows = np.flatnonzero(open_)
            logp = check_step_output(step(seqs[rows]), len(rows), V)
            if V is None:
                V = logp.shape[1]
                for name, value in (("input_ids", int(prompts.max())), ("eos_token_id", eos), ("pad_token_id", pad)):
                    if value is not None and value >= V:
                        raise ValueError(f"{name}: expected token ids in [0, {V}) (the step function's vocabulary), "
                                         f"got {value}")
            # every sequence draws (finished ones from a placeholder), so the stream is used as generate uses it
            scores = torch.zeros(len(seqs), V, dtype=torch.float32)
            scores[torch.as_tensor(rows)] = torch.as_tensor(logp, dtype=torch.float32)
            probs = torch.softmax(warp(scores, cfg.temperature, cfg.top_k, cfg.top_p), dim=-1)  # (B, V)
            drawn = torch.multinomial(probs, num_samples=1)[:, 0].numpy()
            nxt = np.where(open_, drawn, pad)
            logprob[rows] += logp[np.arange(len(rows)), drawn[rows]]
            seqs = np.concatenate([seqs, nxt[:, None]], axis=1)
            if eos is not None:
                open_ &= nxt != eos
            if not open_.any():
                break
    return seqs, logprob


# ---------------------------------------------------------------- the reference: model.generate(do_sample=True)

def hf_sample(model, input_ids: object, *, seed: int, max_new_tokens: int, eos_token_id: int | None,
              pad_token_id: int, temperature: float = 1.0, top_k: int | None = None,
              top_p: float | None = None) -> np.ndarray:
    """``torch.manual_seed(seed); model.generate(do_sample=True, ...)``'s sequences (B, P + T') int64."""
    import torch
    from transformers.utils import logging

    SamplingConfig(temperature, top_k, top_p)
    ids = torch.as_tensor(check_prompts(input_ids))
    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()
    try:
        torch.manual_seed(validate.non_negative_int(seed, "seed"))
        with torch.no_grad():
            out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, num_beams=1,
                                 max_new_tokens=int(max_new_tokens), eos_token_id=eos_token_id,
                                 pad_token_id=int(pad_token_id), temperature=float(temperature),
                                 top_k=0 if top_k is None else int(top_k),
                                 top_p=1.0 if top_p is None else float(top_p))
    finally:
        logging.set_verbosity(verbosity)
    return out.cpu().numpy()


def tied_gpt2(seed: int = 0, keep: int = 6):
    """A tiny GPT-2 whose output layer is zero except for ``keep`` tokens: all the others tie exactly (logit 0),
    so top-k and top-p cut through ties. Untied embeddings, eval mode, float32."""
    seed, keep = validate.non_negative_int(seed, "seed"), validate.positive_int(keep, "keep")
    import torch

    from .hf import TinyGPT2, gpt2_classes

    GPT2Config, GPT2LMHeadModel = gpt2_classes()

    size = TinyGPT2()
    config = GPT2Config(vocab_size=size.vocab_size, n_positions=size.n_positions, n_embd=size.n_embd,
                        n_layer=size.n_layer, n_head=size.n_head, n_inner=2 * size.n_embd,
                        initializer_range=size.init, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        bos_token_id=0, eos_token_id=1, pad_token_id=2, tie_word_embeddings=False)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = GPT2LMHeadModel(config).eval()
    finally:
        torch.random.set_rng_state(state)
    with torch.no_grad():
        model.lm_head.weight[keep:] = 0.0
        model.lm_head.weight[:keep] *= 0.05  # the kept logits of size ~1: the tied block stays in play
    return model


def sampling_agreement(seeds: Iterable[int] = range(4), temperatures: Iterable[float] = (0.5, 1.0, 2.0),
                       top_ks: Iterable[int | None] = (None, 1, 5),
                       top_ps: Iterable[float | None] = (None, 0.0, 0.5, 0.999),
                       *, tied: bool = False, max_new_tokens: int = 8, batch: int = 3,
                       prompt_length: int = 2) -> pd.DataFrame:
    """``sample`` vs ``model.generate(do_sample=True)`` after the same ``torch.manual_seed``, on a tiny GPT-2
    (``tied``: on ``tied_gpt2``), one row per (seed, τ, k, p): same_sequences, eos_ended, rows. The seeds run
    side by side (``parallel.starmap``); torch's random stream is left as it was."""
    import torch

    max_new_tokens = validate.positive_int(max_new_tokens, "max_new_tokens")
    batch = validate.positive_int(batch, "batch")
    prompt_length = validate.positive_int(prompt_length, "prompt_length")
    seeds = [validate.non_negative_int(s, "seeds") for s in seeds]
    settings = list(itertools.product(temperatures, top_ks, top_ps))  # (τ, k, p), the same for every seed
    for t, k, p in settings:
        SamplingConfig(t, k, p)
    jobs = [(seed, settings, tied, max_new_tokens, batch, prompt_length) for seed in seeds] if settings else []
    if jobs:
        from .hf import gpt2_classes

        gpt2_classes()  # imported here, so that starmap's second process inherits it
    # one job per seed (each draw is seeded): independent, so side by side on two cores
    with torch.random.fork_rng(devices=[]):  # the caller's random stream stays as it was
        per_seed = starmap(_sampling_agreement_seed, jobs)
    return pd.DataFrame([row for rows in per_seed for row in rows])


def _sampling_agreement_seed(seed: int, settings: list[tuple], tied: bool, max_new_tokens: int, batch: int,
                             prompt_length: int) -> list[dict]:
    """``sampling_agreement``'s rows for one seed: its model and prompts, then every (τ, k, p)."""
    import torch

    from .hf import hf_step, reference_problem

    with torch_threads(1):
        if tied:
            model = tied_gpt2(seed)
            step, eos, pad = hf_step(model), 0, 2
            allowed = np.setdiff1d(np.arange(model.config.vocab_size), [eos, pad])
            prompts = np.random.default_rng(seed).choice(allowed, size=(batch, prompt_length))
        else:
            model, step, prompts, eos, pad = reference_problem(seed, batch, prompt_length)
        rows = []
        for t, k, p in settings:
            kw = dict(max_new_tokens=max_new_tokens, eos_token_id=eos, pad_token_id=pad, temperature=t, top_k=k,
                      top_p=p)
            ref = hf_sample(model, prompts, seed=seed, **kw)
            torch.manual_seed(seed)
            ours, _ = sample(step, prompts, **kw)
            same = ours.shape == ref.shape and bool(np.array_equal(ours, ref))
            rows.append({"seed": seed, "temperature": t, "top_k": k, "top_p": p, "same_sequences": same,
                         "eos_ended": int(sum(eos in s[prompt_length:] for s in ref.tolist())), "rows": len(ref)})
    return rows


# ---------------------------------------------------------------- sampling vs beam search

def diversity_vs_likelihood(step: StepFunction, prompts: list[np.ndarray], settings: dict[str, dict], *,
                            num_beams: int = 4, samples: int = 10, seed: int = 0, max_new_tokens: int = 15,
                            eos_token_id: int, pad_token_id: int) -> pd.DataFrame:
    """Beam search against sampling (each entry of ``settings``: name -> ``sample``'s knobs) on each prompt
    (1, P_i): ``samples`` draws per prompt after ``torch.manual_seed(seed)``. A row per method: the mean
    log-probability per generated token (likelihood), the mean number of distinct outputs per prompt among the
    ``samples`` (diversity; beam search: 1), the mean generated length. The methods run side by side
    (``parallel.starmap``); torch's random stream is left as it was.
    """
    import torch

    from . import generate

    num_beams, samples = validate.positive_int(num_beams, "num_beams"), validate.positive_int(samples, "samples")
    seed = validate.non_negative_int(seed, "seed")
    for knobs in settings.values():
        SamplingConfig(**knobs)
    kw = dict(max_new_tokens=max_new_tokens, eos_token_id=eos_token_id, pad_token_id=pad_token_id)

    def row(outputs: list[list[tuple[int, ...]]], logps: list[np.ndarray]) -> dict:
        lengths = np.array([len(o) for outs in outputs for o in outs])
        per_token = np.concatenate(logps) / np.maximum(lengths, 1)
        return {"log-prob per token": float(per_token.mean()),
                "distinct outputs per prompt": float(np.mean([len(set(outs)) for outs in outputs])),
                "mean length": float(lengths.mean())}

    def generated(seqs: np.ndarray, P: int) -> list[tuple[int, ...]]:
        out = []
        for s in seqs[:, P:].tolist():
            end = s.index(eos_token_id) + 1 if eos_token_id in s else len(s)
            out.append(tuple(s[:end]))
        return out

    def method(knobs: dict | None) -> dict:  # None: beam search; else one sampler's knobs (seeded)
        outs, logps = [], []
        if knobs is None:
            for prompt in prompts:
                seqs, scores = generate(step, prompt, num_beams=num_beams, length_penalty=1.0, **kw)
                gen = generated(seqs, prompt.shape[1])
                outs.append(gen)
                logps.append(scores * np.array([len(g) for g in gen]))  # α = 1: the score is log p / length
            return row(outs, logps)
        torch.manual_seed(seed)
        for prompt in prompts:
            seqs, lp = sample(step, np.repeat(prompt, samples, axis=0), **kw, **knobs)
            outs.append(generated(seqs, prompt.shape[1]))
            logps.append(lp)
        return row(outs, logps)

    # the methods are independent (each sampler seeded): side by side on two cores
    with torch.random.fork_rng(devices=[]):  # the caller's random stream stays as it was
        results = starmap(method, [(None,), *((knobs,) for knobs in settings.values())])
    rows = dict(zip([f"beam search, k = {num_beams}", *settings], results, strict=True))
    return pd.DataFrame(rows).T

