"""Data-parallel training: two CPU processes (gloo) match one process with the same global batch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, *args, str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]


@pytest.mark.slow
def test_two_processes_match_one_and_only_rank0_writes(tmp_path):
    worker = str(ROOT / "tests" / "train" / "ddp_worker.py")
    _run([worker], tmp_path)  # one process, no torchrun
    _run(["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", worker], tmp_path)
    one = load_file(tmp_path / "weights-world1.safetensors")
    two = load_file(tmp_path / "weights-world2.safetensors")
    for k in one:
        # float32 sums in another order: agreement to ~1e-6 relative after 12 Adam steps
        torch.testing.assert_close(two[k], one[k], rtol=1e-4, atol=1e-5)
    assert (tmp_path / "ckpt-rank0" / "checkpoint.safetensors").is_file()
    assert not (tmp_path / "ckpt-rank1").exists()  # rank 1 wrote nothing
