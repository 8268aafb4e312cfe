"""Corpora, evaluation sets, tokenising and the vocabulary: where every notebook's data comes from.

Nothing is downloaded. The real text ships inside gensim (``gensim/test/test_data``):

============================  =====================================================================
``lee_background.cor``        300 Australian news stories (Lee corpus), one story per line
``head500.noblanks.cor``      250 Wikipedia articles, already tokenised, stop-worded, Porter-stemmed
``pang_lee_polarity.cor``     200 movie-review sentences with ``__label__pos`` / ``__label__neg``
``wordsim353.tsv``            353 word pairs with human similarity scores (0-10)
``simlex999.txt``             999 word pairs with human similarity scores (0-10)
``questions-words.txt``       19,544 analogy questions ``a b c d`` (a : b :: c : d) in 14 sections
============================  =====================================================================

plus small hand-made files in the repository's ``data/`` folder, checked against ``data/SHA256SUMS``
(:func:`data_file`).

Typical use::

    sentences = load_corpus("lee_background.cor")     # list of lists of tokens
    vocab = Vocab.build(sentences, min_count=5)
    ids = vocab.encode(sentences[0])                   # np.ndarray of int64
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import validate

__all__ = [
    "CORPORA",
    "DATA_DIR",
    "corpus_path",
    "tokenize",
    "load_corpus",
    "load_toy_sentences",
    "Vocab",
    "load_similarity",
    "load_analogies",
    "load_polarity",
    "porter_stem",
    "data_file",
    "sha256",
]

#: The files of gensim's test data that the course uses, with one line saying what each one is.
CORPORA: dict[str, str] = {
    "lee_background.cor": "300 news stories, one per line (raw text)",
    "head500.noblanks.cor": "250 Wikipedia articles, tokenised and Porter-stemmed",
    "pang_lee_polarity.cor": "200 movie-review sentences labelled __label__pos / __label__neg",
    "wordsim353.tsv": "WordSim-353 word pairs with human similarity scores",
    "simlex999.txt": "SimLex-999 word pairs with human similarity scores",
    "questions-words.txt": "Google analogy questions a b c d in 14 sections",
}

#: The repository's folder of small hand-made inputs (verified by :func:`data_file`).
DATA_DIR: Path = Path(__file__).resolve().parent.parent / "data"

# The similarity sets by short name (``load_similarity("wordsim353")``).
_SIMILARITY_FILES = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}

# gensim.utils.PAT_ALPHABETIC: a run of word characters that are not digits.
_WORD = re.compile(r"(((?![\d])\w)+)", re.UNICODE)


# ------------------------------------------------------------------------------------------ files
def corpus_path(name: str) -> Path:
    """The path of gensim's bundled data file ``name`` (a key of :data:`CORPORA`); an unknown name is a
    KeyError listing the known ones."""
    if name not in CORPORA:
        close = difflib.get_close_matches(str(name), CORPORA, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"name: unknown corpus {name!r}; expected one of {sorted(CORPORA)}.{hint}")
    # gensim.test.utils.datapath(name), found without importing gensim (its scipy.stats import takes seconds)
    spec = importlib.util.find_spec("gensim")
    if spec is None or spec.origin is None:  # pragma: no cover - gensim is a dependency
        raise ModuleNotFoundError(f"{name}: gensim's test data needs gensim installed")
    path = Path(spec.origin).parent / "test" / "test_data" / name
    if not path.is_file():  # pragma: no cover - a broken gensim install
        raise FileNotFoundError(f"{name}: expected gensim's test data at {path}, but it is missing")
    return path


def sha256(path: str | Path) -> str:
    """The SHA-256 hex digest (64 lowercase hex characters) of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _registered_hashes() -> dict[str, str]:
    """file name -> expected sha256, read from ``data/SHA256SUMS`` (``sha256sum`` format)."""
    hashes = {}
    for line in _lines(DATA_DIR / "SHA256SUMS"):
        if not line.startswith("#"):
            digest, fname = line.split(maxsplit=1)
            hashes[fname.lstrip("*").strip()] = digest.lower()
    return hashes


