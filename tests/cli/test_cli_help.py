"""--help teaches (examples included) and --version answers, for every command."""

from __future__ import annotations

import pytest

from aekit import __version__

COMMANDS = ["train", "demo", "encode", "reconstruct", "evaluate"]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_help_exits_0_and_shows_examples(cli, command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Examples" in result.output and "aekit " in result.output


def test_top_level_help_lists_every_command(cli) -> None:
    result = cli("--help")
    assert all(c in result.output for c in COMMANDS)


def test_version(cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0 and result.output.strip() == f"aekit {__version__}"


def test_no_arguments_shows_help(cli) -> None:
    result = cli()
    assert "Usage" in result.output and "train" in result.output
