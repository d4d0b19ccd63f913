"""Learned compression (ImageCompressor, .aek files) against JPEG, WebP, PNG, PCA and a plain autoencoder.

On the MNIST and Fashion-MNIST test sets (28x28 grey). aekit codes all 10,000 test images
(``--test-images``); every codec is compared on the first ``--baseline-images`` of them
(2,000 by default, to fit a shared CPU), aekit's rate there being those images' records and
length prefixes plus their share of the 80-byte header:

* aekit: one ImageCompressor per rate (``--prior``: the mean-scale hyperprior by default,
  or the factorized prior), trained on the first ``--train-images`` training images; the
  first (smallest) lambda for ``--epochs`` epochs, each next lambda continues from the
  previous one (``warm_start``) for ``--epochs-step`` epochs, each fit under its own
  ``--lr-schedule``. Rate = the whole
  .aek file (80-byte header, per-image lengths, payload) in bits / (N x 784).
  Every file is decoded again in a fresh Python process (``subprocess``) and compared
  with the in-process decode: latents and images must be bit-identical.
* JPEG (Pillow, quality 5-95) and WebP (Pillow, lossy, method 6, quality 0-100), measured
  three ways: (a) whole file per image; (b) entropy-coded payload only: JPEG's bytes
  between the end of the SOS header and EOI (no tables or headers), WebP's VP8 partitions
  (the RIFF/chunk headers and the 10-byte VP8 frame header removed); (c) one file per
  mosaic of 10 x 10 images (headers amortised over 100 images).
* PNG, lossless (optimize=True), one file per image and one per mosaic: the rate at which
  nothing is lost.
* PCA + uniform quantisation + the same entropy coder (learning-free transform): k
  components of the training images, coefficients divided by a step and rounded, coded
  with integer tables from the training set's histogram (aekit.io.entropy); the lower
  envelope over k in {16, 32, 64} and 5 steps.
* The plain 784-32-784 autoencoder (aekit.models.dense, ReLU code, sigmoid output, MSE,
  ``--ae-epochs`` epochs): its code as float32 (1,024 bits per image), float16 (512), and
  uniformly quantised + entropy-coded like PCA (envelope over 5 steps).

PSNR is over all pixels of the set (10 log10(255^2 / MSE)); SSIM (scikit-image, 7x7
window, data_range 255) is the mean over the first ``--ssim-images`` images. BD-rate is
Bjøntegaard's average rate difference at equal PSNR (log-rate against PSNR, piecewise
cubic (PCHIP) interpolation, integrated over the PSNR range both curves cover; each curve
reduced to its Pareto front first). Negative = aekit needs fewer bits.

Run ``python benchmarks/bench_compress.py`` (writes the ``bench_compress`` section of
BENCHMARKS.md and benchmarks/figures/compress_rd.png); ``--quick`` for a smoke run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.interpolate import PchipInterpolator
from skimage.metrics import structural_similarity

from _report import machine, write_section
from aekit.apps.compress import (bits_per_pixel, jpeg_payload, mosaic, pil_encode, psnr_uint8, unmosaic,
                                 webp_payload)
from aekit.data.idx import read_idx
from aekit.estimators.compressor import ImageCompressor
from aekit.io.entropy import EntropyCoder, EntropyTables, quantize_pmf
from aekit.losses.objective import ReconstructionObjective
from aekit.models.dense import DenseAE, DenseSpec
from aekit.plots import plot_image_grid
from aekit.plots.rate_distortion import rate_distortion_figure, save_figure
from aekit.train.config import TrainConfig
from aekit.train.loop import fit_module

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIGURE = ROOT / "benchmarks" / "figures" / "compress_rd.png"
GRID = ROOT / "benchmarks" / "figures" / "compress_decoded.png"
SETS = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
JPEG_Q = (5, 10, 20, 30, 50, 70, 90, 95)
WEBP_Q = (0, 10, 25, 50, 75, 100)
TARGET_JPEG, TARGET_WEBP = -50.0, -30.0
PRIOR_TEXT = {"hyperprior": "mean-scale hyperprior, Ballé et al. 2018 / Minnen et al. 2018, side information "
                            "from two stride-2 5x5 convolutions",
              "factorized": "Ballé 2017 factorized prior"}
PHASES = ("aekit", "jpeg", "webp", "png", "pca", "ae")


# ---------------------------------------------------------------- measures
def ssim_mean(clean: np.ndarray, decoded: np.ndarray, n: int) -> float:
    return float(np.mean([structural_similarity(a, b, data_range=255, win_size=7)
                          for a, b in zip(clean[:n], decoded[:n])]))


def point(name: str, clean: np.ndarray, decoded: np.ndarray, n_bytes: float, args: argparse.Namespace,
          **extra: Any) -> dict[str, Any]:
    return {"codec": name, "bpp": bits_per_pixel(n_bytes, clean), "psnr": psnr_uint8(clean, decoded),
            "ssim": ssim_mean(clean, decoded, args.ssim_images), **extra}


def pareto(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(rate, psnr) points that no other point beats on both (sorted by rate)."""
    front: list[tuple[float, float]] = []
    for r, q in sorted(points):
        if np.isfinite(q) and (not front or q > front[-1][1]):
            front.append((r, q))
    return front


