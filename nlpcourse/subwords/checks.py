"""Notebook 03's exercise checks: the student's n-gram extractor and hash, run against gensim on unseen words.

Both checks compare with the reference library (gensim's compiled ``compute_ngrams_bytes`` and
``ft_hash_bytes``, which reproduce fastText's C++) through :func:`nlpcourse.exercise.check_function`. Each
typical mistake is a wrong implementation below; the check prints its hint when the student's outputs equal
that wrong version's on every test word (tests call each wrong version as the student's answer).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nlpcourse.exercise import check_function
from nlpcourse.subwords import BOW, EOW, FNV_OFFSET, FNV_PRIME, fnv1a_32

__all__ = ["NGRAM_CASES", "HASH_CASES", "NGRAM_MISTAKES", "HASH_MISTAKES", "check_char_ngrams", "check_fnv1a"]

#: (word, minn, maxn) the student has not seen: ASCII and not, short and long (minn >= 2: the special case of
#: fastText's lone "<" / ">" at minn = 1 is not asked for).
NGRAM_CASES = [("subword", 3, 6), ("ox", 3, 6), ("straße", 2, 4), ("東京都", 2, 3), ("naïveté", 3, 5),
               ("bag", 2, 6), ("ǅemal", 3, 3), ("emoji🙂s", 3, 4)]
#: n-grams (as UTF-8 bytes) the student has not seen, ASCII and not.
HASH_CASES = [b"", b"<su", b"word>", "<ça".encode(), "ßen".encode(), "都>".encode(), "🙂s>".encode(), b"zzzzzz"]


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


# ------------------------------------------------------------------------------- the hash
def _reference_hash(data: bytes) -> int:
    from gensim.models.fasttext_inner import ft_hash_bytes

    return ft_hash_bytes(data)


def _unsigned_bytes(data: bytes) -> int:
    return fnv1a_32(data, signed_bytes=False)


def _fnv1_order(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        if b >= 0x80:
            b |= 0xFFFFFF00
        h = ((h * FNV_PRIME) & 0xFFFFFFFF) ^ b
    return h


def _no_wraparound(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        if b >= 0x80:
            b |= 0xFFFFFF00
        h = (h ^ b) * FNV_PRIME
    return h


#: (wrong hash, hint) for the typical mistakes.
HASH_MISTAKES = [
    (_unsigned_bytes, "right on ASCII, wrong on bytes >= 0x80: fastText casts each byte to a signed int8 first, "
                      "so 0xC3 enters the XOR as 0xFFFFFFC3."),
    (_fnv1_order, "that is FNV-1 (multiply, then XOR): FNV-1a XORs the byte first, then multiplies."),
    (_no_wraparound, "the hash is 32-bit: keep h modulo 2^32 after every multiplication (h & 0xFFFFFFFF)."),
]


def check_fnv1a(student: object) -> bool:
    """Check the student's ``fnv1a(data: bytes) -> int`` against gensim's compiled hash on unseen n-grams."""
    return check_function(student, "fnv1a", _reference_hash, [(c,) for c in HASH_CASES], HASH_MISTAKES,
                          atol=0, rtol=0, success="your hash is fastText's, signed bytes included.")
