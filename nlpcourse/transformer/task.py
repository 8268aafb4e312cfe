"""Notebook 08's task, generated in code: English number words -> German number words, 1 … 999.

"three hundred twenty one" -> "drei hundert ein und zwanzig": German says the ones before the tens
("one-and-twenty"), so the alignment crosses itself — the cross-attention map has something to show. One shared
vocabulary holds both languages' words and the specials (as a shared subword vocabulary does in real
translation), so a prompt ``source + <s>`` and the target live in the same id space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import validate

__all__ = ["english", "german", "alignment", "PAD", "BOS", "EOS", "NumberTask", "number_task"]

_EN_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
            "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_DE_ONES = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf",
            "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn"]
_DE_TENS = ["", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig"]
PAD, BOS, EOS = "<pad>", "<s>", "</s>"


def _number(n: int) -> int:
    return validate.integer(n, "n", low=1, high=999)


def english(n: int) -> list[str]:
    """1 … 999 in English words: 321 -> ["three", "hundred", "twenty", "one"]."""
    n = _number(n)
    words = [_EN_ONES[n // 100], "hundred"] if n >= 100 else []
    rest = n % 100
    if rest >= 20:
        words += [_EN_TENS[rest // 10]] + ([_EN_ONES[rest % 10]] if rest % 10 else [])
    elif rest:
        words.append(_EN_ONES[rest])
    return words


def german(n: int) -> list[str]:
    """1 … 999 in German words, one token per part: 321 -> ["drei", "hundert", "ein", "und", "zwanzig"]."""
    n = _number(n)
    words = [("ein" if n // 100 == 1 else _DE_ONES[n // 100]), "hundert"] if n >= 100 else []
    rest = n % 100
    if rest >= 20:
        ones = rest % 10
        words += ([("ein" if ones == 1 else _DE_ONES[ones]), "und"] if ones else []) + [_DE_TENS[rest // 10]]
    elif rest:
        words.append(_DE_ONES[rest])
    return words


def alignment(n: int) -> np.ndarray:
    """The alignment a person draws: (len(german(n)), len(english(n))) 0/1, German word i ↔ English word j.

    Hundreds to hundreds, "hundert" to "hundred", the ones to the ones, the tens to the tens; "und" has no
    English word (its row is empty).
    """
    en, de = english(n), german(n)
    out = np.zeros((len(de), len(en)))
    rest, j0 = _number(n) % 100, (2 if n >= 100 else 0)
    if n >= 100:
        out[0, 0] = out[1, 1] = 1
    i0 = 2 if n >= 100 else 0
    if rest >= 20 and rest % 10:
        out[i0, j0 + 1] = 1  # the ones come first in German, second in English
        out[i0 + 2, j0] = 1  # the tens: last in German, first in English
    elif rest:
        out[i0, j0] = 1
    return out


@dataclass
class NumberTask:
    """The data set: the shared vocabulary and the numbers of each split (train / validation / test)."""

    itos: list[str]
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def __post_init__(self) -> None:
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.pad, self.bos, self.eos = self.stoi[PAD], self.stoi[BOS], self.stoi[EOS]
        self.src_len = max(len(english(n)) for n in range(1, 1000))
        self.tgt_len = max(len(german(n)) for n in range(1, 1000)) + 1  # + </s> (or <s> in front)
        self.english_words = {w for n in range(1, 1000) for w in english(n)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode_source(self, numbers: object) -> np.ndarray:
        """English words of each number, padded to ``src_len``: (N, src_len) int64."""
        numbers = validate.int_array(numbers, "numbers", ndim=1)
        out = np.full((len(numbers), self.src_len), self.pad, dtype=np.int64)
        for row, n in enumerate(numbers.tolist()):
            ids = [self.stoi[w] for w in english(n)]
            out[row, : len(ids)] = ids
        return out

    def encode_target(self, numbers: object) -> tuple[np.ndarray, np.ndarray]:
        """Teacher forcing's pair: decoder input ``<s> w1 … wT`` and output ``w1 … wT </s>``, padded:
        two (N, tgt_len) int64 arrays."""
        numbers = validate.int_array(numbers, "numbers", ndim=1)
        inp = np.full((len(numbers), self.tgt_len), self.pad, dtype=np.int64)
        out = inp.copy()
        for row, n in enumerate(numbers.tolist()):
            ids = [self.stoi[w] for w in german(n)]
            inp[row, : len(ids) + 1] = [self.bos, *ids]
            out[row, : len(ids) + 1] = [*ids, self.eos]
        return inp, out

    def words(self, ids: object) -> list[str]:
        """Ids -> words, stopping at </s>, without <pad> and <s>."""
        out = []
        for i in np.asarray(ids).tolist():
            if i == self.eos:
                break
            if i not in (self.pad, self.bos):
                out.append(self.itos[i])
        return out


def number_task(seed: int = 0, val: int = 100, test: int = 200) -> NumberTask:
    """1 … 999 shuffled with ``seed``: ``test`` numbers for the test set, ``val`` for validation, the rest
    (699 by default) for training. The vocabulary: specials, then English words, then German words."""
    seed = validate.non_negative_int(seed, "seed")
    val, test = validate.positive_int(val, "val"), validate.positive_int(test, "test")
    if val + test > 900:
        raise ValueError(f"val, test: expected val + test <= 900 (at least 99 numbers to train on), got {val + test}")
    numbers = np.random.default_rng(seed).permutation(np.arange(1, 1000))
    en = sorted({w for n in range(1, 1000) for w in english(n)}, key=lambda w: (_order(w), w))
    de = sorted({w for n in range(1, 1000) for w in german(n)}, key=lambda w: (_order(w), w))
    return NumberTask([PAD, BOS, EOS, *en, *de], np.sort(numbers[val + test:]), np.sort(numbers[:val]),
                      np.sort(numbers[val : val + test]))


def _order(word: str) -> int:
    """Words in counting order (one, two, … twenty, … hundred), for a readable vocabulary."""
    for table in (_EN_ONES, _DE_ONES, _EN_TENS, _DE_TENS):
        if word in table:
            return table.index(word) + (100 if table in (_EN_TENS, _DE_TENS) else 0)
    return {"ein": 1, "und": 150, "hundred": 200, "hundert": 200}[word]
