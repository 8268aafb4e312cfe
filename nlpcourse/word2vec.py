"""word2vec: skip-gram and CBOW, naive softmax and negative sampling (notebook 01).

Reads top to bottom in the order of the notebook:

1. windows and pairs (skip-gram pairs, CBOW examples);
2. the two matrices θ = [θ_W; θ_C] and the one-hot selector;
3. the naive softmax loss and its hand-derived gradients (numpy), the same loss in torch for the check;
4. CBOW: the averaged context vector;
5. the cost of one naive-softmax step as |V| grows;
6. negative sampling: loss, gradients, the unigram^α noise, a sampler that never returns the positive;
7. a batched SGNS trainer in torch (subsampling, dynamic window, linear learning-rate decay);
8. the same training with gensim (the reference), and the helpers the widgets and bias probes draw from.

Notation: ``center_vec`` is θ_W[i] (d,), ``outside_vectors`` is the whole context matrix θ_C (V, d),
``target`` the index of the observed context word. Every numpy function checks its inputs and raises
a ValueError naming the argument, what was expected and what it received.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from tqdm.auto import tqdm

from . import torch_threads
from .data import Vocab, load_similarity, porter_stem
from .evaluation import Embeddings, pca_2d, word_similarity
from .gradcheck import GradCheck, check_gradients
from .plotting import label_points

__all__ = [
    "context_words", "skipgram_pairs", "skipgram_pairs_corpus", "cbow_examples",
    "EXERCISE_WORDS", "EXERCISE_CENTER", "EXERCISE_OUTSIDE", "EXERCISE_TARGET", "EXERCISE_NEGATIVES",
    "init_params", "one_hot", "softmax", "logsumexp", "sigmoid",
    "naive_softmax_loss_and_grad", "naive_softmax_loss_torch",
    "cbow_naive_softmax_loss_and_grad", "cbow_naive_softmax_loss_torch",
    "neg_sampling_loss_and_grad", "neg_sampling_loss_torch",
    "cbow_neg_sampling_loss_and_grad", "cbow_neg_sampling_loss_torch",
    "check_naive_softmax_gradients", "check_cbow_gradients", "check_neg_sampling_gradients",
    "time_naive_softmax", "draw_cost_curve",
    "unigram_noise", "NegativeSampler", "changed_rows",
    "keep_probabilities", "encode_corpus", "epoch_pairs",
    "sgns_batch_loss", "sgns_batch_step", "sgns_pool_step", "train_sgns",
    "train_gensim", "compare_with_gensim",
    "SGDStepDemo", "draw_sgd_step", "draw_noise_distribution", "draw_embedding_pca",
    "oov_by_min_count", "gender_direction",
]


# ---------------------------------------------------------------- argument checks (students read these)
def _as_ids(ids: object, name: str) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name}: expected a 1-D array of integer word ids, got shape {arr.shape} "
                         f"and dtype {arr.dtype}")
    return arr.astype(np.int64)


def _check_positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: expected an int >= 1, got {value!r}")
    return int(value)


def _check_float_array(x: object, name: str, ndim: int, d: int | None = None) -> np.ndarray:
    """A float64 array of shape (d,) (ndim 1) or (V, d) (ndim 2), its last axis d if given; else ValueError."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != ndim or (d is not None and arr.shape[-1] != d):
        want = "(d,)" if ndim == 1 else "(V, d)"
        raise ValueError(f"{name}: expected shape {want}{'' if d is None else f' with d={d}'}, got {arr.shape}")
    return arr


def _check_matrix(x: object, name: str, d: int | None = None) -> np.ndarray:
    return _check_float_array(x, name, 2, d)


def _check_vector(x: object, name: str, d: int | None = None) -> np.ndarray:
    return _check_float_array(x, name, 1, d)


def _check_context_vectors(x: object, d: int) -> np.ndarray:
    """CBOW's context embeddings: a float64 (n, d) array with n >= 1; else ValueError."""
    ctx = np.asarray(x, dtype=np.float64)
    if ctx.ndim != 2 or ctx.shape[0] == 0 or ctx.shape[1] != d:
        raise ValueError(f"context_vectors: expected shape (n, d) with n >= 1 and d={d}, got {ctx.shape}")
    return ctx


def _check_index(i: object, name: str, size: int, what: str = "a word index") -> int:
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < size:
        raise ValueError(f"{name}: expected {what} in [0, {size}), got {i!r}")
    return int(i)


def _check_indices(idx: object, name: str, size: int) -> np.ndarray:
    arr = np.asarray(idx)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: expected a non-empty 1-D array of word indices, got shape {arr.shape} "
                         f"and dtype {arr.dtype}")
    bad = arr[(arr < 0) | (arr >= size)]
    if bad.size:
        raise ValueError(f"{name}: expected word indices in [0, {size}), got {int(bad[0])}")
    return arr.astype(np.int64)


# ---------------------------------------------------------------- 1. windows and pairs
def context_words(tokens: Sequence[str], position: int, window: int) -> list[str]:
    """The words within ``window`` positions of ``tokens[position]`` (the center itself excluded).

    Args:
        tokens: one sentence, a list of n strings.
        position: the center's index, 0 <= position < n.
        window: m >= 1 words each side.
    Returns:
        up to 2m words, left to right.
    """
    window = _check_positive_int(window, "window")
    _check_index(position, "position", len(tokens), "a position in the sentence")
    lo, hi = max(0, position - window), min(len(tokens), position + window + 1)
    return [tokens[j] for j in range(lo, hi) if j != position]


