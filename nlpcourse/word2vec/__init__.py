"""word2vec (notebook 01): skip-gram and CBOW, naive softmax and negative sampling — the math, in numpy.

Sections follow the notebook: 1 windows and pairs · 2 the two matrices θ = [θ_W; θ_C] · 3 the naive softmax
(and its check against torch autograd) · 4 CBOW · 5 what the full softmax costs · 6 negative sampling, the rows
it touches, one window's examples, one SGD step in 2-D · 7 the window loss and plain SGD on a toy corpus (the
exercises CS224n's students write). The trainer of real corpora is ``train.py``; figures, exercise checks and
widgets are ``figures.py``, ``checks.py``, ``widgets.py``. Notation (notebooks/NOTATION.md): θ_W[i] (D,) is the
center's vector, θ_C (|V|, D) the context matrix, o the observed context word, K negatives, m the window.
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from .. import validate
from ..functional import log_sigmoid, logsumexp, sigmoid, softmax
from ..gradcheck import GradCheck, check_gradients
from ..perturb import nudge

__all__ = [
    "context_words", "skipgram_pairs", "skipgram_pairs_corpus", "cbow_examples",
    "init_params", "one_hot",
    "naive_softmax_loss_and_grad", "check_naive_softmax_gradients",
    "cbow_naive_softmax_loss_and_grad", "check_cbow_gradients",
    "softmax_cost", "time_naive_softmax",
    "neg_sampling_loss_and_grad", "check_neg_sampling_gradients",
    "cbow_neg_sampling_loss_and_grad", "changed_rows",
    "LECTURE_NEGATIVES", "sgns_window_examples", "vectors_per_window", "SGDStepDemo",
    "skipgram_window", "sgd", "window_objective", "TOY_SENTENCES",
]


def _ids(ids: object, name: str = "ids") -> np.ndarray:
    """(n,) int64 word ids (TypeError for floats, ValueError for another ndim)."""
    return validate.int_array(ids, name, ndim=1)


def _pair(center_vec: object, outside_vectors: object, target: object) -> tuple[np.ndarray, np.ndarray, int]:
    """The boundary check of a pair loss: center (D,), outside (|V|, D) float64, target in [0, |V|)."""
    sizes: dict[str, int] = {}
    outside = validate.float_array(outside_vectors, "outside_vectors", shape=("V", "D"), sizes=sizes, finite=False)
    center = validate.float_array(center_vec, "center_vec", shape=("D",), sizes=sizes, finite=False)
    return center, outside, validate.index(target, "target", len(outside), what="a word index")


def _context(context_vectors: object, outside_vectors: object) -> np.ndarray:
    """CBOW's context rows: (n, D) float64, n >= 1, D that of ``outside_vectors``."""
    outside = validate.float_array(outside_vectors, "outside_vectors", ndim=2, finite=False)
    ctx = validate.float_array(context_vectors, "context_vectors", shape=(None, outside.shape[1]), finite=False)
    if len(ctx) == 0:
        raise ValueError("context_vectors: expected at least one context row, got shape (0, D)")
    return ctx


# ---------------------------------------------------------------- 1. windows and pairs
def context_words(tokens: Sequence[str], position: int, window: int) -> list[str]:
    """The up to 2m words within ``window`` = m positions of ``tokens[position]``, left to right."""
    window = validate.positive_int(window, "window")
    validate.index(position, "position", len(tokens), what="a position in the sentence")
    lo, hi = max(0, position - window), min(len(tokens), position + window + 1)
    return [tokens[j] for j in range(lo, hi) if j != position]


