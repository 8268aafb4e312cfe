"""The shared training pipeline of the word-vector trainers (word2vec, hierarchical softmax, fastText).

From tokenised sentences to one epoch's (center, context) pairs, the word2vec/gensim way:

1. ``encode_corpus``: the corpus as one flat id array plus each token's sentence number;
2. ``keep_probabilities``: frequent-word subsampling (gensim's formula);
3. ``epoch_pairs``: one epoch's subsampled, reduced-window, shuffled skip-gram pairs;
4. ``unigram_noise`` and ``NegativeSampler``: the unigram^α noise distribution and a sampler over it;
5. ``linear_lr``: the learning rate decaying linearly over training;
6. ``init_embeddings``: θ_W uniform in ±0.5/d and the output rows at zero (word2vec's initialisation);
7. ``TrainConfig``: the hyperparameters every such trainer shares, checked once (a trainer's config extends it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from . import validate
from .data import Vocab
from .perturb import nudge

__all__ = ["encode_corpus", "keep_probabilities", "epoch_pairs", "unigram_noise", "NegativeSampler",
           "linear_lr", "init_embeddings", "TrainConfig"]


def encode_corpus(sentences: Sequence[Sequence[str]], vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """The corpus as one flat id array, and each token's sentence number (out-of-vocabulary words dropped).

    Args:
        sentences: token lists.  vocab: the vocabulary.
    Returns:
        (corpus, sentence_id): two int32 arrays of shape (N,), N = number of in-vocabulary tokens.
    """
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab: expected a data.Vocab, got {type(vocab).__name__}")
    encoded = [vocab.encode(s) for s in sentences]
    corpus = np.concatenate(encoded).astype(np.int32) if encoded else np.zeros(0, dtype=np.int32)
    sentence_id = np.repeat(np.arange(len(encoded), dtype=np.int32), [len(e) for e in encoded])
    return corpus, sentence_id


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Frequent-word subsampling: probability of keeping each occurrence of word w (gensim's formula).

    With t = sample · total and f = count(w): keep = (sqrt(f / t) + 1) · t / f, capped at 1.
    ``sample = 0`` keeps everything.

    Args:
        counts: (V,) counts.  sample: the threshold >= 0 (word2vec's default 1e-3).
    Returns:
        (V,) float64 in (0, 1].
    """
    counts = validate.float_array(counts, "counts", ndim=1)
    sample = validate.number(sample, "sample", low=0.0, what="a threshold")
    if sample == 0:
        return np.ones_like(counts)
    t = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / t) + 1.0) * t / counts)


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
    window = validate.positive_int(window, "window")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy Generator (np.random.default_rng), got {type(rng).__name__}")
    validate.int_array(corpus, "corpus", ndim=1)  # checked, kept in their own dtype (int32 from encode_corpus)
    validate.int_array(sentence_id, "sentence_id", shape=(len(corpus),))
    validate.array(keep, "keep", ndim=1, dtype=None)
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
    alpha = validate.probability(alpha, "alpha")
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
        probs = validate.float_array(probs, "probs", ndim=1)
        if probs.size < 2 or np.any(probs < 0) or not np.isclose(probs.sum(), 1.0):
            raise ValueError(f"probs: expected a 1-D probability vector over >= 2 words, got shape {probs.shape} "
                             f"summing to {probs.sum():.4f}")
        self.probs = probs
        self.rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
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

    def draw(self, size: int | tuple[int, ...], dtype: type = np.int64) -> np.ndarray:
        """Ids drawn i.i.d. from ``probs`` (no exclusion), an array of shape ``size``.

        The draws are made in int32 / float32 (3-5x faster than numpy's 64-bit defaults on a CPU);
        ``dtype=np.int32`` returns them without a copy (what the trainers use).
        """
        column = self.rng.integers(0, len(self.probs), size=size, dtype=np.int32)
        coin = self.rng.random(size, dtype=np.float32)
        return np.where(coin < self._accept32[column], column, self._alias32[column]).astype(dtype, copy=False)

    def sample(self, positives: np.ndarray | int, k: int) -> np.ndarray:
        """k negatives for each positive, none equal to its positive.

        Args:
            positives: an int, or (B,) ids of the positive context words.
            k: negatives per positive, >= 1.
        Returns:
            (k,) for an int positive, else (B, k) int64.
        """
        k = validate.positive_int(k, "k")
        scalar = np.ndim(positives) == 0
        pos = validate.ids_in_range(np.atleast_1d(positives), "positives", len(self.probs), what="word indices")
        if np.any(self.probs[pos] >= 1.0):
            raise ValueError("positives: a positive holds all the noise mass; nothing else can be drawn")
        out = self.draw((len(pos), k))
        clash = out == pos[:, None]
        while clash.any():
            out[clash] = self.draw(int(clash.sum()))
            clash = out == pos[:, None]
        return out[0] if scalar else out


