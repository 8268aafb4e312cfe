"""Notebook 02: finding probable words without the label — descend the tree (greedy, beam) or score all V."""

from __future__ import annotations

import math

import numpy as np

from .. import validate
from ..beams import beam_search
from . import HuffmanTree, leaf_probabilities

__all__ = ["tree_search", "exhaustive_search"]


def tree_search(tree: HuffmanTree, center: np.ndarray, inner: np.ndarray,
                beam_size: int = 1) -> list[tuple[str, float]]:
    """Up to ``beam_size`` (symbol, p) leaves, best first, by ``beams.beam_search`` down the tree (1: greedy).

    At inner node n: "left" with log σ(θ_C[n]·h), "right" with log σ(−θ_C[n]·h). center h (d,), inner θ_C (V-1, d).
    """
    V = tree.n_leaves

    def expand(node: int) -> list[tuple[int, float]]:
        x = float(inner[node - V] @ center)
        left, right = tree.children[node - V]
        return [(int(left), -float(np.logaddexp(0.0, -x))), (int(right), -float(np.logaddexp(0.0, x)))]

    hyps = beam_search(tree.root, expand, lambda node: node < V, beam_size=beam_size, max_steps=tree.max_depth)
    return [(tree.symbols[h.state], math.exp(h.score)) for h in hyps]


def exhaustive_search(tree: HuffmanTree, center: np.ndarray, inner: np.ndarray,
                      k: int = 1) -> list[tuple[str, float]]:
    """The k most probable (symbol, p) leaves from all V leaf probabilities (the O(V) answer; ties: lower id)."""
    k = validate.positive_int(k, "k")
    p = leaf_probabilities(tree, center, inner)
    top = np.argsort(-p, kind="stable")[:k]
    return [(tree.symbols[i], float(p[i])) for i in top]
