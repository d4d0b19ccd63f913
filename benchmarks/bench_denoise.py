"""Denoising: aekit's denoisers against the classical filters, in one run, on MNIST and Fashion-MNIST.

Noise: Gaussian σ ∈ {0.1, 0.3, 0.5} added to the [0, 1] test images and clipped to [0, 1],
and salt-and-pepper 20% (each pixel set to 0 or 1 with probability 0.1 each). The noise is
drawn once per condition with a fixed seed, so every method sees the same noisy images.

aekit (trained on the first ``--n-train`` training images, ``--epochs`` epochs, Adam
``--lr`` with a cosine schedule, batch ``--batch-size``, seed 0, one model per data set and
noise model; small defaults because the benchmark machine is a busy shared 2-core CPU):
- ``residual blind``: a DnCNN (``aekit.models.residual``) trained once over σ ~ U[0, 0.55]
  per image, then used at every σ;
- ``residual s&p``: the same network trained for salt-and-pepper 20%;
- ``conv AE σ=0.5``: ``aekit.Autoencoder(model="conv", latent_dim=32, noise="gaussian",
  noise_level=0.5)``, a bottleneck denoising autoencoder, shown at every σ.

Classical, each tuned per data set and condition by a grid search maximising the mean PSNR
on ``--n-tune`` training images held out from aekit's training subset (the last ones of the
training set), with noise drawn by another seed: median 3×3 (``scipy.ndimage``, no
parameter); Gaussian blur (``scipy.ndimage.gaussian_filter``, σ_blur grid); non-local means
(``skimage.restoration.denoise_nl_means``, 5×5 patches, 13×13 search, fast mode,
``sigma`` = the noise's measured standard deviation σ̂ and ``h`` = a factor grid × σ̂);
total variation (``denoise_tv_chambolle``, weight grid); wavelets (``denoise_wavelet``,
BayesShrink or VisuShrink × a σ grid around σ̂, soft thresholding); BM3D (the ``bm3d``
package, benchmark-only, if it imports), not tuned: given the oracle σ̂, and run on 10×10
mosaics of test images because one call costs seconds whatever the image size.
σ̂ is the standard deviation of (noisy − clean) on the tuning images: for clipped noise it
is below the nominal σ.

All methods are scored on the same first ``--n-test`` test images: PSNR (dB, data range 1,
from the mean squared error over all those images) and mean SSIM (``aekit.metrics.ssim``,
scikit-image's definition). Images per second are wall-clock on this busy shared CPU.
Target: aekit's best ≥ best classical + 3 dB PSNR at σ = 0.5 on both sets, and not below
the best classical at σ = 0.1.

Run ``nice -n 15 python benchmarks/bench_denoise.py`` (writes its section of BENCHMARKS.md
and ``benchmarks/figures/denoise_sigma05.png``), or ``--quick`` for a smoke run that
writes nothing unless ``--write``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from _report import cpu, write_section
from aekit.apps.denoise import median3, train_denoiser
from aekit.data.corruption import add_noise
from aekit.data.mnist import load_mnist
from aekit.metrics import psnr, ssim
from aekit.plots.grids import plot_image_grid

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIGURE = ROOT / "benchmarks" / "figures" / "denoise_sigma05.png"
CONDITIONS = (("gaussian", 0.1), ("gaussian", 0.3), ("gaussian", 0.5), ("salt_pepper", 0.2))
SETS = (("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST"))


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _label(noise: str, level: float) -> str:
    return f"σ={level}" if noise == "gaussian" else f"s&p {int(level * 100)}%"


# ---------------------------------------------------------------------------- classical
def _per_image(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    def run(x: np.ndarray) -> np.ndarray:  # (N, 1, H, W) -> same
        return np.stack([fn(img[0])[None] for img in x]).astype(np.float32)
    return run


def classical_methods(sigma_hat: float) -> dict[str, tuple[list[dict[str, Any]], Callable[..., Any]]]:
    """name -> (parameter grid, factory(params) -> batch function)."""
    from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, denoise_wavelet

    s = max(sigma_hat, 1e-3)
    return {
        "median 3×3": ([{}], lambda: median3),
        "Gaussian blur": ([{"sigma": v} for v in (0.5, 0.7, 0.9, 1.1, 1.4, 1.8)],
                          lambda sigma: (lambda x: gaussian_filter(x, (0, 0, sigma, sigma)).astype(np.float32))),
        "non-local means": ([{"h": round(f * s, 4)} for f in (0.4, 0.6, 0.8, 1.0, 1.3)],
                            lambda h: _per_image(lambda im: denoise_nl_means(
                                im, h=h, sigma=s, patch_size=5, patch_distance=6, fast_mode=True))),
        "TV (Chambolle)": ([{"weight": v} for v in (0.03, 0.06, 0.1, 0.15, 0.22, 0.32, 0.45, 0.65)],
                           lambda weight: _per_image(lambda im: denoise_tv_chambolle(im, weight=weight))),
        "wavelet": ([{"method": m, "sigma": round(f * s, 4)} for m, f in
                     itertools.product(("BayesShrink", "VisuShrink"), (0.5, 0.75, 1.0, 1.5))],
                    lambda method, sigma: _per_image(lambda im: np.clip(denoise_wavelet(
                        im, sigma=sigma, method=method, mode="soft", rescale_sigma=True), 0, 1))),
    }


def bm3d_mosaic(sigma_hat: float) -> Callable[[np.ndarray], np.ndarray] | None:
    try:
        import bm3d
    except ImportError:
        return None

    def run(x: np.ndarray) -> np.ndarray:
        k, (h, w) = 10, x.shape[-2:]
        out = np.empty_like(x)
        for start in range(0, len(x), k * k):
            chunk = x[start:start + k * k, 0]
            n = len(chunk)
            pad = np.zeros((k * k, h, w), np.float32)
            pad[:n] = chunk
            mosaic = pad.reshape(k, k, h, w).transpose(0, 2, 1, 3).reshape(k * h, k * w)  # (kH, kW)
            den = np.asarray(bm3d.bm3d(mosaic, sigma_hat), np.float32)
            out[start:start + n, 0] = den.reshape(k, h, k, w).transpose(0, 2, 1, 3).reshape(k * k, h, w)[:n]
        return np.clip(out, 0, 1)
    return run


def tune(methods: dict[str, Any], noisy: np.ndarray, clean: np.ndarray) -> dict[str, tuple[dict[str, Any], Any]]:
    best = {}
    for name, (grid, factory) in methods.items():
        scores = [(psnr(clean, factory(**p)(noisy), data_range=1.0), i) for i, p in enumerate(grid)]
        _, i = max(scores)
        best[name] = (grid[i], factory(**grid[i]))
    return best


# ---------------------------------------------------------------------------- run
def score(fn: Callable[[np.ndarray], np.ndarray], noisy: np.ndarray, clean: np.ndarray) -> dict[str, Any]:
    t0 = time.perf_counter()
    out = fn(noisy)
    secs = time.perf_counter() - t0
    return {"psnr": psnr(clean, out, data_range=1.0), "ssim": ssim(clean, out, data_range=1.0),
            "ips": len(noisy) / max(secs, 1e-9), "out": out}


def run_set(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    train = load_mnist("train", root=DATA, download=False, kind=kind).X  # type: ignore[arg-type]
    test = load_mnist("test", root=DATA, download=False, kind=kind).X  # type: ignore[arg-type]
    X_tune, X_test = train[-args.n_tune:], test[:args.n_test]
    models: dict[str, Any] = {}
    configs: dict[str, str] = {}
    fit_s: dict[str, float] = {}
    t0 = time.perf_counter()
    blind = dict(depth=args.blind_depth, width=args.blind_width, epochs=args.blind_epochs)
    models["aekit residual blind"] = train_denoiser(train[:args.blind_n_train], level=(0.0, 0.55), **blind,
                                                    batch_size=args.batch_size, lr=args.lr, random_state=0)
    configs["aekit residual blind"] = (f"DnCNN depth {args.blind_depth}, width {args.blind_width}, σ ~ U[0, 0.55], "
                                       f"first {args.blind_n_train:,} training images, {args.blind_epochs} epochs")
    _log(f"[{kind}] residual blind: {time.perf_counter() - t0:.0f} s, "
         f"loss {models['aekit residual blind'].history[-1]['loss']:.5f}")
    prev = None
    if args.reuse:  # rows of the classical methods and the other aekit models from an earlier run
        with open(args.reuse, "rb") as f:
            prev = pickle.load(f)[0][kind]
    if prev is None:
        X_train = train[:args.n_train]
        common = dict(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, random_state=0)
        t0 = time.perf_counter()
        models["aekit residual s&p"] = train_denoiser(X_train, noise="salt_pepper", level=0.2, depth=args.depth,
                                                      width=args.width, **common)
        _log(f"[{kind}] residual s&p: {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        models["aekit conv AE σ=0.5"] = train_denoiser(X_train, level=0.5, model="conv", latent_dim=32, **common)
        _log(f"[{kind}] conv AE: {time.perf_counter() - t0:.0f} s")
        fit_s.update({k: m.fit_seconds for k, m in models.items()})
    else:
        fit_s.update({k: v for k, v in prev["fit_seconds"].items() if k != "aekit residual blind"})
        fit_s["aekit residual blind"] = models["aekit residual blind"].fit_seconds
    configs["aekit residual s&p"] = (f"DnCNN depth {args.depth}, width {args.width}, p = 0.2, first "
                                     f"{args.n_train:,} training images, {args.epochs} epochs")
    configs["aekit conv AE σ=0.5"] = (f"`Autoencoder(model=\"conv\", latent_dim=32, noise=\"gaussian\", "
                                      f"noise_level=0.5)`, first {args.n_train:,} training images, {args.epochs} epochs")
    rows: dict[str, dict[str, Any]] = {}
    params: dict[str, dict[str, Any]] = {} if prev is None else prev["params"]
    grids: dict[str, dict[str, np.ndarray]] = {}
    for c, (noise, level) in enumerate(CONDITIONS):
        cond = _label(noise, level)
        noisy_test = add_noise(X_test, noise, level, random_state=100 + c)
        noisy_tune = add_noise(X_tune, noise, level, random_state=200 + c)
        sigma_hat = float(np.std(noisy_tune - X_tune))
        res: dict[str, Any] = {"noisy input": score(lambda x: x, noisy_test, X_test)}
        for name, den in models.items():
            if name == "aekit residual s&p" and noise != "salt_pepper":
                continue
            if name == "aekit residual blind" and noise != "gaussian":
                continue
            res[name] = score(den, noisy_test, X_test)
        if prev is not None:
            for name, r in prev["rows"][cond].items():
                if name not in res:
                    res[name] = dict(r, out=prev["grids"][cond][name])
        else:
            t0 = time.perf_counter()
            tuned = tune(classical_methods(sigma_hat), noisy_tune, X_tune)
            _log(f"[{kind} {cond}] tuned classical in {time.perf_counter() - t0:.0f} s: "
                 + ", ".join(f"{k} {v[0]}" for k, v in tuned.items()))
            for name, (p, fn) in tuned.items():
                res[name] = score(fn, noisy_test, X_test)
                params.setdefault(name, {})[cond] = p
            if not args.no_bm3d:
                fn = bm3d_mosaic(sigma_hat)
                if fn is not None:
                    res["BM3D (oracle σ̂)"] = score(fn, noisy_test, X_test)
                    params.setdefault("BM3D (oracle σ̂)", {})[cond] = {"sigma_psd": round(sigma_hat, 4)}
        for name, r in res.items():
            _log(f"[{kind} {cond}] {name:24s} PSNR {r['psnr']:6.2f}  SSIM {r['ssim']:.4f}  {r['ips']:9.0f} img/s")
        grids[cond] = {name: r.pop("out")[:8] for name, r in res.items()}
        grids[cond]["clean"] = X_test[:8]
        rows[cond] = res
    return {"rows": rows, "params": params, "grids": grids, "fit_seconds": fit_s, "configs": configs,
            "n": (args.n_train, len(X_tune), len(X_test))}


def _run_set_job(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    return run_set(kind, args)


def _best(res: dict[str, Any], aekit: bool) -> tuple[str, float]:
    cands = [(r["psnr"], k) for k, r in res.items() if k != "noisy input" and k.startswith("aekit") == aekit]
    p, k = max(cands)
    return k, p


def report(results: dict[str, Any], args: argparse.Namespace, argv: list[str], total_s: float) -> list[str]:
    shown = [a for a in argv if a != "--from-results"]  # a rebuilt report names the command that made the numbers
    command = " ".join(["nice -n 15 python benchmarks/bench_denoise.py", *shown])
    n_train, n_tune, n_test = next(iter(results.values()))["n"]
    lines = ["## Denoising: aekit against the classical filters (MNIST, Fashion-MNIST)", "",
             f"Command: `{command}`  ",
             f"Machine: {cpu()}, torch {torch.__version__}, {args.threads} thread(s) per data set, the data sets in "
             f"parallel processes; whole run "
             f"{total_s / 60:.0f} min{' (the retraining step)' if args.reuse else ''}.  ",
             f"aekit models (`aekit.apps.denoise.train_denoiser`; batch {args.batch_size}, Adam {args.lr:g}, cosine "
             "schedule, seed 0; *blind* = one model trained over a range of σ and used at every σ): "
             + "; ".join(f"**{k}**: {v}" for k, v in next(iter(results.values()))["configs"].items()) + ". "
             + (f"This table was made in two steps: a first run with a smaller blind model, then "
                f"`--reuse` of its classical, s&p and conv AE rows (same images, seeds and settings) while only the "
                f"blind model was retrained; without `--reuse` the command recomputes everything.  "
                if args.reuse else "")
             +
             f"Classical parameters tuned per data set and condition by grid search on {n_tune} held-out "
             "training images (the last ones; best mean PSNR); BM3D given the oracle noise std σ̂ (std of "
             "noisy − clean), not tuned, run on 10×10 mosaics of the test images. "
             f"Scores on the first {n_test:,} test images, the same noisy images for every method "
             "(Gaussian noise clipped to [0, 1]). PSNR in dB (data range 1), SSIM = scikit-image's definition "
             "(`aekit.metrics.ssim`). Images/s are wall-clock on a busy shared 2-core CPU (inference only; "
             "classical methods one image at a time, aekit in batches of 256).", ""]
    verdicts = []
    for (kind, title) in SETS:
        if kind not in results:
            continue
        out = results[kind]
        conds = list(out["rows"])
        names = list(dict.fromkeys(k for c in conds for k in out["rows"][c]))
        names.sort(key=lambda k: (k != "noisy input", not k.startswith("aekit")))  # stable: keeps the run order
        lines += [f"### {title}", "", "| method | " + " | ".join(f"{c} PSNR / SSIM" for c in conds)
                  + " | images/s |", "|---|" + "---:|" * (len(conds) + 1)]
        for name in names:
            cells, speeds = [], []
            for c in conds:
                r = out["rows"][c].get(name)
                cells.append("—" if r is None else f"{r['psnr']:.2f} / {r['ssim']:.3f}")
                if r is not None and name != "noisy input":
                    speeds.append(r["ips"])
            bold = name.startswith("aekit")
            label = f"**{name}**" if bold else name
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {np.median(speeds):,.0f} |" if speeds else
                         f"| {label} | " + " | ".join(cells) + " | — |")
        lines.append("")
        lines.append("Tuned parameters: " + "; ".join(
            f"{name}: " + ", ".join(f"{c} {json.dumps(p)}" for c, p in per.items())
            for name, per in out["params"].items() if any(per.values())) + ".  ")
        lines.append("aekit training time: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in out["fit_seconds"].items())
                     + ".")
        lines.append("")
        for cond, need in (("σ=0.5", 3.0), ("σ=0.1", 0.0)):
            a_name, a = _best(out["rows"][cond], True)
            c_name, c = _best(out["rows"][cond], False)
            met = a - c >= need
            verdicts.append(f"- {title} {cond}: aekit best {a:.2f} dB ({a_name}) vs classical best {c:.2f} dB "
                            f"({c_name}): {a - c:+.2f} dB, target ≥ {need:+.1f} dB: **{'met' if met else 'not met'}**")
    lines += ["### Target", "", *verdicts, "", f"![noisy / classical best / aekit best / clean at σ = 0.5]"
              f"(benchmarks/figures/{FIGURE.name})", ""]
    return lines


def figure(results: dict[str, Any]) -> None:
    imgs, labels = [], []
    for kind, title in SETS:
        if kind not in results:
            continue
        rows = results[kind]["rows"]["σ=0.5"]
        grid = results[kind]["grids"]["σ=0.5"]
        a_name, _ = _best(rows, True)
        c_name, _ = _best(rows, False)
        for name, show in (("noisy input", f"{title.split('-')[0]}: noisy"), (c_name, c_name.split(" (")[0]),
                           (a_name, a_name.replace("aekit residual", "aekit")), ("clean", "clean")):
            imgs.append(grid[name])
            labels += [f"{show} {rows[name]['psnr']:.1f} dB" if name in rows else show] + [""] * 7
    plot_image_grid(np.concatenate(imgs), FIGURE, ncols=8, labels=labels,
                    title="σ = 0.5: noisy / best classical / best aekit / clean")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-train", type=int, default=4000)
    ap.add_argument("--n-tune", type=int, default=200)
    ap.add_argument("--n-test", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--depth", type=int, default=5)
    ap.add_argument("--width", type=int, default=24)
    ap.add_argument("--blind-n-train", type=int, default=12000)
    ap.add_argument("--blind-epochs", type=int, default=4)
    ap.add_argument("--blind-depth", type=int, default=6)
    ap.add_argument("--blind-width", type=int, default=24)
    ap.add_argument("--reuse", default=None, help="results file of an earlier run: keep its classical and other "
                    "aekit rows and retrain only the blind model")
    ap.add_argument("--sets", default="mnist,fashion-mnist")
    ap.add_argument("--no-bm3d", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per data set")
    ap.add_argument("--jobs", type=int, default=2, help="data sets run in parallel processes")
    ap.add_argument("--results", default="/tmp/bench_denoise_results.pkl",
                    help="where the raw results are kept, to rebuild the report with --from-results")
    ap.add_argument("--from-results", action="store_true", help="only rebuild the report from --results")
    ap.add_argument("--quick", action="store_true", help="tiny smoke run; writes nothing unless --write")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.n_train, args.n_tune, args.n_test, args.epochs = 300, 20, 40, 1
    if args.from_results:
        with open(args.results, "rb") as f:
            results, total_s = pickle.load(f)
    else:
        t0 = time.perf_counter()
        kinds = args.sets.split(",")
        with ProcessPoolExecutor(max_workers=max(1, min(args.jobs, len(kinds)))) as pool:
            results = dict(zip(kinds, pool.map(_run_set_job, kinds, [args] * len(kinds))))
        total_s = time.perf_counter() - t0
        with open(args.results, "wb") as f:
            pickle.dump((results, total_s), f)
    lines = report(results, args, argv, total_s)
    print("\n".join(lines))
    if not args.quick or args.write:
        figure(results)
        write_section("bench_denoise", lines)
        _log(f"wrote {FIGURE} and the bench_denoise section of BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