def bd_rate(anchor: list[tuple[float, float]], test: list[tuple[float, float]]) -> float | None:
    """Bjøntegaard delta rate (%) of ``test`` against ``anchor``; None without a common PSNR range."""
    a, t = pareto(anchor), pareto(test)
    if len(a) < 2 or len(t) < 2:
        return None
    lo, hi = max(a[0][1], t[0][1]), min(a[-1][1], t[-1][1])
    if hi <= lo:
        return None
    grid = np.linspace(lo, hi, 200)
    fa = PchipInterpolator([q for _, q in a], np.log([r for r, _ in a]))(grid)
    ft = PchipInterpolator([q for _, q in t], np.log([r for r, _ in t]))(grid)
    return float((np.exp(np.trapezoid(ft - fa, grid) / (hi - lo)) - 1) * 100)


# ---------------------------------------------------------------- baselines
def pillow_points(X: np.ndarray, codec: str, qualities: tuple[int, ...], args: argparse.Namespace) -> list[dict]:
    out = []
    payload_of = jpeg_payload if codec == "jpeg" else webp_payload
    for q in qualities:
        whole = payload = 0
        decoded = np.empty_like(X)
        t0 = time.perf_counter()
        for i, x in enumerate(X):
            data, decoded[i] = pil_encode(x, codec, q)
            whole += len(data)
            payload += payload_of(data)
        seconds = time.perf_counter() - t0
        mosaic_bytes, mosaic_dec = 0, []
        for i in range(0, len(X), 100):
            data, dec = pil_encode(mosaic(X[i:i + 100]), codec, q)
            mosaic_bytes += len(data)
            mosaic_dec.append(unmosaic(dec, 100, X.shape[1:]))
        name = codec.upper() if codec == "jpeg" else "WebP"
        out.append(point(f"{name} (a) file per image", X, decoded, whole, args, quality=q,
                         images_per_s=len(X) / seconds))
        out.append(point(f"{name} (b) payload only", X, decoded, payload, args, quality=q))
        out.append(point(f"{name} (c) 10x10 mosaics", X, np.concatenate(mosaic_dec), mosaic_bytes, args, quality=q))
        print(f"  {name} q={q}: " + ", ".join(f"{p['bpp']:.3f} bpp" for p in out[-3:]) + f", {out[-1]['psnr']:.2f} dB",
              flush=True)
    return out


def png_points(X: np.ndarray) -> list[dict]:
    per_image = sum(len(pil_encode(x, "png")[0]) for x in X)
    mos = sum(len(pil_encode(mosaic(X[i:i + 100]), "png")[0]) for i in range(0, len(X), 100))
    return [{"codec": "PNG file per image", "bpp": bits_per_pixel(per_image, X), "psnr": float("inf"), "ssim": 1.0},
            {"codec": "PNG 10x10 mosaics", "bpp": bits_per_pixel(mos, X), "psnr": float("inf"), "ssim": 1.0}]


