"""word2vec's trainer (notebook 01): batched SGNS in torch, gensim's as the reference, and probes of the result.

Sections in the notebook's order: the batched step (``sgns_batch_loss``, the check; ``sgns_step``, the update, and
``pooled_coefficients``, its pooled negatives, which notebook 03's subword step shares),
``SGNSConfig`` and ``train_sgns``; gensim on the same tokens, each trainer at its own best learning rate; probes
of trained vectors (OOV by cut-off, a bias direction).
"""

from __future__ import annotations

import functools
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
    WordVectorConfig,
    encode_corpus,
    epoch_pairs,
    init_embeddings,
    keep_probabilities,
    linear_lr,
    unigram_noise,
)
from ..data import Vocab, load_similarity, porter_stem
from ..evaluation import Embeddings, welch_pvalue, word_similarity
from ..parallel import starmap
from ..perturb import nudge

__all__ = [
    "pooled_coefficients", "SGNSConfig", "train_sgns", "train_gensim", "evaluation_sets",
    "compare_with_gensim", "lr_sweep", "best_lrs", "compare_at_best_lr", "format_sweep", "comparison_verdict",
    "oov_by_min_count", "topic_cohesion", "gender_direction",
]


# ---------------------------------------------------------------- one batched step (torch)
def sgns_batch_loss(W: torch.Tensor, C: torch.Tensor, centers: torch.Tensor, contexts: torch.Tensor,
                    negatives: torch.Tensor) -> torch.Tensor:
    """Σ_b [−log σ(C[o_b]·W[i_b]) − Σ_k log σ(−C[n_bk]·W[i_b])]: B pairs (B,), their negatives (B, K); a scalar."""
    w = W[centers]  # (B, D)
    pos = (w * C[contexts]).sum(-1)  # (B,)
    neg = torch.bmm(C[negatives], w.unsqueeze(-1)).squeeze(-1)  # (B, K)
    return -torch.nn.functional.logsigmoid(pos).sum() - torch.nn.functional.logsigmoid(-neg).sum()


@torch.no_grad()
def pooled_coefficients(w: torch.Tensor, c: torch.Tensor, c_pool: torch.Tensor, contexts: torch.Tensor,
                        pool: torch.Tensor, lr: float, negative: int, loss: bool = False,
                        ) -> tuple[torch.Tensor, torch.Tensor, float]:
    """The pooled-negative SGNS step's coefficients: g_pos (B, 1) = −lr·dL/ds_pos, g_neg (B, P) = −lr·dL/ds_neg.

    B pairs (centers' vectors ``w`` (B, D), contexts' ``c`` (B, D)) and a pool ``c_pool`` (P, D): each pair meets
    every pool word with weight K/P (the expected value of drawing its K negatives from the pool), 0 where the
    pool word is its context. Then −lr·dL/dw = g_pos·c + g_neg @ c_pool, −lr·dL/dc = g_pos·w and
    −lr·dL/dc_pool = g_negᵀ @ w. Also the summed loss (NaN unless ``loss``).
    """
    s_pos = (w * c).sum(1)  # (B,)
    s_neg = w @ c_pool.T  # (B, P)
    skip = pool == contexts.unsqueeze(1)  # (B, P): a pool word that is the pair's context weighs 0, the others K/P
    g_pos = (lr * torch.sigmoid(-s_pos)).unsqueeze(1)  # (B, 1): lr·(1 − σ(s_pos))
    g_neg = torch.sigmoid(s_neg).masked_fill_(skip, 0.0).mul_(negative / len(pool)).mul_(-lr)  # (B, P)
    if not loss:
        return g_pos, g_neg, math.nan
    logsig = torch.nn.functional.logsigmoid
    neg = logsig(-s_neg).masked_fill_(skip, 0.0).mul_(negative / len(pool))
    return g_pos, g_neg, -(logsig(s_pos).sum() + neg.sum()).item()


