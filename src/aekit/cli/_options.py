"""Arguments and options shared by the commands that use a trained run."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer


class LrSchedule(str, Enum):
    """The learning-rate schedules of ``aekit.train.schedule``, as a CLI choice."""

    constant = "constant"
    cosine = "cosine"
    onecycle = "onecycle"


class Prior(str, Enum):
    """The entropy models of ``aekit.models.compression``, as a CLI choice."""

    hyperprior = "hyperprior"
    factorized = "factorized"


class Split(str, Enum):
    train = "train"
    test = "test"


RunArg = Annotated[Path, typer.Argument(exists=True, show_default=False, metavar="RUN",
                                        help="A run folder from 'aekit train' or 'aekit demo', or its config.json.")]
DataOpt = Annotated[str, typer.Option("--data", "-d", show_default=False,
                                      help="A data-set name (default, mnist, fashion-mnist) or a path: .csv, .tsv, "
                                           ".parquet, .npy, .npz, IDX file, image folder.")]
SplitOpt = Annotated[Split, typer.Option(help="Which split of a named data set (a file is read whole).")]
DeviceOpt = Annotated[Optional[str], typer.Option(
    "--device", show_default="where it was trained, or auto when that device is not here",
    help="Where to run the model: auto, cpu, cuda, cuda:1 or mps. A model trained on a GPU runs on a CPU machine.")]
LabelOpt = Annotated[Optional[str], typer.Option(
    help="A table's label column, left out of the features (default: the one the run was trained with).")]
CompileOpt = Annotated[bool, typer.Option(
    "--compile", help="Train through torch.compile (needs a C++ compiler on a CPU machine; falls back to eager "
                      "with a warning). Measured in BENCHMARKS.md (speed-compile): eager is the default.")]
