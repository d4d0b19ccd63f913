"""Assertions shared by the tests of the application commands (detect, denoise, generate, compress, impute, export)."""

from __future__ import annotations

import re
from typing import Any


def usage_text(result: Any) -> str:
    """Click's usage error as plain words (rich draws it in a box that wraps lines)."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


def one_line_error(result: Any) -> str:
    """An error aekit raised on purpose: exit code 1, one red line on stderr, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def usage_error(result: Any) -> str:
    """A malformed argument or option: exit code 2, click's message, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return usage_text(result)


def result_line(result: Any) -> str:
    """The result line a command prints (the last one, before a line saying aekit loses)."""
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.strip().splitlines() if not line.startswith("aekit loses to ")]
    return lines[-1]
