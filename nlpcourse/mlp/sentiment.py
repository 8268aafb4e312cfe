"""Notebook 05, section 8: sentiment from mean-pooled word vectors → MLP, by k-fold cross-validation over seeds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import validate
from ..parallel import starmap
from . import Linear, MeanPool, Sequential, Tanh
from .train import Adam, accuracy, train

if TYPE_CHECKING:
    import scipy.sparse

__all__ = ["pooling_matrix", "stratified_folds", "sentiment_cv"]


def pooling_matrix(sentences: list[list[str]], words: list[str], vectors: np.ndarray
                   ) -> tuple[scipy.sparse.csr_matrix, np.ndarray, list[str]]:
    """Mean pooling as a matrix: (P (N, V′) CSR with 1/count on sentence n's known words, E (V′, D) their rows of
    ``vectors`` (V, D), kept: those V′ words); P @ E is every sentence's mean word vector."""
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


def stratified_folds(y: np.ndarray, folds: int = 10, seed: int = 0) -> list[np.ndarray]:
    """k-fold cross-validation over all examples: ``folds`` disjoint, stratified test-index arrays covering y (N,).

    Each class's examples are shuffled (fixed seed) and dealt round-robin, so every fold holds each class in
    proportion; every example is tested exactly once.
    """
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
                 zero_inputs: bool = False, folds: int = 5, seeds: tuple[int, ...] = (0,), hidden: int = 16,
                 epochs: int = 60, lr: float = 3e-2, train_size: int | None = None,
                 progress: str | None = None) -> dict[str, object]:
    """k-fold cross-validation of MeanPool(vectors) → Linear → tanh → Linear (full-batch Adam), once per seed.

    P (N, V) and vectors (V, D) come from ``pooling_matrix``; every example is predicted once per seed, by the
    model of the fold that held it out. ``train_size``: each fold's model trains on only that many of its
    training examples (a stratified subset), for a learning curve. ``zero_inputs``: the input-independent
    baseline. ``progress``: a tqdm bar with this label.
    Returns {"correct": [held-out correct of N, per seed], "n": N, "train": mean training accuracy}.
    """
    y = validate.int_array(y, "y", ndim=1)
    vectors = validate.float_array(vectors, "vectors", shape=(P.shape[1], None))
    hidden, epochs = validate.positive_int(hidden, "hidden"), validate.positive_int(epochs, "epochs")
    folds = validate.integer(folds, "folds", low=2, high=len(y))
    seeds = [validate.non_negative_int(s, "seeds") for s in seeds]
    lr = validate.positive_float(lr, "lr")
    if train_size is not None:
        train_size = validate.integer(train_size, "train_size", low=2, high=len(y) - -(-len(y) // folds))
    X = P * 0.0 if zero_inputs else P
    if not fine_tune:  # frozen vectors: every sentence's mean vector is fixed, so MeanPool's output is computed once
        X = np.asarray(X @ vectors)  # (N, D), the same numbers MeanPool gives row by row
    jobs = []
    for seed in seeds:
        for f, test in enumerate(stratified_folds(y, folds, seed)):
            tr = np.setdiff1d(np.arange(len(y)), test)
            if train_size is not None:  # the first train_size of the fold's shuffled classes
                tr = tr[_stratified_prefix(y[tr], train_size, seed + f)]
            jobs.append((X, y, vectors, tr, test, fine_tune, hidden, epochs, lr, seed + f))
    runs = starmap(_fold_model, jobs, progress=progress)  # each run seeds itself: two cores, the loop's results
    correct = [sum(right for _, right in runs[s * folds : (s + 1) * folds]) for s in range(len(seeds))]
    return {"correct": correct, "n": len(y), "train": float(np.mean([acc for acc, _ in runs]))}


def _fold_model(X: np.ndarray | scipy.sparse.spmatrix, y: np.ndarray, vectors: np.ndarray, tr: np.ndarray,
                test: np.ndarray, fine_tune: bool, hidden: int, epochs: int, lr: float, seed: int
                ) -> tuple[float, int]:
    """One fold's model (initial weights from ``seed``), trained on rows ``tr`` of X (pooled features, or P when
    fine-tuning ``vectors``) -> (training accuracy, held-out rows ``test`` predicted right)."""
    d, k = vectors.shape[1], int(y.max()) + 1
    X_tr, pool = X[tr], []
    if fine_tune:  # only rows of E that the training sentences use ever get a gradient: train just those
        used = np.unique(X_tr.nonzero()[1])  # (the other rows' Adam steps would all be exactly 0)
        X_tr, pool = X_tr[:, used], [MeanPool(vectors[used])]
    model = Sequential(*pool, Linear(d, hidden, seed=seed), Tanh(), Linear(hidden, k, seed=seed + 1))
    train(model, X_tr, y[tr], Adam(lr), epochs=epochs, batch_size=len(tr))  # full batch
    train_acc = accuracy(model, X_tr, y[tr])
    if fine_tune:  # the held-out sentences read the whole table: the trained rows and the rest as they were
        E = vectors.copy()
        E[used] = pool[0].E
        model.layers[0] = MeanPool(E, trainable=False)
    return train_acc, int((model.predict(X[test]) == y[test]).sum())
