"""Subword n-gram hashing and subword training: ours against gensim (and fastText), measured in one run.

1. **Hashing**: the bucket ids of every n-gram of every word of a corpus vocabulary (n-gram extraction +
   FNV-1a + modulo), three ways, on the same words with the same (minn, maxn, bucket):
   - gensim: ``[ft_ngram_hashes(w, minn, maxn, bucket) for w in words]`` (compiled n-grams and hash, one
     Python call per word and per n-gram: what gensim's ``FastText`` runs when it builds its vocabulary);
   - ours, vectorised: ``nlpcourse.subwords.ngram_ids_batch(words, ...)`` (numpy over all n-grams at once);
   - ours, readable: ``[ngram_ids(w, ...) for w in words]`` (pure Python, what the notebook shows).
   The results are checked to be identical; the best of ``--repeats`` runs of each is reported, with
   n-grams/s and the ratio to gensim.
2. **Training**: our subword SGNS (``train_subword_sgns``) vs gensim ``FastText`` vs fastText's
   ``train_unsupervised``, same corpus and ``SubwordConfig``, one thread each; the best of ``--seeds`` runs and
   the ratio to gensim, in CPU seconds (user + system, fastText's training process included): on a shared
   machine the other processes inflate wall time, much less CPU time. The same K = 5 negatives per pair:
   gensim's and fastText's drawn per pair, ours the expected value of 5 draws from a pool of ``pool_size``
   per batch (notebook 01's pooled negatives); ours gathers a window's center rows once for its pairs.

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/ngrams_vs_gensim.py [--corpus lee_background.cor] [--epochs 5]

Timings depend on the machine and its load (run it on a quiet machine); the ratios are what to compare.
``--quick`` is a smoke-sized run for CI (2 repeats, 1 epoch, 1 seed). ``make bench`` collects the ``BENCH`` lines.
"""

from __future__ import annotations

import argparse
import os
import timeit
from collections.abc import Callable

from gensim.models.fasttext import ft_ngram_hashes

from coursetools.bench import emit
from nlpcourse.data import Vocab, load_corpus
from nlpcourse.subwords import ngram_ids, ngram_ids_batch
from nlpcourse.subwords.train import TRAINERS, SubwordConfig


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """The fastest of ``repeats`` timed runs of ``fn`` (seconds) and the result of one more, untimed run."""
    return min(timeit.repeat(fn, number=1, repeat=repeats)), fn()


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (fastText trains in one), user + system."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="lee_background.cor")
    parser.add_argument("--minn", type=int, default=3)
    parser.add_argument("--maxn", type=int, default=6)
    parser.add_argument("--bucket", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument("--train-bucket", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--quick", action="store_true", help="smoke-sized run (CI): 2 repeats, 1 epoch, 1 seed")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.epochs, args.seeds = 2, 1, [0]

    sentences = load_corpus(args.corpus)
    words = Vocab.build(sentences, min_count=1).itos
    n, m, b = args.minn, args.maxn, args.bucket
    print(f"{args.corpus}: {len(words)} distinct words; n = {n}..{m}, bucket = {b:,}; best of {args.repeats}")

    t_gensim, ref = best_of(lambda: [ft_ngram_hashes(w, n, m, b) for w in words], args.repeats)
    t_vec, (ids, offsets) = best_of(lambda: ngram_ids_batch(words, n, m, b), args.repeats)
    t_py, ours_py = best_of(lambda: [ngram_ids(w, n, m, b) for w in words], max(1, args.repeats // 2))
    same = all(ids[offsets[i]:offsets[i + 1]].tolist() == r == ours_py[i].tolist() for i, r in enumerate(ref))
    total = len(ids)
    print(f"{total:,} n-grams; ids identical in all three: {same}")
    print(f"{'hashing':28s} {'seconds':>8s} {'n-grams/s':>12s} {'vs gensim':>10s}")
    for name, t in [("gensim ft_ngram_hashes", t_gensim), ("ours, vectorised (numpy)", t_vec),
                    ("ours, readable (Python)", t_py)]:
        print(f"{name:28s} {t:8.4f} {total / t:12,.0f} {t_gensim / t:9.2f}x")
    if not same:
        raise SystemExit("the ids differ from gensim's: the timing compares different work")
    emit(f"n-gram extraction + hashing, {len(words):,} words, n = {n}..{m}", t_gensim / t_vec,
         ours="ngram_ids_batch (numpy)", reference="gensim ft_ngram_hashes (compiled)",
         meaning="gensim's time / ours: > 1 means ours is faster (the ids are identical)")

    config = SubwordConfig(dim=args.dim, epochs=args.epochs, bucket=args.train_bucket, threads=1, batch_size=512)
    n_tokens = sum(len(s) for s in sentences)
    print(f"\ntraining on {n_tokens:,} tokens, {config}")
    times = {}
    for name, trainer in TRAINERS.items():
        seconds = []
        for seed in args.seeds:
            t0 = cpu_seconds()
            trainer(sentences, SubwordConfig.make(config, seed=seed))
            seconds.append(cpu_seconds() - t0)
        times[name] = min(seconds)
    print(f"{'training (1 thread)':28s} {'CPU s':>8s} {'tokens/s':>12s} {'gensim/this':>12s}")
    for name, t in times.items():
        print(f"{name:28s} {t:8.2f} {n_tokens * config.epochs / t:12,.0f} {times['gensim FastText'] / t:11.2f}x")
    ours_name = next(name for name in times if name.startswith("ours"))
    emit(f"subword SGNS training, {args.corpus}, {config.epochs} epoch(s), 1 thread", times["gensim FastText"]
         / times[ours_name], ours="train_subword_sgns (torch)", reference="gensim FastText (C)",
         meaning="gensim's time / ours: > 1 means ours is faster")


if __name__ == "__main__":
    main()
