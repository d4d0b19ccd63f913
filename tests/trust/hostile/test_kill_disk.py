"""Killed at a random moment, two writers at once, a full disk, a read-only folder.

* ``aekit train`` in a real subprocess, SIGKILLed at random moments (seeded), resumed after
  each kill: after every kill each file of the run folder loads (or is absent), and the run
  resumed through all the kills ends with the weights of an uninterrupted run.
* every file writer of aekit, in a forked child rewriting one file in a loop, SIGKILLed at
  random moments: the file is always the old version or the new one, never a mix.
* two writers into one run folder at once: one wins, the other is refused in one line.
* a full disk (a 1 MB tmpfs, mounted when running as root) and a read-only folder (a tmpfs
  remounted read-only: root ignores file permissions): one line, nothing half-written.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

import aekit
from tests.trust.hostile.conftest import COLUMNS, TINY, table

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
LONG = ["--epochs", "20", "--batch-size", "8", "--latent-dim", "2", "--hidden", "8", "--quiet", "--no-baseline",
        "--random-state", "0"]


def check_folder(folder: Path) -> list[str]:
    """Every file of a run folder that exists must load; return the problems."""
    problems: list[str] = []
    if not folder.exists():
        return problems
    for p in sorted(folder.iterdir()):
        try:
            if p.name.endswith(".tmp") or p.name.startswith(".") or p.name.endswith(".lock"):
                continue
            if p.suffix == ".json":
                json.loads(p.read_text())
            elif p.suffix == ".safetensors":
                load_file(p)
            elif p.suffix == ".csv":
                pd.read_csv(p)
            elif p.suffix == ".png":
                with Image.open(p) as im:
                    im.load()
            elif p.suffix == ".html":
                assert p.read_text().rstrip().endswith("</html>"), "html cut short"
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{p.name}: {type(exc).__name__}: {exc}")
    if (folder / "config.json").exists():
        try:
            aekit.load(folder)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"aekit.load: {type(exc).__name__}: {exc}")
    return problems


def _train_argv(data: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "aekit.cli.main", "train", "--data", str(data), *LONG, "-o", str(out), *extra]


@pytest.fixture(scope="module")
def kill_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("kill")
    data = root / "t.csv"
    pd.DataFrame(table(800), columns=COLUMNS).to_csv(data, index=False)
    ref = root / "reference"
    start = time.monotonic()
    proc = subprocess.run(_train_argv(data, ref), capture_output=True, text=True, env=ENV, timeout=300, cwd=root)
    assert proc.returncode == 0, proc.stderr
    return {"root": root, "data": data, "ref": ref, "seconds": time.monotonic() - start, "kills": []}


KILLS = 4


@pytest.mark.slow
@pytest.mark.parametrize("k", range(KILLS))
def test_train_killed_at_a_random_moment(trust, kill_data: dict[str, Any], k: int) -> None:
    """Kill k of a chain: the run is restarted with --resume (or fresh, the first time) and killed again."""
    run = kill_data["root"] / "killed"
    rng = random.Random(1000 + k)
    delay = rng.uniform(0.35, 0.9) * kill_data["seconds"]
    argv = _train_argv(kill_data["data"], run, *(["--resume"] if run.exists() else []))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=kill_data["root"])
    try:
        proc.wait(timeout=delay)
        finished = True
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        finished = False
    err = proc.stderr.read().decode() if proc.stderr else ""
    kill_data["kills"].append((round(delay, 2), finished))
    problems = check_folder(run)
    if finished and proc.returncode != 0:
        trust.outcome_of("killed training runs", "traceback" if "Traceback" in err else "unclear_error",
                         f"exit {proc.returncode} before the kill: {err[-300:]}")
    elif problems:
        trust.outcome_of("killed training runs", "silent_wrong", f"after SIGKILL at {delay:.1f}s: {problems}")
    else:
        trust.outcome_of("killed training runs", "correct",
                         f"SIGKILL at {delay:.1f}s of ~{kill_data['seconds']:.0f}s"
                         f"{' (finished first)' if finished else ''}: every file loads")


@pytest.mark.slow
def test_resume_after_the_kills_equals_an_uninterrupted_run(trust, kill_data: dict[str, Any]) -> None:
    run = kill_data["root"] / "killed"
    argv = _train_argv(kill_data["data"], run, *(["--resume"] if run.exists() else []))
    proc = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=300, cwd=kill_data["root"])
    if proc.returncode != 0:
        trust.outcome_of("killed training runs", "traceback" if "Traceback" in proc.stderr else "unclear_error",
                         f"--resume failed: {proc.stderr[-300:]}")
        return
    got, want = load_file(run / "model.safetensors"), load_file(kill_data["ref"] / "model.safetensors")
    same = got.keys() == want.keys() and all(torch.equal(got[k], want[k]) for k in want)
    leftovers = [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
    if not same:
        trust.outcome_of("killed training runs", "silent_wrong", f"resumed weights differ from the uninterrupted run "
                                                                 f"(kills {kill_data['kills']})")
    elif leftovers:
        trust.outcome_of("killed training runs", "silent_wrong", f"temp files left: {leftovers}")
    else:
        trust.outcome_of("killed training runs", "correct", f"bit-identical after kills {kill_data['kills']}")


# -- every writer, killed mid-write ----------------------------------------------------------

def _versions() -> tuple[Any, Any]:
    return np.zeros((200, 50), np.float32), np.ones((200, 50), np.float32)


def _w_atomic_bytes(path: Path, v: np.ndarray) -> None:
    from aekit.data.files import atomic_write_bytes
    atomic_write_bytes(path, v.tobytes() * 20)


def _r_atomic_bytes(path: Path) -> float:
    data = np.frombuffer(path.read_bytes(), np.float32)
    assert data.size == 200 * 50 * 20, f"size {data.size}"
    assert np.all(data == data[0]), "mixed versions"
    return float(data[0])


def _w_tensors(path: Path, v: np.ndarray) -> None:
    from aekit.io.tensors import save_tensors
    save_tensors(path, {"a": torch.from_numpy(v), "b": torch.from_numpy(v * 1)}, {"x": "y"})


def _r_tensors(path: Path) -> float:
    t = load_file(path)
    assert torch.equal(t["a"], t["b"]) and bool((t["a"] == t["a"].flatten()[0]).all()), "mixed versions"
    return float(t["a"].flatten()[0])


def _w_json(path: Path, v: np.ndarray) -> None:
    from aekit.io.run_dir import write_json
    write_json(path, {"v": v[:50, :50].tolist()})


def _r_json(path: Path) -> float:
    arr = np.asarray(json.loads(path.read_text())["v"])
    assert arr.shape == (50, 50) and np.all(arr == arr[0, 0]), "mixed versions"
    return float(arr[0, 0])


def _w_history(path: Path, v: np.ndarray) -> None:
    from aekit.io.run_dir import write_history_csv
    write_history_csv(path, [{"epoch": i, "loss": float(v[0, 0])} for i in range(2000)])


def _r_history(path: Path) -> float:
    f = pd.read_csv(path)
    assert len(f) == 2000 and f["loss"].nunique() == 1, "mixed versions"
    return float(f["loss"][0])


def _w_array(path: Path, v: np.ndarray) -> None:
    from aekit.io.run_dir import write_array
    write_array(path, v)


def _r_array(path: Path) -> float:
    a = np.load(path)
    assert a.shape == (200, 50) and np.all(a == a[0, 0]), "mixed versions"
    return float(a[0, 0])


def _w_idx(path: Path, v: np.ndarray) -> None:
    from aekit.data.idx import write_idx
    write_idx(path, (v * 255).astype(np.uint8).reshape(200, 10, 5))


def _r_idx(path: Path) -> float:
    from aekit.data.idx import read_idx
    a = read_idx(path)
    assert a.shape == (200, 10, 5) and np.all(a == a.flat[0]), "mixed versions"
    return float(a.flat[0])


def _w_image(path: Path, v: np.ndarray) -> None:
    from aekit.data.images import write_image
    write_image(path, np.broadcast_to(v[:1, :1], (256, 256)).copy())


def _r_image(path: Path) -> float:
    with Image.open(path) as im:
        a = np.asarray(im)
    assert a.shape == (256, 256) and np.all(a == a[0, 0]), "mixed versions"
    return float(a[0, 0])


def _w_model(folder: Path, v: np.ndarray) -> None:
    from aekit.io.model_file import save_model
    save_model(folder, {"estimator": "none", "v": float(v[0, 0])}, {"w": torch.from_numpy(v)})


def _r_model(folder: Path) -> float:
    from aekit.io.model_file import load_model
    cfg, t = load_model(folder)
    assert bool((t["w"] == cfg["v"]).all()), "config and weights from different saves"
    return cfg["v"]


def _w_aek(path: Path, v: np.ndarray) -> None:
    from aekit.io.aek_format import open_aek
    with open_aek(path, model_sha256="ab" * 32, dtype="uint8", shape=(1, 8, 8)) as out:
        for _ in range(300):
            out.write(bytes([int(v[0, 0])]) * 40)


def _r_aek(path: Path) -> float:
    from aekit.io.aek_format import read_aek
    _, records = read_aek(path)
    assert len(records) == 300 and len(set(records)) == 1, "mixed versions"
    return float(records[0][0])


WRITERS: dict[str, tuple[str, Callable[[Path, np.ndarray], None], Callable[[Path], float]]] = {
    "atomic_write_bytes": ("f.bin", _w_atomic_bytes, _r_atomic_bytes),
    "save_tensors": ("t.safetensors", _w_tensors, _r_tensors),
    "write_json": ("m.json", _w_json, _r_json),
    "write_history_csv": ("history.csv", _w_history, _r_history),
    "write_array": ("codes.npy", _w_array, _r_array),
    "write_idx": ("x-idx3-ubyte", _w_idx, _r_idx),
    "write_image": ("img.png", _w_image, _r_image),
    "save_model": ("model", _w_model, _r_model),
    "open_aek": ("x.aek", _w_aek, _r_aek),
}


@pytest.mark.parametrize("moment", range(3))
@pytest.mark.parametrize("writer", list(WRITERS))
def test_writer_killed_mid_write(trust, tmp_path: Path, writer: str, moment: int) -> None:
    name, write, read = WRITERS[writer]
    target = tmp_path / name
    a, b = _versions()
    write(target, a)
    pid = os.fork()
    if pid == 0:  # the child rewrites the file, alternating versions, until killed
        try:
            i = 0
            while True:
                write(target, b if i % 2 == 0 else a)
                i += 1
        finally:
            os._exit(1)
    time.sleep(random.Random(f"{writer}{moment}").uniform(0.05, 0.6))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    trust.api("writers killed mid-write", lambda: read(target), check=lambda v: v in (0.0, 1.0, 255.0), valid=True)


# -- two writers at once ------------------------------------------------------------------------

def _forked_cli(argv: list[str]) -> int:
    """Run ``aekit argv`` in a forked child; return its pid (exit status: the command's exit code)."""
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            from typer.testing import CliRunner

            from aekit.cli.main import app
            result = CliRunner().invoke(app, argv)
            code = result.exit_code if not (result.exception and not isinstance(result.exception, SystemExit)) else 4
            with open(f"{argv[-1]}.{os.getpid()}.err", "w") as f:
                f.write(result.stderr or "")
        finally:
            os._exit(code)
    return pid


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fresh", "resume", "overwrite"])
def test_two_trainings_into_one_folder(trust, material, tmp_path: Path, mode: str) -> None:
    data = tmp_path / "t.csv"
    pd.DataFrame(table(800), columns=COLUMNS).to_csv(data, index=False)
    run = tmp_path / "run"
    extra = {"fresh": [], "resume": ["--resume"], "overwrite": ["--overwrite"]}[mode]
    argvs = [["train", "--data", str(data), *LONG[:1], "8", *LONG[2:], *extra, "-o", str(run)] for _ in range(2)]
    argvs[1][argvs[1].index("--latent-dim") + 1] = "3"  # the second run is another model
    pids = [_forked_cli(argv) for argv in argvs]
    codes = []
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        codes.append(os.waitstatus_to_exitcode(status))
    errs = [(Path(f"{run}.{pid}.err").read_text() if Path(f"{run}.{pid}.err").exists() else "") for pid in pids]
    problems = check_folder(run)
    if 4 in codes:
        trust.outcome_of("concurrent writers", "traceback", f"exit codes {codes}: {errs}")
    elif problems:
        trust.outcome_of("concurrent writers", "silent_wrong", f"exit codes {codes}; folder: {problems}")
    elif codes.count(0) == 2 and mode == "overwrite" and _consistent(run):
        trust.outcome_of("concurrent writers", "correct", "both exited 0 (one after the other: --overwrite); "
                                                          "the folder is one complete run")
    elif codes.count(0) == 2:
        trust.outcome_of("concurrent writers", "silent_wrong", "both runs exited 0 into one folder: one replaced the other")
    elif codes.count(0) == 1:
        loser = errs[codes.index(1)] if 1 in codes else ""
        ok = loser.startswith("error: ") and loser.count("\n") == 1
        trust.outcome_of("concurrent writers", "clear_error" if ok else "unclear_error",
                         f"exit codes {codes}; the refused one said: {' '.join(loser.split())[:200]}")
    else:
        trust.outcome_of("concurrent writers", "unclear_error", f"neither run finished: {codes} {errs}")


def _consistent(run: Path) -> bool:
    """run.json and the model agree on the latent size: the folder is one run, not a mix of two."""
    try:
        params = json.loads((run / "run.json").read_text())["params"]
        return params["latent_dim"] == aekit.load(run).latent_dim
    except Exception:  # noqa: BLE001
        return False


@pytest.mark.parametrize("k", range(3))
def test_two_saves_into_one_model_folder(trust, tmp_path: Path, k: int) -> None:
    """save_model from two processes at once, many times: the pair on disk always belongs together."""
    folder = tmp_path / "model"
    a, b = _versions()
    _w_model(folder, a)
    pids = []
    for v in (a, b):
        pid = os.fork()
        if pid == 0:
            try:
                for _ in range(15):
                    _w_model(folder, v)
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    trust.api("concurrent writers", lambda: _r_model(folder), check=lambda v: v in (0.0, 1.0), valid=True)


# -- a full disk, a read-only folder ------------------------------------------------------------

@contextlib.contextmanager
def tmpfs(where: Path, size: str = "1m") -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                      capture_output=True).returncode != 0:
        pytest.skip("mount -t tmpfs is not allowed here")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(disk: Path, leave: int) -> None:
    """Fill the tmpfs but ``leave`` bytes."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with open(disk / "ballast", "wb") as f:
        f.write(bytes(max(free - leave, 0)))


def remount_ro(disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True, capture_output=True)


def _no_temps(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*.tmp")] if folder.exists() else []


DISK_CASES = {
    "train_into_full_disk": (8_000, lambda m, d, t: ["train", "--data", m["csv"], *TINY, "-o", d / "run"]),
    "train_into_nearly_full_disk": (60_000, lambda m, d, t: ["train", "--data", m["csv"], *TINY, "-o", d / "run"]),
    "encode_out_on_full_disk": (0, lambda m, d, t: ["encode", m["run"], "--data", m["csv"], "--out", d / "codes.csv"]),
    "compress_onto_full_disk": (0, lambda m, d, t: ["compress", m["comp"], "--data", m["images"], "--out", d / "x.aek"]),
    "decompress_onto_full_disk": (0, lambda m, d, t: ["decompress", m["aek"], "--model", m["comp"], "--out", d / "dec"]),
    "export_onto_full_disk": (4_000, lambda m, d, t: ["export", m["run"], "--out", d / "m.onnx"]),
}


@pytest.mark.parametrize("name", list(DISK_CASES))
def test_full_disk(trust, material, tmp_path: Path, name: str) -> None:
    leave, argv = DISK_CASES[name]
    with tmpfs(tmp_path / "disk") as disk:
        fill(disk, leave)
        args = [str(a) for a in argv(material, disk, tmp_path)]
        trust.isolated("full disk", lambda t: t.cli("full disk", args, expect=r"space|disk|full|write|Errno 28"),
                       timeout=150)
        leftovers = _no_temps(disk)
    assert not leftovers, f"temp files left on the full disk: {leftovers}"


def test_full_disk_keeps_the_old_model(trust, material, tmp_path: Path) -> None:
    """Saving over a model on a full disk fails in one error and leaves the old pair loadable."""
    with tmpfs(tmp_path / "disk", "2m") as disk:
        model = aekit.load(material["run"])
        model.save(disk / "m")
        fill(disk, 2_000)
        bigger = aekit.Autoencoder(latent_dim=2, hidden=(256,), epochs=1, random_state=0, verbose=False).fit(table())
        trust.api("full disk", lambda: bigger.save(disk / "m"), expect=r"space|disk|full|Errno 28")
        old = aekit.load(disk / "m").transform(table())
        leftovers = _no_temps(disk)
    assert np.allclose(old, model.transform(table())), "the old model changed"
    assert not leftovers, leftovers


READ_ONLY = {
    "load_from_read_only": "load",
    "encode_with_model_on_read_only": "encode",
    "train_into_read_only": "train",
    "resume_in_read_only_run": "resume",
    "save_into_read_only": "save",
    "encode_out_into_read_only": "encode_out",
    "evaluate_read_only_run": "evaluate",
}


@pytest.mark.parametrize("name", list(READ_ONLY))
def test_read_only_folder(trust, material, tmp_path: Path, name: str) -> None:
    what = READ_ONLY[name]
    with tmpfs(tmp_path / "ro", "8m") as ro:
        import shutil
        shutil.copytree(material["run"], ro / "run")
        remount_ro(ro)
        frame = pd.DataFrame(table(), columns=COLUMNS)
        words = r"read-only|permission|write|Errno 30"
        if what == "load":
            trust.api("read-only folders", lambda: aekit.load(ro / "run").transform(frame),
                      check=lambda c: c.shape == (60, 2), valid=True)
        elif what == "save":
            trust.api("read-only folders", lambda: aekit.load(material["run"]).save(ro / "m2"), expect=words)
        else:
            argv = {"encode": ["encode", ro / "run", "--data", material["csv"], "--out", tmp_path / "c.npy"],
                    "evaluate": ["evaluate", ro / "run", "--data", material["csv"]],
                    "train": ["train", "--data", material["csv"], *TINY, "-o", ro / "new"],
                    "resume": ["train", "--data", material["csv"], *TINY, "-o", ro / "run", "--resume"],
                    "encode_out": ["encode", material["run"], "--data", material["csv"], "--out", ro / "c.npy"]}[what]
            good = what == "encode"  # evaluate writes its table into the run folder: a clear refusal is fine too
            check = (lambda r: (tmp_path / "c.npy").is_file()) if what == "encode" else (
                (lambda r: "MSE" in r.output) if what == "evaluate" else None)
            trust.isolated("read-only folders", lambda t: t.cli("read-only folders", [str(a) for a in argv],
                                                                expect=words, check=check, valid=good), timeout=150)
