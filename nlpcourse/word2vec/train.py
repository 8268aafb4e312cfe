"""word2vec's trainers (notebook 01): batched SGNS in torch, gensim's as the reference, and probes of the result.

``train_sgns`` takes one ``SGNSConfig`` (nanoGPT's ``GPTConfig`` style) — or its fields as keywords — and runs
the shared pipeline of ``nlpcourse.corpus`` (encode, subsample, epoch pairs, noise sampler, linear lr, init)
with a hand-written batched update (``sgns_batch_step`` / ``sgns_pool_step``, equal to the numpy loss of the
topic's ``__init__`` on small inputs). ``compare_with_gensim`` trains both on the same tokens.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .. import torch_threads, validate
from ..corpus import (
    NegativeSampler,
    TrainConfig,
    encode_corpus,
    epoch_pairs,
    init_embeddings,
    keep_probabilities,
    linear_lr,
    unigram_noise,
)
from ..data import Vocab, load_similarity, porter_stem
from ..evaluation import Embeddings, word_similarity
from ..perturb import nudge

__all__ = [
    "sgns_batch_loss", "sgns_batch_step", "sgns_pool_step", "SGNSConfig", "train_sgns",
    "train_gensim", "compare_with_gensim", "lr_sweep", "best_lrs", "compare_at_best_lr", "format_sweep",
    "comparison_verdict", "oov_by_min_count", "gender_direction",
]


# ---------------------------------------------------------------- one batched step (torch)
def sgns_batch_loss(W: torch.Tensor, C: torch.Tensor, centers: torch.Tensor, contexts: torch.Tensor,
                    negatives: torch.Tensor) -> torch.Tensor:
    """Summed SGNS loss of a batch of B pairs (layer 3; equals the sum of ``neg_sampling_loss_and_grad``).

    Args:
        W: (V, d) target embeddings.  C: (V, d) context embeddings.
        centers: (B,) ids.  contexts: (B,) ids.  negatives: (B, K) ids.
    Returns:
        a scalar tensor.
    """
    w = W[centers]
    pos = (w * C[contexts]).sum(-1)
    neg = torch.bmm(C[negatives], w.unsqueeze(-1)).squeeze(-1)
    return -torch.nn.functional.logsigmoid(pos).sum() - torch.nn.functional.logsigmoid(-neg).sum()


@torch.no_grad()
def sgns_batch_step(W: torch.Tensor, C: torch.Tensor, centers: torch.Tensor, contexts: torch.Tensor,
                    negatives: torch.Tensor, lr: float) -> float:
    """One SGD step on a batch, in place, with the hand-derived gradients (no autograd: ~3x faster).

    All B pairs read the same parameters and their updates are summed (``index_add_``), as the
    word2vec threads do (Hogwild). A negative equal to its pair's positive is ignored (gensim skips it).

    Args:
        W, C: (V, d) float32 parameters, updated in place.  centers, contexts: (B,).  negatives: (B, K).
        lr: the learning rate.
    Returns:
        the batch's summed loss before the step (float).
    """
    batch, dim = len(centers), W.shape[1]
    w = W.index_select(0, centers)  # (B, d); index_select is ~3x faster than W[centers] on CPU
    ids = torch.cat([contexts.unsqueeze(1), negatives], dim=1)  # (B, 1+K)
    c = C.index_select(0, ids.view(-1)).view(batch, -1, dim)  # (B, 1+K, d)
    scores = torch.bmm(c, w.unsqueeze(-1)).squeeze(-1)  # (B, 1+K)
    labels = torch.zeros_like(scores)
    labels[:, 0] = 1.0
    valid = torch.ones_like(scores)
    valid[:, 1:] = (negatives != contexts.unsqueeze(1)).to(scores.dtype)
    # loss = −log σ(s) for the positive, −log σ(−s) for the negatives
    loss = -(torch.nn.functional.logsigmoid(scores * (2.0 * labels - 1.0)) * valid).sum().item()
    g = (labels - torch.sigmoid(scores)) * valid * lr  # −lr · dL/dscore, (B, 1+K)
    W.index_add_(0, centers, torch.bmm(g.unsqueeze(1), c).squeeze(1))
    C.index_add_(0, ids.view(-1), (g.unsqueeze(-1) * w.unsqueeze(1)).view(-1, dim))
    return loss


@torch.no_grad()
def sgns_pool_step(W: torch.Tensor, C: torch.Tensor, centers: torch.Tensor, contexts: torch.Tensor,
                   pool: torch.Tensor, picks: torch.Tensor, lr: float, compute_loss: bool = True) -> float:
    """One SGD step where the batch's negatives come from a shared pool (what the trainer uses).

    Pair b's negatives are ``pool[picks[b]]``: the same loss as ``sgns_batch_step`` with
    ``negatives = pool[picks]``, but the negative part becomes three small dense products
    (B, d) × (d, P) instead of B·K scattered rows, ~1.7x faster on a CPU. With the pool drawn from the noise
    distribution and the picks uniform, each pair's negatives are still draws from the noise distribution.

    Args:
        W, C: (V, d) parameters, updated in place.  centers, contexts: (B,) ids.
        pool: (P,) noise word ids.  picks: (B, K) indices into ``pool``.  lr: the learning rate.
        compute_loss: False skips the loss (NaN is returned), ~10% faster.
    Returns:
        the batch's summed loss before the step.
    """
    w = W.index_select(0, centers)  # (B, d)
    c_pos = C.index_select(0, contexts)  # (B, d)
    c_pool = C.index_select(0, pool)  # (P, d)
    s_pos = (w * c_pos).sum(1)  # (B,)
    s_pool = w @ c_pool.T  # (B, P): every pair against every pool word
    counts = torch.zeros_like(s_pool).scatter_add_(1, picks, torch.ones(picks.shape, dtype=s_pool.dtype))
    counts *= pool.unsqueeze(0) != contexts.unsqueeze(1)  # a negative equal to the positive is skipped
    loss = math.nan
    if compute_loss:
        loss = -(torch.nn.functional.logsigmoid(s_pos).sum()
                 + (torch.nn.functional.logsigmoid(-s_pool) * counts).sum()).item()
    g_pos = (1.0 - torch.sigmoid(s_pos)) * lr  # −lr · dL/ds_pos
    g_pool = -torch.sigmoid(s_pool) * counts * lr  # −lr · dL/ds_pool
    grad_w = g_pos.unsqueeze(1) * c_pos + g_pool @ c_pool
    C.index_add_(0, contexts, g_pos.unsqueeze(1) * w)
    C.index_add_(0, pool, g_pool.T @ w)
    W.index_add_(0, centers, grad_w)
    return loss


# ---------------------------------------------------------------- the trainer
@dataclass(frozen=True)
class SGNSConfig(TrainConfig):
    """The hyperparameters of ``train_sgns`` (and of ``train_gensim``, the reference), checked on creation.

    Attributes (beyond ``corpus.TrainConfig``'s dim, window, epochs, min_count, sample, lr, min_lr,
    batch_size, seed):
        negative: K >= 1 noise words per pair.  pool_size: noise words drawn per batch (0 = K per pair).
        alpha: the noise exponent (unigram^α).
        threads: torch CPU threads for the call only (None keeps torch's setting; the benchmark passes 1
            to compare with gensim's ``workers=1``).
        device: "cpu" (reproducible stored results) or e.g. ``nlpcourse.device()`` for a GPU.
        dtype: ``torch.float32`` (fast) or ``torch.float64``: the same initial vectors, but rounding differences
            between CPUs' float kernels stay ~1e-16 instead of ~1e-7, so results computed downstream (a count
            of correct predictions) cannot flip on another machine. About 1.5x slower.
    """

    negative: int = 5
    pool_size: int = 32
    alpha: float = 0.75
    threads: int | None = None
    device: str = "cpu"
    dtype: torch.dtype = torch.float32

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("negative", validate.positive_int(self.negative, "negative"))
        if validate.integer(self.pool_size, "pool_size") < 0:
            raise ValueError(f"pool_size: expected an int >= 0 (0 = negatives per pair), got {self.pool_size!r}")
        self._set("pool_size", int(self.pool_size))
        self._set("alpha", validate.probability(self.alpha, "alpha"))
        if self.threads is not None:
            self._set("threads", validate.positive_int(self.threads, "threads"))
        validate.string(self.device, "device")
        if self.dtype not in (torch.float32, torch.float64):
            raise TypeError(f"dtype: expected torch.float32 or torch.float64, got {self.dtype!r}")


def train_sgns(sentences: list[list[str]], config: SGNSConfig | None = None, *, progress: bool = True,
               history: list[float] | None = None, **overrides: object) -> Embeddings:
    """Train skip-gram with negative sampling on tokenised sentences (batched, torch, CPU or GPU).

    The recipe of word2vec/gensim: vocabulary with ``min_count``, frequent-word subsampling (``sample``),
    a window drawn uniformly in 1..``window`` per center, ``negative`` noise words per pair from
    unigram^``alpha``, SGD whose learning rate decays linearly from ``lr`` to ``min_lr``; θ_W starts
    uniform in ±0.5/d, θ_C at zero (``corpus.init_embeddings``). Pairs are shuffled within each epoch and
    updated ``batch_size`` at a time (all pairs of a batch read the same parameters, their updates add up,
    like word2vec's threads). Each batch draws ``pool_size`` noise words and every pair picks its ``negative``
    negatives among them (``sgns_pool_step``; the same expected gradient, ~1.7x faster on a CPU);
    ``pool_size=0`` draws K negatives per pair instead (``sgns_batch_step``, word2vec's way). Deterministic for
    a fixed ``seed`` and thread count.

    Args:
        sentences: list of token lists (non-empty).
        config: the hyperparameters (``SGNSConfig``; default ``SGNSConfig()``).
        progress: tqdm bar over the epochs.
        history: if a list is given, the mean loss per pair of each batch is appended to it.
        overrides: config fields to change for this call, e.g. ``train_sgns(s, dim=50, epochs=3)``.
    Returns:
        ``Embeddings`` of the target vectors θ_W (V, dim) over the vocabulary.
    """
    if not isinstance(sentences, (list, tuple)) or not any(len(s) for s in sentences):
        n = len(sentences) if hasattr(sentences, "__len__") else "?"
        raise ValueError(f"sentences: expected a non-empty list of token lists, got {n} sentences with no tokens")
    c = SGNSConfig.make(config, **overrides)
    vocab = Vocab.build(sentences, min_count=c.min_count)
    if len(vocab) < 2:
        raise ValueError(f"min_count: only {len(vocab)} word(s) occur >= {c.min_count} times; "
                         f"lower min_count or give a larger corpus")
    corpus, sentence_id = encode_corpus(sentences, vocab)
    keep = keep_probabilities(vocab.counts, c.sample).astype(np.float32)
    rng = np.random.default_rng(c.seed)
    sampler = NegativeSampler(unigram_noise(vocab.counts, c.alpha), seed=c.seed + 1)
    W, C = init_embeddings(len(vocab), len(vocab), c.dim, c.seed, c.device, c.dtype)
    with torch_threads(c.threads):
        _sgns_epochs(W, C, corpus, sentence_id, keep, sampler, rng, c, progress, history)
    return Embeddings(W.cpu().numpy().astype(np.float64), vocab)


def _sgns_epochs(W: torch.Tensor, C: torch.Tensor, corpus: np.ndarray, sentence_id: np.ndarray,
                 keep: np.ndarray, sampler: NegativeSampler, rng: np.random.Generator, c: SGNSConfig,
                 progress: bool, history: list[float] | None) -> None:
    """``train_sgns``'s loop: each epoch's pairs (``corpus.epoch_pairs``), then SGD batch after batch."""
    dev = W.device
    bar = tqdm(total=c.epochs, desc="SGNS epochs", disable=not progress)
    for epoch in range(c.epochs):
        centers, contexts = epoch_pairs(corpus, sentence_id, keep, c.window, rng)
        n_batches = math.ceil(len(centers) / c.batch_size)
        # int64 on the torch side: index_add_ is 2x slower with int32 indices
        centers, contexts = torch.from_numpy(centers).long().to(dev), torch.from_numpy(contexts).long().to(dev)
        if c.pool_size:
            pools = torch.from_numpy(sampler.draw((n_batches, c.pool_size), np.int32)).long().to(dev)
            picks = torch.from_numpy(rng.integers(0, c.pool_size, (len(centers), c.negative))).to(dev)
        else:
            negs = torch.from_numpy(sampler.draw((len(centers), c.negative), np.int32)).long().to(dev)
        for b in range(n_batches):
            step_lr = linear_lr(c.lr, c.min_lr, (epoch + b / n_batches) / c.epochs)
            sl = slice(b * c.batch_size, (b + 1) * c.batch_size)
            if c.pool_size:
                loss = sgns_pool_step(W, C, centers[sl], contexts[sl], pools[b], picks[sl], step_lr,
                                      compute_loss=history is not None)
            else:
                loss = sgns_batch_step(W, C, centers[sl], contexts[sl], negs[sl], step_lr)
            if history is not None:
                history.append(loss / len(centers[sl]))
        bar.update(1)
    bar.close()


# ---------------------------------------------------------------- against the reference: gensim
def train_gensim(sentences: list[list[str]], config: SGNSConfig | None = None, *, workers: int = 1,
                 **overrides: object) -> Embeddings:
    """gensim's skip-gram with negative sampling with ``train_sgns``'s hyperparameters (the reference).

    ``workers=1`` and a fixed ``seed`` (with PYTHONHASHSEED=0) make it bit-reproducible; more workers are not.
    gensim draws negatives per pair and has no batches: ``batch_size``, ``pool_size``, ``threads`` and
    ``device`` of the config do not apply.

    Args:
        sentences: token lists.  config: the hyperparameters (default ``SGNSConfig()``).
        workers: gensim's worker threads (>= 1).  overrides: config fields to change, e.g. ``dim=50``.
    Returns:
        ``Embeddings`` of gensim's input vectors (V, dim).
    """
    from gensim.models import Word2Vec

    c = SGNSConfig.make(config, **overrides)
    workers = validate.positive_int(workers, "workers")
    model = Word2Vec(vector_size=c.dim, window=c.window, negative=c.negative, hs=0, sg=1,
                     epochs=c.epochs, min_count=c.min_count, sample=c.sample, alpha=c.lr, min_alpha=c.min_lr,
                     ns_exponent=c.alpha, seed=c.seed, workers=workers)
    model.build_vocab(sentences)  # what Word2Vec(sentences, ...) does, split to nudge the starting vectors
    nudge(model)
    model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs)
    return Embeddings.from_gensim(model.wv)


def _train_and_evaluate(trainer: str, sentences: list[list[str]], seed: int, threads: int, fn: object,
                        sets: dict[str, pd.DataFrame], setting: dict) -> tuple[dict, Embeddings | None]:
    """One run of ``trainer`` ("ours" or "gensim") and its evaluation row; a diverged run gets NaN scores."""
    t0 = time.perf_counter()
    try:
        if trainer == "ours":
            emb = train_sgns(sentences, seed=seed, threads=threads, progress=False, **setting)
        else:
            emb = train_gensim(sentences, seed=seed, workers=threads, **setting)
    except ValueError as error:  # NaN or inf vectors: the learning rate is too large for this trainer
        if "NaN or inf" not in str(error):
            raise
        emb = None
    seconds = time.perf_counter() - t0
    row = {"trainer": trainer, "seed": seed, "lr": float(setting.get("lr", SGNSConfig.lr)),
           "diverged": emb is None}
    results = {name: None if emb is None else word_similarity(emb, df, transform=fn) for name, df in sets.items()}
    row |= {name: np.nan if r is None else r.spearman for name, r in results.items()}
    row |= {f"oov_{name}": np.nan if r is None else r.oov_ratio for name, r in results.items()}
    n_tokens = sum(len(s) for s in sentences)
    row |= {"seconds": seconds, "tokens_per_s": n_tokens * int(setting.get("epochs", SGNSConfig.epochs)) / seconds}
    return row, emb


def compare_with_gensim(sentences: list[list[str]], seeds: Sequence[int] = (0, 1, 2), threads: int = 1,
                        transform: object = "porter_stem", progress: bool = True,
                        lrs: dict[str, float] | None = None,
                        **setting: object) -> tuple[pd.DataFrame, dict[tuple[str, int], Embeddings]]:
    """Train ours and gensim on the same tokens with the same ``setting`` for each seed; evaluate both.

    Args:
        sentences: the corpus.  seeds: one run of each trainer per seed.
        threads: gensim ``workers`` = our torch threads.
        transform: applied to evaluation words before lookup: "porter_stem" (for a stemmed corpus) or None.
        progress: a tqdm bar over the runs.
        lrs: each trainer's own learning rate, e.g. ``best_lrs(lr_sweep(...)[0])``; None: ``setting``'s lr
            (or the default) for both.
        setting: fields of ``SGNSConfig`` (dim, window, negative, epochs, min_count, sample, lr, ...).
    Returns:
        DataFrame[trainer, seed, lr, diverged, wordsim353, simlex999, oov_wordsim353, oov_simlex999, seconds,
        tokens_per_s] (Spearman correlations, NaN for a diverged run; the last two columns are timings of
        this machine), and the trained embeddings by (trainer, seed).
    """
    fn = porter_stem if transform == "porter_stem" else transform
    seeds = [validate.non_negative_int(s, "seeds") for s in validate.non_empty(seeds, "seeds", what="seeds")]
    if lrs is not None:
        validate.keys(lrs, "lrs", ("ours", "gensim"))
    sets = {name: load_similarity(name) for name in ("wordsim353", "simlex999")}
    rows, embeddings = [], {}
    runs = [(seed, trainer) for seed in seeds for trainer in ("ours", "gensim")]
    for seed, trainer in tqdm(runs, desc="ours vs gensim", disable=not progress):
        run_setting = setting if lrs is None else setting | {"lr": lrs[trainer]}
        row, emb = _train_and_evaluate(trainer, sentences, seed, threads, fn, sets, run_setting)
        rows.append(row)
        embeddings[trainer, seed] = emb
    return pd.DataFrame(rows), embeddings


def lr_sweep(sentences: list[list[str]], lrs: Sequence[float] = (0.025, 0.05, 0.1, 0.2), seed: int = 0,
             threads: int = 1, transform: object = "porter_stem", progress: bool = True,
             **setting: object) -> tuple[pd.DataFrame, dict[tuple[str, float], Embeddings]]:
    """Both trainers at each learning rate (one seed): the small sweep that finds each one's own best lr.

    Args:
        sentences: the corpus.  lrs: the starting learning rates to try (each decays linearly to ``min_lr``).
        seed: the seed of every run.  threads, transform, progress: as ``compare_with_gensim``.
        setting: the other ``SGNSConfig`` fields (not ``lr``).
    Returns:
        ``compare_with_gensim``'s DataFrame with one row per (lr, trainer) (a diverged run: ``diverged`` True,
        NaN scores), and the embeddings by (trainer, lr) (None where it diverged).
    """
    lrs = [validate.number(lr, "lrs", low=0.0, low_open=True, what="a learning rate")
           for lr in validate.non_empty(lrs, "lrs", what="learning rates")]
    if "lr" in setting:
        raise ValueError(f"setting: lr is what the sweep varies; got lr={setting['lr']!r} as well")
    fn = porter_stem if transform == "porter_stem" else transform
    seed, threads = validate.non_negative_int(seed, "seed"), validate.positive_int(threads, "threads")
    sets = {name: load_similarity(name) for name in ("wordsim353", "simlex999")}
    rows, embeddings = [], {}
    runs = [(lr, trainer) for lr in lrs for trainer in ("ours", "gensim")]
    for lr, trainer in tqdm(runs, desc="learning-rate sweep", disable=not progress):
        row, emb = _train_and_evaluate(trainer, sentences, seed, threads, fn, sets, setting | {"lr": lr})
        rows.append(row)
        embeddings[trainer, float(lr)] = emb
    return pd.DataFrame(rows), embeddings


def best_lrs(sweep: pd.DataFrame, metric: str = "wordsim353") -> dict[str, float]:
    """Each trainer's learning rate with the highest ``metric`` in an ``lr_sweep`` table (diverged runs excluded).

    Args:
        sweep: ``lr_sweep``'s DataFrame.  metric: the column to maximise.
    Returns:
        {"ours": lr, "gensim": lr}.
    """
    metric = validate.one_of(metric, "metric", ("wordsim353", "simlex999"))
    ok = sweep[~sweep["diverged"]]
    missing = {"ours", "gensim"} - set(ok["trainer"])
    if missing:
        raise ValueError(f"sweep: every run of {sorted(missing)} diverged; try smaller learning rates")
    return {t: float(ok.loc[ok[ok["trainer"] == t][metric].idxmax(), "lr"]) for t in ("ours", "gensim")}


def compare_at_best_lr(sentences: list[list[str]], lrs: Sequence[float] = (0.025, 0.05, 0.1, 0.2),
                       seeds: Sequence[int] = (0, 1, 2), threads: int = 1, metric: str = "wordsim353",
                       transform: object = "porter_stem", progress: bool = True, **setting: object
                       ) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, int], Embeddings], dict[str, float]]:
    """Ours vs gensim, each at its own best learning rate: ``lr_sweep`` on the first seed, then the other seeds.

    The first seed's runs at the chosen rates are the sweep's own (not trained twice).

    Args:
        sentences: the corpus.  lrs: the sweep's learning rates.  seeds: the runs per trainer (>= 1).
        threads, transform, progress: as ``compare_with_gensim``.  metric: what "best" maximises.
        setting: the other ``SGNSConfig`` fields (not ``lr``).
    Returns:
        (sweep table, runs table — ``compare_with_gensim``'s columns, one row per trainer and seed —, the runs'
        embeddings by (trainer, seed), the best rates {"ours": lr, "gensim": lr}).
    """
    seeds = [validate.non_negative_int(s, "seeds") for s in validate.non_empty(seeds, "seeds", what="seeds")]
    threads = validate.positive_int(threads, "threads")
    sweep, sweep_emb = lr_sweep(sentences, lrs, seed=seeds[0], threads=threads, transform=transform,
                                progress=progress, **setting)
    best = best_lrs(sweep, metric)
    first = pd.concat([sweep[(sweep["trainer"] == t) & (sweep["lr"] == best[t])] for t in ("ours", "gensim")])
    embeddings = {(t, seeds[0]): sweep_emb[t, best[t]] for t in ("ours", "gensim")}
    runs = [first]
    if len(seeds) > 1:
        more, more_emb = compare_with_gensim(sentences, seeds=seeds[1:], threads=threads, transform=transform,
                                             progress=progress, lrs=best, **setting)
        runs.append(more)
        embeddings |= more_emb
    return sweep, pd.concat(runs, ignore_index=True), embeddings, best


def format_sweep(sweep: pd.DataFrame, metrics: Sequence[str] = ("wordsim353", "simlex999")) -> pd.DataFrame:
    """``lr_sweep``'s table for reading: one row per lr, one column per (metric, trainer), 2 decimals or
    "diverged" (a float32 Spearman after training moves in the 3rd decimal between CPUs' float kernels)."""
    out = {}
    for metric in metrics:
        for trainer in ("ours", "gensim"):
            rows = sweep[sweep["trainer"] == trainer].set_index("lr")
            out[f"{metric} {trainer}"] = ["diverged" if d else f"{v:.2f}"
                                          for v, d in zip(rows[metric], rows["diverged"], strict=True)]
            index = rows.index
    return pd.DataFrame(out, index=pd.Index(index, name="lr"))


def comparison_verdict(runs: pd.DataFrame, metric: str = "wordsim353", numbers: bool = True) -> str:
    """One line: the mean difference ours − gensim of ``metric`` over seeds, the seed-to-seed noise of that
    difference (√(sd_ours² + sd_gensim²)), and what they support: ahead / behind only beyond twice the noise.

    Args:
        runs: ``compare_with_gensim``'s table (>= 2 seeds per trainer).  metric: the benchmark column.
        numbers: include the difference and the noise (2 decimals); False gives the conclusion alone, which
            no float-kernel change flips unless the difference sits at twice the noise.
    """
    metric = validate.one_of(metric, "metric", ("wordsim353", "simlex999"))
    col = runs.groupby("trainer")[metric]
    mean, sd = col.mean(), col.std()
    if col.count().min() < 2:
        raise ValueError(f"runs: expected at least 2 seeds per trainer to estimate the noise, got {col.count().min()}")
    diff, noise = float(mean["ours"] - mean["gensim"]), float(np.hypot(sd["ours"], sd["gensim"]))
    if abs(diff) <= 2 * noise:
        verdict = "within the seed-to-seed noise: neither trainer is measurably better"
    else:
        verdict = "ours measurably ahead" if diff > 0 else "gensim measurably ahead"
    if not numbers:
        return f"{metric}: {verdict} (|difference of means| {'≤' if abs(diff) <= 2 * noise else '>'} 2 × noise)"
    return f"{metric}: ours − gensim = {diff:+.2f}, noise of the difference ≈ {noise:.2f} → {verdict}"


# ---------------------------------------------------------------- looking at trained vectors
def oov_by_min_count(sentences: Sequence[Sequence[str]], pairs: pd.DataFrame,
                     min_counts: Sequence[int] = (1, 2, 3, 5)) -> pd.DataFrame:
    """How much of a word-similarity set a corpus can evaluate, for several vocabulary cut-offs.

    A pair is out of vocabulary when one of its words occurs fewer than ``min_count`` times (the rule of
    ``evaluation.word_similarity`` on vectors trained with that ``min_count``): the OOV ratio is a property
    of the corpus *and* of the cut-off, not of the vectors.

    Args:
        sentences: the corpus (token lists).
        pairs: DataFrame with columns word1, word2 (n rows), e.g. ``load_similarity("wordsim353")``.
        min_counts: the cut-offs to tabulate (each >= 1).
    Returns:
        DataFrame[min_count, vocab_size, pairs_in_vocabulary, oov_ratio], one row per cut-off.
    """
    missing = [c for c in ("word1", "word2") if c not in getattr(pairs, "columns", ())]
    if missing:
        raise KeyError(f"pairs: expected a DataFrame with columns word1, word2, got {type(pairs).__name__} "
                       f"without {missing}")
    if len(pairs) == 0:
        raise ValueError("pairs: expected at least one row, got an empty DataFrame")
    vocab = Vocab.build(sentences, min_count=1)
    count = dict(zip(vocab.itos, vocab.counts, strict=True))
    rows = []
    for min_count in min_counts:
        min_count = validate.positive_int(min_count, "min_counts")
        known = [count.get(a, 0) >= min_count and count.get(b, 0) >= min_count
                 for a, b in zip(pairs["word1"], pairs["word2"], strict=True)]
        rows.append({"min_count": min_count, "vocab_size": int((vocab.counts >= min_count).sum()),
                     "pairs_in_vocabulary": int(sum(known)), "oov_ratio": 1.0 - sum(known) / len(known)})
    return pd.DataFrame(rows)


def gender_direction(emb: Embeddings, words: Sequence[str], pair: tuple[str, str] = ("he", "she")) -> pd.DataFrame:
    """A bias probe: cos(w, he) − cos(w, she) for each word (positive = closer to the first of ``pair``).

    Args:
        emb: embeddings.  words: words to probe (unknown ones are skipped and listed as NaN).
        pair: the two anchor words, both in ``emb``.
    Returns:
        DataFrame indexed by word with columns cos_first, cos_second, difference (NaN if not in vocabulary).
    """
    for w in pair:
        if w not in emb:
            raise KeyError(f"pair: {w!r} is not in the vocabulary")
    rows = []
    for w in words:
        if w in emb:
            a, b = emb.similarity(w, pair[0]), emb.similarity(w, pair[1])
            rows.append((w, a, b, a - b))
        else:
            rows.append((w, np.nan, np.nan, np.nan))
    return pd.DataFrame(rows, columns=["word", f"cos({pair[0]})", f"cos({pair[1]})", "difference"]).set_index("word")
