"""Notebook 05, part 9: a fixed-window neural language model (Bengio et al. 2003) and an n-gram baseline.

The model reads the previous n words, looks up and concatenates their embeddings, applies one tanh hidden
layer and a softmax over the vocabulary:

    x = [E[w_{t−n}]; …; E[w_{t−1}]]  (n·D,)     h = tanh(W x + b)  (H,)     p(w_t | …) = softmax(U h + c)  (V,)

``FixedWindowLM`` holds the weights as numpy arrays (forward and backward in numpy, checked against
autograd); ``train_window_lm`` trains the same network batched in torch, for speed. ``save``/``load`` keep
it as one ``.npz`` (weights + vocabulary), and ``next_token_logprobs`` is what a decoder calls (notebook 07).

The baselines are counted on the same training split: ``NGramLM`` is interpolated absolute discounting
down to an add-one unigram; ``KneserNeyLM`` is interpolated Kneser–Ney (Chen & Goodman 1999) — the same
discounting at the highest order, but every lower order counts *continuations* (how many different words
precede an n-gram) instead of occurrences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import torch_threads, validate
from ..data import Vocab, corpus_path, tokenize
from ..functional import log_softmax
from ..perturb import nudge
from . import Linear, SoftmaxCrossEntropy, Tanh, linear_weights

if TYPE_CHECKING:
    import torch

__all__ = [
    "UNK", "BOS", "EOS", "load_documents", "train_val_split", "lm_vocab", "encode", "windows", "perplexity",
    "NGramLM", "KneserNeyLM", "FixedWindowLM", "softmax_cross_entropy", "LMTrainConfig",
    "train_window_lm", "COURSE_LM", "course_lm",
]

Ids = Sequence[int] | np.ndarray  # token ids: a list or an int array

UNK, BOS, EOS = "<unk>", "<s>", "</s>"

# ---------------------------------------------------------------- data: sentences, vocabulary, windows


def load_documents(name: str = "lee_background.cor") -> list[list[list[str]]]:
    """The corpus's documents (one a line), each a list of sentences (split after . ! ?), each a list of tokens
    (``data.tokenize(text, min_len=1)``: "a" and "i" kept)."""
    docs = []
    with open(corpus_path(name), encoding="utf-8", errors="replace") as f:
        for line in f:
            sentences = [tokenize(s, min_len=1) for s in re.split(r"(?<=[.!?])\s+", line.strip())]
            if any(sentences):
                docs.append([s for s in sentences if s])
    return docs


def train_val_split(docs: list[list[list[str]]], val_docs: int = 30) -> tuple[list[list[str]], list[list[str]]]:
    """Split by document (no sentence of a validation document is seen in training): the last
    ``val_docs`` documents are validation. Returns (train sentences, validation sentences)."""
    if not 1 <= validate.integer(val_docs, "val_docs") < len(docs):
        raise ValueError(f"val_docs: expected 1 <= val_docs < {len(docs)} (the number of documents), got {val_docs}")
    return [s for d in docs[:-val_docs] for s in d], [s for d in docs[-val_docs:] for s in d]


def lm_vocab(sentences: list[list[str]], min_count: int = 2) -> Vocab:
    """<unk>, <s>, </s>, then the words seen >= ``min_count`` times; <unk> counts the rarer words' tokens, <s> and
    </s> one per sentence."""
    words = Vocab.build(sentences, min_count=validate.positive_int(min_count, "min_count"))
    n_tokens = sum(len(s) for s in sentences)
    specials = [n_tokens - int(words.counts.sum()), len(sentences), len(sentences)]
    return Vocab([UNK, BOS, EOS, *words.itos], [*specials, *words.counts])


def encode(sentences: list[list[str]], vocab: Vocab) -> list[np.ndarray]:
    """Each sentence as ids with unknown words mapped to <unk> and </s> appended: list of (len + 1,) int64."""
    if not isinstance(vocab, Vocab) or UNK not in vocab or EOS not in vocab:
        raise TypeError(f"vocab: expected a data.Vocab with {UNK!r} and {EOS!r} (from lm_vocab), got {vocab!r}")
    unk, eos = vocab.stoi[UNK], vocab.stoi[EOS]
    return [np.array([vocab.stoi.get(w, unk) for w in s] + [eos], dtype=np.int64) for s in sentences]


def windows(encoded: list[np.ndarray], n: int, bos_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (previous n ids, next id) pair, sentence starts padded with ``bos_id``: contexts (N, n), targets (N,)
    int64, N = the number of ids in ``encoded``."""
    if validate.integer(n, "n") < 1:
        raise ValueError(f"n: expected a context size >= 1, got {n}")
    bos_id = validate.non_negative_int(bos_id, "bos_id")
    ctx, tgt = [], []
    for ids in encoded:
        padded = np.concatenate([np.full(n, bos_id, dtype=np.int64), ids])
        ctx.append(np.lib.stride_tricks.sliding_window_view(padded, n)[: len(ids)])
        tgt.append(ids)
    return np.concatenate(ctx), np.concatenate(tgt)


