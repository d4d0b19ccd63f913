"""reconstruction_bce: the per-value binary cross-entropy the CLI reports."""

from __future__ import annotations

import numpy as np
import pytest

from aekit.errors import InputError
from aekit.metrics import reconstruction_bce


def test_bce_matches_its_definition():
    a = np.array([[1.0, 0.0, 0.25]])
    b = np.array([[0.9, 0.2, 0.25]])
    expected = -np.mean([np.log(0.9), np.log(0.8), 0.25 * np.log(0.25) + 0.75 * np.log(0.75)])
    assert reconstruction_bce(a, b) == pytest.approx(expected)


def test_bce_clips_certain_predictions_to_a_finite_value():
    assert 0 < reconstruction_bce([[1.0, 0.0]], [[0.0, 1.0]]) < 20


@pytest.mark.parametrize("a, b, match", [
    ([[2.0]], [[0.5]], r"in \[0, 1\]"),
    ([[0.5, 0.5]], [[0.5]], "same samples"),
])
def test_bce_refuses_bad_input(a, b, match):
    with pytest.raises(InputError, match=match):
        reconstruction_bce(a, b)