def histogram_tables(codes: np.ndarray) -> EntropyTables:
    """Integer tables (one channel per column of integer ``codes``) from counts + 1/2 (a Krichevsky–Trofimov prior)."""
    rows = []
    for col in codes.T:
        lo, hi = int(col.min()), int(col.max())
        hi = max(hi, lo + 1)
        counts = np.bincount(col - lo, minlength=hi - lo + 1).astype(float) + 0.5
        rows.append((lo, quantize_pmf(counts)))
    width = max(len(r) for _, r in rows)
    counts = np.zeros((len(rows), width), np.int32)
    for i, (_, r) in enumerate(rows):
        counts[i, :len(r)] = r
    return EntropyTables(np.array([lo for lo, _ in rows], np.int32), counts,
                         np.array([len(r) for _, r in rows], np.int32))


def coded_bytes(codes: np.ndarray, tables: EntropyTables) -> int:
    """Bytes of each row of integer ``codes`` entropy-coded as one record, plus its 1-2 byte length."""
    coder = EntropyCoder(tables)
    total = 0
    for row in codes:
        n = len(coder.encode(row.reshape(-1, 1, 1)))
        total += n + (1 if n < 128 else 2)
    return total


def quantised_points(name: str, train_z: np.ndarray, test_z: np.ndarray, decode: Any, X: np.ndarray,
                     steps: np.ndarray, args: argparse.Namespace, **extra: Any) -> list[dict]:
    out = []
    for step in steps:
        q_train = np.rint(train_z / step).astype(np.int64)
        q_test = np.rint(test_z / step).astype(np.int64)
        tables = histogram_tables(q_train)
        lo, hi = tables.offsets[None, :], (tables.offsets + tables.lengths - 1)[None, :]
        q_test = np.clip(q_test, lo, hi)
        n_bytes = coded_bytes(q_test, tables)
        out.append(point(name, X, decode(q_test * step), n_bytes, args, step=float(step), **extra))
    return out


def pca_points(Xtr: np.ndarray, X: np.ndarray, args: argparse.Namespace) -> list[dict]:
    from sklearn.decomposition import PCA

    tr, te = Xtr.reshape(len(Xtr), -1) / 255.0, X.reshape(len(X), -1) / 255.0
    out = []
    for k in (16, 32, 64):
        pca = PCA(k, random_state=0).fit(tr)
        ztr, zte = pca.transform(tr), pca.transform(te)
        scale = ztr.std()

        def decode(z: np.ndarray, pca: Any = pca) -> np.ndarray:
            return np.clip(np.rint(pca.inverse_transform(z) * 255), 0, 255).astype(np.uint8).reshape(X.shape)

        out += quantised_points(f"PCA-{k} + quantiser + coder", ztr, zte, decode, X,
                                scale * np.geomspace(0.05, 1.0, 5), args, k=k)
        print(f"  PCA k={k}: best {max(p['psnr'] for p in out[-5:]):.2f} dB", flush=True)
    return out


def dense_ae_points(Xtr: np.ndarray, X: np.ndarray, args: argparse.Namespace) -> list[dict]:
    torch.manual_seed(0)
    module = DenseAE(DenseSpec(n_features=784, latent_dim=32))
    tr = torch.from_numpy(Xtr.reshape(len(Xtr), -1).astype(np.float32) / 255.0)
    module.init_from_data(tr.mean(0))  # mean-image start, as the Autoencoder estimator does
    fit_module(module, tr, ReconstructionObjective(loss="mse", output=getattr(module, "output", "sigmoid")),
               TrainConfig(epochs=args.ae_epochs, batch_size=128, lr=1e-3, device="cpu", seed=0))
    module.eval()
    te = torch.from_numpy(X.reshape(len(X), -1).astype(np.float32) / 255.0)
    with torch.no_grad():
        ztr, zte = module.encode(tr).numpy(), module.encode(te).numpy()

    def decode(z: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            x = module.decode(torch.from_numpy(np.asarray(z, np.float32))).numpy()
        return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8).reshape(X.shape)

    out = [point("784-32-784 AE, float32 code", X, decode(zte), len(X) * 32 * 4, args),
           point("784-32-784 AE, float16 code", X, decode(zte.astype(np.float16).astype(np.float32)),
                 len(X) * 32 * 2, args)]
    out += quantised_points("784-32-784 AE, quantised + coder", ztr, zte, decode, X,
                            max(ztr.std(), 1e-3) * np.geomspace(0.05, 1.0, 5), args)
    return out


