"""VariationalAutoencoder on MNIST: test ELBO and speed against a plain PyTorch loop, and the
importance-sampled test log-likelihood on dynamically binarised MNIST.

(a) Continuous MNIST (grey levels in [0, 1], Bernoulli/BCE decoder, the usual convention),
    pythae's default MLP: encoder 784-512 ReLU with linear mu and log-variance heads,
    decoder latent-512 ReLU-784 sigmoid (``pythae.models.nn.default_architectures``
    ``Encoder_VAE_MLP`` / ``Decoder_AE_MLP``), latent 32, 10 epochs, Adam 1e-3, batch 128.
    Target: test ELBO >= -106.2 nats. A plain PyTorch VAE of the same architecture (default
    PyTorch init, ``nn.Sigmoid`` + ``F.binary_cross_entropy``, in-memory tensors sliced by a
    shuffled index) trains in the same process, one of its epochs after each aekit epoch
    (run from aekit's ``on_epoch_end`` callback, outside aekit's timing), so both see the
    same machine load. Both test ELBOs are Monte-Carlo estimates with 10 latent draws per image.
(b) Dynamically binarised MNIST (each training batch resampled as binary pixels with the
    grey levels as probabilities; the test set binarised once, seed 0), MLP VAE with two
    hidden layers of 500 (ReLU), latent 50, Adam 1e-3, batch 100. Test NLL = -log p(x)
    estimated by importance sampling with k >= 1000 (Burda et al. 2016). Target <= 90 nats;
    anchors: 86.76 (IWAE paper's VAE, k=5000, after 3,280 epochs), 89.78 (pythae). The
    epoch count is a flag (``--epochs-b``); the report gives the NLL reached, the time, and
    a projection of the epochs and hours to the target from the test -ELBO curve.
(c) Optional smoke check of ``model="conv"`` (one epoch on a subset).

Run ``python benchmarks/bench_vae_mnist.py`` (about 20 minutes on one busy CPU core;
writes its section of BENCHMARKS.md between the ``bench_vae_mnist`` markers), or
``--quick`` for a smoke run (subsets, one epoch, writes nothing unless ``--write``).
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from _report import machine, write_section
from aekit import VariationalAutoencoder
from aekit.data.mnist import load_mnist

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = os.environ.get("AEKIT_DATA") or "/work/shared/data/mnist"
TARGET_A, TARGET_B = -106.2, 90.0


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- (a)
class PlainVAE(nn.Module):
    """The same 784-512-32 / 32-512-784 VAE as a reader would write it in plain PyTorch."""

    def __init__(self, n: int = 784, hidden: int = 512, latent: int = 32) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(n, hidden), nn.ReLU())
        self.mu, self.logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, n), nn.Sigmoid())

    def loss(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-example (recon, kl), each (B,)."""
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        recon = F.binary_cross_entropy(self.dec(z), x, reduction="none").sum(1)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
        return recon, kl


class PlainTrainer:
    """One epoch per call; runs from aekit's on_epoch_end callback."""

    def __init__(self, X: torch.Tensor, batch: int, lr: float, seed: int) -> None:
        torch.manual_seed(seed)
        self.model = PlainVAE()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.X, self.batch = X, batch
        self.gen = torch.Generator().manual_seed(seed)
        self.seconds: list[float] = []
        self.losses: list[float] = []

    def epoch(self) -> None:
        t = time.perf_counter()
        self.model.train()
        perm = torch.randperm(len(self.X), generator=self.gen)
        total = 0.0
        for i in range(0, len(self.X), self.batch):
            xb = self.X[perm[i:i + self.batch]]
            recon, kl = self.model.loss(xb)
            loss = (recon + kl).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total += float(loss.detach()) * len(xb)
        self.seconds.append(time.perf_counter() - t)
        self.losses.append(total / len(self.X))

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        with torch.random.fork_rng(devices=[]):  # leave aekit's sampling stream alone
            self.epoch()

    @torch.no_grad()
    def test_elbo(self, X: torch.Tensor, draws: int = 10) -> float:
        self.model.eval()
        total = 0.0
        for i in range(0, len(X), 1000):
            xb = X[i:i + 1000]
            total += sum(float(-(r + k).sum()) for r, k in (self.model.loss(xb) for _ in range(draws))) / draws
        return total / len(X)


