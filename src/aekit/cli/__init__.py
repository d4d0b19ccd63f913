"""The ``aekit`` command line: a Typer app in :mod:`aekit.cli.main`, one module per sub-command."""
