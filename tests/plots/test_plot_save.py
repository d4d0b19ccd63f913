import ast
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from aekit.plots._save import _atomic_savefig, _new_figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _figure() -> Figure:
    fig = _new_figure(3, 2)
    fig.subplots().plot([0, 1], [1, 0])
    return fig


def test_writes_a_png_and_leaves_no_temp_file(tmp_path):
    out = _atomic_savefig(_figure(), tmp_path / "deep" / "er" / "plot.png")
    assert out == tmp_path / "deep" / "er" / "plot.png"
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    assert [p.name for p in out.parent.iterdir()] == ["plot.png"]


def test_a_crash_while_saving_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "plot.png"
    target.write_bytes(b"old")
    fig = _figure()

    def half_then_crash(fh, **kwargs):
        fh.write(PNG_SIGNATURE + b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", half_then_crash)
    with pytest.raises(RuntimeError, match="disk full"):
        _atomic_savefig(fig, target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]


def test_plots_never_load_pyplot_or_torch(tmp_path):
    # The aekit package itself may load torch (estimators); the plot calls must add neither.
    code = (
        "import sys, numpy as np, aekit\n"
        "before = set(sys.modules)\n"
        "from aekit.plots import plot_reconstructions, plot_loss_curves\n"
        f"plot_reconstructions(np.zeros((2, 4, 4)), np.ones((2, 4, 4)), r'{tmp_path / 'a.png'}')\n"
        f"plot_loss_curves({{'train_loss': [1.0, 0.5]}}, r'{tmp_path / 'b.png'}')\n"
        "new = set(sys.modules) - before\n"
        "bad = sorted(m for m in new if m == 'matplotlib.pyplot' or m.split('.')[0] == 'torch')\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


ALLOWED_ROOTS = {"numpy", "matplotlib", "pandas", "__future__"} | set(sys.stdlib_module_names)


def test_plot_modules_import_only_their_layer():
    import aekit.plots

    for source in Path(aekit.plots.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            for name in names:
                # aekit.data is the one layer below plots (atomic files, input checks)
                ok = name.split(".")[0] in ALLOWED_ROOTS or name == "aekit.errors" or name.startswith(
                    ("aekit.plots", "aekit.data.")
                )
                assert ok, f"{source.name} imports {name}"