def part_a(X: np.ndarray, Xt: np.ndarray, args: argparse.Namespace) -> tuple[list[str], dict[str, Any]]:
    _log(f"(a) continuous MNIST, 784-512-32, {args.epochs_a} epochs, both contenders interleaved")
    plain = PlainTrainer(torch.from_numpy(X), args.batch_a, 1e-3, seed=0)
    vae = VariationalAutoencoder(latent_dim=32, hidden=(512,), epochs=args.epochs_a, batch_size=args.batch_a,
                                 lr=1e-3, device="cpu", random_state=0, verbose=True)
    t0 = time.perf_counter()
    vae.fit(X, callbacks=[plain])
    wall = time.perf_counter() - t0
    e = vae.elbo(Xt, n_samples=10, random_state=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        plain_elbo = plain.test_elbo(torch.from_numpy(Xt))
    ours = [h["seconds"] for h in vae.history_]
    skip = 1 if len(ours) > 1 else 0  # first epoch: warm-up
    s_ours, s_plain = statistics.median(ours[skip:]), statistics.median(plain.seconds[skip:])
    res = {"elbo": e["elbo"], "recon": e["recon"], "kl": e["kl"], "plain_elbo": plain_elbo,
           "s_ours": s_ours, "s_plain": s_plain, "wall": wall}
    ok = e["elbo"] >= TARGET_A
    lines = [
        f"### (a) Continuous MNIST, pythae's default MLP VAE, latent 32, {args.epochs_a} epochs",
        "",
        "| contender | test ELBO (nats) | test recon (BCE) | test KL | s/epoch (median) |",
        "|---|---|---|---|---|",
        f"| aekit `VariationalAutoencoder` | **{e['elbo']:.2f}** | {e['recon']:.2f} | {e['kl']:.2f} | {s_ours:.1f} |",
        f"| plain PyTorch loop, same model | {plain_elbo:.2f} | | | {s_plain:.1f} |",
        "",
        f"Target test ELBO >= {TARGET_A} nats: **{'reached' if ok else 'not reached'}** "
        f"({len(X):,} training / {len(Xt):,} test images; Adam 1e-3, batch {args.batch_a}; "
        f"s/epoch: median of epochs 2-{args.epochs_a}, the two contenders alternating epoch by epoch; "
        f"aekit's Glorot init vs PyTorch's default init in the plain loop).",
        "",
    ]
    return lines, res


# ----------------------------------------------------------------------------- (b)
class EpochLog:
    """Prints one line per epoch of part (b)."""

    def on_epoch_end(self, record: dict[str, Any]) -> None:
        test_neg_elbo = record.get("val_recon", math.nan) + record.get("val_kl", math.nan)
        _log(f"  (b) epoch {record['epoch']}: train -ELBO {record['recon'] + record['kl']:.2f}, "
             f"test -ELBO {test_neg_elbo:.2f}, {record['seconds']:.1f}s")


def _projection(epochs: np.ndarray, neg_elbo: np.ndarray, gap: float, target: float) -> float | None:
    """Epochs at which NLL = -ELBO - gap reaches ``target``, extrapolating -ELBO linearly in
    log(epoch) over the second half of the run; None if the trend is flat or rising."""
    half = len(epochs) // 2
    if len(epochs) - half < 3:
        return None
    slope, icpt = np.polyfit(np.log(epochs[half:]), neg_elbo[half:], 1)
    if slope >= 0:
        return None
    return float(math.exp((target + gap - icpt) / slope))


def part_b(X: np.ndarray, Xt: np.ndarray, args: argparse.Namespace) -> tuple[list[str], dict[str, Any]]:
    rng = np.random.default_rng(0)
    Xtb = (rng.random(Xt.shape) < Xt).astype(np.float32)  # the test set, binarised once
    n_mon = min(len(Xtb), args.monitor_rows)
    _log(f"(b) binarised MNIST, 784-500-500-50, {args.epochs_b} epochs; NLL with k={args.k} "
         f"on {min(args.nll_rows, len(Xtb))} test images")
    vae = VariationalAutoencoder(latent_dim=50, hidden=(500, 500), binarize=True, epochs=args.epochs_b,
                                 batch_size=100, lr=1e-3, kl_warmup=args.kl_warmup_b, device="cpu",
                                 random_state=0)
    t0 = time.perf_counter()
    vae.fit(X, validation_data=Xtb[:n_mon], callbacks=[EpochLog()])
    train_s = time.perf_counter() - t0
    rows = Xtb[:args.nll_rows]
    t1 = time.perf_counter()
    ll = vae.log_likelihood(rows, k=args.k, random_state=0, batch_size=100)
    nll_s = time.perf_counter() - t1
    e = vae.elbo(rows, n_samples=10, random_state=0)
    nll, se = float(-ll.mean()), float(ll.std(ddof=1) / math.sqrt(len(ll))) if len(ll) > 1 else float("nan")
    h = vae.history_
    ep = np.array([r["epoch"] for r in h], float)
    neg = np.array([r["val_recon"] + r["val_kl"] for r in h])
    gap = -e["elbo"] - nll  # how much tighter the k-sample bound is than the ELBO
    s_epoch = statistics.median([r["seconds"] for r in h])
    proj = None if nll <= TARGET_B else _projection(ep, neg, gap, TARGET_B)
    res = {"nll": nll, "se": se, "elbo": e["elbo"], "kl": e["kl"], "epochs": len(h), "train_s": train_s,
           "nll_s": nll_s, "s_epoch": s_epoch, "proj_epochs": proj}
    if nll <= TARGET_B:
        verdict = "**reached**"
        proj_txt = ""
    elif proj is None:
        verdict = "**not reached**"
        proj_txt = " The test -ELBO curve is too short or too flat to extrapolate."
    else:
        verdict = "**not reached** at this budget"
        proj_txt = (f" Extrapolating the test -ELBO linearly in log(epochs) over the second half of the run, "
                    f"and assuming the importance-sampling gain stays {gap:.1f} nats, the target needs about "
                    f"{proj:,.0f} epochs, i.e. {proj * s_epoch / 3600:.1f} h at this machine's "
                    f"{s_epoch:.0f} s/epoch (a log-linear trend ignores saturation, so read this as an "
                    f"order of magnitude).")
    curve = ", ".join(f"{int(a)}: {b:.1f}" for a, b in zip(ep, neg) if int(a) in _marks(len(ep)))
    lines = [
        f"### (b) Dynamically binarised MNIST, MLP VAE 784-500-500-50, {len(h)} epochs",
        "",
        "| metric | value |",
        "|---|---|",
        f"| test NLL, importance sampled, k={args.k} (nats) | **{nll:.2f}** ± {se:.2f} (s.e. over images) |",
        f"| test -ELBO (10 draws) / KL (nats) | {-e['elbo']:.2f} / {e['kl']:.2f} |",
        f"| epochs, training time | {len(h)}, {train_s / 60:.1f} min ({s_epoch:.1f} s/epoch median) |",
        f"| NLL evaluation time | {nll_s:.0f} s for {len(rows):,} images x {args.k} samples |",
        f"| test -ELBO by epoch (first {n_mon:,} test images, 1 draw) | {curve} |",
        "",
        f"Target NLL <= {TARGET_B} nats: {verdict} (anchors: 86.76 after 3,280 epochs in the IWAE paper, "
        f"89.78 pythae). NLL on the first {len(rows):,} binarised test images; the {args.k} latent draws are "
        f"shared by all images (aekit's deterministic evaluation), so the ± is the spread over images only. "
        f"Adam 1e-3, batch 100, dynamic binarisation of every training batch"
        f"{f', KL warm-up over {args.kl_warmup_b} epochs' if args.kl_warmup_b else ', no KL warm-up'}.{proj_txt}",
        "",
    ]
    return lines, res


def _marks(n: int) -> set[int]:
    return {1, 2, 5, 10, 20, 50, 100, 200, 500, n}


# ----------------------------------------------------------------------------- (c)
def part_c(X: np.ndarray, Xt: np.ndarray, args: argparse.Namespace) -> tuple[list[str], dict[str, Any]]:
    n, nt = min(len(X), args.conv_rows), min(len(Xt), 1000)
    _log(f"(c) conv VAE smoke: {n} images, 1 epoch")
    imgs, timgs = X[:n].reshape(-1, 1, 28, 28), Xt[:nt].reshape(-1, 1, 28, 28)
    t0 = time.perf_counter()
    vae = VariationalAutoencoder(latent_dim=16, model="conv", channels=(16, 32), epochs=1, batch_size=128,
                                 lr=1e-3, device="cpu", random_state=0).fit(imgs)
    s = time.perf_counter() - t0
    e = vae.elbo(timgs, n_samples=4)
    samples = vae.sample(16, random_state=0)
    ok = bool(np.isfinite(e["elbo"]) and samples.shape == (16, 1, 28, 28) and 0 <= samples.min() <= samples.max() <= 1)
    lines = ["### (c) Convolutional VAE smoke check", "",
             f"`model=\"conv\"`, channels (16, 32), latent 16, 1 epoch on {n:,} continuous training images: "
             f"test ELBO {e['elbo']:.1f} nats on {nt:,} test images (KL {e['kl']:.1f}), {s:.0f} s; prior samples "
             f"{'decode to (16, 1, 28, 28) images in [0, 1]' if ok else 'FAILED the shape/range check'}.", ""]
    return lines, {"elbo": e["elbo"], "seconds": s, "ok": ok}


# ----------------------------------------------------------------------------- output
def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", default=DEFAULT_DATA, help="folder with the MNIST IDX .gz files")
    p.add_argument("--parts", default="a,b,c", help="which parts to run, e.g. 'a' or 'a,b' (default a,b,c)")
    p.add_argument("--epochs-a", type=int, default=10, help="epochs of part (a) (default 10)")
    p.add_argument("--batch-a", type=int, default=128, help="batch size of part (a) (default 128)")
    p.add_argument("--epochs-b", type=int, default=20,
                   help="epochs of part (b) (default 20, about 10 min on one busy core; the target needs far more)")
    p.add_argument("--kl-warmup-b", type=int, default=0, help="KL warm-up epochs in part (b) (default 0)")
    p.add_argument("--k", type=int, default=1000, help="importance samples per test image in (b) (default 1000)")
    p.add_argument("--nll-rows", type=int, default=2000,
                   help="test images for the importance-sampled NLL (default 2000; 10000 = all)")
    p.add_argument("--monitor-rows", type=int, default=2000, help="test images for the per-epoch -ELBO curve")
    p.add_argument("--conv-rows", type=int, default=5000, help="training images for the conv smoke check")
    p.add_argument("--n-train", type=int, default=0, help="use only the first N training images (0 = all)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: on a busy shared machine 2 threads ran 50x slower)")
    p.add_argument("--quick", action="store_true", help="smoke run: 5,000 training images, 1 epoch per part")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="write the section of BENCHMARKS.md (default: on, off with --quick)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    command = "python benchmarks/bench_vae_mnist.py" + "".join(" " + shlex.quote(a) for a in (argv or sys.argv[1:]))
    torch.set_num_threads(args.threads)
    if args.quick:
        args.n_train = args.n_train or 5000
        args.epochs_a, args.epochs_b = min(args.epochs_a, 2), min(args.epochs_b, 2)
        args.nll_rows, args.monitor_rows, args.conv_rows = min(args.nll_rows, 100), min(args.monitor_rows, 500), 1000
    write = (not args.quick) if args.write is None else args.write
    parts = set(args.parts.split(","))
    load0 = os.getloadavg()[0]
    train, test = load_mnist("train", root=args.data, download=False), load_mnist("test", root=args.data, download=False)
    X = np.ascontiguousarray(train.X.reshape(len(train.X), -1), dtype=np.float32)
    Xt = np.ascontiguousarray(test.X.reshape(len(test.X), -1), dtype=np.float32)
    if args.n_train:
        X = X[:args.n_train]
    _log(f"MNIST: {len(X):,} train / {len(Xt):,} test; torch threads {torch.get_num_threads()}")
    t0 = time.perf_counter()
    lines = ["## Variational autoencoder on MNIST (`benchmarks/bench_vae_mnist.py`)", "",
             f"Command `{command}`, run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
             f"{' (--quick: 5,000 training images, smoke only)' if args.quick else ''}; machine: {machine()}, "
             f"CPU only, shared with other jobs (load average {load0:.1f} at the start).", ""]
    results: dict[str, Any] = {}
    for name, fn in (("a", part_a), ("b", part_b), ("c", part_c)):
        if name in parts:
            more, results[name] = fn(X, Xt, args)
            lines += more
            _log("\n".join(more))
    lines.append(f"Total wall time {(time.perf_counter() - t0) / 60:.1f} min; load average at the end "
                 f"{os.getloadavg()[0]:.1f}.")
    print("\n".join(lines))
    if write:
        _log(f"wrote {write_section('bench_vae_mnist', lines)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
