"""Every autoencoder family on full MNIST at one epoch budget: reconstruction, speed, and
each family's own number.

One row per family, latent 32 (or the family's natural setting), all trained for the same
number of epochs (``--epochs``, default 5) on the 60,000 training images and scored on the
10,000 test images, pixels in [0, 1]. Non-VAE models: BCE loss, sigmoid output, Adam 1e-3,
batch 256, random_state 0. VAEs: Bernoulli likelihood (the same BCE, summed), Adam 1e-3,
batch 256. PCA-32 on the same split, reconstruction clipped to [0, 1], closes the table.

Columns: test MSE and BCE per pixel of the reconstruction from the code (the posterior
mean for the VAEs); seconds per training epoch (median over the end-to-end epochs) and its
ratio to the plain dense 784-32-784 model's, measured in the same run, so what a penalty
costs (the contractive Jacobian in particular) is visible; whole fit time (with greedy
pre-training where there is one); and a family-specific number: mean code activation
(sparse), mean Frobenius norm of the encoder Jacobian on 1,000 test images (contractive;
also given for the plain model as the reference), PSNR gain on noisy test images
(denoising: PSNR of the reconstruction of the noisy image against the clean one, minus
the noisy image's own PSNR, same noise as in training), test ELBO in nats (VAEs).

Run ``python benchmarks/bench_families_mnist.py`` (about 15 minutes on one busy CPU core;
writes its section of BENCHMARKS.md between the ``bench_families_mnist`` markers), or
``--quick`` for a smoke run (5,000 training / 1,000 test images, 1 epoch, writes nothing
unless ``--write``).
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

from _report import BENCH_MD, cpu, write_section
from aekit import Autoencoder, VariationalAutoencoder
from aekit.data import load_mnist
from aekit.data.corruption import add_noise

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = os.environ.get("AEKIT_DATA") or "/work/shared/data"
EPS = 1e-7  # BCE clip, so a 0 or 1 prediction of the wrong pixel costs ~16 nats, not inf
JAC_ROWS = 1000  # test images for the Jacobian norm (exact autograd: one pass per code unit)
# Conv stages for the three conv rows. The default (32, 64) measured 4x slower (about 210 s/epoch on
# this shared CPU, 200x the dense model), which alone would take the run past an hour.
CONV = (16, 32)
CONTRACTIVE = 0.01  # λ, in units of the per-pixel mean loss (tests/estimators/test_families.py uses it too)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- measures
def mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a.reshape(len(a), -1).astype(np.float64) - b.reshape(len(b), -1)) ** 2))


def bce(x_hat: np.ndarray, x: np.ndarray) -> float:
    """Binary cross-entropy per pixel of a reconstruction in [0, 1] against grey levels x."""
    p = np.clip(x_hat.reshape(len(x_hat), -1).astype(np.float64), EPS, 1 - EPS)
    t = x.reshape(len(x), -1).astype(np.float64)
    return float(-np.mean(t * np.log(p) + (1 - t) * np.log1p(-p)))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB for pixels in [0, 1], from the mean MSE over the set."""
    return float(10 * math.log10(1.0 / mse(a, b)))


# ----------------------------------------------------------------------------- families
@dataclass
class Family:
    name: str
    make: Callable[[int], Any]            # epochs -> unfitted estimator
    images: bool = False                   # conv models take (N, 1, 28, 28)
    extra: str = ""                        # "code", "jacobian", "denoise", "elbo"
    note: str = ""
    noise: tuple[str, float] | None = None


@dataclass
class Row:
    name: str
    mse: float
    bce: float
    s_epoch: float | None
    fit_s: float
    extra: str = ""
    error: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


def _ae(**kw: Any) -> Callable[[int], Autoencoder]:
    base = dict(latent_dim=32, loss="bce", output="sigmoid", batch_size=256, lr=1e-3, device="cpu", random_state=0)
    return lambda epochs: Autoencoder(epochs=epochs, **{**base, **kw})


def _vae(**kw: Any) -> Callable[[int], VariationalAutoencoder]:
    base = dict(latent_dim=32, likelihood="bernoulli", batch_size=256, lr=1e-3, device="cpu", random_state=0)
    return lambda epochs: VariationalAutoencoder(epochs=epochs, **{**base, **kw})


