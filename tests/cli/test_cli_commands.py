"""The command table behind ``aekit --help`` matches the commands, and the listing imports none of them."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from aekit.cli.commands import COMMANDS
from aekit.cli.main import build_command


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_summary_is_the_first_paragraph_of_its_commands_docstring(name: str) -> None:
    command = build_command(name)
    assert command.name == name
    doc = inspect.getdoc(command.callback) or ""
    first = " ".join(doc.split("\n\n")[0].split())
    assert COMMANDS[name].summary == first, f"update COMMANDS[{name!r}] in aekit/cli/commands.py to: {first!r}"
    assert command.hidden == COMMANDS[name].hidden


def test_every_command_function_is_in_the_table() -> None:
    """A command written in a cli module (a public function whose help has examples) but missing
    from the table would never be reachable."""
    import importlib
    import pkgutil

    import aekit.cli as cli

    listed = {(e.module, e.function) for e in COMMANDS.values()}
    found = set()
    for info in pkgutil.iter_modules(cli.__path__):
        if info.name.startswith("_") or info.name in ("main", "commands"):
            continue
        module = importlib.import_module(f"aekit.cli.{info.name}")
        found |= {(info.name, n) for n, f in vars(module).items()
                  if inspect.isfunction(f) and f.__module__ == module.__name__ and not n.startswith("_")
                  and "**Examples**" in (f.__doc__ or "")}
    assert found == listed


def test_top_level_help_imports_no_command_module() -> None:
    script = ("import sys\nfrom aekit.cli.main import app\ntry:\n    app(['--help'], prog_name='aekit')\n"
              "except SystemExit:\n    pass\n"
              "print(sorted({e.module for e in __import__('aekit.cli.commands', fromlist=['_']).COMMANDS.values()"
              " if 'aekit.cli.' + e.module in sys.modules}), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"
    rows = [line.lstrip("│ ").split(" ", 1)[0] for line in proc.stdout.splitlines()]  # the Commands panel's rows
    for name, entry in COMMANDS.items():
        assert (name in rows) != entry.hidden, name  # listed by name, unless hidden


def test_an_unknown_command_still_suggests_the_close_one(cli) -> None:
    result = cli("trian")
    assert result.exit_code != 0
    assert "train" in result.output
