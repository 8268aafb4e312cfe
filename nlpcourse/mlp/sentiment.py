"""Notebook 05's sentiment classifier: mean-pooled word vectors → MLP, on a stratified split or k-fold."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import validate
from . import Linear, MeanPool, Sequential, Tanh
from .train import Adam, accuracy, train

if TYPE_CHECKING:
    import scipy.sparse

__all__ = ["pooling_matrix", "split_indices", "sentiment_run", "stratified_folds", "sentiment_cv"]




def pooling_matrix(sentences: list[list[str]], words: list[str], vectors: np.ndarray
                   ) -> tuple[scipy.sparse.csr_matrix, np.ndarray, list[str]]:
    """Mean pooling as a sparse matrix, over the words of ``sentences`` that have a vector.

    Args:
        sentences: N token lists; words: V words with vectors (V, d).
    Returns:
        (P, E, kept): P a scipy CSR matrix (N, V′) whose row n holds 1/count on sentence n's known words (all
        zeros if none is known), E (V′, d) the rows of ``vectors`` for those V′ words, kept their words.
        ``P @ E`` is every sentence's mean word vector.
    """
    from scipy.sparse import csr_matrix

    if np.ndim(vectors) != 2 or len(vectors) != len(words):
        raise ValueError(f"vectors: expected shape ({len(words)}, d), one row per word, got {np.shape(vectors)}")
    index = {w: i for i, w in enumerate(words)}
    kept = sorted({w for s in sentences for w in s if w in index}, key=index.get)
    col = {w: j for j, w in enumerate(kept)}
    rows, cols, vals = [], [], []
    for n, sentence in enumerate(sentences):
        ids = [col[w] for w in sentence if w in col]
        rows += [n] * len(ids)
        cols += ids
        vals += [1.0 / max(len(ids), 1)] * len(ids)
    P = csr_matrix((vals, (rows, cols)), shape=(len(sentences), len(kept)))  # duplicates are summed
    return P, np.asarray(vectors, dtype=np.float64)[[index[w] for w in kept]], kept


def split_indices(y: np.ndarray, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train/validation/test index arrays for labels y (N,) (each class split by ``fractions``)."""
    if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions: expected 3 non-negative fractions summing to 1, got {fractions!r}")
    y = validate.int_array(y, "y", ndim=1)
    rng = np.random.default_rng(validate.non_negative_int(seed, "seed"))
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        a, b = round(fractions[0] * len(idx)), round((fractions[0] + fractions[1]) * len(idx))
        for part, chunk in zip(parts, (idx[:a], idx[a:b], idx[b:]), strict=True):
            part.append(chunk)
    return tuple(np.sort(np.concatenate(p)) for p in parts)


def sentiment_run(P: np.ndarray | scipy.sparse.spmatrix, y: np.ndarray, vectors: np.ndarray, *, fine_tune: bool,
                  seed: int = 0, hidden: int = 16, epochs: int = 100, lr: float = 3e-3,
                  zero_inputs: bool = False) -> dict[str, float]:
    """Train MeanPool(vectors) → Linear → tanh → Linear on a stratified 60/20/20 split of (P (N, V), y (N,)),
    with P and vectors (V, d) from ``pooling_matrix``.

    Returns {"train", "val", "test"} accuracies (the test set is evaluated once, at the end).
    ``zero_inputs=True`` is the input-independent baseline (all features zeroed).
    """
    hidden, epochs = validate.positive_int(hidden, "hidden"), validate.positive_int(epochs, "epochs")
    tr, va, te = split_indices(y, seed=seed)
    d = vectors.shape[1]
    model = Sequential(MeanPool(vectors, trainable=fine_tune), Linear(d, hidden, seed=seed), Tanh(),
                       Linear(hidden, int(y.max()) + 1, seed=seed + 1))
    X = P * 0.0 if zero_inputs else P
    train(model, X[tr], y[tr], Adam(lr), epochs=epochs, batch_size=16, seed=seed)
    return {name: accuracy(model, X[idx], y[idx]) for name, idx in (("train", tr), ("val", va), ("test", te))}


def stratified_folds(y: np.ndarray, folds: int = 10, seed: int = 0) -> list[np.ndarray]:
    """k-fold cross-validation over all examples: ``folds`` disjoint, stratified test-index arrays covering y (N,).

    Each class's examples are shuffled (fixed seed) and dealt round-robin, so every fold holds each class in
    proportion; every example is tested exactly once.
    """
    y = validate.int_array(y, "y", ndim=1)
    folds = validate.integer(folds, "folds", low=2, high=len(y))
    seed = validate.non_negative_int(seed, "seed")
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in range(folds)]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        for f in range(folds):
            parts[f].append(idx[f::folds])
    return [np.sort(np.concatenate(p)) for p in parts]


def _stratified_prefix(y: np.ndarray, size: int, seed: int) -> np.ndarray:
    """``size`` sorted indices of y (N,), each class in proportion: every class shuffled (fixed seed), then all
    examples ordered by their relative rank within their class, and the first ``size`` kept."""
    rng = np.random.default_rng(seed)
    idx, rank = [], []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        idx.append(members)
        rank.append((np.arange(len(members)) + 0.5) / len(members))
    idx, rank = np.concatenate(idx), np.concatenate(rank)
    return np.sort(idx[np.argsort(rank, kind="stable")[:size]])


def sentiment_cv(P: np.ndarray | scipy.sparse.spmatrix, y: np.ndarray, vectors: np.ndarray, *, fine_tune: bool,
                 zero_inputs: bool = False, folds: int = 10, seed: int = 0, hidden: int = 16, epochs: int = 100,
                 lr: float = 3e-3, train_size: int | None = None) -> dict[str, float]:
    """k-fold version of ``sentiment_run``: every one of the N examples is predicted once, by the model of the
    fold that held it out.

    ``train_size`` (a learning curve): each fold's model trains on only that many of its training examples
    (a stratified subset, fixed seed; None: all of them, N − N/folds), and is still tested on its whole fold.

    Returns {"correct": number of the N held-out predictions that are right, "n": N, "train": mean training
    accuracy over the folds}. A count over all N examples, with a binomial interval (``evaluation.
    binomial_interval``), is what a few hundred examples can support; a mean over 40-sentence test sets is
    not. Everything is float64, so another CPU's float kernels change the scores by ~1e-15 — far below any
    prediction's margin.
    """
    hidden, epochs = validate.positive_int(hidden, "hidden"), validate.positive_int(epochs, "epochs")
    d = vectors.shape[1]
    if train_size is not None:
        train_size = validate.integer(train_size, "train_size", low=2, high=len(y) - -(-len(y) // folds))
    X = P * 0.0 if zero_inputs else P
    correct, train_acc = 0, []
    for f, test in enumerate(stratified_folds(y, folds, seed)):
        tr = np.setdiff1d(np.arange(len(y)), test)
        if train_size is not None:  # a stratified subset: the first train_size of the fold's shuffled classes
            tr = tr[_stratified_prefix(y[tr], train_size, seed + f)]
        model = Sequential(MeanPool(vectors, trainable=fine_tune), Linear(d, hidden, seed=seed + f),
                           Tanh(), Linear(hidden, int(y.max()) + 1, seed=seed + f + 1))
        train(model, X[tr], y[tr], Adam(lr), epochs=epochs, batch_size=min(16, len(tr)), seed=seed + f)
        correct += int((model.predict(X[test]) == y[test]).sum())
        train_acc.append(accuracy(model, X[tr], y[tr]))
    return {"correct": correct, "n": len(y), "train": float(np.mean(train_acc))}
