"""Training subword vectors: our batched torch trainer, and the two references (gensim ``FastText``, fastText).

Our trainer is word2vec's skip-gram with negative sampling (notebook 01's: vocabulary, subsampling, reduced
windows, unigram^0.75 noise pooled per batch, linear learning-rate decay) with one change: the center word's
vector is the mean of its subword rows, an ``EmbeddingBag`` gather in torch, and its gradient is spread back
over those rows. One :class:`SubwordConfig` sets the hyperparameters of all three trainers, so
``train_subword_sgns``, ``train_gensim_fasttext`` and ``train_fasttext`` run at equal settings.

Typical use::

    config = SubwordConfig(dim=50, epochs=5, bucket=100_000)
    ours = train_subword_sgns(sentences, config)          # SubwordVectors
    ours.vector("unseenword"); ours.most_similar("unseenword")
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from nlpcourse import torch_threads, validate
from nlpcourse.corpus import (
    NegativeSampler,
    WordVectorConfig,
    encode_corpus,
    epoch_windows,
    init_embeddings,
    keep_probabilities,
    linear_lr,
    unigram_noise,
)
from nlpcourse.data import Vocab, load_similarity
from nlpcourse.evaluation import Embeddings, word_similarity
from nlpcourse.perturb import nudge
from nlpcourse.subwords import SubwordVectors, check_n, ngram_ids_batch
from nlpcourse.word2vec.train import (  # notebook 01's trainer: the row without subwords, and its pooled negatives
    SGNSConfig,
    pooled_coefficients,
    train_sgns,
)

__all__ = [
    "SubwordConfig", "subword_bags", "window_bags", "subword_sgns_step", "train_subword_sgns", "train_gensim_fasttext",
    "train_fasttext", "train_fasttext_and_gensim", "gensim_subword_vectors", "fasttext_subword_vectors",
    "train_word2vec", "TRAINERS", "compare_trainers",
]


@dataclass(frozen=True)
class SubwordConfig(WordVectorConfig):
    """The settings our trainer, gensim ``FastText`` and fastText share (``corpus.WordVectorConfig``'s, and these)."""

    dim: int = 50  # d
    lr: float = 0.05  # fastText's default
    batch_size: int = 256  # ours only: a batch adds up its pairs' updates (a small vocabulary wants small batches)
    pool_size: int = 32  # ours only: P noise words per batch, shared by its pairs; a pool word adds up B·K/P updates
    negative: int = 5  # K noise words per pair
    minn: int = 3  # shortest n-gram
    maxn: int = 6  # longest n-gram
    bucket: int = 100_000  # n-gram rows of the input matrix
    threads: int = 1  # torch's threads, gensim's workers, fastText's thread

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("negative", "pool_size", "bucket", "threads"):
            self._set(name, validate.positive_int(getattr(self, name), name))
        minn, maxn = check_n(self.minn, self.maxn)  # 1 <= minn <= maxn
        self._set("minn", minn)
        self._set("maxn", maxn)
        self._set("sample", validate.probability(self.sample, "sample"))
        validate.number(self.min_lr, "min_lr", high=self.lr)


def subword_bags(vocab: Vocab, minn: int, maxn: int, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """Every word's ``subword_rows`` (CSR): rows (T,), offsets (V + 1,); word i: rows[offsets[i]:offsets[i + 1]]."""
    ids, offsets = ngram_ids_batch(vocab.itos, minn, maxn, bucket)
    n = np.diff(offsets) + 1
    rows = np.empty(int(n.sum()), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(n)[:-1]])
    own = np.zeros(len(rows), dtype=bool)
    own[starts] = True
    rows[own] = np.arange(len(vocab))
    rows[~own] = ids + len(vocab)
    return rows, np.concatenate([[0], np.cumsum(n)]).astype(np.int64)


def window_bags(centers: torch.Tensor, bag_rows: torch.Tensor, bag_offsets: torch.Tensor,
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """An epoch's windows (runs of pairs with one center, ``corpus.epoch_windows``) and their centers' bags.

    centers (P,) -> rows (T,): each window's center's ``subword_rows``, window after window; row_start (R + 1,):
    where window r's rows start (T at the end); owner (T,): each row's window; window (P,): each pair's;
    pair_start (R + 1,): where window r's pairs start (P at the end).
    """
    words, window, pairs = torch.unique_consecutive(centers, return_inverse=True, return_counts=True)  # (R,)
    start = bag_offsets.index_select(0, words)
    length = bag_offsets.index_select(0, words + 1) - start  # (R,) the windows' bag sizes
    row_start = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(length, 0)])  # (R + 1,)
    at = torch.repeat_interleave(start - row_start[:-1], length) + torch.arange(int(row_start[-1]))
    owner = torch.repeat_interleave(torch.arange(len(words)), length)  # (T,)
    pair_start = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(pairs, 0)])  # (R + 1,)
    return bag_rows.index_select(0, at), row_start, owner, window, pair_start


