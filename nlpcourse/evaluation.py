"""How good are these word vectors? Nearest neighbours, word similarity, analogies, a 2-d picture.

Shared by the word-vector notebooks (01 word2vec, 02 hierarchical softmax, 03 subwords). Everything works
on :class:`Embeddings`, a matrix of V word vectors with their words; each evaluation agrees with gensim's
``KeyedVectors`` (tested in tests/test_evaluation.py):

- :meth:`Embeddings.most_similar` = ``kv.most_similar`` (cosine similarity, the query word excluded);
- :func:`word_similarity` = ``kv.evaluate_word_pairs`` (Spearman correlation with human scores);
- :func:`analogy_accuracy` = ``kv.evaluate_word_analogies`` (3CosAdd: a : b :: c : ?).

Typical use::

    emb = Embeddings(W, vocab)                  # W: (V, d) numpy array, vocab: Vocab or list of V words
    emb.most_similar("fire", k=5)
    word_similarity(emb, load_similarity("wordsim353"))
    analogy_accuracy(emb, load_analogies())
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nlpcourse import validate
from nlpcourse.data import Vocab

__all__ = [
    "Embeddings",
    "cosine",
    "SimilarityResult",
    "word_similarity",
    "AnalogyResult",
    "analogy_accuracy",
    "spearman",
    "binomial_interval",
    "welch_pvalue",
    "pca_2d",
]


def cosine(u: np.ndarray, v: np.ndarray) -> float:
    """Cosine similarity ``u . v / (|u| |v|)`` of two vectors of shape (d,); 0.0 if either is zero."""
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    norms = np.linalg.norm(u) * np.linalg.norm(v)
    return float(u @ v / norms) if norms > 0 else 0.0


def _to_numpy(x: object) -> object:
    """A torch tensor as a numpy array (detached, on the CPU); anything else as it is."""
    return x.detach().cpu().numpy() if hasattr(x, "detach") else x


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows of x (n, d) scaled to length 1 (float64); all-zero rows stay zero."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


class Embeddings:
    """V word vectors (rows of a (V, d) matrix) and their words: ``vectors`` (read-only copy), ``words`` (row i
    is ``words[i]``), ``vocab`` (the given :class:`~nlpcourse.data.Vocab`, or one with zero counts)."""

    def __init__(self, vectors: np.ndarray, words: Vocab | Sequence[str]) -> None:
        """V finite vectors (V, d) (tensors are copied to numpy) for the V distinct ``words`` (or a Vocab)."""
        vectors = np.array(_to_numpy(vectors))
        if not np.issubdtype(vectors.dtype, np.floating):
            vectors = vectors.astype(np.float64)
        vocab = words if isinstance(words, Vocab) else None
        if vocab is None:
            if isinstance(words, str) or not isinstance(words, Iterable):
                raise ValueError(f"words: expected a Vocab or a list of str, got {type(words).__name__}")
            words = list(words)
        n_words = len(words)
        if vectors.ndim != 2:
            raise ValueError(f"vectors: expected shape (V, d) with V={n_words} words, got {vectors.shape}")
        if vectors.shape[0] != n_words:
            raise ValueError(
                f"vectors, words: expected one row per word, got vectors of shape {vectors.shape} "
                f"and {n_words} words"
            )
        if n_words == 0 or vectors.shape[1] == 0:
            raise ValueError(f"vectors: expected a non-empty (V, d) matrix, got shape {vectors.shape}")
        if not np.isfinite(vectors).all():
            raise ValueError("vectors: expected finite numbers, got NaN or inf (did training diverge?)")
        if vocab is None:
            if not all(isinstance(w, str) for w in words):
                raise ValueError("words: expected str words, got a non-str entry")
            vocab = Vocab(words, np.zeros(n_words, dtype=np.int64))  # checks that words are distinct
        vectors.flags.writeable = False
        self.vectors: np.ndarray = vectors
        self.vocab: Vocab = vocab
        self.words: list[str] = vocab.itos
        self._unit: np.ndarray | None = None

    @classmethod
    def from_gensim(cls, kv: object) -> Embeddings:
        """The Embeddings (V, d) of a gensim ``KeyedVectors`` (or a model with ``.wv``), in its order, with its
        training counts when it has them."""
        kv = getattr(kv, "wv", kv)
        if not hasattr(kv, "index_to_key") or not hasattr(kv, "vectors"):
            raise ValueError(f"kv: expected a gensim KeyedVectors (or a model with .wv), got {type(kv).__name__}")
        words = list(kv.index_to_key)
        counts = kv.expandos.get("count") if hasattr(kv, "expandos") else None
        if counts is None or len(counts) != len(words):
            counts = np.zeros(len(words), dtype=np.int64)
        return cls(kv.vectors, Vocab(words, counts))

    # ---------------------------------------------------------------- lookups
    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.vocab

    def __getitem__(self, word: str) -> np.ndarray:
        """The vector of ``word``: read-only array of shape (d,); KeyError naming an unknown word."""
        return self.vectors[self.vocab.index(word)]

    def __repr__(self) -> str:
        return f"Embeddings(V={self.vectors.shape[0]}, d={self.vectors.shape[1]})"

    @property
    def dim(self) -> int:
        """d, the length of each vector."""
        return self.vectors.shape[1]

    @property
    def unit_vectors(self) -> np.ndarray:
        """The rows scaled to length 1: float64 array of shape (V, d) (zero rows stay zero); cached."""
        if self._unit is None:
            self._unit = _unit_rows(self.vectors)
            self._unit.flags.writeable = False
        return self._unit

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words' vectors (a float in [-1, 1])."""
        return cosine(self[word1], self[word2])

    def _query(self, word_or_vector: str | np.ndarray, name: str) -> tuple[np.ndarray, list[int]]:
        """A query as a (d,) float64 vector and the ids to exclude (the word itself, if a word)."""
        if isinstance(word_or_vector, str):
            i = self.vocab.index(word_or_vector)
            return self.vectors[i].astype(np.float64), [i]
        vec = np.asarray(_to_numpy(word_or_vector), dtype=np.float64)
        if vec.shape != (self.dim,):
            raise ValueError(f"{name}: expected a word or a vector of shape ({self.dim},), got shape {vec.shape}")
        return vec, []

    def most_similar(
        self, word_or_vector: str | np.ndarray, k: int = 10, exclude: Iterable[str] = ()
    ) -> list[tuple[str, float]]:
        """The k (word, cosine) pairs nearest a word or a (d,) vector, most similar first.

        Like gensim's ``most_similar(positive=[word], topn=k)``: a query word is left out of the answer (a
        query vector is not); ``exclude`` leaves out more words (unknown ones are ignored)."""
        k = validate.positive_int(k, "k")
        if isinstance(exclude, str):
            exclude = [exclude]
        query, skip = self._query(word_or_vector, "word_or_vector")
        norm = np.linalg.norm(query)
        if norm == 0:
            raise ValueError("word_or_vector: the query vector is zero, it has no direction to compare")
        sims = self.unit_vectors @ (query / norm)
        skip = set(skip) | {self.vocab.stoi[w] for w in exclude if w in self.vocab}
        return self._top(sims, k, skip)

    def _top(self, sims: np.ndarray, k: int, skip: set[int]) -> list[tuple[str, float]]:
        """The k best (word, similarity) of sims (V,), skipping ids in ``skip``; ties by lower id."""
        n = min(len(sims), k + len(skip))
        best = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        best = best[np.lexsort((best, -sims[best]))]  # by similarity, then by id: deterministic
        return [(self.words[i], float(sims[i])) for i in best if i not in skip][:k]

    def analogy(self, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
        """a : b :: c : ? by 3CosAdd: the k (word, cosine) pairs closest to unit(b) − unit(a) + unit(c), best first
        (a, b, c excluded, as in gensim and the word2vec paper)."""
        unit = self.unit_vectors
        ia, ib, ic = (self.vocab.index(w) for w in (a, b, c))
        target = unit[ib] - unit[ia] + unit[ic]
        return self.most_similar(target, k=k, exclude=(a, b, c))

    def restrict(self, n: int) -> Embeddings:
        """The first n words and their vectors (the n most frequent when rows are sorted by frequency)."""
        n = validate.positive_int(n, "n")
        return Embeddings(self.vectors[:n], Vocab(self.words[:n], self.vocab.counts[:n]))


# -------------------------------------------------------------------------------------- word similarity
def binomial_interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of ``correct`` successes in ``n`` trials -> (low, high) in [0, 1]
    (``scipy.stats.binomtest(...).proportion_ci(method="wilson")``); unlike p ± z·√(p(1−p)/n) it never
    leaves [0, 1] and keeps its coverage for small n or p near 0 or 1.

    scipy's own formula (Newcombe 1998), not its call: importing ``scipy.stats`` takes ~0.5–1.5 s, ``scipy.special``'s
    normal quantile about a quarter of that (the same numbers to the last bit: tests/test_evaluation.py)."""
    from scipy.special import ndtri

    n = validate.integer(n, "n", low=1)
    correct = validate.integer(correct, "correct", low=0, high=n)
    confidence = validate.number(confidence, "confidence", low=0.0, high=1.0, low_open=True, high_open=True)
    p, z = correct / n, ndtri(0.5 + 0.5 * confidence)
    denom = 2 * (n + z**2)
    center, delta = (2 * n * p + z**2) / denom, z / denom * np.sqrt(4 * n * p * (1 - p) + z**2)
    return 0.0 if correct == 0 else float(center - delta), 1.0 if correct == n else float(center + delta)


def welch_pvalue(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p-value of Welch's t-test for equal means of samples a (n_a,) and b (n_b,), each n >= 2:
    t = (ā − b̄)/√(s²_a/n_a + s²_b/n_b) on the Welch–Satterthwaite degrees of freedom
    (``scipy.stats.ttest_ind(a, b, equal_var=False).pvalue``, with scipy's formula from ``scipy.special``:
    importing ``scipy.stats`` takes ~0.5–1 s, longer than the tests it would run in 05)."""
    from scipy.special import stdtr

    a, b = validate.float_array(a, "a", ndim=1), validate.float_array(b, "b", ndim=1)
    for name, x in (("a", a), ("b", b)):
        if len(x) < 2:
            raise ValueError(f"{name}: expected at least 2 values (a sample variance), got {len(x)}")
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    with np.errstate(divide="ignore", invalid="ignore"):  # both variances 0: t = ±inf or NaN, as scipy gives
        df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        t = (np.mean(a) - np.mean(b)) / np.sqrt(va + vb)
    return float(2 * stdtr(1.0 if np.isnan(df) else df, -abs(t)))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation of x (n,) and y (n,), ties at their average rank (``scipy.stats.spearmanr``);
    NaN when a sample is constant or n < 2."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


@dataclass(frozen=True)
class SimilarityResult:
    """Result of :func:`word_similarity`: ``spearman`` over the pairs in vocabulary, ``oov_ratio`` (0..1; gensim
    reports it in percent), ``n_pairs`` given, ``n_used`` evaluated, ``table`` (word1, word2, score, cosine;
    NaN when skipped)."""

    spearman: float
    oov_ratio: float
    n_pairs: int
    n_used: int
    table: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)

    def __str__(self) -> str:
        return (
            f"Spearman {self.spearman:.4f} on {self.n_used}/{self.n_pairs} pairs "
            f"({self.oov_ratio:.1%} out of vocabulary)"
        )


