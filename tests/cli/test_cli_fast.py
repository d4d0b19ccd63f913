"""--help is fast: the command line loads torch, matplotlib and scikit-learn only when a command runs."""

from __future__ import annotations

import subprocess
import sys

from typer.main import get_command

from aekit.cli.main import app

HEAVY = ("torch", "matplotlib", "sklearn")

# One process asks every command for its --help, then names the heavy packages it has loaded.
_SCRIPT = """
import sys
from aekit.cli.main import app
for args in {commands!r}:
    try:
        app([*args, "--help"], prog_name="aekit")
    except SystemExit:
        pass
print("LOADED=" + ",".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def _importers(lines: list[str], first: int) -> list[str]:
    """The modules whose import pulled in the one on line ``first`` of -X importtime output, innermost first.

    Each line names a module after the ones it imported, indented one level deeper than its importer.
    """
    def depth(line: str) -> int:
        name = line.rsplit("|", 1)[-1]
        return len(name) - len(name.lstrip())

    chain, level = [], depth(lines[first])
    for line in lines[first + 1:]:
        if line.startswith("import time:") and depth(line) < level:
            chain.append(line.rsplit("|", 1)[-1].strip())
            level = depth(line)
    return chain


def test_help_of_every_command_loads_no_torch_matplotlib_or_sklearn() -> None:
    commands = [[], *([name] for name in get_command(app).commands)]  # type: ignore[attr-defined]
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", _SCRIPT.format(commands=commands, heavy=HEAVY)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    loaded = next(line for line in lines if line.startswith("LOADED=")).removeprefix("LOADED=")
    if loaded:
        first = next(i for i, line in enumerate(lines)
                     if line.startswith("import time:") and line.rsplit("|", 1)[-1].strip().split(".")[0] in HEAVY)
        importers = _importers(lines, first)
        chain = " <- ".join(importers)
        raise AssertionError(f"--help imported {loaded}: {lines[first].rsplit('|', 1)[-1].strip()} <- {chain}")