def linear_lr(lr: float, min_lr: float, progress: float) -> float:
    """The learning rate after ``progress`` of the training (0 = start, 1 = end), decaying linearly.

    word2vec's schedule: ``lr − (lr − min_lr) · progress``, from ``lr`` down to ``min_lr``.

    Args:
        lr: the starting rate (> 0).  min_lr: the final rate (>= 0).  progress: a number in [0, 1].
    Returns:
        the rate (a float).
    """
    lr = validate.positive_float(lr, "lr")
    min_lr = validate.number(min_lr, "min_lr", low=0.0)
    progress = validate.probability(progress, "progress")
    return lr - (lr - min_lr) * progress


def init_embeddings(n_words: int, n_outputs: int, dim: int, seed: int = 0, device: str = "cpu",
                    dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """word2vec's initialisation: θ_W (n_words, dim) uniform in ±0.5/dim, the output rows at zero.

    Args:
        n_words: rows of θ_W (|V|).  n_outputs: rows of the output matrix (|V| context vectors for negative
            sampling, |V| − 1 inner nodes for the hierarchical softmax).  dim: d.
        seed: seeds a torch Generator of its own (the global RNG is left alone).
        device: where the tensors live.
        dtype: ``torch.float32`` or ``torch.float64``; θ_W is drawn in float32 either way, so both start from
            the same vectors (float64 only keeps the rounding of later steps ~1e-16 instead of ~1e-7).
    Returns:
        (W, C): tensors of ``dtype``, shapes (n_words, dim) and (n_outputs, dim).
    """
    n_words = validate.positive_int(n_words, "n_words")
    n_outputs = validate.positive_int(n_outputs, "n_outputs")
    dim = validate.positive_int(dim, "dim")
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype: expected torch.float32 or torch.float64, got {dtype!r}")
    gen = torch.Generator().manual_seed(validate.non_negative_int(seed, "seed"))
    W = nudge(((torch.rand(n_words, dim, generator=gen, dtype=torch.float32) - 0.5) / dim).to(device, dtype))
    C = torch.zeros(n_outputs, dim, dtype=dtype, device=device)
    return W, C


@dataclass(frozen=True)
class TrainConfig(validate.Config):
    """The hyperparameters shared by the word-vector trainers, checked when the config is made.

    A trainer's own config extends it (``word2vec.train.SGNSConfig`` adds the negatives, ``hsoftmax``'s
    ``HSConfig`` nothing), nanoGPT's ``GPTConfig`` style: one object instead of a long signature.

    Attributes:
        dim: d.  window: m >= 1 words each side (the reach is drawn in 1..m per center).  epochs: passes >= 1.
        min_count: minimal frequency of a vocabulary word.  sample: subsampling threshold (0 = off).
        lr, min_lr: the learning rate decays linearly from lr to min_lr (``linear_lr``).
        batch_size: pairs per SGD step.  seed: seeds initialisation, subsampling and shuffling.
    """

    dim: int = 100
    window: int = 5
    epochs: int = 5
    min_count: int = 5
    sample: float = 1e-3
    lr: float = 0.025
    min_lr: float = 1e-4
    batch_size: int = 1024
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("dim", "window", "epochs", "min_count", "batch_size"):
            self._set(name, validate.positive_int(getattr(self, name), name))
        self._set("seed", validate.non_negative_int(self.seed, "seed"))
        self._set("sample", validate.number(self.sample, "sample", low=0.0, what="a threshold"))
        self._set("lr", validate.positive_float(self.lr, "lr"))
        self._set("min_lr", validate.number(self.min_lr, "min_lr", low=0.0))
