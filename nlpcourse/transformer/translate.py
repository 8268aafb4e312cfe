"""Decoding the trained translation model with notebook 07's searches, through a step function.

The prompt of a source sentence is its (padded) source ids followed by ``<s>``: the step function splits each
prefix it gets into the source (the first ``task.src_len`` ids, encoded once per call) and the target so far,
and returns the next-token log-probabilities (N, V). So ``decoding.greedy_decode``, ``decoding.generate`` (beam
search, length penalty) and ``decoding.sample`` decode it unchanged, many sentences in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import torch_threads, validate
from ..decoding import StepFunction, generate, greedy_decode

__all__ = ["translation_step", "prompts", "translate", "Trace", "source_ids", "trace", "exact_match",
           "alignment_agreement"]


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


def translate(model, task, numbers: object, num_beams: int = 1, length_penalty: float = 1.0, *,
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


def exact_match(outputs: list[list[str]], numbers: object) -> int:
    """How many outputs are exactly the German words of their number."""
    from .task import german

    return sum(out == german(n) for out, n in zip(outputs, np.asarray(numbers).tolist(), strict=True))


@dataclass
class Trace:
    """Greedy decoding of one source, step by step: what the widget and the alignment figure show.

    source: the English words; output: the generated German words (</s> included when reached);
    cross: (layers, H, T, S) the cross-attention weights of each generated position; probs: (T, V) the
    next-token distribution at each step.
    """

    source: list[str]
    output: list[str]
    cross: np.ndarray
    probs: np.ndarray


def source_ids(task, text: str) -> np.ndarray:
    """English number words typed by a person -> a (1, src_len) source row; unknown words are refused."""
    words = validate.string(text, "text").lower().replace("-", " ").split()
    unknown = [w for w in words if w not in task.english_words]
    if not words or unknown or len(words) > task.src_len:
        raise ValueError(f"text: expected 1 to {task.src_len} English number words (e.g. 'three hundred twenty "
                         f"one'), got {text!r}" + (f"; unknown: {unknown}" if unknown else ""))
    row = np.full((1, task.src_len), task.pad, dtype=np.int64)
    row[0, : len(words)] = [task.stoi[w] for w in words]
    return row


def trace(model, task, text: str, max_new_tokens: int | None = None) -> Trace:
    """Greedy decoding of ``text`` one token at a time, keeping every step's cross-attention and distribution."""
    src = torch.from_numpy(source_ids(task, text))
    T = task.tgt_len + 2 if max_new_tokens is None else validate.positive_int(max_new_tokens, "max_new_tokens")
    out = [task.bos]
    with torch.no_grad(), torch_threads(1):
        memory, pad = model.encode(src)
        for _ in range(T):
            probs = torch.softmax(model.decode(torch.tensor([out]), memory, pad)[0], dim=-1)  # (t, V)
            out.append(int(probs[-1].argmax()))
            if out[-1] == task.eos:
                break
        cross = torch.stack([w[0] for w in model.core.cross_attention()]).numpy()  # (layers, H, T, S)
    S = int((src[0] != task.pad).sum())
    return Trace([task.itos[i] for i in src[0, :S].tolist()], [task.itos[i] for i in out[1:]],
                 cross[..., :S], probs.numpy())


def alignment_agreement(model, task, numbers: object) -> np.ndarray:
    """For each (decoder layer, head): the mean cross-attention weight on the source word a person aligns to
    the word being generated (``task.alignment``), over every aligned German word of the numbers. (layers, H)."""
    from .task import alignment

    numbers = validate.int_array(numbers, "numbers", ndim=1)
    src, tgt_in, _ = (torch.from_numpy(a) for a in (task.encode_source(numbers), *task.encode_target(numbers)))
    with torch.no_grad(), torch_threads(1):
        model(src, tgt_in)  # all numbers in one batch: the causal mask keeps each word's row as if alone
    w = torch.stack(model.core.cross_attention(), dim=1).numpy()  # (N, layers, H, T, S)
    a = np.zeros((len(numbers), *w.shape[-2:]))  # (N, T, S) German word i ↔ English word j, zero-padded
    for row, n in enumerate(numbers.tolist()):
        a_n = alignment(n)
        a[row, : a_n.shape[0], : a_n.shape[1]] = a_n
    return np.einsum("nlhts,nts->lh", w, a) / a.sum()
