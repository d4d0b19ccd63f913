"""Failures that used to end in a traceback give one clear line (issue #13): a full disk while
writing, a config nested past Python's limit, a VAE handed to the classifier commands."""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import aekit
from aekit import Autoencoder, VariationalAutoencoder
from aekit.cli.main import app
from aekit.data.files import atomic_write_bytes, atomic_write_files
from aekit.errors import DiskFullError, ModelFileError

X = np.random.default_rng(0).random((40, 5)).astype(np.float32)


def _fit(**kw) -> Autoencoder:
    return Autoencoder(latent_dim=2, hidden=(3,), epochs=1, random_state=0, verbose=False, **kw).fit(X)


def _no_space(monkeypatch: pytest.MonkeyPatch, *, after: int = 0) -> None:
    """Every file sync after the first ``after`` fails as on a full disk (where delayed allocation reports it)."""
    real, calls = os.fsync, {"n": 0}

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def _temps(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "metrics.json"
    target.write_bytes(b"old")
    _no_space(monkeypatch)
    with pytest.raises(DiskFullError, match=r"disk full while writing .*metrics\.json.*earlier metrics\.json is kept"
                                            r".*Free space.*--out") as info:
        atomic_write_bytes(target, b"new")
    assert isinstance(info.value, OSError)  # `except OSError` in user code still catches it
    assert target.read_bytes() == b"old" and _temps(tmp_path) == []


def test_a_model_save_that_runs_out_of_space_leaves_the_old_model_loadable(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    first = _fit()
    first.save(tmp_path / "m")
    before = {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()}
    for after in (0, 1):  # the weights' write fails, or the config's after the weights' succeeded
        with monkeypatch.context() as m:
            _no_space(m, after=after)
            with pytest.raises(DiskFullError, match="disk full while writing"):
                _fit(lr=0.5).save(tmp_path / "m")
        assert {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()} == before
        np.testing.assert_allclose(aekit.load(tmp_path / "m").transform(X), first.transform(X))


def test_files_written_together_are_replaced_together_or_not_at_all(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"old a")
    for after in (0, 1):  # whichever write fails, neither file is replaced
        with monkeypatch.context() as m:
            _no_space(m, after=after)
            with pytest.raises(DiskFullError, match="(no b was written|the earlier a is kept)"):
                atomic_write_files({a: b"new a", b: b"new b"})
        assert a.read_bytes() == b"old a" and not b.exists() and _temps(tmp_path) == []
    atomic_write_files({a: b"new a", b: b"new b"})
    assert (a.read_bytes(), b.read_bytes()) == (b"new a", b"new b")


def test_other_write_errors_are_not_called_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="I/O error") as info:
        atomic_write_bytes(tmp_path / "x", b"data")
    assert not isinstance(info.value, DiskFullError)


def test_aekit_train_on_a_full_disk_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "t.csv"
    table.write_text("a,b,c\n" + "\n".join(f"{i % 7},{i % 3},{i % 5}" for i in range(60)) + "\n")
    _no_space(monkeypatch)
    result = CliRunner().invoke(app, ["-q", "train", "--data", str(table), "--latent-dim", "2", "--epochs", "1",
                                      "-o", str(tmp_path / "run")])
    assert result.exit_code == 1, result.output
    assert "disk full while writing" in result.output and "Traceback" not in result.output


def _small_tmpfs(tmp_path: Path) -> Path:
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    return mnt


def test_a_real_full_disk_keeps_the_old_model(tmp_path: Path) -> None:
    mnt = _small_tmpfs(tmp_path)
    try:
        small = _fit()
        small.save(mnt / "m")
        before = {p.name: p.read_bytes() for p in (mnt / "m").iterdir()}
        big = Autoencoder(latent_dim=2, hidden=(4000,), epochs=1, random_state=0, verbose=False).fit(X)
        with pytest.raises(DiskFullError, match="disk full while writing"):
            big.save(mnt / "m")  # ~160 kB of weights on a 96 kB disk
        assert {p.name: p.read_bytes() for p in (mnt / "m").iterdir()} == before
        np.testing.assert_allclose(aekit.load(mnt / "m").transform(X), small.transform(X))
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_a_config_nested_past_pythons_limit_is_refused_in_one_line(tmp_path: Path) -> None:
    _fit().save(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelFileError, match="nests its JSON deeper"):
        aekit.load(tmp_path / "m")
    result = CliRunner().invoke(app, ["encode", str(tmp_path / "m"), "--data", "x.csv"])
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_a_deeply_nested_run_json_is_ignored_like_an_unreadable_one(tmp_path: Path) -> None:
    from aekit.apps.runs import load_run

    _fit().save(tmp_path / "m")
    (tmp_path / "m" / "run.json").write_text('{"a":' * 50_000 + "1" + "}" * 50_000)
    assert load_run(tmp_path / "m")[2] == {}


def test_classify_takes_a_vae_run_as_its_pretrained_encoder(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = rng.random((80, 4))
    table = tmp_path / "t.csv"
    table.write_text("a,b,c,d,label\n" + "\n".join(",".join(f"{v:.4f}" for v in r) + f",{int(r[0] > .5)}"
                                                     for r in rows) + "\n")
    VariationalAutoencoder(latent_dim=2, hidden=(4,), epochs=1, random_state=0, verbose=False).fit(
        rows.astype(np.float32)).save(tmp_path / "vae")
    result = CliRunner().invoke(app, ["-q", "classify", "--data", str(table), "--label-column", "label",
                                      "--pretrained", str(tmp_path / "vae"), "--epochs", "1", "--no-baseline",
                                      "-o", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert aekit.load(tmp_path / "c").autoencoder_.__class__ is VariationalAutoencoder
    json.loads((tmp_path / "c" / "metrics.json").read_text())  # the run finished and wrote its numbers


def test_classify_refuses_a_run_without_a_deterministic_encoder(tmp_path: Path) -> None:
    from aekit import AnomalyDetector

    AnomalyDetector(epochs=1, random_state=0, verbose=False).fit(X).save(tmp_path / "det")
    result = CliRunner().invoke(app, ["classify", "--data", "x.csv", "--pretrained", str(tmp_path / "det"),
                                      "-o", str(tmp_path / "c")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "AnomalyDetector" in result.output and "autoencoder run (dense, conv or VAE)" in result.output


def test_a_network_larger_than_the_machine_is_refused_before_allocation(monkeypatch) -> None:
    import os

    import numpy as np

    from aekit import Autoencoder
    from aekit.errors import InputError

    real = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: 0 if name == "SC_PHYS_PAGES" else real(name))  # no memory
    X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    with pytest.raises(InputError, match="parameters.*smaller latent_dim"):
        Autoencoder(latent_dim=2, epochs=1).fit(X)


def test_classify_refuses_a_continuous_label_column(tmp_path) -> None:
    import numpy as np
    import pandas as pd

    from aekit.apps.classify import classify_run
    from aekit.errors import InputError

    rng = np.random.default_rng(0)
    table = tmp_path / "t.csv"
    pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "y": rng.normal(size=60)}).to_csv(table,
                                                                                                      index=False)
    with pytest.raises(InputError, match="continuous target"):
        classify_run(str(table), tmp_path / "run", label_column="y", epochs=1)
    assert not (tmp_path / "run" / "model.safetensors").exists()


def test_a_save_killed_between_its_renames_is_finished_at_load(tmp_path: Path) -> None:
    import shutil

    X = np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32)
    old = Autoencoder(latent_dim=2, epochs=1, random_state=0).fit(X)
    new = Autoencoder(latent_dim=2, epochs=3, random_state=1).fit(X)
    old.save(tmp_path / "m")
    new.save(tmp_path / "new")
    # what a SIGKILL between the weights rename and the config rename leaves behind:
    shutil.copy(tmp_path / "new" / "model.safetensors", tmp_path / "m" / "model.safetensors")
    shutil.copy(tmp_path / "new" / "config.json", tmp_path / "m" / ".config.json.0123456789ab.tmp")
    with pytest.warns(UserWarning, match="interrupted"):
        loaded = aekit.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.transform(X), new.transform(X), atol=1e-6)
    assert (tmp_path / "m" / "config.json").read_bytes() == (tmp_path / "new" / "config.json").read_bytes()
    assert not list((tmp_path / "m").glob("*.tmp"))


def test_a_temp_config_that_does_not_fit_the_weights_is_not_used(tmp_path: Path) -> None:
    import shutil

    X = np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32)
    Autoencoder(latent_dim=2, epochs=1, random_state=0).fit(X).save(tmp_path / "m")
    Autoencoder(latent_dim=2, epochs=3, random_state=1).fit(X).save(tmp_path / "new")
    shutil.copy(tmp_path / "new" / "model.safetensors", tmp_path / "m" / "model.safetensors")
    edited = json.loads((tmp_path / "new" / "config.json").read_text())
    edited["params"]["epochs"] = 99  # its own checksum no longer holds
    (tmp_path / "m" / ".config.json.0123456789ab.tmp").write_text(json.dumps(edited))
    with pytest.raises(ModelFileError, match="SHA-256 differs"):
        aekit.load(tmp_path / "m")