# ---------------------------------------------------------------- aekit
_FRESH = """
import sys, numpy as np, torch
torch.set_num_threads(1)
from aekit.estimators.compressor import ImageCompressor
from aekit.io.model_file import load_model
for folder in sys.argv[1:]:
    comp = ImageCompressor._from_saved(*load_model(folder))
    x, q = comp.decompress(folder + "/test.aek", return_latents=True)
    np.save(folder + "/x_fresh.npy", x); np.save(folder + "/q_fresh.npy", q)
"""


def _record_bytes(path: Path) -> np.ndarray:
    """Bytes each image takes in an .aek file: its record and its length prefix."""
    from aekit.io.aek_format import read_aek

    _, records = read_aek(path)
    return np.array([len(r) + (1 if len(r) < 128 else 2) for r in records])


def aekit_points(Xtr: np.ndarray, X: np.ndarray, args: argparse.Namespace, work: Path) -> list[dict]:
    """Train, code all of X, decode in this and in a fresh process; RD points on X[:baseline_images]."""
    out = []
    comp = ImageCompressor(args.lambdas[0], latent_channels=args.latent_channels, hidden=args.hidden,
                           stages=args.stages, warm_start=True, epochs=args.epochs, batch_size=args.batch_size,
                           lr=args.lr, lr_schedule=args.lr_schedule, prior=args.prior, device="cpu", random_state=0)
    n_b = args.baseline_images
    folders, decoded_all, latents_all = [], [], []
    for i, lam in enumerate(args.lambdas):
        t0 = time.perf_counter()
        comp.set_params(rate_lambda=lam, epochs=args.epochs if i == 0 else args.epochs_step).fit(Xtr)
        train_s = time.perf_counter() - t0
        folder = work / f"lambda_{lam:g}"
        comp.save(folder)
        t0 = time.perf_counter()
        path = comp.compress_file(X, folder / "test.aek")
        enc_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        decoded, q = comp.decompress(path, return_latents=True)
        dec_s = time.perf_counter() - t0
        per_image = _record_bytes(path)
        header_share = (path.stat().st_size - per_image.sum()) * n_b / len(X)
        p = point("aekit", X[:n_b], decoded[:n_b], per_image[:n_b].sum() + header_share, args, rate_lambda=lam,
                  train_s=train_s, encode_per_s=len(X) / enc_s, decode_per_s=len(X) / dec_s,
                  bpp_all=bits_per_pixel(path.stat().st_size, X), psnr_all=psnr_uint8(X, decoded),
                  est_bpp=comp.history_[-1]["bpp"], n_images=len(X))
        out.append(p)
        folders.append(folder)
        decoded_all.append(decoded)
        latents_all.append(q)
        np.save(work / f"decoded_{lam:g}.npy", decoded[:10])
        print(f"  aekit lambda={lam:g}: {p['bpp_all']:.3f} bpp, {p['psnr_all']:.2f} dB on all {len(X)}; "
              f"train {train_s:.0f}s", flush=True)
    subprocess.run([sys.executable, "-c", textwrap.dedent(_FRESH), *map(str, folders)], check=True)
    for p, folder, x, q in zip(out, folders, decoded_all, latents_all):
        p["fresh_process_exact"] = bool(np.array_equal(np.load(folder / "q_fresh.npy"), q)
                                        and np.array_equal(np.load(folder / "x_fresh.npy"), x))
        print(f"  lambda={p['rate_lambda']:g}: fresh process bit-exact on {len(x)} images: "
              f"{p['fresh_process_exact']}", flush=True)
    return out


