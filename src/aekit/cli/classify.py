"""``aekit classify``: an autoencoder's encoder + a classifier head, trained on labelled data
(the work: :func:`aekit.apps.classify.classify_run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from aekit.cli._console import DEFAULTS, NO_BASELINE_HELP, note, parse_widths, say, say_baseline, state
from aekit.cli._options import CompileOpt, LrSchedule
from aekit.estimators._params import defaults

#: The classifier's training defaults (1e-3; the autoencoder's own lr differs, see _params.py).
CLASSIFIER_DEFAULTS = defaults("AutoencoderClassifier")


def classify(
    data: Annotated[str, typer.Option("--data", "-d", help="A labelled data set: a name (default, mnist, "
                                      "fashion-mnist) or a path (.csv/.parquet with --label-column, .npz with "
                                      "X and y, an image folder with one sub-folder per class).")] = "default",
    pretrained: Annotated[Optional[Path], typer.Option(
        exists=True, show_default=False, metavar="RUN",
        help="A run folder from 'aekit train' whose encoder to use. Without it an autoencoder is first trained "
             "here on all the training samples, labelled or not.")] = None,
    freeze: Annotated[bool, typer.Option(
        "--freeze/--fine-tune", show_default="--fine-tune",
        help="Keep the encoder's weights fixed and train the head alone, or fine-tune encoder and head together "
             "(the default: on the embedded digits it beats logistic regression on the pixels, 90.6% vs 88.7%, "
             "where the frozen encoder reached 83.0%).")] = False,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the labelled data (and of the autoencoder "
                                        "trained here without --pretrained).")] = 10,
    labels: Annotated[Optional[int], typer.Option(
        "--labels", min=2, show_default="all",
        help="Use only this many labelled training samples (stratified, fixed seed); the rest still train "
             "the autoencoder when there is no --pretrained.")] = None,
    latent_dim: Annotated[int, typer.Option(min=1, help="Code size of the autoencoder trained here.")] = 64,
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
    lr: Annotated[float, typer.Option(help="Adam learning rate (the peak under a schedule).")]
        = CLASSIFIER_DEFAULTS["lr"],
    lr_schedule: Annotated[LrSchedule, typer.Option(
        help="constant, cosine (decay to 0) or onecycle (10% warm-up, then cosine).")] = LrSchedule.constant,
    clip_grad_norm: Annotated[Optional[float], typer.Option(
        show_default="none", help="Rescale each step's gradients to at most this norm (autoencoder and "
                                  "classifier); try 1.0 when the loss turns NaN.")] = None,
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
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help=NO_BASELINE_HELP)] = False,
    compile: CompileOpt = False,
) -> None:
    """Train a classifier on an autoencoder's codes and write a run folder.

    The network is the autoencoder's encoder with a small dense head (ReLU, dropout,
    softmax). The run folder holds the classifier (**config.json** +
    **model.safetensors**: encoder, head, classes and history, loadable with
    `aekit.load`), **history.csv** (loss and accuracy per epoch, train and validation),
    **metrics.json** (train / val / test accuracy; beside it logistic regression on the
    raw inputs and on PCA codes of the same size, fitted on the same labelled rows, unless
    `--no-baseline`), **classification_history.png** and **report.html**.

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
    from aekit.apps.classify import classify_run
    from aekit.report import write_report

    quiet = state.quiet = quiet or state.quiet
    result = classify_run(
        data, out, pretrained=pretrained, freeze=freeze, epochs=epochs, labels=labels, latent_dim=latent_dim,
        hidden=hidden or (), head_hidden=(128,) if head_hidden is None else head_hidden,  # type: ignore[arg-type]
        dropout=dropout, input_dropout=input_dropout, encoder_dropout=encoder_dropout, batch_size=batch_size,
        lr=lr, lr_schedule=lr_schedule.value, clip_grad_norm=clip_grad_norm,
        validation_fraction=validation_fraction, label_column=label_column,
        random_state=random_state, device=device, overwrite=overwrite, progress=not quiet,
        baseline=not no_baseline, compile=compile, write_report=write_report)
    m = result.metrics
    note(f"test data: {result.test_source}; metrics in {result.files['metrics']}")
    val = f", val {m['val_accuracy']:.1%}" if m["val_accuracy"] is not None else ""
    say(f"test accuracy {m['test_accuracy']:.1%} (train {m['train_accuracy']:.1%}{val}); "
        f"{result.n_labels} labels, {result.epochs} epochs in {result.seconds:.1f}s; run folder {result.run_dir}"
        + (f", report {result.report}" if result.report else ""))
    say_baseline(*result.baselines)
