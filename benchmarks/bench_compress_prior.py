"""The entropy model's share: ImageCompressor with the hyperprior against the factorized prior (issue #11).

Same transforms, data, steps, seed and rate_lambda; only ``prior`` differs. Each model is
trained on the first ``--train-images`` MNIST training images, then codes the first
``--test-images`` test images into a real ``.aek`` byte string: bits per pixel of the
whole container and PSNR of its decoded images, at each ``--lambdas`` value. Both run in
this one process, one after the other, one thread.

Run: ``python benchmarks/bench_compress_prior.py`` (writes the ``bench_compress_prior``
section of BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from _report import machine, write_section
from aekit.apps.compress import bits_per_pixel, psnr_uint8
from aekit.data.idx import read_idx
from aekit.estimators.compressor import ImageCompressor

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default="mnist", choices=["mnist", "fashion-mnist"])
    ap.add_argument("--lambdas", nargs="+", type=float, default=[0.003, 0.03])
    ap.add_argument("--train-images", type=int, default=8000)
    ap.add_argument("--test-images", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    Xtr = read_idx(DATA / args.set / "train-images-idx3-ubyte.gz")[: args.train_images]
    X = read_idx(DATA / args.set / "t10k-images-idx3-ubyte.gz")[: args.test_images]
    rows = []
    for lam in args.lambdas:
        for prior in ("factorized", "hyperprior"):
            t0 = time.perf_counter()
            comp = ImageCompressor(lam, prior=prior, hidden=args.hidden, epochs=args.epochs, device="cpu",
                                   random_state=0).fit(Xtr)
            train_s = time.perf_counter() - t0
            data = comp.compress(X)
            decoded = comp.decompress(data)
            rows.append((lam, prior, bits_per_pixel(len(data), X), psnr_uint8(X, decoded), train_s))
            print(f"lambda {lam:g} {prior}: {rows[-1][2]:.3f} bpp, {rows[-1][3]:.2f} dB, trained {train_s:.0f} s",
                  file=sys.stderr, flush=True)
    steps = args.epochs * -(-args.train_images // 32)
    lines = ["## Compression: hyperprior against factorized prior (`bench_compress_prior.py`)", "",
             f"Command: `{' '.join(['python benchmarks/bench_compress_prior.py', *sys.argv[1:]])}` on {machine()}; "
             "one benchmark process at a time.", "",
             f"`ImageCompressor(rate_lambda, prior=..., hidden={args.hidden}, epochs={args.epochs})` at its other "
             f"defaults (batch 32, Adam 3e-3 one-cycle, {steps:,} steps), seed 0, trained on the first "
             f"{args.train_images:,} {args.set} training images; rate = the whole `.aek` byte string of the first "
             f"{args.test_images:,} test images, PSNR of their decoded images. Only `prior` differs within a lambda.",
             "", "| rate_lambda | prior | bits/pixel | PSNR dB | train s |", "|---:|---|---:|---:|---:|"]
    lines += [f"| {lam:g} | {prior} | {bpp:.3f} | {psnr:.2f} | {s:.0f} |" for lam, prior, bpp, psnr, s in rows]
    lines.append("")
    for lam in args.lambdas:
        f, h = [r for r in rows if r[0] == lam]
        lines.append(f"- lambda {lam:g}: the hyperprior uses {100 * (h[2] / f[2] - 1):+.1f}% bits at "
                     f"{h[3] - f[3]:+.2f} dB PSNR against the factorized prior.")
    print("\n".join(lines))
    if not args.no_write:
        write_section("bench_compress_prior", lines)


if __name__ == "__main__":
    main()