# ---------------------------------------------------------------- report
def curves_of(points: list[dict]) -> dict[str, list[tuple[float, float]]]:
    curves: dict[str, list[tuple[float, float]]] = {}
    for p in points:
        name = p["codec"]
        if name.startswith("PCA-"):
            name = "PCA + quantiser + coder"
        curves.setdefault(name, []).append((p["bpp"], p["psnr"]))
    return curves


def report(results: dict[str, dict], args: argparse.Namespace, argv: list[str]) -> list[str]:
    shown: list[str] = []
    skipping = False
    for arg in argv:  # the command that measures everything: no report-only, cache or phase flags
        if arg.startswith("--"):
            skipping = arg in ("--cache", "--phases")
            if skipping or arg in ("--report-only", "--no-write"):
                continue
        elif skipping:
            continue
        shown.append(arg)
    cmd = "python benchmarks/bench_compress.py" + ("" if not shown else " " + shlex.join(shown))
    lines = ["## Learned compression: `.aek` files against JPEG, WebP, PNG and PCA (`bench_compress.py`)", "",
             f"Command: `{cmd}`. Machine: {machine()}; one benchmark process at a time.", "",
             f"aekit: `ImageCompressor` ({PRIOR_TEXT[args.prior]}, {args.stages} stride-2 5x5 conv stages, "
             f"{args.hidden} hidden / {args.latent_channels} latent channels, ReLU), trained on the first "
             f"{args.train_images} training images of each set, batch {args.batch_size}, Adam {args.lr:g} "
             f"({args.lr_schedule} schedule within each fit); "
             f"lambda {args.lambdas[0]:g} for {args.epochs} epochs, then each larger lambda continues the previous "
             f"model (`warm_start`) for {args.epochs_step} epochs. Rates are whole `.aek` files (header, per-image "
             "lengths, payload). PSNR over all pixels; SSIM mean over "
             f"the first {args.ssim_images} images. BD-rate: Bjøntegaard, log-rate vs PSNR, PCHIP, over the common "
             "PSNR range (negative = aekit smaller).", ""]
    all_curves: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    verdicts = []
    for key, res in results.items():
        name = SETS[key]
        pts = res["points"]
        curves = curves_of(pts)
        aek = curves.get("aekit", [])
        ae = [p for p in pts if p["codec"] == "aekit"]
        lines += [f"### {name}", ""]
        if ae:
            lines += [f"aekit on all {res['n_test']} test images: " + "; ".join(
                f"lambda {p['rate_lambda']:g}: {p['bpp_all']:.3f} bpp, {p['psnr_all']:.2f} dB" for p in ae) + ".", ""]
        first = Path(args.cache) / key / f"lambda_{args.lambdas[0]:g}" / "config.json"
        if first.exists():
            hist = json.loads(first.read_text())["fitted"]["history"]
            drop = 100 * (1 - hist[-1]["loss"] / hist[-2]["loss"]) if len(hist) > 1 else float("nan")
            lines += [f"Training loss (MSE + lambda bpp) of the first model, epoch by epoch: "
                      + ", ".join(f"{h['loss']:.5f}" for h in hist)
                      + f" (the last epoch lowered it by {drop:.1f}%; "
                      "Ballé et al. train for about 10^6 steps, these models saw "
                      f"{args.train_images * (args.epochs + args.epochs_step * (len(args.lambdas) - 1)) // args.batch_size:,}"
                      " steps in all).", ""]
        if res.get("missing"):
            lines += [f"Not measured (ran out of time on the shared CPU): {', '.join(res['missing'])}.", ""]
        lines += [f"All codecs on the first {res['n_baseline']} test images:", "",
                  "| codec | setting | bits/pixel | PSNR dB | SSIM |", "|---|---|---:|---:|---:|"]
        for p in pts:
            setting = ", ".join(f"{k}={p[k]:g}" for k in ("rate_lambda", "quality", "k", "step") if k in p)
            lines.append(f"| {p['codec']} | {setting} | {p['bpp']:.3f} | {p['psnr']:.2f} | {p['ssim']:.3f} |")
        lines += ["", "BD-rate of aekit (PSNR):", "", "| against | BD-rate |", "|---|---:|"]
        bds: dict[str, float | None] = {}
        for other, pts_other in curves.items():
            if other == "aekit" or not all(np.isfinite(q) for _, q in pts_other):
                continue
            bds[other] = bd_rate(pts_other, aek)
            lines.append(f"| {other} | {'no common PSNR range' if bds[other] is None else f'{bds[other]:+.1f}%'} |")
        if aek:
            lo, hi = min(q for _, q in aek), max(q for _, q in aek)
            (r1, q1), (r2, q2) = sorted(aek)[-2:]
            lines += ["", f"The BD-rates average over PSNR where both curves have points, so at most aekit's own range, "
                      f"{lo:.1f}-{hi:.1f} dB here. Above {hi:.1f} dB aekit has no operating point: its two largest "
                      f"rates differ by {100 * (r2 / r1 - 1):.0f}% in bits and {q2 - q1:+.2f} dB, so a smaller "
                      "rate_lambda would buy little (the transforms' capacity limits the quality, not the rate), "
                      "while WebP and JPEG go on to 45-55 dB."]
        for codec, target in (("JPEG", TARGET_JPEG), ("WebP", TARGET_WEBP)):
            vals = {k: v for k, v in bds.items() if k.startswith(codec)}
            worst = None if not vals or any(v is None for v in vals.values()) else max(vals.values())
            met = worst is not None and worst <= target
            verdicts.append(f"{name}, vs {codec} (best of its three measurements): "
                            f"{'n/a' if worst is None else f'{worst:+.1f}%'} (target <= {target:+.0f}%): "
                            f"**{'met' if met else 'not met'}**")
        exact = bool(ae) and all(p["fresh_process_exact"] for p in ae)
        verdicts.append(f"{name}, fresh-process decode bit-exact on all {res['n_test']} test images at every rate: "
                        f"**{'met' if exact and res['n_test'] == 10000 else 'not met'}**")
        speed = ", ".join(f"lambda {p['rate_lambda']:g}: encode {p['encode_per_s']:.0f}/s, decode "
                          f"{p['decode_per_s']:.0f}/s, trained {p['train_s']:.0f} s" for p in ae)
        jpeg_speed = [p["images_per_s"] for p in pts if "images_per_s" in p]
        pil = f"{min(jpeg_speed):.0f}-{max(jpeg_speed):.0f}/s" if jpeg_speed else "not measured"
        lines += ["", f"Speed (images per second, wall clock, one process, 1 thread; the aekit rates include "
                  f"the container, the entropy coder and the transforms): aekit {speed}; Pillow JPEG/WebP "
                  f"encode + decode {pil}.", ""]
        all_curves[name] = {k: ([r for r, _ in pareto(v)], [q for _, q in pareto(v)]) for k, v in curves.items()
                            if all(np.isfinite(q) for _, q in v)}
    all_curves = {k: v for k, v in all_curves.items() if v}
    lines += ["Targets:", ""] + [f"- {v}" for v in verdicts]
    lines += ["", f"![rate-distortion](benchmarks/figures/{FIGURE.name})",
              f"![decoded](benchmarks/figures/{GRID.name})"]
    if args.no_write:  # a smoke or print-only run leaves the committed figures alone
        return lines
    fig = rate_distortion_figure(all_curves, highlight="aekit", title="Rate–distortion on 28x28 test images")
    save_figure(fig, FIGURE)
    rows, labels = [], []
    for key, res in results.items():
        ae = [p for p in res["points"] if p["codec"] == "aekit"]
        files = [Path(args.cache) / key / f"decoded_{p['rate_lambda']:g}.npy" for p in ae]
        if ae and all(f.exists() for f in files):
            rows.append(read_idx(DATA / key / "t10k-images-idx3-ubyte.gz")[:10])
            labels += [f"{SETS[key]}"] + [""] * 9
            for p, f in zip(ae, files):
                rows.append(np.load(f))
                labels += [f"{p['bpp_all']:.2f} bpp"] + [""] * 9
    if rows:
        plot_image_grid(np.concatenate(rows).astype(np.float32) / 255.0, GRID, ncols=10, labels=labels,
                        title="originals, then aekit decoded at each rate (first 10 test images)")
    return lines


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    p.add_argument("--lambdas", nargs="+", type=float, default=[0.0003, 0.001, 0.003, 0.01, 0.03])
    p.add_argument("--train-images", type=int, default=60000)
    p.add_argument("--epochs", type=int, default=6, help="epochs of the first lambda")
    p.add_argument("--epochs-step", type=int, default=2, help="epochs of each next lambda (warm start)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--lr-schedule", default="onecycle")
    p.add_argument("--prior", default="hyperprior", choices=["hyperprior", "factorized"])
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--latent-channels", type=int, default=16)
    p.add_argument("--stages", type=int, default=3)
    p.add_argument("--ae-epochs", type=int, default=5)
    p.add_argument("--test-images", type=int, default=10000)
    p.add_argument("--baseline-images", type=int, default=2000,
                   help="test images every codec is compared on (aekit codes all --test-images)")
    p.add_argument("--ssim-images", type=int, default=500)
    p.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "aekit_bench_compress"),
                   help="folder for models, .aek files and per-set results (a finished set is reused)")
    p.add_argument("--phases", nargs="+", default=list(PHASES), choices=list(PHASES),
                   help="what to measure (the others are read from the cache if there)")
    p.add_argument("--report-only", action="store_true", help="rewrite the section from the cached results")
    p.add_argument("--quick", action="store_true", help="smoke run: 2,000 training / 1,000 test images, 1 epoch")
    p.add_argument("--no-write", action="store_true", help="print the section, leave BENCHMARKS.md alone")
    args = p.parse_args(argv)
    if args.quick:
        args.train_images, args.test_images, args.epochs, args.ae_epochs, args.ssim_images = 2000, 1000, 1, 1, 200
        args.baseline_images = 500
        args.lambdas = args.lambdas[:2]
        args.cache += "_quick"
        args.no_write = True
    return args


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = _args(argv)
    torch.set_num_threads(1)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    for key in args.sets:
        folder = DATA / key
        Xtr = read_idx(folder / "train-images-idx3-ubyte.gz")[: args.train_images]
        X = read_idx(folder / "t10k-images-idx3-ubyte.gz")[: args.test_images]
        Xb = X[: args.baseline_images]
        phases = {"aekit": lambda: aekit_points(Xtr, X, args, cache / key),
                  "jpeg": lambda: pillow_points(Xb, "jpeg", JPEG_Q, args),
                  "webp": lambda: pillow_points(Xb, "webp", WEBP_Q, args),
                  "png": lambda: png_points(Xb),
                  "pca": lambda: pca_points(Xtr, Xb, args),
                  "ae": lambda: dense_ae_points(Xtr, Xb, args)}
        pts: list[dict] = []
        missing = []
        for phase, run in phases.items():
            done = cache / f"{key}.{phase}.json"
            if not done.exists() and not args.report_only and phase in args.phases:
                print(f"{SETS[key]}: {phase}", flush=True)
                done.write_text(json.dumps(run()))
            if done.exists():
                pts += json.loads(done.read_text())
            else:
                missing.append(phase)
        if pts:
            results[key] = {"points": pts, "n_test": len(X), "n_baseline": len(Xb), "missing": missing}
    lines = report(results, args, argv)
    if args.no_write:
        print("\n".join(lines))
    else:
        write_section("bench_compress", lines)
        print("\n".join(lines[-8:]))


if __name__ == "__main__":
    main()
