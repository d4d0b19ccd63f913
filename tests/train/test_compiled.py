"""``compile=True``: trains through torch.compile, or eagerly with one warning where it cannot."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from aekit import Autoencoder
from aekit.errors import InputError
from aekit.train import compiled as compiled_mod


def _data(n: int = 96, d: int = 12) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.random((n, 3)) @ rng.random((3, d)) / 3


def _fit(**kw) -> Autoencoder:
    return Autoencoder(latent_dim=3, epochs=3, batch_size=32, random_state=0, loss="mse", **kw).fit(_data())


def test_compile_trains_and_matches_eager():
    eager = _fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no fallback: it really compiled
        comp = _fit(compile=True)
    X = _data()
    # Same initial weights, same batches: compiled kernels reorder float sums, nothing more.
    np.testing.assert_allclose(comp.history_[-1]["loss"], eager.history_[-1]["loss"], rtol=1e-3)
    np.testing.assert_allclose(comp.transform(X), eager.transform(X), atol=1e-3)
    assert comp.get_params()["compile"] is True


def test_without_a_cpp_compiler_it_warns_and_trains_eagerly(monkeypatch):
    monkeypatch.setattr(compiled_mod, "cpp_compiler", lambda: None)
    called = []
    monkeypatch.setattr(torch, "compile", lambda *a, **k: called.append(1))
    with pytest.warns(RuntimeWarning, match="C\\+\\+ compiler"):
        model = _fit(compile=True)
    assert not called
    np.testing.assert_allclose(model.transform(_data()), _fit().transform(_data()), atol=1e-6)


def test_a_failed_compilation_falls_back_to_eager_once(monkeypatch):
    calls = []

    def broken(fn, **options):
        def run(x):
            calls.append(1)
            raise RuntimeError("inductor backend blew up\nlong traceback")
        return run

    monkeypatch.setattr(torch, "compile", broken)
    with pytest.warns(RuntimeWarning, match="torch.compile failed .RuntimeError: inductor backend blew up"):
        model = _fit(compile=True)
    assert len(calls) == 1  # tried once, then eager for every later batch
    np.testing.assert_allclose(model.transform(_data()), _fit().transform(_data()), atol=1e-6)


def test_an_error_of_the_data_is_not_hidden_by_the_fallback():
    """The compiled step fails, the fallback warns and retries eagerly, and the eager error is raised."""
    def bad_step(x):
        raise ZeroDivisionError("the data's own error")

    def compiled(x):
        raise RuntimeError("inductor failed on it")

    step = compiled_mod._CompiledStep(bad_step, compiled)
    with pytest.warns(RuntimeWarning, match="torch.compile failed"), \
            pytest.raises(ZeroDivisionError, match="the data's own error"):
        step(torch.zeros(1))
    assert step.fn is bad_step and not step.proven


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_compile_must_be_a_bool(bad):
    with pytest.raises(InputError, match="compile must be True or False"):
        _fit(compile=bad)


def _labelled_table(tmp_path) -> str:
    rng = np.random.default_rng(0)
    X = rng.random((120, 6))
    path = tmp_path / "t.csv"
    path.write_text("a,b,c,d,e,f,label\n" + "\n".join(",".join(f"{v:.4f}" for v in r) + f",{int(r[0] > .5)}"
                                                    for r in X) + "\n")
    return str(path)


@pytest.fixture
def compiled_steps(monkeypatch) -> list[object]:
    """Every step the trainer compiles (run eagerly here: the flag's plumbing is under test)."""
    from aekit.train import loop

    seen: list[object] = []

    def recording(eager, device, **options):
        seen.append(eager)
        return eager

    monkeypatch.setattr(loop, "compile_step", recording)
    return seen


def test_classify_compile_flag_reaches_both_trainings(tmp_path, compiled_steps):
    from typer.testing import CliRunner

    from aekit.cli.main import app

    result = CliRunner().invoke(app, ["-q", "classify", "--data", _labelled_table(tmp_path), "--label-column", "label",
                                      "--latent-dim", "2", "--epochs", "1", "--compile", "--no-baseline",
                                      "-o", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert len(compiled_steps) >= 2  # the autoencoder's training and the classifier's


def test_without_the_flag_nothing_is_compiled(tmp_path, compiled_steps):
    from typer.testing import CliRunner

    from aekit.cli.main import app

    result = CliRunner().invoke(app, ["-q", "classify", "--data", _labelled_table(tmp_path), "--label-column", "label",
                                      "--latent-dim", "2", "--epochs", "1", "--no-baseline", "-o", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert compiled_steps == []


def test_train_compile_flag_reaches_the_trainer(tmp_path, compiled_steps):
    from typer.testing import CliRunner

    from aekit.cli.main import app

    result = CliRunner().invoke(app, ["-q", "train", "--data", _labelled_table(tmp_path), "--latent-dim", "2",
                                      "--epochs", "1", "--compile", "--no-baseline", "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert len(compiled_steps) == 1
