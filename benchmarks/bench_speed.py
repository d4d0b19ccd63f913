"""Speed of aekit against hand-written PyTorch, conv layouts, and inference beside ONNX Runtime (issue #14).

Claims checked, all in this one process:

- **dense**: 784-32-784 on full MNIST (batch 256, Adam 1e-3, BCE): aekit's median epoch
  (``Autoencoder(loss="bce").fit``, its defaults otherwise) against the loop an expert writes
  (``binary_cross_entropy_with_logits``, ``Adam(fused=True)``, ``index_select`` batches,
  nothing else) and the tutorial loop (``nn.Sigmoid`` + ``nn.BCELoss``, stock Adam,
  ``X[perm]``), at 1 and 2 threads. Target: aekit / expert <= 1.00. The FLOP floor is
  18.1 GFLOP per epoch at this machine's measured float32 matmul peak, and a profile of
  aekit's step says where the rest goes.
- **conv**: conv autoencoders (16, 32) and (32, 64) and a conv VAE on 12,000 MNIST images,
  epochs of aekit's loop as it is against the same loop with this issue's step changes
  switched off (``_as_before``: NCHW, PyTorch's BCE, glibc's allocator at its defaults) and
  the model's stages rebuilt as they were (``_layers_as_before``).
  Target: >= 1.4x faster per epoch for both autoencoders.
- **inference**: ``transform`` and ``predict`` rows per second beside ONNX Runtime on the
  graphs ``to_onnx`` wrote, at batch 1 and batch 4,096.
- **keras**: the same dense 784-32-784 and conv (16, 32) autoencoders in Keras 3 on the
  torch backend (``model.fit``, one epoch per round; its epoch timed between Keras's own
  epoch callbacks) beside aekit's loop on the same images. Target (conv): aekit >= 2x.
- **compile**: aekit's loop eager against ``TrainConfig(compile=True)`` (``torch.compile``
  of the training step), dense and conv (16, 32) and (32, 64); the first (dropped) round holds the
  compilation, reported on its own.

Fair timing on a shared machine: every contender runs in this process with the same
thread count, interleaved round by round in rotating order; the first round of each is a
warm-up and is dropped; tables give medians and ratios of medians. The load average
before and after is printed, since other jobs share the cores.

Run ``python benchmarks/bench_speed.py`` (writes the sections speed-dense, speed-conv and
speed-inference of BENCHMARKS.md, those of the parts it ran: ``--parts dense,conv,inference``);
``--quick`` for a smoke run that writes nothing; ``--device cuda --amp`` from
``benchmarks/gpu_check.sh``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from _keras import KerasFit
from _report import cpu, write_section

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
N_IN, LATENT, BATCH, LR = 784, 32, 256, 1e-3
GFLOP_EPOCH = 60000 * 3 * (2 * N_IN * LATENT * 2) / 1e9  # forward 2 matmuls; training ~ 3x forward


# ----------------------------------------------------------------------------- data and helpers
def mnist(root: Path, n: int | None = None) -> np.ndarray:
    """(N, 1, 28, 28) float32 in [0, 1]."""
    from aekit.data import load_dataset

    ds = load_dataset("mnist", split="train", root=root / "mnist" if (root / "mnist").is_dir() else root,
                      download=False)
    X = np.asarray(ds.X[:n] if n else ds.X, dtype=np.float32).reshape(-1, 1, 28, 28)
    return X / 255.0 if X.max() > 1.0 else X


def matmul_peak(n: int = 1024, reps: int = 8) -> float:
    """Best GFLOP/s of an n x n float32 matmul at the current thread count."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b)) for _ in range(reps))
    return 2 * n ** 3 / best / 1e9


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleave(contenders: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run each contender's epoch once per round, in rotating order; each returns its seconds."""
    names = list(contenders)
    times: dict[str, list[float]] = {k: [] for k in names}
    for r in range(rounds):
        for k in names[r % len(names):] + names[:r % len(names)]:
            times[k].append(contenders[k]())
        print(f"  round {r + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items()), flush=True)
    return times


def med(ts: list[float]) -> float:
    return statistics.median(ts[1:] if len(ts) > 1 else ts)  # the first round is a warm-up


def load_avg() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


# ----------------------------------------------------------------------------- dense contenders
class Expert:
    """The loop an expert writes: logits + BCE-with-logits, fused Adam, index_select batches, nothing else."""

    def __init__(self, X: torch.Tensor, device: torch.device, amp: bool) -> None:
        torch.manual_seed(0)
        self.X, self.amp, self.device = X, amp, device
        self.model = nn.Sequential(nn.Linear(N_IN, LATENT), nn.ReLU(), nn.Linear(LATENT, N_IN)).to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR, fused=True)
        self.gen = torch.Generator().manual_seed(0)

    def epoch(self) -> float:
        _sync(self.device)
        t0 = time.perf_counter()
        perm = torch.randperm(len(self.X), generator=self.gen).to(self.device)
        for s in range(0, len(self.X), BATCH):
            xb = self.X.index_select(0, perm[s:s + BATCH])
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
                loss = F.binary_cross_entropy_with_logits(self.model(xb), xb)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
        _sync(self.device)
        return time.perf_counter() - t0


class Tutorial:
    """The tutorial loop: Sigmoid + BCELoss, stock Adam, ``X[perm]`` slicing."""

    def __init__(self, X: torch.Tensor, device: torch.device) -> None:
        torch.manual_seed(0)
        self.X, self.device = X, device
        self.model = nn.Sequential(nn.Linear(N_IN, LATENT), nn.ReLU(), nn.Linear(LATENT, N_IN), nn.Sigmoid()).to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss = nn.BCELoss()

    def epoch(self) -> float:
        _sync(self.device)
        t0 = time.perf_counter()
        perm = torch.randperm(len(self.X), device=self.device)
        for s in range(0, len(self.X), BATCH):
            xb = self.X[perm[s:s + BATCH]]
            loss = self.loss(self.model(xb), xb)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        _sync(self.device)
        return time.perf_counter() - t0


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class AekitEpochs:
    """aekit's own training: ``Autoencoder.fit`` (or the loop it calls), one epoch per call,
    on one persistent module; the epoch's ``seconds`` from the history. ``before=True``: aekit
    as it was when issue #14 was filed, for the conv rows' baseline: NCHW tensors, PyTorch's
    ``binary_cross_entropy_with_logits`` and glibc's allocator left at its defaults."""

    def __init__(self, module: nn.Module, X: np.ndarray, objective: Any, device: str, amp: bool,
                 before: bool = False, compile: bool = False) -> None:
        from aekit.train import TrainConfig

        self.module, self.X, self.objective, self.before = module, torch.from_numpy(X), objective, before
        self.config = TrainConfig(epochs=1, batch_size=BATCH, lr=LR, device=device, amp=amp, seed=0, compile=compile)

    def epoch(self) -> float:
        from aekit.train import fit_module

        with _as_before(self.before):
            return float(fit_module(self.module, self.X, self.objective, self.config)[-1]["seconds"])


@contextlib.contextmanager
def _as_before(on: bool) -> Iterator[None]:
    """Switch off what issue #14 added to the training step: channels_last, aekit's own BCE,
    the allocator tuning (the centring fold and the conv layout changes stay)."""
    if not on:
        yield
        return
    import aekit.losses.elbo as elbo
    import aekit.losses.reconstruction as recon
    from aekit.train import device as train_device
    from aekit.train import memory

    def torch_bce(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        if reduction == "mean":
            return F.binary_cross_entropy_with_logits(logits, target)
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none").flatten(1).sum(1)

    saved = recon.bce_with_logits, elbo.bce_with_logits
    train_device._CHANNELS_LAST, memory._ENABLED = False, False
    recon.bce_with_logits = elbo.bce_with_logits = torch_bce
    try:
        yield
    finally:
        train_device._CHANNELS_LAST, memory._ENABLED = True, True
        recon.bce_with_logits, elbo.bce_with_logits = saved


def _layers_as_before(m: nn.Module) -> nn.Module:
    """Undo, in place, the conv stages' rewrites of issue #14 (same parameters, same function):
    each ``NearestUpConv2d`` back to ``nn.Upsample`` + ``nn.Conv2d``, and each encoder stage
    back to convolution, activation, pooling (the pool-first order moved the activation)."""
    from aekit.models.conv import NearestUpConv2d

    for layer in m.modules():
        if not isinstance(layer, nn.Sequential):
            continue
        for i, sub in enumerate(list(layer)):
            if isinstance(sub, NearestUpConv2d):
                conv = nn.Conv2d(sub.in_channels, sub.out_channels, sub.kernel_size, padding=sub.padding)
                conv.load_state_dict(sub.state_dict())
                layer[i - 1], layer[i] = nn.Upsample(scale_factor=2, mode="nearest"), conv
            elif isinstance(sub, nn.MaxPool2d) and i >= 1 and isinstance(layer[i - 1], nn.Conv2d) \
                    and i + 1 < len(layer):
                layer[i], layer[i + 1] = layer[i + 1], sub
    return m


def aekit_dense(X: np.ndarray, device: str, amp: bool, center: bool = True, compile: bool = False) -> AekitEpochs:
    """What ``Autoencoder(32, loss="bce", center_inputs=center).fit(X)`` trains (by default
    centred input and the output bias started at the data mean)."""
    from aekit.losses import ReconstructionObjective
    from aekit.models import DenseAE, DenseSpec

    torch.manual_seed(0)
    m = DenseAE(DenseSpec(N_IN, LATENT))
    m.init_from_data(torch.from_numpy(X.mean(0)), center=center)
    return AekitEpochs(m, X, ReconstructionObjective("bce", "sigmoid"), device, amp, compile=compile)


def dense_speed(X: np.ndarray, threads: int, rounds: int, device: str, amp: bool) -> dict[str, Any]:
    torch.set_num_threads(threads)
    dev = torch.device(device)
    Xt = torch.from_numpy(X).to(dev)
    aekit, expert, tutorial = aekit_dense(X, device, amp), Expert(Xt, dev, amp), Tutorial(Xt, dev)
    uncentred = aekit_dense(X, device, amp, center=False)
    print(f"dense, {threads} thread(s), load {load_avg()}", flush=True)
    times = interleave({"aekit": aekit.epoch, "expert": expert.epoch, "tutorial": tutorial.epoch,
                        "aekit_uncentred": uncentred.epoch}, rounds)
    peak = matmul_peak() if dev.type == "cpu" else float("nan")
    return {"threads": threads, "times": times, "peak": peak, "profile": profile_dense(aekit) if dev.type == "cpu" else []}


def profile_dense(aekit: AekitEpochs, steps: int = 40) -> list[tuple[str, float]]:
    """Share of one aekit epoch's wall time per op group (self CPU time), the rest is Python and glue."""
    from torch.profiler import ProfilerActivity, profile

    X = aekit.X[: steps * BATCH]
    sub = AekitEpochs(aekit.module, X.numpy(), aekit.objective, "cpu", False)
    sub.epoch()  # warm
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        sub.epoch()
        wall = time.perf_counter() - t0
    # Self times: binary_cross_entropy_with_logits is a composite op, so its work shows up in the
    # elementwise kernels it calls (exp, log1p, mul, sub, ...), not under its own name.
    groups = {"matmul (addmm/mm)": ("addmm", "aten::mm", "matmul"), "Adam (fused)": ("_fused_adam",),
              "batch gather (index_select)": ("index_select",),
              "reductions (BCE mean, bias grads)": ("aten::sum", "aten::mean"),
              "elementwise (BCE-with-logits pieces, ReLU, ...)": ("aten::",)}
    totals = dict.fromkeys(groups, 0.0)
    for e in prof.key_averages():
        if e.key.startswith("ProfilerStep") or "autograd::engine" in e.key:
            continue
        for g, keys in groups.items():
            if any(k in e.key for k in keys):
                totals[g] += e.self_cpu_time_total
                break
    out = [(g, t / 1e6 / wall) for g, t in totals.items()]
    out.append(("Python, dispatch and autograd bookkeeping (the rest of the wall time)",
                max(0.0, 1 - sum(v for _, v in out))))
    return out


# ----------------------------------------------------------------------------- conv
def conv_speed(X: np.ndarray, rounds: int, device: str, amp: bool, threads: int) -> dict[str, Any]:
    from aekit.losses import ReconstructionObjective
    from aekit.losses.elbo import ELBOObjective
    from aekit.models.conv import ConvAE, ConvSpec
    from aekit.models.vae import ConvVAE, ConvVAESpec

    torch.set_num_threads(threads)
    mean = torch.from_numpy(X.mean(0))
    out: dict[str, Any] = {}
    for name, make, objective in (
            ("conv AE (16, 32)", lambda: ConvAE(ConvSpec(1, 28, 28, 32, (16, 32))), ReconstructionObjective("bce")),
            ("conv AE (32, 64)", lambda: ConvAE(ConvSpec(1, 28, 28, 32, (32, 64))), ReconstructionObjective("bce")),
            ("conv VAE (32, 64)", lambda: ConvVAE(ConvVAESpec(1, 28, 28, 32, (32, 64))), ELBOObjective())):
        runs = {}
        for label, before in (("aekit before #14", True), ("aekit now", False)):
            torch.manual_seed(0)
            m = make()
            m.init_from_data(mean)
            if before:
                _layers_as_before(m)
            runs[label] = AekitEpochs(m, X, objective, device, amp, before=before).epoch
        print(f"{name}, {len(X)} images, {threads} thread(s), load {load_avg()}", flush=True)
        out[name] = interleave(runs, rounds)
    return out


# ----------------------------------------------------------------------------- keras, compile
def keras_dense(keras: Any) -> Any:
    return keras.Sequential([keras.Input((N_IN,)), keras.layers.Dense(LATENT, activation="relu"),
                             keras.layers.Dense(N_IN, activation="sigmoid")])


def keras_conv(keras: Any) -> Any:
    """aekit's ``ConvAE(ConvSpec(1, 28, 28, 32, (16, 32)))`` layer for layer, in Keras's NHWC."""
    L = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(32, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
        L.Flatten(), L.Dense(LATENT, activation="relu"),
        L.Dense(32 * 7 * 7, activation="relu"), L.Reshape((7, 7, 32)),
        L.UpSampling2D(2), L.Conv2D(16, 3, padding="same", activation="relu"),
        L.UpSampling2D(2), L.Conv2D(16, 3, padding="same", activation="relu"),
        L.Conv2D(1, 3, padding="same", activation="sigmoid")])


def aekit_conv(X: np.ndarray, device: str, amp: bool, compile: bool = False,
               channels: tuple[int, ...] = (16, 32)) -> AekitEpochs:
    from aekit.losses import ReconstructionObjective
    from aekit.models.conv import ConvAE, ConvSpec

    torch.manual_seed(0)
    m = ConvAE(ConvSpec(1, 28, 28, LATENT, channels))
    m.init_from_data(torch.from_numpy(X.mean(0)))
    return AekitEpochs(m, X, ReconstructionObjective("bce"), device, amp, compile=compile)


def keras_speed(X: np.ndarray, rounds: int, device: str, amp: bool, threads: int) -> dict[str, Any]:
    torch.set_num_threads(threads)
    flat = X.reshape(len(X), -1)
    out: dict[str, Any] = {}
    for name, ours, theirs in (
            ("dense 784-32-784", aekit_dense(flat, device, amp), KerasFit(keras_dense, flat, batch=BATCH, lr=LR)),
            ("conv AE (16, 32)", aekit_conv(X, device, amp),
             KerasFit(keras_conv, np.ascontiguousarray(X.transpose(0, 2, 3, 1)), batch=BATCH, lr=LR))):
        print(f"keras: {name}, {len(X)} images, {threads} thread(s), load {load_avg()}", flush=True)
        out[name] = interleave({"aekit": ours.epoch, "Keras 3": theirs.epoch}, rounds)
        out["version"] = theirs.version
    return out


def compile_speed(X: np.ndarray, rounds: int, device: str, amp: bool, threads: int) -> dict[str, Any]:
    torch.set_num_threads(threads)
    flat = X.reshape(len(X), -1)
    out: dict[str, Any] = {}
    for name, eager, comp in (
            ("dense 784-32-784", aekit_dense(flat, device, amp), aekit_dense(flat, device, amp, compile=True)),
            ("conv AE (16, 32)", aekit_conv(X, device, amp), aekit_conv(X, device, amp, compile=True)),
            ("conv AE (32, 64)", aekit_conv(X, device, amp, channels=(32, 64)),
             aekit_conv(X, device, amp, compile=True, channels=(32, 64)))):
        print(f"compile: {name}, {len(X)} images, {threads} thread(s), load {load_avg()}", flush=True)
        out[name] = interleave({"eager": eager.epoch, "compile=True": comp.epoch}, rounds)
    return out


# ----------------------------------------------------------------------------- inference
def inference_speed(X: np.ndarray, rounds: int, threads: int) -> dict[str, Any]:
    """rows/s of transform/predict and of ONNX Runtime on the exported graphs, batch 1 and 4,096."""
    from aekit import Autoencoder

    torch.set_num_threads(threads)
    try:
        import onnxruntime as ort
    except ImportError:
        ort = None
    flat = X.reshape(len(X), -1)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, est, data in (
                ("dense 784-32-784", Autoencoder(32, loss="bce", epochs=1, random_state=0, device="cpu"), flat),
                ("conv AE (16, 32)", Autoencoder(32, model="conv", channels=(16, 32), loss="bce", epochs=1,
                                                 random_state=0, device="cpu"), X)):
            est.fit(data[:12000])
            sessions = {}
            if ort is not None:
                files = est.to_onnx(Path(tmp) / name.split()[0])
                opts = ort.SessionOptions()
                opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
                sessions = {part: ort.InferenceSession(str(getattr(files, part)), opts,
                                                       providers=["CPUExecutionProvider"])
                            for part in ("encoder", "model")}
            for batch, reps in ((1, 300), (4096, 3)):
                rows = data[:batch]
                cases: dict[str, Callable[[], float]] = {
                    "transform": lambda rows=rows, reps=reps: _rate(lambda: est.transform(rows), len(rows), reps),
                    "predict": lambda rows=rows, reps=reps: _rate(lambda: est.predict(rows), len(rows), reps)}
                for part, s in sessions.items():
                    cases[f"ONNX Runtime {part}.onnx"] = lambda s=s, rows=rows, reps=reps: _rate(
                        lambda: s.run(None, {"x": rows}), len(rows), reps)
                print(f"inference {name}, batch {batch}, load {load_avg()}", flush=True)
                results[(name, batch)] = interleave(cases, rounds)
    return results


def _rate(fn: Callable[[], Any], rows: int, reps: int) -> float:
    """Seconds per row (so that the median of the rounds inverts to rows/s)."""
    fn()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / (reps * rows)


# ----------------------------------------------------------------------------- report
TITLES = {"dense": "Speed, dense: aekit vs the hand-written expert and tutorial loops",
          "conv": "Speed, conv: aekit now vs aekit before issue #14",
          "inference": "Speed, inference: aekit vs ONNX Runtime",
    "keras": "Speed: aekit vs Keras 3 (torch backend)", "compile": "Speed: torch.compile vs eager"}


def header(part: str, res: dict[str, Any], args: argparse.Namespace, command: str) -> list[str]:
    return [f"## {TITLES[part]}{' (CUDA)' if args.device != 'cpu' else ''} (`benchmarks/bench_speed.py`)", "",
             f"`{command}` on {cpu()}, torch {torch.__version__}, device {args.device}"
             f"{', bfloat16 autocast' if args.amp else ''}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
             f"**Shared machine**: load average (1/5/15 min) {res['load_before']} at the start and "
             f"{res['load_after']} at the end, on {os.cpu_count()} cores, so absolute times are inflated and "
             "noisy; contenders ran interleaved round by round in one process (rotating order, first round dropped), "
             "and the ratios of medians are the numbers to read." + (f" {args.note}" if args.note else ""), ""]


def render(part: str, res: dict[str, Any], args: argparse.Namespace, command: str) -> list[str]:
    lines = header(part, res, args, command)
    if part == "dense":
        lines += ["### Dense 784-32-784, full MNIST (60,000 images), batch 256, Adam 1e-3, BCE", "",
                  "| threads | aekit s/epoch | expert loop | tutorial loop | aekit / expert (target <= 1.00) | "
                  "tutorial / aekit | aekit, center_inputs=False / expert | floor at matmul peak | aekit % of peak |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for d in res["dense"]:
            a, e, t, u = (med(d["times"][k]) for k in ("aekit", "expert", "tutorial", "aekit_uncentred"))
            floor = GFLOP_EPOCH / d["peak"] if d["peak"] == d["peak"] else float("nan")
            verdict = "met" if a / e <= 1.0 else "not met"
            lines.append(f"| {d['threads']} | {a:.3f} | {e:.3f} | {t:.3f} | **{a / e:.3f}** ({verdict}) | "
                         f"{t / a:.2f}x | {u / e:.3f} | {floor:.3f} s ({d['peak']:.0f} GFLOP/s) | {100 * floor / a:.0f}% |")
        prof = [d for d in res["dense"] if d["profile"]]
        if prof:
            d = prof[-1]
            lines += ["", f"Where aekit's epoch goes ({d['threads']} thread(s), torch.profiler self CPU time over "
                      "40 batches, share of the wall time): " +
                      "; ".join(f"{g} {100 * v:.0f}%" for g, v in d["profile"]) + ". "
                      f"The FLOP floor ({GFLOP_EPOCH:.1f} GFLOP per epoch) counts the three matmuls per Linear only; "
                      "the elementwise passes of the loss over 256 x 784 values are memory-bound work it does not "
                      "count. The aekit row trains with center_inputs=True (the centring folded into the first "
                      "Linear); the center_inputs=False column is the same loop without it."]
    if part == "conv":
        lines += [f"### Conv, {args.conv_images:,} MNIST images per epoch, batch 256, Adam 1e-3, "
                  f"{args.conv_threads} thread(s)", "",
                  "| model | aekit before #14 s/epoch | aekit now s/epoch | speed-up (target >= 1.4x, the two conv AEs) |",
                  "|---|---|---|---|"]
        for name, times in res["conv"].items():
            b, n = med(times["aekit before #14"]), med(times["aekit now"])
            target = (" (met)" if b / n >= 1.4 else " (not met)") if name.startswith("conv AE") else " (no target)"
            lines.append(f"| {name} | {b:.2f} | {n:.2f} | **{b / n:.2f}x**{target} |")
        lines += ["", "aekit before #14 = the same loop with what this issue added to the step switched off "
                  "(`_as_before`): NCHW tensors instead of channels_last, PyTorch's "
                  "`binary_cross_entropy_with_logits` instead of `aekit.losses.bce`, no allocator tuning "
                  "(`aekit.train.memory` off; glibc's thresholds, once an 'aekit now' fit has raised them, stay at "
                  "32/64 MB in this process), and the model's stages as they were built (`_layers_as_before`: "
                  "nearest upsampling then a convolution instead of `NearestUpConv2d`'s one transposed "
                  "convolution; activation before pooling); the conv layout changes (one NHWC conversion of the "
                  "bottleneck map, in-place ReLUs) stay in both, so the ratio understates the change."]
    if part == "keras":
        lines += [f"### {args.conv_images:,} MNIST images per epoch, batch 256, Adam 1e-3, BCE, "
                  f"{args.conv_threads} thread(s); Keras {res['keras']['version']}", "",
                  "| model | aekit s/epoch | Keras 3 model.fit s/epoch | Keras / aekit | target |", "|---|---|---|---|---|"]
        for name, times in res["keras"].items():
            if name == "version":
                continue
            a, k = med(times["aekit"]), med(times["Keras 3"])
            target = ("**met**" if k / a >= 2 else "**not met**") + " (>= 2x)" if "conv" in name else "none set"
            lines.append(f"| {name} | {a:.3f} | {k:.3f} | **{k / a:.2f}x** | {target} |")
        lines += ["", "Same layers, initial learning rate, batch and loss in both; aekit's rows are its own loop "
                  "(channels_last for the conv model, centred input for the dense one), Keras's run its stock "
                  "`model.fit` on NHWC float32 arrays."]
    if part == "compile":
        lines += [f"### {args.conv_images:,} MNIST images per epoch, batch 256, {args.conv_threads} thread(s)", "",
                  "| model | eager s/epoch | compile=True s/epoch | eager / compiled | first epoch with compile |",
                  "|---|---|---|---|---|"]
        for name, times in res["compile"].items():
            e, c = med(times["eager"]), med(times["compile=True"])
            first = res["compile_first"][name]
            lines.append(f"| {name} | {e:.3f} | {c:.3f} | **{e / c:.2f}x** | {first:.1f} s |")
        lines += ["", "Verdict: compile is the default only if it is faster on both models and robust; "
                  "the first epoch includes TorchInductor's code generation and C++ build."]
    if part == "inference":
        lines += [f"### Inference, rows per second (CPU, {args.inference_threads} thread(s))", "",
                  "| model | batch | transform | predict | ONNX Runtime encoder.onnx | ONNX Runtime model.onnx |",
                  "|---|---|---|---|---|---|"]
        for (name, batch), times in res["inference"].items():
            cell = {k: f"{1 / med(v):,.0f}" for k, v in times.items()}
            lines.append(f"| {name} | {batch:,} | {cell['transform']} | {cell['predict']} | "
                         f"{cell.get('ONNX Runtime encoder.onnx', 'n/a')} | {cell.get('ONNX Runtime model.onnx', 'n/a')} |")
        lines += ["", "`transform`/`predict` include the estimator's input checks, scaling and NumPy conversion; "
                  "ONNX Runtime runs the exported graphs, which hold the same scaling."]
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DATA, help="folder with mnist/ (IDX files)")
    p.add_argument("--threads", default="1,2", help="dense thread counts (default 1,2)")
    p.add_argument("--rounds", type=int, default=6, help="dense rounds per thread count, first dropped (default 6)")
    p.add_argument("--conv-images", type=int, default=12000)
    p.add_argument("--conv-rounds", type=int, default=4)
    p.add_argument("--conv-threads", type=int, default=2)
    p.add_argument("--inference-threads", type=int, default=2)
    p.add_argument("--parts", default="dense,conv,inference",
                   help="any of dense,conv,inference,keras,compile (keras and compile on --conv-images)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--amp", action="store_true", help="bfloat16 autocast (CUDA)")
    p.add_argument("--section", default="speed", help="prefix of the BENCHMARKS.md sections (PREFIX-dense, ...)")
    p.add_argument("--note", default="", help="a sentence added to each section's header")
    p.add_argument("--quick", action="store_true", help="smoke run: small data, 2 rounds, writes nothing")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    if args.quick:
        args.rounds, args.conv_rounds, args.conv_images, args.no_write = 2, 2, 1024, True
    parts = set(args.parts.split(","))
    command = "python benchmarks/" + " ".join(shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]])
    res: dict[str, Any] = {"load_before": load_avg()}
    X = mnist(args.data, 4096 if args.quick else None)
    if "dense" in parts:
        res["dense"] = [dense_speed(X.reshape(len(X), -1), int(t), args.rounds, args.device, args.amp)
                        for t in args.threads.split(",")]
    if "conv" in parts:
        res["conv"] = conv_speed(X[:args.conv_images], args.conv_rounds, args.device, args.amp, args.conv_threads)
    if "inference" in parts and args.device == "cpu":
        res["inference"] = inference_speed(X[:4096], 3, args.inference_threads)
    if "keras" in parts:
        res["keras"] = keras_speed(X[:args.conv_images], args.conv_rounds, args.device, args.amp, args.conv_threads)
    if "compile" in parts:
        res["compile"] = compile_speed(X[:args.conv_images], args.conv_rounds, args.device, args.amp,
                                       args.conv_threads)
        res["compile_first"] = {name: t["compile=True"][0] for name, t in res["compile"].items()}
    res["load_after"] = load_avg()
    for part in ("dense", "conv", "inference", "keras", "compile"):
        if part in res:
            lines = render(part, res, args, command)
            print("\n".join(lines))
            if not args.no_write:
                print(f"wrote {write_section(f'{args.section}-{part}', lines)}")


if __name__ == "__main__":
    main()