@torch.no_grad()
def subword_sgns_step(W: torch.Tensor, C: torch.Tensor, rows: torch.Tensor, offsets: torch.Tensor,
                      owner: torch.Tensor, window: torch.Tensor, contexts: torch.Tensor, pool: torch.Tensor,
                      lr: float, negative: int, loss: bool = False) -> float:
    """One SGD step on B pairs from U windows, in place: h_u = mean of W over window u's center bag, SGNS on h.

    The U bags: ``rows`` (T,) one after the other, starting at ``offsets`` (U,); ``owner`` (T,) each row's window,
    ``window`` (B,) each pair's. Pooled negatives (notebook 01's ``pooled_coefficients``): each pair meets every
    word of ``pool`` (P,) with weight K/P (the expected value of drawing its K negatives from the pool) and skips a
    pool word equal to its context. fastText's update (``Model::update``; gensim's too): every row of a bag gets its
    window's whole −lr·dL/dh, not the exact gradient of the mean (that divided by the bag's size). All pairs
    read the same parameters and their updates add up. W (V + bucket, d), C (V, d). Returns the batch's summed
    loss before the step (NaN unless ``loss``).
    """
    h_window = torch.nn.functional.embedding_bag(rows, W, offsets, mode="mean")  # (U, d) the centers' vectors
    h = h_window.index_select(0, window)  # (B, d) each pair's center
    c, c_pool = C.index_select(0, contexts), C.index_select(0, pool)  # (B, d), (P, d)
    g_pos, g_neg, total = pooled_coefficients(h, c, c_pool, contexts, pool, lr, negative, loss)
    grad_h = torch.addmm(g_pos * c, g_neg, c_pool)  # (B, d) −lr·dL/dh
    C.index_add_(0, contexts, g_pos * h)
    C.index_add_(0, pool, g_neg.T @ h)  # (P, d): a pool word's updates from all B pairs, added up
    grad_window = torch.zeros_like(h_window).index_add_(0, window, grad_h)  # (U, d): a window's pairs added up
    W.index_add_(0, rows, grad_window.index_select(0, owner))  # fastText: to every row, undivided
    return total