@torch.no_grad()
def sgns_step(theta: torch.Tensor, centers: torch.Tensor, contexts: torch.Tensor, pool: torch.Tensor, lr: float,
              negative: int, loss: bool = False) -> float:
    """One SGD step on B pairs, in place on θ = [θ_W; θ_C] (2V, D), with the hand-derived gradients.

    ``centers`` (B,) are rows of θ_W, ``contexts`` (B,) and ``pool`` (P,) rows of θ_C (ids + V). Pooled
    negatives (``pooled_coefficients``): each pair meets every pool word with weight K/P and skips a pool word
    equal to its context. All B pairs read the same θ and their updates add up in one ``index_add_`` (word2vec's
    threads do the same, Hogwild). Returns the summed loss before the step (NaN unless ``loss``).
    """
    B = len(centers)
    rows = torch.cat([centers, contexts, pool])  # (2B + P,)
    x = theta.index_select(0, rows)  # (2B + P, D)
    w, c, c_pool = x[:B], x[B:2 * B], x[2 * B:]  # (B, D), (B, D), (P, D)
    g_pos, g_neg, total = pooled_coefficients(w, c, c_pool, contexts, pool, lr, negative, loss)
    update = torch.empty_like(x)  # (2B + P, D): the rows' updates, each block written in place (no torch.cat)
    torch.mul(g_pos, c, out=update[:B]).addmm_(g_neg, c_pool)  # centers: g_pos·c + g_neg @ c_pool
    torch.mul(g_pos, w, out=update[B:2 * B])  # contexts: g_pos·w
    torch.mm(g_neg.T, w, out=update[2 * B:])  # pool words: g_negᵀ @ w
    theta.index_add_(0, rows, update)
    return total


# ---------------------------------------------------------------- the trainer
@dataclass(frozen=True)
class SGNSConfig(WordVectorConfig):
    """``train_sgns``'s hyperparameters (and ``train_gensim``'s): ``WordVectorConfig``'s and these."""

    negative: int = 5  # K noise words per pair
    pool_size: int = 16  # P noise words drawn per batch, shared by its pairs
    alpha: float = 0.75  # noise ∝ count^α
    threads: int | None = None  # torch CPU threads for the call (None: torch's setting)
    device: str = "cpu"  # or e.g. nlpcourse.device() for a GPU
    dtype: torch.dtype = torch.float32  # float64: rounding ~1e-16, results that no CPU's kernels flip; ~1.5x slower

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("negative", validate.positive_int(self.negative, "negative"))
        self._set("pool_size", validate.positive_int(self.pool_size, "pool_size"))
        self._set("alpha", validate.probability(self.alpha, "alpha"))
        if self.threads is not None:
            self._set("threads", validate.positive_int(self.threads, "threads"))
        validate.string(self.device, "device")
        if self.dtype not in (torch.float32, torch.float64):
            raise TypeError(f"dtype: expected torch.float32 or torch.float64, got {self.dtype!r}")


def train_sgns(sentences: list[list[str]], config: SGNSConfig | None = None, *, progress: bool = True,
               history: list[float] | None = None, **overrides: object) -> Embeddings:
    """Skip-gram with negative sampling, word2vec's recipe batched in torch; returns θ_W (V, D) as Embeddings.

    Vocabulary (``min_count``), subsampling (``sample``), a reach drawn in 1..``window`` per center, θ_W uniform
    in ±0.5/D and θ_C at zero, the rate decaying linearly from ``lr`` to ``min_lr``, ``batch_size`` shuffled
    pairs per ``sgns_step`` with a pool of ``pool_size`` noise words from unigram^``alpha``. ``history``: a list
    that receives each batch's mean loss per pair. ``overrides``: config fields, e.g. ``dim=50``.
    """
    _check_sentences(sentences)
    c = SGNSConfig.make(config, **overrides)
    return _train_sgns_encoded(*_encode(sentences, c.min_count), c, progress, history)


def _check_sentences(sentences: object) -> None:
    if not isinstance(sentences, (list, tuple)) or not any(len(s) for s in sentences):
        n = len(sentences) if hasattr(sentences, "__len__") else "?"
        raise ValueError(f"sentences: expected a non-empty list of token lists, got {n} sentences with no tokens")


def _encode(sentences: list[list[str]], min_count: int) -> tuple[Vocab, np.ndarray, np.ndarray]:
    """``train_sgns``'s vocabulary and the corpus as ids (``corpus.encode_corpus``): what every run on the same
    sentences and ``min_count`` shares, whatever its seed and rate."""
    vocab = Vocab.build(sentences, min_count=min_count)
    if len(vocab) < 2:
        raise ValueError(f"min_count: only {len(vocab)} word(s) occur >= {min_count} times; "
                         f"lower min_count or give a larger corpus")
    return vocab, *encode_corpus(sentences, vocab)


