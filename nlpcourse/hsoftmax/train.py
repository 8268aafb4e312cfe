"""Notebook 02's trainer and measurements: batched torch gradients, ``train_hs``, the speed and gensim checks.

``train_hs`` runs the shared pipeline of ``nlpcourse.corpus`` (encode, subsample, epoch pairs, linear lr,
init) with the hand-written batched gradient ``hs_batch_loss_and_grad`` (equal to the numpy
``skipgram_hs_loss_and_grad`` on small inputs); its hyperparameters are one ``HSConfig``.
"""

from __future__ import annotations

import math
import timeit
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .. import torch_threads, validate
from ..corpus import WordVectorConfig, encode_corpus, epoch_pairs, init_embeddings, keep_probabilities, linear_lr
from ..data import Vocab
from ..evaluation import Embeddings
from ..parallel import starmap
from . import HuffmanTree
from .search import exhaustive_search, tree_search

__all__ = [
    "hs_batch_loss_and_grad", "softmax_batch_loss_and_grad", "HSModel", "HSConfig", "train_hs",
    "search_agreement", "zipf_counts", "measure_speed", "gensim_tree_comparison",
]


# ---------------------------------------------------------------- batched torch (layer 3)
def hs_batch_loss_and_grad(h: torch.Tensor, inner: torch.Tensor, nodes: torch.Tensor, codes: torch.Tensor,
                           mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Summed loss of a batch and its gradients by hand, touching only the N real path steps: O(N·d), not O(B·V·d).
    h (B, d), inner (V-1, d), nodes/codes/mask (B, L) padded paths -> (loss, dL/dh (B, d), dL/d inner[nodes[mask]]
    (N, d)), N = mask.sum(), in ``nodes[mask]``'s order (row by row).
    """
    pair = mask.nonzero(as_tuple=True)[0]                  # (N,): each real path step's pair, padding left out
    rows = inner.index_select(0, nodes.masked_select(mask))  # (N, d): the steps' nodes, row by row
    h_rows = h.index_select(0, pair)                       # (N, d): each step's center vector
    x = (rows * h_rows).sum(1)                             # (N,)
    t = 1.0 - codes.masked_select(mask).to(h.dtype)        # 1 where the path goes left
    loss = torch.nn.functional.softplus(-(2 * t - 1) * x).sum()
    g = (torch.sigmoid(x) - t).unsqueeze(1)                # (N, 1): dL/dx
    grad_h = torch.zeros_like(h).index_add_(0, pair, g * rows)
    return loss, grad_h, g * h_rows


def softmax_batch_loss_and_grad(h: torch.Tensor, W_out: torch.Tensor,
                                targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The baseline: summed −log softmax(h W_outᵀ)[target], by hand -> (loss, dL/dh (B, d), dL/dW_out (V, d)).

    Every row of W_out gets a gradient: O(B·V·d).
    """
    logp = torch.log_softmax(h @ W_out.T, dim=1)           # (B, V)
    rows = torch.arange(len(targets))
    loss = -logp[rows, targets].sum()
    g = logp.exp()
    g[rows, targets] -= 1.0                                # ∂loss/∂logits = softmax − one-hot
    return loss, g @ W_out, g.T @ h


# ---------------------------------------------------------------- training

@dataclass
class HSModel:
    """A skip-gram model with hierarchical softmax: vocabulary, tree, θ_W (V, d) and θ_C (V-1, d)."""

    vocab: Vocab
    tree: HuffmanTree
    W_in: np.ndarray
    inner: np.ndarray
    losses: list[float]

    def embeddings(self) -> Embeddings:
        """The word vectors θ_W as ``evaluation.Embeddings``."""
        return Embeddings(self.W_in, self.vocab)

    def predict(self, center: str, method: str = "exhaustive", beam_size: int = 3) -> tuple[str, float]:
        """The most probable context word for ``center``: "exhaustive", "greedy" or "beam" search."""
        h, inner = self.W_in[self.vocab.index(center)], self.inner
        validate.one_of(method, "method", ("exhaustive", "greedy", "beam"))
        beam_size = validate.positive_int(beam_size, "beam_size")
        if method == "exhaustive":
            return exhaustive_search(self.tree, h, inner)[0]
        if method == "greedy":
            return tree_search(self.tree, h, inner, beam_size=1)[0]
        return tree_search(self.tree, h, inner, beam_size=beam_size)[0]


@dataclass(frozen=True)
class HSConfig(WordVectorConfig):
    """The hyperparameters of ``train_hs``: exactly ``corpus.WordVectorConfig``'s (dim, window, epochs, min_count,
    sample, lr, min_lr, batch_size, seed) — the tree replaces the negatives, so nothing is added."""


def train_hs(sentences: Sequence[Sequence[str]], config: HSConfig | None = None, *, progress: bool = True,
             **overrides: object) -> HSModel:
    """Skip-gram with hierarchical softmax: ``train_sgns``'s recipe (``corpus``'s pipeline, θ_C at zero, the rate
    decaying linearly) with the Huffman tree instead of negatives; each batch's hand-written gradients
    (``hs_batch_loss_and_grad``) update only the rows they touch. ``overrides``: HSConfig fields for this call.
    """
    c = HSConfig.make(config, **overrides)
    vocab = Vocab.build(sentences, min_count=c.min_count)
    if len(vocab) < 2:
        raise ValueError(f"min_count: only {len(vocab)} word(s) occur >= {c.min_count} times; a tree needs 2 "
                         f"leaves: lower min_count or give a larger corpus")
    tree = HuffmanTree.from_vocab(vocab)
    corpus, sentence_id = encode_corpus(sentences, vocab)
    keep = keep_probabilities(vocab.counts, c.sample).astype(np.float32)
    rng = np.random.default_rng(c.seed)
    W_in, inner = init_embeddings(len(vocab), len(vocab) - 1, c.dim, c.seed)
    tree_tensors = tuple(torch.as_tensor(a) for a in (tree.nodes, tree.codes, tree.mask))
    losses = []  # on torch's threads: the same weights on one or two (lee_background: ~1.3x faster on two)
    for epoch in tqdm(range(c.epochs), desc="skip-gram + hierarchical softmax", disable=not progress):
        losses.append(_hs_epoch(W_in, inner, corpus, sentence_id, keep, epoch, c, tree_tensors, rng))
    return HSModel(vocab, tree, W_in.numpy().astype(np.float64), inner.numpy().astype(np.float64), losses)


def _hs_epoch(W_in: torch.Tensor, inner: torch.Tensor, corpus: np.ndarray, sentence_id: np.ndarray,
              keep: np.ndarray, epoch: int, c: HSConfig, tree_tensors: tuple[torch.Tensor, ...],
              rng: np.random.Generator) -> float:
    """One epoch of ``train_hs``: SGD over the epoch's pairs (``corpus.epoch_pairs``); the mean loss."""
    nodes, codes, mask = tree_tensors
    centers, contexts = epoch_pairs(corpus, sentence_id, keep, c.window, rng)
    centers, contexts = torch.from_numpy(centers).long(), torch.from_numpy(contexts).long()
    n_batches = math.ceil(len(centers) / c.batch_size)
    total = 0.0
    for b in range(n_batches):
        step_lr = linear_lr(c.lr, c.min_lr, (epoch + b / n_batches) / c.epochs)
        sl = slice(b * c.batch_size, (b + 1) * c.batch_size)
        ctr, o = centers[sl], contexts[sl]
        n_b, c_b, m_b = (a.index_select(0, o) for a in (nodes, codes, mask))  # (B, L) the batch's paths
        loss, grad_h, grad_rows = hs_batch_loss_and_grad(W_in.index_select(0, ctr), inner, n_b, c_b, m_b)
        W_in.index_add_(0, ctr, grad_h.mul_(-step_lr))  # (index_add_'s alpha= is 2x slower than a multiply)
        inner.index_add_(0, n_b.masked_select(m_b), grad_rows.mul_(-step_lr))  # rows in nodes[mask]'s order
        total += float(loss)
    return total / max(1, len(centers))


# ---------------------------------------------------------------- how often the tree search finds the best word
def search_agreement(model: HSModel, centers: Sequence[str], beam_sizes: Sequence[int] = (1, 2, 4, 8)
                     ) -> pd.DataFrame:
    """How often tree search (beam size 1: greedy) finds the exhaustive argmax over ``centers``: a DataFrame
    [beam_size, found_best (fraction of centers), mean_ratio (p(found) / p(best))]."""
    if not isinstance(model, HSModel):
        raise TypeError(f"model: expected an HSModel (from train_hs), got {type(model).__name__}")
    beam_sizes = [validate.positive_int(b, "beam_sizes") for b in validate.non_empty(beam_sizes, "beam_sizes")]
    validate.non_empty(centers, "centers", what="center words")
    inner = model.inner
    best = {}
    for w in centers:
        h = model.W_in[model.vocab.index(w)]
        best[w] = (h, exhaustive_search(model.tree, h, inner)[0])

    def agreement(b: int) -> dict:
        hits, ratios = 0, []
        for h, (best_word, best_p) in best.values():
            word, p = tree_search(model.tree, h, inner, beam_size=b)[0]
            hits += word == best_word
            ratios.append(p / best_p)
        return {"beam_size": b, "found_best": hits / len(best), "mean_ratio": float(np.mean(ratios))}

    return pd.DataFrame(starmap(agreement, [(b,) for b in beam_sizes]))  # the beam sizes side by side


# ---------------------------------------------------------------- cost: softmax vs hierarchical softmax

def zipf_counts(V: int, exponent: float = 1.0, scale: int = 10) -> np.ndarray:
    """(V,) int64 Zipfian counts ⌊scale·V / rank^exponent⌋ (rank 1..V), all >= 1 — a synthetic vocabulary."""
    V = validate.integer(V, "V", low=2)
    exponent = validate.number(exponent, "exponent", low=0.0)
    scale = validate.positive_int(scale, "scale")
    ranks = np.arange(1, V + 1, dtype=np.float64)
    return np.maximum(1, np.floor(scale * V / ranks**exponent)).astype(np.int64)


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    return min(timeit.repeat(fn, number=1, repeat=repeats))


def measure_speed(sizes: Sequence[int], dim: int = 100, batch: int = 128, repeats: int = 5, seed: int = 0,
                  threads: int | None = 1, progress: bool = False) -> pd.DataFrame:
    """One batched loss + gradient timed side by side per |V|, full softmax vs hierarchical softmax (both by hand
    in torch, same centers, Zipfian targets; best of ``repeats`` after a warm-up, on ``threads`` torch threads):
    DataFrame[V, avg_path, softmax_ms, hs_ms, speedup = softmax time / hs time]."""
    dim, batch = validate.positive_int(dim, "dim"), validate.positive_int(batch, "batch")
    repeats, seed = validate.positive_int(repeats, "repeats"), validate.non_negative_int(seed, "seed")
    sizes = [validate.integer(V, "sizes", low=2) for V in validate.non_empty(sizes, "sizes", what="sizes")]
    if threads is not None:
        threads = validate.positive_int(threads, "threads")
    with torch_threads(threads):
        return pd.DataFrame([_measure_one(V, dim, batch, repeats, seed)
                             for V in tqdm(list(sizes), desc="sizes", disable=not progress)])


def _measure_one(V: int, dim: int, batch: int, repeats: int, seed: int) -> dict[str, float]:
    """One row of ``measure_speed``: both methods on the same Zipfian vocabulary of size V."""
    counts = zipf_counts(V)
    tree = HuffmanTree.build(counts)
    rng = np.random.default_rng(seed)
    targets = rng.choice(V, size=batch, p=counts / counts.sum())
    gen = torch.Generator().manual_seed(seed)
    h = torch.randn(batch, dim, generator=gen) * 0.1
    W_out = torch.randn(V, dim, generator=gen) * 0.1
    inner = torch.randn(V - 1, dim, generator=gen) * 0.1
    L = int(tree.lengths[targets].max())
    nodes = torch.as_tensor(tree.nodes[targets, :L])
    codes = torch.as_tensor(tree.codes[targets, :L])
    mask = torch.as_tensor(tree.mask[targets, :L])
    tgt = torch.as_tensor(targets)
    t_soft = _time(partial(softmax_batch_loss_and_grad, h, W_out, tgt), repeats)
    t_hs = _time(partial(hs_batch_loss_and_grad, h, inner, nodes, codes, mask), repeats)
    return {"V": V, "avg_path": float(tree.lengths[targets].mean()), "softmax_ms": 1e3 * t_soft,
            "hs_ms": 1e3 * t_hs, "speedup": t_soft / t_hs}


# ---------------------------------------------------------------- our tree vs gensim's

def gensim_tree_comparison(sentences: Sequence[Sequence[str]], min_count: int = 1) -> pd.DataFrame:
    """Each word's code length in our Huffman tree and in gensim's (``Word2Vec(hs=1, negative=0).build_vocab``) on
    the same tokens: DataFrame[word, count, ours, gensim], in our vocab order."""
    from gensim.models import Word2Vec

    min_count = validate.positive_int(min_count, "min_count")
    vocab = Vocab.build(sentences, min_count=min_count)
    tree = HuffmanTree.from_vocab(vocab)
    g = Word2Vec(hs=1, negative=0, min_count=min_count, workers=1, seed=0)
    g.build_vocab(sentences)
    return pd.DataFrame({
        "word": vocab.itos, "count": vocab.counts, "ours": tree.lengths,
        "gensim": [len(g.wv.get_vecattr(w, "code")) for w in vocab.itos],
    })
