"""Notebook 06's exercise checks: the student's code runs on inputs they have not seen, against torch autograd.

- ``check_attention_backward(fn)``: ``fn(d_out, q, k, v) -> (dq, dk, dv)``, the whole backward of
  softmax(QKᵀ/√d) V given only the forward;
- ``check_self_attention_backward(fn)``: ``fn(d_out, x) -> dx`` for Attention(X, X, X), the tied case;
- ``check_split_heads(fn)``: ``fn(x, num_heads)``, (N, L, E) -> (N, H, L, E/H), against torch's split.

Each typical mistake is a wrong implementation below; a student whose function agrees with one of them on
every case gets that mistake's hint (the tests run each one as the student's answer).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..exercise import Verdict, check_function
from . import sdpa_backward

__all__ = ["check_attention_backward", "check_self_attention_backward", "check_split_heads"]


# ---------------------------------------------------------------- 06.1 the attention backward


def _attention_torch(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.softmax(q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5, dim=-1) @ v


def backward_by_autograd(d_out: np.ndarray, q: np.ndarray, k: np.ndarray,
                         v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dq, dk, dv) of softmax(QKᵀ/√d) V for the upstream gradient ``d_out``, by torch autograd."""
    tq, tk, tv = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (q, k, v))
    _attention_torch(tq, tk, tv).backward(torch.tensor(d_out, dtype=torch.float64))
    return tq.grad.numpy(), tk.grad.numpy(), tv.grad.numpy()


def _backward_with(d_scores: Callable[[np.ndarray, np.ndarray], np.ndarray], c_in_backward: str = "1/√d") -> Callable:
    """The attention backward with a chosen softmax step (dP, P -> dS) and factor on dQ, dK: typical mistakes."""
    def backward(d_out, q, k, v):
        d = q.shape[-1]
        P = torch.softmax(torch.tensor(q @ k.swapaxes(-1, -2) / np.sqrt(d)), dim=-1).numpy()  # (..., L, S)
        dS = d_scores(d_out @ v.swapaxes(-1, -2), P)
        c = {"1/√d": 1 / np.sqrt(d), "1": 1.0, "1/d": 1 / d}[c_in_backward]
        return c * dS @ k, c * dS.swapaxes(-1, -2) @ q, P.swapaxes(-1, -2) @ d_out
    return backward


def _softmax_step(dP: np.ndarray, P: np.ndarray) -> np.ndarray:
    return P * (dP - (dP * P).sum(axis=-1, keepdims=True))


ATTENTION_BACKWARD_MISTAKES: list[tuple[Callable, str]] = [
    (_backward_with(lambda dP, P: P * dP),
     "the softmax step keeps only the diagonal of its Jacobian diag(p) − ppᵀ: every weight of "
     "a row depends on every score of that row, so subtract the row's weighted sum Σ_j dP_ij P_ij first"),
    (_backward_with(lambda dP, P: P * (1 - P) * dP),
     "p(1 − p) is only the diagonal of the softmax Jacobian diag(p) − ppᵀ; the off-diagonal "
     "−p_i p_j terms are missing"),
    (_backward_with(lambda dP, P: dP),
     "the gradient skips the softmax: dS is not dP, it goes through each row's Jacobian "
     "diag(p) − ppᵀ"),
    (_backward_with(lambda dP, P: P * (dP - dP.sum(axis=-1, keepdims=True))),
     "the row sum must weight the upstream gradient by the probabilities: Σ_j dP_ij P_ij, "
     "not Σ_j dP_ij"),
    (_backward_with(lambda dP, P: P * (dP - (dP * P).sum(axis=-2, keepdims=True))),
     "the sum runs over the wrong axis: each query's row is a softmax over the keys, the "
     "LAST axis, batched over all the axes in front"),
    (_backward_with(_softmax_step, "1"),
     "the scores are QKᵀ/√d: the factor 1/√d carries over into dQ and dK"),
    (_backward_with(_softmax_step, "1/d"),
     "the factor on dQ and dK is the forward's 1/√d (the scores are linear in Q and in K), "
     "not 1/d"),
]


