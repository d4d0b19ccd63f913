"""Hooks the loop calls; the progress display is one of them."""

from __future__ import annotations

import sys
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class Callback(Protocol):
    """Optional hooks; implement any subset (missing ones are skipped).

    Hooks observe training, for display and logging. ``on_batch_end`` runs on every tenth
    batch only (reading the loss costs a host sync on a GPU), so nothing that changes what
    is learned may hang on it: a weight that follows the step belongs in the objective's
    ``set_progress`` (see :func:`aekit.train.fit_module`).
    """

    def on_train_begin(self, *, epochs: int, start_epoch: int, batches: int) -> None: ...
    def on_batch_end(self, *, epoch: int, batch: int, loss: float) -> None: ...
    def on_epoch_end(self, record: dict[str, Any]) -> None: ...
    def on_train_end(self) -> None: ...


def _fmt(record: dict[str, Any]) -> str:
    parts = [f"{k} {v:.4g}" for k, v in record.items() if k not in ("epoch", "seconds") and isinstance(v, float)]
    return f"epoch {record['epoch']}: " + ", ".join(parts) + f" ({record['seconds']:.2f}s)"


class ProgressBar:
    """A rich progress bar on a terminal; one plain line per epoch otherwise (no ANSI codes)."""

    def __init__(self, stream: Any = None) -> None:
        self.console = Console(file=stream or sys.stderr)
        self.live = self.console.is_terminal
        self._progress: Progress | None = None
        self._task: Any = None

    def on_train_begin(self, *, epochs: int, start_epoch: int, batches: int) -> None:
        if not self.live:
            return
        self._progress = Progress(TextColumn("[bold]epoch {task.fields[epoch]}/{task.fields[epochs]}"),
                                  BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"),
                                  TimeRemainingColumn(), console=self.console, transient=True)
        self._progress.start()
        self._task = self._progress.add_task("train", total=batches, epoch=start_epoch + 1, epochs=epochs, loss="-")
        self._epochs = epochs

    def on_batch_end(self, *, epoch: int, batch: int, loss: float) -> None:
        if self._progress is not None and batch % 10 == 0:
            self._progress.update(self._task, completed=batch + 1, epoch=epoch + 1, loss=f"{loss:.4f}")

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        if self._progress is not None:
            self._progress.console.print(_fmt(record), highlight=False)
            self._progress.reset(self._task, epoch=record["epoch"] + 1, epochs=self._epochs, loss="-")  # reset replaces all fields
        else:
            print(_fmt(record), file=self.console.file, flush=True)

    def on_train_end(self) -> None:
        if self._progress is not None:
            self._progress.stop()
