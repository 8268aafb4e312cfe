"""word2vec (notebook 01): skip-gram and CBOW, naive softmax and negative sampling — the math.

Reads top to bottom in the order of the notebook:

1. windows and pairs (skip-gram pairs, CBOW examples);
2. the two matrices θ = [θ_W; θ_C] and the one-hot selector;
3. the naive softmax loss and its hand-derived gradients (numpy), the same loss in torch for the check;
4. CBOW: the averaged context vector;
5. negative sampling: loss and gradients (the noise distribution and the sampler are ``nlpcourse.corpus``'s);
6. the gradient checks shown in the notebook (ours vs torch autograd vs finite differences);
7. the cost of one naive-softmax step as |V| grows, and which rows an SGNS update touches;
8. one SGD step by hand on the lecture's 2-D picture (``SGDStepDemo``, the widget's state).

The batched trainer, the gensim reference and the probes of trained vectors are in ``train.py``; every
figure in ``figures.py``; the exercise checks in ``checks.py``; the widgets in ``widgets.py``.

Notation: ``center_vec`` is θ_W[i] (d,), ``outside_vectors`` is the whole context matrix θ_C (V, d),
``target`` the index of the observed context word. Every function checks its inputs (``nlpcourse.validate``)
and raises an error naming the argument, what was expected and what it received.
"""

from __future__ import annotations

import timeit
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from .. import validate
from ..functional import log_sigmoid, logsumexp, sigmoid, softmax
from ..gradcheck import GradCheck, check_gradients
from ..perturb import nudge

__all__ = [
    "context_words", "skipgram_pairs", "skipgram_pairs_corpus", "cbow_examples",
    "EXERCISE_WORDS", "EXERCISE_CENTER", "EXERCISE_OUTSIDE", "EXERCISE_TARGET", "EXERCISE_NEGATIVES",
    "init_params", "one_hot",
    "naive_softmax_loss_and_grad", "naive_softmax_loss_torch",
    "cbow_naive_softmax_loss_and_grad", "cbow_naive_softmax_loss_torch",
    "neg_sampling_loss_and_grad", "neg_sampling_loss_torch",
    "cbow_neg_sampling_loss_and_grad", "cbow_neg_sampling_loss_torch",
    "check_naive_softmax_gradients", "check_cbow_gradients", "check_neg_sampling_gradients",
    "LECTURE_NEGATIVES", "sgns_window_examples", "vectors_per_window",
    "time_naive_softmax", "softmax_cost", "changed_rows", "SGDStepDemo",
]


# ---------------------------------------------------------------- argument checks (students read these)
def _as_ids(ids: object, name: str) -> np.ndarray:
    """(n,) int64 word ids of one sentence; a ValueError (wrong ndim) or TypeError (not ints) naming ``name``."""
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of integer word ids, got shape {arr.shape} "
                         f"and dtype {arr.dtype}")
    return validate.int_array(arr, name, ndim=1)


def _float_array(x: object, name: str, ndim: int, d: int | None = None) -> np.ndarray:
    """A float64 array of shape (d,) (ndim 1) or (V, d) (ndim 2), its last axis d if given."""
    arr = validate.float_array(x, name, finite=False)
    if arr.ndim != ndim or (d is not None and arr.shape[-1] != d):
        want = "(d,)" if ndim == 1 else "(V, d)"
        raise ValueError(f"{name}: expected shape {want}{'' if d is None else f' with d={d}'}, got {arr.shape}")
    return arr


def _check_context_vectors(x: object, d: int) -> np.ndarray:
    """CBOW's context embeddings: a float64 (n, d) array with n >= 1."""
    ctx = validate.float_array(x, "context_vectors", finite=False)
    if ctx.ndim != 2 or ctx.shape[0] == 0 or ctx.shape[1] != d:
        raise ValueError(f"context_vectors: expected shape (n, d) with n >= 1 and d={d}, got {ctx.shape}")
    return ctx


def _check_indices(idx: object, name: str, size: int) -> np.ndarray:
    """A non-empty (K,) int64 array of word indices in [0, size)."""
    arr = np.asarray(idx)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D array of word indices, got shape {arr.shape} "
                         f"and dtype {arr.dtype}")
    return validate.ids_in_range(arr, name, size, what="word indices")


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
    window = validate.positive_int(window, "window")
    validate.index(position, "position", len(tokens), what="a position in the sentence")
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
    window = validate.positive_int(window, "window")
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
    window = validate.positive_int(window, "window")
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
    window = validate.positive_int(window, "window")
    ids = _as_ids(ids, "ids")
    pad = validate.integer(pad, "pad")
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
    vocab_size = validate.positive_int(vocab_size, "vocab_size")
    dim = validate.positive_int(dim, "dim")
    scale = validate.positive_float(scale, "scale")
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
    return nudge(scale * rng.standard_normal((vocab_size, dim))), nudge(scale * rng.standard_normal((vocab_size, dim)))


