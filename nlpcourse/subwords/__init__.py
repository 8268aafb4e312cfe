"""fastText's subword n-grams, in the notebook's order: n-grams, the hash, bucket ids, a word's vector.

fastText (Bojanowski et al., 2017) represents a word by its own vocabulary vector plus the vectors of its
character n-grams. Everything here reproduces the reference library bit for bit (tested against gensim's
``ft_ngram_hashes`` and the ``fasttext`` bindings' ``get_subwords``):

1. :func:`char_ngrams`: the n-grams of ``"<" + word + ">"`` with ``minn <= n <= maxn`` characters, start
   position outer, length inner (fastText's ``Dictionary::computeSubwords``);
2. :func:`fnv1a_32`: fastText's 32-bit FNV-1a, each UTF-8 byte passed through a *signed* ``int8`` cast;
3. :func:`ngram_ids`: ``fnv1a_32(ngram) % bucket`` for each n-gram; :func:`ngram_ids_batch` is the same for many
   words at once, vectorised in numpy (the benchmark and the trainer use it);
4. :func:`subword_rows` / :class:`SubwordVectors`: the rows of fastText's input matrix that make up a word
   (its vocabulary row, if it has one, then ``nwords + bucket id`` of each n-gram) and their mean;
5. :func:`subword_loss_and_grad`: skip-gram with negative sampling where the center vector is that mean
   (numpy, checked against torch autograd by :func:`check_subword_gradients`); the batched torch trainer is
   in :mod:`nlpcourse.subwords.train`.

Typical use::

    char_ngrams("where", 3, 3)            # ['<wh', 'whe', 'her', 'ere', 're>']
    ngram_ids("where", bucket=100_000)     # numpy int64 array, one id per n-gram
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from nlpcourse import validate
from nlpcourse.data import Vocab
from nlpcourse.evaluation import Embeddings
from nlpcourse.gradcheck import GradCheck, check_gradients
from nlpcourse.word2vec import neg_sampling_loss_and_grad, neg_sampling_loss_torch

__all__ = [
    "BOW", "EOW", "check_word", "check_n", "char_ngrams", "FNV_OFFSET", "FNV_PRIME", "fnv1a_32", "ngram_ids",
    "ngram_ids_batch", "distinct_ngrams", "collision_rate", "collision_table", "expected_collision_rate",
    "subword_rows",
    "SubwordVectors", "subword_loss_and_grad", "subword_loss_torch", "check_subword_gradients",
]

BOW, EOW = "<", ">"  # fastText's word boundaries: "where" is seen as "<where>"


# ---------------------------------------------------------------------------------------- 1. the n-grams
def check_word(word: object, name: str = "word") -> str:
    """``word`` if it is a non-empty str that UTF-8 can encode and that holds no NUL (the position is named).

    fastText reads words from UTF-8 text split on whitespace and NUL, so a NUL cannot be inside a word, and a
    lone surrogate (``"\\ud800"``) has no UTF-8 encoding at all.
    """
    word = validate.string(word, name)
    if "\0" in word:
        raise ValueError(f"{name}: expected a word without NUL characters, got {word!r} "
                         f"(NUL at position {word.index(chr(0))})")
    for i, ch in enumerate(word):
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise ValueError(f"{name}: expected a word UTF-8 can encode, got {word!r} "
                             f"(lone surrogate U+{ord(ch):04X} at position {i})")
    return word


def check_n(minn: object, maxn: object) -> tuple[int, int]:
    """(minn, maxn) as ints with 1 <= minn <= maxn (TypeError for a non-int, ValueError out of range)."""
    minn = validate.positive_int(minn, "minn")
    maxn = validate.positive_int(maxn, "maxn")
    if maxn < minn:
        raise ValueError(f"minn, maxn: expected minn <= maxn, got minn={minn} > maxn={maxn}")
    return minn, maxn


def char_ngrams(word: str, minn: int = 3, maxn: int = 6) -> list[str]:
    """The n-grams of ``"<word>"``, minn <= n <= maxn characters (code points), start outer, length inner.

    fastText's order; with ``minn = 1`` the lone "<" and ">" are left out, as fastText does.
    """
    word = check_word(word)
    minn, maxn = check_n(minn, maxn)
    w = BOW + word + EOW
    grams = []
    for i in range(len(w)):
        for n in range(minn, min(maxn, len(w) - i) + 1):
            if n == 1 and (i == 0 or i == len(w) - 1):
                continue  # "<" and ">" alone are not n-grams
            grams.append(w[i : i + n])
    return grams


# ---------------------------------------------------------------------------------------- 2. the hash
FNV_OFFSET = 2166136261  # FNV-1a's 32-bit offset basis
FNV_PRIME = 16777619  # FNV's 32-bit prime


def fnv1a_32(data: bytes, signed_bytes: bool = True) -> int:
    """h = (h XOR b) · FNV_PRIME mod 2^32 per byte b, from FNV_OFFSET: an int in [0, 2^32).

    fastText casts each byte to ``int8_t`` before widening it (``signed_bytes=True``, also gensim's): a byte >= 0x80
    is sign-extended (0xC3 becomes 0xFFFFFFC3). ``signed_bytes=False``: textbook FNV-1a, for comparison.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data: expected bytes (e.g. ngram.encode('utf-8')), got {type(data).__name__}")
    h = FNV_OFFSET
    for b in data:
        if signed_bytes and b >= 0x80:
            b |= 0xFFFFFF00  # int8_t(b) widened to uint32_t: the sign bit fills the upper 24 bits
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFF
    return h


# ---------------------------------------------------------------------------------------- 3. bucket ids
def ngram_ids(word: str, minn: int = 3, maxn: int = 6, bucket: int = 2_000_000) -> np.ndarray:
    """``fnv1a_32(utf8(g)) % bucket`` for each n-gram g of ``char_ngrams(word, minn, maxn)``: (n_ngrams,) int64.

    gensim's ``ft_ngram_hashes``; fastText's ``get_subwords`` ids minus its number of words.
    """
    bucket = validate.positive_int(bucket, "bucket")
    grams = char_ngrams(word, minn, maxn)
    return np.array([fnv1a_32(g.encode("utf-8")) % bucket for g in grams], dtype=np.int64)


def ngram_ids_batch(words: Sequence[str], minn: int = 3, maxn: int = 6,
                    bucket: int = 2_000_000) -> tuple[np.ndarray, np.ndarray]:
    """``ngram_ids`` of W words at once: (ids (N,), offsets (W + 1,)), word i's ids ``ids[offsets[i]:offsets[i+1]]``.

    The ``"<word>"`` bytes end to end; every (start, length) n-gram is a byte span, hashed all together one byte
    position at a time (at most 4·maxn steps: a character is 1 to 4 bytes).
    """
    if isinstance(words, str):
        raise TypeError("words: expected a list of str, got a single str (wrap it: [word])")
    validate.non_empty(words, "words", what="words")
    minn, maxn = check_n(minn, maxn)
    bucket = validate.positive_int(bucket, "bucket")
    encoded = [(BOW + check_word(w, f"words[{i}]") + EOW).encode("utf-8") for i, w in enumerate(words)]
    buf = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    starts = (buf & 0xC0) != 0x80  # a byte that starts a character
    char_byte = np.append(np.flatnonzero(starts), len(buf))  # byte offset of each character, + the end
    byte_offsets = np.cumsum([0] + [len(e) for e in encoded])[:-1]
    n_chars = np.add.reduceat(starts.astype(np.int64), byte_offsets)  # characters per "<word>"
    word_of_char = np.repeat(np.arange(len(words)), n_chars)
    pos = np.arange(len(word_of_char)) - np.repeat(np.cumsum(n_chars) - n_chars, n_chars)  # index in its word
    left = n_chars[word_of_char] - pos  # characters from here to the end of the word
    ns = np.arange(minn, maxn + 1)
    valid = ns[None, :] <= left[:, None]  # (chars, lengths)
    if minn == 1:
        valid[:, 0] &= (pos != 0) & (left != 1)  # "<" and ">" alone are not n-grams
    char, k = np.nonzero(valid)  # row-major: start outer, length inner = fastText's order
    begin, end = char_byte[char], char_byte[char + ns[k]]
    signed = buf.view(np.int8).astype(np.int64).astype(np.uint32)  # int8_t(b) widened to uint32_t
    h = np.full(len(begin), FNV_OFFSET, dtype=np.uint32)
    length = end - begin
    for step in range(int(length.max(initial=0))):
        active = length > step
        byte = signed[np.minimum(begin + step, len(buf) - 1)]
        h = np.where(active, (h ^ byte) * np.uint32(FNV_PRIME), h)  # uint32 arithmetic wraps mod 2^32
    offsets = np.concatenate([[0], np.cumsum(np.bincount(word_of_char[char], minlength=len(words)))])
    return (h % np.uint32(bucket)).astype(np.int64), offsets.astype(np.int64)


def distinct_ngrams(words: Sequence[str], minn: int = 3, maxn: int = 6) -> list[str]:
    """The distinct n-grams of a list of words, sorted (what the buckets have to hold)."""
    validate.non_empty(words, "words", what="words")
    return sorted({g for w in words for g in char_ngrams(w, minn, maxn)})


def collision_rate(ngrams: Sequence[str], bucket: int) -> float:
    """The fraction of N distinct n-grams that share their bucket with another one."""
    bucket = validate.positive_int(bucket, "bucket")
    return _collision_rate(_distinct_hashes(ngrams), bucket)


def _distinct_hashes(ngrams: Sequence[str]) -> np.ndarray:
    validate.non_empty(ngrams, "ngrams", what="n-grams")
    if len(set(ngrams)) != len(ngrams):
        raise ValueError(f"ngrams: expected distinct n-grams, got {len(ngrams) - len(set(ngrams))} repeats")
    return np.array([fnv1a_32(g.encode("utf-8")) for g in ngrams], dtype=np.int64)


def _collision_rate(hashes: np.ndarray, bucket: int) -> float:
    _, where, count = np.unique(hashes % bucket, return_inverse=True, return_counts=True)
    return float((count[where] > 1).sum() / len(hashes))


def collision_table(ngrams: Sequence[str], buckets: Sequence[int], nwords: int, dim: int) -> pd.DataFrame:
    """DataFrame[bucket, collision_rate, expected, parameters = (nwords + bucket) · dim] per bucket count."""
    nwords, dim = validate.non_negative_int(nwords, "nwords"), validate.positive_int(dim, "dim")
    hashes = _distinct_hashes(ngrams)
    rows = [{"bucket": int(b), "collision_rate": _collision_rate(hashes, validate.positive_int(b, "buckets")),
             "expected": expected_collision_rate(len(ngrams), b), "parameters": (nwords + int(b)) * dim}
            for b in validate.non_empty(buckets, "buckets", what="bucket counts")]
    return pd.DataFrame(rows)


def expected_collision_rate(n: int, bucket: int) -> float:
    """What a uniform random hash gives for :func:`collision_rate`: 1 − (1 − 1/bucket)^(n − 1)."""
    n, bucket = validate.positive_int(n, "n"), validate.positive_int(bucket, "bucket")
    return float(-np.expm1((n - 1) * np.log1p(-1.0 / bucket))) if bucket > 1 else float(n > 1)


# ---------------------------------------------------------------------------------------- 4. a word's vector
def subword_rows(word: str, vocab: Vocab | None, minn: int = 3, maxn: int = 6,
                 bucket: int = 2_000_000) -> np.ndarray:
    """``word``'s rows of the (len(vocab) + bucket, d) input matrix, fastText's ``get_subwords`` list: (n_rows,).

    Its own row (if in ``vocab``), then ``len(vocab) + ngram_ids(word)``. The lecture's "<where>" is the own row.
    """
    nwords = 0 if vocab is None else len(vocab)
    ids = ngram_ids(word, minn, maxn, bucket) + nwords
    if vocab is not None and word in vocab:
        ids = np.concatenate([[vocab.index(word)], ids])
    return ids


class SubwordVectors:
    """Word vectors from subwords: an input matrix (nwords + bucket, d) over a vocabulary and n-gram settings.

    ``vector(word)`` is the *mean* of the word's rows (:func:`subword_rows`), which is what fastText's
    ``get_word_vector`` and gensim's ``FastText.wv[word]`` return; the lecture writes the sum. The two differ by
    the factor 1/n_rows, so cosine similarities (what every evaluation uses) are the same. ``matrix`` (V + bucket,
    d): rows 0..V-1 are ``vocab``'s words.
    """

    def __init__(self, matrix: np.ndarray, vocab: Vocab, minn: int = 3, maxn: int = 6,
                 bucket: int = 2_000_000) -> None:
        if not isinstance(vocab, Vocab):
            raise TypeError(f"vocab: expected an nlpcourse.data.Vocab, got {type(vocab).__name__}")
        self.minn, self.maxn = check_n(minn, maxn)
        self.bucket = validate.positive_int(bucket, "bucket")
        matrix = np.asarray(validate.array(matrix, "matrix", shape=(len(vocab) + self.bucket, None), dtype=None))
        self.matrix, self.vocab = matrix, vocab
        self._vocab_embeddings: Embeddings | None = None

    @property
    def dim(self) -> int:
        """d, the length of each vector."""
        return self.matrix.shape[1]

    def rows(self, word: str) -> np.ndarray:
        """``subword_rows(word, self.vocab, ...)``: (n_rows,) int64."""
        return subword_rows(word, self.vocab, self.minn, self.maxn, self.bucket)

    def vector(self, word: str, mode: str = "mean") -> np.ndarray:
        """The vector of any word, seen in training or not: (d,) float64, the "mean" of its rows (fastText,
        gensim) or their "sum" (the lecture's formula); zero when it has no rows at all."""
        validate.one_of(mode, "mode", ("mean", "sum"))
        rows = self.rows(word)
        if len(rows) == 0:
            return np.zeros(self.dim)
        total = self.matrix[rows].astype(np.float64).sum(axis=0)
        return total / len(rows) if mode == "mean" else total

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """The mean vectors of many words at once (vectorised hashing): (W, d) float64."""
        ids, offsets = ngram_ids_batch(words, self.minn, self.maxn, self.bucket)
        counts = np.diff(offsets)
        rows = self.matrix[ids + len(self.vocab)].astype(np.float64)
        sums = np.zeros((len(words), self.dim))
        np.add.at(sums, np.repeat(np.arange(len(words)), counts), rows)
        own = np.array([self.vocab.stoi.get(w, -1) for w in words])
        sums[own >= 0] += self.matrix[own[own >= 0]]
        n = counts + (own >= 0)
        return np.divide(sums, n[:, None], out=np.zeros_like(sums), where=n[:, None] > 0)

    def embeddings(self, words: Sequence[str] | None = None) -> Embeddings:
        """``Embeddings`` over ``words`` (default: the vocabulary, cached), for evaluation and neighbours."""
        if words is None:
            if self._vocab_embeddings is None:
                self._vocab_embeddings = Embeddings(self.vectors(self.vocab.itos), self.vocab)
            return self._vocab_embeddings
        words = list(dict.fromkeys(words))
        return Embeddings(self.vectors(words), words)

    def similarity(self, word: str, other: str, centre: np.ndarray | None = None) -> float:
        """cos(v_word − centre, v_other − centre); ``centre`` (d,) e.g. the vocabulary's mean vector (default 0)."""
        a, b = self.vector(word), self.vector(other)
        if centre is not None:
            a, b = a - centre, b - centre
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    def most_similar(self, word: str, k: int = 5) -> list[tuple[str, float]]:
        """The k vocabulary words nearest (cosine) to ``word``'s vector, the word itself left out."""
        k = validate.positive_int(k, "k")
        return self.embeddings().most_similar(self.vector(word), k=k, exclude=[word])

    def __repr__(self) -> str:
        return (f"SubwordVectors(V={len(self.vocab)}, bucket={self.bucket}, d={self.dim}, "
                f"n={self.minn}..{self.maxn})")


# ---------------------------------------------------------------------------------------- 5. the loss
def subword_loss_and_grad(matrix: np.ndarray, outside: np.ndarray, rows: np.ndarray, target: int,
                          negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """h = mean of matrix[rows]; L = −log σ(C[o]·h) − Σ_k log σ(−C[k]·h): (loss, dL/dmatrix (R, d), dL/dC (V, d)).

    Each of the n rows gets dL/dh / n (a row listed twice, twice). matrix (R, d), outside C (V, d), rows (n,),
    target o, negatives (K,).
    """
    sizes: dict[str, int] = {}
    matrix = validate.float_array(matrix, "matrix", shape=("R", "d"), sizes=sizes)
    outside = validate.float_array(outside, "outside", shape=("V", "d"), sizes=sizes)
    rows = validate.ids_in_range(rows, "rows", len(matrix), what="rows of matrix")
    h = matrix[rows].mean(axis=0)
    loss, grad_h, grad_outside = neg_sampling_loss_and_grad(h, outside, target, negatives)
    grad_matrix = np.zeros_like(matrix)
    np.add.at(grad_matrix, rows, grad_h / len(rows))
    return loss, grad_matrix, grad_outside


def subword_loss_torch(matrix: torch.Tensor, outside: torch.Tensor, rows: np.ndarray, target: int,
                       negatives: np.ndarray) -> torch.Tensor:
    """The same loss in torch: ``EmbeddingBag``'s mean over ``rows``, then word2vec's loss (a scalar tensor)."""
    bag = torch.as_tensor(np.asarray(rows), dtype=torch.long).unsqueeze(0)
    h = torch.nn.functional.embedding_bag(bag, matrix, mode="mean")[0]
    return neg_sampling_loss_torch(h, outside, target, negatives)


def check_subword_gradients(matrix: np.ndarray, outside: np.ndarray, rows: np.ndarray, target: int,
                            negatives: np.ndarray) -> GradCheck:
    """Our subword SGNS gradients vs torch autograd vs finite differences (a ``GradCheck``)."""
    def ours(p: dict) -> tuple[float, dict]:
        loss, g_m, g_o = subword_loss_and_grad(p["matrix"], p["outside"], rows, target, negatives)
        return loss, {"matrix": g_m, "outside": g_o}

    return check_gradients(ours, lambda t: subword_loss_torch(t["matrix"], t["outside"], rows, target, negatives),
                           {"matrix": matrix, "outside": outside})
