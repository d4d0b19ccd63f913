"""``aekit reduce``: codes of a trained model for data, beside PCA at the same size."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from aekit.cli._console import NO_BASELINE_HELP, note, say, say_baseline, state
from aekit.cli._options import DataOpt, LabelOpt, RunArg, Split, SplitOpt


def parse_dims(value: str | None) -> tuple[int, ...] | None:
    """'2,8,32,64' -> (2, 8, 32, 64)."""
    if value is None:
        return None
    parts = [p for p in value.replace(" ", "").split(",") if p]
    if not parts or not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise typer.BadParameter(f"{value!r} is not a list of latent sizes; write whole numbers >= 1 separated by "
                                 "commas, e.g. --dims 2,8,32,64.")
    return tuple(sorted({int(p) for p in parts}))


def reduce(
    run: RunArg,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the codes: .npy, or .csv (columns "
                                      "z0, z1, ...).")] = Path("codes.npy"),
    split: SplitOpt = Split.test,
    label_column: LabelOpt = None,
    compare_pca: Annotated[bool, typer.Option(
        "--compare-pca", help="Also train one autoencoder per size in --dims (the run's settings) on the data's "
                              "training part, fit PCA at the same sizes, and compare test reconstruction MSE: "
                              "writes pca_comparison.png and pca_comparison.json into the run folder.")] = False,
    dims: Annotated[Optional[str], typer.Option(
        callback=parse_dims, help="Latent sizes for --compare-pca, comma-separated.")] = "2,8,32,64",
    epochs: Annotated[Optional[int], typer.Option(
        min=1, show_default="the run's", help="Training epochs of each --compare-pca autoencoder.")] = None,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help=NO_BASELINE_HELP)] = False,
) -> None:
    """Reduce data to a trained model's codes, and compare the model with PCA at the same size.

    The codes are written atomically. Beside them it prints the model's reconstruction MSE
    on the data and PCA's with as many components (fitted on a named set's training split,
    at most 10,000 rows, or on the file itself); `--no-baseline` skips that. With
    **--compare-pca** it also trains one autoencoder per size in --dims: named data sets
    use their own train/test split; a single file has the same fixed 10% held out as in
    'aekit train'.

    **Examples**

        aekit reduce runs/demo --data default --out codes.npy
        aekit reduce runs/mnist --data mnist --compare-pca --dims 2,8,32,64 --epochs 5
    """
    from aekit.apps.reduce import compare_run_with_pca, run_pca_baseline
    from aekit.apps.runs import encode_run
    from aekit.report import write_report

    codes = encode_run(run, data, out, split=split.value, label_column=label_column)
    n, width = codes.array.shape[:2]
    say(f"{n:,} codes of {width} values for {codes.data_name} written to {codes.path}")
    if not no_baseline:
        say_baseline(run_pca_baseline(run, data, split=split.value, label_column=label_column))
    if not compare_pca:
        return
    result = compare_run_with_pca(run, data, dims or (),  # type: ignore[arg-type]  # tuple from parse_dims
                                  label_column=label_column, epochs=epochs,
                                  verbose=not state.quiet, note=note, write_report=write_report)
    say(result.comparison.table())
    say(f"comparison written to {result.table} and {result.picture}"
        + (f"; report {result.report}" if result.report else ""))