def skipgram_pairs(ids: np.ndarray, window: int) -> np.ndarray:
    """Every (center, context) pair of one sentence (n,) with m = ``window``: (N, 2) int64, by center then context."""
    window, ids = validate.positive_int(window, "window"), _ids(ids)
    n = len(ids)
    rows = [(ids[i], ids[j]) for i in range(n) for j in range(max(0, i - window), min(n, i + window + 1)) if j != i]
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def skipgram_pairs_corpus(sentences: Sequence[np.ndarray], window: int) -> np.ndarray:
    """``skipgram_pairs`` of every sentence, concatenated (no window crosses a sentence end): (N, 2) int64."""
    window = validate.positive_int(window, "window")
    parts = []
    for s in sentences:
        s = _ids(s, "sentences")
        for off in range(1, window + 1):  # vectorised by offset: the same pairs as skipgram_pairs, another order
            parts += [np.stack([s[:-off], s[off:]], 1), np.stack([s[off:], s[:-off]], 1)]
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def cbow_examples(ids: np.ndarray, window: int, pad: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """CBOW's examples of one sentence (n,): contexts (n, 2m) left to right (``pad`` past the ends), centers (n,)."""
    window, ids, pad = validate.positive_int(window, "window"), _ids(ids), validate.integer(pad, "pad")
    padded = np.concatenate([np.full(window, pad), ids, np.full(window, pad)])  # (n + 2m,)
    offsets = np.r_[-window:0, 1:window + 1]  # (2m,)
    return padded[window + np.arange(len(ids))[:, None] + offsets], ids.copy()


# ---------------------------------------------------------------- 2. two matrices and the one-hot selector
def init_params(vocab_size: int, dim: int, seed: int = 0, scale: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """θ_W, θ_C (|V|, D) float64 with N(0, scale²) entries: θ = [θ_W; θ_C] has 2·|V|·D parameters."""
    vocab_size, dim = validate.positive_int(vocab_size, "vocab_size"), validate.positive_int(dim, "dim")
    scale = validate.positive_float(scale, "scale")
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
    return nudge(scale * rng.standard_normal((vocab_size, dim))), nudge(scale * rng.standard_normal((vocab_size, dim)))


def one_hot(i: int, size: int) -> np.ndarray:
    """e_i (size,) float64: ``one_hot(i, |V|) @ θ_W == θ_W[i]``."""
    size = validate.positive_int(size, "size")
    e = np.zeros(size)
    e[validate.index(i, "i", size, what="a word index")] = 1.0
    return e


# ---------------------------------------------------------------- 3. the naive softmax
def naive_softmax_loss_and_grad(center_vec: np.ndarray, outside_vectors: np.ndarray,
                                target: int) -> tuple[float, np.ndarray, np.ndarray]:
    """z = θ_C θ_W[i] (|V|,), L = logsumexp(z) − z_o; dL/dθ_W[i] = θ_Cᵀ(p − y) (D,), dL/dθ_C = (p − y)θ_W[i]ᵀ
    (|V|, D): every row changes."""
    center, outside, target = _pair(center_vec, outside_vectors, target)
    z = outside @ center  # (V,)
    delta = softmax(z)
    delta[target] -= 1.0  # p − y
    return float(logsumexp(z) - z[target]), outside.T @ delta, np.outer(delta, center)


def naive_softmax_loss_torch(center_vec: torch.Tensor, outside_vectors: torch.Tensor, target: int) -> torch.Tensor:
    """The same loss in torch, for autograd: logsumexp(z) − z_o."""
    z = outside_vectors @ center_vec  # (V,)
    return torch.logsumexp(z, dim=0) - z[target]


def check_naive_softmax_gradients(center_vec: np.ndarray, outside_vectors: np.ndarray, target: int) -> GradCheck:
    """Our naive-softmax gradients vs torch autograd vs finite differences."""
    center, outside, target = _pair(center_vec, outside_vectors, target)

    def ours(p: dict) -> tuple[float, dict]:
        loss, g_c, g_o = naive_softmax_loss_and_grad(p["center_vec"], p["outside_vectors"], target)
        return loss, {"center_vec": g_c, "outside_vectors": g_o}

    return check_gradients(ours, lambda t: naive_softmax_loss_torch(t["center_vec"], t["outside_vectors"], target),
                           {"center_vec": center, "outside_vectors": outside})


# ---------------------------------------------------------------- 4. CBOW
def cbow_naive_softmax_loss_and_grad(context_vectors: np.ndarray, outside_vectors: np.ndarray,
                                     target: int) -> tuple[float, np.ndarray, np.ndarray]:
    """CBOW: the naive softmax of θ_avg = mean of the context rows θ_W[c_j] (n, D); each row gets 1/n of
    dL/dθ_avg. Returns loss, grad_context (n, D), grad_outside (|V|, D)."""
    ctx = _context(context_vectors, outside_vectors)
    loss, grad_avg, grad_outside = naive_softmax_loss_and_grad(ctx.mean(axis=0), outside_vectors, target)
    return loss, np.repeat(grad_avg[None, :] / len(ctx), len(ctx), axis=0), grad_outside


def cbow_naive_softmax_loss_torch(context_vectors: torch.Tensor, outside_vectors: torch.Tensor,
                                  target: int) -> torch.Tensor:
    """The CBOW naive-softmax loss in torch."""
    return naive_softmax_loss_torch(context_vectors.mean(dim=0), outside_vectors, target)


def check_cbow_gradients(context_vectors: np.ndarray, outside_vectors: np.ndarray, target: int,
                         negatives: np.ndarray | None = None) -> GradCheck:
    """CBOW's gradients (naive softmax, or negative sampling given ``negatives``) vs autograd and finite
    differences."""
    ctx = _context(context_vectors, outside_vectors)
    _, outside, target = _pair(ctx[0], outside_vectors, target)

    def ours(p: dict) -> tuple[float, dict]:
        if negatives is None:
            loss, g_c, g_o = cbow_naive_softmax_loss_and_grad(p["context_vectors"], p["outside_vectors"], target)
        else:
            loss, g_c, g_o = cbow_neg_sampling_loss_and_grad(p["context_vectors"], p["outside_vectors"], target,
                                                             negatives)
        return loss, {"context_vectors": g_c, "outside_vectors": g_o}

    def theirs(t: dict) -> torch.Tensor:
        if negatives is None:
            return cbow_naive_softmax_loss_torch(t["context_vectors"], t["outside_vectors"], target)
        return cbow_neg_sampling_loss_torch(t["context_vectors"], t["outside_vectors"], target, negatives)

    return check_gradients(ours, theirs, {"context_vectors": ctx, "outside_vectors": outside})


# ---------------------------------------------------------------- 5. what the full softmax costs
def softmax_cost(vocab_size: int, dim: int, negative: int = 5) -> pd.DataFrame:
    """Exact counts for one (center, context) pair, naive softmax (|V|·D for the scores, 2·|V|·D for the two
    gradient products) vs negative sampling with K (the same with K + 1 rows)."""
    v, d = validate.positive_int(vocab_size, "vocab_size"), validate.positive_int(dim, "dim")
    k = validate.positive_int(negative, "negative")
    params = 2 * v * d
    return pd.DataFrame({
        "naive softmax": [params, 4 * params / 1e9, v * d, 2 * v * d, v],
        f"negative sampling (K = {k})": [params, 4 * params / 1e9, (k + 1) * d, 2 * (k + 1) * d, k + 1],
    }, index=["parameters θ = 2·|V|·D", "θ in float32 (GB)", "multiply-adds: scores",
              "multiply-adds: the two gradients", "rows of θ_C touched"])


def time_naive_softmax(vocab_sizes: Sequence[int], dim: int = 100, repeats: int = 20,
                       seed: int = 0) -> pd.DataFrame:
    """Median CPU time of one naive-softmax loss + gradient per |V|: DataFrame[vocab_size, ms_per_pair,
    ns_per_word] (timings: machine-dependent). numpy's BLAS on one thread: on two, the CPU clock also counts the
    idle one spinning (measured 2-4x per word from |V| = 10,000 on)."""
    dim, repeats = validate.positive_int(dim, "dim"), validate.positive_int(repeats, "repeats")
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
    vocab_sizes = [validate.positive_int(v, "vocab_sizes") for v in vocab_sizes]
    rows = []
    # the timed work does not depend on the values: one uniform matrix, each |V| times its first |V| rows
    center, all_outside = rng.uniform(-0.1, 0.1, dim), rng.uniform(-0.1, 0.1, (max(vocab_sizes, default=0), dim))
    with threadpool_limits(limits=1, user_api="blas"):
        for v in vocab_sizes:
            median = float(np.median(timeit.repeat(lambda o=all_outside[:v]: naive_softmax_loss_and_grad(center, o, 0),
                                                   timer=time.process_time, number=1, repeat=repeats)))
            rows.append({"vocab_size": v, "ms_per_pair": 1e3 * median, "ns_per_word": 1e9 * median / v})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- 6. negative sampling
def neg_sampling_loss_and_grad(center_vec: np.ndarray, outside_vectors: np.ndarray, target: int,
                               negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """L = −log σ(θ_C[o]·h) − Σ_k log σ(−θ_C[k]·h), h = θ_W[i], K negatives (K,) (never o, may repeat).

    dL/dh = (σ(θ_C[o]·h) − 1) θ_C[o] + Σ_k σ(θ_C[k]·h) θ_C[k] (D,); dL/dθ_C (|V|, D) is zero except in row o,
    (σ(θ_C[o]·h) − 1) h, and the negatives' rows, σ(θ_C[k]·h) h each time k is drawn.
    """
    center, outside, target = _pair(center_vec, outside_vectors, target)
    negatives = validate.ids_in_range(negatives, "negatives", len(outside), what="word indices")
    if np.any(negatives == target):
        raise ValueError(f"negatives: must not contain the positive target {target}, got {negatives.tolist()}")
    x_pos, x_neg = float(outside[target] @ center), outside[negatives] @ center  # scalar, (K,)
    s_pos, s_neg = float(sigmoid(x_pos)), sigmoid(x_neg)
    loss = -log_sigmoid(x_pos) - log_sigmoid(-x_neg).sum()  # log σ form: finite for scores of any size
    grad_outside = np.zeros_like(outside)
    grad_outside[target] = (s_pos - 1.0) * center
    np.add.at(grad_outside, negatives, s_neg[:, None] * center[None, :])  # a repeated negative counts twice
    return float(loss), (s_pos - 1.0) * outside[target] + s_neg @ outside[negatives], grad_outside


def neg_sampling_loss_torch(center_vec: torch.Tensor, outside_vectors: torch.Tensor, target: int,
                            negatives: torch.Tensor | np.ndarray) -> torch.Tensor:
    """The negative-sampling loss in torch: −log σ(pos) − Σ log σ(−neg)."""
    negatives = torch.as_tensor(np.asarray(negatives), dtype=torch.long)
    pos, neg = outside_vectors[target] @ center_vec, outside_vectors[negatives] @ center_vec  # (), (K,)
    return -torch.nn.functional.logsigmoid(pos) - torch.nn.functional.logsigmoid(-neg).sum()


def check_neg_sampling_gradients(center_vec: np.ndarray, outside_vectors: np.ndarray, target: int,
                                 negatives: np.ndarray) -> GradCheck:
    """Our negative-sampling gradients vs torch autograd vs finite differences."""
    center, outside, target = _pair(center_vec, outside_vectors, target)

    def ours(p: dict) -> tuple[float, dict]:
        loss, g_c, g_o = neg_sampling_loss_and_grad(p["center_vec"], p["outside_vectors"], target, negatives)
        return loss, {"center_vec": g_c, "outside_vectors": g_o}

    return check_gradients(ours, lambda t: neg_sampling_loss_torch(t["center_vec"], t["outside_vectors"], target,
                                                                   negatives),
                           {"center_vec": center, "outside_vectors": outside})


def cbow_neg_sampling_loss_and_grad(context_vectors: np.ndarray, outside_vectors: np.ndarray, target: int,
                                    negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """CBOW with negative sampling: the averaged context row plays h; each context row gets 1/n of dL/dh."""
    ctx = _context(context_vectors, outside_vectors)
    loss, grad_avg, grad_outside = neg_sampling_loss_and_grad(ctx.mean(axis=0), outside_vectors, target, negatives)
    return loss, np.repeat(grad_avg[None, :] / len(ctx), len(ctx), axis=0), grad_outside


def cbow_neg_sampling_loss_torch(context_vectors: torch.Tensor, outside_vectors: torch.Tensor, target: int,
                                 negatives: torch.Tensor | np.ndarray) -> torch.Tensor:
    """The CBOW negative-sampling loss in torch."""
    return neg_sampling_loss_torch(context_vectors.mean(dim=0), outside_vectors, target, negatives)


def changed_rows(grad: np.ndarray) -> np.ndarray:
    """Indices of the nonzero rows of a (|V|, D) gradient: the embeddings an update touches."""
    grad = validate.float_array(grad, "grad", ndim=2, finite=False)
    return np.flatnonzero(np.any(grad != 0.0, axis=1))


#: The lecture's (Jurafsky & Martin's) eight noise words for *apricot* with m = 2, K = 2, in the order drawn.
LECTURE_NEGATIVES = ("aardvark", "my", "where", "coaxial", "seven", "forever", "dear", "if")


def sgns_window_examples(tokens: Sequence[str], position: int, window: int, negative: int,
                         noise_words: Sequence[str]) -> pd.DataFrame:
    """One window's SGNS examples: DataFrame[center, positive, negatives], a row per positive with its K noise
    words (``noise_words`` taken K at a time, in order)."""
    negative = validate.positive_int(negative, "negative")
    contexts = context_words(tokens, position, window)
    if len(noise_words) < negative * len(contexts):
        raise ValueError(f"noise_words: expected at least K × {len(contexts)} = {negative * len(contexts)} words, "
                         f"got {len(noise_words)}")
    return pd.DataFrame({"center": [tokens[position]] * len(contexts), "positive": contexts,
                         "negatives": [", ".join(noise_words[j * negative:(j + 1) * negative])
                                       for j in range(len(contexts))]})


def vectors_per_window(window: int, negative: int) -> int:
    """The vectors one SGNS window reads and updates: 1 center + 2m contexts + 2m·K negatives."""
    window, negative = validate.positive_int(window, "window"), validate.positive_int(negative, "negative")
    return 2 * window + 1 + 2 * negative * window


class SGDStepDemo:
    """The lecture's one SGNS step in 2-D: ``center`` (2,) is θ_W[apricot], ``outside`` (3, 2) holds θ_C of the
    positive *jam* (row 0) and two negatives; ``step()`` takes SGD steps with ``neg_sampling_loss_and_grad`` and
    keeps the last gradients (the figure's arrows) and every loss."""

    START_CENTER = (1.0, -0.4)
    START_OUTSIDE = ((-0.6, 0.9), (1.2, 0.3), (0.5, -1.1))

    def __init__(self, lr: float = 0.5, words: Sequence[str] = ("apricot", "jam", "Tolstoy", "matrix")) -> None:
        lr = validate.number(lr, "lr", low=0.0, low_open=True, what="a learning rate")
        if len(words) != 1 + len(self.START_OUTSIDE):
            raise ValueError(f"words: expected {1 + len(self.START_OUTSIDE)} words, got {len(words)}")
        self.lr, self.words = float(lr), list(words)
        self.reset()

    def reset(self) -> None:
        """Back to the starting vectors, no steps taken."""
        self.center, self.outside = np.array(self.START_CENTER), np.array(self.START_OUTSIDE)
        self.losses: list[float] = [self.loss()]
        self.grad_center, self.grad_outside = np.zeros(2), np.zeros_like(self.outside)

    def _negatives(self) -> np.ndarray:
        return np.arange(1, len(self.outside))

    def loss(self) -> float:
        """The SGNS loss at the current vectors."""
        return neg_sampling_loss_and_grad(self.center, self.outside, 0, self._negatives())[0]

    def step(self, n: int = 1) -> float:
        """Take ``n`` SGD steps; return the loss after the last one."""
        for _ in range(validate.positive_int(n, "n")):
            _, self.grad_center, self.grad_outside = neg_sampling_loss_and_grad(
                self.center, self.outside, 0, self._negatives())
            self.center = self.center - self.lr * self.grad_center
            self.outside = self.outside - self.lr * self.grad_outside
            self.losses.append(self.loss())
        return self.losses[-1]

    def similarities(self) -> pd.DataFrame:
        """θ_C[w]·θ_W[apricot] and its σ, one row per context word."""
        dots = self.outside @ self.center
        return pd.DataFrame({"word": self.words[1:], "dot": dots, "sigmoid": sigmoid(dots)}).set_index("word")


# ---------------------------------------------------------------- 7. the window loss and SGD (CS224n's pair)
PairLoss = Callable[[np.ndarray, np.ndarray, int], tuple[float, np.ndarray, np.ndarray]]


def skipgram_window(center: int, outside_ids: Sequence[int], theta_w: np.ndarray, theta_c: np.ndarray,
                    pair_loss: PairLoss) -> tuple[float, np.ndarray, np.ndarray]:
    """One window's loss Σ_o pair_loss(θ_W[center], θ_C, o) over its context words, and its gradients
    grad_W (|V|, D) (only row ``center`` nonzero) and grad_C (|V|, D), both summed over the window."""
    sizes: dict[str, int] = {}
    theta_w = validate.float_array(theta_w, "theta_w", shape=("V", "D"), sizes=sizes)
    theta_c = validate.float_array(theta_c, "theta_c", shape=("V", "D"), sizes=sizes)
    center = validate.index(center, "center", len(theta_w), what="a word index")
    outside_ids = validate.ids_in_range(outside_ids, "outside_ids", len(theta_c), what="word indices")
    return _window(center, outside_ids, theta_w, theta_c, pair_loss)


def _window(center: int, outside_ids: Sequence[int], theta_w: np.ndarray, theta_c: np.ndarray,
            pair_loss: PairLoss) -> tuple[float, np.ndarray, np.ndarray]:
    """``skipgram_window``'s math, for callers that checked the arguments."""
    loss, grad_w, grad_c = 0.0, np.zeros_like(theta_w), np.zeros_like(theta_c)
    for o in outside_ids:
        pair, g_center, g_outside = pair_loss(theta_w[center], theta_c, int(o))
        loss += pair
        grad_w[center] += g_center
        grad_c += g_outside
    return float(loss), grad_w, grad_c


def sgd(f: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray, lr: float,
        steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Plain SGD: ``steps`` times x ← x − lr·∇f(x). Returns the last x and the losses (steps,), each f(x)
    before its step. ``f(x) -> (loss, grad)``, grad of x's shape."""
    x = validate.float_array(x, "x").copy()
    lr = validate.positive_float(lr, "lr")
    losses = []
    for _ in range(validate.positive_int(steps, "steps")):
        loss, grad = f(x)
        losses.append(loss)
        x = x - lr * grad
    return x, np.array(losses)


#: CS224n-style toy corpus for exercise 4: two contexts each for *cat*/*dog* and *coffee*/*tea*.
TOY_SENTENCES = (("the", "cat", "sat", "on", "the", "mat"), ("the", "dog", "sat", "on", "the", "mat"),
                 ("i", "drink", "hot", "coffee", "today"), ("i", "drink", "hot", "tea", "today"),
                 ("a", "cat", "and", "a", "dog", "play"), ("coffee", "and", "tea", "are", "hot"))


def window_objective(sentences: Sequence[Sequence[int]], vocab_size: int, window: int,
                     pair_loss: PairLoss) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """f(θ) for θ = [θ_W; θ_C] (2|V|, D): the mean of ``skipgram_window`` over every position of the id
    ``sentences`` with m = ``window``, and its gradient (2|V|, D) — what ``sgd`` minimises."""
    vocab_size, window = validate.positive_int(vocab_size, "vocab_size"), validate.positive_int(window, "window")
    windows = [(s[i], [s[j] for j in range(max(0, i - window), min(len(s), i + window + 1)) if j != i])
               for s in sentences for i in range(len(s))]

    def f(theta: np.ndarray) -> tuple[float, np.ndarray]:
        theta_w, theta_c = theta[:vocab_size], theta[vocab_size:]
        loss, grad = 0.0, np.zeros_like(theta)
        for center, outside in windows:
            window_loss, g_w, g_c = _window(center, outside, theta_w, theta_c, pair_loss)
            loss += window_loss
            grad += np.concatenate([g_w, g_c])
        return loss / len(windows), grad / len(windows)

    return f

