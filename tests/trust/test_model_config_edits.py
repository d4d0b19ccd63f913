"""A model file edited and re-signed (its checksums recomputed, as an attacker would) is
refused at load with one ModelFileError, never a raw traceback later nor a silently
different model (issue #13, the hostile suite's findings)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import aekit
from aekit import Autoencoder
from aekit.cli.main import app
from aekit.errors import ModelFileError
from aekit.io.model_file import _sha256, config_digest
from aekit.io.tensors import load_tensors, save_tensors

X = np.random.default_rng(0).random((30, 6)).astype(np.float32)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("m")
    Autoencoder(latent_dim=2, hidden=(4,), epochs=1, random_state=0, verbose=False).fit(X).save(folder)
    return folder


def _edited(saved: Path, tmp_path: Path, edit: Any) -> Path:
    """A copy of the model with ``edit(config)`` applied and both checksums recomputed."""
    folder = tmp_path / "edited"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes((saved / "model.safetensors").read_bytes())
    config = json.loads((saved / "config.json").read_text())
    edit(config)
    config["config_sha256"] = config_digest(config)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def _set(path: str, value: Any) -> Any:
    def edit(config: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node[key]
        node[last] = value
    return edit


EDITS = {
    "params null": ("params", None),
    "params text": ("params", "evil text"),
    "params list": ("params", [1, 2]),
    "scaler null": ("fitted.scaler", None),
    "scaler text": ("fitted.scaler", "x"),
    "scaler list": ("fitted.scaler", [1]),
    "n_features text": ("fitted.n_features_in", "evil text"),
    "estimator list": ("estimator", ["Autoencoder"]),
    "input_shape 7": ("fitted.input_shape", [7]),
    "input_shape 1e9": ("fitted.input_shape", [10**9]),
    "input_shape text": ("fitted.input_shape", "text"),
    "input_shape nested": ("fitted.input_shape", [[6]]),
    "feature names 2 of 6": ("fitted.feature_names_in", ["a", "b"]),
    "hidden width 0": ("model.spec.hidden", [0]),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_an_edited_field_is_refused_at_load_in_one_error(saved: Path, tmp_path: Path, name: str) -> None:
    folder = _edited(saved, tmp_path, _set(*EDITS[name]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one error, no warning printed before it
        with pytest.raises(ModelFileError):
            aekit.load(folder)


def test_an_edit_is_one_line_through_the_cli(saved: Path, tmp_path: Path) -> None:
    folder = _edited(saved, tmp_path, _set("fitted.input_shape", [7]))
    (tmp_path / "new.csv").write_text("a,b,c,d,e,f\n" + "\n".join(",".join("0.5" for _ in range(6))
                                                                  for _ in range(5)) + "\n")
    for command in ("encode", "evaluate"):
        result = CliRunner().invoke(app, [command, str(folder), "--data", str(tmp_path / "new.csv")])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "input shape [7]" in result.output


def test_a_config_with_a_number_of_thousands_of_digits_is_refused(saved: Path, tmp_path: Path) -> None:
    folder = _edited(saved, tmp_path, lambda c: None)
    text = (folder / "config.json").read_text().replace('"latent_dim": 2', '"latent_dim": ' + "9" * 5000, 1)
    (folder / "config.json").write_text(text)
    with pytest.raises(ModelFileError, match="not valid JSON"):
        aekit.load(folder)


def test_integer_weights_are_refused_not_cast(saved: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ints"
    folder.mkdir()
    tensors, meta = load_tensors(saved / "model.safetensors")
    tensors = {k: (v.round().to(torch.int8) if k.startswith("module.") else v) for k, v in tensors.items()}
    save_tensors(folder / "model.safetensors", tensors, meta)
    config = json.loads((saved / "config.json").read_text())
    config["weights"]["sha256"] = _sha256(folder / "model.safetensors")
    config["config_sha256"] = config_digest(config)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match=r"is torch\.int8, where the model holds floating point weights"):
        aekit.load(folder)


def test_the_unedited_model_still_loads(saved: Path, tmp_path: Path) -> None:
    np.testing.assert_allclose(aekit.load(_edited(saved, tmp_path, lambda c: None)).transform(X),
                               aekit.load(saved).transform(X))
