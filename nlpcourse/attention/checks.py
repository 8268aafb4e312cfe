"""Notebook 06's exercise checks: the student's code runs on inputs they have not seen, against torch.

- ``check_softmax_backward(fn)``: ``fn(d_weights, weights) -> d_scores``, the softmax-Jacobian step of the
  attention backward, compared with torch autograd through ``torch.softmax``.
- ``check_split_heads(fn)``: ``fn(x, num_heads)``, (N, L, E) -> (N, H, L, E/H), compared with the
  view/transpose ``torch.nn.functional.multi_head_attention_forward`` does.

Each typical mistake is a wrong implementation below; a student whose function agrees with one of them on
every case gets that mistake's hint (the tests run each one as the student's answer).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..exercise import check_function
from ..functional import softmax

__all__ = ["check_softmax_backward", "check_split_heads", "SOFTMAX_BACKWARD_MISTAKES", "SPLIT_HEADS_MISTAKES"]


# ---------------------------------------------------------------- 06.1 the softmax's backward


def softmax_backward_by_autograd(d_weights: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """∂L/∂S by torch autograd: S = log P has softmax(S) = P, so backpropagate d_weights through it."""
    scores = torch.tensor(np.log(weights), dtype=torch.float64, requires_grad=True)
    torch.softmax(scores, dim=-1).backward(torch.tensor(d_weights, dtype=torch.float64))
    return scores.grad.numpy()


def _softmax_cases(seed: int = 1606) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    cases = []
    for shape in [(3, 5), (4, 4), (2, 3, 6), (2, 2, 3, 4)]:
        weights = softmax(2.0 * rng.standard_normal(shape))
        cases.append((rng.standard_normal(shape), weights))
    return cases


SOFTMAX_BACKWARD_MISTAKES: list[tuple[Callable[..., np.ndarray], str]] = [
    (lambda dP, P: P * dP,
     "that is only the diagonal part diag(p)·dP: every weight of a row depends on every score of that row, "
     "so subtract the row's weighted sum rowsum(dP ⊙ P) before multiplying by P."),
    (lambda dP, P: P * (1 - P) * dP,
     "p(1 − p) is only the diagonal of the softmax Jacobian diag(p) − ppᵀ; the off-diagonal −p_i p_j "
     "terms are missing."),
    (lambda dP, P: dP - (dP * P).sum(axis=-1, keepdims=True),
     "the bracket dP − rowsum(dP ⊙ P) is right, but the Jacobian diag(p) − ppᵀ starts with diag(p): "
     "multiply the bracket by P, element by element."),
    (lambda dP, P: P * (dP - dP.sum(axis=-1, keepdims=True)),
     "the row sum must weight the upstream gradient by the probabilities: rowsum(dP ⊙ P), not rowsum(dP)."),
    (lambda dP, P: P * (dP - (dP * P).sum(axis=-2, keepdims=True)),
     "the sum runs over the wrong axis: softmax normalises each row over the keys, the LAST axis "
     "(axis=-1, keepdims=True), batched over all the axes in front."),
    (lambda dP, P: P * (dP - (dP * P).sum()),
     "you summed over the whole array: each row (one query) is a softmax of its own, so sum over the last "
     "axis only (axis=-1, keepdims=True)."),
]


def check_softmax_backward(fn: object) -> bool:
    """Exercise 06.1: ``fn(d_weights, weights)`` (..., S), (..., S) -> ∂L/∂scores (..., S), vs torch autograd."""
    return check_function(
        fn, "softmax_backward", softmax_backward_by_autograd, _softmax_cases(), SOFTMAX_BACKWARD_MISTAKES,
        atol=1e-10, success="your softmax backward agrees with torch autograd on every unseen input "
                            "(2-D, 3-D and 4-D, rows of different lengths).")


# ---------------------------------------------------------------- 06.2 the head split


def split_heads_like_torch(x: np.ndarray, num_heads: int) -> np.ndarray:
    """The head split of ``multi_head_attention_forward`` (batch first): view (N, L, H, D), swap L and H."""
    N, L, E = x.shape
    return torch.from_numpy(x).view(N, L, num_heads, E // num_heads).transpose(1, 2).numpy()


def _split_cases(seed: int = 1607) -> list[tuple[np.ndarray, int]]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape), h) for shape, h in
            [((2, 3, 8), 2), ((1, 5, 12), 3), ((3, 4, 8), 4), ((2, 6, 6), 6), ((2, 2, 8), 2)]]


SPLIT_HEADS_MISTAKES: list[tuple[Callable[..., np.ndarray], str]] = [
    (lambda x, H: x.reshape(x.shape[0], H, x.shape[1], x.shape[2] // H),
     "a reshape straight to (N, H, L, D) cuts each sequence's flat memory into H pieces, so a 'head' gets "
     "the features of different positions: reshape to (N, L, H, D) first, then swap the L and H axes."),
    (lambda x, H: x.reshape(x.shape[0], x.shape[1], x.shape[2] // H, H).transpose(0, 3, 1, 2),
     "head h should get the D consecutive features h·D … (h+1)·D − 1 (the rows of W_q torch gives it), "
     "not every H-th feature: reshape to (N, L, H, D), not (N, L, D, H)."),
]


def check_split_heads(fn: object) -> bool:
    """Exercise 06.2: ``fn(x, num_heads)``, (N, L, E) -> (N, num_heads, L, E / num_heads), vs torch's split."""
    return check_function(
        fn, "split_heads", split_heads_like_torch, _split_cases(), SPLIT_HEADS_MISTAKES, atol=0, rtol=0,
        success="your head split is torch's, on every unseen shape (one to six heads).")
