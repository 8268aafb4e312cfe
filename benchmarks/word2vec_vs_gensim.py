"""Our SGNS trainer (nlpcourse.word2vec.train.train_sgns) against gensim's Word2Vec, measured in one run.

Same corpus (head500.noblanks.cor, 331k tokens of Porter-stemmed Wikipedia), same hyperparameters
(skip-gram, negative sampling, dim, window, negative, epochs, min_count, sample, lr), the same number of
threads (gensim ``workers`` = torch threads, 1 by default), several seeds. Prints per run the training time,
tokens/s (corpus tokens × epochs / training seconds, the same count for both), the Spearman correlation
with WordSim353 and SimLex-999 (evaluation words Porter-stemmed before lookup, as the corpus) and the OOV
ratio; then mean ± std over seeds, the throughput ratio ours/gensim and the Spearman difference.

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/word2vec_vs_gensim.py [--epochs 10] [--dim 100] [--seeds 0 1 2]

Timings depend on the machine and its load (run it on a quiet machine); the ratio is what to compare.
"""

from __future__ import annotations

import argparse

import numpy as np

from nlpcourse.data import load_corpus
from nlpcourse.word2vec.train import compare_with_gensim


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
    args = parser.parse_args()

    sentences = load_corpus(args.corpus)
    setting = dict(dim=args.dim, window=args.window, negative=args.negative, epochs=args.epochs,
                   min_count=args.min_count, sample=args.sample)
    print(f"{args.corpus}: {sum(len(s) for s in sentences)} tokens; {setting}; threads={args.threads}")
    df, _ = compare_with_gensim(sentences, seeds=args.seeds, threads=args.threads, **setting)
    print(df.to_string(float_format=lambda v: f"{v:.3f}", index=False))
    summary = df.groupby("trainer")[["seconds", "tokens_per_s", "wordsim353", "simlex999"]].agg(["mean", "std"])
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))
    tps = df.groupby("trainer")["tokens_per_s"].mean()
    print(f"throughput ratio ours / gensim (same {args.threads} thread(s)): {tps['ours'] / tps['gensim']:.2f}")
    for name in ("wordsim353", "simlex999"):
        col = df.groupby("trainer")[name]
        noise = float(np.hypot(*col.std().values)) if len(args.seeds) > 1 else float("nan")
        print(f"{name} Spearman, ours - gensim: {col.mean()['ours'] - col.mean()['gensim']:+.3f} "
              f"(seed-to-seed noise of the difference ~ {noise:.3f})")


if __name__ == "__main__":
    main()