def _train_sgns_encoded(vocab: Vocab, corpus: np.ndarray, sentence_id: np.ndarray, c: SGNSConfig, progress: bool,
                        history: list[float] | None) -> Embeddings:
    """``train_sgns`` from ``_encode``'s output."""
    keep = keep_probabilities(vocab.counts, c.sample).astype(np.float32)
    sampler = NegativeSampler(unigram_noise(vocab.counts, c.alpha), seed=c.seed + 1)
    theta = torch.cat(init_embeddings(len(vocab), len(vocab), c.dim, c.seed, c.device, c.dtype))  # (2V, D)
    with torch_threads(c.threads):
        _sgns_epochs(theta, corpus, sentence_id, keep, sampler, np.random.default_rng(c.seed), c, progress, history)
    return Embeddings(theta[:len(vocab)].cpu().numpy().astype(np.float64), vocab)


def _sgns_epochs(theta: torch.Tensor, corpus: np.ndarray, sentence_id: np.ndarray, keep: np.ndarray,
                 sampler: NegativeSampler, rng: np.random.Generator, c: SGNSConfig, progress: bool,
                 history: list[float] | None) -> None:
    """``train_sgns``'s loop: each epoch's pairs (``corpus.epoch_pairs``), then ``sgns_step`` batch after batch."""
    V, dev = len(theta) // 2, theta.device
    for epoch in tqdm(range(c.epochs), desc="SGNS epochs", disable=not progress):
        centers, contexts = epoch_pairs(corpus, sentence_id, keep, c.window, rng)
        n_batches = math.ceil(len(centers) / c.batch_size)
        # int64 on the torch side (index_add_ is 2x slower with int32); θ_C's rows start at V
        centers = torch.from_numpy(centers).long().to(dev)
        contexts = (torch.from_numpy(contexts).long() + V).to(dev)
        pools = (torch.from_numpy(sampler.draw((n_batches, c.pool_size))) + V).to(dev)
        batches = zip(centers.split(c.batch_size), contexts.split(c.batch_size), pools, strict=True)
        for b, (batch_centers, batch_contexts, pool) in enumerate(batches):
            lr = linear_lr(c.lr, c.min_lr, (epoch + b / n_batches) / c.epochs)
            loss = sgns_step(theta, batch_centers, batch_contexts, pool, lr, c.negative, history is not None)
            if history is not None:
                history.append(loss / len(batch_centers))
        if not torch.isfinite(theta).all():
            raise ValueError(f"lr: training diverged at lr = {c.lr:g} (NaN or inf vectors after epoch {epoch + 1})")


# ---------------------------------------------------------------- against the reference: gensim
def train_gensim(sentences: list[list[str]], config: SGNSConfig | None = None, *, workers: int = 1,
                 **overrides: object) -> Embeddings:
    """gensim's ``Word2Vec`` (skip-gram, negative sampling) with ``train_sgns``'s hyperparameters: θ_W (V, D).

    Per-pair updates, so ``batch_size``, ``pool_size``, ``threads`` and ``device`` do not apply; ``workers=1``
    and a fixed ``seed`` (with PYTHONHASHSEED=0) make it bit-reproducible.
    """
    c = SGNSConfig.make(config, **overrides)
    model = _gensim_model(c, validate.positive_int(workers, "workers"))
    model.build_vocab(sentences)  # what Word2Vec(sentences, ...) does, split to nudge the starting vectors
    return _train_gensim_built(model, sentences, c)


def _gensim_model(c: SGNSConfig, workers: int) -> object:
    """gensim's ``Word2Vec`` at ``c``'s settings, before its vocabulary."""
    from gensim.models import Word2Vec

    return Word2Vec(vector_size=c.dim, window=c.window, negative=c.negative, hs=0, sg=1, min_count=c.min_count,
                    sample=c.sample, alpha=c.lr, min_alpha=c.min_lr, ns_exponent=c.alpha, seed=c.seed,
                    workers=workers)