def data_file(name: str) -> Path:
    """The path of ``data/<name>``, after its sha256 matched ``data/SHA256SUMS`` (KeyError: not registered;
    ValueError: changed content, naming both hashes)."""
    hashes = _registered_hashes()
    if name not in hashes:
        raise KeyError(f"name: {name!r} is not registered in data/SHA256SUMS; expected one of {sorted(hashes)}")
    path = DATA_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"name: {name!r} is registered in data/SHA256SUMS but {path} is missing")
    got = sha256(path)
    if got != hashes[name]:
        raise ValueError(
            f"data/{name}: sha256 mismatch, expected {hashes[name]} (data/SHA256SUMS), got {got}; "
            "the file was changed: restore it or register its new hash"
        )
    return path


# ------------------------------------------------------------------------------------------ text
def tokenize(text: str, min_len: int = 2, max_len: int = 15) -> list[str]:
    r"""Lowercase ``text`` and split it into alphabetic tokens (n str), like gensim's ``simple_preprocess``.

    A token is a run of letters (``\w`` without digits); tokens shorter than ``min_len`` (1 keeps "a", "i") or
    longer than ``max_len`` characters, or starting with ``_``, are dropped. With the defaults this equals
    ``gensim.utils.simple_preprocess(text)`` (tested)."""
    if not isinstance(text, str):
        raise ValueError(f"text: expected a str, got {type(text).__name__}")
    min_len, max_len = validate.integer(min_len, "min_len"), validate.integer(max_len, "max_len")
    if min_len < 1 or max_len < min_len:
        raise ValueError(f"min_len, max_len: expected 1 <= min_len <= max_len, got {min_len}, {max_len}")
    return [
        m.group()
        for m in _WORD.finditer(text.lower())
        if min_len <= len(m.group()) <= max_len and not m.group().startswith("_")
    ]


def _lines(path: Path, encoding: str = "utf-8") -> Iterator[str]:
    """The non-blank lines of a text file, without their newline."""
    with open(path, encoding=encoding) as f:
        for line in f:
            if line.strip():
                yield line.rstrip("\n")


def load_corpus(name: str = "lee_background.cor") -> list[list[str]]:
    """A corpus as sentences (lists of str), one per non-empty line: lee 300, head500 250, pang_lee 200.

    - ``lee_background.cor`` and ``pang_lee_polarity.cor``: lowercased :func:`tokenize` tokens
      (= gensim ``simple_preprocess``); the polarity labels are dropped (see :func:`load_polarity`).
    - ``head500.noblanks.cor``: already tokenised (stemmed Wikipedia), split on whitespace."""
    texts = ("lee_background.cor", "head500.noblanks.cor", "pang_lee_polarity.cor")
    corpus_path(name)  # KeyError for unknown names
    if name not in texts:
        raise ValueError(f"name: expected a text corpus, one of {list(texts)}, got the evaluation set {name!r}")
    return [list(sentence) for sentence in _corpus(name)]  # fresh lists: callers may mutate them


@cache
def _corpus(name: str) -> tuple[tuple[str, ...], ...]:
    """The tokenised corpus, read once per process (immutable; :func:`load_corpus` hands out copies)."""
    if name == "pang_lee_polarity.cor":
        return tuple(tuple(tokens) for tokens in _polarity()["tokens"])
    split = str.split if name == "head500.noblanks.cor" else tokenize
    return tuple(tuple(split(line)) for line in _lines(corpus_path(name)))


def load_toy_sentences() -> list[list[str]]:
    """The hand-made toy sentences of ``data/toy_sentences.txt`` (verified), lowercased, 1-letter words kept.

    The first is the lecture's window example: ``lemon a tablespoon of apricot jam a pinch``."""
    path = data_file("toy_sentences.txt")
    return [tokenize(line, min_len=1) for line in _lines(path) if not line.startswith("#")]