def train_subword_sgns(sentences: Sequence[Sequence[str]], config: SubwordConfig = SubwordConfig(),
                       progress: bool = True, history: list[float] | None = None) -> SubwordVectors:
    """Subword skip-gram with negative sampling (fastText's model): ``SubwordVectors`` over the words seen >= min_count.

    W (V + bucket, d) uniform in ±1/d (fastText's init), C (V, d) at zero; each epoch word2vec's subsampled,
    reduced-window pairs, window by window in random order (``corpus.epoch_windows``), K negatives ∝
    count^0.75 pooled ``pool_size`` per batch, ``subword_sgns_step`` on batches of whole windows, about
    ``batch_size`` pairs each, the learning rate decayed linearly. ``history``: each batch's mean loss per pair.
    """
    if not isinstance(config, SubwordConfig):
        raise TypeError(f"config: expected a SubwordConfig, got {type(config).__name__}")
    if isinstance(sentences, str) or not any(len(s) for s in validate.non_empty(sentences, "sentences")):
        raise ValueError("sentences: expected a non-empty list of token lists with at least one token")
    cfg = config
    vocab = Vocab.build(sentences, min_count=cfg.min_count)
    if len(vocab) < 2:
        raise ValueError(f"min_count: only {len(vocab)} word(s) occur >= {cfg.min_count} times; lower it")
    corpus, sentence_id = encode_corpus(sentences, vocab)
    keep = keep_probabilities(vocab.counts, cfg.sample).astype(np.float32)
    rng = np.random.default_rng(cfg.seed)
    sampler = NegativeSampler(unigram_noise(vocab.counts, 0.75), seed=cfg.seed + 1)
    bag_rows, bag_offsets = (torch.from_numpy(a) for a in subword_bags(vocab, cfg.minn, cfg.maxn, cfg.bucket))
    W, C = init_embeddings(len(vocab) + cfg.bucket, len(vocab), cfg.dim, cfg.seed)
    W *= 2.0  # fastText's and gensim's ±1/d (word2vec's, corpus.init_embeddings, is ±0.5/d)
    with torch_threads(cfg.threads):
        for epoch in tqdm(range(cfg.epochs), desc="subword SGNS epochs", disable=not progress):
            centers, contexts = (torch.from_numpy(a).long()
                                 for a in epoch_windows(corpus, sentence_id, keep, cfg.window, rng))
            rows, row_start, owner, window, pair_start = window_bags(centers, bag_rows, bag_offsets)
            batch = pair_start[:-1].numpy() // cfg.batch_size  # (R,) the batch where each window's first pair falls
            cuts = [*np.flatnonzero(np.diff(batch, prepend=-1)).tolist(), len(batch)]  # batch b: windows cuts[b]..
            at_pair, at_row = pair_start.tolist(), row_start.tolist()
            pools = torch.from_numpy(sampler.draw((len(cuts) - 1, cfg.pool_size)))  # (batches, P)
            for b, (u0, u1) in enumerate(itertools.pairwise(cuts)):  # windows u0..u1-1: pairs p0..p1-1, rows t0..t1-1
                (p0, p1), (t0, t1) = (at_pair[u0], at_pair[u1]), (at_row[u0], at_row[u1])
                lr = linear_lr(cfg.lr, cfg.min_lr, (epoch + p0 / len(centers)) / cfg.epochs)
                loss = subword_sgns_step(W, C, rows[t0:t1], row_start[u0:u1] - t0, owner[t0:t1] - u0,
                                         window[p0:p1] - u0, contexts[p0:p1], pools[b], lr, cfg.negative,
                                         history is not None)
                if history is not None:
                    history.append(loss / (p1 - p0))
    if not (torch.isfinite(W).all() and torch.isfinite(C).all()):
        raise ValueError(f"lr, batch_size: training diverged (NaN or inf) with lr={cfg.lr}, "
                         f"batch_size={cfg.batch_size}; lower one of them (a batch adds up its pairs' updates)")
    return SubwordVectors(W.numpy(), vocab, cfg.minn, cfg.maxn, cfg.bucket)


# ---------------------------------------------------------------------------------------- the references
def train_gensim_fasttext(sentences: Sequence[Sequence[str]], config: SubwordConfig = SubwordConfig()) -> object:
    """gensim's ``FastText`` (skip-gram, negative sampling) at ``config``'s settings; returns the gensim model.

    ``workers=1`` and a fixed seed (with PYTHONHASHSEED=0) make it reproducible on one machine.
    """
    from gensim.models import FastText

    c = config
    sentences = list(map(list, sentences))
    model = FastText(vector_size=c.dim, window=c.window, negative=c.negative, sg=1, hs=0, epochs=c.epochs,
                     min_count=c.min_count, sample=c.sample, alpha=c.lr, min_alpha=c.min_lr, min_n=c.minn,
                     max_n=c.maxn, bucket=c.bucket, seed=c.seed, workers=c.threads)
    model.build_vocab(sentences)  # what FastText(sentences, ...) does, split to nudge the starting vectors
    nudge(model)
    model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs)
    return model


