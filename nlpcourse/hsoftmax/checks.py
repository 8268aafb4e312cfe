"""Notebook 02's exercise checks (Huffman's code, a path's probability, its gradients) on unseen inputs: never the
answer, a hint for each typical mistake."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

import numpy as np
import torch

from ..exercise import check_against, check_function
from ..functional import log_sigmoid, sigmoid
from . import HuffmanTree, gradient_exercise, path_loss_torch

__all__ = ["check_huffman", "check_path_walk", "check_hs_gradient"]


# ---------------------------------------------------------------- exercise 02.1: Huffman's code from counts
#: counts the student has not seen: ties (the tree may differ from ours, the total may not), V from 2 to 40.
HUFFMAN_CASES = [([1, 1, 2, 2],), ([5, 9],), ([3, 3, 3, 3, 3],), ([45, 13, 12, 16, 9, 5],),
                 ([1, 2, 4, 8, 16, 32, 64],), ([7, 1, 1, 7, 2, 2, 30, 4],),
                 (np.random.default_rng(2024).integers(1, 60, size=40).tolist(),)]


def huffman_reference(counts: list[int]) -> list[str]:
    """Huffman's codes of ``counts`` (``HuffmanTree.build``): V strings of 0/1, code i for counts[i]."""
    tree = HuffmanTree.build(np.asarray(counts))
    return [tree.code(i) for i in range(len(counts))]


def code_summary(codes: object, counts: list[int]) -> tuple[float, float]:
    """(Σ counts[i]·len(codes[i]), 1.0 if no code is a prefix of another else 0.0): what any optimal code shares."""
    if isinstance(codes, str) or not hasattr(codes, "__len__") or len(codes) != len(counts):
        raise TypeError(f"expected a list of {len(counts)} code strings (one per count), got {codes!r:.60}")
    if not all(isinstance(c, str) and c and set(c) <= {"0", "1"} for c in codes):
        raise TypeError("expected non-empty strings of '0' and '1' (e.g. '010'), one per count")
    ordered = sorted(codes)  # a prefix sorts right before some word it prefixes
    prefix_free = all(not b.startswith(a) for a, b in zip(ordered, ordered[1:], strict=False))
    return float(sum(c * len(code) for c, code in zip(counts, codes, strict=True))), float(prefix_free)


def _summarised(fn: Callable[[list[int]], object]) -> Callable[[list[int]], object]:
    """``fn``'s codes -> (total bits, prefix-free): ties may change the tree, never these two numbers."""
    def run(counts: list[int]) -> object:
        codes = fn(list(counts))
        return codes if codes is None or codes is Ellipsis else code_summary(codes, counts)
    return run


def _codes_of(children: dict[int, tuple[int, int]], root: int, V: int, reverse: bool = False) -> list[str]:
    codes, stack = [""] * V, [(root, "")]
    while stack:
        node, code = stack.pop()
        if node < V:
            codes[node] = code[::-1] if reverse else code
        else:
            stack += [(children[node][0], code + "0"), (children[node][1], code + "1")]
    return codes


