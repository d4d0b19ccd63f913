"""Time-series anomaly detection on the 30 NAB series: aekit's detector over sliding windows
vs a rolling z-score and Isolation Forest over the same windows, in one run.

Protocol: each series is read as ``aekit detect --data FILE`` reads it (the ``timestamp``
column is the time index) and scored whole, unsupervised (fit on the series itself, no
labels), at every time step. A step is positive when its time stamp lies inside one of the
series' labelled windows (``combined_windows.json``, bounds included). Per series: ROC-AUC
and PR-AUC (average precision) of the per-step scores; then the mean over the series that
have a labelled window (29 of 30: ``ec2_cpu_utilization_c6585a`` has none). Event recall at
a fixed false-alarm rate: the threshold is the ``1 - far`` quantile of the scores of the
normal steps of that series (an oracle threshold, as a ROC curve uses), and a labelled window
is found when any of its steps scores above it; pooled over all windows.

Contenders, all on the same windows of ``w`` steps, stride 1 (``w`` = aekit's default for a
series given without a window, :func:`aekit.apps.detect.default_window`, chosen before this
run; no per-series setting):

- aekit: ``AnomalyDetector(window=w, random_state=seed)``, as ``aekit detect`` fits it (its
  series defaults chosen on generated series, ``bench_detect_series_choice.py``, not here).
- rolling z-score: ``|x_t - mean| / std`` over the ``w`` steps before ``t`` (max over channels).
- IForest: scikit-learn defaults on the flattened windows, window scores mapped to steps as
  aekit's default maps its own (``AnomalyDetector().reduce``: the max, or mean, over the
  windows covering a step).

Target (issue #9): aekit's mean PR-AUC above both.

    python benchmarks/bench_detect_nab.py                  # all 30, writes BENCHMARKS.md
    python benchmarks/bench_detect_nab.py --series nyc_taxi,art_daily_jumpsup --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from threadpoolctl import threadpool_limits

from _report import cpu, write_section
from aekit.apps.detect import DEFAULT_WINDOW, default_window
from aekit.data.tables import read_table
from aekit.data.windows import sliding_windows
from aekit.errors import InputError
from aekit.estimators.detector import AnomalyDetector
from aekit.metrics.anomaly import window_to_timestep

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "nab"
METHODS = ("aekit", "rolling z", "IForest")
REDUCE = AnomalyDetector().reduce  # how aekit's default turns window scores into step scores
KNN_WEIGHT = AnomalyDetector().knn_weight


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def rolling_z(x: np.ndarray, w: int) -> np.ndarray:
    """|x_t - mean(x[t-w:t])| / std(x[t-w:t]) per step, max over channels (steps before w: fewer past steps)."""
    frame = pd.DataFrame(x)
    past = frame.shift(1).rolling(w, min_periods=2)
    mean, std = past.mean(), past.std()
    floor = max(float(np.nanstd(x)) * 1e-3, 1e-12)  # a flat stretch: z of any change is large, not inf
    z = (frame - mean).abs() / np.maximum(std, floor)
    return z.fillna(0.0).to_numpy().max(axis=1)


def iforest_windows(x: np.ndarray, w: int, seed: int, reduce: str = REDUCE) -> np.ndarray:
    """IForest's window scores, mapped to steps as aekit's default maps its own (``reduce``)."""
    win = sliding_windows(x, w, 1)
    flat = win.reshape(len(win), -1)
    s = -IsolationForest(random_state=seed).fit(flat).score_samples(flat)
    return window_to_timestep(s, len(x), w, 1, reduce="max" if reduce == "max" else "mean")


def aekit_scores(x: np.ndarray, w: int, seed: int) -> np.ndarray:
    return AnomalyDetector(window=w, random_state=seed).fit(x).decision_scores_


def read_nab(path: Path) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Values (T, 1), time stamps, and aekit's refusal when the file's stamps are out of order
    or repeated (NAB has both): such a file's rows are then taken in file order, as NAB scores them."""
    try:
        ds = read_table(path)
        return np.asarray(ds.X, np.float32), ds.time_index, None
    except InputError as exc:
        frame = pd.read_csv(path)
        stamps = np.asarray(pd.to_datetime(frame["timestamp"]), dtype="datetime64[ns]")
        return frame[["value"]].to_numpy(np.float32), stamps, str(exc)


