"""AutoencoderImputer against the imputers users would pick instead, on five tables and
four missingness mechanisms, in one run.

Claims checked (issue #12):

- the lowest mean RMSE of all contenders on at least 4 of the 5 tables at 20% MCAR;
- never more than 5% worse than ``IterativeImputer(BayesianRidge)`` on any table and mechanism.

Tables: ``letter`` and ``spam`` (GAIN's two UCI tables, ``shared/data/tables``), and
scikit-learn's bundled ``breast_cancer``, ``wine`` and ``diabetes`` (features only).
Each complete table is min-max scaled to [0, 1] once (the metric's space, GAIN's), then
entries are removed; every imputer gets the same table with holes and fills it. The metric
is the RMSE over the removed entries (GAIN's), and for the two labelled classification
tables with few rows (breast_cancer, wine) the 5-fold accuracy of a logistic regression
trained on the filled table (20% MCAR).

Mechanisms (``make_missing``):

- ``mcar20`` / ``mcar50``: every entry removed independently with probability 0.2 / 0.5.
- ``mar``: 30% of the columns (at least one) stay complete; each other column loses
  entries with probability ``sigmoid(a · z + b)``, where ``z`` is a random standardised
  linear combination of the complete columns and ``b`` is set by bisection so the column
  loses 30% on average (about 21% of all entries).
- ``mnar``: self-masking; each entry is removed with probability ``sigmoid(2 · s + b)``
  where ``s`` is the entry's own standardised value (high values go missing more often)
  and ``b`` is set per column so 20% are removed on average.

Contenders: ``SimpleImputer(mean)``, ``KNNImputer(5)``, ``IterativeImputer`` with
``BayesianRidge`` (max_iter 10) and with ``ExtraTreesRegressor`` (≈ missForest; 10 trees,
max_iter 5, so the run fits the CPU budget), and ``AutoencoderImputer`` with its
defaults (only ``random_state`` set). GAIN's published 20%-MCAR RMSE is a reference line.

Images (``--mnist``, its own section "bench_impute_mnist"): MNIST inpainting. The first
``--mnist-train`` training images and the first ``--mnist-test`` test images (pixels in
[0, 1]) lose pixels in one of two ways: ``pixels25``, each pixel removed independently with
probability 0.25; ``block10``, one 10×10 block per image, its top-left corner uniform over
the positions that keep the block inside the central 20×20 box (where MNIST's digits are
drawn, so the block covers strokes). Every imputer is fitted on the training images with
their holes and fills the test images; the metric is the PSNR over the removed test pixels,
``10·log10(1 / MSE)``. Contenders: the mean image (``SimpleImputer(mean)`` over the
training images), ``KNNImputer(5)`` and ``IterativeImputer(BayesianRidge)`` (each pixel
regressed on its 30 nearest pixels, 3 rounds: all 784 are too slow), both fitted on the
first ``--mnist-sklearn-train`` training images only (say so), and ``AutoencoderImputer``
on all ``--mnist-train``: with its defaults (on images, the convolutional inpainting
network) and, as a second row, with ``network="dense"`` (the masked MLP).

Run ``python benchmarks/bench_impute.py`` (writes the "bench_impute" section of
BENCHMARKS.md); ``--tables``, ``--mechanisms``, ``--methods``, ``--seeds``, ``--ae`` (JSON
of AutoencoderImputer parameters) and ``--no-write`` are for development runs. With
``--methods autoencoder --baselines benchmarks/impute_baselines.jsonl`` only the
autoencoder is rerun and the other contenders' records come from that log (letter and spam at
2,000 rows; seeds 0-2 from a run of 16 processes on 2 cores, seeds 3-4 appended from
``--first-seed 3 --methods mean knn ice_bayesridge ice_extratrees --log ...`` in one process),
checked cell by cell by the missing rate of the holes.
"""

from __future__ import annotations

import os

# One BLAS/OpenMP thread: on a shared machine BLAS threads that spin-wait made
# IterativeImputer 100x slower; every contender runs single-threaded, side by side.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import shlex
import sys
import time
import warnings
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from _report import machine, write_section

