"""Full softmax vs hierarchical softmax: one batched loss + gradient as the vocabulary grows (notebook 02).

Both sides are hand-written torch in ``nlpcourse.hsoftmax.train`` (``softmax_batch_loss_and_grad`` and
``hs_batch_loss_and_grad``), run on the same center vectors, with targets drawn from Zipfian counts and a
Huffman tree built from those counts; same dimension and batch for every size; best of a few repeats after
a warm-up, both measured side by side in this one run. The goal in issue 4 is a speed-up ≥ 20× at |V| = 100k.

    .venv/bin/python benchmarks/hsoftmax_vs_softmax.py [--sizes 1000 10000 100000 1000000] [--dim 100]
        [--batch 128] [--repeats 5] [--threads 1]

``--quick`` is a smoke-sized run (|V| up to 10k, 2 repeats) for CI. ``make bench`` collects the ``BENCH`` lines.
``--threads 0`` keeps torch's default thread count (multi-threaded timings of the small tree ops are noisy on a
busy machine; one thread compares like with like).
"""

import argparse
import platform

import torch

from coursetools.bench import emit
from nlpcourse.hsoftmax.train import measure_speed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    ap.add_argument("--quick", action="store_true", help="smoke-sized run (CI): |V| in 1k, 10k; 2 repeats")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.repeats = [1_000, 10_000], 2
    threads = args.threads or torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} thread(s), {platform.processor() or platform.machine()}")
    print(f"dim={args.dim}, batch={args.batch}, best of {args.repeats}; Zipfian counts, Huffman tree\n")
    df = measure_speed(args.sizes, dim=args.dim, batch=args.batch, repeats=args.repeats,
                       threads=args.threads or None, progress=True)
    for row in df.itertuples():
        emit(f"loss + gradient, batch {args.batch}, dim {args.dim}, |V| = {row.V:,}", row.speedup,
             ours="hierarchical softmax (hs_batch_loss_and_grad)",
             reference="full softmax (softmax_batch_loss_and_grad)",
             meaning="full-softmax time / hierarchical-softmax time: > 1 means the tree is faster")
    df["V"] = df["V"].map(lambda v: f"{v:,}")
    print(df.to_string(index=False, formatters={
        "avg_path": "{:.1f}".format, "softmax_ms": "{:.2f}".format, "hs_ms": "{:.3f}".format,
        "speedup": "{:.0f}×".format}))
    print("\nspeedup = softmax time / hierarchical-softmax time for one batched loss + gradient "
          "(avg_path: mean path length of the timed batch's targets — a sample of the Zipfian counts, so it "
          "differs a little from the count-weighted average HuffmanTree.average_depth()).")


if __name__ == "__main__":
    main()
