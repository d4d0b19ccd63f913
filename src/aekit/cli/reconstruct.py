"""``aekit reconstruct``: a trained model's reconstructions of data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aekit.cli._console import say
from aekit.cli._options import DataOpt, LabelOpt, RunArg, Split, SplitOpt
from aekit.cli._runs import input_for_run, load_run, write_reconstructions_png
from aekit.cli.encode import check_suffix
from aekit.io.run_dir import write_array


def reconstruct(
    run: RunArg,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the reconstructions: .npy (same shape "
                                      "as the input), or .csv (one flat row per sample).")] = Path("recon.npy"),
    split: SplitOpt = Split.test,
    label_column: LabelOpt = None,
) -> None:
    """Reconstruct data with a trained model (encode, then decode), in the data's own units.

    For images, a picture of the first ten samples above their reconstructions is
    written next to the output, with the same name and .png.

    **Examples**

        aekit reconstruct runs/demo --data default --out recon.npy     # also writes recon.png
        aekit reconstruct runs/table --data new.csv --out recon.csv
    """
    check_suffix(out)
    estimator, _, info = load_run(run)
    ds = input_for_run(info, data, split=split.value, label_column=label_column)
    x_hat = estimator.predict(ds.X)
    columns = list(ds.columns) if ds.columns is not None and x_hat.ndim == 2 else None
    write_array(out, x_hat, columns=columns)
    line = f"{len(x_hat):,} reconstructions of {ds.name} written to {out}"
    if ds.is_image:
        picture = write_reconstructions_png(out.with_suffix(".png"), ds, ds.X[:10], x_hat[:10],
                                            title=f"{ds.name} (top) and reconstructions (bottom)")
        line += f"; picture {picture}"
    say(line)
