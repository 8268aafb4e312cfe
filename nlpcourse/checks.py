"""Exercise checks: each says right or wrong with a hint, and never reveals the answer.

The convention (see CONTRIBUTING.md): a code cell tagged ``exercise`` holds the student's stub, the
instructor's answer sits in the next cell tagged ``solution`` (stripped from the student build), and a
``check_<name>(answer)`` cell follows. A check prints one line and returns ``True``/``False``; later
cells never depend on the student's answer, so an unanswered notebook still runs top to bottom.

Each topic adds its checks below in its own section; they are built from the helpers at the top.
"""

from __future__ import annotations

import numpy as np

from .exercise import check_against, matches


# ---- 02 hierarchical softmax
def check_hs_path_probability(p_language: object) -> bool:
    """Exercise 02.2: p(language | natural) from the lecture's branch probabilities 1, 0.9, 0.95, 0.65, 0.2."""
    from .hsoftmax import LECTURE_BRANCHES

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
    from .hsoftmax import LECTURE_BRANCHES

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
    import torch

    from .hsoftmax import gradient_exercise, path_loss_torch, sigmoid

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


# ---- 05 mlp
def check_dsoft(d_scores: object) -> bool:
    """Exercise 05.1: ∂L/∂scores for L = −log softmax(s)[y], s = mlp.EXERCISE_SCORES, y = mlp.EXERCISE_LABEL."""
    from .mlp import EXERCISE_LABEL, EXERCISE_SCORES

    s = EXERCISE_SCORES
    p = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
    onehot = np.eye(len(s))[EXERCISE_LABEL]


    wrong = [
        (matches(np.ones(len(s)), atol=1e-3), "∂L/∂L = 1 is only the base case at the top of the graph; one gate down, "
                                 "the softmax + cross-entropy has its own local gradient."),
        (matches(onehot - p, atol=1e-3), "the sign is flipped: raising the true class's score lowers the loss."),
        (matches(p, atol=1e-3), "almost: that is the softmax's output; subtract the one-hot vector of the true class."),
        (matches(-onehot / p[EXERCISE_LABEL], atol=1e-3),
         "that is ∂L/∂p (through the log only); go through the softmax too."),
        (lambda a: not np.isclose(a.sum(), 0.0, atol=1e-3), "the entries of p − y sum to 0: check your softmax."),
    ]
    return check_against(d_scores, "d_scores", p - onehot, wrong, atol=1e-3,
                         success="dSoft = p − y: small when the model is right, never just 1.")


def check_relu_backward(d_z: object) -> bool:
    """Exercise 05.2: ∂L/∂z through a ReLU for z = mlp.EXERCISE_Z and upstream ∂L/∂h = mlp.EXERCISE_UPSTREAM."""
    from .mlp import EXERCISE_UPSTREAM, EXERCISE_Z

    z, up = EXERCISE_Z, EXERCISE_UPSTREAM
    mask = (z > 0).astype(float)


    wrong = [
        (matches(up), "the upstream gradient must be multiplied by the local gradient ReLU'(z) (0 or 1)."),
        (matches(mask), "that is the local gradient alone; multiply it by the upstream gradient."),
        (matches(up * z), "the local gradient of max(0, z) is 0 or 1, not z."),
        (matches(up * (1 - mask)), "the mask is the wrong way round: gradient flows where z > 0."),
    ]
    return check_against(d_z, "d_z", up * mask, wrong,
                         success="upstream × local: the ReLU routes the gradient where z > 0 and kills it elsewhere.")


def check_torch_lr(lr_torch: object) -> bool:
    """Exercise 05.3: torch SGD's lr (momentum α, dampening 0) reproducing the lecture's γ = 0.1, α = 0.9."""
    from .mlp import EXERCISE_ALPHA, EXERCISE_LR

    g, a = EXERCISE_LR, EXERCISE_ALPHA
    wrong = [
        (lambda x: np.isclose(x, g), "with the same lr torch's steps are 1/(1 − α) = 10 times larger: its buffer "
                                     "sums the gradients instead of averaging them."),
        (lambda x: np.isclose(x, g / (1 - a)), "the wrong way round: torch's buffer is the larger one, so its lr "
                                               "must be smaller."),
        (lambda x: np.isclose(x, g * a), "compare buf = αbuf + g with Δ = αΔ + (1 − α)g: the factor is (1 − α)."),
    ]
    return check_against(lr_torch, "lr_torch", g * (1 - a), wrong, atol=1e-9,
                         success="lr = γ(1 − α): buf = Δ/(1 − α) at every step, so the paths coincide.")