def _check_columns(df: object, name: str, columns: Sequence[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame with columns {list(columns)}, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{name}: expected columns {list(columns)}, got {list(df.columns)} (missing {missing})")


def _check_embeddings(emb: object) -> None:
    if not isinstance(emb, Embeddings):
        raise ValueError(
            f"emb: expected an nlpcourse.evaluation.Embeddings (wrap your matrix: Embeddings(W, vocab)), "
            f"got {type(emb).__name__}"
        )


def _row_ids(emb: Embeddings, words: Iterable[str], n_vocab: int) -> np.ndarray:
    """The row of each of n words in emb: int64 array of shape (n,), -1 for a word outside the first n_vocab rows."""
    stoi = emb.vocab.stoi
    return np.array([i if (i := stoi.get(w, -1)) < n_vocab else -1 for w in words], dtype=np.int64)


def word_similarity(
    emb: Embeddings, pairs: pd.DataFrame, transform: Callable[[str], str] | None = None
) -> SimilarityResult:
    """Spearman correlation of human scores (``pairs``: word1, word2, score) and the vectors' cosines.

    Pairs with a word not in the vocabulary (after ``transform``, e.g. ``porter_stem``) are skipped and
    counted in ``oov_ratio``; equal to gensim's ``evaluate_word_pairs`` (``case_insensitive=True`` on a
    lowercase vocabulary). ValueError when no pair is in the vocabulary."""
    _check_embeddings(emb)
    _check_columns(pairs, "pairs", ["word1", "word2", "score"])
    if len(pairs) == 0:
        raise ValueError("pairs: expected at least one row, got an empty DataFrame")
    if transform is not None and not callable(transform):
        raise ValueError(f"transform: expected a function str -> str or None, got {type(transform).__name__}")
    key = str if transform is None else lambda w: transform(str(w))
    word1, word2 = ([key(w) for w in pairs[col]] for col in ("word1", "word2"))
    scores = pairs["score"].to_numpy(dtype=np.float64)
    i1, i2 = _row_ids(emb, word1, len(emb)), _row_ids(emb, word2, len(emb))
    known = (i1 >= 0) & (i2 >= 0)
    cosines = np.full(len(pairs), np.nan)
    cosines[known] = np.einsum("nd,nd->n", emb.unit_vectors[i1[known]], emb.unit_vectors[i2[known]])
    n_used = int(known.sum())
    if n_used == 0:
        raise ValueError(
            f"pairs: none of the {len(pairs)} pairs has both words in the vocabulary of {len(emb)} words "
            f"(first pair: {word1[0]!r}, {word2[0]!r}); is a transform (e.g. porter_stem) missing?"
        )
    table = pd.DataFrame({"word1": word1, "word2": word2, "score": scores, "cosine": cosines})
    return SimilarityResult(
        spearman=spearman(scores[known], cosines[known]),
        oov_ratio=1.0 - n_used / len(pairs),
        n_pairs=len(pairs),
        n_used=n_used,
        table=table,
    )


# -------------------------------------------------------------------------------------- analogies
@dataclass(frozen=True)
class AnalogyResult:
    """Result of :func:`analogy_accuracy`: ``accuracy`` = n_correct / n_evaluated (0.0 when nothing was
    evaluated, as gensim), ``n_total`` questions given, ``by_section`` (a row per section, in order of
    appearance) and ``predictions`` (a row per evaluated question)."""

    accuracy: float
    n_correct: int
    n_evaluated: int
    n_total: int
    by_section: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)
    predictions: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)

    def __str__(self) -> str:
        return (
            f"accuracy {self.accuracy:.4f} ({self.n_correct}/{self.n_evaluated} questions evaluated, "
            f"{self.n_total - self.n_evaluated} of {self.n_total} skipped: out of vocabulary)"
        )


