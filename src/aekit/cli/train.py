"""``aekit train``: fit an autoencoder and write its run folder."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from aekit.cli._console import DEFAULTS, fail_line, note, parse_widths, say, state
from aekit.cli._runs import TrainResult, slug, train_run



# The library's tables (models.registry.REGISTRY, losses LOSSES, blocks.ACTIVATIONS) are the
# source of truth; tests/cli check that these mirrors match them.
class ModelKind(str, Enum):
    dense = "dense"
    conv = "conv"


class Loss(str, Enum):
    mse = "mse"
    bce = "bce"


class Activation(str, Enum):
    relu = "relu"
    sigmoid = "sigmoid"
    tanh = "tanh"
    elu = "elu"
    leaky_relu = "leaky_relu"
    gelu = "gelu"
    linear = "linear"


_widths_help = "Comma-separated widths, outermost first, e.g. 128,64; 'none' for no hidden layer."


def summary(result: TrainResult) -> str:
    """The one line a training command prints."""
    m = result.metrics
    errors = f"test MSE {m['test_mse']:.4g}" + (f", BCE {m['test_bce']:.4g}" if "test_bce" in m else "")
    if result.epochs_this_run == 0 and result.start_epoch > 0:
        trained = f"already trained ({m['epochs_run']} epochs, nothing to do)"
    elif result.start_epoch > 0:
        trained = (f"{result.epochs_this_run} epochs resumed after epoch {result.start_epoch} "
                   f"in {result.seconds_this_run:.1f}s")
    else:
        trained = f"{m['epochs_run']} epochs in {result.seconds_this_run:.1f}s"
    where = f"run folder {result.run_dir}" + (f", report {result.report}" if result.report else "")
    return f"{errors}; {trained}; {where}"


def interrupted(out: Path) -> None:
    fail_line(f"interrupted. The last finished epoch is saved in {out}; run the same command with "
              "--resume to continue from it.")
    raise typer.Exit(130)


def train(
    data: Annotated[str, typer.Option("--data", "-d", help="A data-set name (default, mnist, fashion-mnist) or a "
                                      "path: .csv, .tsv, .parquet, .npy, .npz, IDX file, image folder.")] = "default",
    model: Annotated[ModelKind, typer.Option(help="Fully connected, or convolutional (images only).")]
        = ModelKind(DEFAULTS["model"]),
    latent_dim: Annotated[int, typer.Option(min=1, help="Size of the code.")] = DEFAULTS["latent_dim"],
    hidden: Annotated[Optional[str], typer.Option(callback=parse_widths("--hidden"), show_default="none",
                                                  help=f"Dense hidden layers. {_widths_help}")] = None,
    channels: Annotated[Optional[str], typer.Option(callback=parse_widths("--channels"), show_default="32,64",
                                                    help="Convolutional stages (--model conv), e.g. 32,64.")] = None,
    activation: Annotated[Activation, typer.Option(help="Hidden-layer and code activation.")]
        = Activation(DEFAULTS["activation"]),
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training data.")] = DEFAULTS["epochs"],
    batch_size: Annotated[int, typer.Option(min=1, help="Samples per gradient step.")] = DEFAULTS["batch_size"],
    loss: Annotated[Loss, typer.Option(help="Reconstruction loss; bce needs data in [0, 1] (images are).")]
        = Loss(DEFAULTS["loss"]),
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = DEFAULTS["lr"],
    random_state: Annotated[int, typer.Option("--random-state", "--seed", min=0,
                                              help="Seed: same seed, data and machine give the same run.")] = 0,
    device: Annotated[str, typer.Option(help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps.")]
        = DEFAULTS["device"],
    early_stopping: Annotated[Optional[int], typer.Option(
        min=1, help="Stop after this many epochs without improvement and keep the best weights "
                    "(watches the validation loss when there is one).")] = None,
    validation_fraction: Annotated[float, typer.Option(
        min=0.0, max=0.99, help="Share of the training data held out for validation.")]
        = DEFAULTS["validation_fraction"],
    label_column: Annotated[Optional[str], typer.Option(help="A table's label column, left out of the "
                                                        "features.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", show_default="runs/<data>-<model>-<latent-dim>",
                                                help="Run folder to write.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out from its last checkpoint "
                                         "(a finished run is not trained again).")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the run already in --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; only the result line.")] = False,
) -> None:
    """Train an autoencoder and write a run folder.

    The run folder holds the model (**config.json** + **model.safetensors**, loadable with
    `aekit.load` and by the other commands), **checkpoint.safetensors** (every epoch, for
    `--resume`), **history.csv**, **metrics.json** (test MSE and, for data in [0, 1], BCE),
    **loss_curves.png**, **reconstructions.png** and **report.html**.

    Named data sets bring their own test split; for a file or folder 10% of the samples
    (always the same ones) are held out as test data.

    **Examples**

        aekit train
        aekit train --data mnist --hidden 128,64 --latent-dim 32
        aekit train --data mnist --model conv --loss bce -o runs/conv
        aekit train --data table.csv --label-column label --latent-dim 4 \\
            --validation-fraction 0.1 --early-stopping 5
        aekit train --latent-dim 16 -o runs/d16 --resume

    Without options it trains the dense 784-32-784 model on the embedded digits.
    `--resume` with the options of a killed run continues it from its last
    finished epoch.
    """
    params: dict[str, Any] = {
        "latent_dim": latent_dim, "model": model.value, "activation": activation.value, "loss": loss.value,
        "epochs": epochs, "batch_size": batch_size, "lr": lr, "random_state": random_state, "device": device,
        "early_stopping": early_stopping, "validation_fraction": validation_fraction,
    }
    if hidden is not None:
        params["hidden"] = hidden
    if channels is not None:
        params["channels"] = channels
    run_dir = out if out is not None else Path("runs") / f"{slug(data)}-{model.value}-{latent_dim}"
    quiet = state.quiet = quiet or state.quiet
    try:
        result = train_run(data, run_dir, params, label_column=label_column, resume=resume, overwrite=overwrite,
                           progress=not quiet)
    except KeyboardInterrupt:
        if state.debug:
            raise
        interrupted(run_dir)
    note(f"test data: {result.test_source}; metrics in {result.files['metrics']}")
    say(summary(result))
