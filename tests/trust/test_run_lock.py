"""One writer per run folder (issue #13): a second writer is refused naming the first one's
process id; a lock left by a killed process is taken over with a warning."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aekit import Autoencoder
from aekit.cli.main import app
from aekit.errors import InputError
from aekit.io.run_dir import LOCK_NAME, create_run_dir, locked_run_dir, run_lock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="run folders are locked with fcntl.flock")

HOLD = textwrap.dedent("""
    import sys, time
    from aekit.io.run_dir import run_lock
    with run_lock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(120)
""")


@pytest.fixture
def holder(tmp_path: Path):
    """Another process holding the lock of tmp_path / 'run' until the test ends (or kills it)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "run")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


def _table(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    rows = np.random.default_rng(0).random((60, 4))
    path.write_text("a,b,c,d\n" + "\n".join(",".join(f"{v:.4f}" for v in r) for r in rows) + "\n")
    return path


def test_a_second_writer_is_refused_naming_the_holder(tmp_path: Path, holder: subprocess.Popen) -> None:
    with pytest.raises(InputError, match=rf"run folder .*run is in use by process {holder.pid} \(.*\), since .*"
                                         r"Wait for that run to finish.*another folder \(--out\)"):
        with run_lock(tmp_path / "run"):
            pass
    assert (tmp_path / "run" / LOCK_NAME).exists()  # the holder's lock is left alone


def test_two_aekit_train_resume_into_one_folder_do_not_both_succeed(tmp_path: Path, holder: subprocess.Popen) -> None:
    result = CliRunner().invoke(app, ["-q", "train", "--data", str(_table(tmp_path)), "--epochs", "1", "--resume",
                                      "-o", str(tmp_path / "run")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"in use by process {holder.pid}" in result.output
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [LOCK_NAME]  # nothing of the holder's replaced


def test_a_lock_whose_process_was_killed_is_taken_over_with_a_warning(tmp_path: Path,
                                                                     holder: subprocess.Popen) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    stale = json.loads((tmp_path / "run" / LOCK_NAME).read_text())
    assert stale["pid"] == holder.pid
    result = CliRunner().invoke(app, ["-q", "train", "--data", str(_table(tmp_path)), "--epochs", "1", "--resume",
                                      "--no-baseline", "-o", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert f"warning: took over the lock of {tmp_path / 'run'}: process {holder.pid}" in result.output
    assert (tmp_path / "run" / "model.safetensors").exists() and not (tmp_path / "run" / LOCK_NAME).exists()


def test_the_lock_is_reentrant_in_one_process_and_removed_when_released(tmp_path: Path) -> None:
    with run_lock(tmp_path / "run") as folder:
        info = json.loads((folder / LOCK_NAME).read_text())
        assert info["pid"] == os.getpid()
        with run_lock(folder):  # aekit train holds it, and the training loop takes it again
            pass
        assert (folder / LOCK_NAME).exists()
    assert not (folder / LOCK_NAME).exists()


def test_a_lock_alone_is_not_a_run(tmp_path: Path) -> None:
    with run_lock(tmp_path / "run"):
        create_run_dir(tmp_path / "run")  # no --resume needed: the folder holds no run yet


def test_a_folder_created_for_a_run_that_wrote_nothing_is_removed(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with locked_run_dir(tmp_path / "new"):
            raise RuntimeError("boom")
    assert not (tmp_path / "new").exists()


def test_fit_with_a_checkpoint_folder_in_use_is_refused(tmp_path: Path, holder: subprocess.Popen) -> None:
    X = np.random.default_rng(0).random((30, 4)).astype(np.float32)
    with pytest.raises(InputError, match=f"in use by process {holder.pid}"):
        Autoencoder(latent_dim=2, epochs=1, verbose=False).fit(X, checkpoint_dir=tmp_path / "run")


def test_the_lock_is_released_by_a_killed_holder_at_once(tmp_path: Path, holder: subprocess.Popen) -> None:
    holder.kill()
    holder.wait()
    t0 = time.perf_counter()
    with pytest.warns(UserWarning, match=f"took over the lock .*: process {holder.pid} .* held it and is gone"):
        with run_lock(tmp_path / "run"):
            pass
    assert time.perf_counter() - t0 < 1.0


def test_a_save_into_a_folder_another_process_writes_is_refused(tmp_path: Path, holder: subprocess.Popen) -> None:
    X = np.random.default_rng(0).random((30, 4)).astype(np.float32)
    model = Autoencoder(latent_dim=2, epochs=1, verbose=False).fit(X)
    with pytest.raises(InputError, match=f"in use by process {holder.pid}"):
        model.save(tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [LOCK_NAME]