def _train_gensim_built(model: object, sentences: list[list[str]], c: SGNSConfig) -> Embeddings:
    """``train_gensim`` after ``build_vocab``: nudge the starting vectors, train, return θ_W."""
    nudge(model)
    model.train(sentences, total_examples=model.corpus_count, epochs=c.epochs)
    return Embeddings.from_gensim(model.wv)


class _Runs:
    """The training runs of one comparison on one corpus (``lr_sweep``, ``compare_with_gensim``,
    ``compare_at_best_lr``): ``train`` runs a list of (trainer, seed, setting) and returns each one's embeddings
    (None if it diverged) and CPU seconds.

    The runs share what depends on neither the seed nor the rate, built once: our vocabulary and encoded corpus
    (``_encode``) and gensim's vocabulary (a model after ``build_vocab``: counts, subsampling thresholds, noise
    table), which each gensim run borrows with gensim's ``reset_from`` (gensim's seed only draws the starting
    vectors and the training's random numbers). So each run trains exactly as a fresh ``train_sgns`` /
    ``train_gensim`` call (a unit test checks it). With ``parallel`` the runs go side by side
    (``parallel.starmap``: this process from the front of the list, a second one from the back, so ours and
    gensim's mix on both cores): independent runs, the same results, each run's CPU time measured in the process
    that trains it.
    """

    def __init__(self, sentences: list[list[str]], threads: int, parallel: bool) -> None:
        self.sentences, self.threads, self.parallel, self.ours, self.gensim = sentences, threads, parallel, {}, {}

    def train(self, jobs: list[tuple[str, int, dict]], progress: bool, desc: str
              ) -> list[tuple[Embeddings | None, float]]:
        """Each job's (embeddings or None, CPU seconds), in the jobs' order."""
        for trainer, _, setting in jobs:  # the shared vocabularies first, for a second process to inherit
            c = SGNSConfig.make(None, **setting)
            if trainer == "ours":
                self._encoded(c.min_count)
            else:
                self._vocabulary(c)
        if not self.parallel:
            return [self.run(*job) for job in tqdm(jobs, desc=desc, disable=not progress)]
        results = starmap(self.run, jobs, progress=desc if progress else None)
        # a result from the second process comes unpickled, its vectors writeable: wrapped again, read-only
        return [(None if emb is None else Embeddings(emb.vectors, emb.vocab), seconds) for emb, seconds in results]

    def run(self, trainer: str, seed: int, setting: dict) -> tuple[Embeddings | None, float]:
        """One run of ``trainer`` ("ours" or "gensim") in this process: its embeddings (None if it diverged), CPU
        seconds."""
        t0 = time.process_time()
        try:
            if trainer == "ours":
                emb = self._train_sgns(SGNSConfig.make(None, seed=seed, threads=self.threads, **setting))
            else:
                emb = self._train_gensim(SGNSConfig.make(None, seed=seed, **setting))
        except ValueError as error:  # the learning rate is too large for this trainer
            if "NaN or inf" not in str(error):
                raise
            emb = None
        return emb, time.process_time() - t0

    def _encoded(self, min_count: int) -> tuple[Vocab, np.ndarray, np.ndarray]:
        if min_count not in self.ours:
            self.ours[min_count] = _encode(self.sentences, min_count)
        return self.ours[min_count]

    def _train_sgns(self, c: SGNSConfig) -> Embeddings:
        return _train_sgns_encoded(*self._encoded(c.min_count), c, False, None)

    def _vocabulary(self, c: SGNSConfig) -> object:
        """gensim's vocabulary for ``c``'s min_count, sample and alpha (what ``build_vocab`` reads): a model."""
        key = (c.min_count, c.sample, c.alpha)
        if key not in self.gensim:
            self.gensim[key] = _gensim_model(c, self.threads)
            self.gensim[key].build_vocab(self.sentences)
        return self.gensim[key]

    def _train_gensim(self, c: SGNSConfig) -> Embeddings:
        model = _gensim_model(c, self.threads)
        model.reset_from(self._vocabulary(c))  # gensim's own way to share a vocabulary; new starting vectors
        model.wv.vectors_lockf = np.ones(1, dtype=np.float32)  # reset_from's new KeyedVectors lacks it (gensim 4.4)
        return _train_gensim_built(model, self.sentences, c)


