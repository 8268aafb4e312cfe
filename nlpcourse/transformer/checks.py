"""Notebook 08's exercise check: the decoder's cross-attention at one step, against the reference on unseen inputs.

``check_cross_attention_step(fn)``: ``fn(query, memory, p, num_heads, pad) -> (out, weights)`` compared with
``transformer.cross_attention_step`` (itself equal to a row of ``nn.MultiheadAttention``, tested). Each typical
mistake is a wrong implementation below; a student whose function agrees with one of them on every case gets that
mistake's hint (the tests run each one as the student's answer).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..attention import mha_weights
from ..exercise import check_function
from . import cross_attention_step

__all__ = ["check_cross_attention_step", "EXAMPLE"]  # EXAMPLE: the exercise's example input


def _cases(seed: int = 1808) -> list[tuple]:
    rng = np.random.default_rng(seed)
    cases = []
    for N, S, E, H in [(2, 5, 8, 2), (3, 4, 12, 3), (1, 6, 8, 4), (2, 3, 6, 1)]:
        torch.manual_seed(int(rng.integers(1 << 30)))
        p = mha_weights(torch.nn.MultiheadAttention(E, H).state_dict(), E)
        p = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in p.items()}  # biases not 0
        lengths = rng.integers(1, S + 1, N)
        lengths[0] = S - 1 if S > 1 else S  # at least one padded position
        pad = np.arange(S)[None] >= lengths[:, None]
        cases.append((rng.standard_normal((N, E)), rng.standard_normal((N, S, E)), p, H, pad))
    return cases


def _example() -> tuple:
    rng = np.random.default_rng(8)
    p = mha_weights(torch.nn.MultiheadAttention(4, 2).state_dict(), 4)
    return rng.standard_normal((1, 4)), rng.standard_normal((1, 3, 4)), p, 2, np.array([[False, False, True]])


EXAMPLE = _example()  # what the notebook shows with the exercise (never a test case)


def _no_scale(q, m, p, H, pad):
    return cross_attention_step(q * np.sqrt(q.shape[-1] // H), m, {**p, "b_q": p["b_q"] * np.sqrt(q.shape[-1] // H)},
                                H, pad)


def _no_output_projection(q, m, p, H, pad):
    E = q.shape[-1]
    out, w = cross_attention_step(q, m, {**p, "W_o": np.eye(E), "b_o": np.zeros(E)}, H, pad)
    return out, w


def _no_biases(q, m, p, H, pad):
    return cross_attention_step(q, m, {k: (0 * v if k.startswith("b_") else v) for k, v in p.items()}, H, pad)


def _keys_are_values(q, m, p, H, pad):
    return cross_attention_step(q, m, {**p, "W_k": p["W_v"], "b_k": p["b_v"]}, H, pad)


CROSS_ATTENTION_MISTAKES: list[tuple[Callable[..., object], str]] = [
    (lambda q, m, p, H, pad: cross_attention_step(q, m, p, H, None),
     "padded source positions get attention weight: mask them (where pad is True the score is −inf) before "
     "the softmax, so their weight is exactly 0."),
    (_no_scale,
     "the weights are too peaked: divide the scores q·k by √D, D = E / num_heads the size of one head "
     "(not of the whole model)."),
    (_keys_are_values,
     "the keys must be the memory projected by W_k (+ b_k); W_v makes the values."),
    (_no_biases,
     "the projections have biases: q = W_q y + b_q, and likewise for the keys, values and the output."),
    (_no_output_projection,
     "the weights are right; the heads' outputs, concatenated, still go through the output projection "
     "W_o (+ b_o)."),
]


def check_cross_attention_step(fn: object) -> bool:
    """Exercise 08: ``fn(query (N, E), memory (N, S, E), p, num_heads, pad (N, S)) -> (out (N, E), weights
    (N, H, S))``, vs the reference on unseen sizes, head counts and paddings."""
    return check_function(
        fn, "cross_attention_step", cross_attention_step, _cases(), CROSS_ATTENTION_MISTAKES,
        output_names=("out", "weights"), example=EXAMPLE, atol=1e-9, rtol=1e-9,
        success="your cross-attention step agrees with the reference on every unseen input (one to four heads, "
                "padded sources).")
