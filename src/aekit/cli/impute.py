"""``aekit impute``: fill a table's missing values, beside scikit-learn's IterativeImputer when the truth is
known (the work: :func:`aekit.apps.impute.impute`)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from aekit.cli._console import note, parse_widths, say
from aekit.cli._verdict import say_if_behind


class Network(str, Enum):
    auto = "auto"
    dense = "dense"
    conv = "conv"


def impute(
    run: Annotated[Optional[Path], typer.Argument(
        exists=True, show_default=False, metavar="RUN",
        help="A folder holding a fitted AutoencoderImputer (from --save-model, or imputer.save(folder)) to fill "
             "with as it is. Without it an imputer is fitted here on --data.")] = None,
    data: Annotated[Path, typer.Option("--data", "-d", exists=True, dir_okay=False, show_default=False,
                                       help="The table with holes (empty cells / NaN): .csv, .parquet or .npy.")]
        = ...,  # type: ignore[assignment]
    out: Annotated[Path, typer.Option("--out", "-o", help="The filled table to write (.csv, .parquet or .npy).")]
        = Path("filled.csv"),
    truth: Annotated[Optional[Path], typer.Option(
        exists=True, dir_okay=False, show_default=False,
        help="The complete table (same rows and columns): measures the fill as RMSE on min-max scaled values, "
             "beside IterativeImputer(BayesianRidge)'s.")] = None,
    baseline: Annotated[bool, typer.Option("--baseline/--no-baseline", help="With --truth: also run "
                                           "IterativeImputer(BayesianRidge) on the same holes.")] = True,
    figure: Annotated[Optional[Path], typer.Option(
        show_default="OUT with .png", help="PNG of per-column missing rates and the distributions before and "
                                           "after.")] = None,
    save_model: Annotated[Optional[Path], typer.Option(
        show_default=False, help="Save the fitted imputer in this folder, to fill more tables with it (as RUN).")]
        = None,
    epochs: Annotated[Optional[int], typer.Option(min=1, show_default="auto (from the row count)",
                                                  help="Training passes of the imputer fitted here.")] = None,
    hidden: Annotated[Optional[str], typer.Option(callback=parse_widths("--hidden"), show_default="the imputer's",
                                                  help="Hidden widths of the imputer fitted here.")] = None,
    network: Annotated[Optional[Network], typer.Option(
        show_default="auto: conv for images (.npy of shape (N, H, W) or (N, C, H, W)), dense for tables",
        help="The imputer's network: dense (masked MLP) or conv (inpainting U-Net, images only).")] = None,
    random_state: Annotated[int, typer.Option("--random-state", "--seed", min=0,
                                              help="Seeds the imputer and the baseline.")] = 0,
) -> None:
    """Fill the missing values of a table (or of images, from .npy) with a denoising autoencoder.

    Writes the filled table (same columns and order; numeric and categorical columns) and a
    PNG of missing rates and distributions before and after. With **--truth** the line
    gives aekit's RMSE over the filled cells beside IterativeImputer(BayesianRidge)'s on
    the same holes (min-max scaled, GAIN's measure); otherwise how much was filled.

    **Examples**

        aekit impute --data survey.csv --out survey-filled.csv
        aekit impute --data holes.csv --truth complete.csv --out filled.csv
        aekit impute --data train.parquet --out filled.parquet --save-model runs/imputer
        aekit impute runs/imputer --data tomorrow.csv --out tomorrow-filled.csv
        aekit impute --data digits-with-holes.npy --out digits-filled.npy
    """
    from aekit.apps.impute import check_figure, check_out, read_data
    from aekit.apps.impute import impute as impute_table
    from aekit.errors import InputError
    from aekit.estimators import load
    from aekit.estimators.imputer import AutoencoderImputer

    # Every flag is checked before loading or training anything.
    check_out(out)
    figure = check_figure(figure if figure is not None else out.with_suffix(".png"))
    if save_model is not None and save_model.exists() and not save_model.is_dir():
        raise InputError(f"--save-model {save_model} is a file; pass a folder for the imputer's files.")
    if run is not None and (epochs is not None or hidden is not None or network is not None):
        given = " and ".join(f for f, v in (("--epochs", epochs), ("--hidden", hidden), ("--network", network))
                             if v is not None)
        raise InputError(f"{given} shape an imputer fitted here, but RUN ({run}) is already fitted and is used as "
                         "it is. Drop RUN to fit a new imputer, or drop " + given + ".")
    if run is not None:
        imputer = load(run)
    else:
        options: dict[str, Any] = {k: v for k, v in (("epochs", epochs), ("hidden", hidden),
                                                     ("network", None if network is None else network.value))
                                   if v is not None}
        imputer = AutoencoderImputer(random_state=random_state, **options)
    result = impute_table(str(data), imputer, truth=None if truth is None else read_data(truth), out=out,
                          figure=figure, baseline=baseline,
                          random_state=random_state)
    if save_model is not None:
        result.imputer.save(save_model)
        note(f"imputer saved in {save_model}")
    note(f"figure {result.figure}")
    measured = "" if result.rmse is not None else " (pass --truth to measure the fill)"
    say(f"{result.summary()}{measured}; written to {result.output}")
    if result.rmse is not None and result.baseline_rmse is not None:
        say_if_behind(result.rmse > result.baseline_rmse,
                      f"aekit loses to IterativeImputer(BayesianRidge) on RMSE here ({result.rmse:.4f} vs "
                      f"{result.baseline_rmse:.4f}); most likely fix: more training (--epochs); small, nearly "
                      "linear tables favour the linear imputer.")
