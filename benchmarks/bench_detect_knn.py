"""Would a k-NN member help aekit's default detector? Measured on data that is *not* one of
the 12 ADBench tables of ``bench_detect.py``, so that the choice is not tuned on them.

Data: ADBench's four synthetic anomaly types (Han et al. 2022, section 4.3), generated
around a Gaussian mixture of correlated clusters: *local* (same components, covariance
scaled by 5), *global* (uniform over the box 1.1x the data range), *dependency* (each feature
drawn from its own marginal, so the correlations break) and *clustered* (the components'
means shifted by 5 standard deviations), 5% anomalies each; and three scikit-learn / UCI
sets the 12 tables do not hold: wine and breast_cancer (the class with fewest rows,
subsampled to 5%, = anomalies) and letter (4,000 rows of ``../shared/data/tables/letter.csv``,
which has no class column: one of 8 k-means clusters, subsampled to 3%, = anomalies).

Protocol as ``bench_detect.py``: fit on a stratified 70% without labels, ROC-AUC on the
other 30%, seeds 0..N-1. Contenders from one fit of
``AnomalyDetector(knn_weight=0.0, random_state=seed)`` (the autoencoders alone; this script
chose ``knn_weight="auto"``, i.e. half and half on tables, which is now the default):

- ensemble: the default (8 autoencoders' standardised log errors, averaged);
- kNN: mean distance to the 10 nearest training rows on the detector's robust-scaled
  features, log, standardised by its leave-one-out training median and IQR, like a member;
- ensemble + kNN as a 9th member (weight 1/9);
- ensemble and kNN half and half.

    python benchmarks/bench_detect_knn.py --seeds 2
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from _report import cpu, write_section
from aekit.estimators.detector import AnomalyDetector

TABLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "tables"
K = 10


def _mixture(rng: np.random.Generator, n: int, d: int = 8, k: int = 3) -> tuple[list, np.ndarray]:
    comps = []
    for _ in range(k):
        a = rng.normal(size=(d, d))
        comps.append((rng.normal(scale=3.0, size=d), a @ a.T / d + 0.1 * np.eye(d)))
    which = rng.integers(k, size=n)
    X = np.stack([rng.multivariate_normal(*comps[c]) for c in which])
    return comps, X


def synthetic(kind: str, seed: int, n: int = 2000, share: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(100 + seed)
    n_out = int(n * share)
    comps, X = _mixture(rng, n - n_out)
    d = X.shape[1]
    if kind == "local":
        which = rng.integers(len(comps), size=n_out)
        out = np.stack([rng.multivariate_normal(comps[c][0], 5.0 * comps[c][1]) for c in which])
    elif kind == "global":
        lo, hi = X.min(0), X.max(0)
        mid, half = (lo + hi) / 2, (hi - lo) / 2 * 1.1
        out = rng.uniform(mid - half, mid + half, size=(n_out, d))
    elif kind == "dependency":
        out = np.stack([rng.choice(X[:, j], n_out) for j in range(d)], axis=1)
    else:  # clustered
        which = rng.integers(len(comps), size=n_out)
        out = np.stack([rng.multivariate_normal(comps[c][0] + 5.0 * np.sqrt(np.diag(comps[c][1])), comps[c][1])
                        for c in which])
    Xa = np.vstack([X, out]).astype(np.float32)
    y = np.r_[np.zeros(len(X), int), np.ones(n_out, int)]
    return Xa, y


def minority(X: np.ndarray, y: np.ndarray, seed: int, share: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """The rarest class, subsampled to ``share`` of the result, is the anomaly."""
    rng = np.random.default_rng(seed)
    rare = np.bincount(y).argmin()
    normal, odd = X[y != rare], X[y == rare]
    n_out = max(2, int(round(share * len(normal) / (1 - share))))
    odd = odd[rng.choice(len(odd), min(n_out, len(odd)), replace=False)]
    return np.vstack([normal, odd]).astype(np.float32), np.r_[np.zeros(len(normal), int), np.ones(len(odd), int)]


def letter_like(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """letter.csv (16 attributes, no class column): rows split by a k-means clustering into
    a normal group and a rare one (3%), since the file carries no letter labels."""
    from sklearn.cluster import KMeans

    X = np.loadtxt(TABLES / "letter.csv", delimiter=",", skiprows=1, dtype=np.float32)
    rng = np.random.default_rng(seed)
    X = X[rng.choice(len(X), 4000, replace=False)]
    lab = KMeans(8, n_init=3, random_state=seed).fit_predict(X)
    normal, odd = X[lab != 0], X[lab == 0]
    n_out = int(0.03 * len(normal))
    odd = odd[rng.choice(len(odd), min(n_out, len(odd)), replace=False)]
    return np.vstack([normal, odd]), np.r_[np.zeros(len(normal), int), np.ones(len(odd), int)]


def scores(Xtr: np.ndarray, Xte: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    det = AnomalyDetector(knn_weight=0.0, random_state=seed).fit(Xtr)
    ens_tr, ens_te = det.decision_scores_, det.decision_function(Xte)
    Ztr, Zte = (Xtr - det.center_) / det.spread_, (Xte - det.center_) / det.spread_
    nn = NearestNeighbors().fit(Ztr)
    d_tr = nn.kneighbors(Ztr, K + 1)[0][:, 1:].mean(1)  # leave-one-out on the training rows
    d_te = nn.kneighbors(Zte, K)[0].mean(1)
    l_tr, l_te = np.log(np.maximum(d_tr, 1e-12)), np.log(np.maximum(d_te, 1e-12))
    c, s = np.median(l_tr), max(np.subtract(*np.percentile(l_tr, [75, 25])), 1e-12)
    knn_te = (l_te - c) / s
    # the ensemble's training scores on the same scale (median 0, IQR 1) before mixing half and half
    ec, es = np.median(ens_tr), max(np.subtract(*np.percentile(ens_tr, [75, 25])), 1e-12)
    return {"ensemble": ens_te, "kNN": knn_te, "ensemble + kNN member": (8 * ens_te + knn_te) / 9,
            "half and half": 0.5 * (ens_te - ec) / es + 0.5 * knn_te}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--no-write", action="store_true", help="print, do not touch BENCHMARKS.md")
    args = p.parse_args(argv)
    given = list(sys.argv[1:] if argv is None else argv)
    command = "python benchmarks/bench_detect_knn.py" + "".join(" " + shlex.quote(a) for a in given
                                                                 if a != "--no-write")
    load0 = os.getloadavg()[0]
    torch.set_num_threads(1)
    sets = {f"synthetic {k}": (lambda seed, k=k: synthetic(k, seed))
            for k in ("local", "global", "dependency", "clustered")}
    sets["wine"] = lambda seed: minority(*load_wine(return_X_y=True), seed)
    sets["breast_cancer"] = lambda seed: minority(*load_breast_cancer(return_X_y=True), seed)
    sets["letter (k-means rare group)"] = letter_like
    table: dict[str, dict[str, float]] = {}
    t0 = time.perf_counter()
    with threadpool_limits(limits=1):
        for name, make in sets.items():
            rows = []
            for seed in range(args.seeds):
                X, y = make(seed)
                Xtr, Xte, _, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
                rows.append({k: roc_auc_score(yte, v) for k, v in scores(Xtr, Xte, seed).items()})
            table[name] = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
            print(f"[{time.strftime('%H:%M:%S')}] {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in table[name].items()),
                  flush=True)
    names = list(next(iter(table.values())))
    mean = {n: float(np.mean([r[n] for r in table.values()])) for n in names}
    worst = min(table[s]["half and half"] - table[s]["ensemble"] for s in table)
    lines = [
        "## Choosing the k-NN half of the default detector (`benchmarks/bench_detect_knn.py`)",
        "",
        f"Command `{command}`, run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {cpu()}, torch "
        f"{torch.__version__}, 1 thread, CPU only, shared with other jobs (load average {load0:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end); {(time.perf_counter() - t0) / 60:.1f} min.",
        "",
        "Data that is none of the 12 ADBench tables of `bench_detect.py`, so the choice is not tuned on them: "
        "ADBench's four synthetic anomaly types around a Gaussian mixture (local, global, dependency, clustered; "
        "5% anomalies), wine and breast_cancer (scikit-learn; the rarest class subsampled to 5%) and 4,000 rows of "
        "letter.csv (a rare k-means cluster as 3% anomalies). Fit on a stratified 70% without labels, ROC-AUC on "
        f"the other 30%, seeds 0..{args.seeds - 1}. ensemble: `AnomalyDetector(knn_weight=0.0)`; kNN: mean "
        "distance to the 10 nearest training rows on the detector's robust-scaled features, log, standardised by "
        "its leave-one-out training median and IQR; then the two mixed as a 9th member (1/9) or half and half.",
        "",
        f"- Chosen: half and half (`knn_weight=\"auto\"` = 0.5 on tables), the highest mean ({mean['half and half']:.3f} "
        f"vs {mean['ensemble']:.3f} for the ensemble alone); its worst set is {worst:+.3f} against the ensemble.",
        "",
        "| data | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
        *[f"| {s} | " + " | ".join(f"{r[n]:.3f}" for n in names) + " |" for s, r in table.items()],
        "| **mean** | " + " | ".join(f"{mean[n]:.3f}" for n in names) + " |",
        "",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("bench_detect_knn", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