def skipgram_pairs(ids: np.ndarray, window: int) -> np.ndarray:
    """All (center, context) pairs of one sentence for a window of m words each side.

    Args:
        ids: (n,) integer word ids of one sentence.
        window: m >= 1.
    Returns:
        (N, 2) int64 array of [center, context] rows, ordered by center position then context position.
    """
    window = _check_positive_int(window, "window")
    ids = _as_ids(ids, "ids")
    n = len(ids)
    rows = [(ids[i], ids[j]) for i in range(n) for j in range(max(0, i - window), min(n, i + window + 1))
            if j != i]
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def skipgram_pairs_corpus(sentences: Sequence[np.ndarray], window: int) -> np.ndarray:
    """``skipgram_pairs`` over many sentences (windows never cross a sentence boundary).

    Args:
        sentences: a sequence of (n_s,) integer id arrays.
        window: m >= 1.
    Returns:
        (N, 2) int64 [center, context] rows, sentence after sentence.
    """
    window = _check_positive_int(window, "window")
    parts = [skipgram_pairs(s, window) for s in sentences]
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def cbow_examples(ids: np.ndarray, window: int, pad: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """CBOW examples of one sentence: the context window of every position and the center to predict.

    Args:
        ids: (n,) integer word ids of one sentence.
        window: m >= 1.
        pad: the id that fills windows cut short by the sentence's ends.
    Returns:
        contexts (n, 2m) int64 (left to right, ``pad`` where the sentence ends), centers (n,) int64.
    """
    window = _check_positive_int(window, "window")
    ids = _as_ids(ids, "ids")
    n = len(ids)
    contexts = np.full((n, 2 * window), pad, dtype=np.int64)
    for i in range(n):
        for k, j in enumerate(list(range(i - window, i)) + list(range(i + 1, i + window + 1))):
            if 0 <= j < n:
                contexts[i, k] = ids[j]
    return contexts, ids.copy()


# ---------------------------------------------------------------- 2. two matrices and the one-hot selector
def init_params(vocab_size: int, dim: int, seed: int = 0, scale: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """θ = [θ_W; θ_C]: target (input) and context (output) embeddings, 2|V|·d parameters.

    Args:
        vocab_size: |V|.  dim: d.  seed: RNG seed.  scale: standard deviation of the entries.
    Returns:
        theta_w (V, d), theta_c (V, d), float64, both small Gaussian.
    """
    vocab_size = _check_positive_int(vocab_size, "vocab_size")
    dim = _check_positive_int(dim, "dim")
    rng = np.random.default_rng(seed)
    return scale * rng.standard_normal((vocab_size, dim)), scale * rng.standard_normal((vocab_size, dim))


def one_hot(i: int, size: int) -> np.ndarray:
    """The one-hot row vector e_i of length ``size`` (float64); ``one_hot(i, V) @ W == W[i]``."""
    size = _check_positive_int(size, "size")
    i = _check_index(i, "i", size)
    e = np.zeros(size)
    e[i] = 1.0
    return e


# ---------------------------------------------------------------- 3. naive softmax
#: The notebook's exercises work on this small example (|V| = 4 words, d = 3): center θ_W[i], context
#: matrix θ_C, the observed context word and two negatives for the SGNS exercise.
EXERCISE_WORDS = ("jam", "tablespoon", "Tolstoy", "matrix")
EXERCISE_CENTER = np.array([0.5, -1.0, 0.25])
EXERCISE_OUTSIDE = np.array([[0.4, -0.6, 0.2], [0.1, 0.3, -0.5], [-0.7, 0.2, 0.6], [0.3, 0.8, -0.1]])
EXERCISE_TARGET = 0
EXERCISE_NEGATIVES = np.array([2, 3])


def logsumexp(z: np.ndarray) -> float:
    """log Σ exp(z) for a (V,) vector, computed as max + log Σ exp(z − max): no overflow for large z."""
    z = np.asarray(z, dtype=np.float64)
    zmax = z.max()
    return float(zmax + np.log(np.exp(z - zmax).sum()))


def softmax(z: np.ndarray) -> np.ndarray:
    """Stable softmax of a (V,) vector of scores -> (V,) probabilities summing to 1."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    """σ(x) = 1 / (1 + e^−x), elementwise, without overflow for large |x|."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -x))


def naive_softmax_loss_and_grad(center_vec: np.ndarray, outside_vectors: np.ndarray,
                                target: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Skip-gram naive-softmax loss for one (center, context) pair and its gradients.

    z = θ_C · θ_W[i] (V,), p = softmax(z), L = −z[target] + log Σ_v exp(z_v).
    dL/dz = p − y, so dL/dθ_W[i] = θ_Cᵀ (p − y) and dL/dθ_C = (p − y) θ_W[i]ᵀ (every row changes).

    Args:
        center_vec: (d,) the center word's target embedding θ_W[i].
        outside_vectors: (V, d) the context matrix θ_C.
        target: index of the observed context word, in [0, V).
    Returns:
        loss (float), grad_center (d,), grad_outside (V, d).
    """
    outside = _check_matrix(outside_vectors, "outside_vectors")
    center = _check_vector(center_vec, "center_vec", outside.shape[1])
    target = _check_index(target, "target", outside.shape[0])
    z = outside @ center
    p = softmax(z)
    loss = logsumexp(z) - z[target]
    delta = p.copy()
    delta[target] -= 1.0  # p − y
    return loss, outside.T @ delta, np.outer(delta, center)


def naive_softmax_loss_torch(center_vec: torch.Tensor, outside_vectors: torch.Tensor,
                             target: int) -> torch.Tensor:
    """The same loss in torch (autograd gives the gradients): −z[target] + logsumexp(z)."""
    z = outside_vectors @ center_vec
    return torch.logsumexp(z, dim=0) - z[target]


# ---------------------------------------------------------------- 4. CBOW
def cbow_naive_softmax_loss_and_grad(context_vectors: np.ndarray, outside_vectors: np.ndarray,
                                     target: int) -> tuple[float, np.ndarray, np.ndarray]:
    """CBOW naive-softmax loss: predict the center from the average of the context embeddings.

    θ_avg = mean of the 2m context rows, z = θ_C · θ_avg, L = −z[target] + log Σ exp(z).
    Each context row receives 1/(2m) of dL/dθ_avg = θ_Cᵀ (p − y).

    Args:
        context_vectors: (n, d) target embeddings θ_W of the n context words.
        outside_vectors: (V, d) the output matrix θ_C.
        target: index of the center word, in [0, V).
    Returns:
        loss, grad_context (n, d), grad_outside (V, d).
    """
    outside = _check_matrix(outside_vectors, "outside_vectors")
    ctx = _check_context_vectors(context_vectors, outside.shape[1])
    loss, grad_avg, grad_outside = naive_softmax_loss_and_grad(ctx.mean(axis=0), outside, target)
    return loss, np.repeat(grad_avg[None, :] / len(ctx), len(ctx), axis=0), grad_outside


def cbow_naive_softmax_loss_torch(context_vectors: torch.Tensor, outside_vectors: torch.Tensor,
                                  target: int) -> torch.Tensor:
    """The CBOW naive-softmax loss in torch."""
    return naive_softmax_loss_torch(context_vectors.mean(dim=0), outside_vectors, target)


# ---------------------------------------------------------------- 6. negative sampling (5. cost is below)
def neg_sampling_loss_and_grad(center_vec: np.ndarray, outside_vectors: np.ndarray, target: int,
                               negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Skip-gram negative-sampling loss for one pair and K negatives, and its gradients.

    L = −log σ(θ_C[o]·c) − Σ_k log σ(−θ_C[k]·c), with c = θ_W[i], o = target.
    dL/dc = (σ(θ_C[o]·c) − 1) θ_C[o] + Σ_k σ(θ_C[k]·c) θ_C[k];
    dL/dθ_C[o] = (σ(θ_C[o]·c) − 1) c;  dL/dθ_C[k] = σ(θ_C[k]·c) c (summed if k repeats);
    every other row of dL/dθ_C is exactly zero: the gradient is sparse.

    Args:
        center_vec: (d,) θ_W[i].
        outside_vectors: (V, d) θ_C.
        target: index of the observed context word.
        negatives: (K,) indices of the noise words (K >= 1; must not contain ``target``).
    Returns:
        loss, grad_center (d,), grad_outside (V, d) (nonzero only in rows target and negatives).
    """
    outside = _check_matrix(outside_vectors, "outside_vectors")
    center = _check_vector(center_vec, "center_vec", outside.shape[1])
    target = _check_index(target, "target", outside.shape[0])
    negatives = _check_indices(negatives, "negatives", outside.shape[0])
    if np.any(negatives == target):
        raise ValueError(f"negatives: must not contain the positive target {target}, got {negatives.tolist()}")
    s_pos = float(sigmoid(outside[target] @ center))
    s_neg = sigmoid(outside[negatives] @ center)  # σ(θ_C[k]·c) = 1 − σ(−θ_C[k]·c)
    loss = -np.log(s_pos) - np.log(1.0 - s_neg).sum()
    grad_center = (s_pos - 1.0) * outside[target] + s_neg @ outside[negatives]
    grad_outside = np.zeros_like(outside)
    grad_outside[target] = (s_pos - 1.0) * center
    np.add.at(grad_outside, negatives, s_neg[:, None] * center[None, :])
    return float(loss), grad_center, grad_outside


def neg_sampling_loss_torch(center_vec: torch.Tensor, outside_vectors: torch.Tensor, target: int,
                            negatives: torch.Tensor | np.ndarray) -> torch.Tensor:
    """The negative-sampling loss in torch: −logσ(pos) − Σ logσ(−neg)."""
    negatives = torch.as_tensor(np.asarray(negatives), dtype=torch.long)
    pos = outside_vectors[target] @ center_vec
    neg = outside_vectors[negatives] @ center_vec
    return -torch.nn.functional.logsigmoid(pos) - torch.nn.functional.logsigmoid(-neg).sum()


def cbow_neg_sampling_loss_and_grad(context_vectors: np.ndarray, outside_vectors: np.ndarray, target: int,
                                    negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """CBOW with negative sampling: the averaged context vector plays the center's role.

    Args:
        context_vectors: (n, d).  outside_vectors: (V, d).  target: the center word.  negatives: (K,).
    Returns:
        loss, grad_context (n, d) (each row 1/n of the averaged gradient), grad_outside (V, d).
    """
    outside = _check_matrix(outside_vectors, "outside_vectors")
    ctx = _check_context_vectors(context_vectors, outside.shape[1])
    loss, grad_avg, grad_outside = neg_sampling_loss_and_grad(ctx.mean(axis=0), outside, target, negatives)
    return loss, np.repeat(grad_avg[None, :] / len(ctx), len(ctx), axis=0), grad_outside


def cbow_neg_sampling_loss_torch(context_vectors: torch.Tensor, outside_vectors: torch.Tensor, target: int,
                                 negatives: torch.Tensor | np.ndarray) -> torch.Tensor:
    """The CBOW negative-sampling loss in torch."""
    return neg_sampling_loss_torch(context_vectors.mean(dim=0), outside_vectors, target, negatives)


# ---------------------------------------------------------------- the checks shown in the notebook
def check_naive_softmax_gradients(center_vec: np.ndarray, outside_vectors: np.ndarray,
                                  target: int) -> GradCheck:
    """Our naive-softmax gradients vs torch autograd vs finite differences (a ``gradcheck.GradCheck``)."""
    def ours(p: dict) -> tuple[float, dict]:
        loss, g_c, g_o = naive_softmax_loss_and_grad(p["center_vec"], p["outside_vectors"], target)
        return loss, {"center_vec": g_c, "outside_vectors": g_o}

    return check_gradients(ours, lambda t: naive_softmax_loss_torch(t["center_vec"], t["outside_vectors"],
                                                                    target),
                           {"center_vec": np.array(center_vec, dtype=np.float64),
                            "outside_vectors": np.array(outside_vectors, dtype=np.float64)})


def check_cbow_gradients(context_vectors: np.ndarray, outside_vectors: np.ndarray, target: int,
                         negatives: np.ndarray | None = None) -> GradCheck:
    """CBOW gradients (naive softmax, or negative sampling when ``negatives`` is given) vs autograd and FD."""
    def ours(p: dict) -> tuple[float, dict]:
        if negatives is None:
            loss, g_c, g_o = cbow_naive_softmax_loss_and_grad(p["context_vectors"], p["outside_vectors"], target)
        else:
            loss, g_c, g_o = cbow_neg_sampling_loss_and_grad(p["context_vectors"], p["outside_vectors"],
                                                             target, negatives)
        return loss, {"context_vectors": g_c, "outside_vectors": g_o}

    def theirs(t: dict) -> torch.Tensor:
        if negatives is None:
            return cbow_naive_softmax_loss_torch(t["context_vectors"], t["outside_vectors"], target)
        return cbow_neg_sampling_loss_torch(t["context_vectors"], t["outside_vectors"], target, negatives)

    return check_gradients(ours, theirs, {"context_vectors": np.array(context_vectors, dtype=np.float64),
                                          "outside_vectors": np.array(outside_vectors, dtype=np.float64)})


def check_neg_sampling_gradients(center_vec: np.ndarray, outside_vectors: np.ndarray, target: int,
                                 negatives: np.ndarray) -> GradCheck:
    """Our negative-sampling gradients vs torch autograd vs finite differences (a ``GradCheck``)."""
    def ours(p: dict) -> tuple[float, dict]:
        loss, g_c, g_o = neg_sampling_loss_and_grad(p["center_vec"], p["outside_vectors"], target, negatives)
        return loss, {"center_vec": g_c, "outside_vectors": g_o}

    return check_gradients(ours, lambda t: neg_sampling_loss_torch(t["center_vec"], t["outside_vectors"],
                                                                   target, negatives),
                           {"center_vec": np.array(center_vec, dtype=np.float64),
                            "outside_vectors": np.array(outside_vectors, dtype=np.float64)})


# ---------------------------------------------------------------- 5. the cost of the full softmax
def time_naive_softmax(vocab_sizes: Sequence[int], dim: int = 100, repeats: int = 20,
                       seed: int = 0) -> pd.DataFrame:
    """Wall-clock time of one naive-softmax loss + gradient for each |V| (the best of ``repeats`` runs).

    Args:
        vocab_sizes: the |V| values to time.  dim: d.  repeats: runs per size.  seed: RNG seed.
    Returns:
        DataFrame[vocab_size, ms_per_example, us_per_word] (timings: machine-dependent).
    """
    dim = _check_positive_int(dim, "dim")
    rng = np.random.default_rng(seed)
    rows = []
    for v in vocab_sizes:
        v = _check_positive_int(v, "vocab_sizes")
        center, outside = 0.1 * rng.standard_normal(dim), 0.1 * rng.standard_normal((v, dim))
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            naive_softmax_loss_and_grad(center, outside, 0)
            best = min(best, time.perf_counter() - t0)
        rows.append({"vocab_size": v, "ms_per_example": 1e3 * best, "us_per_word": 1e6 * best / v})
    return pd.DataFrame(rows)


def draw_cost_curve(timings: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Plot ``time_naive_softmax``'s result: milliseconds per example against |V| (linear axes)."""
    if ax is None:
        ax = Figure(figsize=(5.0, 3.2)).add_subplot()
    ax.plot(timings["vocab_size"], timings["ms_per_example"], "o-")
    ax.set_xlabel("vocabulary size |V|")
    ax.set_ylabel("ms per (center, context) pair")
    ax.set_title("naive softmax: one loss + gradient costs O(|V|·d)")
    return ax.figure


# ---------------------------------------------------------------- 6b. the noise distribution and the sampler
def unigram_noise(counts: np.ndarray, alpha: float = 0.75) -> np.ndarray:
    """P_α(w) = count(w)^α / Σ_v count(v)^α: the noise distribution for negative sampling.

    Args:
        counts: (V,) non-negative counts or frequencies (not all zero).
        alpha: exponent in [0, 1]; 1 = the unigram distribution, 0 = uniform, 0.75 = word2vec's choice.
    Returns:
        (V,) float64 probabilities summing to 1.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or np.any(counts < 0) or counts.sum() <= 0:
        raise ValueError(f"counts: expected a non-empty 1-D array of non-negative counts (not all zero), "
                         f"got shape {counts.shape}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha: expected a value in [0, 1], got {alpha!r}")
    weights = counts**alpha
    weights[counts == 0] = 0.0  # 0^0 would give unseen words mass
    return weights / weights.sum()


class NegativeSampler:
    """Draws negative word ids from a noise distribution, never the positive.

    Walker's alias method: one uniform word and one coin per draw, O(1) each and exact (gensim uses a
    cumulative table with binary search: same distribution, slower in numpy). A negative equal to its
    positive is redrawn.

    Args:
        probs: (V,) noise probabilities (e.g. ``unigram_noise(vocab.counts)``).
        seed: seed of the sampler's own numpy Generator.
    """

    def __init__(self, probs: np.ndarray, seed: int = 0) -> None:
        probs = np.asarray(probs, dtype=np.float64)
        if probs.ndim != 1 or probs.size < 2 or np.any(probs < 0) or not np.isclose(probs.sum(), 1.0):
            raise ValueError(f"probs: expected a 1-D probability vector over >= 2 words, got shape {probs.shape} "
                             f"summing to {probs.sum():.4f}")
        self.probs = probs
        self.rng = np.random.default_rng(seed)
        # alias table: column i keeps word i with probability accept[i], else gives alias[i]
        n = len(probs)
        scaled = probs * n / probs.sum()
        self.accept, self.alias = np.ones(n), np.arange(n, dtype=np.int64)
        small = [i for i in range(n) if scaled[i] < 1.0]
        large = [i for i in range(n) if scaled[i] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            self.accept[s], self.alias[s] = scaled[s], g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        self._accept32, self._alias32 = self.accept.astype(np.float32), self.alias.astype(np.int32)

    def draw(self, size: int | tuple[int, ...]) -> np.ndarray:
        """Ids drawn i.i.d. from ``probs`` (no exclusion), int64 array of shape ``size``."""
        return self._draw32(size).astype(np.int64)

    def _draw32(self, size: int | tuple[int, ...]) -> np.ndarray:
        # int32 / float32 draws: 3-5x faster than the int64 / float64 defaults on a CPU
        column = self.rng.integers(0, len(self.probs), size=size, dtype=np.int32)
        coin = self.rng.random(size, dtype=np.float32)
        return np.where(coin < self._accept32[column], column, self._alias32[column])

    def sample(self, positives: np.ndarray | int, k: int) -> np.ndarray:
        """k negatives for each positive, none equal to its positive.

        Args:
            positives: an int, or (B,) ids of the positive context words.
            k: negatives per positive, >= 1.
        Returns:
            (k,) for an int positive, else (B, k) int64.
        """
        k = _check_positive_int(k, "k")
        scalar = np.ndim(positives) == 0
        pos = _check_indices(np.atleast_1d(positives), "positives", len(self.probs))
        if np.any(self.probs[pos] >= 1.0):
            raise ValueError("positives: a positive holds all the noise mass; nothing else can be drawn")
        out = self.draw((len(pos), k))
        clash = out == pos[:, None]
        while clash.any():
            out[clash] = self.draw(int(clash.sum()))
            clash = out == pos[:, None]
        return out[0] if scalar else out


def changed_rows(grad: np.ndarray) -> np.ndarray:
    """Indices of the rows of a (V, d) gradient that are not all zero (which embeddings an update touches)."""
    grad = _check_matrix(grad, "grad")
    return np.flatnonzero(np.any(grad != 0.0, axis=1))


# ---------------------------------------------------------------- 7. the batched SGNS trainer (torch)
def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Frequent-word subsampling: probability of keeping each occurrence of word w (gensim's formula).

    With t = sample · total and f = count(w): keep = (sqrt(f / t) + 1) · t / f, capped at 1.
    ``sample = 0`` keeps everything.

    Args:
        counts: (V,) counts.  sample: the threshold (word2vec's default 1e-3).
    Returns:
        (V,) float64 in (0, 1].
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample < 0:
        raise ValueError(f"sample: expected a threshold >= 0, got {sample!r}")
    if sample == 0:
        return np.ones_like(counts)
    t = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / t) + 1.0) * t / counts)


def sgns_batch_loss(W: torch.Tensor, C: torch.Tensor, centers: torch.Tensor, contexts: torch.Tensor,
                    negatives: torch.Tensor) -> torch.Tensor:
    """Summed SGNS loss of a batch of B pairs (layer 3; equals the sum of ``neg_sampling_loss_and_grad``).

    Args:
        W: (V, d) target embeddings.  C: (V, d) context embeddings.
        centers: (B,) ids.  contexts: (B,) ids.  negatives: (B, K) ids.
    Returns:
        a scalar tensor.
    """
    w = W[centers]
    pos = (w * C[contexts]).sum(-1)
    neg = torch.bmm(C[negatives], w.unsqueeze(-1)).squeeze(-1)
    return -torch.nn.functional.logsigmoid(pos).sum() - torch.nn.functional.logsigmoid(-neg).sum()


@torch.no_grad()
def sgns_batch_step(W: torch.Tensor, C: torch.Tensor, centers: torch.Tensor, contexts: torch.Tensor,
                    negatives: torch.Tensor, lr: float) -> float:
    """One SGD step on a batch, in place, with the hand-derived gradients (no autograd: ~3x faster).

    All B pairs read the same parameters and their updates are summed (``index_add_``), as the
    word2vec threads do (Hogwild). A negative equal to its pair's positive is ignored (gensim skips it).

    Args:
        W, C: (V, d) float32 parameters, updated in place.  centers, contexts: (B,).  negatives: (B, K).
        lr: the learning rate.
    Returns:
        the batch's summed loss before the step (float).
    """
    batch, dim = len(centers), W.shape[1]
    w = W.index_select(0, centers)  # (B, d); index_select is ~3x faster than W[centers] on CPU
    ids = torch.cat([contexts.unsqueeze(1), negatives], dim=1)  # (B, 1+K)
    c = C.index_select(0, ids.view(-1)).view(batch, -1, dim)  # (B, 1+K, d)
    scores = torch.bmm(c, w.unsqueeze(-1)).squeeze(-1)  # (B, 1+K)
    labels = torch.zeros_like(scores)
    labels[:, 0] = 1.0
    valid = torch.ones_like(scores)
    valid[:, 1:] = (negatives != contexts.unsqueeze(1)).to(scores.dtype)
    # loss = −log σ(s) for the positive, −log σ(−s) for the negatives
    loss = -(torch.nn.functional.logsigmoid(scores * (2.0 * labels - 1.0)) * valid).sum().item()
    g = (labels - torch.sigmoid(scores)) * valid * lr  # −lr · dL/dscore, (B, 1+K)
    W.index_add_(0, centers, torch.bmm(g.unsqueeze(1), c).squeeze(1))
    C.index_add_(0, ids.view(-1), (g.unsqueeze(-1) * w.unsqueeze(1)).view(-1, dim))
    return loss


@torch.no_grad()
def sgns_pool_step(W: torch.Tensor, C: torch.Tensor, centers: torch.Tensor, contexts: torch.Tensor,
                   pool: torch.Tensor, picks: torch.Tensor, lr: float, compute_loss: bool = True) -> float:
    """One SGD step where the batch's negatives come from a shared pool (what the trainer uses).

    Pair b's negatives are ``pool[picks[b]]``: the same loss as ``sgns_batch_step`` with
    ``negatives = pool[picks]``, but the negative part becomes three small dense products
    (B, d) × (d, P) instead of B·K scattered rows, ~1.7x faster on a CPU. With the pool drawn from the noise
    distribution and the picks uniform, each pair's negatives are still draws from the noise distribution.

    Args:
        W, C: (V, d) parameters, updated in place.  centers, contexts: (B,) ids.
        pool: (P,) noise word ids.  picks: (B, K) indices into ``pool``.  lr: the learning rate.
        compute_loss: False skips the loss (NaN is returned), ~10% faster.
    Returns:
        the batch's summed loss before the step.
    """
    w = W.index_select(0, centers)  # (B, d)
    c_pos = C.index_select(0, contexts)  # (B, d)
    c_pool = C.index_select(0, pool)  # (P, d)
    s_pos = (w * c_pos).sum(1)  # (B,)
    s_pool = w @ c_pool.T  # (B, P): every pair against every pool word
    counts = torch.zeros_like(s_pool).scatter_add_(1, picks, torch.ones(picks.shape, dtype=s_pool.dtype))
    counts *= pool.unsqueeze(0) != contexts.unsqueeze(1)  # a negative equal to the positive is skipped
    loss = math.nan
    if compute_loss:
        loss = -(torch.nn.functional.logsigmoid(s_pos).sum()
                 + (torch.nn.functional.logsigmoid(-s_pool) * counts).sum()).item()
    g_pos = (1.0 - torch.sigmoid(s_pos)) * lr  # −lr · dL/ds_pos
    g_pool = -torch.sigmoid(s_pool) * counts * lr  # −lr · dL/ds_pool
    grad_w = g_pos.unsqueeze(1) * c_pos + g_pool @ c_pool
    C.index_add_(0, contexts, g_pos.unsqueeze(1) * w)
    C.index_add_(0, pool, g_pool.T @ w)
    W.index_add_(0, centers, grad_w)
    return loss


def encode_corpus(sentences: Sequence[Sequence[str]], vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """The corpus as one flat id array, and each token's sentence number (out-of-vocabulary words dropped).

    Args:
        sentences: token lists.  vocab: the vocabulary.
    Returns:
        (corpus, sentence_id): two int32 arrays of shape (N,), N = number of in-vocabulary tokens.
    """
    encoded = [vocab.encode(s) for s in sentences]
    corpus = np.concatenate(encoded).astype(np.int32) if encoded else np.zeros(0, dtype=np.int32)
    sentence_id = np.repeat(np.arange(len(encoded), dtype=np.int32), [len(e) for e in encoded])
    return corpus, sentence_id


def epoch_pairs(corpus: np.ndarray, sentence_id: np.ndarray, keep: np.ndarray, window: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One training epoch's skip-gram pairs, the word2vec/gensim way, shuffled.

    Each token survives subsampling with probability ``keep[token]``; each surviving center then draws its
    reach uniformly in 1..``window`` (gensim's "reduced window": near words count more often than far ones)
    and pairs with the surviving words that close to it in the same sentence.

    Args:
        corpus, sentence_id: (N,) int arrays from ``encode_corpus``.
        keep: (V,) keep probabilities (``keep_probabilities``).  window: m >= 1.  rng: the epoch's RNG.
    Returns:
        (centers, contexts): two int32 arrays of shape (P,), in random order.
    """
    window = _check_positive_int(window, "window")
    kept = rng.random(len(corpus), dtype=np.float32) < keep[corpus]
    tok, sid = corpus[kept], sentence_id[kept]
    reach = rng.integers(1, window + 1, size=len(tok), dtype=np.int32)  # gensim's "reduced window"
    centers, contexts = [], []
    for off in range(1, window + 1):
        same = sid[off:] == sid[:-off]
        right = same & (reach[:-off] >= off)  # center i, context i + off
        left = same & (reach[off:] >= off)  # center i + off, context i
        centers += [tok[:-off][right], tok[off:][left]]
        contexts += [tok[off:][right], tok[:-off][left]]
    centers, contexts = np.concatenate(centers), np.concatenate(contexts)
    order = rng.permutation(len(centers))
    return centers[order], contexts[order]


def train_sgns(sentences: list[list[str]], dim: int = 100, window: int = 5, negative: int = 5,
               epochs: int = 5, min_count: int = 5, sample: float = 1e-3, lr: float = 0.025,
               min_lr: float = 1e-4, batch_size: int = 1024, pool_size: int = 32, alpha: float = 0.75, seed: int = 0,
               progress: bool = True, history: list[float] | None = None, threads: int | None = None,
               device: str = "cpu", dtype: torch.dtype = torch.float32) -> Embeddings:
    """Train skip-gram with negative sampling on tokenised sentences (batched, torch, CPU or GPU).

    The recipe of word2vec/gensim: vocabulary with ``min_count``, frequent-word subsampling (``sample``),
    a window drawn uniformly in 1..``window`` per center, ``negative`` noise words per pair from
    unigram^``alpha``, SGD whose learning rate decays linearly from ``lr`` to ``min_lr``; θ_W starts
    uniform in ±0.5/d, θ_C at zero. Pairs are shuffled within each epoch and updated ``batch_size`` at a
    time (all pairs of a batch read the same parameters, their updates add up, like word2vec's threads).
    Each batch draws ``pool_size`` noise words and every pair picks its ``negative`` negatives among them
    (``sgns_pool_step``; the same expected gradient, ~1.7x faster on a CPU); ``pool_size=0`` draws K negatives per
    pair instead (``sgns_batch_step``, word2vec's way). Deterministic for a fixed ``seed`` and thread count.

    Args:
        sentences: list of token lists (non-empty).
        dim: d.  window: m >= 1.  negative: K >= 1.  epochs: passes >= 1.  min_count: min frequency.
        sample: subsampling threshold (0 = off).  lr, min_lr: learning-rate schedule.
        batch_size: pairs per step.  pool_size: noise words per batch (0 = per pair).  alpha: noise exponent.
        seed: RNG seed.  progress: tqdm bar.
        history: if a list is given, the mean loss per pair of each batch is appended to it.
        threads: torch CPU threads for this call only (restored afterwards); None keeps torch's setting.
            The benchmark passes 1 to compare with gensim's ``workers=1``.
        device: "cpu" (reproducible stored results) or e.g. ``nlpcourse.device()`` for a GPU.
        dtype: ``torch.float32`` (fast) or ``torch.float64``: the same initial vectors, but rounding differences
            between CPUs' float kernels stay ~1e-16 instead of ~1e-7, so results computed downstream (a count
            of correct predictions) cannot flip on another machine. About 1.5x slower.
    Returns:
        ``Embeddings`` of the target vectors θ_W (V, dim) over the vocabulary.
    """
    if not isinstance(sentences, (list, tuple)) or not any(len(s) for s in sentences):
        n = len(sentences) if hasattr(sentences, "__len__") else "?"
        raise ValueError(f"sentences: expected a non-empty list of token lists, got {n} sentences with no tokens")
    dim, window = _check_positive_int(dim, "dim"), _check_positive_int(window, "window")
    negative, epochs = _check_positive_int(negative, "negative"), _check_positive_int(epochs, "epochs")
    batch_size = _check_positive_int(batch_size, "batch_size")
    if isinstance(pool_size, bool) or not isinstance(pool_size, (int, np.integer)) or pool_size < 0:
        raise ValueError(f"pool_size: expected an int >= 0 (0 = negatives per pair), got {pool_size!r}")
    vocab = Vocab.build(sentences, min_count=min_count)
    if len(vocab) < 2:
        raise ValueError(f"min_count: only {len(vocab)} word(s) occur >= {min_count} times; "
                         f"lower min_count or give a larger corpus")
    corpus, sentence_id = encode_corpus(sentences, vocab)
    keep = keep_probabilities(vocab.counts, sample).astype(np.float32)
    rng = np.random.default_rng(seed)
    sampler = NegativeSampler(unigram_noise(vocab.counts, alpha), seed=seed + 1)
    gen = torch.Generator().manual_seed(seed)
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype: expected torch.float32 or torch.float64, got {dtype!r}")
    W = ((torch.rand(len(vocab), dim, generator=gen, dtype=torch.float32) - 0.5) / dim).to(device, dtype)
    C = torch.zeros(len(vocab), dim, dtype=dtype, device=device)
    with torch_threads(threads):
        _sgns_epochs(W, C, corpus, sentence_id, keep, sampler, rng, window, negative, epochs, lr, min_lr,
                     batch_size, pool_size, progress, history)
    return Embeddings(W.cpu().numpy().astype(np.float64), vocab)


def _sgns_epochs(W: torch.Tensor, C: torch.Tensor, corpus: np.ndarray, sentence_id: np.ndarray,
                 keep: np.ndarray, sampler: NegativeSampler, rng: np.random.Generator, window: int,
                 negative: int, epochs: int, lr: float, min_lr: float, batch_size: int, pool_size: int,
                 progress: bool, history: list[float] | None) -> None:
    dev = W.device
    bar = tqdm(total=epochs, desc="SGNS epochs", disable=not progress)
    for epoch in range(epochs):
        centers, contexts = epoch_pairs(corpus, sentence_id, keep, window, rng)
        n_batches = math.ceil(len(centers) / batch_size)
        # int64 on the torch side: index_add_ is 2x slower with int32 indices
        centers, contexts = torch.from_numpy(centers).long().to(dev), torch.from_numpy(contexts).long().to(dev)
        if pool_size:
            pools = torch.from_numpy(sampler._draw32((n_batches, pool_size))).long().to(dev)
            picks = torch.from_numpy(rng.integers(0, pool_size, (len(centers), negative))).to(dev)
        else:
            negs = torch.from_numpy(sampler._draw32((len(centers), negative))).long().to(dev)
        for b in range(n_batches):
            step_lr = lr - (lr - min_lr) * (epoch + b / n_batches) / epochs
            sl = slice(b * batch_size, (b + 1) * batch_size)
            if pool_size:
                loss = sgns_pool_step(W, C, centers[sl], contexts[sl], pools[b], picks[sl], step_lr,
                                      compute_loss=history is not None)
            else:
                loss = sgns_batch_step(W, C, centers[sl], contexts[sl], negs[sl], step_lr)
            if history is not None:
                history.append(loss / len(centers[sl]))
        bar.update(1)
    bar.close()


# ---------------------------------------------------------------- 8. against the reference: gensim
def train_gensim(sentences: list[list[str]], dim: int = 100, window: int = 5, negative: int = 5, epochs: int = 5,
                 min_count: int = 5, sample: float = 1e-3, lr: float = 0.025, min_lr: float = 1e-4, seed: int = 0,
                 workers: int = 1) -> Embeddings:
    """gensim's skip-gram with negative sampling with ``train_sgns``'s hyperparameters (the reference).

    ``workers=1`` and a fixed ``seed`` (with PYTHONHASHSEED=0) make it bit-reproducible; more workers are not.

    Returns:
        ``Embeddings`` of gensim's input vectors (V, dim).
    """
    from gensim.models import Word2Vec

    model = Word2Vec(sentences, vector_size=dim, window=window, negative=negative, hs=0, sg=1, epochs=epochs,
                     min_count=min_count, sample=sample, alpha=lr, min_alpha=min_lr, seed=seed, workers=workers)
    return Embeddings.from_gensim(model.wv)


def compare_with_gensim(sentences: list[list[str]], seeds: Sequence[int] = (0, 1, 2), threads: int = 1,
                        transform: object = "porter_stem", progress: bool = True,
                        **setting: object) -> tuple[pd.DataFrame, dict[tuple[str, int], Embeddings]]:
    """Train ours and gensim on the same tokens with the same ``setting`` for each seed; evaluate both.

    Args:
        sentences: the corpus.  seeds: one run of each trainer per seed.
        threads: gensim ``workers`` = our torch threads.
        transform: applied to evaluation words before lookup: "porter_stem" (for a stemmed corpus) or None.
        progress: a tqdm bar over the runs.
        setting: dim, window, negative, epochs, min_count, sample, lr (``train_sgns``'s keywords).
    Returns:
        DataFrame[trainer, seed, wordsim353, simlex999, oov_wordsim353, oov_simlex999, seconds, tokens_per_s]
        (Spearman correlations; the last two columns are timings of this machine), and the trained
        embeddings by (trainer, seed).
    """
    fn = porter_stem if transform == "porter_stem" else transform
    sets = {name: load_similarity(name) for name in ("wordsim353", "simlex999")}
    n_tokens = sum(len(s) for s in sentences)
    rows, embeddings = [], {}
    runs = [(seed, trainer) for seed in seeds for trainer in ("ours", "gensim")]
    for seed, trainer in tqdm(runs, desc="ours vs gensim", disable=not progress):
        t0 = time.perf_counter()
        if trainer == "ours":
            emb = train_sgns(sentences, seed=seed, threads=threads, progress=False, **setting)
        else:
            emb = train_gensim(sentences, seed=seed, workers=threads, **setting)
        seconds = time.perf_counter() - t0
        row = {"trainer": trainer, "seed": seed}
        results = {name: word_similarity(emb, df, transform=fn) for name, df in sets.items()}
        row |= {name: r.spearman for name, r in results.items()}
        row |= {f"oov_{name}": r.oov_ratio for name, r in results.items()}
        row |= {"seconds": seconds, "tokens_per_s": n_tokens * int(setting.get("epochs", 5)) / seconds}
        rows.append(row)
        embeddings[trainer, seed] = emb
    return pd.DataFrame(rows), embeddings


# ---------------------------------------------------------------- widgets: one SGD step, the noise distribution
class SGDStepDemo:
    """The lecture's picture of one SGNS step in 2-D: *apricot*, the positive *jam*, two negatives.

    State: the center vector ``center`` (2,), the context matrix ``outside`` (3, 2) (row 0 the positive,
    rows 1.. the negatives), the learning rate and the loss after every step. ``step()`` takes one SGD step
    with ``neg_sampling_loss_and_grad`` and remembers the gradients it used (the arrows of the figure).

    Args:
        lr: learning rate (> 0).
        words: center word, positive context, then the negatives.
    """

    START_CENTER = (1.0, -0.4)
    START_OUTSIDE = ((-0.6, 0.9), (1.2, 0.3), (0.5, -1.1))

    def __init__(self, lr: float = 0.5, words: Sequence[str] = ("apricot", "jam", "Tolstoy", "matrix")) -> None:
        if not lr > 0:
            raise ValueError(f"lr: expected a learning rate > 0, got {lr!r}")
        if len(words) != 1 + len(self.START_OUTSIDE):
            raise ValueError(f"words: expected {1 + len(self.START_OUTSIDE)} words, got {len(words)}")
        self.lr, self.words = float(lr), list(words)
        self.reset()

    def reset(self) -> None:
        """Back to the starting vectors, no steps taken."""
        self.center = np.array(self.START_CENTER)
        self.outside = np.array(self.START_OUTSIDE)
        self.losses: list[float] = [self.loss()]
        self.grad_center = np.zeros(2)
        self.grad_outside = np.zeros_like(self.outside)

    def loss(self) -> float:
        """The SGNS loss at the current vectors."""
        return neg_sampling_loss_and_grad(self.center, self.outside, 0, self._negatives())[0]

    def _negatives(self) -> np.ndarray:
        return np.arange(1, len(self.outside))

    def step(self, n: int = 1) -> float:
        """Take ``n`` SGD steps; return the loss after the last one."""
        for _ in range(_check_positive_int(n, "n")):
            _, self.grad_center, self.grad_outside = neg_sampling_loss_and_grad(
                self.center, self.outside, 0, self._negatives())
            self.center = self.center - self.lr * self.grad_center
            self.outside = self.outside - self.lr * self.grad_outside
            self.losses.append(self.loss())
        return self.losses[-1]

    def similarities(self) -> pd.DataFrame:
        """Dot products θ_C[w]·θ_W[apricot] and σ of them, one row per context word."""
        dots = self.outside @ self.center
        return pd.DataFrame({"word": self.words[1:], "dot": dots, "sigmoid": sigmoid(dots)}).set_index("word")


def draw_sgd_step(state: SGDStepDemo, ax: Sequence[Axes] | None = None) -> Figure:
    """Left: the 2-D vectors and the update −lr·gradient of the last step as arrows; right: the loss curve.

    Args:
        state: an ``SGDStepDemo``.
        ax: None, or a pair of Axes to draw into.
    Returns:
        the Figure.
    """
    if ax is None:
        fig = Figure(figsize=(9.0, 3.8))
        ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1.0]})
    ax_vec, ax_loss = ax
    colors = ["#1f77b4", "#2ca02c"] + ["#d62728"] * (len(state.outside) - 1)
    vectors = [state.center, *state.outside]
    updates = [-state.lr * state.grad_center, *(-state.lr * state.grad_outside)]
    for vec, upd, color in zip(vectors, updates, colors, strict=True):
        ax_vec.annotate("", xy=vec, xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": color, "lw": 2})
        if np.any(upd != 0):
            ax_vec.annotate("", xy=vec, xytext=vec - upd,
                            arrowprops={"arrowstyle": "->", "color": color, "lw": 1, "ls": "--"})
    lim = 1.5 * max(1.2, max(float(np.abs(v).max()) for v in vectors))  # room for the labels
    ax_vec.set_xlim(-lim, lim)
    ax_vec.set_ylim(-lim, lim)
    ax_vec.set_aspect("equal")
    label_points(ax_vec, np.array(vectors), state.words, colors, prefer=np.array(vectors), fontsize=10)
    ax_vec.axhline(0, color="0.85", lw=0.8)
    ax_vec.axvline(0, color="0.85", lw=0.8)
    ax_vec.set_xticks([])  # the coordinates of a 2-D toy mean nothing; fewer labels also redraw faster
    ax_vec.set_yticks([])
    ax_vec.set_title(f"step {len(state.losses) - 1}: blue = target θ_W, green = positive, red = negatives\n"
                     "dashed: the last update −lr·∇", fontsize=9)
    ax_loss.plot(range(len(state.losses)), state.losses, "o-", ms=3)
    ax_loss.set_xlim(-0.3, max(5, len(state.losses) - 1) + 0.3)
    ax_loss.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax_loss.yaxis.set_major_locator(MaxNLocator(5))
    ax_loss.set_xlabel("SGD step")
    ax_loss.set_ylabel("SGNS loss")
    ax_loss.set_title(f"loss (lr = {state.lr:g})")
    ax_loss.set_ylim(bottom=0)
    return ax_vec.figure


def draw_noise_distribution(words: Sequence[str], counts: np.ndarray, alpha: float = 0.75, top: int = 12,
                            ax: Axes | None = None) -> Figure:
    """Bars of the unigram distribution (α = 1) and of unigram^α over the ``top`` most frequent words.

    The probabilities are normalised over the whole vocabulary (all of ``counts``), so the mass that α < 1
    takes from the frequent words and gives to the rare ones is visible.

    Args:
        words: (V,) words, most frequent first (a Vocab's itos).  counts: (V,) their counts.
        alpha: the exponent in [0, 1].  top: how many words to show.  ax: Axes or None.
    Returns:
        the Figure.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if len(words) != len(counts):
        raise ValueError(f"words: expected {len(counts)} words (one per count), got {len(words)}")
    unigram, noise = unigram_noise(counts, 1.0), unigram_noise(counts, alpha)
    if ax is None:
        ax = Figure(figsize=(8.0, 3.4)).add_subplot()
    x = np.arange(min(top, len(words)))
    ax.bar(x - 0.2, unigram[x], width=0.4, label="unigram (α = 1)", color="0.6")
    ax.bar(x + 0.2, noise[x], width=0.4, label=f"unigram^α, α = {alpha:.2f}", color="#d62728")
    ax.set_xticks(x, [words[i] for i in x], rotation=45, ha="right")
    ax.set_ylabel("P(noise word)")
    ax.yaxis.set_major_locator(MaxNLocator(4))  # fewer labels: the α slider redraws in < 100 ms
    rest = 1.0 - noise[x].sum()
    ax.set_title(f"noise distribution; the other {len(words) - len(x)} words share {rest:.1%} "
                 f"(unigram: {1.0 - unigram[x].sum():.1%})", fontsize=10)
    ax.legend()
    return ax.figure


# ---------------------------------------------------------------- looking at trained vectors
def oov_by_min_count(sentences: Sequence[Sequence[str]], pairs: pd.DataFrame,
                     min_counts: Sequence[int] = (1, 2, 3, 5)) -> pd.DataFrame:
    """How much of a word-similarity set a corpus can evaluate, for several vocabulary cut-offs.

    A pair is out of vocabulary when one of its words occurs fewer than ``min_count`` times (the rule of
    ``evaluation.word_similarity`` on vectors trained with that ``min_count``): the OOV ratio is a property
    of the corpus *and* of the cut-off, not of the vectors.

    Args:
        sentences: the corpus (token lists).
        pairs: DataFrame with columns word1, word2 (n rows), e.g. ``load_similarity("wordsim353")``.
        min_counts: the cut-offs to tabulate (each >= 1).
    Returns:
        DataFrame[min_count, vocab_size, pairs_in_vocabulary, oov_ratio], one row per cut-off.
    """
    missing = [c for c in ("word1", "word2") if c not in getattr(pairs, "columns", ())]
    if missing:
        raise KeyError(f"pairs: expected a DataFrame with columns word1, word2, got {type(pairs).__name__} "
                       f"without {missing}")
    if len(pairs) == 0:
        raise ValueError("pairs: expected at least one row, got an empty DataFrame")
    vocab = Vocab.build(sentences, min_count=1)
    count = dict(zip(vocab.itos, vocab.counts, strict=True))
    rows = []
    for min_count in min_counts:
        min_count = _check_positive_int(min_count, "min_counts")
        known = [count.get(a, 0) >= min_count and count.get(b, 0) >= min_count
                 for a, b in zip(pairs["word1"], pairs["word2"], strict=True)]
        rows.append({"min_count": min_count, "vocab_size": int((vocab.counts >= min_count).sum()),
                     "pairs_in_vocabulary": int(sum(known)), "oov_ratio": 1.0 - sum(known) / len(known)})
    return pd.DataFrame(rows)


def draw_embedding_pca(emb: Embeddings, words: Sequence[str], ax: Axes | None = None) -> Figure:
    """Scatter the 2-D PCA projection (fitted on ``words`` only) of the given words' vectors, labelled.

    Args:
        emb: trained embeddings.  words: the words to show (each must be in ``emb``).  ax: Axes or None.
    Returns:
        the Figure.
    """
    missing = [w for w in words if w not in emb]
    if missing:
        raise KeyError(f"words: not in the vocabulary: {missing}")
    xy = pca_2d(np.stack([emb[w] for w in words]))
    if ax is None:
        ax = Figure(figsize=(6.0, 5.0)).add_subplot()
    ax.scatter(xy[:, 0], xy[:, 1], s=12)
    span = xy.max(axis=0) - xy.min(axis=0)
    ax.set_xlim(xy[:, 0].min() - 0.15 * span[0], xy[:, 0].max() + 0.25 * span[0])  # room for the labels
    ax.set_ylim(xy[:, 1].min() - 0.1 * span[1], xy[:, 1].max() + 0.1 * span[1])
    label_points(ax, xy, words)
    ax.set_title("2-D PCA of the trained target vectors θ_W")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax.figure


def gender_direction(emb: Embeddings, words: Sequence[str], pair: tuple[str, str] = ("he", "she")) -> pd.DataFrame:
    """A bias probe: cos(w, he) − cos(w, she) for each word (positive = closer to the first of ``pair``).

    Args:
        emb: embeddings.  words: words to probe (unknown ones are skipped and listed as NaN).
        pair: the two anchor words, both in ``emb``.
    Returns:
        DataFrame indexed by word with columns cos_first, cos_second, difference (NaN if not in vocabulary).
    """
    for w in pair:
        if w not in emb:
            raise KeyError(f"pair: {w!r} is not in the vocabulary")
    rows = []
    for w in words:
        if w in emb:
            a, b = emb.similarity(w, pair[0]), emb.similarity(w, pair[1])
            rows.append((w, a, b, a - b))
        else:
            rows.append((w, np.nan, np.nan, np.nan))
    return pd.DataFrame(rows, columns=["word", f"cos({pair[0]})", f"cos({pair[1]})", "difference"]).set_index("word")