def train_fasttext(sentences: Sequence[Sequence[str]], config: SubwordConfig = SubwordConfig()) -> object:
    """fastText's own ``train_unsupervised`` (skip-gram, loss "ns") at ``config``'s settings.

    fastText reads a file: the tokens are written to a temporary file, one sentence a line, which is deleted
    afterwards (with the model file). fastText neither lowercases nor drops punctuation, so it sees exactly the
    same tokens; it adds an end-of-line token "</s>" to its vocabulary. Its learning rate decays linearly to 0
    (``min_lr`` unused), and its Python bindings take no seed. Its parameters are initialised and trained inside
    the C++ library, so ``perturb.nudge`` cannot reach them: under ``NLPCOURSE_PERTURB`` this run is unchanged.

    The training runs in a fresh Python process, which saves the model for this one to load: inside a process
    that has already allocated and freed memory, the bindings' training is not reproducible (two runs on the same
    file differ, and small corpora sometimes end in "Encountered NaN"), while fresh processes agree bit for bit.
    Returns the ``fasttext`` model (``get_subwords``, ``get_word_vector``, ``get_input_matrix``, ...).
    """
    return _FastTextProcess(sentences, config).model()


def train_fasttext_and_gensim(sentences: Sequence[Sequence[str]], config: SubwordConfig = SubwordConfig()
                              ) -> tuple[object, object]:
    """(``train_fasttext``, ``train_gensim_fasttext``) at ``config``'s settings, side by side: fastText trains in
    its own process (as ``train_fasttext`` always does) while gensim trains in this one. The same two models."""
    run = _FastTextProcess(sentences, config)
    try:
        gensim_model = train_gensim_fasttext(sentences, config)
    except BaseException:
        run.stop()
        raise
    return run.model(), gensim_model


