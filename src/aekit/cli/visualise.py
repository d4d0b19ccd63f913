"""``aekit visualise`` (or ``visualize``): a latent map, reconstructions and a latent grid of a run."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from aekit.cli._console import NO_BASELINE_HELP, say
from aekit.cli._options import DataOpt, LabelOpt, RunArg, Split, SplitOpt
from aekit.cli._verdict import say_if_behind


class MapMethod(str, Enum):
    auto = "auto"
    latent = "latent"
    tsne = "tsne"
    umap = "umap"
    pca = "pca"


def visualise(
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
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help=NO_BASELINE_HELP)] = False,
) -> None:
    """Draw a trained model's view of data: latent map, reconstructions, latent grid.

    Writes **latent_map.png** (coloured by label when the data has labels, with the 5-NN
    accuracy of the map in its title, beside the same map drawn from PCA codes of the same
    size), **reconstructions.png** and, for a 2-D latent of
    images, **latent_grid.png** (decoded codes on a regular grid), plus latent_map.json;
    then re-writes the run's report.html so the pictures appear in it.

    **Examples**

        aekit visualize runs/demo --data default
        aekit visualize runs/mnist --data mnist --method umap --out runs/mnist/umap
    """
    from aekit.apps.visualise import visualise_run
    from aekit.report import write_report

    result = visualise_run(run, data, out=out, method=method.value, split=split.value,  # type: ignore[arg-type]
                           label_column=label_column, max_points=max_points, grid_n=grid,
                           baseline=not no_baseline, write_report=write_report)
    names = ", ".join(p.name for p in result.visualisation.files.values())
    say(f"{result.data_name}, {result.visualisation.latent_map.title}: {names} written to {result.folder}"
        + (f"; report {result.report}" if result.report else ""))
    m = result.visualisation.latent_map
    say_if_behind(m.behind_baseline,
                  f"aekit loses to PCA here: the map of PCA codes keeps the labels apart better (5-NN accuracy "
                  f"{m.baseline_knn_accuracy or 0:.3f} vs {m.knn_accuracy or 0:.3f}); train longer or with a larger "
                  "--latent-dim, or map with --method umap.")