def evaluation_sets(seed: int = 0) -> dict[str, pd.DataFrame]:
    """WordSim353 split in two random halves — ``ws353_tune`` to choose a learning rate on, ``ws353_test`` to
    report on — and SimLex-999 (``simlex999``, never tuned on)."""
    ws = load_similarity("wordsim353")
    order = np.random.default_rng(validate.non_negative_int(seed, "seed")).permutation(len(ws))
    half = len(ws) // 2
    return {"ws353_tune": ws.iloc[np.sort(order[:half])].reset_index(drop=True),
            "ws353_test": ws.iloc[np.sort(order[half:])].reset_index(drop=True),
            "simlex999": load_similarity("simlex999")}


METRICS = ("ws353_tune", "ws353_test", "simlex999")
_sets = functools.cache(evaluation_sets)


def _train_and_evaluate(runs: _Runs, jobs: list[tuple[str, int, dict]], fn: object, progress: bool, desc: str
                        ) -> tuple[list[dict], list[Embeddings | None]]:
    """The jobs' runs (``_Runs.train``) and a row each: Spearman per set (NaN if it diverged), CPU time."""
    rows, embeddings = [], []
    n_tokens = sum(len(s) for s in runs.sentences)
    for (trainer, seed, setting), (emb, seconds) in zip(jobs, runs.train(jobs, progress, desc), strict=True):
        row = {"trainer": trainer, "seed": seed, "lr": float(setting.get("lr", SGNSConfig.lr)),
               "diverged": emb is None}
        results = {name: None if emb is None else word_similarity(emb, df, transform=fn)
                   for name, df in _sets().items()}
        row |= {name: np.nan if r is None else r.spearman for name, r in results.items()}
        row |= {f"oov_{name}": np.nan if r is None else r.oov_ratio for name, r in results.items()}
        epochs = int(setting.get("epochs", SGNSConfig.epochs))
        rows.append(row | {"cpu_seconds": seconds, "tokens_per_cpu_s": n_tokens * epochs / seconds})
        embeddings.append(emb)
    return rows, embeddings


def compare_with_gensim(sentences: list[list[str]], seeds: Sequence[int] = (0, 1, 2), threads: int = 1,
                        transform: object = "porter_stem", progress: bool = True,
                        lrs: dict[str, float] | None = None, parallel: bool = True,
                        **setting: object) -> tuple[pd.DataFrame, dict[tuple[str, int], Embeddings]]:
    """Ours and gensim on the same tokens and ``setting`` (``SGNSConfig`` fields), one run each per seed.

    ``lrs``: each trainer's own rate ({"ours": lr, "gensim": lr}); ``transform`` maps evaluation words to the
    corpus's ("porter_stem" or None); ``parallel``: the runs side by side on two cores (the same
    results). Returns a DataFrame[trainer, seed, lr, diverged, ws353_tune, ws353_test, simlex999, oov_…,
    cpu_seconds, tokens_per_cpu_s] and the embeddings by (trainer, seed).
    """
    _check_sentences(sentences)
    threads = validate.positive_int(threads, "threads")
    return _compare(_Runs(sentences, threads, parallel), seeds, transform, progress, lrs, setting)


def _compare(runs: _Runs, seeds: Sequence[int], transform: object, progress: bool, lrs: dict[str, float] | None,
             setting: dict) -> tuple[pd.DataFrame, dict[tuple[str, int], Embeddings]]:
    """``compare_with_gensim`` with ``runs``."""
    fn = porter_stem if transform == "porter_stem" else transform
    seeds = [validate.non_negative_int(s, "seeds") for s in validate.non_empty(seeds, "seeds", what="seeds")]
    if lrs is not None:
        validate.keys(lrs, "lrs", ("ours", "gensim"))
    jobs = [(trainer, seed, setting if lrs is None else setting | {"lr": lrs[trainer]})
            for seed in seeds for trainer in ("ours", "gensim")]
    rows, embeddings = _train_and_evaluate(runs, jobs, fn, progress, "ours vs gensim")
    return pd.DataFrame(rows), {(t, seed): e for (t, seed, _), e in zip(jobs, embeddings, strict=True)}


