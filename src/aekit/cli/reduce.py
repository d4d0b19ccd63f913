"""``aekit reduce``: codes of a trained model for data, and optionally a comparison with PCA."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from sklearn.base import clone

from aekit.apps.reduce import compare_with_pca
from aekit.apps.reduce import reduce as reduce_codes
from aekit.cli._console import note, say, state
from aekit.cli._options import DataOpt, LabelOpt, RunArg, Split, SplitOpt
from aekit.cli._runs import input_for_run, load_run, load_train_test, write_report
from aekit.cli.encode import check_suffix
from aekit.io.run_dir import write_array, write_json


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
) -> None:
    """Reduce data to a trained model's codes; optionally compare the autoencoder with PCA.

    The codes are written atomically. With **--compare-pca**, named data sets use their own
    train/test split; a single file has the same fixed 10% held out as in 'aekit train'.

    **Examples**

        aekit reduce runs/demo --data default --out codes.npy
        aekit reduce runs/mnist --data mnist --compare-pca --dims 2,8,32,64 --epochs 5
    """
    check_suffix(out)
    estimator, run_dir, info = load_run(run)
    ds = input_for_run(info, data, split=split.value, label_column=label_column)
    codes = reduce_codes(estimator, ds.X)
    write_array(out, codes, columns=[f"z{i}" for i in range(codes.shape[1])])
    say(f"{len(codes):,} codes of {codes.shape[1]} values for {ds.name} written to {out}")
    if not compare_pca:
        return

    column = label_column if label_column is not None else info.get("label_column")
    train, test, test_source = load_train_test(data, label_column=column)
    template = clone(estimator).set_params(verbose=not state.quiet)
    if epochs is not None:
        template.set_params(epochs=epochs)
    note(f"training {len(dims or ())} autoencoders ({template.get_params()['epochs']} epochs each) on "
         f"{len(train):,} samples; measuring on {len(test):,} ({test_source})")
    result = compare_with_pca(train.X, test.X, dims or (), make_estimator=template)
    record: dict[str, Any] = {"data": data, "test_data": test_source, "epochs": template.get_params()["epochs"],
                              **result.to_dict()}
    table = write_json(run_dir / "pca_comparison.json", record)
    picture = result.plot(run_dir / "pca_comparison.png", title=f"Autoencoder vs PCA on {train.name}")
    report = write_report(run_dir) if write_report is not None else None
    say(result.table())
    say(f"comparison written to {table} and {picture}" + (f"; report {report}" if report else ""))