def _merged(counts: list[int], pop_largest: bool = False, merged_count=lambda a, b: a + b) -> tuple[dict, int]:
    sign = -1 if pop_largest else 1
    heap = [(sign * c, i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    children, node = {}, len(counts)
    while len(heap) > 1:
        (c1, a), (c2, b) = heapq.heappop(heap), heapq.heappop(heap)
        children[node] = (a, b)
        heapq.heappush(heap, (sign * merged_count(sign * c1, sign * c2), node))
        node += 1
    return children, heap[0][1]


def _hf_merge_largest(counts):
    return _codes_of(*_merged(counts, pop_largest=True), len(counts))


def _hf_merged_count_max(counts):
    return _codes_of(*_merged(counts, merged_count=max), len(counts))


def _hf_leaf_to_root(counts):
    return _codes_of(*_merged(counts), len(counts), reverse=True)


def _hf_balanced(counts):
    bits = max(1, math.ceil(math.log2(len(counts))))
    return [format(i, f"0{bits}b") for i in range(len(counts))]


def _hf_numbered(counts):
    return [format(i, "b") for i in range(len(counts))]


def _hf_sorted_order(counts):
    codes = _codes_of(*_merged(counts), len(counts))
    by_count = sorted(range(len(counts)), key=lambda i: counts[i])
    return [codes[j] for j in by_count]


#: (wrong implementation, hint) of the Huffman exercise, tried in this order.
HUFFMAN_MISTAKES = [
    (_hf_merge_largest, "you merge the two MOST frequent nodes: Huffman merges the two least frequent (heapq pops "
                        "the smallest (count, id) first), so frequent symbols end near the root"),
    (_hf_merged_count_max, "a merged node's count is the SUM of its two children's counts (it stands for all the "
                           "symbols below it)"),
    (_hf_leaf_to_root, "the right lengths, but the bits are read from the leaf up: a code starts with the root's "
                       "turn (0 = first popped child, 1 = second), so no code is a prefix of another"),
    (_hf_balanced, "a fixed-length (balanced) code ignores the counts: frequent symbols need shorter codes"),
    (_hf_numbered, "numbering the symbols in binary is not a prefix-free code: read each code off its path from "
                   "the root of the merged tree"),
    (_hf_sorted_order, "the codes are right but in the wrong order: code i belongs to counts[i] (keep each "
                       "symbol's id with its count in the heap)"),
]


def check_huffman(huffman_codes: object) -> bool:
    """Exercise 02.1: the student's ``huffman_codes(counts) -> list[str]`` on unseen counts: its total
    Σ count·len(code) must be Huffman's and no code a prefix of another (ties may change the codes)."""
    return check_function(_summarised(huffman_codes) if callable(huffman_codes) else huffman_codes,
                          "huffman_codes", _summarised(huffman_reference), HUFFMAN_CASES,
                          [(_summarised(f), hint) for f, hint in HUFFMAN_MISTAKES],
                          output_names=("total_bits", "prefix_free"), atol=0, rtol=0,
                          success=f"on {len(HUFFMAN_CASES)} unseen count lists your code is prefix-free and as "
                                  "short in total as Huffman's.",
                          fallback="the code is not prefix-free or longer in total than Huffman's: pop the two "
                                   "least frequent nodes, push their merged node back, repeat; read each code "
                                   "from the root down.")


# ---------------------------------------------------------------- exercise 02.2: the path walk as a function
def path_walk_reference(h: np.ndarray, inner: np.ndarray, nodes: np.ndarray, codes: np.ndarray) -> float:
    """p(word | h) = Π_k σ(±θ_C[n_k]·h), + for a left turn (code 0), − for a right turn (code 1)."""
    x = inner[nodes] @ h
    return float(np.prod(sigmoid(np.where(codes == 0, x, -x))))


def path_walk_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The unseen inputs (h (d,), inner (V−1, d), nodes (L,), codes (L,)) of the path-walk exercise: paths of
    Huffman trees over random counts, to leaves with both kinds of turn."""
    rng = np.random.default_rng(1403)
    cases = []
    for V, d in ((7, 3), (12, 4), (20, 5)):
        tree = HuffmanTree.build(rng.integers(1, 50, size=V))
        word = int(np.argmax([len(set(tree.path(w)[1].tolist())) * 100 + tree.lengths[w] for w in range(V)]))
        nodes, codes = tree.path(word)
        cases.append((rng.normal(size=d), 0.8 * rng.normal(size=(V - 1, d)), nodes, codes))
    return cases


def _pw_turns_swapped(h, inner, nodes, codes):
    return path_walk_reference(h, inner, nodes, 1 - codes)


def _pw_codes_ignored(h, inner, nodes, codes):
    return float(np.prod(sigmoid(inner[nodes] @ h)))


def _pw_sum(h, inner, nodes, codes):
    x = inner[nodes] @ h
    return float(np.sum(sigmoid(np.where(codes == 0, x, -x))))


def _pw_log(h, inner, nodes, codes):
    x = inner[nodes] @ h
    return float(np.sum(log_sigmoid(np.where(codes == 0, x, -x))))


def _pw_loss(h, inner, nodes, codes):
    return -_pw_log(h, inner, nodes, codes)


def _pw_root_skipped(h, inner, nodes, codes):
    return path_walk_reference(h, inner, nodes[1:], codes[1:])


#: (wrong implementation, hint) pairs of the path-walk exercise, tried in this order.
PATH_WALK_MISTAKES = [
    (_pw_turns_swapped, "left and right are swapped: code 0 is a LEFT turn, probability σ(x); code 1 a right "
                        "turn, σ(−x) = 1 − σ(x)."),
    (_pw_codes_ignored, "every factor is σ(x): a right turn (code 1) has probability 1 − σ(x) = σ(−x)."),
    (_pw_sum, "the turns are taken one after the other: their probabilities multiply, they don't add."),
    (_pw_log, "that is log p (a sum of log σ): return the probability itself, the product."),
    (_pw_loss, "that is the loss −log p: return the probability itself, the product."),
    (_pw_root_skipped, "one factor is missing: the root's decision counts too (nodes[0] is the root)."),
]


def check_path_walk(path_probability: object) -> bool:
    """Exercise 02.2: the student's ``path_probability(h, inner, nodes, codes) -> float`` on unseen paths."""
    return check_function(path_probability, "path_probability", path_walk_reference, path_walk_cases(),
                          PATH_WALK_MISTAKES, atol=1e-10, rtol=1e-8,
                          success="your walk agrees with the reference on 3 unseen paths of 3 random trees.")


def check_hs_gradient(grad_center: object, grad_rows: object) -> bool:
    """Exercise 02.4: gradients of the path loss w.r.t. h and the path rows, compared with torch autograd."""
    center, rows, codes = gradient_exercise()
    c = torch.tensor(center, requires_grad=True)
    r = torch.tensor(rows, requires_grad=True)
    path_loss_torch(c, r, codes).backward()
    exp_c, exp_r = c.grad.numpy(), r.grad.numpy()
    x, t = rows @ center, 1.0 - codes

    def alt(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return g @ rows, np.outer(g, center)

    mistakes = [
        (alt(t - sigmoid(x)), "the sign is flipped: you have the gradient of log p; the loss is −log p."),
        (alt(sigmoid(x) - codes), "left turns (code 0) have target 1 and probability σ(x): use t = 1 − code."),
        (alt(x - t), "∂loss/∂x is σ(x) − t: don't forget the sigmoid."),
    ]

    def hints(k: int) -> list:
        return [(lambda a, m=m: np.allclose(a, m[0][k], atol=1e-6), m[1]) for m in mistakes]

    ok_c = check_against(grad_center, "grad_center", exp_c, hints(0), atol=1e-6,
                         success="∂loss/∂h = Σ_k (σ(x_k) − t_k) θ_C[n_k] — agrees with autograd.")
    ok_r = check_against(grad_rows, "grad_rows", exp_r, hints(1), atol=1e-6,
                         success="∂loss/∂θ_C[n_k] = (σ(x_k) − t_k) h — agrees with autograd.")
    return ok_c and ok_r