class _FastTextProcess:
    """``train_fasttext``'s fresh process, started on creation (the tokens written to a temporary folder);
    ``model()`` waits for it and loads the model, ``stop()`` ends it. Either removes the folder."""

    def __init__(self, sentences: Sequence[Sequence[str]], c: SubwordConfig) -> None:
        import fasttext  # noqa: F401 (here, so that a missing binding fails before any work)

        options = dict(model="skipgram", dim=c.dim, ws=c.window, neg=c.negative, epoch=c.epochs,
                       minCount=c.min_count, t=c.sample, lr=c.lr, minn=c.minn, maxn=c.maxn, bucket=c.bucket,
                       thread=c.threads, verbose=0, loss="ns")
        self.folder = tempfile.TemporaryDirectory(prefix="nlpcourse-fasttext-")
        text, self.path = os.path.join(self.folder.name, "tokens.txt"), os.path.join(self.folder.name, "model.bin")
        script = ("import json, sys, fasttext; "
                  "fasttext.train_unsupervised(sys.argv[1], **json.loads(sys.argv[2])).save_model(sys.argv[3])")
        try:
            with open(text, "w", encoding="utf-8") as f:
                f.writelines(" ".join(s) + "\n" for s in sentences)
            self.process = subprocess.Popen([sys.executable, "-c", script, text, json.dumps(options), self.path],
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except BaseException:  # no process started: the folder goes now
            self.folder.cleanup()
            raise

    def model(self) -> object:
        import fasttext

        try:
            _, stderr = self.process.communicate()
            if self.process.returncode != 0:
                raise RuntimeError(f"fastText training failed: {stderr.strip().splitlines()[-1:]}")
            return fasttext.load_model(self.path)
        finally:
            self.folder.cleanup()

    def stop(self) -> None:
        self.process.kill()
        self.process.communicate()
        self.folder.cleanup()


def gensim_subword_vectors(model: object) -> SubwordVectors:
    """gensim's trained matrices as ``SubwordVectors``: [vectors_vocab; vectors_ngrams] over its vocabulary."""
    wv = getattr(model, "wv", model)
    if not hasattr(wv, "vectors_ngrams"):
        raise TypeError(f"model: expected a gensim FastText model, got {type(model).__name__}")
    words = list(wv.index_to_key)
    vocab = Vocab(words, [wv.get_vecattr(w, "count") for w in words])
    return SubwordVectors(np.vstack([wv.vectors_vocab, wv.vectors_ngrams]), vocab, wv.min_n, wv.max_n, wv.bucket)


def fasttext_subword_vectors(model: object) -> SubwordVectors:
    """fastText's input matrix (nwords + bucket, d) as ``SubwordVectors`` over its vocabulary."""
    if not hasattr(model, "get_input_matrix"):
        raise TypeError(f"model: expected a fasttext model, got {type(model).__name__}")
    words, counts = model.get_words(include_freq=True)
    a = model.f.getArgs()
    return SubwordVectors(model.get_input_matrix(), Vocab(words, counts), a.minn, a.maxn, a.bucket)


def train_word2vec(sentences: Sequence[Sequence[str]], config: SubwordConfig = SubwordConfig()) -> Embeddings:
    """Notebook 01's ``train_sgns`` at ``config``'s shared settings: the row without subwords."""
    shared = {f.name: getattr(config, f.name) for f in fields(WordVectorConfig)}
    return train_sgns(list(map(list, sentences)), SGNSConfig(**shared, negative=config.negative,
                                                             threads=config.threads), progress=False)


#: name -> function(sentences, config) -> SubwordVectors, for the side-by-side comparison.
TRAINERS = {
    "ours": lambda s, c: train_subword_sgns(s, c, progress=False),
    "gensim FastText": lambda s, c: gensim_subword_vectors(train_gensim_fasttext(s, c)),
    "fastText": lambda s, c: fasttext_subword_vectors(train_fasttext(s, c)),
}


def compare_trainers(sentences: Sequence[Sequence[str]], config: SubwordConfig = SubwordConfig(),
                     seeds: Sequence[int] = (0, 1, 2), trainers: Sequence[str] = tuple(TRAINERS),
                     progress: bool = True, trained: Mapping[tuple[str, int], object] | None = None,
                     ) -> tuple[pd.DataFrame, dict[tuple[str, int], SubwordVectors]]:
    """Each trainer once per seed at ``config``'s settings, scored on WordSim353 and SimLex-999.

    ``word2vec`` (``train_word2vec``) has no vector for words it never saw; the subword trainers have one for
    every word. fastText's bindings take no seed and one thread reproduces its run, so it runs once (the first
    seed). ``trained``: runs already made at these settings, by (trainer, seed), reused instead of retrained.
    Returns DataFrame[trainer, seed, wordsim353, simlex999, oov_wordsim353, oov_simlex999] (Spearman ρ, OOV
    ratios in 0..1) and the subword vectors by (trainer, seed).
    """
    known = (*TRAINERS, "word2vec")
    trainers = [validate.one_of(t, "trainers", known) for t in validate.non_empty(trainers, "trainers")]
    seeds = [validate.non_negative_int(s, "seeds") for s in validate.non_empty(seeds, "seeds")]
    trained = dict(trained or {})
    sets = {name: load_similarity(name) for name in ("wordsim353", "simlex999")}
    eval_words = sorted({w for df in sets.values() for col in ("word1", "word2") for w in df[col]})
    rows, models = [], {}
    runs = [(seed, name) for seed in seeds for name in trainers if name != "fastText" or seed == seeds[0]]
    for seed, name in tqdm(runs, desc="trainers × seeds", disable=not progress):
        cfg = replace(config, seed=seed)
        if name == "word2vec":
            emb = trained[name, seed] if (name, seed) in trained else train_word2vec(sentences, cfg)
        else:
            reused = (name, seed) in trained
            models[name, seed] = trained[name, seed] if reused else TRAINERS[name](sentences, cfg)
            emb = models[name, seed].embeddings(eval_words)
        results = {k: word_similarity(emb, df) for k, df in sets.items()}
        rows.append({"trainer": name, "seed": seed} | {k: r.spearman for k, r in results.items()}
                    | {f"oov_{k}": r.oov_ratio for k, r in results.items()})
    return pd.DataFrame(rows), models
