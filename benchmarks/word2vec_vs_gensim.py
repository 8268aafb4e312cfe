"""Our SGNS trainer (nlpcourse.word2vec.train.train_sgns) against gensim's Word2Vec, measured in one run.

Same corpus (head500.noblanks.cor, 331k tokens of Porter-stemmed Wikipedia), same hyperparameters (skip-gram,
negative sampling, dim, window, negative, epochs, min_count, sample), one thread each (gensim ``workers`` = torch
threads), several seeds — and each trainer at its OWN best starting learning rate, chosen by a sweep (``--lrs``)
on the first seed by half of WordSim353 (``ws353_tune``); the other half (``ws353_test``) and SimLex-999 are
reported. Prints the sweep, each run's CPU seconds and tokens per CPU second (corpus tokens × epochs, the same
count for both; CPU time, so other processes on a shared machine disturb it less than wall time), the Spearman
correlations; then the throughput ratio ours/gensim and, per benchmark, the difference of the seeds' means with
its standard error and Welch's test.

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/word2vec_vs_gensim.py [--epochs 10] [--dim 100] [--seeds 0 1 2]
        [--lrs 0.025 0.05 0.1 0.2]

``--quick`` is a smoke-sized run for CI (lee_background.cor, 1 epoch, 1 seed). ``make bench`` collects the
``BENCH`` lines. The ratio is what to compare between machines.
"""

from __future__ import annotations

import argparse

import numpy as np

from coursetools.bench import emit
from nlpcourse.data import load_corpus
from nlpcourse.word2vec.train import compare_at_best_lr, comparison_verdict, format_sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="head500.noblanks.cor")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=1, help="gensim workers = torch threads")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--lrs", type=float, nargs="+", default=[0.025, 0.05, 0.1, 0.2],
                        help="starting learning rates of the sweep (on the first seed)")
    parser.add_argument("--quick", action="store_true", help="smoke-sized run (CI): lee_background, 1 epoch, 1 seed")
    args = parser.parse_args()
    if args.quick:
        args.corpus, args.epochs, args.seeds = "lee_background.cor", 1, [0]

    sentences = load_corpus(args.corpus)
    setting = dict(dim=args.dim, window=args.window, negative=args.negative, epochs=args.epochs,
                   min_count=args.min_count, sample=args.sample)
    print(f"{args.corpus}: {sum(len(s) for s in sentences)} tokens; {setting}; threads={args.threads}")
    # parallel=False: one run at a time, so that neither trainer's CPU seconds share the machine with the other's
    sweep, df, _, best = compare_at_best_lr(sentences, lrs=args.lrs, seeds=args.seeds, threads=args.threads,
                                            parallel=False, **setting)
    print(f"learning-rate sweep, seed {args.seeds[0]}:")
    print(format_sweep(sweep, ("ws353_tune", "ws353_test", "simlex999")).to_string())
    print(f"each trainer's best starting lr (ws353_tune): ours {best['ours']:g}, gensim {best['gensim']:g}\n")
    print(df.drop(columns="diverged").to_string(float_format=lambda v: f"{v:.3f}", index=False))
    summary = df.groupby("trainer")[["cpu_seconds", "tokens_per_cpu_s", "ws353_test", "simlex999"]].agg(["mean", "std"])
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))
    tps = df.groupby("trainer")["tokens_per_cpu_s"].mean()
    print(f"throughput ratio ours / gensim (same {args.threads} thread(s)): {tps['ours'] / tps['gensim']:.2f}")
    emit(f"SGNS training throughput, {args.corpus}, {args.epochs} epoch(s), {args.threads} thread(s)",
         tps["ours"] / tps["gensim"], ours="train_sgns (torch)", reference="gensim Word2Vec (C)",
         meaning="our tokens/s / gensim's tokens/s: > 1 means ours is faster")
    for name in ("ws353_test", "simlex999"):
        col = df.groupby("trainer")[name]
        diff = col.mean()["ours"] - col.mean()["gensim"]
        noise = float(np.sqrt((col.var() / col.count()).sum())) if len(args.seeds) > 1 else float("nan")
        print(comparison_verdict(df, name) if len(args.seeds) > 1 else
              f"{name} Spearman, ours - gensim: {diff:+.3f} (one seed: no standard error)")
        emit(f"{name} Spearman, mean of {len(args.seeds)} seed(s), each at its best lr "
             f"(ours {best['ours']:g}, gensim {best['gensim']:g})", diff, unit="Spearman",
             ours="train_sgns", reference="gensim Word2Vec",
             meaning="ours − gensim: ≈ 0 means equal quality "
             + (f"(standard error {noise:.3f})" if len(args.seeds) > 1 else "(one seed: no standard error)"))


if __name__ == "__main__":
    main()
