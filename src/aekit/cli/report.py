"""``aekit report``: (re)build a run folder's one-page HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from aekit.cli._console import say


def report(
    run: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="A run folder written by an aekit command.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", show_default="RUN/report.html",
                                                help="Where to write the page.")] = None,
    title: Annotated[Optional[str], typer.Option(help="Page title (default: from the run folder).")] = None,
) -> None:
    """Write one self-contained HTML page for a run: its config, metrics, history and every plot.

    Images are embedded, so the page opens in any browser with no network and can be mailed
    as one file. Training commands write it already; run this after adding plots (for
    example with 'aekit visualize') or to put the page elsewhere.

    **Examples**

        aekit report runs/demo
        aekit report runs/demo --out ~/demo.html --title "First try"
    """
    from aekit.report import write_report

    path = write_report(run, path=out, title=title)
    say(f"Report for {run}: {path}")