ROOT = Path(__file__).resolve().parents[1]
TABLES_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "tables"
TABLES = ("letter", "spam", "breast_cancer", "wine", "diabetes")
MECHANISMS = ("mcar20", "mcar50", "mar", "mnar")
METHODS = ("mean", "knn", "ice_bayesridge", "ice_extratrees", "autoencoder")
LABELS = {"mean": "Mean", "knn": "KNN (5)", "ice_bayesridge": "Iterative (BayesianRidge)",
          "ice_extratrees": "Iterative (ExtraTrees)", "autoencoder": "AutoencoderImputer"}
GAIN_RMSE = {"letter": 0.1198, "spam": 0.0513}  # Yoon et al. 2018, Table 2, 20% MCAR


# ----------------------------------------------------------------------------- data
def load_table(name: str, letter_rows: int | None = None,
               spam_rows: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(X min-max scaled to [0, 1], y or None)."""
    from sklearn import datasets

    y = None
    if name in ("letter", "spam"):
        X = np.loadtxt(TABLES_DIR / f"{name}.csv", delimiter=",", skiprows=1)
        rows = letter_rows if name == "letter" else spam_rows
        if rows and rows < len(X):  # a fixed subsample, the same for every seed and method
            X = X[np.random.default_rng(0).permutation(len(X))[:rows]]
    else:
        loader = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine,
                  "diabetes": datasets.load_diabetes}[name]
        X, y = loader(return_X_y=True)
        if name == "diabetes":
            y = None  # a regression target: no classifier accuracy
    lo, hi = X.min(0), X.max(0)
    return (X - lo) / np.where(hi > lo, hi - lo, 1.0), y


def _calibrated(logits: np.ndarray, rate: float) -> np.ndarray:
    """Probabilities sigmoid(logits + b) with b chosen by bisection so their mean is ``rate``."""
    lo, hi = -50.0, 50.0
    for _ in range(60):
        b = (lo + hi) / 2
        if (1 / (1 + np.exp(-(logits + b)))).mean() > rate:
            hi = b
        else:
            lo = b
    return 1 / (1 + np.exp(-(logits + (lo + hi) / 2)))


def _standardised(v: np.ndarray) -> np.ndarray:
    return (v - v.mean(0)) / np.where(v.std(0) > 0, v.std(0), 1.0)


def make_missing(X: np.ndarray, mechanism: str, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask, True = removed (see the module docstring). Never a fully empty row or column."""
    n, d = X.shape
    if mechanism in ("mcar20", "mcar50"):
        mask = rng.random((n, d)) < (0.2 if mechanism == "mcar20" else 0.5)
    elif mechanism == "mar":
        n_obs = max(1, int(round(0.3 * d)))
        observed = rng.permutation(d)[:n_obs]
        z_in = _standardised(X[:, observed])
        mask = np.zeros((n, d), bool)
        for j in set(range(d)) - set(observed.tolist()):
            z = _standardised(z_in @ rng.normal(size=n_obs))
            mask[:, j] = rng.random(n) < _calibrated(2.0 * z, 0.3)
    elif mechanism == "mnar":
        s = _standardised(X)
        mask = np.zeros((n, d), bool)
        for j in range(d):
            mask[:, j] = rng.random(n) < _calibrated(2.0 * s[:, j], 0.2)
    else:
        raise ValueError(mechanism)
    full_rows = mask.all(1)
    mask[full_rows, rng.integers(0, d, size=int(full_rows.sum()))] = False  # keep one value per row
    for j in np.flatnonzero(mask.all(0)):
        mask[rng.integers(0, n), j] = False
    return mask


# ----------------------------------------------------------------------------- imputers
def make_imputer(method: str, seed: int, ae_params: dict[str, Any]) -> Any:
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
    from sklearn.linear_model import BayesianRidge

    if method == "mean":
        return SimpleImputer(strategy="mean")
    if method == "knn":
        return KNNImputer(n_neighbors=5)
    if method == "ice_bayesridge":
        return IterativeImputer(estimator=BayesianRidge(), max_iter=10, random_state=seed)
    if method == "ice_extratrees":
        return IterativeImputer(estimator=ExtraTreesRegressor(n_estimators=10, random_state=seed, n_jobs=1),
                                max_iter=5, random_state=seed)
    if method == "autoencoder":
        from aekit.estimators.imputer import AutoencoderImputer

        return AutoencoderImputer(**{"random_state": seed, **ae_params})
    raise ValueError(method)


def rmse(X: np.ndarray, filled: np.ndarray, mask: np.ndarray) -> float:
    return float(np.sqrt(np.mean((filled[mask] - X[mask]) ** 2)))


def accuracy(filled: np.ndarray, y: np.ndarray, seed: int) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    return float(cross_val_score(LogisticRegression(max_iter=2000), filled, y, cv=cv).mean())


def run_task(task: tuple[Any, ...]) -> list[dict[str, Any]]:
    """One method on one (table, seed, mechanism): a unit of work for one process."""
    t, seed, mech, method, letter_rows, spam_rows, ae_params = task
    torch.set_num_threads(1)
    X, y = load_table(t, letter_rows, spam_rows)
    with_acc = y is not None and mech == "mcar20"
    if method == "complete":
        return [{"table": t, "mechanism": mech, "method": "complete", "seed": seed,
                 "accuracy": accuracy(X, y, seed), "seconds": 0.0}]
    mask = make_missing(X, mech, np.random.default_rng(1000 * seed + MECHANISMS.index(mech)))
    return [{"table": t, "mechanism": mech, "method": method, "seed": seed, "missing_rate": float(mask.mean()),
             "shape": list(X.shape), **run_one(X, y, mask, method, seed, ae_params, with_acc)}]


def run_one(X: np.ndarray, y: np.ndarray | None, mask: np.ndarray, method: str, seed: int,
            ae_params: dict[str, Any], with_accuracy: bool) -> dict[str, Any]:
    Xm = X.copy()
    Xm[mask] = np.nan
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IterativeImputer's convergence warnings
        filled = np.asarray(make_imputer(method, seed, ae_params).fit_transform(Xm), dtype=np.float64)
    seconds = time.perf_counter() - t0
    if filled.shape != X.shape or not np.isfinite(filled).all():
        raise RuntimeError(f"{method} returned shape {filled.shape} or non-finite values")
    out = {"rmse": rmse(X, filled, mask), "seconds": seconds}
    if with_accuracy and y is not None:
        out["accuracy"] = accuracy(filled, y, seed)
    return out


# ----------------------------------------------------------------------------- images
MNIST_MECHANISMS = ("pixels25", "block10")
DENSE = "AutoencoderImputer (network='dense')"
MNIST_FIGURE = str(ROOT / "benchmarks" / "figures" / "impute_mnist_{}.png")


def image_holes(n: int, mechanism: str, rng: np.random.Generator) -> np.ndarray:
    """(n, 28, 28) boolean mask, True = removed (see the module docstring)."""
    if mechanism == "pixels25":
        return rng.random((n, 28, 28)) < 0.25
    mask = np.zeros((n, 28, 28), bool)
    corners = rng.integers(4, 24 - 10 + 1, size=(n, 2))  # block inside rows/columns 4..23
    for i, (r, c) in enumerate(corners):
        mask[i, r:r + 10, c:c + 10] = True
    return mask


def image_psnr(truth: np.ndarray, filled: np.ndarray, mask: np.ndarray) -> float:
    mse = float(np.mean((np.clip(filled[mask], 0, 1) - truth[mask]) ** 2))
    return float(10 * np.log10(1.0 / max(mse, 1e-12)))


def run_mnist(args: argparse.Namespace, command: str) -> list[str]:
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
    from sklearn.linear_model import BayesianRidge

    from aekit.data.mnist import load_mnist
    from aekit.estimators.imputer import AutoencoderImputer
    from aekit.plots.imputation import plot_inpainting

    data = Path(__file__).resolve().parents[2] / "shared" / "data"
    train = np.asarray(load_mnist("train", root=data, download=False).X, np.float64)[:args.mnist_train]
    test = np.asarray(load_mnist("test", root=data, download=False).X, np.float64)[:args.mnist_test]
    train, test = train.reshape(len(train), 28, 28), test.reshape(len(test), 28, 28)
    started = time.time()
    n_sk = min(args.mnist_sklearn_train, len(train))
    rows: dict[str, dict[str, tuple[float, float]]] = {}
    for k, mech in enumerate(args.mnist_mechanisms):
        rng = np.random.default_rng(100 + k)
        m_train, m_test = image_holes(len(train), mech, rng), image_holes(len(test), mech, rng)
        h_train, h_test = np.where(m_train, np.nan, train), np.where(m_test, np.nan, test)
        flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
        contenders: list[tuple[str, Any, np.ndarray]] = [
            ("mean image", SimpleImputer(strategy="mean", keep_empty_features=True), flat(h_train)),
            ("KNN (5)", KNNImputer(n_neighbors=5, keep_empty_features=True), flat(h_train[:n_sk])),
            ("Iterative (BayesianRidge)", IterativeImputer(estimator=BayesianRidge(), max_iter=3,
                                                           n_nearest_features=30, random_state=0,
                                                           keep_empty_features=True), flat(h_train[:n_sk])),
            ("AutoencoderImputer", AutoencoderImputer(**{"random_state": 0, "keep_empty_features": True,
                                                         **json.loads(args.ae)}), h_train),
            (DENSE, AutoencoderImputer(**{"random_state": 0, "keep_empty_features": True,
                                          **json.loads(args.ae), "network": "dense"}), h_train),
        ]
        for name, imp, fit_on in contenders:
            if args.methods_mnist and name not in args.methods_mnist:
                continue
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                imp.fit(fit_on)
                filled = np.asarray(imp.transform(h_test if fit_on.ndim == 3 else flat(h_test)), np.float64)
            secs = time.perf_counter() - t0
            filled = filled.reshape(test.shape)
            rows.setdefault(name, {})[mech] = (image_psnr(test, filled, m_test), secs)
            print(json.dumps({"mnist": mech, "method": name, "psnr": rows[name][mech][0], "seconds": secs}),
                  flush=True)
            if name == "AutoencoderImputer" and not args.no_write:
                plot_inpainting(h_test[:10], filled[:10], MNIST_FIGURE.format(mech), truth=test[:10], n=10,
                                title=f"MNIST {mech}: masked (red = missing) / AutoencoderImputer / true")
    mechs = list(args.mnist_mechanisms)
    ae = rows.get("AutoencoderImputer", {})
    others = {n: r for n, r in rows.items() if not n.startswith("AutoencoderImputer")}
    lines = [
        "## Imputation: MNIST inpainting",
        "",
        f"Command `{command}`, run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"({(time.time() - started) / 60:.0f} min), {machine()}. First {len(train):,} training images to fit, "
        f"first {len(test):,} test images to fill; KNN and IterativeImputer fitted on the first {n_sk:,} training "
        "images only (all of them were too slow for the CPU budget). How the holes are made: the docstring of "
        "`benchmarks/bench_impute.py`. AutoencoderImputer's image defaults (the convolutional network, its "
        "channels and its 100,000 training images' worth of steps) were chosen on MNIST training images "
        "50,000-50,999 as a validation set, never on these test images (the class docstring has the numbers).",
        "",
    ]
    for mech in mechs:
        if mech in ae and others:
            best = max(others, key=lambda n: others[n].get(mech, (-np.inf, 0))[0])
            ok = ae[mech][0] > others[best][mech][0]
            lines.append(f"- Target, {mech}: AutoencoderImputer's PSNR (its defaults) above every baseline's: "
                         f"**{'met' if ok else 'not met'}** ({ae[mech][0]:.2f} dB vs {best} {others[best][mech][0]:.2f} dB).")
    lines += ["", "PSNR over the removed test pixels (dB, higher is better) and fit + fill seconds", "",
              "| method | " + " | ".join(f"{m} PSNR | {m} s" for m in mechs) + " |",
              "|---|" + "---:|---:|" * len(mechs)]
    for name, r in rows.items():
        cells = [f"{r[m][0]:.2f} | {r[m][1]:.0f}" if m in r else "– | –" for m in mechs]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Masked / filled / true, the first 10 test images: "
              + ", ".join(f"`benchmarks/figures/impute_mnist_{m}.png`" for m in mechs) + "."]
    return lines


