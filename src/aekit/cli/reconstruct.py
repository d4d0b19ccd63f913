"""``aekit reconstruct``: a trained model's reconstructions of data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aekit.cli._console import say
from aekit.cli._options import DataOpt, DeviceOpt, LabelOpt, RunArg, Split, SplitOpt


def reconstruct(
    run: RunArg,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the reconstructions: .npy (same shape "
                                      "as the input), or .csv (one flat row per sample).")] = Path("recon.npy"),
    split: SplitOpt = Split.test,
    label_column: LabelOpt = None,
    device: DeviceOpt = None,
) -> None:
    """Reconstruct data with a trained model (encode, then decode), in the data's own units.

    For images, a picture of the first ten samples above their reconstructions is
    written next to the output, with the same name and .png.

    **Examples**

        aekit reconstruct runs/demo --data default --out recon.npy     # also writes recon.png
        aekit reconstruct runs/table --data new.csv --out recon.csv
    """
    from aekit.apps.runs import reconstruct_run

    recon = reconstruct_run(run, data, out, split=split.value, label_column=label_column, device=device)
    say(f"{len(recon.array):,} reconstructions of {recon.data_name} written to {recon.path}"
        + (f"; picture {recon.picture}" if recon.picture is not None else ""))
