"""The ``aekit`` command: global options, error handling, and the sub-commands.

Every sub-command lives in its own module (``train.py``, ``demo.py``, ``encode.py``,
``reconstruct.py``, ``evaluate.py``, ``reduce.py``, ``visualise.py``, ``classify.py``, ``report.py``,
``detect.py``, ``denoise.py``, ``generate.py``, ``compress.py`` (compress and decompress), ``impute.py``,
``export.py``), listed in :data:`aekit.cli.commands.COMMANDS`. The group imports a command's
module and builds its options only when that command runs or shows its help, so
``aekit --help`` reads the table alone; each command imports its apps function when it runs,
so no ``--help`` loads torch, matplotlib or scikit-learn. Any error aekit raises on
purpose (:class:`aekit.errors.AekitError`) or a file the system cannot read or write
becomes one red line on stderr and exit code 1; ``--debug`` shows the traceback instead.
A warning the library raises becomes one yellow line on stderr.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Annotated, Any, Literal

import typer
from typer.core import TyperCommand, TyperGroup

from aekit._version import __version__
from aekit.cli._console import fail_line, state, warn_line
from aekit.cli.commands import COMMANDS, CommandEntry

MARKUP: Literal["markdown"] = "markdown"  # typer renders the commands' docstrings as Markdown


def _expected(exc: BaseException) -> bool:
    """An error aekit raised on purpose, or a file the system cannot read or write."""
    # aekit.errors imports scikit-learn, so it is looked up, not imported: if no command has
    # imported it yet, exc cannot be one of its errors.
    errors = sys.modules.get("aekit.errors")
    return isinstance(exc, OSError) or (errors is not None and isinstance(exc, errors.AekitError))


def _out_of_memory(exc: BaseException) -> bool:
    """A failed allocation: Python's MemoryError, or torch's allocator error (a RuntimeError)."""
    return isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc))


def _warning_line(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    warn_line(str(message))


class _Listed(TyperCommand):
    """A sub-command as ``aekit --help`` lists it: name and summary, nothing imported yet."""

    def __init__(self, name: str, entry: CommandEntry) -> None:
        super().__init__(name, help=entry.summary, short_help=entry.summary, hidden=entry.hidden,
                         rich_markup_mode=MARKUP)
        self.entry = entry


def build_command(name: str) -> TyperCommand:
    """The full command ``name`` (options, help, callback): imports its module and builds it."""
    entry = COMMANDS[name]
    function = getattr(importlib.import_module(f"aekit.cli.{entry.module}"), entry.function)
    one = typer.Typer(add_completion=False, rich_markup_mode=MARKUP, pretty_exceptions_show_locals=False)
    one.command(name, hidden=entry.hidden)(function)
    return typer.main.get_command(one)  # type: ignore[return-value]  # one command: the command itself


class _AekitGroup(TyperGroup):
    """Lists the sub-commands from :data:`COMMANDS`, builds one only when it is used, and turns
    expected failures into one line and exit code 1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, entry in COMMANDS.items():
            self.commands.setdefault(name, _Listed(name, entry))

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, cmd, rest = super().resolve_command(ctx, args)
        if isinstance(cmd, _Listed) and name is not None:
            cmd = self.commands[name] = build_command(name)
        return name, cmd, rest

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            with warnings.catch_warnings():  # the library's warnings: one yellow line each, not two of Python's
                warnings.showwarning = _warning_line
                return super().invoke(ctx)
        except Exception as exc:
            if not state.debug and _out_of_memory(exc):
                fail_line("out of memory: this machine could not allocate what the command needs "
                          f"({str(exc).splitlines()[0][-160:]}). Use a smaller model (--latent-dim, --hidden), a "
                          "smaller --batch-size, or fewer samples.")
                raise typer.Exit(1) from None
            if state.debug or not _expected(exc):
                raise
            fail_line(str(exc) or type(exc).__name__)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            if state.debug:
                raise
            fail_line("interrupted.")
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=_AekitGroup,
    name="aekit",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=MARKUP,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aekit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the aekit version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback when something fails.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or extra lines: "
                                                              "only each command's one-line result.")] = False,
) -> None:
    """Train autoencoders and put them to work, from the command line.

    Every training run gets its own folder (config, weights, checkpoint, history,
    metrics, plots and an HTML report); the other commands take that folder.

    **Examples**

        aekit demo
        aekit train --data default --latent-dim 16 --epochs 30
        aekit train --data table.csv --hidden 64,16 --latent-dim 4 -o runs/t
        aekit encode runs/t --data new.csv --out codes.csv
        aekit evaluate runs/t --data new.csv
        aekit visualize runs/t --data new.csv --method tsne
    """
    state.debug = debug
    state.quiet = quiet


if __name__ == "__main__":  # pragma: no cover
    app()