def labels_for(stamps: np.ndarray, windows: list[list[str]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per-step 0/1 labels and each labelled window's step mask."""
    y = np.zeros(len(stamps), dtype=int)
    masks = []
    for start, end in windows:
        m = (stamps >= np.datetime64(pd.Timestamp(start))) & (stamps <= np.datetime64(pd.Timestamp(end)))
        y[m] = 1
        masks.append(m)
    return y, masks


def evaluate(scores: np.ndarray, y: np.ndarray, masks: list[np.ndarray], far: float) -> dict[str, Any]:
    normal = scores[y == 0]
    threshold = np.quantile(normal, 1.0 - far)
    found = [bool((scores[m] > threshold).any()) for m in masks]
    if y.sum() == 0:
        return {"roc": None, "pr": None, "found": found, "n_windows": len(masks)}
    return {"roc": float(roc_auc_score(y, scores)), "pr": float(average_precision_score(y, scores)),
            "found": found, "n_windows": len(masks)}


def run(series: list[str], seeds: list[int], far: float) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    windows = json.loads((DATA / "combined_windows.json").read_text())
    results: dict[str, dict[str, Any]] = {}
    info: dict[str, Any] = {}
    for key in series:
        x, stamps, refused = read_nab(DATA / key)
        w = default_window(len(x))
        y, masks = labels_for(stamps, windows[key])
        info[key] = {"steps": len(x), "window": w, "positive": float(y.mean()), "n_windows": len(masks),
                     "refused": refused}
        if refused:
            _log(f"aekit detect refuses {key}: {refused}")
        per: dict[str, Any] = {}
        for name in METHODS:
            rows, secs = [], []
            for seed in (seeds if name != "rolling z" else seeds[:1]):  # the z-score has no randomness
                t0 = time.perf_counter()
                s = (aekit_scores(x, w, seed) if name == "aekit" else iforest_windows(x, w, seed)
                     if name == "IForest" else rolling_z(x, w))
                secs.append(time.perf_counter() - t0)
                rows.append(evaluate(s, y, masks, far))
            per[name] = {"roc": None if rows[0]["roc"] is None else float(np.mean([r["roc"] for r in rows])),
                         "pr": None if rows[0]["pr"] is None else float(np.mean([r["pr"] for r in rows])),
                         "found": float(np.mean([sum(r["found"]) for r in rows])), "seconds": float(np.mean(secs))}
        results[key] = per
        _log(f"{key} ({len(x)} steps, {len(masks)} windows, {y.mean():.1%} positive): " + ", ".join(
            f"{n} ROC {per[n]['roc'] if per[n]['roc'] is None else round(per[n]['roc'], 3)} "
            f"PR {per[n]['pr'] if per[n]['pr'] is None else round(per[n]['pr'], 3)} found {per[n]['found']:g}"
            for n in METHODS))
    return results, info


def report(results: dict[str, dict[str, Any]], info: dict[str, Any], seeds: list[int], far: float, command: str,
           wall_min: float, load: tuple[float, float]) -> list[str]:
    scored = [k for k in results if results[k]["aekit"]["roc"] is not None]
    mean = {n: {m: float(np.mean([results[k][n][m] for k in scored])) for m in ("roc", "pr")} for n in METHODS}
    n_windows = sum(info[k]["n_windows"] for k in results)
    recall = {n: sum(results[k][n]["found"] for k in results) / max(n_windows, 1) for n in METHODS}
    wins = {n: sum(results[k]["aekit"]["pr"] > results[k][n]["pr"] for k in scored) for n in METHODS[1:]}
    ae = mean["aekit"]["pr"]
    refused = [k for k in results if info[k]["refused"]]
    targets = [f"- aekit mean PR-AUC {ae:.3f} > {n} {mean[n]['pr']:.3f}: "
               f"**{'met' if ae > mean[n]['pr'] else 'not met'}** ({ae - mean[n]['pr']:+.3f}; aekit higher on "
               f"{wins[n]} of {len(scored)} series)." for n in METHODS[1:]]
    lines = [
        "## Time-series anomaly detection on 30 NAB series (`benchmarks/bench_detect_nab.py`)",
        "",
        f"Command `{command}`, run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {cpu()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU only, shared with other jobs (load "
        f"average {load[0]:.1f} at the start, {load[1]:.1f} at the end); {wall_min:.1f} min.",
        "",
        "Each series read as `aekit detect --data FILE` reads it (`timestamp` = the time index) and scored whole, "
        "without labels, at every step; a step inside a labelled window (NAB `combined_windows.json`) is "
        f"positive. All three on the same windows: w = {DEFAULT_WINDOW} steps (aekit's default for a series "
        "given without a window, a tenth of a shorter series; set before this run, the same for every series), "
        "stride 1. aekit: `AnomalyDetector(window=w)` (8 small autoencoders on the robust-scaled windows, "
        f"without the k-NN half that tables mix in (`knn_weight={KNN_WEIGHT!r}`: 0 on series), each step the "
        f"{REDUCE} of the scores of the windows covering it; these series defaults were chosen on generated series, "
        "`bench_detect_series_choice.py`, not on NAB, though its outage kind was added after NAB's "
        "cpu_utilization_asg_misconfiguration showed the k-NN half missing one); rolling z-score: `|x_t - mean| / std` of the w steps "
        f"before t; IForest: scikit-learn defaults on the flattened windows, mapped to steps the same way as aekit "
        f"({REDUCE}). "
        f"Seeds {', '.join(map(str, seeds))} for aekit and IForest (mean). ROC-AUC and PR-AUC (average precision) "
        f"per series; means over the {len(scored)} series with a labelled window. Event recall: a labelled window "
        f"is found when one of its steps scores above the {1 - far:.0%} quantile of that series' normal-step "
        f"scores (false-alarm rate {far:.0%} of normal steps, an oracle threshold as on a ROC curve); "
        f"{n_windows} windows in all.",
        "",
        *([f"`aekit detect --data FILE` refuses {len(refused)} of the {len(results)} files as they stand, since "
           "their time stamps repeat or go back (one clear message each); the benchmark takes their rows in file "
           "order, as NAB scores them:", "",
           *[f"- {k}: \"{info[k]['refused']}\"" for k in refused], ""] if refused else []),
        "**Targets**",
        "",
        *targets,
        "",
        f"**Means** ({len(scored)} series)",
        "",
        "| method | ROC-AUC | PR-AUC | event recall at 1% false alarms | seconds per series |",
        "|---|---:|---:|---:|---:|",
        *[f"| {n} | {mean[n]['roc']:.3f} | {mean[n]['pr']:.3f} | {recall[n]:.2f} "
          f"({sum(results[k][n]['found'] for k in results):.1f} of {n_windows}) | "
          f"{np.mean([results[k][n]['seconds'] for k in results]):.1f} |" for n in METHODS],
        "",
        "**Per series** (ROC-AUC / PR-AUC; share of positive steps; best PR-AUC in bold)",
        "",
        "| series | steps | positive | " + " | ".join(METHODS) + " |",
        "|---|---:|---:|" + "---:|" * len(METHODS),
    ]
    for k in results:
        best = max((results[k][n]["pr"] or 0.0) for n in METHODS)
        cells = []
        for n in METHODS:
            r = results[k][n]
            if r["roc"] is None:
                cells.append("no window")
                continue
            pr = f"{r['pr']:.3f}"
            cells.append(f"{r['roc']:.3f} / " + (f"**{pr}**" if r["pr"] == best else pr))
        lines.append(f"| {k} | {info[k]['steps']} | {info[k]['positive']:.1%} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--series", default="", help="comma list of substrings of the series to run (default: all 30)")
    p.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 for aekit and IForest (default 1)")
    p.add_argument("--far", type=float, default=0.01, help="false-alarm rate for event recall (default 0.01)")
    p.add_argument("--threads", type=int, default=1, help="torch / BLAS threads (default 1)")
    p.add_argument("--no-write", action="store_true", help="print, do not touch BENCHMARKS.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    given = list(sys.argv[1:] if argv is None else argv)
    command = "python benchmarks/bench_detect_nab.py" + "".join(
        " " + shlex.quote(a) for a in given if a != "--no-write")
    torch.set_num_threads(args.threads)
    keys = sorted(json.loads((DATA / "combined_windows.json").read_text()))
    wanted = [s.strip() for s in args.series.split(",") if s.strip()]
    if wanted:
        keys = [k for k in keys if any(s in k for s in wanted)]
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    with threadpool_limits(limits=args.threads):
        results, info = run(keys, list(range(args.seeds)), args.far)
    lines = report(results, info, list(range(args.seeds)), args.far, command, (time.perf_counter() - t0) / 60,
                   (load0, os.getloadavg()[0]))
    print("\n".join(lines))
    if not args.no_write:
        write_section("bench_detect_nab", lines)
        _log("wrote the bench_detect_nab section of BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
