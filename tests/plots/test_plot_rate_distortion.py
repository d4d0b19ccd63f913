"""Rate–distortion figures: one panel per data set, curves sorted by rate, bad input refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from aekit.errors import InputError
from aekit.plots.rate_distortion import rate_distortion_figure, save_figure

CURVES = {"MNIST": {"aekit": ([0.3, 0.1], [24.0, 18.0]), "JPEG": ([0.5, 1.0, 2.0], [20.0, 25.0, 33.0])},
          "Fashion": {"aekit": ([0.2, 0.4], [20.0, 23.0])}}


def test_one_panel_per_set_with_points_in_rate_order(tmp_path: Path) -> None:
    fig = rate_distortion_figure(CURVES, highlight="aekit", title="RD")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    line = fig.axes[0].get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), [0.1, 0.3])
    np.testing.assert_array_equal(line.get_ydata(), [18.0, 24.0])
    assert line.get_linewidth() > fig.axes[0].get_lines()[1].get_linewidth()  # the highlighted codec
    path = save_figure(fig, tmp_path / "sub" / "rd.png")
    assert Image.open(path).size[0] > 500


@pytest.mark.parametrize("bad", [{}, {"MNIST": {"a": ([0.1, 0.2], [1.0])}}, {"MNIST": {"a": ([0.1], [np.nan])}}])
def test_bad_curves_are_refused(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError):
        rate_distortion_figure(bad)
