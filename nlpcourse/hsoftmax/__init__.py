"""Hierarchical softmax (notebook 02): Huffman trees, path probabilities, the loss and its gradients.

A full softmax scores every word of the vocabulary (|V| dot products per example). A hierarchical softmax
puts the words at the leaves of a binary tree: p(w | c) is the product of the binary decisions on the
path from the root to w, one sigmoid per inner node, so an example costs only len(path) ≈ log₂|V| dot
products. With a Huffman tree built from word counts, frequent words sit near the root and the average
path is even shorter.

Notation (Mikolov et al. 2013; gensim uses the same): V leaves (words, ids 0..V-1) and V-1 inner nodes
(ids 0..V-2 in ``inner``; the root is inner node V-2). ``W_in`` (V, d) holds the word ("center") vectors
θ_W and ``inner`` (V-1, d) the inner-node vectors θ_C. At inner node n the path turns left (code 0) with
probability σ(θ_C[n]·θ_W[c]) and right (code 1) with probability 1 − σ(θ_C[n]·θ_W[c]).

Layers: (1) numpy maths here (``hs_loss_and_grad``, ``skipgram_hs_loss_and_grad``), (2) the same in torch for
autograd (``skipgram_hs_loss_torch``), (3) batched torch gradients and the trainer in ``train.py``
(``hs_batch_loss_and_grad``, ``train_hs``, the full-softmax baseline of the speed measurement). Searching
the tree without the label is ``search.py``; the figures (and the widget's toy model) ``figures.py``.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import torch

from .. import validate
from ..data import Vocab
from ..functional import sigmoid

__all__ = [
    "LECTURE_SENTENCE", "LECTURE_BRANCHES", "HuffmanTree", "branch_probabilities", "path_probability",
    "leaf_probabilities", "path_loss_and_grad", "path_loss_torch", "gradient_exercise", "hs_loss_and_grad",
    "skipgram_hs_loss_and_grad", "skipgram_hs_loss_torch",
]

LECTURE_SENTENCE = "this is an example of a huffman tree"
# The lecture's exercise: branch probabilities along the path of "language" given the center word "natural".
LECTURE_BRANCHES = (1.0, 0.9, 0.95, 0.65, 0.2)


# ---------------------------------------------------------------- the tree

class HuffmanTree:
    """A binary tree over V symbols, built by ``HuffmanTree.build`` (Huffman) from counts.

    Node ids: leaves are 0..V-1 (the symbol's position), inner node j has id V+j and row j of the
    inner-node matrix; the root is the last node merged, id 2V-2 (row V-2). Left child = code 0.
    """

    def __init__(self, symbols: Sequence[str], counts: np.ndarray, children: np.ndarray) -> None:
        self.symbols = tuple(symbols)  # V labels
        self.counts = counts  # (V,) what the tree was built from
        self.children = children  # (V-1, 2) node ids of each inner node's left and right child
        self._stoi = {s: i for i, s in enumerate(self.symbols)}
        # (V, L) inner-node rows on each leaf's path, root first; (V, L) turns, 0 = left; (V,) path lengths
        self.nodes, self.codes, self.lengths = _leaf_paths(children, len(self.symbols))
        self.mask = np.arange(self.nodes.shape[1])[None, :] < self.lengths[:, None]  # (V, L) real positions

    # -- construction
    @classmethod
    def build(cls, counts: Sequence[float] | np.ndarray, symbols: Sequence[str] | None = None) -> HuffmanTree:
        """Huffman's algorithm with a heap: merge the two least frequent nodes until one is left.

        counts (V,) > 0, V >= 2; symbols: V labels (default "0", "1", ...). The first node popped is the left
        child (code 0), as in word2vec and gensim; ties go to the lower node id (leaves first): deterministic.
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

    def average_depth(self, weights: np.ndarray | None = None) -> float:
        """Σ weight·length / Σ weight: dot products per example when the targets follow ``weights`` (V,) ≥ 0
        (default the tree's counts; counts × keep probabilities: the targets training sees)."""
        w = self.counts if weights is None else validate.float_array(weights, "weights", shape=(self.n_leaves,))
        if np.any(w < 0) or not w.sum() > 0:
            raise ValueError(f"weights: expected non-negative weights with a positive sum, got sum {w.sum()}")
        return float((w * self.lengths).sum() / w.sum())

    def table(self) -> pd.DataFrame:
        """One row per symbol: symbol, count, code, length (in the tree's leaf order)."""
        return pd.DataFrame({
            "symbol": list(self.symbols), "count": self.counts,
            "code": [self.code(i) for i in range(self.n_leaves)], "length": self.lengths,
        })


def _check_counts(counts: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(counts)
    validate.float_array(arr, "counts", ndim=1)  # numbers, 1-D, finite
    if arr.size == 0:
        raise ValueError("counts: expected at least 2 counts, got an empty array")
    if arr.size == 1:
        raise ValueError("counts: expected at least 2 counts (a tree with one leaf has no decisions), got 1")
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
    inner = validate.float_array(inner, "inner", finite=False)
    center = validate.float_array(center, "center", finite=False)
    if inner.ndim != 2 or inner.shape[0] != tree.n_inner:
        raise ValueError(f"inner: expected shape (V-1, d) = ({tree.n_inner}, d), got {inner.shape}")
    d = inner.shape[1]
    if center.shape != (d,):
        raise ValueError(f"center: expected shape (d,) with d={d}, got {center.shape}")
    return center, inner


def branch_probabilities(tree: HuffmanTree, word: str | int, center: np.ndarray,
                         inner: np.ndarray) -> np.ndarray:
    """The turns' probabilities on the path to ``word``, root first: σ(θ_C[n]·h) left, 1 − σ(θ_C[n]·h) right.

    center h (d,), inner θ_C (V-1, d) -> (L_w,); their product is p(word | center).
    """
    center, inner = _check_vectors(tree, center, inner)
    nodes, codes = tree.path(word)
    s = sigmoid(inner[nodes] @ center)  # (L_w,) p(left) at each node on the path
    return np.where(codes == 0, s, 1.0 - s)


def path_probability(tree: HuffmanTree, word: str | int, center: np.ndarray, inner: np.ndarray) -> float:
    """p(word | center) = Π ``branch_probabilities`` along the path: a float in (0, 1]."""
    return float(np.prod(branch_probabilities(tree, word, center, inner)))


def leaf_probabilities(tree: HuffmanTree, center: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """p(w | center) for every leaf at once: one σ per inner node, products along the padded paths -> (V,), sum 1."""
    center, inner = _check_vectors(tree, center, inner)
    s = sigmoid(inner @ center)                                   # (V-1,) p(left) at every inner node
    turn = np.where(tree.codes == 0, s[tree.nodes], 1.0 - s[tree.nodes])   # (V, L)
    return np.where(tree.mask, turn, 1.0).prod(axis=1)


# ---------------------------------------------------------------- loss and gradients (numpy, layer 1)

def path_loss_and_grad(center: np.ndarray, rows: np.ndarray, codes: np.ndarray) -> tuple[float, dict]:
    """−log p(target | center) for one path, and its gradients (the exercise's derivation).

    With x_k = θ_C[n_k]·h and t_k = 1 − code_k (1 for a left turn), the loss is
    −Σ_k log σ((2t_k − 1)·x_k) and ∂loss/∂x_k = σ(x_k) − t_k, so
    ∂/∂h = Σ_k (σ(x_k) − t_k)·θ_C[n_k] and ∂/∂θ_C[n_k] = (σ(x_k) − t_k)·h. center (d,), rows (L, d) root first,
    codes (L,) -> (loss, {"center": (d,), "rows": (L, d)}).
    """
    sizes: dict[str, int] = {}
    center = validate.float_array(center, "center", shape=("d",), sizes=sizes, finite=False)
    rows = validate.float_array(rows, "rows", shape=("L", "d"), sizes=sizes, finite=False)
    codes = validate.array(codes, "codes", shape=("L",), sizes=sizes, dtype=None)
    if not np.isin(codes, (0, 1)).all():
        raise ValueError(f"codes: expected 0/1 turns, got {codes}")
    x = rows @ center                      # (L,) one dot product per inner node on the path
    t = 1.0 - codes                        # 1 = left turn (probability σ(x)), 0 = right turn
    loss = float(np.logaddexp(0.0, -(2 * t - 1) * x).sum())   # −log σ(±x), computed stably
    g = sigmoid(x) - t                     # (L,) ∂loss/∂x
    return loss, {"center": g @ rows, "rows": np.outer(g, center)}


def path_loss_torch(center: torch.Tensor, rows: torch.Tensor, codes: np.ndarray) -> torch.Tensor:
    """−Σ_k log σ(±x_k) (+ left) in torch, the autograd reference: log-sigmoid form, finite at any score
    (log(1 − σ(x)) would be log 0 = −inf for x ≳ 17 in float32, 37 in float64)."""
    x = rows @ center  # (L,)
    sign = torch.as_tensor(1.0 - 2.0 * np.asarray(codes), dtype=x.dtype)  # +1 left, −1 right
    return -torch.nn.functional.logsigmoid(sign * x).sum()


def gradient_exercise() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradient exercise's numbers: h (3,), the path's rows of θ_C (4, 3) root first, the turns (4,)."""
    center = np.array([0.5, -1.0, 0.25])
    rows = np.array([[0.2, -0.4, 1.0], [-0.5, 0.3, 0.8], [1.0, 0.6, -0.2], [0.1, -0.9, 0.4]])
    codes = np.array([0, 1, 1, 0])
    return center, rows, codes


def hs_loss_and_grad(center: np.ndarray, inner: np.ndarray, tree: HuffmanTree,
                     word: str | int) -> tuple[float, dict[str, np.ndarray]]:
    """−log p(word | center) and its gradients: (loss, {"center": (d,), "inner": (V-1, d), zero off the path})."""
    nodes, codes = tree.path(word)
    loss, g = path_loss_and_grad(center, inner[nodes], codes)
    grad_inner = np.zeros_like(inner)
    grad_inner[nodes] = g["rows"]          # a path never visits a node twice
    return loss, {"center": g["center"], "inner": grad_inner}


def _check_batch(params: dict, pairs: np.ndarray, tree: HuffmanTree) -> tuple[object, object, np.ndarray]:
    """θ_W (V, d) and θ_C (V-1, d) from ``params`` (numpy or torch), and ``pairs`` (N, 2) of word ids < V."""
    validate.keys(params, "params", ("W_in", "inner"))
    V = tree.n_leaves
    sizes = {"V": V, "V-1": V - 1}
    for key, shape in (("W_in", ("V", "d")), ("inner", ("V-1", "d"))):
        validate.array(params[key], f"params[{key!r}]", shape=shape, sizes=sizes, dtype=None)
    pairs = validate.ids_in_range(pairs, "pairs", V, what="word ids", ndim=2, allow_empty=True)
    if pairs.shape[1] != 2:
        raise ValueError(f"pairs: expected an int array of shape (N, 2) (center, context), got {pairs.shape}")
    return params["W_in"], params["inner"], pairs


def skipgram_hs_loss_and_grad(params: dict[str, np.ndarray], pairs: np.ndarray,
                              tree: HuffmanTree) -> tuple[float, dict[str, np.ndarray]]:
    """Mean −log p(context | center) over ``pairs`` (N, 2), vectorised with padded paths; gradients by ``np.add.at``.

    params {"W_in": θ_W (V, d), "inner": θ_C (V-1, d)} -> (mean loss, gradients of the same shapes).
    """
    W_in, inner, pairs = _check_batch(params, pairs, tree)
    N = len(pairs)
    h = W_in[pairs[:, 0]]                                  # (N, d)
    nodes, codes, mask = tree.nodes[pairs[:, 1]], tree.codes[pairs[:, 1]], tree.mask[pairs[:, 1]]
    rows = inner[nodes]                                    # (N, L, d)
    x = np.einsum("nld,nd->nl", rows, h)                   # (N, L)
    t = 1.0 - codes
    loss = (np.logaddexp(0.0, -(2 * t - 1) * x) * mask).sum() / N
    g = (sigmoid(x) - t) * mask / N                        # (N, L), zero on padding
    grad_W = np.zeros_like(W_in)
    np.add.at(grad_W, pairs[:, 0], np.einsum("nl,nld->nd", g, rows))  # (N, d) into the centers' rows
    grad_inner = np.zeros_like(inner)
    np.add.at(grad_inner, nodes.ravel(), (g[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1]))  # (N·L, d)
    return float(loss), {"W_in": grad_W, "inner": grad_inner}


# ---------------------------------------------------------------- torch (layer 2: the autograd reference)

def skipgram_hs_loss_torch(params: dict[str, torch.Tensor], pairs: np.ndarray, tree: HuffmanTree) -> torch.Tensor:
    """``skipgram_hs_loss_and_grad``'s mean loss written plainly in torch, pair by pair (the autograd reference)."""
    W_in, inner, pairs = _check_batch(params, pairs, tree)
    total = W_in.new_zeros(())
    for c, o in pairs.tolist():
        nodes, codes = tree.path(o)
        x = inner[torch.as_tensor(nodes)] @ W_in[c]  # (L_o,)
        sign = torch.as_tensor(1.0 - 2.0 * codes, dtype=x.dtype)  # +1 left, −1 right
        total = total - torch.nn.functional.logsigmoid(sign * x).sum()
    return total / len(pairs)
