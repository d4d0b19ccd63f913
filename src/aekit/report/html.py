"""The one-page, self-contained HTML report of a run directory."""

from __future__ import annotations

import base64
import os
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from aekit.data.files import atomic_path
from aekit.report._rundir import FigureFile, RunContents, format_value, read_run

_STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1f2328;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 2rem 1.25rem 3rem; }
header { border-bottom: 1px solid #d0d7de; margin-bottom: 1.5rem; padding-bottom: .75rem; }
h1 { font-size: 1.75rem; margin: 0 0 .25rem; line-height: 1.25; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; }
.sub, .note { color: #57606a; margin: 0; }
code, td.key, td.val { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: .9rem; }
table.kv { border-collapse: separate; border-spacing: 0; width: 100%;
  background: #fff; border: 1px solid #d0d7de; border-radius: 6px; overflow: hidden; }
table.kv th, table.kv td { text-align: left; padding: .4rem .75rem; border-top: 1px solid #eaeef2;
  vertical-align: top; overflow-wrap: anywhere; }
table.kv tr:first-child td { border-top: none; }
table.kv tr:nth-child(even) td { background: #f6f8fa; }
td.key { color: #57606a; width: 1%; white-space: nowrap; padding-right: 2.5rem; }
td.num { font-variant-numeric: tabular-nums; }
figure { margin: 0 0 1.5rem; background: #fff; border: 1px solid #d0d7de; border-radius: 6px;
  padding: .75rem; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { margin-top: .5rem; font-weight: 600; text-align: center; }
figcaption .file { display: block; font-weight: 400; font-size: .8rem; color: #57606a; }
.broken { color: #cf222e; }
footer { margin-top: 2.5rem; color: #57606a; font-size: .85rem; }
"""


def write_report(
    run_dir: str | os.PathLike[str],
    *,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
) -> Path:
    """Write one self-contained HTML page summarising a run directory.

    The page shows ``metrics.json`` as a table, the epoch count and last row of
    ``history.csv``, every ``*.png`` in the folder and its immediate sub-folders (embedded as
    base64 data URIs, known figures such as loss curves and reconstructions first, the rest
    alphabetically) and ``config.json`` with nested keys flattened (``noise.kind``). Missing
    optional files are skipped. The page has no external resources: it opens offline, can
    be mailed as one file, and all text from the files is HTML-escaped.

    Parameters
    ----------
    run_dir : str or path-like
        A run directory: a folder holding ``config.json`` and/or ``metrics.json``.
    path : str or path-like, optional
        Where to write the page; defaults to ``run_dir/report.html``. Written atomically.
    title : str, optional
        Page title; defaults to ``"aekit run: <folder name>"``.

    Returns
    -------
    pathlib.Path
        The written HTML file.

    Raises
    ------
    aekit.errors.InputError
        If ``run_dir`` does not exist, holds neither ``config.json`` nor ``metrics.json``, or
        one of its JSON/CSV files cannot be parsed.

    Examples
    --------
    >>> write_report("runs/mnist-dense")  # doctest: +SKIP
    PosixPath('runs/mnist-dense/report.html')
    """
    run_dir = Path(run_dir)
    run = read_run(run_dir)
    target = Path(path) if path is not None else run_dir / "report.html"
    page = _render(run, title if title is not None else f"aekit run: {run.name}")
    return _atomic_write_text(target, page)


def _atomic_write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _render(run: RunContents, title: str) -> str:
    facts = [f"run folder <code>{escape(run.name)}</code>"]
    if run.history is not None:
        facts.append(_plural(len(run.history), "epoch"))
    facts.append(_plural(len(run.figures), "figure"))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f'<header><h1>{escape(title)}</h1><p class="sub">{" · ".join(facts)}</p></header>',
    ]
    if run.metrics is not None:
        parts += ['<section id="metrics">', "<h2>Metrics</h2>", _table(run.metrics), "</section>"]
    if run.history is not None:
        parts += ['<section id="training">', "<h2>Training</h2>", _history(run.history), "</section>"]
    if run.figures:
        parts += ['<section id="figures">', "<h2>Figures</h2>"]
        parts += [_figure(figure) for figure in run.figures]
        parts.append("</section>")
    if run.config is not None:
        parts += ['<section id="config">', "<h2>Configuration</h2>", _table(run.config), "</section>"]
    parts += [
        "<footer>Written by aekit from the files in this run folder. "
        "Self-contained: figures are embedded, nothing is fetched from the network.</footer>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _table(rows: list[tuple[str, Any]]) -> str:
    if not rows:
        return '<p class="note">(empty)</p>'
    body = []
    for key, value in rows:
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        cls = "val num" if numeric else "val"
        body.append(
            f'<tr><td class="key">{escape(str(key))}</td>'
            f'<td class="{cls}">{escape(format_value(value))}</td></tr>'
        )
    return '<table class="kv">\n' + "\n".join(body) + "\n</table>"


def _history(history: pd.DataFrame) -> str:
    if len(history) == 0:
        return '<p class="note">history.csv has no epochs yet.</p>'
    last = history.iloc[-1]
    rows = [(str(column), _python_scalar(last[column])) for column in history.columns]
    label = "epoch"
    if "epoch" in history.columns:
        label = f"epoch {format_value(_python_scalar(last['epoch']))}"
    return (
        f'<p class="note">{_plural(len(history), "epoch")} in history.csv; the last ({escape(label)}):</p>\n'
        + _table(rows)
    )


def _python_scalar(value: Any) -> Any:
    """NumPy scalars from pandas become plain Python numbers for formatting."""
    return value.item() if hasattr(value, "item") else value


def _figure(figure: FigureFile) -> str:
    caption = escape(figure.caption)
    file = f'<span class="file">{escape(figure.relative)}</span>'
    if figure.data is None:
        return (
            f'<figure><p class="broken">{escape(figure.relative)} is not a valid PNG file '
            f"and was not embedded.</p><figcaption>{caption}{file}</figcaption></figure>"
        )
    encoded = base64.b64encode(figure.data).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{encoded}" alt="{caption}">'
        f"<figcaption>{caption}{file}</figcaption></figure>"
    )
