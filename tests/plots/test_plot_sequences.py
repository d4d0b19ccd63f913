"""plot_sequence_reconstructions: windows against reconstructions, channel by channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aekit.errors import InputError
from aekit.plots import plot_sequence_reconstructions


def test_writes_a_png_for_windows_and_univariate_windows(tmp_path: Path) -> None:
    x = np.sin(np.linspace(0, 6, 60)).reshape(3, 10, 2)
    path = plot_sequence_reconstructions(x, 0.9 * x, tmp_path / "w.png", n=2, errors=[0.1, 0.2, 0.3],
                                         channel_names=["temp", "flow"])
    assert path.read_bytes().startswith(b"\x89PNG")
    assert plot_sequence_reconstructions(x[..., 0], x[..., 0], tmp_path / "u.png").is_file()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"reconstructions": np.zeros((3, 10, 1))}, "same shape"),
    ({"errors": [1.0]}, "errors"),
    ({"channel_names": ["a", "b", "c"]}, "channel_names"),
])
def test_refuses_mismatches(tmp_path: Path, kwargs: dict, message: str) -> None:
    x = np.zeros((3, 10, 2))
    args = {"originals": x, "reconstructions": x, "path": tmp_path / "w.png", **kwargs}
    with pytest.raises(InputError, match=message):
        plot_sequence_reconstructions(**args)
