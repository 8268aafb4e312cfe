"""Notebook 03's exercise checks on unseen inputs: the n-gram extractor (against gensim's compiled
``compute_ngrams_bytes``) and a word's vector with fastText's update (against :func:`step_reference`).

Each typical mistake is a wrong implementation below; its hint is printed when the student's outputs equal that
wrong version's on every case (tests call each wrong version as the student's answer).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nlpcourse.data import Vocab
from nlpcourse.exercise import check_function
from nlpcourse.subwords import BOW, EOW, fnv1a_32, subword_rows

__all__ = ["check_char_ngrams", "check_fasttext_step"]

#: (word, minn, maxn) the student has not seen: ASCII and not, short and long (minn >= 2: the special case of
#: fastText's lone "<" / ">" at minn = 1 is not asked for).
NGRAM_CASES = [("subword", 3, 6), ("ox", 3, 6), ("straße", 2, 4), ("東京都", 2, 3), ("naïveté", 3, 5),
               ("bag", 2, 6), ("ǅemal", 3, 3), ("emoji🙂s", 3, 4)]


# ------------------------------------------------------------------------------- the n-gram extractor
def _reference_ngrams(word: str, minn: int, maxn: int) -> list[bytes]:
    from gensim.models.fasttext_inner import compute_ngrams_bytes

    return compute_ngrams_bytes(word, minn, maxn)


def _wrap(fn: Callable[[str, int, int], list]) -> Callable[[str, int, int], np.ndarray]:
    """n-grams -> a fixed-length vector of their 32-bit hashes (padded with -1), so that ``check_function``
    compares lists of any length and any wrong version can be recognised (a list of another length too)."""
    def run(word: str, minn: int, maxn: int) -> np.ndarray:
        grams = fn(word, minn, maxn)
        if grams is None or grams is Ellipsis:
            return grams  # the stub: check_function says "not answered yet"
        if isinstance(grams, (str, bytes)) or not hasattr(grams, "__iter__"):
            raise TypeError(f"expected a list of n-gram strings, got {type(grams).__name__}")
        hashes = []
        for g in grams:
            if not isinstance(g, (str, bytes)):
                raise TypeError(f"expected n-gram strings, got a {type(g).__name__} in the list")
            hashes.append(fnv1a_32(g if isinstance(g, bytes) else g.encode("utf-8")))
        size = 4 * (len(word) + 2) * (maxn + 1)  # far more than any extractor returns
        out = np.full(size, -1.0)
        out[: min(size, len(hashes))] = hashes[:size]
        return out
    return run


def _forgot_boundaries(word: str, minn: int, maxn: int) -> list[str]:
    return [word[i : i + n] for i in range(len(word)) for n in range(minn, maxn + 1) if i + n <= len(word)]


def _maxn_excluded(word: str, minn: int, maxn: int) -> list[str]:
    w = BOW + word + EOW
    return [w[i : i + n] for i in range(len(w)) for n in range(minn, maxn) if i + n <= len(w)]


def _last_start_missing(word: str, minn: int, maxn: int) -> list[str]:
    w = BOW + word + EOW
    return [w[i : i + n] for i in range(len(w)) for n in range(minn, maxn + 1) if i + n < len(w)]


def _length_outer(word: str, minn: int, maxn: int) -> list[str]:
    w = BOW + word + EOW
    return [w[i : i + n] for n in range(minn, maxn + 1) for i in range(len(w) - n + 1)]


def _bytes_not_characters(word: str, minn: int, maxn: int) -> list[bytes]:
    w = (BOW + word + EOW).encode("utf-8")
    return [w[i : i + n] for i in range(len(w)) for n in range(minn, maxn + 1) if i + n <= len(w)]


def _whole_word_added(word: str, minn: int, maxn: int) -> list[str]:
    w = BOW + word + EOW
    grams = [w[i : i + n] for i in range(len(w)) for n in range(minn, maxn + 1) if i + n <= len(w)]
    return grams if w in grams else [*grams, w]


#: (wrong extractor, hint) for the typical mistakes, in the order they are tried.
NGRAM_MISTAKES = [
    (_forgot_boundaries, 'the word has to be wrapped in "<" and ">" first: "<su" (a prefix) is not "su" '
                         '(anywhere in a word).'),
    (_maxn_excluded, "off by one in n: maxn is included (range(minn, maxn + 1))."),
    (_last_start_missing, "off by one at the end: the last n-gram of each length ends on the final '>' "
                          "(a start i is valid while i + n <= len)."),
    (_length_outer, "the right n-grams in the wrong order: fastText loops over the start position first, then "
                    "over the length."),
    (_bytes_not_characters, "you cut the UTF-8 bytes: n counts characters (\"é\" is one character, two bytes); "
                            "slice the str, not its encoding."),
    (_whole_word_added, 'the lecture\'s "<where>" is the word\'s own vocabulary vector, not an n-gram: it is '
                        "only among the n-grams when it is at most maxn characters long."),
]


def check_char_ngrams(student: object) -> bool:
    """Check the student's ``ngrams(word, minn, maxn) -> list[str]`` against gensim on unseen words."""
    return check_function(_wrap(student) if callable(student) else student, "ngrams", _wrap(_reference_ngrams),
                          NGRAM_CASES, [(_wrap(f), hint) for f, hint in NGRAM_MISTAKES], atol=0, rtol=0,
                          success="your n-grams are gensim's (and fastText's), in the same order.")


