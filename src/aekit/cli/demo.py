"""``aekit demo``: the classic 784-32-784 autoencoder on the embedded MNIST digits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aekit.cli._console import NO_BASELINE_HELP, say, say_baseline, state
from aekit.cli.train import interrupted, summary


def demo(
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the 4,000 training digits.")] = 50,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder to write.")] = Path("runs/demo"),
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a run in --out that is not an earlier demo.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; only the result line.")] = False,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help=NO_BASELINE_HELP)] = False,
) -> None:
    """Train the classic 784-32-784 autoencoder on 5,000 embedded MNIST digits (no download).

    Dense encoder 784 -> 32 (ReLU), decoder 32 -> 784 (sigmoid), binary cross-entropy,
    Adam (lr 1e-3), batches of 64, seed 0; 4,000 digits train it and the other 1,000
    are its validation and test data. Takes seconds on a laptop CPU. Writes a full run
    folder (see `aekit train --help`); an earlier demo in the same folder is replaced.

    **Examples**

        aekit demo
        aekit demo --epochs 5 --out runs/quick-demo
        aekit evaluate runs/demo --data default
    """
    from aekit.apps.demo import demo_run
    from aekit.report import write_report

    quiet = state.quiet = quiet or state.quiet
    try:
        result = demo_run(out, epochs=epochs, overwrite=overwrite, progress=not quiet, baseline=not no_baseline,
                          write_report=write_report)
    except KeyboardInterrupt:
        if state.debug:
            raise
        interrupted(out)
    if quiet:
        say(summary(result))
        say_baseline(result.baseline)
        return
    m = result.metrics
    say(f"Trained the classic 784-32-784 autoencoder on {m['n_train']:,} embedded MNIST digits: "
        f"{m['epochs_run']} epochs in {result.seconds_this_run:.1f}s ({m['n_parameters']:,} parameters).")
    say(f"Test digits ({m['n_test']:,}): BCE {m['test_bce']:.4f}, MSE {m['test_mse']:.4f}   "
        f"(training digits: BCE {m['train_bce']:.4f}, MSE {m['train_mse']:.4f})")
    say_baseline(result.baseline)
    pictures = ", ".join(str(result.files[k]) for k in ("reconstructions", "loss_curves") if k in result.files)
    say(f"Pictures: {pictures}" + (f"; report: {result.report}" if result.report else ""))
