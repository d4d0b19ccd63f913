"""The line the application commands add when aekit loses to the classical method beside it (#15)."""

from __future__ import annotations

from rich.text import Text

from aekit.cli._console import out


def say_if_behind(behind: bool, message: str) -> None:
    """``message`` ("aekit loses to ... here (ours vs theirs); ...") as one bold yellow line, when ``behind``;
    printed even with --quiet, like the result line it follows."""
    if behind:
        out().print(Text(message, style="bold yellow"))
