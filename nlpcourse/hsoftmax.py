"""Hierarchical softmax (notebook 02): Huffman trees, path probabilities, training, tree search.

A full softmax scores every word of the vocabulary (|V| dot products per example). A hierarchical softmax
puts the words at the leaves of a binary tree: p(w | c) is the product of the binary decisions on the
path from the root to w, one sigmoid per inner node, so an example costs only len(path) ≈ log₂|V| dot
products. With a Huffman tree built from word counts, frequent words sit near the root and the average
path is even shorter.

Notation (Mikolov et al. 2013; gensim uses the same): V leaves (words, ids 0..V-1) and V-1 inner nodes
(ids 0..V-2 in ``inner``; the root is inner node V-2). ``W_in`` (V, d) holds the word ("center") vectors
θ_W and ``inner`` (V-1, d) the inner-node vectors θ_C. At inner node n the path turns left (code 0) with
probability σ(θ_C[n]·θ_W[c]) and right (code 1) with probability 1 − σ(θ_C[n]·θ_W[c]).

Layers: (1) numpy maths (``hs_loss_and_grad``, ``skipgram_hs_loss_and_grad``), (2) the same in torch for
autograd (``skipgram_hs_loss_torch``), (3) batched torch gradients and a trainer (``hs_batch_loss_and_grad``,
``train_hs``), plus the full-softmax baseline used by the speed measurement.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from . import torch_threads
from .corpus import encode_corpus, epoch_pairs, init_embeddings, keep_probabilities, linear_lr
from .data import Vocab
from .decoding import beam_search
from .evaluation import Embeddings
from .functional import sigmoid
from .plotting import new_figure

__all__ = [
    "HuffmanTree", "sigmoid", "branch_probabilities", "path_probability", "leaf_probabilities",
    "hs_loss_and_grad", "path_loss_and_grad", "path_loss_torch", "gradient_exercise",
    "skipgram_hs_loss_and_grad", "skipgram_hs_loss_torch",
    "hs_batch_loss_and_grad", "softmax_batch_loss_and_grad", "HSModel", "train_hs", "tree_search",
    "exhaustive_search", "search_agreement", "zipf_counts", "measure_speed", "draw_speed", "gensim_tree_comparison",
    "draw_tree", "ToyExample", "toy_example", "LECTURE_SENTENCE", "LECTURE_BRANCHES",
]

LECTURE_SENTENCE = "this is an example of a huffman tree"
# The lecture's exercise: branch probabilities along the path of "language" given the center word "natural".
LECTURE_BRANCHES = (1.0, 0.9, 0.95, 0.65, 0.2)


# ---------------------------------------------------------------- the tree

class HuffmanTree:
    """A binary tree over V symbols, built by ``HuffmanTree.build`` (Huffman) from counts.

    Node ids: leaves are 0..V-1 (the symbol's position), inner node j has id V+j and row j of the
    inner-node matrix; the root is the last node merged, id 2V-2 (row V-2). Left child = code 0.

    Attributes:
        symbols: tuple of V labels.
        counts: (V,) the counts the tree was built from.
        children: (V-1, 2) int64 ids of the left and right child of every inner node.
        nodes: (V, L) int64 inner-node rows on every leaf's path, root first, padded with 0 (L = max depth).
        codes: (V, L) uint8 the turns (0 = left, 1 = right) along the same paths, padded with 0.
        lengths: (V,) int64 path lengths (= code lengths = depths).
        mask: (V, L) bool, True on the real (non-padding) positions.
    """

    def __init__(self, symbols: Sequence[str], counts: np.ndarray, children: np.ndarray) -> None:
        self.symbols = tuple(symbols)
        self.counts = counts
        self.children = children
        self._stoi = {s: i for i, s in enumerate(self.symbols)}
        self.nodes, self.codes, self.lengths = _leaf_paths(children, len(self.symbols))
        self.mask = np.arange(self.nodes.shape[1])[None, :] < self.lengths[:, None]

    # -- construction
    @classmethod
    def build(cls, counts: Sequence[float] | np.ndarray, symbols: Sequence[str] | None = None) -> HuffmanTree:
        """Huffman's algorithm with a heap: merge the two least frequent nodes until one is left.

        The first node popped becomes the left child (code 0), the second the right child (code 1) —
        as in word2vec and gensim. Ties are broken by node id (leaves before merged nodes, lower ids
        first), so the tree is deterministic.

        Args:
            counts: (V,) positive counts (or frequencies), V >= 2.
            symbols: V labels; default "0", "1", ...
        Returns:
            the tree.
        """
        counts = _check_counts(counts)
        V = len(counts)
        if symbols is None:
            symbols = [str(i) for i in range(V)]
        symbols = list(symbols)
        if len(symbols) != V:
            raise ValueError(f"symbols: expected {V} labels (one per count), got {len(symbols)}")
        if len(set(symbols)) != V:
            dup = [s for s, n in Counter(symbols).items() if n > 1][:3]
            raise ValueError(f"symbols: expected distinct labels, got duplicates {dup}")
        heap = [(c, i) for i, c in enumerate(counts.tolist())]
        heapq.heapify(heap)
        children = np.empty((V - 1, 2), dtype=np.int64)
        for j in range(V - 1):
            c1, left = heapq.heappop(heap)
            c2, right = heapq.heappop(heap)
            children[j] = (left, right)
            heapq.heappush(heap, (c1 + c2, V + j))
        return cls(symbols, counts, children)

    @classmethod
    def from_tokens(cls, tokens: Iterable[str]) -> HuffmanTree:
        """Count the tokens (e.g. the characters of a sentence) and build the Huffman tree.

        Symbols are ordered by descending count, ties in order of first appearance.
        """
        counter = Counter(tokens)
        if not counter:
            raise ValueError("tokens: expected at least 2 distinct tokens, got an empty sequence")
        items = sorted(counter.items(), key=lambda kv: -kv[1])  # stable: first appearance breaks ties
        return cls.build(np.array([c for _, c in items]), [s for s, _ in items])

    @classmethod
    def from_vocab(cls, vocab: Vocab) -> HuffmanTree:
        """The Huffman tree of a ``data.Vocab`` (leaf i = word id i)."""
        return cls.build(vocab.counts, vocab.itos)

    # -- queries
    @property
    def n_leaves(self) -> int:
        """V, the number of leaves (words)."""
        return len(self.symbols)

    @property
    def n_inner(self) -> int:
        """V - 1, the number of inner nodes (rows of the inner-node matrix)."""
        return len(self.children)

    @property
    def root(self) -> int:
        """The root's node id, 2V-2 (its inner-node row is V-2)."""
        return 2 * self.n_leaves - 2

    @property
    def max_depth(self) -> int:
        """The longest path (L)."""
        return int(self.lengths.max())

    def __len__(self) -> int:
        return self.n_leaves

    def __contains__(self, word: object) -> bool:
        return word in self._stoi

    def __repr__(self) -> str:
        return f"HuffmanTree(V={self.n_leaves}, max_depth={self.max_depth})"

    def index(self, word: str | int) -> int:
        """The leaf id of ``word`` (a symbol, or already an int id); KeyError if it is not a leaf."""
        if isinstance(word, (int, np.integer)) and not isinstance(word, bool):
            if not 0 <= int(word) < self.n_leaves:
                raise KeyError(f"word: expected a leaf id in [0, {self.n_leaves}), got {int(word)}")
            return int(word)
        if word not in self._stoi:
            shown = ", ".join(repr(s) for s in self.symbols[:8])
            raise KeyError(f"word: {word!r} is not a leaf of this tree (V={self.n_leaves}; leaves: {shown}, ...)")
        return self._stoi[word]

    def path(self, word: str | int) -> tuple[np.ndarray, np.ndarray]:
        """(inner-node rows (L_w,), codes (L_w,)) from the root to ``word``'s leaf."""
        i = self.index(word)
        n = self.lengths[i]
        return self.nodes[i, :n].copy(), self.codes[i, :n].copy()

    def code(self, word: str | int) -> str:
        """``word``'s Huffman code as a string of 0s and 1s, root first."""
        return "".join(str(b) for b in self.path(word)[1])

    def weighted_length(self) -> float:
        """Σ count × code length: the number of bits to encode the counted text with this code."""
        total = (self.counts * self.lengths).sum()
        return int(total) if np.issubdtype(self.counts.dtype, np.integer) else float(total)

    def average_depth(self) -> float:
        """Count-weighted mean path length = dot products per example when targets follow the counts."""
        return float((self.counts * self.lengths).sum() / self.counts.sum())

    def table(self) -> pd.DataFrame:
        """One row per symbol: symbol, count, code, length (in the tree's leaf order)."""
        return pd.DataFrame({
            "symbol": list(self.symbols), "count": self.counts,
            "code": [self.code(i) for i in range(self.n_leaves)], "length": self.lengths,
        })


def _check_counts(counts: Sequence[float] | np.ndarray) -> np.ndarray:
    try:
        arr = np.asarray(counts)
    except (TypeError, ValueError) as e:
        raise ValueError(f"counts: expected a 1-D array of positive numbers, got {type(counts).__name__}") from e
    if arr.ndim != 1:
        raise ValueError(f"counts: expected a 1-D array of positive numbers, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("counts: expected at least 2 counts, got an empty array")
    if arr.size == 1:
        raise ValueError("counts: expected at least 2 counts (a tree with one leaf has no decisions), got 1")
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"counts: expected numbers, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("counts: expected finite numbers, got NaN or inf")
    bad = np.flatnonzero(arr <= 0)
    if bad.size:
        raise ValueError(f"counts: expected every count > 0, got {arr[bad[0]]} at position {bad[0]}")
    return arr.astype(np.int64) if np.issubdtype(arr.dtype, np.integer) else arr.astype(np.float64)


def _leaf_paths(children: np.ndarray, V: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded root-to-leaf paths of every leaf, computed bottom-up for all leaves at once."""
    parent = np.full(2 * V - 1, -1, dtype=np.int64)
    is_right = np.zeros(2 * V - 1, dtype=np.uint8)
    parent[children[:, 0]] = np.arange(V - 1)
    parent[children[:, 1]] = np.arange(V - 1)
    is_right[children[:, 1]] = 1
    depth = np.zeros(2 * V - 1, dtype=np.int64)
    for j in range(V - 2, -1, -1):  # from the root (merged last) down: a parent is merged after its children
        depth[children[j]] = depth[V + j] + 1
    lengths = depth[:V].copy()
    L = int(lengths.max())
    nodes = np.zeros((V, L), dtype=np.int64)
    codes = np.zeros((V, L), dtype=np.uint8)
    cur = np.arange(V)
    for k in range(L):  # k-th step up from each leaf fills position length-1-k
        rows = np.flatnonzero(lengths > k)
        pos = lengths[rows] - 1 - k
        nodes[rows, pos] = parent[cur[rows]]
        codes[rows, pos] = is_right[cur[rows]]
        cur[rows] = parent[cur[rows]] + V
    return nodes, codes, lengths


# ---------------------------------------------------------------- probabilities (numpy)

def _check_vectors(tree: HuffmanTree, center: np.ndarray, inner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inner = np.asarray(inner, dtype=np.float64)
    center = np.asarray(center, dtype=np.float64)
    if inner.ndim != 2 or inner.shape[0] != tree.n_inner:
        raise ValueError(f"inner: expected shape (V-1, d) = ({tree.n_inner}, d), got {inner.shape}")
    d = inner.shape[1]
    if center.shape != (d,):
        raise ValueError(f"center: expected shape (d,) with d={d}, got {center.shape}")
    return center, inner


def branch_probabilities(tree: HuffmanTree, word: str | int, center: np.ndarray,
                         inner: np.ndarray) -> np.ndarray:
    """Probability of each turn on the path to ``word``: σ(θ_C[n]·h) left, 1 − σ(θ_C[n]·h) right.

    Args:
        tree: the tree (V leaves).
        word: the target leaf (symbol or id).
        center: (d,) the center word's vector h = θ_W[i].
        inner: (V-1, d) the inner-node vectors θ_C.
    Returns:
        (L_w,) the branch probabilities, root first; their product is p(word | center).
    """
    center, inner = _check_vectors(tree, center, inner)
    nodes, codes = tree.path(word)
    s = sigmoid(inner[nodes] @ center)
    return np.where(codes == 0, s, 1.0 - s)


def path_probability(tree: HuffmanTree, word: str | int, center: np.ndarray, inner: np.ndarray) -> float:
    """p(word | center) = the product of ``branch_probabilities`` along the path.

    Args:
        tree: the tree; word: the target leaf (symbol or id); center: (d,) h; inner: (V-1, d) θ_C.
    Returns:
        a float in (0, 1].
    """
    return float(np.prod(branch_probabilities(tree, word, center, inner)))


def leaf_probabilities(tree: HuffmanTree, center: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """p(w | center) for every leaf w at once: (V,), sums to 1 for any parameters.

    Args:
        tree: the tree (V leaves, V-1 inner nodes).
        center: (d,) the center vector.
        inner: (V-1, d) the inner-node vectors.
    Returns:
        (V,) probabilities (one sigmoid per inner node, then products along the padded paths).
    """
    center, inner = _check_vectors(tree, center, inner)
    s = sigmoid(inner @ center)                                   # (V-1,) p(left) at every inner node
    turn = np.where(tree.codes == 0, s[tree.nodes], 1.0 - s[tree.nodes])   # (V, L)
    return np.where(tree.mask, turn, 1.0).prod(axis=1)


# ---------------------------------------------------------------- loss and gradients (numpy, layer 1)

def path_loss_and_grad(center: np.ndarray, rows: np.ndarray, codes: np.ndarray) -> tuple[float, dict]:
    """−log p(target | center) for one path, and its gradients (the exercise's derivation).

    With x_k = θ_C[n_k]·h and t_k = 1 − code_k (1 for a left turn), the loss is
    −Σ_k log σ((2t_k − 1)·x_k) and ∂loss/∂x_k = σ(x_k) − t_k, so
    ∂/∂h = Σ_k (σ(x_k) − t_k)·θ_C[n_k] and ∂/∂θ_C[n_k] = (σ(x_k) − t_k)·h.

    Args:
        center: (d,) h = θ_W[i].
        rows: (L, d) the inner-node vectors on the path, root first.
        codes: (L,) the turns (0 left, 1 right).
    Returns:
        (loss, {"center": (d,), "rows": (L, d)}).
    """
    center = np.asarray(center, dtype=np.float64)
    rows = np.asarray(rows, dtype=np.float64)
    codes = np.asarray(codes)
    if center.ndim != 1:
        raise ValueError(f"center: expected shape (d,), got {center.shape}")
    if rows.ndim != 2 or rows.shape[1] != center.shape[0]:
        raise ValueError(f"rows: expected shape (L, d) with d={center.shape[0]}, got {rows.shape}")
    if codes.shape != (rows.shape[0],) or not np.isin(codes, (0, 1)).all():
        raise ValueError(f"codes: expected shape ({rows.shape[0]},) of 0/1 values, got {codes.shape} {codes}")
    x = rows @ center                      # (L,) one dot product per inner node on the path
    t = 1.0 - codes                        # 1 = left turn (probability σ(x)), 0 = right turn
    loss = float(np.logaddexp(0.0, -(2 * t - 1) * x).sum())   # −log σ(±x), computed stably
    g = sigmoid(x) - t                     # (L,) ∂loss/∂x
    return loss, {"center": g @ rows, "rows": np.outer(g, center)}


def path_loss_torch(center: torch.Tensor, rows: torch.Tensor, codes: np.ndarray) -> torch.Tensor:
    """``path_loss_and_grad``'s loss written plainly in torch (the autograd reference).

    Args:
        center: (d,) tensor; rows: (L, d) tensor; codes: (L,) 0/1 turns.
    Returns:
        a scalar tensor −Σ log(σ(x_k) if left else 1 − σ(x_k)).
    """
    s = torch.sigmoid(rows @ center)
    left = torch.as_tensor(np.asarray(codes) == 0)
    return -torch.where(left, s, 1 - s).log().sum()


def gradient_exercise() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradient exercise's numbers: h (3,), the path's rows of θ_C (4, 3) root first, the turns (4,)."""
    center = np.array([0.5, -1.0, 0.25])
    rows = np.array([[0.2, -0.4, 1.0], [-0.5, 0.3, 0.8], [1.0, 0.6, -0.2], [0.1, -0.9, 0.4]])
    codes = np.array([0, 1, 1, 0])
    return center, rows, codes


def hs_loss_and_grad(center: np.ndarray, inner: np.ndarray, tree: HuffmanTree,
                     word: str | int) -> tuple[float, dict[str, np.ndarray]]:
    """−log p(word | center) with hierarchical softmax, and the gradients w.r.t. center and all of inner.

    Args:
        center: (d,) θ_W[i].
        inner: (V-1, d) θ_C.
        tree: the tree.
        word: the target (symbol or leaf id).
    Returns:
        (loss, {"center": (d,), "inner": (V-1, d)}); only the path's rows of the "inner" gradient are non-zero.
    """
    center, inner = _check_vectors(tree, center, inner)
    nodes, codes = tree.path(word)
    loss, g = path_loss_and_grad(center, inner[nodes], codes)
    grad_inner = np.zeros_like(inner)
    grad_inner[nodes] = g["rows"]          # a path never visits a node twice
    return loss, {"center": g["center"], "inner": grad_inner}


def _check_pairs(pairs: np.ndarray, V: int) -> np.ndarray:
    pairs = np.asarray(pairs)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or not np.issubdtype(pairs.dtype, np.integer):
        raise ValueError(f"pairs: expected an int array of shape (N, 2) (center, context), got "
                         f"{pairs.dtype} {pairs.shape}")
    if pairs.size and (pairs.min() < 0 or pairs.max() >= V):
        raise ValueError(f"pairs: expected word ids in [0, {V}), got values in [{pairs.min()}, {pairs.max()}]")
    return pairs


def _check_params(params: dict, tree: HuffmanTree) -> tuple[object, object]:
    if "W_in" not in params or "inner" not in params:
        raise KeyError(f"params: expected keys 'W_in' and 'inner', got {sorted(params)}")
    W_in, inner = params["W_in"], params["inner"]
    V = tree.n_leaves
    if W_in.ndim != 2 or W_in.shape[0] != V:
        raise ValueError(f"params['W_in']: expected shape (V, d) = ({V}, d), got {tuple(W_in.shape)}")
    if tuple(inner.shape) != (V - 1, W_in.shape[1]):
        raise ValueError(f"params['inner']: expected shape (V-1, d) = ({V - 1}, {W_in.shape[1]}), "
                         f"got {tuple(inner.shape)}")
    return W_in, inner


def skipgram_hs_loss_and_grad(params: dict[str, np.ndarray], pairs: np.ndarray,
                              tree: HuffmanTree) -> tuple[float, dict[str, np.ndarray]]:
    """Mean skip-gram loss −log p(context | center) over ``pairs``, vectorised with padded paths.

    Args:
        params: {"W_in": (V, d) θ_W, "inner": (V-1, d) θ_C}, float64.
        pairs: (N, 2) int (center id, context id), e.g. from ``word2vec.skipgram_pairs``.
        tree: the tree over the same V words.
    Returns:
        (mean loss, {"W_in": (V, d), "inner": (V-1, d)}) — the same shapes as ``params``.
    """
    W_in, inner = _check_params(params, tree)
    pairs = _check_pairs(pairs, tree.n_leaves)
    N = len(pairs)
    h = W_in[pairs[:, 0]]                                  # (N, d)
    nodes, codes, mask = tree.nodes[pairs[:, 1]], tree.codes[pairs[:, 1]], tree.mask[pairs[:, 1]]
    rows = inner[nodes]                                    # (N, L, d)
    x = np.einsum("nld,nd->nl", rows, h)                   # (N, L)
    t = 1.0 - codes
    loss = (np.logaddexp(0.0, -(2 * t - 1) * x) * mask).sum() / N
    g = (sigmoid(x) - t) * mask / N                        # (N, L), zero on padding
    grad_W = np.zeros_like(W_in)
    np.add.at(grad_W, pairs[:, 0], np.einsum("nl,nld->nd", g, rows))
    grad_inner = np.zeros_like(inner)
    np.add.at(grad_inner, nodes.ravel(), (g[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1]))
    return float(loss), {"W_in": grad_W, "inner": grad_inner}


# ---------------------------------------------------------------- torch (layers 2 and 3)

def skipgram_hs_loss_torch(params: dict[str, torch.Tensor], pairs: np.ndarray, tree: HuffmanTree) -> torch.Tensor:
    """The same mean loss as ``skipgram_hs_loss_and_grad``, written plainly in torch for autograd.

    Args:
        params: {"W_in": (V, d), "inner": (V-1, d)} tensors (requires_grad for a check).
        pairs: (N, 2) int (center, context).
        tree: the tree.
    Returns:
        a scalar tensor.
    """
    W_in, inner = _check_params(params, tree)
    pairs = _check_pairs(pairs, tree.n_leaves)
    total = W_in.new_zeros(())
    for c, o in pairs.tolist():
        nodes, codes = tree.path(o)
        x = inner[torch.as_tensor(nodes)] @ W_in[c]
        left = torch.as_tensor(codes == 0)
        total = total - torch.where(left, torch.sigmoid(x), 1 - torch.sigmoid(x)).log().sum()
    return total / len(pairs)


def hs_batch_loss_and_grad(h: torch.Tensor, inner: torch.Tensor, nodes: torch.Tensor, codes: torch.Tensor,
                           mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Summed hierarchical-softmax loss of a batch and its gradients, by hand (no autograd).

    Only the L path rows per example are touched: the cost is O(B·L·d) instead of O(B·V·d).

    Args:
        h: (B, d) center vectors.
        inner: (V-1, d) inner-node vectors.
        nodes: (B, L) int64 path rows of each target, padded; codes: (B, L) turns; mask: (B, L) bool.
    Returns:
        (loss summed over the batch (scalar), grad w.r.t. h (B, d), grad w.r.t. the gathered rows (B, L, d)).
    """
    rows = inner[nodes]                                    # (B, L, d)
    x = torch.bmm(rows, h.unsqueeze(2)).squeeze(2)         # (B, L)
    t = 1.0 - codes.to(h.dtype)
    m = mask.to(h.dtype)
    loss = (torch.nn.functional.softplus(-(2 * t - 1) * x) * m).sum()
    g = (torch.sigmoid(x) - t) * m                         # (B, L)
    grad_h = torch.bmm(g.unsqueeze(1), rows).squeeze(1)    # (B, d)
    grad_rows = g.unsqueeze(2) * h.unsqueeze(1)            # (B, L, d)
    return loss, grad_h, grad_rows


def softmax_batch_loss_and_grad(h: torch.Tensor, W_out: torch.Tensor,
                                targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The full-softmax baseline: summed −log softmax(h W_outᵀ)[target] and its gradients, by hand.

    Args:
        h: (B, d) center vectors; W_out: (V, d) output vectors; targets: (B,) int64 word ids.
    Returns:
        (loss summed over the batch, grad w.r.t. h (B, d), grad w.r.t. W_out (V, d)) — every row of W_out
        gets a gradient, which is what costs O(B·V·d).
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
        if method == "exhaustive":
            return exhaustive_search(self.tree, h, inner)[0]
        if method == "greedy":
            return tree_search(self.tree, h, inner, beam_size=1)[0]
        if method == "beam":
            return tree_search(self.tree, h, inner, beam_size=beam_size)[0]
        raise ValueError(f"method: expected 'exhaustive', 'greedy' or 'beam', got {method!r}")


def train_hs(sentences: Sequence[Sequence[str]], dim: int = 100, window: int = 5, epochs: int = 5,
             min_count: int = 5, sample: float = 1e-3, lr: float = 0.025, min_lr: float = 1e-4,
             batch_size: int = 1024, seed: int = 0, progress: bool = True) -> HSModel:
    """Skip-gram with hierarchical softmax, trained by batched SGD in torch with hand-written gradients.

    The word2vec recipe, as in ``word2vec.train_sgns`` but with the tree instead of negative samples:
    vocabulary with ``min_count``, frequent-word subsampling (``corpus.keep_probabilities``), each epoch's
    pairs from ``corpus.epoch_pairs`` (gensim's reduced window), θ_W uniform in ±0.5/d, θ_C at zero, a learning
    rate decaying linearly from ``lr`` to ``min_lr``; each batch's summed gradients update only the rows
    they touch (``index_add_``, as word2vec's threads do).

    Args:
        sentences: lists of tokens.
        dim, window, epochs, min_count, sample: as in word2vec (``window`` words on each side).
        lr, min_lr: the learning-rate schedule; batch_size: pairs per step; seed: init, subsampling, shuffling.
        progress: show a tqdm bar over the epochs.
    Returns:
        the trained ``HSModel`` (``.embeddings()`` for evaluation; ``.losses``: mean loss per epoch).
    """
    for name, value in (("dim", dim), ("window", window), ("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: expected an int >= 1, got {value!r}")
    vocab = Vocab.build(sentences, min_count=min_count)
    if len(vocab) < 2:
        raise ValueError(f"min_count: only {len(vocab)} word(s) occur >= {min_count} times; a tree needs 2 "
                         f"leaves: lower min_count or give a larger corpus")
    tree = HuffmanTree.from_vocab(vocab)
    corpus, sentence_id = encode_corpus(sentences, vocab)
    keep = keep_probabilities(vocab.counts, sample).astype(np.float32)
    rng = np.random.default_rng(seed)
    W_in, inner = init_embeddings(len(vocab), len(vocab) - 1, dim, seed)
    tree_tensors = tuple(torch.as_tensor(a) for a in (tree.nodes, tree.codes, tree.mask, tree.lengths))
    losses = []
    with torch_threads(1):  # per-batch ops are tiny: one thread avoids OpenMP overhead (restored afterwards)
        for epoch in tqdm(range(epochs), desc="skip-gram + hierarchical softmax", disable=not progress):
            losses.append(_hs_epoch(W_in, inner, corpus, sentence_id, keep, window, epoch, epochs, lr, min_lr,
                                    batch_size, tree_tensors, rng))
    return HSModel(vocab, tree, W_in.numpy().astype(np.float64), inner.numpy().astype(np.float64), losses)


def _hs_epoch(W_in: torch.Tensor, inner: torch.Tensor, corpus: np.ndarray, sentence_id: np.ndarray,
              keep: np.ndarray, window: int, epoch: int, epochs: int, lr: float, min_lr: float, batch_size: int,
              tree_tensors: tuple[torch.Tensor, ...], rng: np.random.Generator) -> float:
    """One epoch of ``train_hs``: SGD over the epoch's pairs (``corpus.epoch_pairs``); the mean loss."""
    nodes, codes, mask, lengths = tree_tensors
    centers, contexts = epoch_pairs(corpus, sentence_id, keep, window, rng)
    centers, contexts = torch.from_numpy(centers).long(), torch.from_numpy(contexts).long()
    n_batches = math.ceil(len(centers) / batch_size)
    total = 0.0
    for b in range(n_batches):
        step_lr = linear_lr(lr, min_lr, (epoch + b / n_batches) / epochs)
        sl = slice(b * batch_size, (b + 1) * batch_size)
        c, o = centers[sl], contexts[sl]
        n_b = nodes[o, :int(lengths[o].max())]  # the batch's paths, cut to its longest one
        loss, grad_h, grad_rows = hs_batch_loss_and_grad(W_in[c], inner, n_b, codes[o, :n_b.shape[1]],
                                                         mask[o, :n_b.shape[1]])
        W_in.index_add_(0, c, grad_h, alpha=-step_lr)
        inner.index_add_(0, n_b.reshape(-1), grad_rows.reshape(-1, W_in.shape[1]), alpha=-step_lr)
        total += float(loss)
    return total / max(1, len(centers))


# ---------------------------------------------------------------- inference without the label

def tree_search(tree: HuffmanTree, center: np.ndarray, inner: np.ndarray,
                beam_size: int = 1) -> list[tuple[str, float]]:
    """Search the tree for probable leaves with ``decoding.beam_search`` (beam_size=1: greedy descent).

    At inner node n the two steps are "left" with log σ(θ_C[n]·h) and "right" with log(1 − σ(θ_C[n]·h)).

    Args:
        tree: the tree; center: (d,) h; inner: (V-1, d) θ_C; beam_size: hypotheses kept per level.
    Returns:
        up to ``beam_size`` (symbol, probability) pairs, most probable first.
    """
    center, inner = _check_vectors(tree, center, inner)
    V = tree.n_leaves

    def expand(node: int) -> list[tuple[int, float]]:
        x = float(inner[node - V] @ center)
        left, right = tree.children[node - V]
        return [(int(left), -float(np.logaddexp(0.0, -x))), (int(right), -float(np.logaddexp(0.0, x)))]

    hyps = beam_search(tree.root, expand, lambda node: node < V, beam_size=beam_size, max_steps=tree.max_depth)
    return [(tree.symbols[h.state], math.exp(h.score)) for h in hyps]


def exhaustive_search(tree: HuffmanTree, center: np.ndarray, inner: np.ndarray,
                      k: int = 1) -> list[tuple[str, float]]:
    """The k most probable leaves, by computing all V leaf probabilities (the O(V) answer).

    Args:
        tree: the tree; center: (d,) h; inner: (V-1, d) θ_C; k: how many leaves to return.
    Returns:
        k (symbol, probability) pairs, most probable first (ties: lower leaf id first).
    """
    p = leaf_probabilities(tree, center, inner)
    top = np.argsort(-p, kind="stable")[:k]
    return [(tree.symbols[i], float(p[i])) for i in top]


def search_agreement(model: HSModel, centers: Sequence[str], beam_sizes: Sequence[int] = (1, 2, 4, 8)
                     ) -> pd.DataFrame:
    """How often tree search finds the exhaustive argmax, per beam size, over ``centers``.

    Args:
        model: a trained ``HSModel`` (θ_W (V, d), θ_C (V-1, d)); centers: center words; beam_sizes: 1 = greedy.
    Returns:
        DataFrame[beam_size, found_best (fraction of centers), mean_ratio (p(found) / p(best))].
    """
    inner = model.inner
    rows = []
    best = {}
    for w in centers:
        h = model.W_in[model.vocab.index(w)]
        best[w] = (h, exhaustive_search(model.tree, h, inner)[0])
    for b in beam_sizes:
        hits, ratios = 0, []
        for _w, (h, (best_word, best_p)) in best.items():
            word, p = tree_search(model.tree, h, inner, beam_size=b)[0]
            hits += word == best_word
            ratios.append(p / best_p)
        rows.append({"beam_size": b, "found_best": hits / len(best), "mean_ratio": float(np.mean(ratios))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- cost: softmax vs hierarchical softmax

def zipf_counts(V: int, exponent: float = 1.0, scale: int = 10) -> np.ndarray:
    """(V,) int64 Zipfian counts ⌊scale·V / rank^exponent⌋ (rank 1..V), all >= 1 — a synthetic vocabulary."""
    if isinstance(V, bool) or not isinstance(V, (int, np.integer)) or V < 2:
        raise ValueError(f"V: expected an int >= 2, got {V!r}")
    ranks = np.arange(1, V + 1, dtype=np.float64)
    return np.maximum(1, np.floor(scale * V / ranks**exponent)).astype(np.int64)


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measure_speed(sizes: Sequence[int], dim: int = 100, batch: int = 128, repeats: int = 5, seed: int = 0,
                  threads: int | None = 1, progress: bool = False) -> pd.DataFrame:
    """Time one batched loss + gradient, full softmax vs hierarchical softmax, side by side, per |V|.

    Both are hand-written torch (``softmax_batch_loss_and_grad``, ``hs_batch_loss_and_grad``) on the same
    center vectors and targets drawn from Zipfian counts; best of ``repeats`` after a warm-up. By default
    on one torch thread (restored afterwards): a like-for-like comparison that scheduling noise on a busy
    machine hardly disturbs; ``threads=None`` keeps torch's setting.

    Returns:
        DataFrame[V, avg_path, softmax_ms, hs_ms, speedup] (speedup = softmax time / hs time).
    """
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


def draw_speed(timings: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Plot ``measure_speed``'s result: ms per batched loss + gradient against |V| (log-log), both methods.

    Args:
        timings: DataFrame[V, softmax_ms, hs_ms, speedup, ...] from ``measure_speed``.
        ax: draw into this Axes, else a new Figure.
    Returns:
        the Figure.
    """
    missing = {"V", "softmax_ms", "hs_ms", "speedup"} - set(timings.columns)
    if missing:
        raise ValueError(f"timings: expected measure_speed's columns, missing {sorted(missing)}")
    if ax is None:
        fig, ax = new_figure(size=(5.5, 3.6))
    ax.loglog(timings["V"], timings["softmax_ms"], "o-", label="full softmax: O(|V|)")
    ax.loglog(timings["V"], timings["hs_ms"], "s-", label="hierarchical softmax: O(log |V|)")
    for v, t, r in zip(timings["V"], timings["softmax_ms"], timings["speedup"], strict=True):
        ax.annotate(f"{r:.0f}×", (v, t), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xlabel("vocabulary size |V|")
    ax.set_ylabel("ms per batched loss + gradient")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("measured cost (labels: speed-up)")
    return ax.figure


# ---------------------------------------------------------------- our tree vs gensim's

def gensim_tree_comparison(sentences: Sequence[Sequence[str]], min_count: int = 1) -> pd.DataFrame:
    """Build our Huffman tree and gensim's (Word2Vec(hs=1, negative=0).build_vocab) on the same tokens.

    Returns:
        DataFrame[word, count, ours, gensim] with each word's code length in both trees, in our vocab order.
    """
    from gensim.models import Word2Vec

    vocab = Vocab.build(sentences, min_count=min_count)
    tree = HuffmanTree.from_vocab(vocab)
    g = Word2Vec(hs=1, negative=0, min_count=min_count, workers=1, seed=0)
    g.build_vocab(sentences)
    return pd.DataFrame({
        "word": vocab.itos, "count": vocab.counts, "ours": tree.lengths,
        "gensim": [len(g.wv.get_vecattr(w, "code")) for w in vocab.itos],
    })


# ---------------------------------------------------------------- drawing

def _layout(tree: HuffmanTree) -> tuple[np.ndarray, np.ndarray]:
    """x (leaves 0, 1, 2, ... left to right; inner nodes centred over their children) and y = -depth."""
    V = tree.n_leaves
    x = np.zeros(2 * V - 1)
    y = np.zeros(2 * V - 1)
    order: list[int] = []
    stack = [(tree.root, 0)]
    while stack:  # depth-first, left child first
        node, depth = stack.pop()
        y[node] = -depth
        if node < V:
            x[node] = len(order)
            order.append(node)
        else:
            left, right = tree.children[node - V]
            stack += [(int(right), depth + 1), (int(left), depth + 1)]
    for j in range(V - 1):  # children are merged before parents
        x[V + j] = x[tree.children[j]].mean()
    return x, y


def _label(symbol: str) -> str:
    return "␣" if symbol == " " else symbol


def draw_tree(tree: HuffmanTree, word: str | int | None = None, center: np.ndarray | None = None,
              inner: np.ndarray | None = None, ax: Axes | None = None, show_counts: bool = True,
              center_label: str = "center") -> Figure:
    """Draw the tree: edges labelled with their code bit, or with branch probabilities given vectors.

    Args:
        tree: a small tree (up to ~40 leaves stays readable).
        word: a leaf whose path is highlighted (its code, or its running product, in the title).
        center, inner: (d,) and (V-1, d); when given, each edge shows its branch probability and
            each leaf p(leaf | center).
        ax: draw into this Axes, else a new Figure.
        show_counts: write each leaf's count under it (when no vectors are given).
        center_label: how the title names the center vector.
    Returns:
        the Figure.
    """
    if (center is None) != (inner is None):
        raise ValueError("center, inner: give both (to show probabilities) or neither")
    V = tree.n_leaves
    probs = leaves = None
    if center is not None:
        center, inner = _check_vectors(tree, center, inner)
        probs = sigmoid(inner @ center)                # p(left) at every inner node
        leaves = leaf_probabilities(tree, center, inner)
    on_path: set[int] = set()
    target = None
    if word is not None:
        target = tree.index(word)
        nodes, _ = tree.path(target)
        on_path = {int(n) + V for n in nodes} | {target}
    if ax is None:
        # fixed margins instead of constrained layout (the axes are off): the widget redraws within 100 ms
        fig, ax = new_figure(size=(min(1.0 + 0.55 * V, 14.0), 0.9 + 0.75 * (tree.max_depth + 1)), layout=None)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9)
    x, y = _layout(tree)
    edges: dict[bool, list] = {False: [], True: []}  # one LineCollection per style: fast to render
    for j, (left, right) in enumerate(tree.children):
        parent = V + j
        for child, bit in ((int(left), 0), (int(right), 1)):
            hot = parent in on_path and child in on_path
            edges[hot].append([(x[parent], y[parent]), (x[child], y[child])])
            if probs is None:
                text = str(bit)
            else:
                text = f"{probs[j] if bit == 0 else 1 - probs[j]:.2f}"
            ax.text((x[parent] + x[child]) / 2, (y[parent] + y[child]) / 2, text, fontsize=7,
                    ha="right" if bit == 0 else "left", va="bottom",
                    color="#d62728" if hot else "0.25", zorder=3)
    ax.add_collection(LineCollection(edges[False], colors="0.6", linewidths=1.0, zorder=1))
    ax.add_collection(LineCollection(edges[True], colors="#d62728", linewidths=2.5, zorder=1))
    inner_ids = np.arange(V, 2 * V - 1)
    ax.scatter(x[inner_ids], y[inner_ids], s=18, color="0.3", zorder=2)
    for i in range(V):
        ax.text(x[i], y[i], _label(tree.symbols[i]), ha="center", va="center", fontsize=8, zorder=4,
                bbox={"boxstyle": "round,pad=0.25", "fc": "#fde0dd" if i == target else "white",
                      "ec": "#d62728" if i == target else "0.5"})
        below = f"{leaves[i]:.3f}" if leaves is not None else (f"{tree.counts[i]}" if show_counts else "")
        ax.text(x[i], y[i] - 0.35, below, ha="center", va="top", fontsize=6.5, color="0.35")
    ax.set_xlim(x.min() - 0.8, x.max() + 0.8)
    ax.set_ylim(y.min() - 0.9, 0.4)
    ax.axis("off")
    if target is not None:
        name = _label(tree.symbols[target])
        if center is None:
            ax.set_title(f"'{name}': code {tree.code(target)} (length {tree.lengths[target]})")
        else:
            bp = branch_probabilities(tree, target, center, inner)
            factors = " × ".join(f"{p:.2f}" for p in bp)
            ax.set_title(f"p('{name}' | {center_label}) = {factors} = {np.prod(bp):.4f}", fontsize=9)
    return ax.figure


# ---------------------------------------------------------------- a toy model for the widget

TOY_COUNTS = {"the": 20, "language": 14, "natural": 12, "processing": 9, "model": 7, "word": 6,
              "vector": 5, "tree": 4, "softmax": 3, "huffman": 2}


@dataclass(frozen=True)
class ToyExample:
    """A 10-word tree with fixed random vectors: the widget's state space."""

    tree: HuffmanTree
    W_in: np.ndarray         # (V, d) the word ("center") vectors θ_W
    inner: np.ndarray        # (V-1, d) the inner-node vectors θ_C
    direction: np.ndarray    # (d,) the unit direction the "move h" control shifts the center vector along

    def center_at(self, center: str = "natural", perturb: float = 0.0) -> np.ndarray:
        """(d,) θ_W[center] moved by ``perturb`` along ``direction``."""
        return self.W_in[self.tree.index(center)] + float(perturb) * self.direction

    def draw(self, word: str = "language", center: str = "natural", perturb: float = 0.0,
             ax: Axes | None = None) -> Figure:
        """The tree with ``word``'s path, branch probabilities and running product for the (moved) center."""
        return draw_tree(self.tree, word, self.center_at(center, perturb), self.inner, ax=ax,
                         center_label=f"'{center}'" if perturb == 0 else f"'{center}' {perturb:+.2f}·u")


def toy_example(dim: int = 4, seed: int = 0) -> ToyExample:
    """The widget's toy model: a Huffman tree over ``TOY_COUNTS`` and seeded random vectors."""
    tree = HuffmanTree.build(np.array(list(TOY_COUNTS.values())), list(TOY_COUNTS))
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=dim)
    return ToyExample(tree, rng.normal(size=(tree.n_leaves, dim)), 0.6 * rng.normal(size=(tree.n_inner, dim)),
                      direction / np.linalg.norm(direction))
