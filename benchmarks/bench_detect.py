"""Unsupervised anomaly detection on the 12 ADBench tables: aekit's default detector vs
Isolation Forest, PCA reconstruction error and (if ``pyod`` imports) ECOD, KNN and PyOD's
AutoEncoder and VAE, in one run.

Protocol (ADBench's unsupervised setting): for each set and seed, a stratified random 70%
is the training data, *without labels* (so it holds anomalies); ROC-AUC and PR-AUC
(average precision) of the anomaly scores on the other 30%. 3 seeds (0, 1, 2; the seed
drives the split and every method's ``random_state``); mean per set, mean over sets, and
the average rank of each method over the sets (by mean ROC-AUC; 1 = best). Every method
runs with its default parameters: no per-set tuning. Fit time is wall-clock seconds per fit
(mean over seeds), one torch thread, on a shared machine.

Targets (issue #9): aekit's mean ROC-AUC >= IForest's, and >= PyOD AutoEncoder's + 0.03.

    python benchmarks/bench_detect.py                      # the tables, writes BENCHMARKS.md
    python benchmarks/bench_detect.py --sets 6_cardio,29_Pima --seeds 1 --no-write   # a smoke run
    python benchmarks/bench_detect.py --mnist              # one-class MNIST (its own section)

Results go through ``--cache`` (one JSON line per set, seed and method) so an interrupted
run resumes where it stopped, and slow methods can run in parallel processes (``--only``
with one shared ``--cache``); ``--report-only`` then writes the section from the cache.

One-class MNIST (``--mnist``): for each digit, fit on its training images, ROC-AUC of "not
that digit" over the 10,000 test images; target mean >= 0.948 (Deep SVDD, Ruff et al. 2018).
One-class Fashion-MNIST (``--fashion``): the same protocol over its 10 classes (no target in
the issue; IForest and PCA beside it).

Throughput (``--throughput``): rows per second scored at batch 4,096 by a 784-32-784 dense
autoencoder (``AnomalyDetector(autoencoder=...)``, whose scoring runs in batches of 4,096)
and by PyOD's ``AutoEncoder(hidden_neuron_list=[32])`` ``decision_function(X, batch_size=4096)``,
on the same 10,000 MNIST test rows, in one process, one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from _report import cpu, write_section
from aekit.estimators.detector import AnomalyDetector

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "adbench"
SETS = ("2_annthyroid", "4_breastw", "6_cardio", "18_Ionosphere", "23_mammography", "26_optdigits", "29_Pima",
        "35_SpamBase", "38_thyroid", "40_vowels", "42_WBC", "44_Wilt")
AEKIT = "aekit AnomalyDetector()"


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ----------------------------------------------------------------------------- methods
def _pca_error(seed: int) -> Any:
    """Standardise, keep the components explaining 90% of the variance, score the squared
    reconstruction error (the classical linear autoencoder)."""
    class PCAError:
        def fit(self, X: np.ndarray) -> "PCAError":
            self.scaler = StandardScaler().fit(X)
            self.pca = PCA(n_components=0.9, svd_solver="full", random_state=seed).fit(self.scaler.transform(X))
            return self

        def decision_function(self, X: np.ndarray) -> np.ndarray:
            Z = self.scaler.transform(X)
            return ((self.pca.inverse_transform(self.pca.transform(Z)) - Z) ** 2).sum(axis=1)
    return PCAError()


def _iforest(seed: int) -> Any:
    class IForest:
        def fit(self, X: np.ndarray) -> "IForest":
            self.model = IsolationForest(random_state=seed).fit(X)
            return self

        def decision_function(self, X: np.ndarray) -> np.ndarray:
            return -self.model.score_samples(X)
    return IForest()


def methods() -> tuple[dict[str, Callable[[int], Any]], dict[str, str]]:
    """name -> (seed -> unfitted detector with fit / decision_function), and version notes."""
    import sklearn

    import aekit

    found: dict[str, Callable[[int], Any]] = {
        AEKIT: lambda seed: AnomalyDetector(random_state=seed),
        "IForest (scikit-learn)": _iforest,
        "PCA reconstruction": _pca_error,
    }
    notes = {"aekit": aekit.__version__, "scikit-learn": sklearn.__version__}
    try:
        import pyod
        from pyod.models.auto_encoder import AutoEncoder
        from pyod.models.ecod import ECOD
        from pyod.models.knn import KNN
        from pyod.models.vae import VAE
    except ImportError as exc:
        _log(f"pyod not importable ({exc}); its rows are skipped (pip install 'pyod>=2' tqdm)")
        return found, notes
    notes["pyod"] = pyod.__version__
    found.update({
        "ECOD (PyOD)": lambda seed: ECOD(),
        "KNN (PyOD)": lambda seed: KNN(),
        "AutoEncoder (PyOD)": lambda seed: AutoEncoder(random_state=seed, verbose=0),
        "VAE (PyOD)": lambda seed: VAE(random_state=seed, verbose=0),
    })
    return found, notes


def load_set(name: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(DATA / f"{name}.npz", allow_pickle=False) as d:
        return np.asarray(d["X"], dtype=np.float64), np.asarray(d["y"]).astype(int).ravel()


def run_one(make: Callable[[int], Any], X: np.ndarray, y: np.ndarray, seed: int) -> dict[str, float]:
    Xtr, Xte, _, yte = train_test_split(X, y, train_size=0.7, random_state=seed, stratify=y)
    t0 = time.perf_counter()
    det = make(seed).fit(Xtr)
    fit_s = time.perf_counter() - t0
    scores = np.asarray(det.decision_function(Xte), dtype=np.float64)
    if not np.isfinite(scores).all():
        raise RuntimeError(f"{int((~np.isfinite(scores)).sum())} non-finite scores")
    return {"roc": float(roc_auc_score(yte, scores)), "pr": float(average_precision_score(yte, scores)),
            "fit_s": fit_s}


# ----------------------------------------------------------------------------- cache
def read_cache(path: Path) -> dict[tuple[str, int, str], dict[str, Any]]:
    out: dict[tuple[str, int, str], dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                out[(r["set"], r["seed"], r["method"])] = r
    return out


def append_cache(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


# ----------------------------------------------------------------------------- report
def summarise(results: dict[tuple[str, int, str], dict[str, Any]], sets: list[str], names: list[str],
              seeds: list[int]) -> dict[str, Any]:
    per: dict[str, dict[str, dict[str, float]]] = {n: {} for n in names}
    for n in names:
        for s in sets:
            rows = [results[(s, k, n)] for k in seeds if (s, k, n) in results and "error" not in results[(s, k, n)]]
            if len(rows) == len(seeds):
                per[n][s] = {m: float(np.mean([r[m] for r in rows])) for m in ("roc", "pr", "fit_s")}
    complete = [n for n in names if len(per[n]) == len(sets)]
    partial = {n: {s: float(np.mean([results[(s, k, n)]["roc"] for k in seeds
                                     if (s, k, n) in results and "error" not in results[(s, k, n)]]))
                   for s in sets if any((s, k, n) in results and "error" not in results[(s, k, n)] for k in seeds)}
               for n in names if n not in complete}
    counts = {n: sum((s, k, n) in results and "error" not in results[(s, k, n)] for s in sets for k in seeds)
              for n in names}
    errors = [r for r in results.values() if "error" in r and r["set"] in sets and r["method"] in names]
    ranks: dict[str, list[float]] = {n: [] for n in complete}
    for s in sets:
        vals = np.array([per[n][s]["roc"] for n in complete])
        order = (-vals).argsort().argsort() + 1.0
        for v in np.unique(vals):  # ties share their mean rank
            order[vals == v] = order[vals == v].mean()
        for n, r in zip(complete, order):
            ranks[n].append(float(r))
    return {"per": per, "complete": complete, "partial": partial, "counts": counts, "errors": errors,
            "mean": {n: {m: float(np.mean([per[n][s][m] for s in sets])) for m in ("roc", "pr", "fit_s")}
                     for n in complete},
            "rank": {n: float(np.mean(ranks[n])) for n in complete}}


def _short(name: str) -> str:
    return {AEKIT: "aekit", "IForest (scikit-learn)": "IForest", "PCA reconstruction": "PCA"}.get(
        name, name.replace(" (PyOD)", ""))


def report(summary: dict[str, Any], sets: list[str], seeds: list[int], command: str, notes: dict[str, str],
           wall_min: float, load: tuple[float, float], n_cached: int = 0) -> list[str]:
    names = summary["complete"]
    per, mean, rank = summary["per"], summary["mean"], summary["rank"]
    head = "| set | " + " | ".join(_short(n) for n in names) + " |"
    rule = "|---|" + "---:|" * len(names)

    def table(metric: str, fmt: str) -> list[str]:
        lines = [head, rule]
        for s in sets:
            best = max(per[n][s]["roc"] for n in names) if metric == "roc" else None
            cells = []
            for n in names:
                v = per[n][s][metric]
                cell = format(v, fmt)
                cells.append(f"**{cell}**" if best is not None and v == best else cell)
            lines.append(f"| {s} | " + " | ".join(cells) + " |")
        lines.append("| **mean** | " + " | ".join(format(mean[n][metric], fmt) for n in names) + " |")
        if metric == "roc":
            lines.append("| **average rank** | " + " | ".join(f"{rank[n]:.2f}" for n in names) + " |")
        return lines

    ae = mean.get(AEKIT, {}).get("roc", float("nan"))
    iforest = mean.get("IForest (scikit-learn)", {}).get("roc")
    pyod_ae = mean.get("AutoEncoder (PyOD)", {}).get("roc")
    targets = []
    if iforest is not None:
        targets.append(f"- aekit mean ROC-AUC {ae:.3f} ≥ IForest {iforest:.3f}: "
                       f"**{'met' if ae >= iforest else 'not met'}** ({ae - iforest:+.3f}).")
    if pyod_ae is not None:
        targets.append(f"- aekit mean ROC-AUC {ae:.3f} ≥ PyOD AutoEncoder {pyod_ae:.3f} + 0.03 = "
                       f"{pyod_ae + 0.03:.3f}: "
                       f"**{'met' if ae >= pyod_ae + 0.03 else 'not met'}** ({ae - pyod_ae:+.3f}).")
    else:
        targets.append("- PyOD AutoEncoder target: not measured (pyod not installed).")
    versions = ", ".join(f"{k} {v}" for k, v in notes.items())
    cached = (f" ({n_cached} fits read from the --cache, written by earlier or parallel invocations of the same "
              "script, each with --only for a subset of the methods)") if n_cached else ""
    unfinished = [f"- {n}: {summary['counts'][n]} of {len(sets) * len(seeds)} fits finished in the time this run "
                  "had, so it is left out of the tables and ranks; ROC-AUC on the sets it reached: "
                  + (", ".join(f"{s} {v:.3f}" for s, v in summary["partial"][n].items()) or "none")
                  for n in summary["partial"]]
    unfinished += [f"- {r['method']} on {r['set']} seed {r['seed']} failed: `{r['error']}`" for r in summary["errors"]]
    return [
        "## Anomaly detection on 12 ADBench tables (`benchmarks/bench_detect.py`)",
        "",
        f"Command `{command}`, run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {cpu()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU only, shared with other jobs "
        f"(load average {load[0]:.1f} at the start, {load[1]:.1f} at the end); {wall_min:.1f} min in this "
        f"invocation{cached}. "
        f"Versions: {versions}.",
        "",
        "Unsupervised: fit on a stratified random 70% without labels (anomalies included), score the other 30%; "
        f"seeds {', '.join(map(str, seeds))} (split and random_state); every method at its default parameters, "
        "the same for all sets. aekit: `AnomalyDetector()` = 8 small dense autoencoders on feature subsets, "
        "robust (median/IQR) scaling, trimmed refit, standardised log-errors averaged, then mixed half and half "
        "with the standardised log k-NN distance (k = 10) on the same scaled features (the k-NN half chosen on "
        "other data: `benchmarks/bench_detect_knn.py`). PCA: standardised, "
        "90% of the variance kept, squared reconstruction error. PyOD rows: `ECOD()`, `KNN()`, "
        "`AutoEncoder(random_state=seed)`, `VAE(random_state=seed)` with their defaults.",
        "",
        "**Targets**",
        "",
        *targets,
        "",
        *(["**Not in the tables**", "", *unfinished, ""] if unfinished else []),
        "**ROC-AUC** (mean over seeds; best per set in bold)",
        "",
        *table("roc", ".3f"),
        "",
        "**PR-AUC** (average precision, mean over seeds)",
        "",
        *table("pr", ".3f"),
        "",
        "**Fit time** (seconds per fit, mean over seeds; one thread on a busy shared 2-core machine, so compare "
        "within a row)",
        "",
        *table("fit_s", ".2f"),
        "",
        "One-class MNIST, one-class Fashion-MNIST and scoring throughput have their own sections (`--mnist`, "
        "`--fashion`, `--throughput`); the NAB series, `benchmarks/bench_detect_nab.py`.",
        "",
    ]


# ----------------------------------------------------------------------------- one-class MNIST
FASHION_CLASSES = ("T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
                   "ankle boot")


def run_mnist(root: Path, digits: list[int], kind: str = "mnist") -> list[str]:
    """One-class MNIST (or Fashion-MNIST): fit on one class's training images, AUROC of "not
    that class" over all 10,000 test images; aekit's default detector beside IForest and PCA on
    the pixels."""
    from aekit.data import load_mnist

    train = load_mnist("train", root=root, download=False, kind=kind)  # type: ignore[arg-type]
    test = load_mnist("test", root=root, download=False, kind=kind)  # type: ignore[arg-type]
    Xt = np.ascontiguousarray(test.X, np.float32)  # (10000, 1, 28, 28)
    rows = []
    for d in digits:
        Xd = np.ascontiguousarray(train.X[train.y == d], np.float32)
        yt = (test.y != d).astype(int)  # every other digit is an anomaly
        row: dict[str, float] = {}
        for name, make in (("aekit", lambda: AnomalyDetector(random_state=0)), ("IForest", lambda: _iforest(0)),
                           ("PCA", None)):
            t0 = time.perf_counter()
            if make is None:
                pca = PCA(n_components=0.9, svd_solver="full", random_state=0).fit(Xd.reshape(len(Xd), -1))
                flat = Xt.reshape(len(Xt), -1)
                scores = ((pca.inverse_transform(pca.transform(flat)) - flat) ** 2).sum(axis=1)
            else:
                det = make()
                det.fit(Xd if name == "aekit" else Xd.reshape(len(Xd), -1))
                scores = det.decision_function(Xt if name == "aekit" else Xt.reshape(len(Xt), -1))
            row[name] = float(roc_auc_score(yt, scores))
            row[f"{name}_s"] = time.perf_counter() - t0
        _log(f"{kind} class {d}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items() if not k.endswith("_s")))
        rows.append(row)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    if kind == "fashion-mnist":
        return _fashion_report(digits, rows, mean)
    met = "met" if mean["aekit"] >= 0.948 else "not met"
    return [
        "## One-class MNIST anomaly detection (`benchmarks/bench_detect.py --mnist`)",
        "",
        "For each digit: fit on that digit's training images (about 6,000, no labels), score all 10,000 test "
        "images, ROC-AUC of *not that digit* (anomaly) vs that digit. aekit: `AnomalyDetector(random_state=0)` "
        "(images: one dense 784-256-32 autoencoder, reconstruction error); IForest on the 784 pixels; PCA keeping "
        "90% of the pixel variance, squared reconstruction error.",
        "",
        f"- aekit mean ROC-AUC {mean['aekit']:.3f} ≥ 0.948 (Deep SVDD, Ruff et al. 2018): **{met}**.",
        "",
        "| digit | aekit | IForest | PCA | aekit fit+score s |",
        "|---|---:|---:|---:|---:|",
        *[f"| {d} | {r['aekit']:.3f} | {r['IForest']:.3f} | {r['PCA']:.3f} | {r['aekit_s']:.0f} |"
          for d, r in zip(digits, rows)],
        f"| **mean** | {mean['aekit']:.3f} | {mean['IForest']:.3f} | {mean['PCA']:.3f} | {mean['aekit_s']:.0f} |",
        "",
    ]


def _fashion_report(classes: list[int], rows: list[dict[str, float]], mean: dict[str, float]) -> list[str]:
    best = max(("IForest", "PCA"), key=lambda k: mean[k])
    return [
        "## One-class Fashion-MNIST anomaly detection (`benchmarks/bench_detect.py --fashion`)",
        "",
        "For each class: fit on that class's 6,000 training images (all of them, no labels), score all 10,000 test "
        "images, ROC-AUC of *not that class* (anomaly) vs that class. aekit: `AnomalyDetector(random_state=0)` "
        "(images: one dense 784-256-32 autoencoder, reconstruction error); IForest on the 784 pixels; PCA keeping "
        "90% of the pixel variance, squared reconstruction error.",
        "",
        "- No target in issue #9 for Fashion-MNIST; the baselines of the same run: aekit mean ROC-AUC "
        f"{mean['aekit']:.3f} vs {best} {mean[best]:.3f} (the better baseline): "
        f"**{'ahead' if mean['aekit'] > mean[best] else 'behind'}** ({mean['aekit'] - mean[best]:+.3f}).",
        "",
        "| class | aekit | IForest | PCA | aekit fit+score s |",
        "|---|---:|---:|---:|---:|",
        *[f"| {d} {FASHION_CLASSES[d]} | {r['aekit']:.3f} | {r['IForest']:.3f} | {r['PCA']:.3f} | {r['aekit_s']:.0f} |"
          for d, r in zip(classes, rows)],
        f"| **mean** | {mean['aekit']:.3f} | {mean['IForest']:.3f} | {mean['PCA']:.3f} | {mean['aekit_s']:.0f} |",
        "",
    ]


def run_throughput(root: Path, repeats: int = 3) -> list[str]:
    """Rows per second scored at batch 4,096: a 784-32-784 aekit autoencoder (through the
    detector) vs PyOD's AutoEncoder with one 32-unit layer, same rows, same process."""
    from aekit.data import load_mnist
    from aekit.estimators.autoencoder import Autoencoder

    train = load_mnist("train", root=root, download=False)
    test = load_mnist("test", root=root, download=False)
    Xtr = np.ascontiguousarray(train.X[:10000], np.float32).reshape(10000, -1)
    X = np.ascontiguousarray(test.X, np.float32).reshape(len(test.X), -1)  # (10000, 784)
    ae = Autoencoder(32, hidden=(), epochs=1, batch_size=256, random_state=0).fit(Xtr)  # 784-32-784
    det = AnomalyDetector(ae).fit(Xtr[:2000])
    contenders: dict[str, Callable[[], Any]] = {"aekit 784-32-784 (AnomalyDetector.decision_function)":
                                                lambda: det.decision_function(X)}
    note = ""
    try:
        from pyod.models.auto_encoder import AutoEncoder as PyODAutoEncoder

        pyod = PyODAutoEncoder(hidden_neuron_list=[32], epoch_num=1, batch_size=256, random_state=0, verbose=0)
        pyod.fit(Xtr)
        contenders["PyOD AutoEncoder(hidden_neuron_list=[32]) decision_function(batch_size=4096)"] = \
            lambda: pyod.decision_function(X, batch_size=4096)
    except ImportError:
        note = "PyOD not installed: its row is missing."
    best: dict[str, float] = {}
    for name, call in contenders.items():
        call()  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        best[name] = len(X) / min(times)
        _log(f"{name}: {best[name]:,.0f} rows/s (best of {repeats})")
    names = list(best)
    ratio = best[names[0]] / best[names[1]] if len(names) > 1 else float("nan")
    return [
        "## Anomaly-score throughput (`benchmarks/bench_detect.py --throughput`)",
        "",
        "Rows per second scored at batch 4,096, the 10,000 MNIST test rows (784 values each), best of "
        f"{repeats} timed passes after one warm-up, one thread, both models in the same process. aekit: a dense "
        "784-32-784 `Autoencoder(32, hidden=())` wrapped in `AnomalyDetector` (its scoring runs in batches of "
        "4,096); PyOD: `AutoEncoder(hidden_neuron_list=[32])` (784-32-784 with its default batch norm and dropout "
        "layers), `decision_function(X, batch_size=4096)`. Both trained one epoch on 10,000 training rows first "
        "(speed does not depend on the weights). " + note,
        "",
        (f"- Target (issue #9): rows per second at batch 4,096 measured beside PyOD AutoEncoder's on the same rows: "
         f"**met**; aekit scores at {ratio:.2f}× PyOD's rate.") if len(names) > 1 else
        "- Target (issue #9): measured beside PyOD: **not met** (PyOD is not installed).",
        "",
        "| scorer | rows / s |",
        "|---|---:|",
        *[f"| {n} | {v:,.0f} |" for n, v in best.items()],
        "",
    ]


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sets", default=",".join(SETS), help="comma list of ADBench set names (default: all 12)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    p.add_argument("--only", default="", help="comma list of substrings: run only matching methods")
    p.add_argument("--cache", default=str(Path(__file__).resolve().parents[1] / "runs" / "bench_detect.jsonl"),
                   help="JSON-lines file of finished (set, seed, method) results, reused when present "
                        "(default runs/bench_detect.jsonl; delete it for a fresh run)")
    p.add_argument("--threads", type=int, default=1, help="torch / BLAS threads (default 1)")
    p.add_argument("--no-write", action="store_true", help="print, do not touch BENCHMARKS.md")
    p.add_argument("--mnist", action="store_true",
                   help="run only one-class MNIST (its own section, bench_detect_mnist) instead of the tables")
    p.add_argument("--digits", default="0,1,2,3,4,5,6,7,8,9", help="digits (classes) for --mnist / --fashion")
    p.add_argument("--fashion", action="store_true",
                   help="run only one-class Fashion-MNIST (its own section, bench_detect_fashion)")
    p.add_argument("--throughput", action="store_true",
                   help="run only the scoring throughput (its own section, bench_detect_throughput)")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: write the section from the fits in --cache (e.g. after parallel --only runs)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    given = list(sys.argv[1:] if argv is None else argv)
    shown = [a for i, a in enumerate(given)
             if not a.startswith("--cache") and not (i > 0 and given[i - 1] == "--cache")
             and a not in ("--no-write", "--report-only")]
    command = "python benchmarks/bench_detect.py" + "".join(" " + shlex.quote(a) for a in shown)
    torch.set_num_threads(args.threads)
    if args.mnist or args.fashion or args.throughput:
        t0, load0 = time.perf_counter(), os.getloadavg()[0]
        classes = [int(d) for d in args.digits.split(",")]
        with threadpool_limits(limits=args.threads):
            body = (run_throughput(DATA.parent / "mnist") if args.throughput else
                    run_mnist(DATA.parent / "fashion-mnist", classes, "fashion-mnist") if args.fashion else
                    run_mnist(DATA.parent / "mnist", classes))
        lines = [f"Command `{command}`, run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {cpu()}, "
                 f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU only, shared with other jobs "
                 f"(load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end); "
                 f"{(time.perf_counter() - t0) / 60:.1f} min.", "", *body]
        lines = [*body[:2], *lines[:2], *body[2:]]
        print("\n".join(lines))
        if not args.no_write:
            write_section("bench_detect_throughput" if args.throughput else
                          "bench_detect_fashion" if args.fashion else "bench_detect_mnist", lines)
        return 0
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    seeds = list(range(args.seeds))
    found, notes = methods()
    if args.only:
        keys = [k.strip() for k in args.only.split(",") if k.strip()]
        found = {n: f for n, f in found.items() if any(k in n for k in keys)}
    cache = Path(args.cache)
    results = read_cache(cache)
    load0 = os.getloadavg()[0]
    n_cached = sum((s, k, n) in results for s in sets for k in seeds for n in found)
    t_all = time.perf_counter()
    with threadpool_limits(limits=args.threads):
        for s in sets:
            X, y = load_set(s)
            for seed in seeds:
                for name, make in found.items():
                    if (s, seed, name) in results or args.report_only:
                        continue
                    try:
                        rec = run_one(make, X, y, seed)
                    except Exception as exc:  # a crash on real data is a finding to report, not a reason to stop
                        traceback.print_exc()
                        rec = {"error": f"{type(exc).__name__}: {exc}"[:200]}
                    rec.update(set=s, seed=seed, method=name)
                    results[(s, seed, name)] = rec
                    append_cache(cache, rec)
                    _log(f"{s} seed {seed} {name}: " + (rec.get("error") or
                         f"ROC {rec['roc']:.3f} PR {rec['pr']:.3f} fit {rec['fit_s']:.1f}s"))
    summary = summarise(results, sets, list(found), seeds)
    lines = report(summary, sets, seeds, command, notes, (time.perf_counter() - t_all) / 60,
                   (load0, os.getloadavg()[0]), n_cached)
    print("\n".join(lines))
    if not args.no_write:
        write_section("bench_detect", lines)
        _log("wrote the bench_detect section of BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