# ------------------------------------------------------------------------------------------ vocab
class Vocab:
    """Word <-> id mapping with counts; ids sorted by descending count, ties alphabetically.

    ``itos[i]`` is the word with id i (V words), ``stoi`` maps word -> id, ``counts`` (V,) int64 its occurrences
    (non-increasing)."""

    def __init__(self, itos: Sequence[str], counts: Sequence[int] | np.ndarray) -> None:
        """A vocabulary of V distinct words ``itos`` in id order and V non-negative ``counts`` (:meth:`build`
        counts a corpus)."""
        itos = list(itos)
        counts = np.asarray(counts, dtype=np.int64)
        if counts.shape != (len(itos),):
            raise ValueError(f"counts: expected shape ({len(itos)},) to match itos, got {counts.shape}")
        if len(set(itos)) != len(itos):
            dup = [w for w, c in Counter(itos).items() if c > 1][:5]
            raise ValueError(f"itos: expected distinct words, got duplicates {dup}")
        if (counts < 0).any():
            raise ValueError("counts: expected non-negative counts, got a negative one")
        self.itos: list[str] = itos
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(itos)}
        self.counts: np.ndarray = counts

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 1, max_size: int | None = None) -> Vocab:
        """Count the words of ``sentences`` (lists of str) and keep those seen >= ``min_count`` times, at most
        ``max_size`` of the most frequent (None: all); ids by descending count, ties alphabetical."""
        min_count = validate.positive_int(min_count, "min_count")
        if max_size is not None:
            max_size = validate.integer(max_size, "max_size", low=1, what="None or an int")
        if isinstance(sentences, str):
            raise ValueError("sentences: expected a list of token lists, got a str")
        counter: Counter[str] = Counter()
        for i, sentence in enumerate(sentences):
            if isinstance(sentence, str):
                raise ValueError(
                    f"sentences: expected a list of token lists, got a str at position {i} ({sentence[:30]!r}); "
                    "tokenize it first"
                )
            counter.update(sentence)
        if not counter:
            raise ValueError("sentences: expected at least one token, got an empty corpus")
        items = sorted(((w, c) for w, c in counter.items() if c >= min_count), key=lambda wc: (-wc[1], wc[0]))
        if not items:
            raise ValueError(
                f"min_count: no word occurs {min_count} times or more (the most frequent occurs "
                f"{counter.most_common(1)[0][1]} times); lower min_count"
            )
        if max_size is not None:
            items = items[:max_size]
        return cls([w for w, _ in items], [c for _, c in items])

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: object) -> bool:
        return word in self.stoi

    def __iter__(self) -> Iterator[str]:
        return iter(self.itos)

    def __getitem__(self, word: str) -> int:
        """``v[word]`` is ``v.index(word)``."""
        return self.index(word)

    def __repr__(self) -> str:
        head = ", ".join(self.itos[:5]) + (", ..." if len(self) > 5 else "")
        return f"Vocab(size={len(self)}, tokens={int(self.counts.sum())}, most frequent: {head})"

    def index(self, word: str) -> int:
        """The id of ``word``; KeyError naming the word (and close known words) when it is unknown."""
        try:
            return self.stoi[word]
        except (KeyError, TypeError):
            close = difflib.get_close_matches(str(word), self.itos, n=3) if isinstance(word, str) else []
            hint = f"; close words in the vocabulary: {close}" if close else ""
            raise KeyError(f"word: {word!r} is not in the vocabulary ({len(self)} words){hint}") from None

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Ids (m,) int64 of the n known ``tokens`` (unknown ones dropped, m <= n; a single str is refused)."""
        if isinstance(tokens, str):
            raise ValueError(f"tokens: expected a list of str tokens, got a str {tokens[:30]!r}; tokenize it first")
        return np.array([self.stoi[t] for t in tokens if t in self.stoi], dtype=np.int64)

    def decode(self, ids: Iterable[int] | np.ndarray) -> list[str]:
        """The m words of m ``ids`` in [0, V)."""
        arr = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids)
        if arr.size == 0:
            return []
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"ids: expected a 1-d sequence of ints, got shape {arr.shape} dtype {arr.dtype}")
        bad = arr[(arr < 0) | (arr >= len(self))]
        if bad.size:
            raise KeyError(f"ids: expected ids in [0, {len(self)}), got {int(bad[0])}")
        return [self.itos[i] for i in arr.tolist()]

    def frequencies(self) -> np.ndarray:
        """Relative frequencies: float64 array of shape (V,), ``counts / counts.sum()`` (sums to 1)."""
        total = self.counts.sum()
        if total == 0:
            raise ValueError("counts: all counts are zero, frequencies are undefined")
        return self.counts / total


# ------------------------------------------------------------------------------------------ evaluation sets
def _read_pairs(path: Path) -> pd.DataFrame:
    rows = []
    for line in _lines(path):
        if line.startswith("#"):
            continue
        w1, w2, score = line.split("\t")[:3]
        rows.append((w1.lower(), w2.lower(), float(score)))
    return pd.DataFrame(rows, columns=["word1", "word2", "score"])


def load_similarity(name: str = "wordsim353") -> pd.DataFrame:
    """A word-similarity set: DataFrame[word1, word2 (lowercased str), score (float64, 0-10)], one row a pair.

    ``"wordsim353"`` (353 pairs, relatedness) or ``"simlex999"`` (999 pairs, similarity); the file names work too."""
    fname = _SIMILARITY_FILES.get(name, name)
    if fname not in _SIMILARITY_FILES.values():
        raise KeyError(f"name: unknown similarity set {name!r}; expected one of {sorted(_SIMILARITY_FILES)}")
    return _read_pairs(corpus_path(fname))


def load_analogies() -> pd.DataFrame:
    """The Google analogy questions a : b :: c : d, lowercased: DataFrame[section, a, b, c, d], 19,544 rows in
    file order."""
    rows = []
    section = ""
    for line in _lines(corpus_path("questions-words.txt")):
        if line.startswith(":"):
            section = line[1:].strip()
            continue
        a, b, c, d = line.lower().split()
        rows.append((section, a, b, c, d))
    return pd.DataFrame(rows, columns=["section", "a", "b", "c", "d"])


@cache
def _polarity() -> pd.DataFrame:
    rows = []
    # The file is Windows-1252 (its em-dashes are byte 0x97), not UTF-8.
    for line in _lines(corpus_path("pang_lee_polarity.cor"), encoding="cp1252"):
        label, _, text = line.partition(" ")
        if label not in ("__label__pos", "__label__neg"):
            raise ValueError(f"pang_lee_polarity.cor: expected a __label__pos/neg prefix, got {line[:40]!r}")
        text = text.strip()
        rows.append((int(label == "__label__pos"), text, tokenize(text)))
    return pd.DataFrame(rows, columns=["label", "text", "tokens"])


def load_polarity() -> pd.DataFrame:
    """The 200 labelled movie-review sentences of pang_lee_polarity.cor: DataFrame[label (1 positive, 0
    negative), text, tokens (:func:`tokenize` of the text)]."""
    df = _polarity().copy()
    df["tokens"] = [list(t) for t in df["tokens"]]  # callers may mutate their copy
    return df


# ------------------------------------------------------------------------------------------ stemming
@cache
def _stemmer():
    from gensim.parsing.porter import PorterStemmer

    return PorterStemmer()


def porter_stem(word: str) -> str:
    """The Porter stem of ``word`` ("dictionary" -> "dictionari"; gensim's PorterStemmer, which made
    head500.noblanks.cor)."""
    if not isinstance(word, str):
        raise ValueError(f"word: expected a str, got {type(word).__name__}")
    return _stem(word)


@cache
def _stem(word: str) -> str:
    """``porter_stem`` without the check, remembered: an evaluation stems the same few thousand words each run."""
    return _stemmer().stem(word)
