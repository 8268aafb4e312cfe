"""Notebook 02's exercise checks (tree sizes, a path's probability and loss, its gradients): never the answer."""

from __future__ import annotations

import numpy as np
import torch

from ..exercise import check_against
from ..functional import sigmoid
from . import LECTURE_BRANCHES, gradient_exercise, path_loss_torch

__all__ = ["check_hs_shapes", "check_hs_path_probability", "check_hs_path_loss", "check_hs_gradient"]


def check_hs_path_probability(p_language: object) -> bool:
    """Exercise 02.2: p(language | natural) from the lecture's branch probabilities 1, 0.9, 0.95, 0.65, 0.2."""
    b = np.array(LECTURE_BRANCHES)
    wrong = [
        (lambda a: np.isclose(a, b.sum()), "you added the branch probabilities: the decisions along a path are "
                                           "made one after the other, so their probabilities multiply."),
        (lambda a: np.isclose(a, b.mean()), "that is their average: the path's probability is a product."),
        (lambda a: np.isclose(a, np.prod(b[:-1]) * (1 - b[-1])),
         "the numbers given are already the probabilities of the turns taken (0.2 for the last one): "
         "don't replace any of them by 1 − p."),
        (lambda a: np.isclose(a, -np.log(np.prod(b))), "that is the loss −log p; the exercise asks for p itself."),
        (lambda a: any(np.isclose(a, np.prod(np.delete(b, k))) for k in range(1, len(b))),
         "one factor is missing: multiply all five branch probabilities."),
        (lambda a: a > 1 or a < 0, "a probability lies between 0 and 1."),
    ]
    return check_against(p_language, "p_language", np.prod(b), wrong, atol=1e-4,
                         success="p(language | natural) = 1 · 0.9 · 0.95 · 0.65 · 0.2 — one factor per turn.")


def check_hs_path_loss(loss_language: object) -> bool:
    """Exercise 02.2 (second part): the loss −log p(language | natural) (natural log)."""
    p = float(np.prod(LECTURE_BRANCHES))
    wrong = [
        (lambda a: np.isclose(a, np.log(p)), "sign: the loss is −log p, a positive number to minimise."),
        (lambda a: np.isclose(abs(a), np.log10(p) * -1), "that is log base 10: use the natural log (np.log)."),
        (lambda a: np.isclose(abs(a), np.log2(p) * -1), "that is log base 2: use the natural log (np.log)."),
        (lambda a: np.isclose(a, p), "that is the probability itself; the loss is its negative log."),
        (lambda a: np.isclose(a, 1 - p), "1 − p is not the cross-entropy loss: take −log p."),
        (lambda a: a < 0, "a negative log-likelihood of a probability ≤ 1 is never negative."),
    ]
    return check_against(loss_language, "loss_language", -np.log(p), wrong, atol=1e-4,
                         success="−log p = Σ −log(branch probability): the loss is a sum over the path.")


def check_hs_gradient(grad_center: object, grad_rows: object) -> bool:
    """Exercise 02.3: gradients of the path loss w.r.t. h and the path rows, compared with torch autograd."""
    center, rows, codes = gradient_exercise()
    c = torch.tensor(center, requires_grad=True)
    r = torch.tensor(rows, requires_grad=True)
    path_loss_torch(c, r, codes).backward()
    exp_c, exp_r = c.grad.numpy(), r.grad.numpy()
    x, t = rows @ center, 1.0 - codes

    def alt(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return g @ rows, np.outer(g, center)

    mistakes = [
        (alt(t - sigmoid(x)), "the sign is flipped: you have the gradient of log p; the loss is −log p."),
        (alt(sigmoid(x) - codes), "left turns (code 0) have target 1 and probability σ(x): use t = 1 − code."),
        (alt(x - t), "∂loss/∂x is σ(x) − t: don't forget the sigmoid."),
    ]

    def hints(k: int) -> list:
        return [(lambda a, m=m: np.allclose(a, m[0][k], atol=1e-6), m[1]) for m in mistakes]

    ok_c = check_against(grad_center, "grad_center", exp_c, hints(0), atol=1e-6,
                         success="∂loss/∂h = Σ_k (σ(x_k) − t_k) θ_C[n_k] — agrees with autograd.")
    ok_r = check_against(grad_rows, "grad_rows", exp_r, hints(1), atol=1e-6,
                         success="∂loss/∂θ_C[n_k] = (σ(x_k) − t_k) h — agrees with autograd.")
    return ok_c and ok_r


def check_hs_shapes(n_inner: object, path_length: object) -> bool:
    """Exercise 02.1: a balanced tree over V = 1024 words: inner nodes, and dot products per example."""
    ok_n = check_against(n_inner, "n_inner", 1023.0, [
        (lambda a: np.isclose(a, 1024), "count again: every merge of two nodes creates one inner node, "
                                        "and V leaves need V − 1 merges."),
        (lambda a: np.isclose(a, 2047), "that counts the leaves too: only inner nodes have a vector in θ_C."),
        (lambda a: np.isclose(a, 512), "512 is only the level just above the leaves: add all the levels."),
    ], success="V − 1 = 1023 inner nodes, so θ_C has 1023 rows.")
    ok_l = check_against(path_length, "path_length", 10.0, [
        (lambda a: np.isclose(a, 1023) or np.isclose(a, 1024), "that is the full softmax's cost: a path visits "
                                                                "only one node per level."),
        (lambda a: np.isclose(a, 11), "count the inner nodes on the path, not the nodes: the leaf has no vector."),
        (lambda a: np.isclose(a, 512) or np.isclose(a, 32), "each level halves the words left: how many halvings "
                                                             "from 1024 to 1?"),
    ], success="log₂ 1024 = 10: (1×F)·(F×10), ten dot products instead of 1024.")
    return ok_n and ok_l
