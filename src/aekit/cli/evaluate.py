"""``aekit evaluate``: how well a trained model reconstructs some data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from aekit.cli._console import NO_BASELINE_HELP, say, say_baseline
from aekit.cli._options import DataOpt, DeviceOpt, LabelOpt, RunArg, Split, SplitOpt


def evaluate(
    run: RunArg,
    data: DataOpt,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", show_default="RUN/evaluation-<data>.json",
                                                help="Where to write the metrics (JSON).")] = None,
    split: SplitOpt = Split.test,
    label_column: LabelOpt = None,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help=NO_BASELINE_HELP)] = False,
    device: DeviceOpt = None,
) -> None:
    """Measure reconstruction error of a trained model on data; print and save the metrics.

    **mse**: mean squared error per value in the data's own units; **bce**: mean binary
    cross-entropy per value (only for data in [0, 1]); **loss**: the training loss on the
    model's scaled data; **mean_score**: mean of score_samples (= -loss, higher = more
    typical); for a recurrent model these are per window of the series. Each family adds
    its own: **elbo** and **kl** (VAE, nats per sample), **psnr_noisy** and
    **psnr_denoised** (denoising, dB), **mean_code_activation** (sparse),
    **mean_jacobian_norm** (contractive). Beside them, **baseline**: PCA with as many
    components as the model's code, fitted on a named set's training split (at most
    10,000 rows) or, for a file, on the data itself (unless `--no-baseline`).

    **Examples**

        aekit evaluate runs/demo --data default
        aekit evaluate runs/table --data new.csv --out new-metrics.json
    """
    from aekit.apps.runs import evaluate_run

    result = evaluate_run(run, data, split=split.value, label_column=label_column, out=out,
                          baseline=not no_baseline, device=device)
    m = result.metrics
    shown = ", ".join(f"{k} {m[k]:.4g}" for k in ("mse", "bce", "loss", "mean_score") if k in m)
    say(f"{result.data_name} ({result.n_samples:,} samples): {shown}; written to {result.path}")
    say_baseline(result.baseline)