# ----------------------------------------------------------------------------- report
def _mean_sd(vals: list[float], fmt: str = ".4f") -> str:
    if not vals:
        return "–"
    return f"{np.mean(vals):{fmt}} ± {np.std(vals):{fmt}}" if len(vals) > 1 else f"{vals[0]:{fmt}}"


def summarise(records: list[dict[str, Any]], tables: list[str], mechanisms: list[str],
              methods: list[str]) -> tuple[list[str], dict[str, Any]]:
    def cell(t: str, mech: str, m: str, key: str) -> list[float]:
        return [r[key] for r in records if (r["table"], r["mechanism"], r["method"]) == (t, mech, m) and key in r]

    lines: list[str] = []
    verdict: dict[str, Any] = {"wins_mcar20": [], "worse_than_br": []}
    for mech in mechanisms:
        lines += ["", f"**{mech}** — RMSE over the removed entries (min-max scaled data), mean ± sd over seeds; "
                  "lowest mean in bold", "",
                  "| table | seeds | " + " | ".join(LABELS[m] for m in methods)
                  + (" | GAIN (published) |" if mech == "mcar20" else " |"),
                  "|---|---:|" + "---:|" * len(methods) + ("---:|" if mech == "mcar20" else "")]
        for t in tables:
            means = {m: float(np.mean(cell(t, mech, m, "rmse"))) for m in methods if cell(t, mech, m, "rmse")}
            if not means:
                continue
            best = min(means, key=means.get)
            row = [(f"**{_mean_sd(cell(t, mech, m, 'rmse'))}**" if m == best else _mean_sd(cell(t, mech, m, "rmse")))
                   for m in methods]
            gain = [f"{GAIN_RMSE[t]:.4f}" if t in GAIN_RMSE else "–"] if mech == "mcar20" else []
            n_seeds = min(len(cell(t, mech, m, "rmse")) for m in methods)
            lines.append(f"| {t} | {n_seeds} | " + " | ".join(row + gain) + " |")
            if "autoencoder" in means:
                if mech == "mcar20" and best == "autoencoder" and len(means) == len(methods):
                    verdict["wins_mcar20"].append(t)
                if "ice_bayesridge" in means and means["autoencoder"] > 1.05 * means["ice_bayesridge"]:
                    verdict["worse_than_br"].append(
                        f"{t}/{mech} ({means['autoencoder']:.4f} vs {means['ice_bayesridge']:.4f}, "
                        f"+{100 * (means['autoencoder'] / means['ice_bayesridge'] - 1):.1f}%)")
    acc_rows = [t for t in tables if any("accuracy" in r for r in records if r["table"] == t)]
    if acc_rows:
        lines += ["", "**Downstream accuracy** (mcar20): 5-fold logistic regression on the filled table, "
                  "mean ± sd over seeds (complete data in the last column)", "",
                  "| table | " + " | ".join(LABELS[m] for m in methods) + " | complete |",
                  "|---|" + "---:|" * (len(methods) + 1)]
        for t in acc_rows:
            full = [r["accuracy"] for r in records if r["table"] == t and r["method"] == "complete"]
            lines.append(f"| {t} | " + " | ".join(_mean_sd(cell(t, "mcar20", m, "accuracy"), ".3f") for m in methods)
                         + f" | {_mean_sd(full, '.3f')} |")
    lines += ["", "**Fit + transform time** (seconds, mean over seeds and mechanisms)", "",
              "| table | " + " | ".join(LABELS[m] for m in methods) + " |", "|---|" + "---:|" * len(methods)]
    for t in tables:
        times = [np.mean([r["seconds"] for r in records if r["table"] == t and r["method"] == m] or [np.nan])
                 for m in methods]
        lines.append(f"| {t} | " + " | ".join(f"{s:.2f}" for s in times) + " |")
    return lines, verdict


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES)
    p.add_argument("--mechanisms", nargs="+", default=list(MECHANISMS), choices=MECHANISMS)
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--first-seed", type=int, default=0,
                   help="run seeds first-seed .. seeds-1 only (to extend a --log with more seeds)")
    p.add_argument("--letter-rows", type=int, default=None, help="subsample letter to this many rows")
    p.add_argument("--spam-rows", type=int, default=None, help="subsample spam to this many rows")
    p.add_argument("--jobs", type=int, default=1, help="(table, seed, mechanism) tasks run in this many processes")
    p.add_argument("--ae", default="{}", help="JSON of AutoencoderImputer parameters (development)")
    p.add_argument("--log", type=Path, default=None, help="append one JSON record per run here")
    p.add_argument("--from-log", type=Path, default=None,
                   help="write the section from a stopped run's --log instead of running")
    p.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    p.add_argument("--baselines", type=Path, default=None,
                   help="read the contenders not in --methods from this --log of an earlier run (same tables, "
                        "seeds and holes; checked by each cell's missing rate) instead of running them")
    p.add_argument("--mnist", action="store_true", help="run the MNIST inpainting benchmark instead")
    p.add_argument("--mnist-mechanisms", nargs="+", default=list(MNIST_MECHANISMS), choices=MNIST_MECHANISMS)
    p.add_argument("--mnist-train", type=int, default=10_000)
    p.add_argument("--mnist-test", type=int, default=1_000)
    p.add_argument("--mnist-sklearn-train", type=int, default=2_000,
                   help="training images for KNN and IterativeImputer (they are slow on 784 pixels)")
    p.add_argument("--methods-mnist", nargs="+", default=None, help="(development) only these MNIST contenders")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    if args.mnist:
        command = "python benchmarks/bench_impute.py" + "".join(" " + shlex.quote(a) for a in (argv or sys.argv[1:]))
        text = run_mnist(args, command)
        print("\n".join(text))
        if not args.no_write:
            print(f"wrote {write_section('bench_impute_mnist', text)}")
        return 0
    if "autoencoder" in args.methods:  # imported once, here: the worker processes inherit it
        from aekit.estimators.imputer import AutoencoderImputer  # noqa: F401
    ae_params = json.loads(args.ae)
    command = "python benchmarks/bench_impute.py" + "".join(" " + shlex.quote(a) for a in (argv or sys.argv[1:]))
    records: list[dict[str, Any]] = []
    started = time.time()
    # Seed by seed, 20% MCAR first: on a busy machine the cells the targets need finish first.
    tasks = [(t, seed, mech, m, args.letter_rows, args.spam_rows, ae_params)
             for seed in range(args.first_seed, args.seeds)
             for mech in sorted(args.mechanisms, key=MECHANISMS.index)
             for t in args.tables for m in args.methods]
    tasks += [(t, seed, "mcar20", "complete", args.letter_rows, args.spam_rows, ae_params)
              for seed in range(args.first_seed, args.seeds) for t in args.tables if t in ("breast_cancer", "wine")
              and "mcar20" in args.mechanisms]
    if args.from_log is not None:  # summarise a run that was stopped (its records, as logged)
        records = [json.loads(line) for line in args.from_log.read_text().splitlines() if line.strip()]
        have = {(r["table"], r["seed"]) for r in records if r["method"] == "complete"}
        for task in tasks:  # the complete-data accuracies were queued last; they take a second
            if task[3] == "complete" and (task[0], task[1]) not in have:
                records += run_task(task)
        text = report(records, args, command, started, (len(records), len(tasks)))
        text[2] = (f"**Stopped after {len(records)} of {len(tasks)} tasks** (the CPU budget ran out); this "
                   f"section summarises the finished ones from the run's log. Cells with fewer seeds than "
                   "the others are unfinished.\n")
        print("\n".join(text))
        if not args.no_write:
            print(f"wrote {write_section('bench_impute', text)}")
        return 0
    if args.baselines is not None:
        reused = [r for r in map(json.loads, args.baselines.read_text().splitlines())
                  if r["method"] not in (*args.methods, "complete") and r["table"] in args.tables
                  and r["mechanism"] in args.mechanisms and r["seed"] < args.seeds]
        args.reused = reused
        records += reused
    last_write = time.time()
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=mp.get_context("fork")) as pool:
        for n_done, done in enumerate(as_completed([pool.submit(run_task, task) for task in tasks]), 1):
            for rec in done.result():
                records.append(rec)
                print(json.dumps(rec), flush=True)
                if args.log:
                    with open(args.log, "a") as f:
                        f.write(json.dumps(rec) + "\n")
            # A partial section, marked so, at most every 5 minutes (other scripts write the file too).
            if not args.no_write and n_done < len(tasks) and time.time() - last_write > 300:
                write_section("bench_impute", report(records, args, command, started, (n_done, len(tasks))))
                last_write = time.time()
    text = report(records, args, command, started, None)
    print("\n".join(text))
    if not args.no_write:
        print(f"wrote {write_section('bench_impute', text)}")
    return 0


