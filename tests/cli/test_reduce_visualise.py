"""aekit reduce and aekit visualize (alias visualise) on trained runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

import aekit


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(1):  # t-SNE's OpenMP threads crawl on a shared, busy CPU
        yield


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def features(table: Path) -> np.ndarray:
    return pd.read_csv(table).drop(columns="label").to_numpy(np.float32)


def test_reduce_writes_the_codes(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("--quiet", "reduce", run, "--data", table, "--out", tmp_path / "codes.npy")
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(np.load(tmp_path / "codes.npy"), aekit.load(run).transform(features(table)),
                               rtol=1e-6)
    assert "60 codes of 3 values" in result.stdout
    assert not (run / "pca_comparison.png").exists()


def test_reduce_compare_pca_writes_plot_table_and_report(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("--quiet", "reduce", run, "--data", table, "--out", tmp_path / "codes.csv",
                 "--compare-pca", "--dims", "2,1", "--epochs", "1")
    assert result.exit_code == 0, result.output
    assert (run / "pca_comparison.png").read_bytes().startswith(b"\x89PNG")
    record = json.loads((run / "pca_comparison.json").read_text())
    assert [r["dim"] for r in record["rows"]] == [1, 2] and record["epochs"] == 1
    assert record["n_train"] == 54 and record["n_test"] == 6  # the fixed 10% held out
    assert all(r["ae_mse"] > 0 and r["pca_mse"] >= 0 for r in record["rows"])
    assert "autoencoder MSE" in result.stdout and "PCA MSE" in result.stdout
    assert "pca_comparison.png" in (run / "report.html").read_text()
    assert list(pd.read_csv(tmp_path / "codes.csv").columns) == ["z0", "z1", "z2"]


def test_reduce_refuses_bad_dims(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("reduce", run, "--data", table, "--compare-pca", "--dims", "2,x")
    assert result.exit_code == 2 and "--dims 2,8,32,64" in " ".join(result.output.split())
    message = one_line_error(cli("reduce", run, "--data", table, "--out", tmp_path / "c.npy", "--compare-pca",
                                 "--dims", "1,9"))
    assert "at most 6 components" in message


def test_visualize_table_run_writes_map_and_updates_the_report(cli, trained) -> None:
    run, table = trained
    result = cli("--quiet", "visualize", run, "--data", table, "--method", "pca")
    assert result.exit_code == 0, result.output
    for name in ("latent_map.png", "reconstructions.png"):
        assert (run / name).read_bytes().startswith(b"\x89PNG")
    assert not (run / "latent_grid.png").exists()  # 3-D codes of a table: no grid
    summary = json.loads((run / "latent_map.json").read_text())
    assert summary["method"] == "pca" and summary["n_points"] == 60 and 0 <= summary["knn_accuracy"] <= 1
    assert "latent_map.png" in (run / "report.html").read_text()
    assert "5-NN accuracy" in result.stdout


def test_visualize_prints_the_pca_map_beside_and_no_baseline_skips_it(cli, trained, tmp_path: Path) -> None:
    run, table = trained
    result = cli("--quiet", "visualize", run, "--data", table, "--method", "pca", "--out", tmp_path / "a")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "a" / "latent_map.json").read_text())
    assert summary["baseline"] == f"PCA-{summary['latent_dim']} codes, same map" and 0 <= summary["baseline_knn_accuracy"] <= 1
    assert f"(PCA codes: {summary['baseline_knn_accuracy']:.3f})" in result.stdout
    behind = summary["knn_accuracy"] < summary["baseline_knn_accuracy"]
    assert ("aekit loses to PCA here" in result.stdout) == behind

    result = cli("--quiet", "visualize", run, "--data", table, "--method", "pca", "--out", tmp_path / "b",
                 "--no-baseline")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "b" / "latent_map.json").read_text())
    assert summary["baseline"] is None and summary["baseline_knn_accuracy"] is None
    assert "PCA codes" not in result.stdout and "loses" not in result.stdout


def test_the_pca_baseline_map_scores_pca_codes_the_same_way() -> None:
    from sklearn.decomposition import PCA

    from aekit.apps.visualise import _map_accuracy, latent_map

    class Identity:  # a "model" whose codes are the first two PCA components: its map is the baseline's
        latent_dim = 2
        module_ = None  # what check_is_fitted looks for

        def __init__(self, X):
            self.pca = PCA(2, random_state=0).fit(X)

        def transform(self, X):
            return self.pca.transform(X)

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    X = rng.normal(size=(120, 6)) + 3 * y[:, None] * np.eye(6)[0]
    m = latent_map(Identity(X), X, y, method="latent")
    assert m.baseline_knn_accuracy == pytest.approx(m.knn_accuracy)
    assert m.baseline_knn_accuracy == pytest.approx(_map_accuracy(PCA(2, random_state=0).fit_transform(X), y, 5, 0))
    assert latent_map(Identity(X), X, y, method="latent", baseline=False).baseline_knn_accuracy is None


@pytest.fixture(scope="module")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from typer.testing import CliRunner

    from aekit.cli.main import app
    from tests.cli.conftest import FAST, make_images

    folder = tmp_path_factory.mktemp("images2d")
    images = make_images(folder)
    result = CliRunner().invoke(app, ["train", "--data", str(images), *FAST, "--latent-dim", "2",
                                      "--out", str(folder / "run")])
    assert result.exit_code == 0, result.output
    return folder / "run", images


def test_visualise_alias_draws_the_latent_grid_into_a_subfolder(cli, image_run) -> None:
    run, images = image_run
    result = cli("--quiet", "visualise", run, "--data", images, "--out", run / "maps", "--grid", "4")
    assert result.exit_code == 0, result.output
    for name in ("latent_map.png", "reconstructions.png", "latent_grid.png"):
        assert (run / "maps" / name).read_bytes().startswith(b"\x89PNG")
    assert json.loads((run / "maps" / "latent_map.json").read_text())["method"] == "latent"
    assert "maps/latent_grid.png" in (run / "report.html").read_text()


def test_visualize_outside_the_run_leaves_the_report_alone(cli, image_run, tmp_path: Path) -> None:
    run, images = image_run
    before = (run / "report.html").stat().st_mtime_ns
    result = cli("--quiet", "visualize", run, "--data", images, "--out", tmp_path / "elsewhere")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere" / "latent_map.png").exists()
    assert (run / "report.html").stat().st_mtime_ns == before


def test_visualize_latent_method_needs_a_2d_code(cli, trained) -> None:
    run, table = trained
    message = one_line_error(cli("visualize", run, "--data", table, "--method", "latent"))
    assert "needs latent_dim=2" in message and "latent_dim=3" in message


def test_visualize_umap_without_umap_learn_says_how_to_install(cli, trained, monkeypatch) -> None:
    run, table = trained
    monkeypatch.setitem(sys.modules, "umap", None)  # `import umap` raises ImportError
    message = one_line_error(cli("visualize", run, "--data", table, "--method", "umap"))
    assert "pip install 'aekit[umap]'" in message
