"""What every benchmark script shares: a one-line machine description and the rewrite of
the script's own section of BENCHMARKS.md (between ``<!-- name:start -->`` and
``<!-- name:end -->``), leaving every other section as it was."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
BENCH_MD = ROOT / "BENCHMARKS.md"
_NEW_FILE = "# Benchmarks\n\nEach section is written by the script it names; re-run the script to refresh it.\n\n"


def cpu() -> str:
    """'2-core AMD EPYC (AVX512), Linux'."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            name = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), name)
    except OSError:
        pass
    return f"{os.cpu_count()}-core {name} ({torch.backends.cpu.get_cpu_capability()}), {platform.system()}"


def machine() -> str:
    """'2-core AMD EPYC (AVX512), Linux, torch 2.13.0+cpu, 1 thread(s)'."""
    return f"{cpu()}, torch {torch.__version__}, {torch.get_num_threads()} thread(s)"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(name: str, body: str | list[str]) -> Path:
    """Replace section ``name`` of BENCHMARKS.md with ``body`` (or append it), atomically."""
    start, end = markers(name)
    text = body if isinstance(body, str) else "\n".join(body)
    section = f"{start}\n{text.rstrip()}\n{end}"
    old = BENCH_MD.read_text() if BENCH_MD.exists() else _NEW_FILE
    if start in old and end in old:
        new = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: section, old, flags=re.S)
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    tmp = BENCH_MD.with_name(f".{BENCH_MD.name}.{os.getpid()}.tmp")
    tmp.write_text(new)
    os.replace(tmp, BENCH_MD)
    return BENCH_MD
