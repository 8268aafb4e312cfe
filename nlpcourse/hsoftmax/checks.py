"""Notebook 02's exercise checks (tree sizes, a path's probability and loss, its gradients): never the answer."""

from __future__ import annotations

import numpy as np
import torch

from ..exercise import check_against, check_function
from ..functional import log_sigmoid, sigmoid
from . import LECTURE_BRANCHES, HuffmanTree, gradient_exercise, path_loss_torch

__all__ = ["check_hs_shapes", "check_path_walk", "path_walk_cases", "PATH_WALK_MISTAKES",
           "check_hs_path_probability", "check_hs_path_loss", "check_hs_gradient"]


# ---------------------------------------------------------------- exercise 02.2: the path walk as a function
def path_walk_reference(h: np.ndarray, inner: np.ndarray, nodes: np.ndarray, codes: np.ndarray) -> float:
    """p(word | h) = Π_k σ(±θ_C[n_k]·h), + for a left turn (code 0), − for a right turn (code 1)."""
    x = inner[nodes] @ h
    return float(np.prod(sigmoid(np.where(codes == 0, x, -x))))


def path_walk_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The unseen inputs (h (d,), inner (V−1, d), nodes (L,), codes (L,)) of the path-walk exercise: paths of
    Huffman trees over random counts, to leaves with both kinds of turn."""
    rng = np.random.default_rng(1403)
    cases = []
    for V, d in ((7, 3), (12, 4), (20, 5)):
        tree = HuffmanTree.build(rng.integers(1, 50, size=V))
        word = int(np.argmax([len(set(tree.path(w)[1].tolist())) * 100 + tree.lengths[w] for w in range(V)]))
        nodes, codes = tree.path(word)
        cases.append((rng.normal(size=d), 0.8 * rng.normal(size=(V - 1, d)), nodes, codes))
    return cases


def _pw_turns_swapped(h, inner, nodes, codes):
    return path_walk_reference(h, inner, nodes, 1 - codes)


def _pw_codes_ignored(h, inner, nodes, codes):
    return float(np.prod(sigmoid(inner[nodes] @ h)))


def _pw_sum(h, inner, nodes, codes):
    x = inner[nodes] @ h
    return float(np.sum(sigmoid(np.where(codes == 0, x, -x))))


def _pw_log(h, inner, nodes, codes):
    x = inner[nodes] @ h
    return float(np.sum(log_sigmoid(np.where(codes == 0, x, -x))))


def _pw_loss(h, inner, nodes, codes):
    return -_pw_log(h, inner, nodes, codes)


def _pw_root_skipped(h, inner, nodes, codes):
    return path_walk_reference(h, inner, nodes[1:], codes[1:])


#: (wrong implementation, hint) pairs of the path-walk exercise, tried in this order.
PATH_WALK_MISTAKES = [
    (_pw_turns_swapped, "left and right are swapped: code 0 is a LEFT turn, probability σ(x); code 1 a right "
                        "turn, σ(−x) = 1 − σ(x)."),
    (_pw_codes_ignored, "every factor is σ(x): a right turn (code 1) has probability 1 − σ(x) = σ(−x)."),
    (_pw_sum, "the turns are taken one after the other: their probabilities multiply, they don't add."),
    (_pw_log, "that is log p (a sum of log σ): return the probability itself, the product."),
    (_pw_loss, "that is the loss −log p: return the probability itself, the product."),
    (_pw_root_skipped, "one factor is missing: the root's decision counts too (nodes[0] is the root)."),
]


def check_path_walk(path_probability: object) -> bool:
    """Exercise 02.2: the student's ``path_probability(h, inner, nodes, codes) -> float`` on unseen paths."""
    return check_function(path_probability, "path_probability", path_walk_reference, path_walk_cases(),
                          PATH_WALK_MISTAKES, atol=1e-10, rtol=1e-8,
                          success="your walk agrees with the reference on 3 unseen paths of 3 random trees.")


def check_hs_path_probability(p_language: object) -> bool:
    """Exercise 02.3: p(language | natural) from the lecture's branch probabilities 1, 0.9, 0.95, 0.65, 0.2."""
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
    """Exercise 02.3 (second part): the loss −log p(language | natural) (natural log)."""
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
    """Exercise 02.4: gradients of the path loss w.r.t. h and the path rows, compared with torch autograd."""
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