def lr_sweep(sentences: list[list[str]], lrs: Sequence[float] = (0.025, 0.05, 0.1, 0.2), seed: int = 0,
             threads: int = 1, transform: object = "porter_stem", progress: bool = True, parallel: bool = True,
             **setting: object) -> tuple[pd.DataFrame, dict[tuple[str, float], Embeddings]]:
    """Both trainers at each starting rate, one seed: ``compare_with_gensim``'s rows, embeddings by (trainer, lr)."""
    _check_sentences(sentences)
    threads = validate.positive_int(threads, "threads")
    return _sweep(_Runs(sentences, threads, parallel), lrs, seed, transform, progress, setting)


def _sweep(runs: _Runs, lrs: Sequence[float], seed: int, transform: object, progress: bool, setting: dict
           ) -> tuple[pd.DataFrame, dict[tuple[str, float], Embeddings]]:
    """``lr_sweep`` with ``runs``."""
    lrs = [validate.number(lr, "lrs", low=0.0, low_open=True, what="a learning rate")
           for lr in validate.non_empty(lrs, "lrs", what="learning rates")]
    if "lr" in setting:
        raise ValueError(f"setting: lr is what the sweep varies; got lr={setting['lr']!r} as well")
    fn = porter_stem if transform == "porter_stem" else transform
    seed = validate.non_negative_int(seed, "seed")
    jobs = [(trainer, seed, setting | {"lr": lr}) for lr in lrs for trainer in ("ours", "gensim")]
    rows, embeddings = _train_and_evaluate(runs, jobs, fn, progress, "learning-rate sweep")
    return pd.DataFrame(rows), {(t, float(s["lr"])): e for (t, _, s), e in zip(jobs, embeddings, strict=True)}


def best_lrs(sweep: pd.DataFrame, metric: str = "ws353_tune") -> dict[str, float]:
    """Each trainer's rate with the highest ``metric`` in an ``lr_sweep`` table (diverged runs excluded)."""
    metric = validate.one_of(metric, "metric", METRICS)
    ok = sweep[~sweep["diverged"]]
    missing = {"ours", "gensim"} - set(ok["trainer"])
    if missing:
        raise ValueError(f"sweep: every run of {sorted(missing)} diverged; try smaller learning rates")
    return {t: float(ok.loc[ok[ok["trainer"] == t][metric].idxmax(), "lr"]) for t in ("ours", "gensim")}


def compare_at_best_lr(sentences: list[list[str]], lrs: Sequence[float] = (0.025, 0.05, 0.1, 0.2),
                       seeds: Sequence[int] = (0, 1, 2), threads: int = 1, metric: str = "ws353_tune",
                       transform: object = "porter_stem", progress: bool = True, parallel: bool = True,
                       **setting: object
                       ) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, int], Embeddings], dict[str, float]]:
    """Ours vs gensim, each at its own best rate: ``lr_sweep`` on the first seed (tuned on ``metric``), then the
    other seeds. The first seed's runs at the chosen rates are the sweep's own (not trained twice). All the runs
    share one vocabulary per trainer; ``parallel``: the runs side by side on two cores (``_Runs``).

    Returns (sweep table, runs table — one row per trainer and seed —, their embeddings by (trainer, seed),
    the best rates {"ours": lr, "gensim": lr}).
    """
    _check_sentences(sentences)
    seeds = [validate.non_negative_int(s, "seeds") for s in validate.non_empty(seeds, "seeds", what="seeds")]
    threads = validate.positive_int(threads, "threads")
    shared = _Runs(sentences, threads, parallel)  # one vocabulary per trainer for all the runs
    sweep, sweep_emb = _sweep(shared, lrs, seeds[0], transform, progress, setting)
    best = best_lrs(sweep, metric)
    runs = [pd.concat([sweep[(sweep["trainer"] == t) & (sweep["lr"] == best[t])] for t in ("ours", "gensim")])]
    embeddings = {(t, seeds[0]): sweep_emb[t, best[t]] for t in ("ours", "gensim")}
    if len(seeds) > 1:
        more, more_emb = _compare(shared, seeds[1:], transform, progress, best, setting)
        runs.append(more)
        embeddings |= more_emb
    return sweep, pd.concat(runs, ignore_index=True), embeddings, best


