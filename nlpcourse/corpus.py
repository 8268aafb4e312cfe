"""The shared training pipeline of the word-vector trainers (word2vec 01, hierarchical softmax 02, fastText 03).

From tokenised sentences to one epoch's (center, context) pairs, the word2vec/gensim way, in the order a trainer
uses it: ``WordVectorConfig`` (the shared hyperparameters, checked once), ``encode_corpus``,
``keep_probabilities`` (subsampling), ``unigram_noise`` and ``NegativeSampler``, ``init_embeddings``,
``epoch_pairs`` (shuffled pairs) or ``epoch_windows`` (the same pairs, each center's window together),
``linear_lr``. The trainers' helpers trust their callers (the config has checked the values); what a notebook
calls checks its arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from . import validate
from .data import Vocab
from .perturb import nudge

__all__ = ["WordVectorConfig", "keep_probabilities", "unigram_noise", "NegativeSampler"]


@dataclass(frozen=True)
class WordVectorConfig(validate.Config):
    """The hyperparameters every word-vector trainer shares; a trainer's config extends it (``SGNSConfig``)."""

    dim: int = 100  # D, the vector size
    window: int = 5  # m: the reach is drawn in 1..m per center (gensim's reduced window)
    epochs: int = 5  # passes over the corpus
    min_count: int = 5  # a vocabulary word occurs at least this often
    sample: float = 1e-3  # subsampling threshold (0 = off)
    lr: float = 0.025  # starting learning rate, decaying linearly ...
    min_lr: float = 1e-4  # ... to this one
    batch_size: int = 1024  # pairs per SGD step
    seed: int = 0  # seeds initialisation, subsampling, shuffling and the noise

    def __post_init__(self) -> None:
        for name in ("dim", "window", "epochs", "min_count", "batch_size"):
            self._set(name, validate.positive_int(getattr(self, name), name))
        self._set("seed", validate.non_negative_int(self.seed, "seed"))
        self._set("sample", validate.number(self.sample, "sample", low=0.0, what="a threshold"))
        self._set("lr", validate.positive_float(self.lr, "lr"))
        self._set("min_lr", validate.number(self.min_lr, "min_lr", low=0.0))


def encode_corpus(sentences: Sequence[Sequence[str]], vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """The corpus as one flat int32 id array (N,) and each token's sentence number (N,); unknown words dropped."""
    encoded = [vocab.encode(s) for s in sentences]
    corpus = np.concatenate(encoded).astype(np.int32) if encoded else np.zeros(0, dtype=np.int32)
    sentence_id = np.repeat(np.arange(len(encoded), dtype=np.int32), [len(e) for e in encoded])
    return corpus, sentence_id


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """P(keep an occurrence of w) = min(1, (√(f/t) + 1)·t/f), f = count(w), t = sample·total (gensim's); (V,).

    ``sample = 0`` keeps everything.
    """
    counts = validate.float_array(counts, "counts", ndim=1)
    sample = validate.number(sample, "sample", low=0.0, what="a threshold")
    if sample == 0:
        return np.ones_like(counts)
    t = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / t) + 1.0) * t / counts)