def families(pretrain_epochs: int) -> list[Family]:
    return [
        Family("plain dense 784-32-784", _ae(), extra="jacobian"),
        Family("deep dense 784-128-64-32", _ae(hidden=(128, 64))),
        Family("sparse KL (sigmoid code, ρ=0.05, β=0.01)", _ae(code_activation="sigmoid", sparsity="kl"),
               extra="code"),
        Family("sparse L1 (ReLU code, 1e-3)", _ae(sparsity="l1"), extra="code"),
        Family("denoising gaussian 0.3", _ae(noise="gaussian", noise_level=0.3), extra="denoise",
               noise=("gaussian", 0.3)),
        Family("denoising mask 0.3", _ae(noise="mask", noise_level=0.3), extra="denoise", noise=("mask", 0.3)),
        Family(f"contractive 784-32 sigmoid, closed form (λ={CONTRACTIVE})",
               _ae(activation="sigmoid", contractive=CONTRACTIVE), extra="jacobian"),
        Family(f"contractive 784-128-32, autograd (λ={CONTRACTIVE})", _ae(hidden=(128,), contractive=CONTRACTIVE),
               extra="jacobian"),
        Family(f"stacked 784-256-32, greedy pre-training {pretrain_epochs} ep/layer",
               _ae(hidden=(256,), pretrain_epochs=pretrain_epochs)),
        Family(f"conv {CONV}", _ae(model="conv", channels=CONV), images=True),
        Family(f"conv {CONV} denoising gaussian 0.3", _ae(model="conv", channels=CONV, noise="gaussian",
                                                          noise_level=0.3), images=True,
               extra="denoise", noise=("gaussian", 0.3)),
        Family("VAE 784-512-32, Bernoulli", _vae(hidden=(512,)), extra="elbo"),
        Family(f"conv VAE {CONV}, Bernoulli", _vae(model="conv", channels=CONV), images=True, extra="elbo"),
    ]


def run_family(fam: Family, epochs: int, X: np.ndarray, Xt: np.ndarray, Xt_noisy: dict[tuple[str, float], np.ndarray]) -> Row:
    shape = (-1, 1, 28, 28) if fam.images else (-1, 784)
    Xf, Xtf = X.reshape(shape), Xt.reshape(shape)
    est = fam.make(epochs)
    t0 = time.perf_counter()
    est.fit(Xf)
    fit_s = time.perf_counter() - t0
    secs = [r["seconds"] for r in est.history_]
    s_epoch = statistics.median(secs) if secs else None
    rec = est.predict(Xtf)  # the decoder on the code (the posterior mean for a VAE)
    extra = ""
    if fam.extra == "code":
        extra = f"mean code {float(est.transform(Xtf).mean()):.3f}"
    elif fam.extra == "jacobian":
        extra = f"mean ‖J‖_F {float(est.jacobian_norm(Xtf[:JAC_ROWS]).mean()):.2f}"
    elif fam.extra == "denoise":
        assert fam.noise is not None
        noisy = Xt_noisy[fam.noise].reshape(shape)
        gain = psnr(est.predict(noisy), Xtf) - psnr(noisy, Xtf)
        extra = f"PSNR gain {gain:+.1f} dB"
    elif fam.extra == "elbo":
        extra = f"ELBO {est.elbo(Xtf, n_samples=16, random_state=0)['elbo']:.1f}"
    if getattr(est, "pretrain_history_", None):
        extra = (extra + "; " if extra else "") + f"pre-training {sum(r['seconds'] for r in est.pretrain_history_):.0f} s"
    return Row(fam.name, mse(rec, Xtf), bce(rec, Xtf), s_epoch, fit_s, extra, history=est.history_)


def run_pca(X: np.ndarray, Xt: np.ndarray) -> Row:
    t0 = time.perf_counter()
    pca = PCA(n_components=32, random_state=0).fit(X.reshape(len(X), -1))
    fit_s = time.perf_counter() - t0
    rec = np.clip(pca.inverse_transform(pca.transform(Xt.reshape(len(Xt), -1))), 0.0, 1.0)
    return Row("PCA-32 (clipped to [0, 1])", mse(rec, Xt), bce(rec, Xt), None, fit_s,
               f"{pca.explained_variance_ratio_.sum():.1%} variance kept")


