"""Optional ``torch.compile`` of the training step, with an eager fallback that says why.

``TrainConfig(compile=True)`` compiles the objective applied to the module (forward and
loss; AOTAutograd compiles the backward with it) once per run. On the CPU, TorchInductor
generates C++ and needs a C++ compiler: without one, or when compilation fails for any
other reason (an unsupported op, an old Python), training goes on eagerly after a
one-line warning instead of stopping. Whether compiling pays is measured in
``benchmarks/bench_speed.py`` (section speed-compile of BENCHMARKS.md); the default is eager.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable
from typing import Any

import torch

Step = Callable[[torch.Tensor], dict[str, torch.Tensor]]


def cpp_compiler() -> str | None:
    """The C++ compiler TorchInductor would use on the CPU (``$CXX``, else c++/g++/clang++), or None."""
    for name in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if name and shutil.which(name):
            return name
    return None


class _CompiledStep:
    """Calls the compiled step; on the first call's failure, warns once and runs eagerly from then on."""

    def __init__(self, eager: Step, compiled: Step) -> None:
        self.eager, self.compiled = eager, compiled
        self.fn: Step = compiled
        self.proven = False

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.proven:
            return self.fn(x)
        try:
            out = self.fn(x)
        except Exception as exc:  # compilation errors surface on the first call, of many kinds
            if self.fn is self.eager:
                raise
            first_line = str(exc).splitlines()[0][:200] if str(exc) else ""
            warnings.warn(f"torch.compile failed ({type(exc).__name__}: {first_line}); training eagerly instead "
                          "(compile=False does this without trying).", RuntimeWarning, stacklevel=2)
            self.fn = self.eager
            out = self.fn(x)
        self.proven = True
        return out


def compile_step(eager: Step, device: torch.device, **options: Any) -> Step:
    """``eager`` compiled with ``torch.compile`` when that can work here, else ``eager`` itself.

    The returned callable falls back to ``eager`` (with a warning) if compiling fails at
    its first call. ``options`` go to ``torch.compile``.
    """
    if device.type == "cpu" and cpp_compiler() is None:
        warnings.warn("compile=True needs a C++ compiler on the CPU (TorchInductor generates C++) and none was found "
                      "(install g++ or clang, or set CXX); training eagerly.", RuntimeWarning, stacklevel=2)
        return eager
    return _CompiledStep(eager, torch.compile(eager, **options))
