"""Every estimator takes its constructor defaults from the one table in ``estimators/_params.py``."""

from __future__ import annotations

import inspect
import math

import pytest

from aekit import (Autoencoder, AutoencoderClassifier, AutoencoderImputer, ImageCompressor, SequenceAutoencoder,
                   VariationalAutoencoder)
from aekit.estimators._params import FAMILY_TRAINING, TRAINING
from aekit.estimators._params import defaults as table_defaults

# AnomalyDetector trains an ensemble with its own small set of training knobs (no schedule,
# validation or early stopping), so it is not held to the shared table.
ESTIMATORS = [Autoencoder, VariationalAutoencoder, SequenceAutoencoder, AutoencoderClassifier, ImageCompressor,
              AutoencoderImputer]


def _signature_defaults(cls: type) -> dict[str, object]:
    return {name: _nan_as_marker(p.default) for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self"}


def _nan_as_marker(value: object) -> object:
    """NaN never equals itself; compare it as a marker (AutoencoderImputer's missing_values)."""
    return "<nan>" if isinstance(value, float) and math.isnan(value) else value


def defaults(name: str) -> dict[str, object]:
    return {k: _nan_as_marker(v) for k, v in table_defaults(name).items()}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_signature_is_the_table(cls):
    got = _signature_defaults(cls)
    want = defaults(cls.__name__)
    assert got == want  # the same names with the same values, nothing more or less


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_estimator_takes_every_training_parameter_with_the_shared_default(cls):
    got = _signature_defaults(cls)
    overrides = FAMILY_TRAINING.get(cls.__name__, {})
    for name, default in TRAINING.items():
        assert name in got, f"{cls.__name__} lacks the training parameter {name}"
        assert got[name] == overrides.get(name, default), f"{cls.__name__}.{name}"
    assert set(overrides) <= set(TRAINING)  # a family may change a default, never add a parameter


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_get_params_round_trips_the_defaults(cls):
    assert {k: _nan_as_marker(v) for k, v in cls().get_params(deep=False).items()} == defaults(cls.__name__)


# AutoencoderImputer documents its training parameters in its own words (epochs="auto" is a step count).
@pytest.mark.parametrize("cls", [c for c in ESTIMATORS if c is not AutoencoderImputer], ids=lambda c: c.__name__)
def test_docstring_states_the_family_training_defaults(cls):
    doc = cls.__doc__
    d = defaults(cls.__name__)
    assert "%(training_params)s" not in doc
    assert f"epochs : int, default={d['epochs']}" in doc and f"batch_size : int, default={d['batch_size']}" in doc
    for name in TRAINING:
        assert f"\n    {name} : " in doc, f"{cls.__name__} docstring lacks {name}"
