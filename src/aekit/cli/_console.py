"""Where the commands print, and the global flags (--debug, --quiet) they read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.text import Text

from aekit.estimators._params import defaults

if TYPE_CHECKING:
    from aekit.apps.baselines import Baseline


@dataclass
class State:
    """Global options, set by the app callback on every invocation."""

    debug: bool = False
    quiet: bool = False


state = State()

#: The ``Autoencoder`` constructor's defaults (a torch-free table): the CLI's defaults, so the two never drift.
DEFAULTS: dict[str, Any] = defaults("Autoencoder")


def out() -> Console:
    # Built per call: sys.stdout is looked up then, so test runners that swap it see the text.
    return Console(soft_wrap=True, highlight=False)


def err() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def say(message: str) -> None:
    """One result line on stdout (printed even with --quiet)."""
    out().print(Text(message))


def note(message: str) -> None:
    """Extra information on stdout, left out with --quiet."""
    if not state.quiet:
        out().print(Text(message, style="dim"))


def say_baseline(*baselines: Baseline | None) -> None:
    """Each baseline's line beside aekit's number and, when aekit loses, one line saying so
    against the strongest of them, with the most likely fix (printed even with --quiet)."""
    shown = [b for b in baselines if b is not None]
    for baseline in shown:
        say(baseline.line())
    verdicts = [(b.value, b.verdict()) for b in shown if b.verdict() is not None]
    if verdicts:
        higher = shown[0].higher_is_better
        best = max(verdicts, key=lambda v: v[0] if higher else -v[0])
        out().print(Text(str(best[1]), style="bold yellow"))


#: The --no-baseline flag of every command that prints a score.
NO_BASELINE_HELP = ("Skip the classical baseline (PCA or logistic regression, fitted on the same training split "
                    "and scored on the same test data) that is printed beside aekit's number.")


def fail_line(message: str) -> None:
    """One red line on stderr; embedded newlines are folded so it stays one line."""
    err().print(Text(f"error: {' '.join(str(message).split())}", style="bold red"))


def warn_line(message: str) -> None:
    """One yellow line on stderr: a warning the library raised (printed even with --quiet)."""
    err().print(Text(f"warning: {' '.join(str(message).split())}", style="yellow"))


def parse_widths(flag: str) -> Any:
    """A Typer callback turning '128,64' into (128, 64); '' or 'none' into ()."""

    def parse(value: str | None) -> tuple[int, ...] | None:
        if value is None:
            return None
        text = value.strip().lower()
        if text in ("", "none", "()"):
            return ()
        widths = []
        for part in text.replace(" ", "").strip("()[]").split(","):
            if not part.isdigit() or int(part) < 1:
                raise typer.BadParameter(
                    f"{value!r} is not a list of layer widths: {part!r} is not a whole number >= 1. "
                    f"Write comma-separated widths, e.g. {flag} 128,64 (or {flag} none).")
            widths.append(int(part))
        return tuple(widths)

    return parse
