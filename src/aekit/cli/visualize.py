"""``aekit visualize`` (or ``visualise``): a latent map, reconstructions and a latent grid of a run."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from aekit.apps.visualise import visualise
from aekit.cli._console import say
from aekit.cli._options import DataOpt, LabelOpt, RunArg, Split, SplitOpt
from aekit.cli._runs import input_for_run, load_run, write_report
from aekit.io.run_dir import write_json


class MapMethod(str, Enum):
    auto = "auto"
    latent = "latent"
    tsne = "tsne"
    umap = "umap"
    pca = "pca"


def visualize(
    run: RunArg,
    data: DataOpt,
    method: Annotated[MapMethod, typer.Option(
        help="How codes become a 2-D map: **latent** draws a 2-D code as it is; **tsne**, **umap** (pip install "
             "'aekit[umap]') or **pca** bring wider codes to 2-D; **auto** = latent for 2-D codes, else tsne.",
    )] = MapMethod.auto,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", show_default="the run folder", file_okay=False,
                                                help="Folder for the pictures.")] = None,
    split: SplitOpt = Split.test,
    label_column: LabelOpt = None,
    max_points: Annotated[int, typer.Option(min=1, help="Map at most this many samples (a seeded random "
                                                        "subset); t-SNE on 5,000 takes about a minute.")] = 5000,
    grid: Annotated[int, typer.Option(min=1, max=100, help="Codes per axis of the latent grid (2-D latents of "
                                                           "images only).")] = 15,
) -> None:
    """Draw a trained model's view of data: latent map, reconstructions, latent grid.

    Writes **latent_map.png** (coloured by label when the data has labels, with the 5-NN
    accuracy of the map in its title), **reconstructions.png** and, for a 2-D latent of
    images, **latent_grid.png** (decoded codes on a regular grid), plus latent_map.json;
    then re-writes the run's report.html so the pictures appear in it.

    **Examples**

        aekit visualize runs/demo --data default
        aekit visualize runs/mnist --data mnist --method umap --out runs/mnist/umap
    """
    estimator, run_dir, info = load_run(run)
    ds = input_for_run(info, data, split=split.value, label_column=label_column)
    folder = out if out is not None else run_dir
    result = visualise(estimator, ds.X, ds.y, out=folder, method=method.value, max_points=max_points,
                       feature_names=None if ds.columns is None or ds.is_image else list(ds.columns), grid_n=grid)
    m = result.latent_map
    summary: dict[str, Any] = {"data": ds.name, "split": split.value, "method": m.method, "n_points": len(m.coords),
                               "latent_dim": m.latent_dim, "knn_k": 5, "knn_accuracy": m.knn_accuracy}
    write_json(folder / "latent_map.json", summary)
    # The report shows PNGs of the run folder and its immediate sub-folders only.
    try:
        inside = folder.resolve() == run_dir.resolve() or folder.resolve().parent == run_dir.resolve()
    except OSError:
        inside = False
    report = write_report(run_dir) if inside and write_report is not None else None
    names = ", ".join(p.name for p in result.files.values())
    line = f"{ds.name}, {m.title}: {names} written to {folder}"
    say(line + (f"; report {report}" if report else ""))