def one_hot(i: int, size: int) -> np.ndarray:
    """The one-hot row vector e_i of length ``size`` (float64); ``one_hot(i, V) @ W == W[i]``."""
    size = validate.positive_int(size, "size")
    i = validate.index(i, "i", size, what="a word index")
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
    outside = _float_array(outside_vectors, "outside_vectors", 2)
    center = _float_array(center_vec, "center_vec", 1, outside.shape[1])
    target = validate.index(target, "target", outside.shape[0], what="a word index")
    z = outside @ center
    p = softmax(z)
    loss = float(logsumexp(z) - z[target])
    delta = p.copy()
    delta[target] -= 1.0  # p − y
    return loss, outside.T @ delta, np.outer(delta, center)


def naive_softmax_loss_torch(center_vec: torch.Tensor, outside_vectors: torch.Tensor,
                             target: int) -> torch.Tensor:
    """The same loss in torch (autograd gives the gradients): −z[target] + logsumexp(z)."""
    target = validate.index(target, "target", outside_vectors.shape[0], what="a word index")
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
    outside = _float_array(outside_vectors, "outside_vectors", 2)
    ctx = _check_context_vectors(context_vectors, outside.shape[1])
    loss, grad_avg, grad_outside = naive_softmax_loss_and_grad(ctx.mean(axis=0), outside, target)
    return loss, np.repeat(grad_avg[None, :] / len(ctx), len(ctx), axis=0), grad_outside


def cbow_naive_softmax_loss_torch(context_vectors: torch.Tensor, outside_vectors: torch.Tensor,
                                  target: int) -> torch.Tensor:
    """The CBOW naive-softmax loss in torch."""
    return naive_softmax_loss_torch(context_vectors.mean(dim=0), outside_vectors, target)


# ---------------------------------------------------------------- 5. negative sampling
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
    outside = _float_array(outside_vectors, "outside_vectors", 2)
    center = _float_array(center_vec, "center_vec", 1, outside.shape[1])
    target = validate.index(target, "target", outside.shape[0], what="a word index")
    negatives = _check_indices(negatives, "negatives", outside.shape[0])
    if np.any(negatives == target):
        raise ValueError(f"negatives: must not contain the positive target {target}, got {negatives.tolist()}")
    x_pos, x_neg = float(outside[target] @ center), outside[negatives] @ center
    s_pos, s_neg = float(sigmoid(x_pos)), sigmoid(x_neg)  # σ(θ_C[k]·c) = 1 − σ(−θ_C[k]·c)
    loss = -log_sigmoid(x_pos) - log_sigmoid(-x_neg).sum()  # log σ form: finite for scores of any size
    grad_center = (s_pos - 1.0) * outside[target] + s_neg @ outside[negatives]
    grad_outside = np.zeros_like(outside)
    grad_outside[target] = (s_pos - 1.0) * center
    np.add.at(grad_outside, negatives, s_neg[:, None] * center[None, :])
    return float(loss), grad_center, grad_outside


def neg_sampling_loss_torch(center_vec: torch.Tensor, outside_vectors: torch.Tensor, target: int,
                            negatives: torch.Tensor | np.ndarray) -> torch.Tensor:
    """The negative-sampling loss in torch: −logσ(pos) − Σ logσ(−neg)."""
    target = validate.index(target, "target", outside_vectors.shape[0], what="a word index")
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
    outside = _float_array(outside_vectors, "outside_vectors", 2)
    ctx = _check_context_vectors(context_vectors, outside.shape[1])
    loss, grad_avg, grad_outside = neg_sampling_loss_and_grad(ctx.mean(axis=0), outside, target, negatives)
    return loss, np.repeat(grad_avg[None, :] / len(ctx), len(ctx), axis=0), grad_outside


def cbow_neg_sampling_loss_torch(context_vectors: torch.Tensor, outside_vectors: torch.Tensor, target: int,
                                 negatives: torch.Tensor | np.ndarray) -> torch.Tensor:
    """The CBOW negative-sampling loss in torch."""
    return neg_sampling_loss_torch(context_vectors.mean(dim=0), outside_vectors, target, negatives)


# ---------------------------------------------------------------- 6. the checks shown in the notebook
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


