"""``aekit encode``: the codes of a trained model for new data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aekit.cli._console import say
from aekit.cli._options import DataOpt, LabelOpt, RunArg, Split, SplitOpt
from aekit.cli._runs import input_for_run, load_run
from aekit.errors import InputError
from aekit.io.run_dir import ARRAY_SUFFIXES, write_array


def check_suffix(out: Path) -> None:
    if out.suffix.lower() not in ARRAY_SUFFIXES:
        raise InputError(f"--out {out} must end in {' or '.join(ARRAY_SUFFIXES)} (a NumPy array or a CSV table).")


def encode(
    run: RunArg,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the codes: .npy, or .csv (columns "
                                      "z0, z1, ...).")] = Path("codes.npy"),
    split: SplitOpt = Split.test,
    label_column: LabelOpt = None,
) -> None:
    """Encode data with a trained model: one row of latent_dim codes per sample.

    **Examples**

        aekit encode runs/demo --data default --out codes.npy
        aekit encode runs/table --data new.csv --out codes.csv
    """
    check_suffix(out)
    estimator, _, info = load_run(run)
    ds = input_for_run(info, data, split=split.value, label_column=label_column)
    codes = estimator.transform(ds.X)
    write_array(out, codes, columns=[f"z{i}" for i in range(codes.shape[1])])
    say(f"{len(codes):,} codes of {codes.shape[1]} values for {ds.name} written to {out}")
