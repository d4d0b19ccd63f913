"""Columns renamed or reordered after fit are refused, never silently encoded (issue #13)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from aekit import Autoencoder, SequenceAutoencoder, VariationalAutoencoder
from aekit.cli.main import app
from aekit.errors import InputError

COLUMNS = [f"f{i}" for i in range(5)]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.random((40, 5)).astype(np.float32), columns=COLUMNS)


@pytest.fixture(scope="module", params=[Autoencoder, VariationalAutoencoder])
def fitted(request, frame):
    return request.param(latent_dim=2, hidden=(4,), epochs=1, batch_size=16, random_state=0,
                         verbose=False).fit(frame)


def test_fit_remembers_the_names(fitted) -> None:
    assert list(fitted.feature_names_in_) == COLUMNS


@pytest.mark.parametrize("method", ["transform", "predict", "score_samples"])
def test_reordered_columns_are_refused(fitted, frame, method) -> None:
    with pytest.raises(InputError, match=r"another order.*X\[\['f0', 'f1'"):
        getattr(fitted, method)(frame[COLUMNS[::-1]])


@pytest.mark.parametrize("method", ["transform", "predict", "score_samples"])
def test_renamed_columns_are_refused_naming_them(fitted, frame, method) -> None:
    renamed = frame.rename(columns={"f3": "g3"})
    with pytest.raises(InputError, match=r"missing \['f3'\]; unexpected \['g3'\]"):
        getattr(fitted, method)(renamed)


def test_same_columns_and_plain_arrays_still_work(fitted, frame) -> None:
    np.testing.assert_allclose(fitted.transform(frame), fitted.transform(frame.to_numpy()), rtol=1e-6)


def test_names_survive_save_and_load(fitted, frame, tmp_path: Path) -> None:
    import aekit

    fitted.save(tmp_path / "m")
    back = aekit.load(tmp_path / "m")
    with pytest.raises(InputError, match="another order"):
        back.transform(frame[COLUMNS[::-1]])


def test_sequence_series_with_reordered_channels_is_refused() -> None:
    t = np.linspace(0, 6, 120)
    series = pd.DataFrame({"temp": np.sin(t), "load": np.cos(t)})
    ae = SequenceAutoencoder(latent_dim=2, hidden_size=4, window=16, stride=8, epochs=1, random_state=0,
                             verbose=False).fit(series)
    with pytest.raises(InputError, match="another order"):
        ae.transform(series[["load", "temp"]])


def test_cli_encode_refuses_a_reordered_csv(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(60, 2)) @ rng.normal(size=(2, 6)) + 10.0,
                         columns=[f"f{i}" for i in range(6)])
    table.to_csv(tmp_path / "table.csv", index=False)
    runner = CliRunner()
    run = tmp_path / "run"
    result = runner.invoke(app, ["train", "--data", str(tmp_path / "table.csv"), "--epochs", "1", "--batch-size",
                                 "16", "--latent-dim", "2", "--hidden", "4", "--quiet", "--out", str(run)])
    assert result.exit_code == 0, result.output
    table[table.columns[::-1]].to_csv(tmp_path / "reordered.csv", index=False)
    result = runner.invoke(app, ["encode", str(run), "--data", str(tmp_path / "reordered.csv"),
                                 "--out", str(tmp_path / "codes.npy")])
    assert result.exit_code == 1
    assert "another order" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "codes.npy").exists()
    result = runner.invoke(app, ["encode", str(run), "--data", str(tmp_path / "table.csv"),
                                 "--out", str(tmp_path / "codes.npy")])
    assert result.exit_code == 0, result.output