# ------------------------------------------------------------------------------- a word's vector and fastText's update
def _step_case(seed: int, n_words: int, bucket: int, d: int, word: str) -> tuple:
    """(matrix (V + bucket, d), rows of ``word`` (its own row first, then its n-grams' buckets: some may repeat),
    grad_h (d,), lr) for a random vocabulary the student has not seen."""
    rng = np.random.default_rng(seed)
    vocab = Vocab([word, *(f"w{i}" for i in range(n_words - 1))], np.arange(n_words, 0, -1))
    rows = subword_rows(word, vocab, 3, 4, bucket)
    return rng.normal(size=(n_words + bucket, d)), rows, rng.normal(size=d), float(rng.uniform(0.01, 0.5))


#: unseen cases; a small bucket count makes two n-grams share a row (a repeated row gets the update twice).
STEP_CASES = [_step_case(1, 4, 6, 3, "subword"), _step_case(2, 6, 50, 5, "naïve"), _step_case(3, 3, 4, 2, "ox"),
              _step_case(4, 8, 9, 4, "rereading")]


def step_reference(matrix: np.ndarray, rows: np.ndarray, grad_h: np.ndarray, lr: float) -> tuple:
    """h = mean of matrix[rows] (d,); then every listed row gets −lr·grad_h, undivided (a repeated row twice)."""
    h = matrix[rows].mean(axis=0)
    updated = matrix.copy()
    np.add.at(updated, rows, -lr * grad_h)
    return h, updated


def _step_sum(matrix, rows, grad_h, lr):
    return matrix[rows].sum(axis=0), step_reference(matrix, rows, grad_h, lr)[1]


def _step_unique_mean(matrix, rows, grad_h, lr):
    return matrix[np.unique(rows)].mean(axis=0), step_reference(matrix, rows, grad_h, lr)[1]


def _step_divided(matrix, rows, grad_h, lr):
    return step_reference(matrix, rows, grad_h / len(rows), lr)


def _step_fancy_index(matrix, rows, grad_h, lr):
    updated = matrix.copy()
    updated[rows] -= lr * grad_h  # a repeated row is written once, not added twice
    return matrix[rows].mean(axis=0), updated


def _step_ascent(matrix, rows, grad_h, lr):
    return step_reference(matrix, rows, -grad_h, lr)


def _step_first_row_only(matrix, rows, grad_h, lr):
    updated = matrix.copy()
    updated[rows[0]] -= lr * grad_h
    return matrix[rows].mean(axis=0), updated


def _step_after_update(matrix, rows, grad_h, lr):
    updated = step_reference(matrix, rows, grad_h, lr)[1]
    return updated[rows].mean(axis=0), updated


#: (wrong implementation, hint) of the word-vector-and-update exercise, tried in this order.
STEP_MISTAKES = [
    (_step_sum, "that is the sum of the rows (the lecture's z_w): fastText's and gensim's vector is their mean"),
    (_step_unique_mean, "a row listed twice (two n-grams in one bucket) counts twice in the mean: average over "
                        "the list as given, repeats included"),
    (_step_after_update, "h is the vector the loss was computed with: take the mean before the update"),
    (_step_divided, "that is the exact gradient of the mean (divided by the number of rows); fastText gives every "
                    "row the whole −lr·dL/dh, undivided"),
    (_step_fancy_index, "a repeated row must get the update twice: `matrix[rows] -= ...` writes it once; "
                        "np.add.at(matrix, rows, ...) adds at every listed position"),
    (_step_ascent, "the step goes against the gradient: subtract lr·grad_h"),
    (_step_first_row_only, "every row of the word's list moves (its own row and every n-gram's bucket), not only "
                           "the first"),
]


def check_fasttext_step(fasttext_step: object) -> bool:
    """The student's ``fasttext_step(matrix, rows, grad_h, lr) -> (h, updated matrix)`` on unseen words."""
    return check_function(fasttext_step, "fasttext_step", step_reference, STEP_CASES, STEP_MISTAKES,
                          output_names=("h", "matrix"), atol=1e-10, rtol=1e-10,
                          success="your word vector is the libraries' mean and your update is fastText's, "
                                  "repeated rows included.")