# ---------------------------------------------------------------- 5b. the lecture's training examples of one window
#: The lecture's (Jurafsky & Martin's) eight noise words for *apricot* with m = 2, k = 2, in the order drawn.
LECTURE_NEGATIVES = ("aardvark", "my", "where", "coaxial", "seven", "forever", "dear", "if")


def sgns_window_examples(tokens: Sequence[str], position: int, window: int, k: int,
                         noise_words: Sequence[str]) -> pd.DataFrame:
    """The SGNS training examples of one window: each of the 2m positives and its k negatives.

    Args:
        tokens: one sentence (n strings).  position: the center's index.  window: m >= 1.
        k: negatives per positive (>= 1).
        noise_words: the drawn noise words, k per positive in order (at least k × the number of positives).
    Returns:
        DataFrame[center, positive, negatives] with one row per (center, context) pair; ``negatives`` joins
        that pair's k noise words.
    """
    k = validate.positive_int(k, "k")
    contexts = context_words(tokens, position, window)
    if len(noise_words) < k * len(contexts):
        raise ValueError(f"noise_words: expected at least k × {len(contexts)} = {k * len(contexts)} words, "
                         f"got {len(noise_words)}")
    center = tokens[position]
    return pd.DataFrame({"center": [center] * len(contexts), "positive": contexts,
                         "negatives": [", ".join(noise_words[j * k:(j + 1) * k]) for j in range(len(contexts))]})


def vectors_per_window(window: int, k: int) -> int:
    """The vectors one SGNS window reads and updates: 1 center, 2m contexts, 2m·k negatives = 2m + 1 + 2km."""
    window, k = validate.positive_int(window, "window"), validate.positive_int(k, "k")
    return 2 * window + 1 + 2 * k * window


# ----------------------------------------------------- 7. the cost of the full softmax; the rows SGNS changes
def softmax_cost(vocab_size: int, dim: int, negative: int = 5) -> pd.DataFrame:
    """What one (center, context) pair costs, naive softmax vs negative sampling, as exact counts.

    Args:
        vocab_size: |V|.  dim: D.  negative: K for SGNS.
    Returns:
        DataFrame indexed by [parameters θ (2·|V|·D), float32 memory of θ (GB), multiply-adds per pair,
        rows of θ_C touched per pair], columns [naive softmax, negative sampling].
    """
    v, d = validate.positive_int(vocab_size, "vocab_size"), validate.positive_int(dim, "dim")
    k = validate.positive_int(negative, "negative")
    params = 2 * v * d
    return pd.DataFrame({
        "naive softmax": [params, 4 * params / 1e9, v * d, v],
        f"negative sampling (K = {k})": [params, 4 * params / 1e9, (k + 1) * d, k + 1],
    }, index=["parameters θ = 2·|V|·D", "θ in float32 (GB)", "multiply-adds per pair (scores)",
              "rows of θ_C touched per pair"])


def time_naive_softmax(vocab_sizes: Sequence[int], dim: int = 100, repeats: int = 20,
                       seed: int = 0) -> pd.DataFrame:
    """Wall-clock time of one naive-softmax loss + gradient for each |V| (the best of ``repeats`` runs).

    Args:
        vocab_sizes: the |V| values to time.  dim: d.  repeats: runs per size.  seed: RNG seed.
    Returns:
        DataFrame[vocab_size, ms_per_example, us_per_word] (timings: machine-dependent).
    """
    dim = validate.positive_int(dim, "dim")
    repeats = validate.positive_int(repeats, "repeats")
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
    rows = []
    for v in vocab_sizes:
        v = validate.positive_int(v, "vocab_sizes")
        center, outside = 0.1 * rng.standard_normal(dim), 0.1 * rng.standard_normal((v, dim))
        best = min(timeit.repeat(lambda c=center, o=outside: naive_softmax_loss_and_grad(c, o, 0), number=1,
                                 repeat=repeats))
        rows.append({"vocab_size": v, "ms_per_example": 1e3 * best, "us_per_word": 1e6 * best / v})
    return pd.DataFrame(rows)


def changed_rows(grad: np.ndarray) -> np.ndarray:
    """Indices of the rows of a (V, d) gradient that are not all zero (which embeddings an update touches)."""
    grad = _float_array(grad, "grad", 2)
    return np.flatnonzero(np.any(grad != 0.0, axis=1))


# ---------------------------------------------------------------- 8. one SGD step by hand (the widget's state)
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
        lr = validate.number(lr, "lr", low=0.0, low_open=True, what="a learning rate")
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
        for _ in range(validate.positive_int(n, "n")):
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