def report(records: list[dict[str, Any]], args: argparse.Namespace, command: str, started: float,
           progress: tuple[int, int] | None) -> list[str]:
    """The BENCHMARKS.md section; ``progress`` = (tasks done, tasks) while the run is unfinished."""
    reused = getattr(args, "reused", [])
    methods = [m for m in METHODS if m in args.methods or any(r["method"] == m for r in reused)]
    rates = {(r["table"], r["mechanism"], r["seed"]): r["missing_rate"] for r in reused if "missing_rate" in r}
    for r in records:  # a reused baseline must have had exactly these holes
        key = (r["table"], r["mechanism"], r["seed"])
        if "missing_rate" in r and key in rates and abs(rates[key] - r["missing_rate"]) > 1e-12:
            raise RuntimeError(f"{key}: the --baselines log had other holes ({rates[key]} vs {r['missing_rate']})")
    lines, verdict = summarise(records, args.tables, args.mechanisms, methods)
    n_tables = len(args.tables)
    wins = verdict["wins_mcar20"]
    head = [
        "## Imputation: AutoencoderImputer against scikit-learn's imputers",
        "",
        f"Command `{command}`, run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"({(time.time() - started) / 60:.0f} min), {machine()}. "
        f"{args.seeds} seed(s) requested per cell (the seeds column: how many finished)" + (f"; letter subsampled to {args.letter_rows:,} rows" if args.letter_rows else "")
        + (f"; spam subsampled to {args.spam_rows:,} rows" if args.spam_rows else "")
        + f"; {args.jobs} process(es), each contender single-threaded (times are wall-clock on a shared machine)"
        + ". How the tables, mechanisms and contenders are made: the docstring of `benchmarks/bench_impute.py`."
        + (f" The {', '.join(sorted({LABELS[r['method']] for r in reused}))} cells ({len(reused)} fits) are read "
           f"from `{args.baselines.name}`, the log of an earlier run of this script on the same tables, seeds and "
           "holes (each cell's missing rate checked); their times come from those runs (seeds 0-2: 16 processes "
           "on 2 cores, several times slower than alone; seeds 3-4: one process), so compare times within a "
           "column only." if reused else ""),
        "",
        f"- Target 1, the lowest mean RMSE on at least 4 of the 5 tables at 20% MCAR: "
        f"**{'met' if len(wins) >= 4 and n_tables == 5 else 'not met'}** "
        f"(lowest on {len(wins)} of {n_tables}: {', '.join(wins) or 'none'}).",
        f"- Target 2, never more than 5% worse than IterativeImputer(BayesianRidge) on any table and mechanism: "
        f"**{'met' if not verdict['worse_than_br'] else 'not met'}**"
        + (f" (worse on {'; '.join(verdict['worse_than_br'])})." if verdict["worse_than_br"] else "."),
    ]
    if progress is not None:
        head.insert(2, f"**Partial: {progress[0]} of {progress[1]} tasks done; the run is still going.** Cells "
                       "with fewer seeds than the others are unfinished.\n")
    return head + lines


if __name__ == "__main__":
    sys.exit(main())
