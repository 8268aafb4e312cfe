"""Our beam search (nlpcourse.decoding.generate) against transformers' model.generate(num_beams=k), in one run.

Both decode the same tiny randomly initialised GPT-2 (``decoding.hf.tiny_gpt2``, built from a GPT2Config, no
download) on the same prompts with the same settings and return the same sequences (the "same" column says so).
Each side at its own best: transformers with its key/value cache; ours through ``hf_step``, which reruns the
whole prefix every step (no cache), so the search itself is what differs. Prints the median time per decoded
batch over repeats, and the ratio ours / HF (< 1: ours is faster). Then exhaustive search against beam search
as the length T grows: step rows scored and time, on a random toy model with |V| = 4.

    HF_HUB_OFFLINE=1 PYTHONHASHSEED=0 .venv/bin/python benchmarks/beam_vs_hf.py [--repeats 5] [--threads 1] [--quick]

``--quick``: one repeat (CI's smoke run). ``make bench`` collects the ``BENCH`` lines.

Timings depend on the machine and its load (run it on a quiet machine); the ratio is what to compare.
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable

import numpy as np
import pandas as pd

from coursetools.bench import emit
from nlpcourse import torch_threads
from nlpcourse.decoding import count_sequences, counting, exhaustive_decode, generate, random_step
from nlpcourse.decoding.hf import hf_generate, reference_problem


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs, after one warm-up run."""
    fn()
    return statistics.median(timeit.repeat(fn, number=1, repeat=repeats))


def ours_vs_hf(repeats: int, batch: int) -> pd.DataFrame:
    model, step, prompts, eos, pad = reference_problem(0, batch=batch, prompt_length=4)
    rows = []
    for k in (2, 4, 8):
        for T in (8, 16, 32):
            kw = dict(num_beams=k, max_new_tokens=T, eos_token_id=eos, pad_token_id=pad, length_penalty=1.0,
                      early_stopping=False)
            ours, hf = generate(step, prompts, **kw), hf_generate(model, prompts, **kw)
            same = ours[0].shape == hf[0].shape and bool(np.array_equal(ours[0], hf[0]))
            t_ours = median_time(lambda kw=kw: generate(step, prompts, **kw), repeats)
            t_hf = median_time(lambda kw=kw: hf_generate(model, prompts, **kw), repeats)
            rows.append({"k": k, "T": T, "same": same, "ours ms": 1e3 * t_ours, "HF ms": 1e3 * t_hf,
                         "ours / HF": t_ours / t_hf})
    return pd.DataFrame(rows)


def exhaustive_vs_beam(repeats: int) -> pd.DataFrame:
    V, k = 4, 3
    step = random_step(V, seed=0)
    rows = []
    for T in range(2, 8):
        kw = dict(max_new_tokens=T, eos_token_id=1, pad_token_id=0)
        ex, bm = counting(step), counting(step)
        exhaustive_decode(ex, [[2]], length_penalty=0.0, **kw)
        generate(bm, [[2]], num_beams=k, length_penalty=0.0, **kw)
        t_ex = median_time(lambda kw=kw: exhaustive_decode(step, [[2]], length_penalty=0.0, **kw), repeats)
        t_bm = median_time(lambda kw=kw: generate(step, [[2]], num_beams=k, length_penalty=0.0, **kw), repeats)
        rows.append({"T": T, "sequences": count_sequences(V, T), "rows exhaustive": ex.rows,
                     f"rows beam k={k}": bm.rows, "exhaustive ms": 1e3 * t_ex, "beam ms": 1e3 * t_bm,
                     "exhaustive / beam": t_ex / t_bm})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=4, help="prompts decoded together")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for both sides")
    parser.add_argument("--quick", action="store_true", help="smoke-sized run (CI): one repeat")
    args = parser.parse_args()
    if args.quick:
        args.repeats = 1
    fmt = {"float_format": "{:.2f}".format}
    with torch_threads(args.threads):
        print(f"ours vs model.generate(num_beams=k): tiny GPT-2, batch of {args.batch} prompts, "
              f"median of {args.repeats}, {args.threads} torch thread(s)")
        df = ours_vs_hf(args.repeats, args.batch)
        print(df.to_string(index=False, **fmt))
        geomean = float(np.exp(np.log(df["ours / HF"]).mean()))
        print(f"geometric mean ours / HF: {geomean:.2f}")
        emit(f"beam search, tiny GPT-2, batch {args.batch}, k in 2/4/8 × T in 8/16/32 (geometric mean; "
             f"same sequences in {int(df['same'].sum())}/{len(df)})", geomean,
             ours="decoding.generate (no KV cache)", reference="transformers generate(num_beams=k), KV cache",
             meaning="our time / HF's time: < 1 means ours is faster")
        print("\nexhaustive vs beam search as T grows (random toy model, |V| = 4)")
        ex = exhaustive_vs_beam(args.repeats)
        print(ex.to_string(index=False, **fmt))
        last = ex.iloc[-1]
        emit(f"exhaustive vs beam search (k = 3), |V| = 4, T = {int(last['T'])}", float(last["exhaustive / beam"]),
             ours="decoding.generate (beam)", reference="decoding.exhaustive_decode",
             meaning="exhaustive time / beam time: how much the beam saves")


if __name__ == "__main__":
    main()
