"""``aekit evaluate``: how well a trained model reconstructs some data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from aekit.cli._console import say
from aekit.cli._options import DataOpt, LabelOpt, RunArg, Split, SplitOpt
from aekit.cli._families import family_metrics
from aekit.cli._runs import input_for_run, is_dataset_name, load_run, model_input, reconstruction_metrics, slug
from aekit.io.run_dir import write_json


def evaluate(
    run: RunArg,
    data: DataOpt,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", show_default="RUN/evaluation-<data>.json",
                                                help="Where to write the metrics (JSON).")] = None,
    split: SplitOpt = Split.test,
    label_column: LabelOpt = None,
) -> None:
    """Measure reconstruction error of a trained model on data; print and save the metrics.

    **mse**: mean squared error per value in the data's own units; **bce**: mean binary
    cross-entropy per value (only for data in [0, 1]); **loss**: the training loss on the
    model's scaled data; **mean_score**: mean of score_samples (= -loss, higher = more
    typical); for a recurrent model these are per window of the series. Each family adds
    its own: **elbo** and **kl** (VAE, nats per sample), **psnr_noisy** and
    **psnr_denoised** (denoising, dB), **mean_code_activation** (sparse),
    **mean_jacobian_norm** (contractive).

    **Examples**

        aekit evaluate runs/demo --data default
        aekit evaluate runs/table --data new.csv --out new-metrics.json
    """
    estimator, run_dir, info = load_run(run)
    ds = model_input(estimator, input_for_run(info, data, split=split.value, label_column=label_column))
    metrics: dict[str, Any] = {"data": ds.name, "split": split.value if is_dataset_name(data) else None,
                               "n_samples": len(ds)}
    metrics.update(reconstruction_metrics(estimator, ds.X))
    metrics["mean_score"] = -metrics["loss"]
    metrics.update(family_metrics(estimator, ds.X))
    name = slug(data) + (f"-{split.value}" if is_dataset_name(data) else "")
    target = write_json(out if out is not None else run_dir / f"evaluation-{name}.json", metrics)
    shown = ", ".join(f"{k} {metrics[k]:.4g}" for k in ("mse", "bce", "loss", "mean_score") if k in metrics)
    say(f"{ds.name} ({len(ds):,} samples): {shown}; written to {target}")
