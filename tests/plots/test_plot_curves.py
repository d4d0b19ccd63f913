import numpy as np
import pandas as pd
import pytest
from matplotlib.path import Path as MplPath
from PIL import Image

import aekit.plots.curves as curves
from aekit.errors import InputError
from aekit.plots import plot_loss_curves

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        return image.size


@pytest.fixture
def captured(monkeypatch):
    """The Figure each call saves, to check what was drawn, not only that a file exists."""
    figures = []
    save = curves._atomic_savefig

    def keep(fig, path):
        figures.append(fig)
        return save(fig, path)

    monkeypatch.setattr(curves, "_atomic_savefig", keep)
    return figures


def _history(epochs=12):
    e = np.arange(1, epochs + 1)
    return {
        "train_loss": list(0.1 / e + 0.01),
        "val_loss": list(0.11 / e + 0.015),
        "lr": [1e-3] * (epochs // 2) + [1e-4] * (epochs - epochs // 2),
        "accuracy": list(1 - 0.5 / e),
        "val_accuracy": list(1 - 0.6 / e),
    }


def test_losses_lr_and_accuracy_each_get_a_panel(tmp_path, captured):
    out = plot_loss_curves(_history(), tmp_path / "loss_curves.png")
    width, height = _png_size(out)
    assert 700 <= width <= 900 and height > width  # three stacked panels
    loss_ax, lr_ax, acc_ax = captured[0].axes
    assert [line.get_label() for line in loss_ax.lines][:2] == ["train_loss", "val_loss"]
    assert loss_ax.lines[1].get_linestyle() == "--"
    assert loss_ax.lines[0].get_color() == loss_ax.lines[1].get_color()  # same term, same colour
    assert lr_ax.get_yscale() == "linear"  # 1e-3 -> 1e-4 is one decade, not more
    assert [line.get_label() for line in acc_ax.lines] == ["accuracy", "val_accuracy"]
    assert acc_ax.get_ylim()[1] == 1.0


def test_only_losses_give_one_panel(tmp_path, captured):
    out = plot_loss_curves({"train_loss": [0.3, 0.2, 0.1]}, tmp_path / "l.png")
    width, height = _png_size(out)
    assert len(captured[0].axes) == 1 and width > height


def test_log_scale_when_losses_span_more_than_a_decade(tmp_path, captured):
    plot_loss_curves({"train_loss": [5.0, 0.5, 0.05]}, tmp_path / "a.png")
    plot_loss_curves({"train_loss": [0.5, 0.3, 0.1]}, tmp_path / "b.png")
    plot_loss_curves({"train_loss": [0.5, -0.3, -5.0]}, tmp_path / "c.png")  # e.g. a Gaussian NLL
    assert [fig.axes[0].get_yscale() for fig in captured] == ["log", "linear", "linear"]


def test_named_terms_are_plotted_and_best_val_loss_is_marked(tmp_path, captured):
    history = pd.DataFrame({
        "epoch": [0, 1, 2, 3],
        "train_loss": [3.0, 2.0, 1.5, 1.4],
        "val_loss": [3.1, 2.1, 1.6, 1.7],
        "train_recon": [2.0, 1.5, 1.2, 1.1],
        "val_kl": [1.0, 0.6, 0.4, 0.3],
        "kl_weight": [0.0, 0.5, 1.0, 1.0],
    })
    plot_loss_curves(history, tmp_path / "vae.png")
    labels = [line.get_label() for line in captured[0].axes[0].lines]
    assert {"train_loss", "val_loss", "train_recon", "val_kl"} <= set(labels)
    assert "kl_weight" not in labels and "epoch" not in labels
    assert "best val_loss (epoch 2)" in labels
    assert list(captured[0].axes[0].lines[0].get_xdata()) == [0, 1, 2, 3]  # the epoch column


def test_single_epoch_uses_markers(tmp_path, captured):
    out = plot_loss_curves({"train_loss": [0.2], "val_loss": [0.25]}, tmp_path / "one.png")
    _png_size(out)
    assert captured[0].axes[0].lines[0].get_marker() == "o"


def _drawn(line):
    """The points and the segments a line actually draws (NaNs removed, as the renderer does)."""
    path = line.get_path().cleaned(remove_nans=True)
    points, segments, previous = [], [], None
    for vertex, code in zip(path.vertices.tolist(), path.codes.tolist()):
        if code == MplPath.LINETO:
            segments.append((previous[0], vertex[0]))
        if code in (MplPath.MOVETO, MplPath.LINETO):
            points.append(vertex[0])
        previous = vertex
    return points, segments


def test_missing_validation_epochs_leave_gaps(tmp_path, captured):
    history = {"train_loss": [0.3, 0.2, 0.15, 0.1], "val_loss": [0.35, np.nan, 0.25, np.nan]}
    _png_size(plot_loss_curves(history, tmp_path / "gaps.png"))
    lines = {line.get_label(): line for line in captured[0].axes[0].lines}
    assert _drawn(lines["train_loss"]) == ([1.0, 2.0, 3.0, 4.0], [(1.0, 2.0), (2.0, 3.0), (3.0, 4.0)])
    # validation is drawn at epochs 1 and 3 only, with no segment bridging the missing epoch 2
    assert _drawn(lines["val_loss"]) == ([1.0, 3.0], [])
    assert lines["val_loss"].get_marker() == "o"  # so the isolated epochs still show
    assert "best val_loss (epoch 3)" in lines


@pytest.mark.parametrize(
    ("history", "match"),
    [
        ({"accuracy": [0.5, 0.6]}, r"no loss column \(columns: \['accuracy'\]\)"),
        ({"train_loss": [0.3, 0.2], "val_loss": [0.3]}, "different lengths"),
        ({"train_loss": []}, "no epochs"),
        ({"train_loss": ["low", "high"]}, "'train_loss' is not numeric"),
        ([0.3, 0.2], "dict of lists or a pandas DataFrame, got list"),
    ],
)
def test_bad_histories_are_refused(tmp_path, history, match):
    with pytest.raises(InputError, match=match):
        plot_loss_curves(history, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
