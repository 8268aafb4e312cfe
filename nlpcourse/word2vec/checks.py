"""Notebook 01's exercise checks: the naive-softmax and negative-sampling losses with their gradients, the
window loss over a skip-gram window and plain SGD (CS224n's pair), each run by ``exercise.check_function`` on
inputs the student has not seen against the package's reference.

Every typical mistake is a wrong implementation in a ``*_MISTAKES`` list: its hint fires when the student's
outputs equal that wrong version's (``tests/test_word2vec.py`` passes each one and asserts its own hint).
"""

from __future__ import annotations

import numpy as np

from ..exercise import check_function
from ..functional import log_sigmoid, logsumexp, sigmoid, softmax
from . import naive_softmax_loss_and_grad, neg_sampling_loss_and_grad, sgd, skipgram_window

__all__ = ["check_naive_softmax", "check_neg_sampling", "check_skipgram", "check_sgd"]


def _check(student: object, name: str, reference: object, cases: list, mistakes: list, names: tuple, **kw):
    """``check_function`` with a verdict per output ("loss ✓, grad_w ✗: <hint>")."""
    return check_function(student, name, reference, cases, mistakes, output_names=names, **kw)


# ---------------------------------------------------------------- exercise 01.1: the naive softmax as a function
def naive_softmax_cases() -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The unseen inputs (center (d,), U = θ_C (V, d), o) of exercise 1.

    θ_C is square (V = d) in every case, so that a missing or extra transpose still gives arrays of the right
    shape and is caught by its hint rather than by a shape error; the last case has scores of about ±1000
    (and an observed word far below the best one), where only the logsumexp form stays finite.
    """
    rng = np.random.default_rng(1401)
    cases = []
    for d in (3, 5, 6):
        cases.append((rng.normal(size=d), rng.normal(size=(d, d)), int(rng.integers(d))))
    c, U = 400.0 * rng.normal(size=4), rng.normal(size=(4, 4))
    cases.append((c, U, int(np.argmin(U @ c))))
    return cases


def _softmax_parts(c: np.ndarray, U: np.ndarray, o: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = U @ c
    return z, softmax(z), np.eye(len(U))[o]


def _ns_sign(c, U, o):
    _, p, y = _softmax_parts(c, U, o)
    loss = naive_softmax_loss_and_grad(c, U, o)[0]
    return loss, U.T @ (y - p), np.outer(y - p, c)


def _ns_center_no_transpose(c, U, o):
    loss, _, g_u = naive_softmax_loss_and_grad(c, U, o)
    _, p, y = _softmax_parts(c, U, o)
    return loss, U @ (p - y), g_u


def _ns_outer_swapped(c, U, o):
    loss, g_c, _ = naive_softmax_loss_and_grad(c, U, o)
    _, p, y = _softmax_parts(c, U, o)
    return loss, g_c, np.outer(c, p - y)


def _ns_scores_transposed(c, U, o):
    z = U.T @ c
    p, y = softmax(z), np.eye(len(U))[o]
    return float(logsumexp(z) - z[o]), U @ (p - y), np.outer(c, p - y)


def _ns_forgot_y(c, U, o):
    _, p, _ = _softmax_parts(c, U, o)
    return naive_softmax_loss_and_grad(c, U, o)[0], U.T @ p, np.outer(p, c)


def _ns_only_observed(c, U, o):
    _, _, y = _softmax_parts(c, U, o)
    return naive_softmax_loss_and_grad(c, U, o)[0], -U[o], -np.outer(y, c)


def _ns_probability_not_log(c, U, o):
    _, g_c, g_u = naive_softmax_loss_and_grad(c, U, o)
    _, p, _ = _softmax_parts(c, U, o)
    return -float(p[o]), g_c, g_u


def _ns_forgot_minus(c, U, o):
    loss, g_c, g_u = naive_softmax_loss_and_grad(c, U, o)
    return -loss, g_c, g_u


#: (wrong implementation, hint) pairs of exercise 1, tried in this order.
NAIVE_SOFTMAX_MISTAKES = [
    (_ns_sign, "the gradients have the wrong sign: dL/dz = p − y (the model's probabilities minus the one-hot "
               "of the observed word), not y − p."),
    (_ns_center_no_transpose, "grad_center: a missing transpose. z_v = θ_C[v]·c, so dL/dc = Σ_v (dL/dz_v) θ_C[v] "
                              "sums the ROWS of θ_C: that is θ_Cᵀ times a vector, not θ_C times it."),
    (_ns_outer_swapped, "grad_U: row v of dL/dθ_C must be (dL/dz_v)·c; your matrix is the transpose of that "
                        "(mind the order of the outer product)."),
    (_ns_scores_transposed, "the scores: z_v = θ_C[v]·c is a dot product with ROW v of θ_C, i.e. z = θ_C c "
                            "(U @ c); you used the columns."),
    (_ns_forgot_y, "you forgot the −y: the observed word's own score −z_o contributes −θ_C[o] to dL/dc "
                   "(and −c to row o of dL/dθ_C)."),
    (_ns_only_observed, "that is only the gradient of −z_o: the log Σ exp term adds Σ_v p_v θ_C[v] (and p_v c "
                        "to every row)."),
    (_ns_probability_not_log, "the loss is −log p_o (a log-probability), not −p_o."),
    (_ns_forgot_minus, "the loss has the wrong sign: L = −log p_o is positive; log p_o is negative."),
]


def check_naive_softmax(naive_softmax: object) -> bool:
    """Exercise 01.1: the student's ``naive_softmax(center, U, o) -> (loss, grad_center, grad_U)``.

    Run on ``naive_softmax_cases()`` (never shown in the notebook) against ``naive_softmax_loss_and_grad``.
    """
    return _check(naive_softmax, "naive_softmax", naive_softmax_loss_and_grad, naive_softmax_cases(),
                  NAIVE_SOFTMAX_MISTAKES, ("loss", "grad_center", "grad_U"), atol=1e-8, rtol=1e-6,
                  success="loss and both gradients agree with the reference on 4 unseen inputs, scores of ±1000 "
                          "included.")


# ---------------------------------------------------------------- exercise 01.2: negative sampling as a function
def neg_sampling_cases() -> list[tuple[np.ndarray, np.ndarray, int, np.ndarray]]:
    """The unseen inputs (center (d,), U (V, d), o, negatives (K,)) of exercise 2.

    One case draws a negative twice (it must count twice); the last has scores of about ±1000, where
    log(1 − σ(x)) or log σ(x) computed from σ gives inf and only the log-sigmoid form stays finite.
    """
    rng = np.random.default_rng(1402)
    cases = []
    for V, d, negatives in ((6, 4, [2, 5, 2]), (8, 3, [1, 3, 4, 6, 7]), (5, 5, [0, 4])):
        cases.append((rng.normal(size=d), rng.normal(size=(V, d)), 1 if 1 not in negatives else 2,
                      np.array(negatives)))
    c, U = 400.0 * rng.normal(size=4), rng.normal(size=(6, 4))
    z = U @ c
    o = int(np.argmin(z))                               # the positive scores about −1000
    negatives = np.array([j for j in np.argsort(z)[::-1] if j != o][:3])  # the negatives score high
    cases.append((c, U, o, negatives))
    return cases


def _sg_parts(c, U, o, negatives):
    return float(U[o] @ c), U[negatives] @ c


def _sg_from(c, U, o, negatives, g_pos, g_neg, loss, accumulate=True, along=None):
    """loss, dL/dc, dL/dU from the factors dL/dx of the positive and the negatives."""
    vec = c if along is None else along
    g_u = np.zeros_like(U)
    g_u[o] = g_pos * (vec if along is None else U[o])
    if accumulate:
        np.add.at(g_u, negatives, g_neg[:, None] * (vec[None, :] if along is None else U[negatives]))
    else:
        g_u[negatives] = g_neg[:, None] * c[None, :]
    return loss, g_pos * U[o] + g_neg @ U[negatives], g_u


def _sg_sign(c, U, o, negatives):
    loss, g_c, g_u = neg_sampling_loss_and_grad(c, U, o, negatives)
    return loss, -g_c, -g_u


def _sg_positive_like_negative(c, U, o, negatives):
    x_pos, x_neg = _sg_parts(c, U, o, negatives)
    loss = neg_sampling_loss_and_grad(c, U, o, negatives)[0]
    return _sg_from(c, U, o, negatives, float(sigmoid(x_pos)), sigmoid(x_neg), loss)


def _sg_negatives_without_minus(c, U, o, negatives):
    x_pos, x_neg = _sg_parts(c, U, o, negatives)
    loss = float(-log_sigmoid(x_pos) - log_sigmoid(x_neg).sum())
    return _sg_from(c, U, o, negatives, float(sigmoid(x_pos)) - 1.0, sigmoid(x_neg) - 1.0, loss)


def _sg_repeats_once(c, U, o, negatives):
    x_pos, x_neg = _sg_parts(c, U, o, negatives)
    loss = neg_sampling_loss_and_grad(c, U, o, negatives)[0]
    return _sg_from(c, U, o, negatives, float(sigmoid(x_pos)) - 1.0, sigmoid(x_neg), loss, accumulate=False)


def _sg_rows_along_themselves(c, U, o, negatives):
    x_pos, x_neg = _sg_parts(c, U, o, negatives)
    loss = neg_sampling_loss_and_grad(c, U, o, negatives)[0]
    return _sg_from(c, U, o, negatives, float(sigmoid(x_pos)) - 1.0, sigmoid(x_neg), loss, along=U)


def _sg_center_without_negatives(c, U, o, negatives):
    loss, _, g_u = neg_sampling_loss_and_grad(c, U, o, negatives)
    x_pos, _ = _sg_parts(c, U, o, negatives)
    return loss, (float(sigmoid(x_pos)) - 1.0) * U[o], g_u


def _sg_probabilities_not_logs(c, U, o, negatives):
    _, g_c, g_u = neg_sampling_loss_and_grad(c, U, o, negatives)
    x_pos, x_neg = _sg_parts(c, U, o, negatives)
    return float(-sigmoid(x_pos) - sigmoid(-x_neg).sum()), g_c, g_u


#: (wrong implementation, hint) pairs of exercise 2, tried in this order.
NEG_SAMPLING_MISTAKES = [
    (_sg_sign, "the gradients have the wrong sign: you have the gradient of −L. d/dx[−log σ(x)] = σ(x) − 1, "
               "which is negative."),
    (_sg_positive_like_negative, "the positive's factor: d/dx[−log σ(x)] = σ(x) − 1, not σ(x) (σ(x) alone is "
                                 "the negatives' factor, from −log σ(−x))."),
    (_sg_negatives_without_minus, "the negatives enter the loss as −log σ(−θ_C[k]·c): a forgotten minus inside "
                                  "σ turns them into more positives."),
    (_sg_repeats_once, "a negative drawn twice must count twice: accumulate its rows of grad_U "
                       "(np.add.at, or += in a loop) instead of assigning them."),
    (_sg_rows_along_themselves, "grad_U: the gradient w.r.t. a context vector θ_C[j] points along the center "
                                "vector c (the other factor of the dot product), not along θ_C[j]."),
    (_sg_center_without_negatives, "grad_center: every negative's score depends on c too; add "
                                   "Σ_k σ(θ_C[k]·c) θ_C[k]."),
    (_sg_probabilities_not_logs, "the loss is a sum of −log σ(…) (log-probabilities), not of −σ(…)."),
]


def check_neg_sampling(neg_sampling: object) -> bool:
    """Exercise 01.2: the student's ``neg_sampling(center, U, o, negatives) -> (loss, grad_center, grad_U)``.

    Run on ``neg_sampling_cases()`` (never shown in the notebook) against ``neg_sampling_loss_and_grad``.
    """
    return _check(neg_sampling, "neg_sampling", neg_sampling_loss_and_grad, neg_sampling_cases(),
                  NEG_SAMPLING_MISTAKES, ("loss", "grad_center", "grad_U"), atol=1e-8, rtol=1e-6,
                  success="loss and both gradients agree with the reference on 4 unseen inputs (a repeated "
                          "negative and scores of ±1000 included).")


# ---------------------------------------------------------------- exercise 01.3: the window loss (CS224n's skipgram)
def skipgram_cases() -> list[tuple]:
    """Unseen inputs (center, outside_ids, θ_W, θ_C, pair_loss): a repeated context word, the center in its own
    window, and a window of one."""
    rng = np.random.default_rng(1403)
    cases = []
    for V, D, center, outside in ((6, 3, 2, [0, 1, 3, 4]), (5, 4, 1, [3, 0, 3]), (7, 2, 0, [0, 5, 6, 2]),
                                  (4, 3, 3, [1])):
        cases.append((center, np.array(outside), rng.normal(size=(V, D)), rng.normal(size=(V, D)),
                      naive_softmax_loss_and_grad))
    return cases


def _sk_mean(center, outside, W, C, pair_loss):
    loss, g_w, g_c = skipgram_window(center, outside, W, C, pair_loss)
    return loss / len(outside), g_w / len(outside), g_c / len(outside)


def _sk_overwrite(center, outside, W, C, pair_loss):
    loss, g_w, g_c = 0.0, np.zeros_like(W), np.zeros_like(C)
    for o in outside:
        pair, g_center, g_c = pair_loss(W[center], C, int(o))
        loss += pair
        g_w[center] = g_center
    return loss, g_w, g_c


def _sk_every_row(center, outside, W, C, pair_loss):
    loss, g_w, g_c = skipgram_window(center, outside, W, C, pair_loss)
    return loss, np.broadcast_to(g_w[center], W.shape).copy(), g_c


def _sk_context_rows(center, outside, W, C, pair_loss):
    loss, g_w, g_c = 0.0, np.zeros_like(W), np.zeros_like(C)
    for o in outside:
        pair, g_center, g_outside = pair_loss(W[center], C, int(o))
        loss, g_c = loss + pair, g_c + g_outside
        g_w[o] += g_center
    return loss, g_w, g_c


def _sk_matrices_swapped(center, outside, W, C, pair_loss):
    loss, g_c, g_w = skipgram_window(center, outside, C, W, pair_loss)
    return loss, g_w, g_c


def _sk_last_loss(center, outside, W, C, pair_loss):
    _, g_w, g_c = skipgram_window(center, outside, W, C, pair_loss)
    return pair_loss(W[center], C, int(outside[-1]))[0], g_w, g_c


#: (wrong implementation, hint) pairs of exercise 3, tried in this order.
SKIPGRAM_MISTAKES = [
    (_sk_mean, "the window's loss is the SUM of its pairs' losses (and so are the gradients), not their mean."),
    (_sk_overwrite, "accumulate over the window: every context word adds its gradient (+=); assigning keeps only "
                    "the last word's."),
    (_sk_every_row, "grad_w: only the center's row θ_W[center] appears in the loss, so every other row of grad_w "
                    "is zero."),
    (_sk_context_rows, "grad_w: the gradient with respect to the center vector belongs in row `center`, not in the "
                       "context word's row."),
    (_sk_matrices_swapped, "pair_loss takes the center's row of θ_W and the whole context matrix θ_C, in that "
                           "order."),
    (_sk_last_loss, "loss: add up every context word's pair loss, not only the last one."),
]


def check_skipgram(skipgram: object) -> bool:
    """Exercise 01.3: ``skipgram(center, outside_ids, theta_w, theta_c, pair_loss) -> (loss, grad_w, grad_c)``,
    against ``skipgram_window`` on ``skipgram_cases()``."""
    return _check(skipgram, "skipgram", skipgram_window, skipgram_cases(), SKIPGRAM_MISTAKES,
                  ("loss", "grad_w", "grad_c"), atol=1e-8, rtol=1e-6,
                  success="the window loss and both gradients agree with the reference on 4 unseen windows (a "
                          "repeated context word and the center in its own window included).")


# ---------------------------------------------------------------- exercise 01.4: plain SGD
def _quadratic(a: np.ndarray, b: np.ndarray):
    """f(x) = ½ Σ a (x − b)², ∇f = a (x − b)."""
    return lambda x: (float(0.5 * np.sum(a * (x - b) ** 2)), a * (x - b))


def sgd_cases() -> list[tuple]:
    """Unseen (f, x0, lr, steps): quadratics of a vector and of a matrix."""
    rng = np.random.default_rng(1404)
    cases = []
    for shape, lr, steps in (((3,), 0.1, 5), ((2, 3), 0.05, 7), ((4,), 0.3, 3)):
        a, b = rng.uniform(0.5, 2.0, size=shape), rng.normal(size=shape)
        cases.append((_quadratic(a, b), rng.normal(size=shape), lr, steps))
    return cases


def _sgd_uphill(f, x, lr, steps):
    losses = []
    for _ in range(steps):
        loss, grad = f(x)
        losses.append(loss)
        x = x + lr * grad
    return x, np.array(losses)


def _sgd_loss_after_step(f, x, lr, steps):
    losses = []
    for _ in range(steps):
        x = x - lr * f(x)[1]
        losses.append(f(x)[0])
    return x, np.array(losses)


def _sgd_no_update(f, x, lr, steps):
    return x, np.array([f(x)[0]] * steps)


def _sgd_no_lr(f, x, lr, steps):
    return sgd(f, x, 1.0, steps)


#: (wrong implementation, hint) pairs of exercise 4.
SGD_MISTAKES = [
    (_sgd_uphill, "x moves against the gradient, x ← x − lr·∇f(x): adding it climbs uphill."),
    (_sgd_no_update, "x never changes: assign the update back to x inside the loop."),
    (_sgd_no_lr, "scale the step by the learning rate lr."),
    (_sgd_loss_after_step, "losses[t] is f(x) BEFORE step t (the first is the starting loss): record the loss, "
                           "then step."),
]


def check_sgd(sgd_fn: object) -> bool:
    """Exercise 01.4: ``sgd(f, x0, lr, steps) -> (x, losses)``, against ``word2vec.sgd`` on ``sgd_cases()``."""
    return _check(sgd_fn, "sgd", sgd, sgd_cases(), SGD_MISTAKES,
                  ("x", "losses"), atol=1e-10, rtol=1e-8,
                  success="your SGD takes the same steps and records the same losses as the reference on 3 unseen "
                          "problems.")
