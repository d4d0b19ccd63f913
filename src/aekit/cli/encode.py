"""``aekit encode``: the codes of a trained model for new data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aekit.cli._console import say
from aekit.cli._options import DataOpt, DeviceOpt, LabelOpt, RunArg, Split, SplitOpt


def encode(
    run: RunArg,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the codes: .npy, or .csv (columns "
                                      "z0, z1, ...).")] = Path("codes.npy"),
    split: SplitOpt = Split.test,
    label_column: LabelOpt = None,
    device: DeviceOpt = None,
) -> None:
    """Encode data with a trained model: one row of latent_dim codes per sample.

    **Examples**

        aekit encode runs/demo --data default --out codes.npy
        aekit encode runs/table --data new.csv --out codes.csv
    """
    from aekit.apps.runs import encode_run

    codes = encode_run(run, data, out, split=split.value, label_column=label_column, device=device)
    n, width = codes.array.shape[:2]
    say(f"{n:,} codes of {width} values for {codes.data_name} written to {codes.path}")
