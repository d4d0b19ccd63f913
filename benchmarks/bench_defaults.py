"""Each scoring command with no tuning flags against the classical baseline it prints.

    python benchmarks/bench_defaults.py                 # everything (about 30 min on a busy 2-core CPU)
    python benchmarks/bench_defaults.py --only default  # the embedded digits alone (a few minutes)
    python benchmarks/bench_defaults.py --candidates current,hidden128   # train rows under other defaults

Runs the apps functions behind the commands exactly as the command line calls them with no
flags but the data (``aekit train --data D``, ``aekit demo``, ``aekit classify --data D``),
each of which fits its baseline on the same training split and scores it on the same test
split: PCA with as many components as the code (reconstruction MSE, lower is better), or
logistic regression on the raw inputs (test accuracy, higher is better). Data: the embedded
digits (4,000 / 1,000), MNIST and Fashion-MNIST (60,000 / 10,000; the baselines fit on
10,000 subsampled training rows, as the commands do), and three ADBench tables (their fixed
10% test split). On a table ``aekit train`` gets ``--latent-dim`` = a quarter of its columns,
since the default code (32) is wider than these tables and PCA with as many components as
columns is exact. Target: aekit ahead on every row. Writes the ``bench_defaults`` section of
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from _report import machine, write_section
from aekit.apps.classify import classify_run
from aekit.apps.demo import demo_run
from aekit.apps.train import train_run

DATA = Path("/work/shared/data")
TABLES = ("6_cardio", "26_optdigits", "35_SpamBase")
SETS = ("default", *TABLES, "mnist", "fashion-mnist")


#: Why a row is behind, measured apart from this script (same split, seed 0).
WHY = {
    "6_cardio": "1,648 training rows are 7 batches of 256 per epoch, so 20 epochs are 140 steps: too few. "
                "With --epochs 100 aekit reaches 0.366 (PCA-5 0.445); with --batch-size 64, 0.435. The command "
                "says to train longer.",
    "35_SpamBase": "MSE in the data's units is dominated by a few heavy-tailed columns (values up to 15,841), "
                   "which PCA on the raw values reconstructs first, while aekit trains on min-max scaled columns, "
                   "each weighted alike: in min-max units aekit is ahead (0.00127 vs PCA-14 on the scaled "
                   "table 0.00143).",
    "fashion-mnist": "The single-layer 784-32-784 default (ReLU code, constant 5e-3, uncentred) is too plain for "
                     "60,000 textured images. No one change of the training defaults wins every train row (test "
                     "MSE, `--candidates`, PCA in brackets: embedded 0.0157, cardio 0.445, optdigits 2.95, SpamBase "
                     "0.157, MNIST 0.0153, Fashion 0.0145): one-cycle at 1e-2 reaches 0.0124 here but loses "
                     "optdigits (3.15); centring reaches 0.0127 but loses the embedded digits (0.0158); cosine "
                     "decay and a constant 1e-2 lose optdigits or Fashion. A hidden layer of 128 (784-128-32-128-784) "
                     "lowers every train row (embedded 0.0132, cardio 0.516, optdigits 2.12, SpamBase 1049, MNIST "
                     "0.0077, Fashion 0.0128) and 256 likewise (cardio 0.381 ahead too; MNIST 0.0086, 1.6x the "
                     "time of 128), but it changes the basic family's default away from the classic 784-32-784, "
                     "costs about 1.8x per epoch, takes the sigmoid contractive model off its closed form, and "
                     "with it `Autoencoder(sparsity='l1', lr=1e-2)` on a 32-column table lost its whole code "
                     "(tests/estimators/test_families.py): left as a decision for the maintainers, not made here. "
                     "Today: `aekit train --data fashion-mnist --hidden 128` (or --center-inputs) is ahead.",
}


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(SETS), help=f"comma-separated subset of {','.join(SETS)}")
    p.add_argument("--data-root", type=Path, default=DATA, help="folder holding mnist/, fashion-mnist/, adbench/")
    p.add_argument("--no-write", action="store_true", help="print the table, leave BENCHMARKS.md alone")
    p.add_argument("--candidates", default="",
                   help="instead of the table: the train rows (aekit's test MSE, no baseline) with each named "
                        f"change of the Autoencoder defaults, one JSON line per row ({', '.join(CANDIDATES)}); "
                        "writes nothing")
    return p.parse_args(argv)


#: Changes of the Autoencoder defaults measured against the Fashion-MNIST row (``--candidates``), each applied
#: alone to every ``aekit train`` row, so that a change is kept only if it wins everywhere (issue #15).
CANDIDATES: dict[str, dict[str, Any]] = {
    "current": {},
    "onecycle1e-2": {"lr_schedule": "onecycle", "lr": 1e-2},
    "cosine5e-3": {"lr_schedule": "cosine"},
    "lr1e-2": {"lr": 1e-2},
    "center": {"center_inputs": True},
    "hidden128": {"hidden": (128,)},
    "hidden256": {"hidden": (256,)},
}


def candidates(names: list[str], sets: list[str], root: Path, work: Path) -> None:
    """Print one JSON line per (candidate, data set): the test MSE of ``aekit train`` with that change alone."""
    import json

    for cand in names:
        for name in sets:
            params: dict[str, Any] = {"random_state": 0, **CANDIDATES[cand]}
            data = name
            if name in TABLES:
                data = str(root / "adbench" / f"{name}.npz")
                params["latent_dim"] = max(1, int(np.load(data)["X"].shape[1]) // 4)
            t = time.perf_counter()
            r = train_run(data, work / f"{cand}-{name}", params=params, progress=False, baseline=False)
            print(json.dumps({"candidate": cand, "data": name, "test_mse": r.metrics["test_mse"],
                              "seconds": round(time.perf_counter() - t, 1)}), flush=True)


def _row(command: str, data: str, ours: float, ours_s: float, baseline: Any, note: str = "") -> dict[str, Any]:
    return {"command": command, "data": data, "ours": ours, "ours_s": ours_s, "name": baseline.name,
            "theirs": baseline.value, "theirs_s": baseline.seconds, "key": baseline.key, "ahead": baseline.ahead,
            "n_fit": baseline.n_fit, "n_train": baseline.n_train, "note": note}


def _fmt(value: float, key: str) -> str:
    return f"{value:.1%}" if "accuracy" in key else f"{value:.4g}"


def run(name: str, root: Path, work: Path) -> list[dict[str, Any]]:
    rows = []
    if name in TABLES:
        path = root / "adbench" / f"{name}.npz"
        n_features = int(np.load(path)["X"].shape[1])
        latent = max(1, n_features // 4)
        r = train_run(str(path), work / f"train-{name}", params={"latent_dim": latent, "random_state": 0},
                      progress=False)
        rows.append(_row("train", f"{name} ({n_features} columns)", r.metrics["test_mse"], r.metrics["seconds"],
                         r.baseline, f"--latent-dim {latent}"))
        return rows
    r = train_run(name, work / f"train-{name}", params={"random_state": 0}, progress=False)
    rows.append(_row("train", name, r.metrics["test_mse"], r.metrics["seconds"], r.baseline))
    if name == "default":
        d = demo_run(work / "demo", progress=False)
        rows.append(_row("demo", name, d.metrics["test_mse"], d.metrics["seconds"], d.baseline))
    c = classify_run(name, work / f"classify-{name}", progress=False)
    rows.append(_row("classify", name, c.metrics["test_accuracy"], c.seconds, c.baselines[0]))
    codes = c.baselines[1]
    rows.append(_row("classify", name, c.metrics["test_accuracy"], c.seconds, codes))
    return rows


def section(rows: list[dict[str, Any]], only: str, minutes: float, missing: list[str]) -> str:
    """The BENCHMARKS.md section: the command, the machine, one table row per command and data set."""
    met = all(r["ahead"] for r in rows) and not missing
    lines = [
        "## Defaults against their baselines (bench_defaults)",
        "",
        f"`python benchmarks/bench_defaults.py{'' if only == ','.join(SETS) else ' --only ' + only}` "
        f"({machine()}; {minutes:.0f} min in all on a CPU shared with other jobs, so times are upper bounds).",
        "Each command as run with no tuning flags; its baseline fitted on the same training split and scored on "
        "the same test split, in the same run (what the command prints). Reconstruction (train, demo): test MSE "
        "per value in the data's units, lower is better; classify: test accuracy, higher is better. Baselines fit "
        "on at most 10,000 training rows (MNIST, Fashion-MNIST: 10,000 of 60,000, subsampled); aekit trains on "
        "all of them. Seconds: aekit's training, the baseline's fit and scoring.",
        "",
        "| command | data | aekit | aekit s | baseline | baseline score | baseline s | aekit ahead |",
        "|---|---|---:|---:|---|---:|---:|---|",
    ]
    for r in rows:
        data = r["data"] + (f", {r['note']}" if r["note"] else "")
        lines.append(f"| {r['command']} | {data} | {_fmt(r['ours'], r['key'])} | {r['ours_s']:.0f} | {r['name']} | "
                     f"{_fmt(r['theirs'], r['key'])} | {r['theirs_s']:.1f} | {'yes' if r['ahead'] else '**no**'} |")
    lines += ["", f"Target (aekit ahead on every row): **{'met' if met else 'not met'}**."]
    for r in rows:
        if not r["ahead"]:
            why = next((text for key, text in WHY.items() if r["data"].startswith(key)), "")
            lines.append(f"- behind: {r['command']} on {r['data']} against {r['name']}. {why}".rstrip())
    if missing:
        lines.append(f"- not run yet (the run was cut short): {', '.join(missing)}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    os.environ.setdefault("AEKIT_DATA", str(args.data_root))
    torch.set_num_threads(1)  # small models on a shared CPU: one thread is faster (see apps.demo.one_thread)
    names = [n for n in args.only.split(",") if n]
    if args.candidates:
        with tempfile.TemporaryDirectory() as tmp:
            candidates([c for c in args.candidates.split(",") if c], [n for n in names if n in SETS], args.data_root,
                       Path(tmp))
        return
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(names):
            for row in run(name, args.data_root, Path(tmp)):
                rows.append(row)
                print(row, flush=True)
            # written after every data set, so a run cut short still leaves its rows
            text = section(rows, args.only, (time.perf_counter() - t0) / 60, names[i + 1:])
            if not args.no_write:
                write_section("bench_defaults", text)
    print(text)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
