"""The one-page HTML report of a run directory, built from the files on disk."""

from aekit.report.html import write_report

__all__ = ["write_report"]