def unigram_noise(counts: np.ndarray, alpha: float = 0.75) -> np.ndarray:
    """P_α(w) = count(w)^α / Σ_v count(v)^α, the noise distribution of negative sampling; (V,) → (V,)."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or np.any(counts < 0) or counts.sum() <= 0:
        raise ValueError(f"counts: expected a non-empty 1-D array of non-negative counts (not all zero), "
                         f"got shape {counts.shape}")
    alpha = validate.probability(alpha, "alpha")
    weights = np.where(counts > 0, counts**alpha, 0.0)  # 0^0 would give unseen words mass
    return weights / weights.sum()


class NegativeSampler:
    """Draws word ids from a noise distribution ``probs`` (V,) with Walker's alias method: O(1) per draw.

    gensim uses a cumulative table and a binary search: the same distribution, slower in numpy.
    ``sample`` redraws a negative equal to its positive; ``draw`` does not exclude anything.
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
        """Ids of shape ``size`` drawn i.i.d. from ``probs``, made in int32/float32 (3-5x faster than 64-bit)."""
        column = self.rng.integers(0, len(self.probs), size=size, dtype=np.int32)
        coin = self.rng.random(size, dtype=np.float32)
        return np.where(coin < self._accept32[column], column, self._alias32[column]).astype(dtype, copy=False)

    def sample(self, positives: np.ndarray | int, negative: int) -> np.ndarray:
        """K = ``negative`` draws per positive, none equal to it: (K,) for an int positive, else (B, K) int64."""
        negative = validate.positive_int(negative, "negative")
        scalar = np.ndim(positives) == 0
        pos = validate.ids_in_range(np.atleast_1d(positives), "positives", len(self.probs), what="word indices")
        if np.any(self.probs[pos] >= 1.0):
            raise ValueError("positives: a positive holds all the noise mass; nothing else can be drawn")
        out = self.draw((len(pos), negative))
        clash = out == pos[:, None]
        while clash.any():
            out[clash] = self.draw(int(clash.sum()))
            clash = out == pos[:, None]
        return out[0] if scalar else out


def init_embeddings(n_words: int, n_outputs: int, dim: int, seed: int = 0, device: str = "cpu",
                    dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """word2vec's start: θ_W (n_words, D) uniform in ±0.5/D, the output rows (n_outputs, D) at zero.

    θ_W is drawn in float32 whatever ``dtype``, so float32 and float64 runs start from the same vectors
    (then ``perturb.nudge``d when the perturbation switch is on).
    """
    gen = torch.Generator().manual_seed(seed)
    W = nudge(((torch.rand(n_words, dim, generator=gen, dtype=torch.float32) - 0.5) / dim).to(device, dtype))
    return W, torch.zeros(n_outputs, dim, dtype=dtype, device=device)


def _subsample_and_reach(corpus: np.ndarray, sentence_id: np.ndarray, keep: np.ndarray, window: int,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The epoch's surviving tokens (each kept with probability ``keep[token]``), their sentence ids, and each
    one's reach in 1..``window`` (gensim's reduced window): (N,) each."""
    kept = rng.random(len(corpus), dtype=np.float32) < keep[corpus]
    tok, sid = corpus[kept], sentence_id[kept]
    return tok, sid, rng.integers(1, window + 1, size=len(tok), dtype=np.int32)


def epoch_pairs(corpus: np.ndarray, sentence_id: np.ndarray, keep: np.ndarray, window: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's skip-gram pairs, shuffled: (centers (P,), contexts (P,)) int32.

    Each token survives subsampling with probability ``keep[token]``; each surviving center draws its reach in
    1..``window`` (gensim's reduced window: near words count more often) and pairs with the surviving words that
    close to it in the same sentence.
    """
    tok, sid, reach = _subsample_and_reach(corpus, sentence_id, keep, window, rng)
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


def epoch_windows(corpus: np.ndarray, sentence_id: np.ndarray, keep: np.ndarray, window: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's skip-gram pairs grouped by center: (centers (P,), contexts (P,)) int32.

    ``epoch_pairs``'s pairs (subsampling, a reach in 1..``window`` per center, within a sentence), but each
    center's window stays together — the centers in random order, a window's contexts left to right — so a
    trainer can read a center's vector once for its whole window (as word2vec does).
    """
    tok, sid, reach = _subsample_and_reach(corpus, sentence_id, keep, window, rng)
    center = rng.permutation(len(tok)).astype(np.int32)  # (N,) positions, in random order
    offset = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)]).astype(np.int32)  # (2m,)
    at = center[:, None] + offset  # (N, 2m) the positions a window could reach
    inside = (at >= 0) & (at < len(tok))
    at[~inside] = 0
    ok = inside & (np.abs(offset) <= reach[center, None]) & (sid[at] == sid[center, None])  # (N, 2m)
    return np.repeat(tok[center], ok.sum(1)), tok[at[ok]]


def linear_lr(lr: float, min_lr: float, progress: float) -> float:
    """word2vec's schedule: lr − (lr − min_lr)·progress, progress from 0 (start) to 1 (end)."""
    return lr - (lr - min_lr) * progress
