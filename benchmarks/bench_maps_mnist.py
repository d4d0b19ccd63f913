"""2-D maps of MNIST and autoencoder-vs-PCA reconstruction error, on real MNIST.

Claims checked (``aekit.apps.visualise`` and ``aekit.apps.reduce``):

- maps: how well each way of drawing MNIST in 2-D keeps the digits apart, measured as
  5-fold cross-validated 5-NN accuracy in the 2-D map of the same fixed subsample of
  test images: a 2-D latent autoencoder drawn directly; the 32-D codes of an autoencoder
  brought to 2-D by t-SNE, by UMAP (when umap-learn is installed) and by PCA; and PCA-2 of
  the raw pixels. 5-NN in the 32-D codes and in the 784 raw pixels are given as
  not-2-D references.
- reduce: test reconstruction MSE of an autoencoder and of PCA at latent sizes 2, 8, 32
  and 64, both fitted on the same training images (``compare_with_pca``).

Every autoencoder is a dense 784-256-d-256-784 model (ReLU hidden layer, linear code,
sigmoid output, BCE loss, Adam 1e-3, batch 64, seed 0), trained briefly: the epochs are stated
in the section. Torch and OpenMP/BLAS use ``--threads`` threads (default 1: on a shared,
busy CPU, two threads that wait on each other run many times slower than one).

Run ``python benchmarks/bench_maps_mnist.py`` (about 10 minutes on 2 cores; writes its
section of BENCHMARKS.md and the pictures into runs/bench_maps_mnist/), or ``--quick``
for a smoke run (small subsets, 2 epochs; writes nothing to BENCHMARKS.md unless ``--write``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

from _report import BENCH_MD, cpu, write_section
from aekit import Autoencoder
from aekit.apps.reduce import compare_with_pca
from aekit.apps.visualise import latent_map
from aekit.data import load_mnist
from aekit.metrics import knn_accuracy
from aekit.plots import plot_latent_map

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = os.environ.get("AEKIT_DATA") or "/work/shared/data"
DIMS = (2, 8, 32, 64)
HIDDEN = (256,)
BATCH = 64


def make_autoencoder(dim: int, epochs: int) -> Autoencoder:
    # A linear code: a ReLU code of 2 units often dies to a single point.
    # BCE on pixels in [0, 1] trains a sigmoid output much faster than MSE; errors are MSE.
    return Autoencoder(latent_dim=dim, hidden=HIDDEN, code_activation="linear", loss="bce", epochs=epochs,
                       batch_size=BATCH, lr=1e-3, random_state=0)


def subsample(n_total: int, n: int, seed: int) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).choice(n_total, size=min(n, n_total), replace=False))


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="folder holding the MNIST IDX files (or an mnist/ sub-folder)")
    p.add_argument("--quick", action="store_true", help="smoke run: 3,000 training and 1,000 map images, 2 epochs")
    p.add_argument("--n-train", type=int, default=None, help="training images, a fixed random subset (default 20,000)")
    p.add_argument("--n-map", type=int, default=None, help="test images in every map (default 5,000)")
    p.add_argument("--epochs", type=int, default=None, help="epochs per autoencoder (default 10)")
    p.add_argument("--threads", type=int, default=1, help="torch and OpenMP/BLAS threads (default 1)")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "bench_maps_mnist", help="folder for the pictures")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="write the section of BENCHMARKS.md (default: on, off with --quick)")
    args = p.parse_args()
    defaults = (3_000, 1_000, 2) if args.quick else (20_000, 5_000, 10)
    for name, value in zip(("n_train", "n_map", "epochs"), defaults):
        if getattr(args, name) is None:
            setattr(args, name, value)
    write = (not args.quick) if args.write is None else args.write
    torch.set_num_threads(args.threads)
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))  # UMAP's numba, read at its first import
    t_start = time.perf_counter()

    with threadpool_limits(args.threads):
        train, test = (load_mnist(s, root=args.data, download=False) for s in ("train", "test"))
        Xtr = np.ascontiguousarray(train.X[subsample(len(train), args.n_train, seed=0)])
        Xte, yte = test.X, test.y
        assert yte is not None
        map_idx = subsample(len(test), args.n_map, seed=1)
        Xm, ym = Xte[map_idx], yte[map_idx]
        print(f"train {len(Xtr):,}, test {len(Xte):,}, map {len(Xm):,}; {args.epochs} epochs per model", flush=True)

        comparison, t_cmp = timed(compare_with_pca, Xtr, Xte, DIMS,
                                  make_estimator=lambda d: make_autoencoder(d, args.epochs))
        print(comparison.table(), f"\n({t_cmp:.0f} s for {len(DIMS)} autoencoders + PCA)", flush=True)
        args.out.mkdir(parents=True, exist_ok=True)
        comparison.plot(args.out / "pca_comparison.png",
                        title=f"Autoencoder vs PCA on MNIST ({len(Xtr):,} train, {len(Xte):,} test images)")
        models = dict(zip(comparison.dims, comparison.estimators))
        ae2, ae32 = models[2], models[32]

        maps: list[tuple[str, str, float, float]] = []  # (name, file, 5-NN accuracy, seconds)

        def add(name: str, file: str, coords: np.ndarray, seconds: float, axis: tuple[str, str]) -> None:
            acc = knn_accuracy(coords, ym, k=5)
            plot_latent_map(coords, args.out / file, labels=ym, axis_labels=axis,
                            title=f"MNIST, {name}: 5-NN accuracy {acc:.3f}")
            maps.append((name, file, acc, seconds))
            print(f"{name:<34} 5-NN {acc:.3f}  ({seconds:.1f} s)", flush=True)

        methods = [("2-D latent autoencoder", ae2, "latent", "latent_map_ae2.png"),
                   ("32-D codes → t-SNE", ae32, "tsne", "latent_map_tsne.png")]
        try:
            import umap  # type: ignore[import-not-found]  # noqa: F401

            methods.append(("32-D codes → UMAP", ae32, "umap", "latent_map_umap.png"))
            umap_note = ""
        except ImportError:
            umap_note = "UMAP: not run (umap-learn not installed; `pip install 'aekit[umap]'`).\n\n"
        methods.append(("32-D codes → PCA-2", ae32, "pca", "latent_map_codes_pca.png"))
        for name, model, method, file in methods:
            m, seconds = timed(latent_map, model, Xm, ym, method=method, max_points=None, random_state=0)
            add(name, file, m.coords, seconds, {"latent": ("z₁", "z₂"), "tsne": ("t-SNE 1", "t-SNE 2"),
                                                 "umap": ("UMAP 1", "UMAP 2"), "pca": ("PC 1", "PC 2")}[method])
        pixels = PCA(n_components=2, random_state=0)
        coords, seconds = timed(lambda: pixels.fit(Xtr.reshape(len(Xtr), -1)).transform(Xm.reshape(len(Xm), -1)))
        add("raw pixels → PCA-2", "latent_map_pixels_pca.png", coords, seconds, ("PC 1", "PC 2"))

        codes32 = ae32.transform(Xm)
        ref_codes = knn_accuracy(codes32, ym, k=5)
        ref_pixels = knn_accuracy(Xm.reshape(len(Xm), -1), ym, k=5)
        print(f"reference: 5-NN in 32-D codes {ref_codes:.3f}, in 784 raw pixels {ref_pixels:.3f}")

    total = time.perf_counter() - t_start
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {when} on {cpu()}, torch {torch.__version__}, {args.threads} thread(s); "
        f"whole run {total / 60:.1f} min{' (--quick)' if args.quick else ''}.",
        "",
        f"Data: MNIST via `aekit.data.load_mnist`; {len(Xtr):,} training images (fixed random subset, seed 0) fit "
        f"every model; the maps show {len(Xm):,} test images (fixed random subset, seed 1); reconstruction MSE is "
        f"over all {len(Xte):,} test images, pixels in [0, 1].",
        "",
        f"Models: dense 784-{HIDDEN[0]}-d-{HIDDEN[0]}-784 autoencoders (ReLU hidden layer, linear code, sigmoid "
        f"output, trained on binary cross-entropy, Adam lr 1e-3, batch {BATCH}, seed 0), **{args.epochs} epochs "
        "each** — short training; longer runs lower the autoencoder errors further. Errors below are MSE.",
        "",
        "### 2-D maps: 5-NN accuracy (5-fold cross-validated, in the 2-D map)",
        "",
        "| map | 5-NN accuracy | seconds to make the map | picture |",
        "|---|---:|---:|---|",
        *[f"| {name} | {acc:.3f} | {sec:.1f} | `runs/bench_maps_mnist/{file}` |" for name, file, acc, sec in maps],
        f"| *reference, not 2-D:* 5-NN in the 32-D codes | {ref_codes:.3f} | | |",
        f"| *reference, not 2-D:* 5-NN in the 784 raw pixels | {ref_pixels:.3f} | | |",
        "",
        f"{umap_note}Chance is about 0.11 (ten balanced classes). t-SNE uses scikit-learn's `TSNE` (perplexity 30, "
        "PCA start); UMAP `umap-learn` defaults (15 neighbours; its time includes numba's one-off compilation); the map pictures are written by "
        "`aekit.plots.plot_latent_map`.",
        "",
        "### Reconstruction: test MSE per pixel, autoencoder vs PCA at the same size",
        "",
        "| latent size | autoencoder MSE | PCA MSE | AE / PCA |",
        "|---:|---:|---:|---:|",
        *[f"| {r.dim} | {r.ae_mse:.5f} | {r.pca_mse:.5f} | {r.ratio:.2f} |" for r in comparison.rows],
        "",
        f"{len(DIMS)} autoencoders and PCA fitted in {t_cmp:.0f} s (`aekit.apps.reduce.compare_with_pca`; "
        "picture `runs/bench_maps_mnist/pca_comparison.png`).",
        "",
    ]
    body = "\n".join(lines)
    print("\n" + body)
    if write:
        write_section("bench_maps_mnist", "## 2-D maps of MNIST and autoencoder vs PCA (`benchmarks/bench_maps_mnist.py`)\n\n" + body)
        print(f"wrote the bench_maps_mnist section of {BENCH_MD}")
    return None


if __name__ == "__main__":
    sys.exit(main())
