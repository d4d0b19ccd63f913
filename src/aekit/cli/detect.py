"""``aekit detect``: score every sample and flag the unusual ones (the work: :func:`aekit.apps.app_runs.detect_run`,
over :func:`aekit.apps.detect.detect`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from aekit.cli._console import note, say
from aekit.cli._options import DataOpt, Split, SplitOpt
from aekit.cli._verdict import say_if_behind

#: Events listed on the terminal (all of them are in detect.json).
_SHOWN_EVENTS = 5


def detect(
    run: Annotated[Optional[Path], typer.Argument(
        exists=True, show_default=False, metavar="RUN",
        help="A run folder whose model to use: an autoencoder from 'aekit train' (its reconstruction errors are "
             "the scores) or an earlier 'aekit detect' folder (its detector, reused as it is). Without it the "
             "default detector (an ensemble of small autoencoders) is fitted on --data, without labels.")] = None,
    data: DataOpt = "default",
    contamination: Annotated[float, typer.Option(
        min=0.0, max=0.5, help="Expected share of anomalies in --data: the threshold flags "
                                              "about this share.")] = 0.05,
    alpha: Annotated[Optional[float], typer.Option(
        min=0.0, max=1.0, show_default=False,
        help="Flag p < alpha instead (conformal p-values): at most this share of normal samples flagged on "
             "average. Needs --calibration (or a calibrated detector as RUN).")] = None,
    fdr: Annotated[bool, typer.Option("--fdr", help="With --alpha: Benjamini-Hochberg, so at most a share alpha "
                                                    "of the flagged samples are false alarms.")] = False,
    calibration: Annotated[Optional[Path], typer.Option(
        exists=True, show_default=False, help="Clean samples (not in --data) that calibrate the p-values; read "
                                              "like --data.")] = None,
    label_column: Annotated[Optional[str], typer.Option(
        help="A table's column with the truth (1 = anomaly, 0 = normal): left out of the features, never used "
             "to fit, only to print ROC-AUC beside Isolation Forest's.")] = None,
    window: Annotated[Optional[int], typer.Option(
        min=1, show_default="32 for a table with a time column", help="Treat --data as one series (rows = time "
        "steps) scored over sliding windows of this length; scores and events per time step.")] = None,
    stride: Annotated[int, typer.Option(min=1, help="With --window: steps between windows.")] = 1,
    time_column: Annotated[Optional[str], typer.Option(
        show_default="the column of date-times, if any",
        help="The column with the time of each row (NAB's 'timestamp'): --data is then one series, scored over "
             "windows, with events reported in time stamps. Rows must be in time order, without repeats.")] = None,
    baseline: Annotated[bool, typer.Option(
        "--baseline/--no-baseline", help="Fit Isolation Forest on the same data to compare, when there are "
                                         "labels.")] = True,
    n_estimators: Annotated[Optional[int], typer.Option(
        min=1, show_default="8", help="Autoencoders in the default detector's ensemble (without RUN).")] = None,
    epochs: Annotated[Optional[int], typer.Option(
        min=1, show_default="from the row count", help="Training passes of each of them (without RUN).")] = None,
    split: SplitOpt = Split.test,
    random_state: Annotated[int, typer.Option("--random-state", "--seed", min=0,
                                              help="Seeds the detector and Isolation Forest.")] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", show_default="runs/<data>-detect",
                                                help="Run folder to write.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the run already in --out.")] = False,
) -> None:
    """Score every sample of a table, images or a series, and flag the most unusual ones.

    The run folder holds **scores.csv** (score, label, p-value when calibrated),
    **score_histogram.png** with the threshold, **top_anomalies.png** (images) or
    **series.png** (series), **detect.json** and **metrics.json** (the numbers), the
    fitted detector (**config.json** + **model.safetensors**: pass the folder as RUN to
    score new data with it) and **report.html**. With labels (--label-column, or 0/1
    labels in an .npz) the line gives aekit's ROC-AUC beside Isolation Forest's on the
    same data; without them, how many samples were flagged.

    **Examples**

        aekit detect --data transactions.csv --label-column fraud --contamination 0.01
        aekit detect --data new.csv --alpha 0.01 --calibration clean.csv --fdr
        aekit detect runs/mnist --data mnist --out runs/mnist-detect
        aekit detect runs/table-detect --data tomorrow.csv -o runs/tomorrow
        aekit detect --data sensor.csv --window 64 --contamination 0.02
        aekit detect --data nyc_taxi.csv --contamination 0.01   # timestamp,value: a series
    """
    from aekit.apps.app_runs import detect_run
    from aekit.report import write_report

    done = detect_run(data, out, run=run, contamination=contamination, alpha=alpha, fdr=fdr,
                      calibration=None if calibration is None else str(calibration), label_column=label_column,
                      split=split.value, window=window, stride=stride, time_column=time_column, baseline=baseline,
                      n_estimators=n_estimators, epochs=epochs, overwrite=overwrite,
                      random_state=random_state, write_report=write_report)
    r = done.result
    rule = (f"Benjamini-Hochberg at {alpha}" if fdr else f"p < {alpha}") if alpha is not None else \
        f"contamination {r.detector.contamination:g}"
    note(f"scores in {r.files.get('scores')}; {len(r.events)} events" if r.events else
         f"scores in {r.files.get('scores')}")
    for start, end, peak in r.event_times[:_SHOWN_EVENTS]:
        note(f"event {start} to {end}, peak at {peak}")
    if len(r.events) > _SHOWN_EVENTS:
        note(f"... and {len(r.events) - _SHOWN_EVENTS} more events (all in detect.json)")
    what = "time steps" if r.time_index is not None or r.events else "samples"
    line = f"{r.n_flagged:,} of {r.n_samples:,} {what} flagged ({rule})"
    if r.roc_auc is not None and r.baseline_roc_auc is not None:
        line = (f"ROC-AUC {r.roc_auc:.3f} vs IsolationForest {r.baseline_roc_auc:.3f} "
                f"(PR-AUC {r.pr_auc:.3f} vs {r.baseline_pr_auc:.3f}); " + line)
    elif r.roc_auc is not None:
        line = f"ROC-AUC {r.roc_auc:.3f} (PR-AUC {r.pr_auc:.3f}; no baseline); " + line
    say(f"{line}; run folder {done.run_dir}" + (f", report {done.report}" if done.report else ""))
    if r.roc_auc is not None and r.baseline_roc_auc is not None:
        say_if_behind(r.roc_auc < r.baseline_roc_auc,
                      f"aekit loses to IsolationForest on ROC-AUC here ({r.roc_auc:.3f} vs {r.baseline_roc_auc:.3f})"
                      + ("; a larger ensemble (--n-estimators) or a model trained on clean data (RUN) may help."
                         if run is None else "; the default detector (no RUN) may do better."))