# ----------------------------------------------------------------------------- output
def table(rows: list[Row], ref: float | None) -> list[str]:
    out = ["| family | test MSE | test BCE | s/epoch | × plain dense | fit s | family-specific |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        if r.error:
            out.append(f"| {r.name} | — | — | — | — | — | **crashed**: `{r.error}` |")
            continue
        se = "" if r.s_epoch is None else f"{r.s_epoch:.2f}"
        ratio = "" if r.s_epoch is None or not ref else f"{r.s_epoch / ref:.1f}"
        out.append(f"| {r.name} | {r.mse:.5f} | {r.bce:.4f} | {se} | {ratio} | {r.fit_s:.0f} | {r.extra} |")
    return out


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=5, help="epochs for every model (default 5, about 15 min here)")
    p.add_argument("--pretrain-epochs", type=int, default=1, help="greedy epochs per layer for the stacked row")
    p.add_argument("--data", default=DEFAULT_DATA, help="folder holding mnist/ (or the four IDX files)")
    p.add_argument("--only", default="", help="comma-separated substrings: run only the families whose name matches")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: on the busy shared machine 2 threads ran 5-50x slower)")
    p.add_argument("--quick", action="store_true", help="smoke run: 5,000 train / 1,000 test images, 1 epoch")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="write the section of BENCHMARKS.md (default: on, off with --quick)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    command = "python benchmarks/bench_families_mnist.py" + "".join(
        " " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    torch.set_num_threads(args.threads)
    write = (not args.quick) if args.write is None else args.write
    if args.quick:
        args.epochs = 1
    train, test = load_mnist("train", root=args.data, download=False), load_mnist("test", root=args.data, download=False)
    X, Xt = np.ascontiguousarray(train.X, np.float32), np.ascontiguousarray(test.X, np.float32)  # (N, 1, 28, 28)
    if args.quick:
        X, Xt = X[:5000], Xt[:1000]
    Xt_noisy = {(k, lv): add_noise(Xt, k, lv, value_range=(0.0, 1.0), random_state=1)
                for k, lv in (("gaussian", 0.3), ("mask", 0.3))}
    fams = families(args.pretrain_epochs)
    if args.only:
        keys = [k.strip() for k in args.only.split(",") if k.strip()]
        fams = [f for f in fams if f.name.startswith("plain") or any(k in f.name for k in keys)]
    load0 = os.getloadavg()[0]
    _log(f"MNIST {len(X):,} train / {len(Xt):,} test; {args.epochs} epoch(s); torch {torch.__version__}, "
         f"{torch.get_num_threads()} thread(s); load {load0:.1f}")
    t_all = time.perf_counter()
    rows: list[Row] = []
    with threadpool_limits(limits=args.threads):
        for fam in fams:
            _log(f"-- {fam.name}")
            try:
                row = run_family(fam, args.epochs, X, Xt, Xt_noisy)
            except Exception as exc:  # a crash on real data is a bug to report, not a reason to lose the other rows
                traceback.print_exc()
                row = Row(fam.name, math.nan, math.nan, None, math.nan, error=f"{type(exc).__name__}: {exc}"[:200])
            rows.append(row)
            _log(f"   MSE {row.mse:.5f}  BCE {row.bce:.4f}  s/epoch {row.s_epoch}  fit {row.fit_s:.0f}s  {row.extra}")
        rows.append(run_pca(X, Xt))
    wall = time.perf_counter() - t_all
    ref = rows[0].s_epoch if rows and not rows[0].error else None
    lines = [
        "## Autoencoder families on MNIST (`benchmarks/bench_families_mnist.py`)",
        "",
        f"Command `{command}`, run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f"{' (--quick: 5,000 train / 1,000 test images, smoke only)' if args.quick else ''}; "
        f"{cpu()}, torch {torch.__version__}, {torch.get_num_threads()} thread, CPU only, shared with other "
        f"jobs (load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end); whole run "
        f"{wall / 60:.1f} min.",
        "",
        f"{len(X):,} training / {len(Xt):,} test images, pixels in [0, 1]; **{args.epochs} epoch{'s' if args.epochs != 1 else ''} for every model** "
        f"(short: every row would improve with more); latent 32; conv stages {CONV} (conv + 2x2 pooling each; "
        "the default (32, 64) is 4x slower); batch 256, Adam 1e-3, random_state 0; "
        "BCE loss and sigmoid output for the autoencoders, Bernoulli likelihood for the VAEs.",
        "",
        *table(rows, ref),
        "",
        "MSE and BCE are per pixel, on the test reconstruction from the code (VAE: decoder on the posterior mean; "
        "PCA: clipped to [0, 1]). s/epoch: median over the end-to-end epochs, all rows in this one process; "
        "× plain dense is its ratio to the first row's. Fit s includes greedy pre-training where there is one. "
        f"‖J‖_F: Frobenius norm of the encoder Jacobian, mean over the first {JAC_ROWS:,} test images. "
        "PSNR gain: PSNR(reconstruction of the noisy test image) − PSNR(noisy test image), both against the clean "
        "one, with the training noise (seed 1). ELBO: test mean in nats, 16 draws.",
        "",
    ]
    print("\n".join(lines))
    if write:
        write_section("bench_families_mnist", lines)
        _log(f"wrote the bench_families_mnist section of {BENCH_MD}")
    return 1 if any(r.error for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
