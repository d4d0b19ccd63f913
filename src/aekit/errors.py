"""The exceptions aekit raises on purpose.

Each one is also a built-in exception type, so ``except ValueError`` in user code keeps
working. Messages name the problem, the value received and what to do about it.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError


class AekitError(Exception):
    """Base of every error aekit raises on purpose."""


class InputError(AekitError, ValueError):
    """Bad data or a bad parameter value."""


class InputTypeError(InputError, TypeError):
    """Input whose values cannot be read as numbers (text, objects)."""


class DataFileError(InputError):
    """A data file that is missing, corrupt, truncated or fails its checksum."""


class ModelFileError(AekitError, ValueError):
    """A model file that is corrupt, of another kind, or from a newer format version."""


class NotFittedError(AekitError, _SklearnNotFittedError):
    """An estimator used before ``fit``."""


class MissingDependencyError(AekitError, ImportError):
    """An optional package a feature needs is not installed; the message names the install command."""


class TrainingDivergedError(AekitError, RuntimeError):
    """The training loss became NaN or infinite."""


class DiskFullError(AekitError, OSError):
    """A write ran out of disk space or quota; the file it was to replace is left as it was."""


__all__ = [
    "AekitError",
    "DataFileError",
    "DiskFullError",
    "InputError",
    "InputTypeError",
    "MissingDependencyError",
    "ModelFileError",
    "NotFittedError",
    "TrainingDivergedError",
]
