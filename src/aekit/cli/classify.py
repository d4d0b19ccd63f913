"""``aekit classify``: an autoencoder's encoder + a classifier head, trained on labelled data."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Optional

import numpy as np
import typer

from aekit import Autoencoder
from aekit.apps.classify import stratified_subset
from aekit.cli._console import DEFAULTS, note, parse_widths, say, state
from aekit.cli._options import LrSchedule
from aekit.cli._runs import load_run, load_train_test, slug, write_report
from aekit.errors import InputError
from aekit.estimators.classifier import AutoencoderClassifier
from aekit.io.run_dir import check_run_dir, create_run_dir, write_history_csv, write_json
from aekit.plots import plot_loss_curves
from aekit.train.callbacks import ProgressBar

RUN_FILES = ("config.json", "model.safetensors", "history.csv", "metrics.json", "run.json",
             "classification_history.png", "report.html")


def _pretrained(run: Path) -> Autoencoder:
    estimator, _, _ = load_run(run)
    if not isinstance(estimator, Autoencoder):
        raise InputError(f"--pretrained {run} holds a model of type {type(estimator).__name__}; it must be an "
                         "autoencoder run from 'aekit train' (or a folder written by Autoencoder.save).")
    return estimator


def classify(
    data: Annotated[str, typer.Option("--data", "-d", help="A labelled data set: a name (default, mnist, "
                                      "fashion-mnist) or a path (.csv/.parquet with --label-column, .npz with "
                                      "X and y, an image folder with one sub-folder per class).")] = "default",
    pretrained: Annotated[Optional[Path], typer.Option(
        exists=True, show_default=False, metavar="RUN",
        help="A run folder from 'aekit train' whose encoder to use. Without it an autoencoder is first trained "
             "here on all the training samples, labelled or not.")] = None,
    freeze: Annotated[bool, typer.Option("--freeze/--fine-tune", help="Keep the encoder's weights fixed and "
                                         "train the head alone, or fine-tune encoder and head together.")] = True,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the labelled data (and of the autoencoder "
                                        "trained here without --pretrained).")] = 10,
    labels: Annotated[Optional[int], typer.Option(
        "--labels", min=2, show_default="all",
        help="Use only this many labelled training samples (stratified, fixed seed); the rest still train "
             "the autoencoder when there is no --pretrained.")] = None,
    latent_dim: Annotated[int, typer.Option(min=1, help="Code size of the autoencoder trained here.")] = 32,
    hidden: Annotated[Optional[str], typer.Option(callback=parse_widths("--hidden"), show_default="none",
                                                  help="Hidden widths of the autoencoder trained here, "
                                                       "e.g. 256,128.")] = None,
    head_hidden: Annotated[Optional[str], typer.Option(callback=parse_widths("--head-hidden"), show_default="128",
                                                       help="Hidden widths of the classifier head; "
                                                            "'none' = a linear read-out.")] = None,
    dropout: Annotated[float, typer.Option(min=0.0, max=0.99, help="Dropout in the head.")] = 0.5,
    input_dropout: Annotated[float, typer.Option(
        min=0.0, max=0.99, help="With --fine-tune: dropout on the input while training.")] = 0.0,
    encoder_dropout: Annotated[float, typer.Option(
        min=0.0, max=0.99, help="With --fine-tune: dropout after each encoder layer while training (dense).")] = 0.0,
    batch_size: Annotated[int, typer.Option(min=1, help="Samples per gradient step.")] = DEFAULTS["batch_size"],
    lr: Annotated[float, typer.Option(help="Adam learning rate (the peak under a schedule).")] = DEFAULTS["lr"],
    lr_schedule: Annotated[LrSchedule, typer.Option(
        help="constant, cosine (decay to 0) or onecycle (10% warm-up, then cosine).")] = LrSchedule.constant,
    validation_fraction: Annotated[float, typer.Option(
        min=0.0, max=0.9, help="Share of the labelled samples held out for val_loss / val_accuracy.")] = 0.1,
    label_column: Annotated[Optional[str], typer.Option(help="A table's label column.")] = None,
    random_state: Annotated[int, typer.Option("--random-state", "--seed", min=0,
                                              help="Seed: same seed, data and machine give the same run.")] = 0,
    device: Annotated[str, typer.Option(help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps.")]
        = DEFAULTS["device"],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", show_default="runs/<data>-classify",
                                                help="Run folder to write.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the run already in --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; only the result line.")] = False,
) -> None:
    """Train a classifier on an autoencoder's codes and write a run folder.

    The network is the autoencoder's encoder with a small dense head (ReLU, dropout,
    softmax). The run folder holds the classifier (**config.json** +
    **model.safetensors**: encoder, head, classes and history, loadable with
    `aekit.load`), **history.csv** (loss and accuracy per epoch, train and validation),
    **metrics.json** (train / val / test accuracy), **classification_history.png** and
    **report.html**.

    Named data sets bring their own test split; for a file or folder 10% of the samples
    (always the same ones) are held out as test data.

    **Examples**

        aekit classify --data mnist --epochs 5
        aekit train --data mnist --hidden 256,128 -o runs/ae
        aekit classify --data mnist --pretrained runs/ae --fine-tune --labels 1000
        aekit classify --data mnist --pretrained runs/sdae --fine-tune --head-hidden none \\
            --input-dropout 0.2 --encoder-dropout 0.4 --lr-schedule onecycle --epochs 50
        aekit classify --data table.csv --label-column label --latent-dim 4
    """
    run_dir = out if out is not None else Path("runs") / f"{slug(data)}-classify"
    quiet = state.quiet = quiet or state.quiet
    check_run_dir(run_dir, overwrite=overwrite)  # refuse before any slow loading
    autoencoder = _pretrained(pretrained) if pretrained is not None else None
    train, test, test_source = load_train_test(data, label_column=label_column)
    for part in (train, test):
        if part.y is None:
            raise InputError(f"{part.name} has no labels, and a classifier needs them. For a table name the label "
                             "column with --label-column; use an .npz with X and y, a folder with one sub-folder "
                             "per class, or a named set such as mnist.")
    idx = stratified_subset(np.asarray(train.y), labels, random_state)
    rest = np.setdiff1d(np.arange(len(train)), idx)
    if autoencoder is None:
        autoencoder = Autoencoder(latent_dim=latent_dim, hidden=hidden or (), epochs=epochs, batch_size=batch_size,
                                  lr=lr, device=device, random_state=random_state)
    clf = AutoencoderClassifier(autoencoder, head_hidden=(128,) if head_hidden is None else head_hidden,
                                dropout=dropout, input_dropout=input_dropout, encoder_dropout=encoder_dropout,
                                freeze_encoder=freeze, epochs=epochs, batch_size=batch_size, lr=lr,
                                lr_schedule=lr_schedule.value, validation_fraction=validation_fraction, random_state=random_state, device=device)
    X_l, y_l = np.asarray(train.X[idx]), np.asarray(train.y)[idx]
    t0 = time.perf_counter()
    clf.fit(X_l, y_l, X_unlabelled=np.asarray(train.X[rest]) if pretrained is None and len(rest) else None,
            callbacks=[] if quiet else [ProgressBar()])
    seconds = time.perf_counter() - t0

    run_dir = create_run_dir(run_dir, overwrite=overwrite)
    clf.save(run_dir)
    history = list(clf.history_)
    write_history_csv(run_dir / "history.csv", history)
    last = history[-1]
    metrics: dict[str, Any] = {
        "data": train.name, "test_accuracy": float(clf.score(test.X, test.y)),
        "train_accuracy": float(clf.score(X_l, y_l)), "val_accuracy": last.get("val_accuracy"),
        "train_loss_final": last["loss"], "val_loss_final": last.get("val_loss"),
        "n_labels": int(len(idx)), "n_train": int(len(train)), "n_test": int(len(test)),
        "n_classes": int(len(clf.classes_)), "freeze_encoder": freeze,
        "pretrained": None if pretrained is None else str(pretrained),
        "epochs_run": len(history), "seconds": seconds, "latent_dim": int(clf.autoencoder_.spec_.latent_dim),
    }
    metrics_path = write_json(run_dir / "metrics.json", metrics)
    write_json(run_dir / "run.json", {"command": "classify", "data": data, "label_column": label_column,
                                      "test_data": test_source, "labelled_rows": int(len(idx)),
                                      "pretrained": metrics["pretrained"]})
    keys = dict.fromkeys(k for r in history for k in r if k not in ("seconds", "lr"))
    plot_loss_curves({k: [r.get(k, np.nan) for r in history] for k in keys}, run_dir / "classification_history.png",
                     title=f"{'frozen' if freeze else 'fine-tuned'} encoder + head on {train.name}")
    report = write_report(run_dir) if write_report is not None else None
    note(f"test data: {test_source}; metrics in {metrics_path}")
    val = f", val {metrics['val_accuracy']:.1%}" if metrics["val_accuracy"] is not None else ""
    say(f"test accuracy {metrics['test_accuracy']:.1%} (train {metrics['train_accuracy']:.1%}{val}); "
        f"{len(idx)} labels, {len(history)} epochs in {seconds:.1f}s; run folder {run_dir}"
        + (f", report {report}" if report else ""))
