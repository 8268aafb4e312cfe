"""Decoding the trained translation model with notebook 07's searches, through a step function.

The prompt of a source sentence is its (padded) source ids followed by ``<s>``: the step function splits each
prefix it gets into the source (the first ``task.src_len`` ids, encoded once per call) and the target so far,
and returns the next-token log-probabilities (N, V). So ``decoding.greedy_decode``, ``decoding.generate`` (beam
search, length penalty) and ``decoding.sample`` decode it unchanged, many sentences in one batch.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import torch_threads, validate
from ..decoding import StepFunction, generate, greedy_decode

__all__ = ["translation_step", "prompts", "translate"]


def translation_step(model, task) -> StepFunction:
    """prefixes (N, src_len + t) = source ids, <s>, t − 1 generated ids -> (N, V) log-probabilities (float64)."""
    S = task.src_len

    def step(prefixes: np.ndarray) -> np.ndarray:
        prefixes = torch.as_tensor(np.asarray(prefixes, dtype=np.int64))
        with torch.no_grad(), torch_threads(1):
            logits = model(prefixes[:, :S], prefixes[:, S:])[:, -1]  # (N, V)
            return torch.log_softmax(logits, dim=-1).numpy()

    return step


def prompts(task, numbers: object) -> np.ndarray:
    """The prompts for the numbers' English words: (B, src_len + 1) = padded source ids, then <s>."""
    src = task.encode_source(numbers)
    return np.concatenate([src, np.full((len(src), 1), task.bos)], axis=1)


def translate(model, task, numbers: object, *, num_beams: int = 1, length_penalty: float = 1.0,
              max_new_tokens: int | None = None) -> list[list[str]]:
    """German words for each number's English words: greedy (num_beams = 1) or beam search (07's ``generate``)."""
    num_beams = validate.positive_int(num_beams, "num_beams")
    T = task.tgt_len + 2 if max_new_tokens is None else validate.positive_int(max_new_tokens, "max_new_tokens")
    ids = prompts(task, numbers)
    step = translation_step(model, task)
    kw = dict(max_new_tokens=T, eos_token_id=task.eos, pad_token_id=task.pad)
    if num_beams == 1:
        seqs, _ = greedy_decode(step, ids, **kw)
    else:
        seqs, _ = generate(step, ids, num_beams=num_beams, length_penalty=length_penalty, **kw)
    return [task.words(s[ids.shape[1]:]) for s in seqs]