def format_sweep(sweep: pd.DataFrame, metrics: Sequence[str] = ("ws353_tune",), decimals: int = 2) -> pd.DataFrame:
    """``lr_sweep``'s table for reading: one row per lr, a column per (metric, trainer), ``decimals`` decimals or
    "diverged"."""
    decimals, out = validate.non_negative_int(decimals, "decimals"), {}
    for metric in metrics:
        for trainer in ("ours", "gensim"):
            rows = sweep[sweep["trainer"] == trainer].set_index("lr")
            out[f"{metric} {trainer}"] = ["diverged" if d else f"{v:.{decimals}f}"
                                          for v, d in zip(rows[metric], rows["diverged"], strict=True)]
    return pd.DataFrame(out, index=pd.Index(rows.index, name="lr"))


def comparison_verdict(runs: pd.DataFrame, metric: str = "ws353_test") -> str:
    """ours − gensim of the seeds' mean ``metric``, its standard error √(s²_a/n_a + s²_b/n_b) and Welch's test:
    "ahead" only at p < 0.05, else "can't tell them apart with n seeds" (p to one decimal: a last-bit change of
    the training moves it in the second)."""
    metric = validate.one_of(metric, "metric", METRICS)
    a, b = (runs.loc[runs["trainer"] == t, metric].to_numpy() for t in ("ours", "gensim"))
    if min(len(a), len(b)) < 2:
        raise ValueError(f"runs: expected at least 2 seeds per trainer, got {len(a)} and {len(b)}")
    diff, se = a.mean() - b.mean(), math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    p = welch_pvalue(a, b)
    if p < 0.05:
        verdict = "ours ahead" if diff > 0 else "gensim ahead"
    else:
        verdict = f"can't tell them apart with {min(len(a), len(b))} seeds"
    return f"{metric}: ours − gensim = {diff:+.2f} ± {se:.2f} (standard error), Welch's p = {p:.1f} → {verdict}"


# ---------------------------------------------------------------- looking at trained vectors
def oov_by_min_count(sentences: Sequence[Sequence[str]], pairs: pd.DataFrame,
                     min_counts: Sequence[int] = (1, 2, 3, 5)) -> pd.DataFrame:
    """How many ``pairs`` (word1, word2) a corpus can evaluate at each vocabulary cut-off: a DataFrame[min_count,
    vocab_size, pairs_in_vocabulary, oov_ratio] — a property of the corpus and the cut-off, not of the vectors."""
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


def topic_cohesion(emb: Embeddings, groups: dict[str, Sequence[str]]) -> pd.DataFrame:
    """Per topic, the mean cosine between its own words and the mean cosine to the other topics' words, in all D
    dimensions: DataFrame[within, to_others, margin] indexed by topic (what a 2-D picture only suggests)."""
    words = [w for ws in groups.values() for w in ws]
    missing = [w for w in words if w not in emb]
    if missing:
        raise KeyError(f"groups: words not in the vocabulary: {missing}")
    unit = np.stack([emb[w] / np.linalg.norm(emb[w]) for w in words])
    cos, topic = unit @ unit.T, np.repeat(list(groups), [len(ws) for ws in groups.values()])  # (n, n), (n,)
    rows = []
    for name in groups:
        own = topic == name
        within = cos[np.ix_(own, own)][~np.eye(own.sum(), dtype=bool)].mean()
        rows.append((name, within, cos[np.ix_(own, ~own)].mean()))
    df = pd.DataFrame(rows, columns=["topic", "within", "to_others"]).set_index("topic")
    return df.assign(margin=df["within"] - df["to_others"])


def gender_direction(emb: Embeddings, words: Sequence[str], pair: tuple[str, str] = ("he", "she")) -> pd.DataFrame:
    """cos(w, pair[0]) − cos(w, pair[1]) per word (NaN if unknown): a DataFrame indexed by word, with both cosines."""
    for w in pair:
        if w not in emb:
            raise KeyError(f"pair: {w!r} is not in the vocabulary")
    rows = [(w, *(emb.similarity(w, p) for p in pair)) if w in emb else (w, np.nan, np.nan) for w in words]
    df = pd.DataFrame(rows, columns=["word", f"cos({pair[0]})", f"cos({pair[1]})"]).set_index("word")
    return df.assign(difference=df.iloc[:, 0] - df.iloc[:, 1])
