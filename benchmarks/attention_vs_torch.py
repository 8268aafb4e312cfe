"""Our batched multi-head attention vs ``torch.nn.MultiheadAttention``, forward and forward + backward (notebook 06).

Ours is ``nlpcourse.attention.train.MultiHeadAttention`` (torch ops, torch's parameter layout, the attention
weights materialised as in the notebook). torch runs twice: with ``need_weights=True`` (it materialises the
weights too: the same work) and with ``need_weights=False`` (its fused ``scaled_dot_product_attention``: torch
at its best). Same parameters, same inputs, float32, every side timed as the best of ``--repeats`` rounds after a
warm-up, the sides interleaved within each round, in this one run. The weights are N·H·L·L floats: O(L²)
memory, printed per length.
The goal in issue 12 is ours within 1.25× of torch's time.

    .venv/bin/python benchmarks/attention_vs_torch.py [--lengths 64 128 256 512 1024] [--batch 4]
        [--embed-dim 128] [--heads 4] [--repeats 7] [--threads 0] [--device cpu|cuda] [--quick]

``--quick``: lengths 64 and 128, 2 repeats (CI's smoke run). ``make bench`` collects the ``BENCH`` lines.
"""

import argparse
import platform
import timeit
from collections.abc import Callable

import pandas as pd
import torch
from tqdm.auto import tqdm

from coursetools.bench import emit
from nlpcourse import device, torch_threads
from nlpcourse.attention.train import MultiHeadAttention


def best_times(fns: dict[str, Callable[[], object]], repeats: int, sync: Callable[[], None]) -> dict[str, float]:
    """The best wall time in seconds of each ``fn()`` over ``repeats`` rounds, after one warm-up round.

    Every round runs each side once in turn, so a burst of load from other processes hits all sides alike.
    """
    timers = {name: timeit.Timer(lambda fn=fn: (sync(), fn(), sync())) for name, fn in fns.items()}
    best = dict.fromkeys(fns, float("inf"))
    for round_ in range(repeats + 1):
        for name, timer in timers.items():
            seconds = timer.timeit(number=1)
            if round_:  # round 0 is the warm-up
                best[name] = min(best[name], seconds)
    return best


def measure(lengths: list[int], batch: int, embed_dim: int, heads: int, repeats: int, device: str) -> pd.DataFrame:
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(embed_dim, heads, batch_first=True).to(device)
    ours = MultiHeadAttention(embed_dim, heads).to(device)
    ours.load_state_dict(ref.state_dict())
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    rows = []
    for L in tqdm(lengths, desc="lengths"):
        x = torch.randn(batch, L, embed_dim, device=device, requires_grad=True)
        sides = {
            "ours": lambda x=x: ours(x, x, x)[0],
            "torch, weights": lambda x=x: ref(x, x, x, need_weights=True)[0],
            "torch, fused": lambda x=x: ref(x, x, x, need_weights=False)[0],
        }
        with torch.no_grad():  # the benchmark's own check: both compute the same thing
            assert torch.allclose(ours(x, x, x)[0], ref(x, x, x)[0], atol=1e-4)
            forward = best_times(sides, repeats, sync)
        backward = best_times({k: (lambda f=f: f().sum().backward()) for k, f in sides.items()}, repeats, sync)
        row = {"L": L, "weights MiB": batch * heads * L * L * 4 / 2**20}
        row.update({f"fwd {k} ms": 1e3 * t for k, t in forward.items()})
        row.update({f"fwd+bwd {k} ms": 1e3 * t for k, t in backward.items()})
        rows.append(row)
    df = pd.DataFrame(rows)
    for mode in ("fwd", "fwd+bwd"):
        df[f"{mode} ours / torch weights"] = df[f"{mode} ours ms"] / df[f"{mode} torch, weights ms"]
        df[f"{mode} ours / torch fused"] = df[f"{mode} ours ms"] / df[f"{mode} torch, fused ms"]
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lengths", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--embed-dim", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--device", default=device(), help="cpu or cuda (default: cuda when visible)")
    ap.add_argument("--quick", action="store_true", help="smoke-sized run (CI): lengths 64, 128; 2 repeats")
    args = ap.parse_args()
    if args.quick:
        args.lengths, args.repeats = [64, 128], 2
    with torch_threads(args.threads or None):
        print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
              f"{platform.processor() or platform.machine()}")
        print(f"batch={args.batch}, embed_dim={args.embed_dim}, heads={args.heads}, float32, {args.device}, "
              f"best of {args.repeats} interleaved rounds\n")
        df = measure(args.lengths, args.batch, args.embed_dim, args.heads, args.repeats, args.device)
    ms = {c: "{:.2f}".format for c in df.columns if c.endswith(" ms")}
    ratios = {c: "{:.2f}×".format for c in df.columns if "/" in c}
    print(df[["L", "weights MiB", *ms]].to_string(index=False, formatters={"weights MiB": "{:.1f}".format, **ms}))
    print()
    print(df[["L", *ratios]].to_string(index=False, formatters=ratios))
    for _, row in df.iterrows():
        for mode in ("fwd", "fwd+bwd"):
            emit(f"{'forward' if mode == 'fwd' else 'forward + backward'}, L = {int(row['L'])}, batch {args.batch}, "
                 f"embed {args.embed_dim}, {args.heads} heads, {args.device}", row[f"{mode} ours / torch weights"],
                 ours="MultiHeadAttention (nlpcourse.attention.train)",
                 reference="torch.nn.MultiheadAttention(need_weights=True)",
                 meaning="our time / torch's time: < 1 means ours is faster (goal ≤ 1.25)")
    print("\nratio = our time / torch's time (below 1: ours is faster). 'torch, weights': need_weights=True, the "
          "same work as ours;\n'torch, fused': need_weights=False (scaled_dot_product_attention, no weights "
          "kept). weights MiB: the N·H·L·L float32 attention weights ours keeps (O(L²)).")


if __name__ == "__main__":
    main()