def analogy_accuracy(
    emb: Embeddings, analogies: pd.DataFrame, restrict_vocab: int | None = None, batch_size: int = 1024
) -> AnalogyResult:
    """Accuracy on analogy questions a : b :: c : d (``analogies``: a, b, c, d[, section]) by 3CosAdd.

    gensim's ``evaluate_word_analogies`` rules: only the first ``restrict_vocab`` words count (rows sorted by
    frequency); a question with a word outside them is skipped, not wrong; the answer is the restricted word
    closest to unit(b) − unit(a) + unit(c), a, b, c excluded. ``batch_size`` questions (× V floats) at once."""
    _check_embeddings(emb)
    _check_columns(analogies, "analogies", ["a", "b", "c", "d"])
    if restrict_vocab is not None:
        restrict_vocab = validate.integer(restrict_vocab, "restrict_vocab", low=1, what="None or an int")
    batch_size = validate.positive_int(batch_size, "batch_size")
    n_vocab = len(emb) if restrict_vocab is None else min(int(restrict_vocab), len(emb))
    unit = emb.unit_vectors[:n_vocab]
    ia, ib, ic, id_ = (_row_ids(emb, map(str, analogies[col]), n_vocab) for col in "abcd")
    known = (ia >= 0) & (ib >= 0) & (ic >= 0) & (id_ >= 0)
    rows = np.flatnonzero(known)
    predicted = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), batch_size):
        r = rows[start : start + batch_size]
        target = _unit_rows(unit[ib[r]] - unit[ia[r]] + unit[ic[r]])
        sims = target @ unit.T  # (batch, n_vocab)
        batch = np.arange(len(r))
        for col in (ia, ib, ic):  # the inputs are never the answer
            sims[batch, col[r]] = -np.inf
        predicted[start : start + len(r)] = sims.argmax(axis=1)
    correct = predicted == id_[rows]

    sections = analogies["section"] if "section" in analogies.columns else pd.Series([""] * len(analogies))
    sections = sections.astype(str).to_numpy()
    evaluated = sections[rows]
    predictions = pd.DataFrame({
        "section": evaluated,
        **{col: analogies[col].to_numpy()[rows] for col in "abcd"},
        "predicted": np.array(emb.words[:n_vocab], dtype=object)[predicted],
        "correct": correct,
    })
    order = list(dict.fromkeys(sections))  # sections in order of appearance
    by_section = pd.DataFrame({
        "section": order,
        "n_correct": [int(correct[evaluated == s].sum()) for s in order],
        "n_evaluated": [int((evaluated == s).sum()) for s in order],
        "n_total": [int((sections == s).sum()) for s in order],
    })
    by_section["accuracy"] = by_section["n_correct"] / by_section["n_evaluated"].clip(lower=1)  # 0.0 if none, as gensim
    n_evaluated = len(rows)
    return AnalogyResult(
        accuracy=float(correct.mean()) if n_evaluated else 0.0,
        n_correct=int(correct.sum()),
        n_evaluated=n_evaluated,
        n_total=len(analogies),
        by_section=by_section,
        predictions=predictions,
    )


# -------------------------------------------------------------------------------------- pictures
def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """The n points (n, d) on their two principal directions: (n, 2) float64.

    The points are centred; the directions are the top-2 right singular vectors of the centred matrix, each
    signed so its largest-magnitude coordinate is positive (the same picture on every machine)."""
    x = np.asarray(_to_numpy(vectors), dtype=np.float64)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    directions = vt[:2]  # (2, d)
    biggest = np.abs(directions).argmax(axis=1)
    directions = directions * np.sign(directions[np.arange(2), biggest])[:, None]
    return x @ directions.T