def _attention_cases(seed: int = 1606) -> list[tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(seed)
    cases = []
    for lead, L, S, d, dv in [((), 3, 5, 4, 2), ((), 4, 4, 3, 3), ((2,), 2, 6, 5, 4), ((2, 3), 3, 2, 4, 1)]:
        q, k = 1.5 * rng.standard_normal((*lead, L, d)), 1.5 * rng.standard_normal((*lead, S, d))
        cases.append((rng.standard_normal((*lead, L, dv)), q, k, rng.standard_normal((*lead, S, dv))))
    return cases


def check_attention_backward(fn: object) -> Verdict:
    """Exercise 06.1: ``fn(d_out, q, k, v) -> (dq, dk, dv)``, q (..., L, d), k (..., S, d), v (..., S, d_v)."""
    return check_function(
        fn, "attention_backward", backward_by_autograd, _attention_cases(), ATTENTION_BACKWARD_MISTAKES,
        output_names=("dq", "dk", "dv"), shortcuts=(backward_by_autograd, sdpa_backward), atol=1e-10,
        success="dq ✓, dk ✓, dv ✓: your backward agrees with torch autograd on every unseen input (queries and "
                "keys of different numbers, one and two batch axes).")


def self_attention_by_autograd(d_out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """∂L/∂X of Attention(X, X, X) = softmax(XXᵀ/√d) X, by torch autograd."""
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    _attention_torch(tx, tx, tx).backward(torch.tensor(d_out, dtype=torch.float64))
    return tx.grad.numpy()


def _tied(combine: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> Callable:
    def grad(d_out, x):
        return combine(*backward_by_autograd(d_out, x, x, x))
    return grad


def _two_xxt(d_out: np.ndarray, x: np.ndarray) -> np.ndarray:
    c = 1 / np.sqrt(x.shape[-1])
    P = torch.softmax(torch.tensor(c * x @ x.swapaxes(-1, -2)), dim=-1).numpy()
    return 2 * c * _softmax_step(d_out @ x.swapaxes(-1, -2), P) @ x


SELF_ATTENTION_MISTAKES: list[tuple[Callable, str]] = [
    (_tied(lambda dq, dk, dv: dq + dk),
     "X is also the values: the path through V adds its own term; all three uses of X contribute."),
    (_tied(lambda dq, dk, dv: dv),
     "that is only the values' path: X also enters the scores twice, as queries and as keys."),
    (_tied(lambda dq, dk, dv: dq),
     "that is only the queries' path: a variable used three times receives three gradients, which add up."),
    (_tied(lambda dq, dk, dv: dk),
     "that is only the keys' path: a variable used three times receives three gradients, which add up."),
    (_two_xxt,
     "the '2·XXᵀ' shortcut (2c·dS·X) would hold only if dS were symmetric, and it leaves out the values' path: "
     "add the queries', keys' and values' contributions one by one."),
]


def check_self_attention_backward(fn: object) -> Verdict:
    """Exercise 06.1, the tied case: ``fn(d_out, x) -> dx`` for Attention(X, X, X), x (..., T, d)."""
    rng = np.random.default_rng(1609)
    cases = [(rng.standard_normal((*lead, T, d)), rng.standard_normal((*lead, T, d)))
             for lead, T, d in [((), 4, 3), ((), 5, 2), ((3,), 3, 4), ((2, 2), 2, 5)]]
    return check_function(fn, "self_attention_backward", self_attention_by_autograd, cases, SELF_ATTENTION_MISTAKES,
                          shortcuts=(self_attention_by_autograd,), atol=1e-10,
                          success="dx ✓: the three contributions add up, as torch autograd says on every unseen "
                                  "input.")


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


def check_split_heads(fn: object) -> Verdict:
    """Exercise 06.2: ``fn(x, num_heads)``, (N, L, E) -> (N, num_heads, L, E / num_heads), vs torch's split."""
    return check_function(
        fn, "split_heads", split_heads_like_torch, _split_cases(), SPLIT_HEADS_MISTAKES, atol=0, rtol=0,
        success="your head split is torch's, on every unseen shape (one to six heads).")