def perplexity(logprobs_of_targets: np.ndarray) -> float:
    """exp(−mean log p(target)) for an array (N,) of natural-log probabilities."""
    return float(np.exp(-np.mean(logprobs_of_targets)))


# ---------------------------------------------------------------- the n-gram baseline


class NGramLM:
    """Interpolated absolute discounting of order ``order`` (= context n + 1), add-one unigram at the bottom:

        P(w | h) = max(c(h, w) − d, 0) / c(h)  +  d · N₁₊(h •) / c(h) · P(w | h′)        (h′: h without its oldest word)

    and P(w | h) = P(w | h′) when the context h was never seen.

    The counts are tables of numpy arrays, one per history length k = 1 … n: an n-gram (h, w) is one integer
    (its ids as digits in base V), so counting is ``np.unique`` and looking up is ``np.searchsorted``.
    """

    def __init__(self, contexts: np.ndarray, targets: np.ndarray, vocab_size: int, discount: float = 0.75) -> None:
        """contexts (N, n) and targets (N,) from ``windows``; ``vocab_size`` V; discount d in (0, 1)."""
        if not 0 < validate.number(discount, "discount") < 1:
            raise ValueError(f"discount: expected 0 < d < 1, got {discount}")
        vocab_size = validate.positive_int(vocab_size, "vocab_size")
        contexts, targets = validate.int_array(contexts, "contexts", ndim=2), validate.int_array(targets, "targets")
        if contexts.ndim != 2 or np.shape(targets) != (len(contexts),):
            raise ValueError(f"targets: expected shape ({len(contexts)},) to match contexts {contexts.shape}, "
                             f"got {np.shape(targets)}")
        for name, ids in (("contexts", contexts), ("targets", targets)):
            if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
                raise ValueError(f"{name}: expected ids in [0, {vocab_size}) (vocab_size), "
                                 f"got ids from {ids.min()} to {ids.max()}")
        if vocab_size ** (contexts.shape[1] + 1) >= 2**63:
            raise ValueError(f"contexts: {contexts.shape[1]} words of context over a vocabulary of {vocab_size} "
                             f"do not fit the 64-bit n-gram keys; use a shorter context or a smaller vocabulary")
        self.n, self.V, self.d = contexts.shape[1], vocab_size, discount
        # tables[k] = (keys of (h, w) sorted, their counts, keys of h sorted, c(h), N₁₊(h •)) for k-word histories h
        self.tables: list[tuple[np.ndarray, ...]] = [()]
        self.unigram = self._count(np.column_stack([contexts, targets]).astype(np.int64))

    def _key(self, ids: np.ndarray) -> np.ndarray:
        """Rows of ids (N, m) -> (N,) int64: the ids as the digits of one number in base V."""
        key = np.zeros(len(ids), dtype=np.int64)
        for column in ids.T:
            key = key * self.V + column
        return key

    def _table(self, grams: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, ...]:
        """One history length's table from its distinct (h, w) keys (sorted) and their counts."""
        hist, start = np.unique(grams // self.V, return_index=True)
        total = np.add.reduceat(counts, start) if len(grams) else counts
        return grams, counts, hist, total, np.diff(np.append(start, len(grams)))

    def _count(self, grams: np.ndarray) -> np.ndarray:
        """Fill ``tables`` with occurrence counts from the windows (N, n + 1); return the add-one unigram (V,)."""
        for k in range(1, self.n + 1):
            self.tables.append(self._table(*np.unique(self._key(grams[:, self.n - k :]), return_counts=True)))
        return (np.bincount(grams[:, -1], minlength=self.V) + 1.0) / (len(grams) + self.V)

    def _lookup(self, k: int, context: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
        """For k-word histories, the last k of each row of context (N, ≥ k), and words w (N,):
        (seen: h was a history, c(h, w), c(h), N₁₊(h •)), each (N,)."""
        grams, counts, hist, total, types = self.tables[k]
        h = self._key(context[:, context.shape[1] - k :])
        i = np.minimum(np.searchsorted(hist, h), len(hist) - 1)
        seen = hist[i] == h
        j = np.minimum(np.searchsorted(grams, h * self.V + w), len(grams) - 1)
        c = np.where(grams[j] == h * self.V + w, counts[j], 0)
        return seen, c, np.where(seen, total[i], 1), types[i]

    def logprobs_of(self, contexts: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """log P(w | context) for every window: contexts (N, ≥ n) (the last n words count), targets (N,) -> (N,)."""
        contexts, w = np.asarray(contexts, dtype=np.int64), np.asarray(targets)
        p = self.unigram[w]
        for k in range(1, min(self.n, contexts.shape[1]) + 1):
            if not len(self.tables[k][2]):  # no windows counted
                continue
            seen, c, total, types = self._lookup(k, contexts, w)
            p = np.where(seen, np.maximum(c - self.d, 0) / total + self.d * types / total * p, p)
        return np.log(p)

    def next_token_logprobs(self, context_ids: Ids) -> np.ndarray:
        """log P(· | the last n ids of context_ids) over the vocabulary: (V,) float64."""
        ctx = np.array([int(i) for i in context_ids][-self.n :] if self.n else [], dtype=np.int64)
        p = self.unigram.copy()
        for k in range(1, len(ctx) + 1):
            grams, counts, hist, total, types = self.tables[k]
            h = self._key(ctx[None, len(ctx) - k :])[0]
            lo, hi = np.searchsorted(grams, [h * self.V, (h + 1) * self.V])  # the n-grams (h, ·)
            if lo == hi:
                continue
            p = self.d * (hi - lo) / counts[lo:hi].sum() * p
            p[grams[lo:hi] % self.V] += np.maximum(counts[lo:hi] - self.d, 0) / counts[lo:hi].sum()
        return np.log(p)

    def logprob(self, context: tuple[int, ...], w: int) -> float:
        """log P(w | context) for one word (same formula, without building the (V,) vector)."""
        return float(self.logprobs_of(np.array([context], dtype=np.int64), np.array([w]))[0])

    def perplexity(self, contexts: np.ndarray, targets: np.ndarray) -> float:
        """Perplexity on (contexts (N, n), targets (N,))."""
        return perplexity(self.logprobs_of(contexts, targets))


class KneserNeyLM(NGramLM):
    """Interpolated Kneser–Ney of order n + 1 (one discount d), interpolated with the uniform 1/V at the bottom:

        highest order:  P(w | h) = max(c(h, w) − d, 0) / c(h) + d · N₁₊(h •) / c(h) · P(w | h′)
        lower orders:   the same formula with c replaced by the continuation count N₁₊(• h′ w), the number of
                        different words seen right before h′ w (a word frequent only after one word, like
                        "francisco" after "san", gets a small lower-order probability)
        bottom:         P(w) = max(N₁₊(• w) − d, 0) / N₁₊(• •) + d · |{w : N₁₊(• w) > 0}| / N₁₊(• •) · 1/V

    and P(w | h) = P(w | h′) when h was never seen. With n = 0 (no context) the unigram is the highest order:
    occurrence counts, interpolated with 1/V. Every level sums to 1 over the vocabulary. Windows from
    ``windows`` pad sentence starts with <s>, so every n-gram has a preceding word (perhaps <s>).
    """

    def _count(self, grams: np.ndarray) -> np.ndarray:
        """Occurrence counts at order n, continuation counts below; return the bottom distribution (V,)."""
        n, V = self.n, self.V
        for k in range(1, n):  # N₁₊(• h′ w) for the k-word histories h′: distinct (previous word, h′, w), counted
            distinct = np.unique(self._key(grams[:, n - k - 1 :]))  # once per previous word
            self.tables.append(self._table(*np.unique(distinct % V ** (k + 1), return_counts=True)))
        if n:  # occurrences at the highest order; N₁₊(• w): distinct (previous word, w)
            self.tables.append(self._table(*np.unique(self._key(grams), return_counts=True)))
            bottom = np.bincount(np.unique(self._key(grams[:, n - 1 :])) % V, minlength=V).astype(np.float64)
        else:  # no context: the unigram is the highest order, occurrence counts
            bottom = np.bincount(grams[:, -1], minlength=V).astype(np.float64)
        total, types = bottom.sum(), np.count_nonzero(bottom)
        return np.maximum(bottom - self.d, 0) / total + self.d * types / total / V


# ---------------------------------------------------------------- the fixed-window neural LM


class FixedWindowLM:
    """Bengio et al.'s model with numpy weights: E (V, D), W (H, n·D), b (H,), U (V, H), c (V,)."""

    def __init__(self, vocab: Vocab, n: int = 3, dim: int = 32, hidden: int = 64, seed: int = 0) -> None:
        n, dim = validate.positive_int(n, "n"), validate.positive_int(dim, "dim")
        hidden, seed = validate.positive_int(hidden, "hidden"), validate.non_negative_int(seed, "seed")
        if not isinstance(vocab, Vocab):
            raise TypeError(f"vocab: expected a data.Vocab (from lm_vocab), got {type(vocab).__name__}")
        for special in (UNK, BOS, EOS):
            if special not in vocab:
                raise KeyError(f"vocab: expected the special token {special!r}; build it with lm_vocab")
        self.vocab, self.n = vocab, n
        self.bos_id, self.eos_id, self.unk_id = vocab.stoi[BOS], vocab.stoi[EOS], vocab.stoi[UNK]
        rng = np.random.default_rng(seed)
        V = len(vocab)
        W, b = linear_weights(n * dim, hidden, seed=seed + 1)
        U, c = linear_weights(hidden, V, seed=seed + 2)
        self.params = {"E": nudge(0.1 * rng.standard_normal((V, dim))), "W": W, "b": b, "U": U, "c": c}

    @property
    def dim(self) -> int:
        """The embedding size D."""
        return self.params["E"].shape[1]

    def _check_contexts(self, contexts) -> np.ndarray:
        contexts = np.asarray(contexts)
        if contexts.ndim != 2 or contexts.shape[1] != self.n:
            raise ValueError(f"contexts: expected shape (N, {self.n}), got {contexts.shape}")
        if contexts.size and (contexts.min() < 0 or contexts.max() >= len(self.vocab)):
            raise ValueError(f"contexts: expected ids in [0, {len(self.vocab)}), "
                             f"got ids from {contexts.min()} to {contexts.max()}")
        return contexts.astype(np.int64)

    def _layers(self) -> tuple[Linear, Tanh, Linear]:
        p = self.params
        return Linear.from_params(p["W"], p["b"]), Tanh(), Linear.from_params(p["U"], p["c"])

    def scores(self, contexts: np.ndarray) -> np.ndarray:
        """contexts (N, n) ids -> unnormalised scores U tanh(W x + b) + c, (N, V)."""
        contexts = self._check_contexts(contexts)
        x = self.params["E"][contexts].reshape(len(contexts), -1)
        for layer in self._layers():
            x = layer.forward(x)
        return x

    def logprobs(self, contexts: np.ndarray) -> np.ndarray:
        """contexts (N, n) -> log p(· | context) (N, V)."""
        return log_softmax(self.scores(contexts))

    def next_token_logprobs(self, context_ids: Ids) -> np.ndarray:
        """log p(next | the last n ids of context_ids), left-padded with <s> when shorter: (V,) float64."""
        ids = [int(i) for i in context_ids][-self.n :]
        ids = [self.bos_id] * (self.n - len(ids)) + ids
        return self.logprobs(np.array([ids]))[0]

    def perplexity(self, contexts: np.ndarray, targets: np.ndarray, batch_size: int = 4096) -> float:
        """Perplexity on (contexts (N, n), targets (N,)), computed in batches."""
        lp = []
        for i in range(0, len(targets), batch_size):
            t = targets[i : i + batch_size]
            lp.append(self.logprobs(contexts[i : i + batch_size])[np.arange(len(t)), t])
        return perplexity(np.concatenate(lp))

    def loss_and_grad(self, contexts: np.ndarray, targets: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Mean cross-entropy on a batch and its gradients (our backward; E's gradient is a scatter-add).

        contexts (N, n), targets (N,) -> (loss, {"E": (V, D), "W", "b", "U", "c"}).
        """
        contexts = self._check_contexts(contexts)
        hidden, act, out = self._layers()
        ce = SoftmaxCrossEntropy()
        x = self.params["E"][contexts].reshape(len(contexts), -1)
        loss = ce.forward(out.forward(act.forward(hidden.forward(x))), targets)
        dx = hidden.backward(act.backward(out.backward(ce.backward())))
        dE = np.zeros_like(self.params["E"])
        np.add.at(dE, contexts.ravel(), dx.reshape(-1, self.dim))  # a word used twice gets both gradients
        return loss, {"E": dE, "W": hidden.grads["W"], "b": hidden.grads["b"],
                      "U": out.grads["W"], "c": out.grads["b"]}

    def torch_loss(self, params: dict[str, torch.Tensor], contexts: np.ndarray, targets: np.ndarray) -> torch.Tensor:
        """The same loss in torch from ``params`` (name -> tensor): for gradient checks and training."""
        import torch
        import torch.nn.functional as F

        tgt = targets if isinstance(targets, torch.Tensor) else torch.tensor(np.asarray(targets, dtype=np.int64))
        return F.cross_entropy(self.torch_scores(params, contexts), tgt)

    @staticmethod
    def torch_scores(params: dict[str, torch.Tensor], contexts: np.ndarray | torch.Tensor) -> torch.Tensor:
        """``scores`` in torch from ``params`` (name -> tensor): contexts (N, n) -> (N, V)."""
        import torch
        import torch.nn.functional as F

        ctx = contexts if isinstance(contexts, torch.Tensor) else torch.tensor(np.asarray(contexts, dtype=np.int64))
        # E[ctx] as F.embedding: its backward adds up a word's gradients in a fixed order on any number of
        # threads (indexing's backward does not: two threads gave other last bits run to run)
        x = F.embedding(ctx, params["E"]).reshape(len(ctx), -1)
        return F.linear(torch.tanh(F.linear(x, params["W"], params["b"])), params["U"], params["c"])

    def gradient_check_functions(self, contexts: np.ndarray, targets: np.ndarray) -> tuple[
            Callable[[dict[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]],
            Callable[[dict[str, torch.Tensor]], torch.Tensor], dict[str, np.ndarray]]:
        """(numpy_fn, torch_fn, params) for ``nlpcourse.gradcheck.check_gradients`` on one batch.

        numpy_fn sets the weights and returns ``loss_and_grad``; torch_fn is ``torch_loss``; params are copies.
        """
        def numpy_fn(values: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
            self.params = {k: v.copy() for k, v in values.items()}
            return self.loss_and_grad(contexts, targets)

        return numpy_fn, lambda tensors: self.torch_loss(tensors, contexts, targets), {
            k: v.copy() for k, v in self.params.items()}

    def save(self, path: str | Path) -> None:
        """Save weights, vocabulary (words and counts) and n to one .npz file."""
        np.savez(path, n=self.n, itos=np.array(self.vocab.itos), counts=self.vocab.counts, **self.params)

    @classmethod
    def load(cls, path: str | Path) -> FixedWindowLM:
        """Load a model written by ``save``."""
        with np.load(path, allow_pickle=False) as f:
            vocab = Vocab(f["itos"].tolist(), f["counts"])
            E, W = f["E"], f["W"]
            model = cls(vocab, n=int(f["n"]), dim=E.shape[1], hidden=W.shape[0])
            model.params = {k: f[k].astype(np.float64) for k in ("E", "W", "b", "U", "c")}
        return model


def softmax_cross_entropy(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``F.cross_entropy(scores, targets)`` (scores (N, V), targets (N,) ids; the mean loss) for training, with
    the gradient of section 3, ∂L/∂scores = (p − onehot)/N, from the softmax p that the forward pass keeps:
    one pass of exp over the (N, V) scores instead of two, and no (N, V) one-hot (measured at N = 1024,
    V = 1631: forward and backward 6.1 ms instead of 8.0 ms, of a ~20 ms training step)."""
    return _softmax_cross_entropy_function().apply(scores, targets)


@cache
def _softmax_cross_entropy_function() -> type:  # torch is imported on first use
    import torch

    class SoftmaxCrossEntropy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
            top = scores.amax(dim=1, keepdim=True)
            p = torch.sub(scores, top).exp_()  # (N, V), each row's largest entry e⁰ = 1
            total = p.sum(dim=1, keepdim=True)
            ctx.save_for_backward(p.div_(total), targets)  # softmax(scores)
            return (total.log() + top - scores.gather(1, targets[:, None])).mean()  # −log p_y = log Σ e^s − s_y

        @staticmethod
        def backward(ctx, dloss: torch.Tensor) -> tuple[torch.Tensor, None]:
            p, targets = ctx.saved_tensors  # p becomes the gradient in place (a second backward through this
            p[torch.arange(len(targets)), targets] -= 1  # graph gets autograd's modified-in-place error)
            return p.mul_(dloss / len(targets)), None  # (p − onehot(y))/N

    return SoftmaxCrossEntropy


@dataclass(frozen=True)
class LMTrainConfig(validate.Config):
    """How ``train_window_lm`` trains (checked on creation)."""

    epochs: int = 3  # at most this many passes over the windows
    batch_size: int = 512  # windows per Adam step
    lr: float = 3e-3  # Adam's learning rate
    seed: int = 0  # the shuffling's seed
    patience: int | None = None  # early stopping: epochs without a lower validation perplexity before stopping
    threads: int | None = None  # torch's CPU threads (None: torch's setting); the same results on any number

    def __post_init__(self) -> None:
        self._set("epochs", validate.positive_int(self.epochs, "epochs"))
        self._set("batch_size", validate.positive_int(self.batch_size, "batch_size"))
        self._set("lr", validate.positive_float(self.lr, "lr"))
        self._set("seed", validate.non_negative_int(self.seed, "seed"))
        if self.patience is not None:
            self._set("patience", validate.positive_int(self.patience, "patience"))
        if self.threads is not None:
            self._set("threads", validate.positive_int(self.threads, "threads"))


def train_window_lm(model: FixedWindowLM, contexts: np.ndarray, targets: np.ndarray,
                    config: LMTrainConfig | None = None, *, val: tuple[np.ndarray, np.ndarray] | None = None,
                    progress: bool = True, **overrides: object) -> dict:
    """Train ``model`` in place with Adam, batched in torch (float32): contexts (N, n), targets (N,).

    Returns {"train_loss": per epoch, "val_perplexity": per epoch on ``val``, "best_epoch": int or None}. With
    ``patience`` (and ``val``) it stops when the validation perplexity has not fallen for ``patience`` epochs
    and keeps the weights of its best epoch (1-based ``best_epoch``).
    """
    import torch
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    cfg = LMTrainConfig.make(config, **overrides)
    if not isinstance(model, FixedWindowLM):
        raise TypeError(f"model: expected a FixedWindowLM, got {type(model).__name__}")
    contexts = model._check_contexts(contexts)
    if np.shape(targets) != (len(contexts),):
        raise ValueError(f"targets: expected shape ({len(contexts)},) to match contexts, got {np.shape(targets)}")
    if not 1 <= cfg.batch_size <= len(targets):
        raise ValueError(f"batch_size: expected 1 <= batch_size <= {len(targets)}, got {cfg.batch_size}")
    if cfg.patience is not None and val is None:
        raise ValueError(f"patience: early stopping watches the validation perplexity; pass val "
                         f"(got patience={cfg.patience} and no val)")
    gen = torch.Generator().manual_seed(cfg.seed)
    # float32 from here: the perturbation switch nudges the starting parameters at float32's rounding
    params = {k: nudge(torch.tensor(v, dtype=torch.float32)).requires_grad_() for k, v in model.params.items()}
    opt = torch.optim.Adam(params.values(), lr=cfg.lr)
    ctx_t, tgt_t = torch.as_tensor(contexts), torch.tensor(np.asarray(targets, dtype=np.int64))
    if val is not None:
        val_t = torch.as_tensor(model._check_contexts(val[0])), torch.tensor(np.asarray(val[1], dtype=np.int64))
    history: dict = {"train_loss": [], "val_perplexity": [], "best_epoch": None}
    best: tuple[float, int, dict[str, np.ndarray]] | None = None  # (val perplexity, epoch, weights)
    n_batches = -(-len(targets) // cfg.batch_size)
    bar = tqdm(total=cfg.epochs * n_batches, desc="training", disable=not progress)
    with torch_threads(cfg.threads):
        for epoch in range(1, cfg.epochs + 1):
            order = torch.randperm(len(targets), generator=gen)
            total = 0.0
            for i in range(n_batches):
                idx = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
                loss = softmax_cross_entropy(model.torch_scores(params, ctx_t[idx]), tgt_t[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
                bar.update()
            history["train_loss"].append(total / len(targets))
            weights = {k: v.detach().double().numpy().copy() for k, v in params.items()}
            if val is None:
                continue
            with torch.no_grad():  # the same network in float32, summed per window in float64
                nll = F.cross_entropy(model.torch_scores(params, val_t[0]), val_t[1], reduction="none")
            history["val_perplexity"].append(perplexity(-nll.double().numpy()))
            if cfg.patience is not None:
                if best is None or history["val_perplexity"][-1] < best[0]:
                    best = (history["val_perplexity"][-1], epoch, weights)
                elif epoch - best[1] >= cfg.patience:
                    break
    bar.close()
    model.params = weights if best is None else best[2]
    if best is not None:
        history["best_epoch"] = best[1]
    return history


# The notebook's settings, so that a later notebook (beam search, 07) can rebuild the same model.
COURSE_LM = {"corpus": "lee_background.cor", "val_docs": 30, "min_count": 3, "n": 3, "dim": 32, "hidden": 64,
             "epochs": 5, "batch_size": 256, "lr": 2e-3, "seed": 0}


def course_lm(path: str | Path | None = None, *, epochs: int | None = None, progress: bool = False) -> FixedWindowLM:
    """The notebook-05 language model: loaded from ``path`` if that file exists, else trained with
    ``COURSE_LM`` (``epochs`` overrides its epochs) and, when ``path`` is given, saved there."""
    if epochs is not None:
        epochs = validate.positive_int(epochs, "epochs")
    if path is not None and Path(path).exists():
        return FixedWindowLM.load(path)
    cfg = COURSE_LM
    train_sents, _ = train_val_split(load_documents(cfg["corpus"]), cfg["val_docs"])
    vocab = lm_vocab(train_sents, cfg["min_count"])
    C, T = windows(encode(train_sents, vocab), cfg["n"], vocab.stoi[BOS])
    model = FixedWindowLM(vocab, n=cfg["n"], dim=cfg["dim"], hidden=cfg["hidden"], seed=cfg["seed"])
    train_window_lm(model, C, T, epochs=epochs or cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                    seed=cfg["seed"], progress=progress)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
    return model
