"""Sample quality: FID and precision/recall of aekit's generators against a PCA-Gaussian baseline.

For MNIST and Fashion-MNIST, in one run (the two data sets in parallel processes):

- a feature extractor: a small MLP classifier (784-256-128-10, ReLU, Adam 1e-3, batch 128,
  ``--clf-epochs`` epochs on the first ``--clf-n-train`` training images, seed 0); its test
  accuracy is printed; features = the 128 ReLU units before the output layer;
- generators, all dense, code size ``--latent`` (16), hidden layer 512, ``--epochs``
  epochs on the same training images, batch 128, seed 0:
  ``aekit VAE (prior)`` (``VariationalAutoencoder``, Bernoulli decoder, samples = decoder
  means of N(0, I) draws), ``aekit VAE + GMM`` and ``aekit AE + GMM`` (``aekit.apps.generate``:
  a 10-component full-covariance Gaussian mixture on the training codes, Ghosh et al.
  2020), and the classical ``PCA-Gaussian`` (``pca_gaussian_samples``, same code size);
- ``--n-eval`` samples of each against the first ``--n-eval`` test images: FID (Fréchet
  distance of Gaussians fitted to the features) and precision /
  recall with k = 3 nearest-neighbour balls (Kynkäänniemi et al. 2019). The floor is the
  same measure between ``--n-eval`` training images and the test images.

pythae is not run here (not installed on the benchmark machine), so the issue's target
(aekit's best FID ≤ pythae's best in the same run) is reported as not assessed.

Run ``nice -n 15 python benchmarks/bench_generate.py`` (writes its section of BENCHMARKS.md
and ``benchmarks/figures/generate_<set>.png``), or ``--quick`` for a smoke run.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from _report import cpu, write_section
from aekit import Autoencoder, VariationalAutoencoder
from aekit.apps.generate import fit_code_density, pca_gaussian_samples, sample
from aekit.data.mnist import load_mnist
from aekit.plots.grids import plot_image_grid

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = (("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST"))


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU())
        self.head = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def train_classifier(X: np.ndarray, y: np.ndarray, epochs: int) -> Classifier:
    torch.manual_seed(0)
    net = Classifier()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x, t = torch.from_numpy(X.reshape(len(X), -1)), torch.from_numpy(y.astype(np.int64))
    gen = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(128):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[idx]), t[idx]).backward()
            opt.step()
    return net.eval()


def features(net: Classifier, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net.features(torch.from_numpy(np.asarray(X, np.float32).reshape(len(X), -1))).double().numpy()


def fid(fa: np.ndarray, fb: np.ndarray) -> float:
    mu_a, mu_b = fa.mean(0), fb.mean(0)
    ca, cb = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    # tr sqrt(ca cb) = Σ sqrt(eigenvalues of ca cb), which are real and >= 0 for covariances; this stays exact
    # when dead ReLU features make the covariances singular, where scipy's sqrtm warns and loses accuracy.
    eig = np.linalg.eigvals(ca @ cb).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(ca) + np.trace(cb) - 2.0 * np.sqrt(np.clip(eig, 0, None)).sum())


def _kth_radius(f: torch.Tensor, k: int) -> torch.Tensor:
    out = []
    for chunk in f.split(1000):
        d = torch.cdist(chunk, f)
        out.append(d.kthvalue(k + 1, dim=1).values)  # k+1: the point itself is at distance 0
    return torch.cat(out)


def _covered(query: torch.Tensor, ref: torch.Tensor, radii: torch.Tensor) -> float:
    hits = 0
    for chunk in query.split(1000):
        hits += int((torch.cdist(chunk, ref) <= radii[None]).any(dim=1).sum())
    return hits / len(query)


def precision_recall(real: np.ndarray, fake: np.ndarray, real_radii: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """Kynkäänniemi et al. (2019): fakes inside the real k-NN balls, reals inside the fake ones."""
    r, f = torch.from_numpy(real).float(), torch.from_numpy(fake).float()
    return _covered(f, r, real_radii), _covered(r, f, _kth_radius(f, k))


def run_set(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    train = load_mnist("train", root=DATA, download=False, kind=kind)  # type: ignore[arg-type]
    test = load_mnist("test", root=DATA, download=False, kind=kind)  # type: ignore[arg-type]
    X, y = train.X[:args.n_train], train.y[:args.n_train]
    Xt, yt = test.X[:args.n_eval], test.y[:args.n_eval]
    t0 = time.perf_counter()
    clf = train_classifier(train.X[:args.clf_n_train], train.y[:args.clf_n_train], args.clf_epochs)
    with torch.no_grad():
        acc = float((clf(torch.from_numpy(test.X.reshape(len(test.X), -1))).argmax(1).numpy() == test.y).mean())
    _log(f"[{kind}] classifier test accuracy {acc:.4f} ({time.perf_counter() - t0:.0f} s)")
    f_test = features(clf, Xt)
    test_radii = _kth_radius(torch.from_numpy(f_test).float(), 3)
    flat = X.reshape(len(X), -1)
    common = dict(hidden=(512,), epochs=args.epochs, batch_size=128, random_state=0, verbose=False)
    samples: dict[str, np.ndarray] = {}
    fit_s: dict[str, float] = {}
    t0 = time.perf_counter()
    vae = VariationalAutoencoder(args.latent, **common).fit(flat)
    fit_s["VAE"] = time.perf_counter() - t0
    _log(f"[{kind}] VAE {fit_s['VAE']:.0f} s")
    t0 = time.perf_counter()
    ae = Autoencoder(args.latent, **common).fit(flat)
    fit_s["AE"] = time.perf_counter() - t0
    _log(f"[{kind}] AE {fit_s['AE']:.0f} s")
    n = args.n_eval
    samples["aekit VAE (prior)"] = sample(vae, n, sampler="prior", random_state=1)
    samples["aekit VAE + GMM"] = sample(vae, n, density=fit_code_density(vae, flat, n_components=10, random_state=0),
                                        random_state=1)
    samples["aekit AE + GMM"] = sample(ae, n, density=fit_code_density(ae, flat, n_components=10, random_state=0),
                                       random_state=1)
    samples["PCA-Gaussian"] = pca_gaussian_samples(flat, n, n_components=args.latent, random_state=1)
    samples["training images (floor)"] = train.X[-n:].reshape(n, -1)  # not among the generators' training images
    rows = {}
    for name, s in samples.items():
        fs = features(clf, s)
        p, r = precision_recall(f_test, fs, test_radii)
        rows[name] = {"fid": fid(fs, f_test), "precision": p, "recall": r}
        _log(f"[{kind}] {name:26s} FID {rows[name]['fid']:8.2f}  precision {p:.3f}  recall {r:.3f}")
    grids = {name: np.asarray(s[:10]).reshape(10, 1, 28, 28) for name, s in samples.items()}
    return {"acc": acc, "rows": rows, "fit_seconds": fit_s, "grids": grids}


def report(results: dict[str, Any], args: argparse.Namespace, argv: list[str], total_s: float) -> list[str]:
    shown = [a for a in argv if a != "--from-results"]  # a rebuilt report names the command that made the numbers
    command = " ".join(["nice -n 15 python benchmarks/bench_generate.py", *shown])
    lines = ["## Generation: sample quality (FID, precision/recall) of aekit's samplers", "",
             f"Command: `{command}`  ",
             f"Machine: {cpu()}, torch {torch.__version__}, {args.threads} thread(s) per data set, the data sets in "
             f"parallel processes; whole run {total_s / 60:.0f} min.  ",
             f"Generators trained on the first {args.n_train:,} training images, {args.epochs} epochs, dense, hidden "
             f"512, code {args.latent}, batch 128, seed 0; GMM = 10-component full-covariance mixture on the "
             f"training codes (`aekit.apps.generate`). {args.n_eval:,} samples against the first {args.n_eval:,} "
             f"test images, in the 128-d feature space of an MLP classifier trained by the benchmark (seed 0, "
             f"{args.clf_epochs} epochs on the first {args.clf_n_train:,} training images). "
             "Floor = held-out training images (the last ones) against the test images. FID lower is better; "
             "precision (realism) and recall (coverage) higher, k = 3 (Kynkäänniemi et al. 2019).", ""]
    for kind, title in SETS:
        if kind not in results:
            continue
        out = results[kind]
        lines += [f"### {title} (classifier test accuracy {out['acc']:.4f})", "",
                  "| sampler | FID | precision | recall |", "|---|---:|---:|---:|"]
        for name, r in out["rows"].items():
            label = f"**{name}**" if name.startswith("aekit") else name
            lines.append(f"| {label} | {r['fid']:.2f} | {r['precision']:.3f} | {r['recall']:.3f} |")
        best = min((r["fid"], k) for k, r in out["rows"].items() if k.startswith("aekit"))
        base = out["rows"]["PCA-Gaussian"]["fid"]
        lines += ["", f"Training: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in out["fit_seconds"].items())
                  + f". aekit's best FID {best[0]:.2f} ({best[1]}) vs PCA-Gaussian {base:.2f}.", "",
                  f"![samples, one row per sampler](benchmarks/figures/generate_{kind}.png)", ""]
    lines += ["Target (aekit's best FID ≤ pythae's best, at lower time per epoch): **not assessed** — pythae was "
              "not run in this benchmark.", ""]
    return lines


def figures(results: dict[str, Any]) -> None:
    for kind, _ in SETS:
        if kind not in results:
            continue
        grids = results[kind]["grids"]
        short = {"aekit VAE (prior)": "VAE prior", "aekit VAE + GMM": "VAE+GMM", "aekit AE + GMM": "AE+GMM",
                 "PCA-Gaussian": "PCA-Gauss", "training images (floor)": "real (floor)"}
        labels = [short.get(name, name) if j == 0 else "" for name in grids for j in range(10)]
        plot_image_grid(np.concatenate(list(grids.values())), ROOT / "benchmarks" / "figures" / f"generate_{kind}.png",
                        ncols=10, labels=labels, title=f"{kind}: one row per sampler")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-train", type=int, default=10000)
    ap.add_argument("--n-eval", type=int, default=10000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--clf-epochs", type=int, default=5)
    ap.add_argument("--clf-n-train", type=int, default=30000)
    ap.add_argument("--latent", type=int, default=16)
    ap.add_argument("--sets", default="mnist,fashion-mnist")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--results", default="/tmp/bench_generate_results.pkl")
    ap.add_argument("--from-results", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.n_train, args.n_eval, args.epochs, args.clf_epochs, args.clf_n_train = 1000, 500, 1, 1, 1000
    if args.from_results:
        with open(args.results, "rb") as f:
            results, total_s = pickle.load(f)
    else:
        t0 = time.perf_counter()
        kinds = args.sets.split(",")
        with ProcessPoolExecutor(max_workers=len(kinds)) as pool:
            results = dict(zip(kinds, pool.map(run_set, kinds, [args] * len(kinds))))
        total_s = time.perf_counter() - t0
        with open(args.results, "wb") as f:
            pickle.dump((results, total_s), f)
    lines = report(results, args, argv, total_s)
    print("\n".join(lines))
    if not args.quick or args.write:
        figures(results)
        write_section("bench_generate", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
