"""``aekit demo``: the classic 784-32-784 autoencoder on the embedded MNIST digits."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import torch
import typer

from aekit.cli._console import say, state
from aekit.cli.train import interrupted, summary
from aekit.cli._runs import train_run
from aekit.errors import InputError

#: The classic model: one 32-unit ReLU code layer, sigmoid output, binary cross-entropy,
#: Adam at 1e-3 (the Keras blog's first autoencoder). That one used batches of 256 on 60,000
#: digits; on the 4,000 embedded digits batches of 64 give the same model a comparable number
#: of updates (measured: test MSE 0.012 after 50 epochs, against 0.022 with batches of 256).
#: Input centring is off: on these 4,000 digits at a constant 1e-3 it raised the test BCE
#: from 0.0983 to 0.1058 (mean of seeds 0-2); the output layer still starts at the mean image.
DEMO_PARAMS: dict[str, Any] = {"latent_dim": 32, "model": "dense", "hidden": (), "activation": "relu",
                               "output": "sigmoid", "loss": "bce", "lr": 1e-3, "batch_size": 64,
                               "center_inputs": False, "random_state": 0, "device": "auto"}


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Train on one CPU thread unless OMP_NUM_THREADS says otherwise.

    The 784-32-784 model's matrix products are too small to gain from more threads, and on
    a busy CPU the threads wait on each other: measured on 2 shared cores, the demo took
    120 s with torch's 2 threads and 24 s with 1, to the same weights.
    """
    before = torch.get_num_threads()
    if not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _holds_a_demo(folder: Path) -> bool:
    try:
        return json.loads((folder / "run.json").read_text()).get("command") == "demo"
    except (OSError, ValueError, AttributeError):
        return False


def demo(
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the 4,000 training digits.")] = 50,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder to write.")] = Path("runs/demo"),
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a run in --out that is not an earlier demo.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; only the result line.")] = False,
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
    quiet = state.quiet = quiet or state.quiet
    if out.is_dir() and any(out.iterdir()) and not (overwrite or _holds_a_demo(out)):
        raise InputError(f"{out} holds files that are not from an earlier demo; pass --overwrite to replace "
                         "the run there, or choose another folder with --out.")
    overwrite = out.is_dir()
    try:
        with _one_thread():
            result = train_run("default", out, {**DEMO_PARAMS, "epochs": epochs}, overwrite=overwrite,
                               progress=not quiet, validate_on_test=True, command="demo")
    except KeyboardInterrupt:
        if state.debug:
            raise
        interrupted(out)
    if quiet:
        say(summary(result))
        return
    m = result.metrics
    say(f"Trained the classic 784-32-784 autoencoder on {m['n_train']:,} embedded MNIST digits: "
        f"{m['epochs_run']} epochs in {result.seconds_this_run:.1f}s ({m['n_parameters']:,} parameters).")
    say(f"Test digits ({m['n_test']:,}): BCE {m['test_bce']:.4f}, MSE {m['test_mse']:.4f}   "
        f"(training digits: BCE {m['train_bce']:.4f}, MSE {m['train_mse']:.4f})")
    pictures = ", ".join(str(result.files[k]) for k in ("reconstructions", "loss_curves") if k in result.files)
    say(f"Pictures: {pictures}" + (f"; report: {result.report}" if result.report else ""))
