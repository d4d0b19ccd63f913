"""The allocator tuning of a fit: real page faults saved on glibc, nothing touched elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from aekit.train import memory
from aekit.train.memory import reuse_freed_memory

glibc_only = pytest.mark.skipif(memory._glibc() is None, reason="the tuning acts on glibc's allocator only")

# A fresh process: glibc's thresholds are process-wide, and this one's may have been moved already.
_CONV_STEPS = """
import resource, torch
from torch import nn
from aekit.train.memory import reuse_freed_memory
torch.set_num_threads(1)
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
                    nn.Conv2d(16, 1, 3, padding=1))
x = torch.rand(128, 1, 28, 28)
def faults(n=5):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        net(x).square().mean().backward()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults(2)
plain = faults()
with reuse_freed_memory() as tuned:
    faults(2)
    inside = faults()
print(int(tuned), plain, inside)
"""


@glibc_only
def test_training_steps_stop_faulting_in_their_pages():
    """Each conv step frees 6 MB activations that glibc would hand back to the kernel and
    fault in again on the next step; inside the block they are reused."""
    out = subprocess.run([sys.executable, "-c", _CONV_STEPS], capture_output=True, text=True, check=True, timeout=300)
    tuned, plain, inside = map(int, out.stdout.split())
    assert tuned == 1
    assert plain > 1000  # the pattern the tuning is for (glibc's defaults fault here)
    assert inside < plain / 20


@glibc_only
def test_the_opt_out_and_nesting():
    script = ("from aekit.train.memory import reuse_freed_memory\n"
              "with reuse_freed_memory() as a:\n"
              "    with reuse_freed_memory() as b:\n"
              "        pass\n"
              "print(int(a), int(b))\n")
    assert subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True).stdout.split() == ["1", "1"]
    off = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "AEKIT_MALLOC_TUNING": "0"})
    assert off.stdout.split() == ["0", "0"]
    theirs = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            env={**os.environ, "GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1000000"})
    assert theirs.stdout.split() == ["0", "0"]  # the user's own malloc settings stand


def test_off_is_a_no_op():
    with reuse_freed_memory(False) as tuned:
        assert tuned is False
    assert memory._depth[0] == 0
