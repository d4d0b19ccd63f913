"""ONNX export: every model kind's graphs give what the estimator gives, in raw units, at any batch size."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from aekit import Autoencoder, SequenceAutoencoder, VariationalAutoencoder  # noqa: E402
from aekit.apps.export import ExportResult, export_onnx  # noqa: E402
from aekit.errors import InputError, MissingDependencyError, NotFittedError  # noqa: E402
from aekit.io.onnx_export import read_metadata  # noqa: E402

N = 1000
TOL = 1e-5
FAST = dict(epochs=1, batch_size=128, random_state=0, verbose=False)


def _table(rng: np.random.Generator) -> np.ndarray:
    """Rank-2 rows in raw units (features spanning [-5, 5] and more), so min-max scaling is baked in."""
    X = rng.normal(size=(N, 2)) @ rng.normal(size=(2, 10)) * 2.0 + rng.normal(size=10)
    return X.astype(np.float32)


def _images(rng: np.random.Generator) -> np.ndarray:
    """(N, 1, 8, 8) bright squares in [0, 1]."""
    out = np.zeros((N, 1, 8, 8), np.float32)
    for i, (r, c) in enumerate(rng.integers(0, 5, size=(N, 2))):
        out[i, 0, r:r + 3, c:c + 3] = 1.0
    return out + 0.1 * rng.random(out.shape, dtype=np.float32) * (1 - out)


def _windows(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(N + 11)[:, None]
    series = np.sin(t / [3.0, 7.0]) * [5.0, 2.0] + [10.0, -1.0] + 0.1 * rng.normal(size=(N + 11, 2))
    return np.stack([series[i:i + 12] for i in range(N)]).astype(np.float32)  # (N, 12, 2)


CASES = {
    "dense": lambda: Autoencoder(3, hidden=(8,), **FAST),
    "conv": lambda: Autoencoder(4, model="conv", channels=(4, 8), **FAST),
    "vae": lambda: VariationalAutoencoder(3, hidden=(8,), likelihood="gaussian", **FAST),
    "conv-vae": lambda: VariationalAutoencoder(4, model="conv", channels=(4, 8), **FAST),
    "recurrent": lambda: SequenceAutoencoder(3, hidden_size=8, **FAST),
}
DATA = {"dense": _table, "conv": _images, "vae": _table, "conv-vae": _images, "recurrent": _windows}


@pytest.fixture(scope="module", params=list(CASES))
def exported(request, tmp_path_factory):
    """(kind, fitted estimator, its data, the OnnxExport), one export per model kind."""
    kind = request.param
    X = DATA[kind](np.random.default_rng(0))
    est = CASES[kind]().fit(X)
    files = est.to_onnx(tmp_path_factory.mktemp(f"onnx-{kind}"))
    return kind, est, X, files


def _run(path, name: str, value: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {name: value})[0]


def test_graphs_match_the_estimator_on_1000_rows(exported):
    kind, est, X, files = exported
    Z = est.transform(X)
    np.testing.assert_allclose(_run(files.encoder, "x", X), Z, rtol=0, atol=TOL)
    np.testing.assert_allclose(_run(files.decoder, "z", Z), est.inverse_transform(Z), rtol=0, atol=TOL)
    np.testing.assert_allclose(_run(files.model, "x", X), est.predict(X), rtol=0, atol=TOL)


def test_batch_axis_is_dynamic(exported):
    _, est, X, files = exported
    for rows in (X[:1], X[:7]):
        np.testing.assert_allclose(_run(files.model, "x", rows), est.predict(rows), rtol=0, atol=TOL)
    session = ort.InferenceSession(str(files.encoder), providers=["CPUExecutionProvider"])
    assert not isinstance(session.get_inputs()[0].shape[0], int)  # a named (symbolic) dimension


def test_metadata_names_version_kind_and_shape(exported):
    kind, est, X, files = exported
    for part, path in files.paths.items():
        meta = read_metadata(path)
        assert meta["part"] == part
        assert meta["model_kind"] == kind
        assert meta["estimator"] == type(est).__name__
        assert tuple(json.loads(meta["input_shape"])) == X.shape[1:]
        assert int(meta["latent_dim"]) == est.spec_.latent_dim
        assert meta["aekit_version"] == __import__("aekit").__version__
    assert {p.name for p in files.folder.iterdir()} == {"encoder.onnx", "decoder.onnx", "model.onnx"}


def test_export_leaves_the_estimator_as_it_was(exported):
    _, est, X, files = exported
    before = est.predict(X[:20])
    est.to_onnx(files.folder)  # overwrite in place
    assert not est.module_.training
    np.testing.assert_array_equal(est.predict(X[:20]), before)


def test_apps_export_from_a_run_folder_checks_against_pytorch(tmp_path):
    X = _table(np.random.default_rng(1))
    est = Autoencoder(3, hidden=(8,), **FAST).fit(X)
    est.save(tmp_path / "run")
    result = export_onnx(tmp_path / "run", tmp_path / "out")
    assert isinstance(result, ExportResult)
    assert result.source == tmp_path / "run" and result.model_kind == "dense"
    assert result.input_shape == (10,) and result.latent_dim == 3
    assert all(p.exists() and p.parent == tmp_path / "out" for p in result.paths.values())
    assert result.n_checked == 256 and result.max_abs_diff is not None and result.max_abs_diff <= TOL
    np.testing.assert_allclose(_run(result.model, "x", X), est.predict(X), rtol=0, atol=TOL)


def test_apps_export_refuses_what_is_not_an_autoencoder(tmp_path):
    with pytest.raises(InputError, match="fitted aekit autoencoder"):
        export_onnx(object(), tmp_path)  # type: ignore[arg-type]


def test_unfitted_estimator_is_refused(tmp_path):
    with pytest.raises(NotFittedError):
        Autoencoder().to_onnx(tmp_path)


def test_missing_onnx_names_the_install_command(tmp_path, monkeypatch):
    est = Autoencoder(2, hidden=(4,), **FAST).fit(_table(np.random.default_rng(2)))
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"aekit\[onnx\]"):
        est.to_onnx(tmp_path)
