import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

import aekit.report
from aekit.errors import InputError
from aekit.plots import plot_latent_map, plot_loss_curves, plot_reconstructions
from aekit.report import write_report
from aekit.report._rundir import caption_for, format_value

EMBEDDED = "data:image/png;base64,"


@pytest.fixture
def run_dir(tmp_path):
    """A run folder as a training run leaves it: config, metrics, history and real plots."""
    run = tmp_path / "mnist-dense"
    run.mkdir()
    rng = np.random.default_rng(0)
    history = {"epoch": [1, 2, 3], "train_loss": [0.09, 0.05, 0.04], "val_loss": [0.08, 0.06, 0.05]}
    (run / "history.csv").write_text(
        "epoch,train_loss,val_loss\n" + "".join(f"{e},{t},{v}\n" for e, t, v in zip(*history.values()))
    )
    (run / "config.json").write_text(json.dumps({
        "latent_dim": 32,
        "hidden": [128, 64],
        "noise": {"kind": "gaussian", "factor": 0.3},
        "note": "<script>alert('x')</script>",
        "data_url": "https://example.com/mnist",
    }))
    (run / "metrics.json").write_text(json.dumps({"val_loss": 0.0512345, "psnr": 21.87654, "epochs": 3}))
    images = rng.random((4, 8, 8))
    plot_reconstructions(images, images, run / "reconstructions.png")
    plot_loss_curves(history, run / "loss_curves.png")
    (run / "extra").mkdir()
    plot_latent_map(rng.normal(size=(20, 2)), run / "extra" / "a_custom_view.png")
    (run / "extra" / "deeper").mkdir()
    plot_latent_map(rng.normal(size=(20, 2)), run / "extra" / "deeper" / "too_deep.png")
    (run / ".cache").mkdir()
    plot_latent_map(rng.normal(size=(20, 2)), run / ".cache" / "hidden.png")
    return run


def test_report_embeds_every_png_known_ones_first(run_dir):
    out = write_report(run_dir)
    assert out == run_dir / "report.html"
    page = out.read_text(encoding="utf-8")
    assert page.count(EMBEDDED) == 3  # two top-level, one in a sub-folder, none deeper
    assert "too_deep" not in page and "hidden.png" not in page
    order = [page.index(name) for name in ("loss_curves.png", "reconstructions.png", "extra/a_custom_view.png")]
    assert order == sorted(order)
    assert ">Loss curves<" in page and ">A custom view<" in page


def test_report_shows_metrics_history_and_flattened_config(run_dir):
    page = write_report(run_dir).read_text(encoding="utf-8")
    for text in ("0.05123", "21.88", ">noise.kind<", ">gaussian<", ">[128, 64]<", "3 epochs",
                 "(epoch 3)", "aekit run: mnist-dense"):
        assert text in page, text
    assert page.index('id="metrics"') < page.index('id="figures"') < page.index('id="config"')


def test_text_from_files_is_escaped(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    metrics["<b>key</b>"] = "<img src=x onerror=alert(1)>"
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    page = write_report(run_dir, title="</title><script>bad()</script>").read_text(encoding="utf-8")
    assert "<script" not in page and "<img src=x" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;key&lt;/b&gt;" in page


def test_report_references_no_network_resource(run_dir):
    page = write_report(run_dir).read_text(encoding="utf-8")
    assert "https://example.com/mnist" in page  # shown as text...
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", page, flags=re.IGNORECASE)
    assert refs and all(ref.startswith("data:image/png;base64,") for ref in refs)  # ...never loaded
    assert not re.search(r"<link|<script|@import|url\(", page, flags=re.IGNORECASE)


def test_metrics_alone_make_a_report(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"roc_auc": 0.9731, "n_flagged": 12}))
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert ">0.9731<" in page and ">12<" in page
    assert 'id="config"' not in page and 'id="training"' not in page and EMBEDDED not in page


def test_config_alone_makes_a_report_at_a_chosen_path(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text(json.dumps({"latent_dim": 2}))
    out = write_report(tmp_path / "run", path=tmp_path / "out" / "r.html", title="My run")
    assert out == tmp_path / "out" / "r.html"
    assert "<title>My run</title>" in out.read_text(encoding="utf-8")


def test_writing_twice_replaces_the_report_and_leaves_no_temp_files(run_dir):
    write_report(run_dir)
    first = sorted(p.name for p in run_dir.iterdir())
    page = write_report(run_dir).read_text(encoding="utf-8")
    assert sorted(p.name for p in run_dir.iterdir()) == first
    assert not [p for p in run_dir.rglob("*") if p.name.endswith(".tmp")]
    assert page.count(EMBEDDED) == 3


def test_an_empty_history_and_a_fake_png_are_reported_not_fatal(run_dir):
    (run_dir / "history.csv").write_text("")
    (run_dir / "broken.png").write_bytes(b"not a png")
    page = write_report(run_dir).read_text(encoding="utf-8")
    assert "has no epochs yet" in page
    assert "broken.png is not a valid PNG file" in page
    assert page.count(EMBEDDED) == 3


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_folder_that_is_not_a_run_is_refused(tmp_path, make):
    folder = tmp_path / "somewhere"
    if make == "empty":
        folder.mkdir()
        (folder / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match=r"somewhere is not an aekit run directory"):
        write_report(folder)
    assert not (folder / "report.html").exists()


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("config.json", "{latent_dim: 2", r"config.json could not be read as JSON"),
        ("metrics.json", "[1, 2]", r"metrics.json holds a JSON list, expected an object"),
    ],
)
def test_unreadable_files_are_named(tmp_path, name, content, match):
    (tmp_path / name).write_text(content)
    with pytest.raises(InputError, match=match):
        write_report(tmp_path)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.012345678, "0.01235"), (184.237, "184.2"), (3.2e-7, "3.2e-07"), (123456.78, "123456.8"),
        (30.0, "30"), (7, "7"), (True, "true"), (None, "null"), (float("nan"), "NaN"),
        ("cpu", "cpu"), ([1, 2], "[1, 2]"),
    ],
)
def test_number_formatting(value, text):
    assert format_value(value) == text


@pytest.mark.parametrize(
    ("name", "caption"),
    [("loss_curves.png", "Loss curves"), ("pca_comparison.png", "PCA comparison"),
     ("rate-distortion.png", "Rate distortion"), ("samples.png", "Samples")],
)
def test_captions_come_from_file_names(name, caption):
    assert caption_for(name) == caption


def test_report_imports_only_plots_data_and_errors_from_aekit():
    for source in Path(aekit.report.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.startswith("aekit"):
                assert node.module.split(".")[1] in {"data", "errors", "plots", "report"}, source.name
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("aekit.") and a.name.split(".")[1] not in
                               {"data", "errors", "plots", "report"} for a in node.names), source.name
