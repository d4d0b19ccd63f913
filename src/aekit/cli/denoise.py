"""``aekit denoise``: clean noisy images, beside a 3×3 median filter (the work:
:func:`aekit.apps.app_runs.denoise_run`, over :mod:`aekit.apps.denoise`)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from aekit.cli._console import note, say, state
from aekit.cli._options import DataOpt
from aekit.cli._verdict import say_if_behind


class DenoiseNoise(str, Enum):
    """Mirrors ``aekit.apps.denoise.NOISES``."""

    gaussian = "gaussian"
    mask = "mask"
    salt_pepper = "salt_pepper"
    blocks = "blocks"


class DenoiseModel(str, Enum):
    """Mirrors ``aekit.apps.denoise.MODELS``."""

    residual = "residual"
    conv = "conv"
    dense = "dense"


def denoise(
    run: Annotated[Optional[Path], typer.Argument(
        exists=True, show_default=False, metavar="RUN",
        help="A run folder of an earlier 'aekit denoise' that trained a denoiser, or of 'aekit train' with a "
             "denoising autoencoder (trained with --noise). Without it a denoiser is trained here on the clean "
             "images in --data (needs --noise or --blind).")] = None,
    data: DataOpt = "default",
    noise: Annotated[Optional[DenoiseNoise], typer.Option(
        show_default=False, help="Add this noise to the clean images in --data (their test part), then clean "
                                 "them: PSNR/SSIM are measured against the originals. Without --noise, --data "
                                 "holds noisy images and RUN cleans them.")] = None,
    noise_level: Annotated[float, typer.Option(
        min=0.0, help="σ of the Gaussian noise, the probability p for mask and salt_pepper, or the fraction of "
                      "each image one block hides for blocks.")] = 0.3,
    blind: Annotated[bool, typer.Option(
        "--blind", help="Train one Gaussian denoiser over σ ~ U[0, 0.55] (each image its own σ) that serves "
                        "every level; it is tested at --noise-level.")] = False,
    clean: Annotated[Optional[Path], typer.Option(
        exists=True, show_default=False, help="The clean versions of the noisy --data, same order: adds "
                                              "PSNR/SSIM (not with --noise).")] = None,
    model: Annotated[DenoiseModel, typer.Option(
        help="The denoiser trained here: residual (DnCNN, predicts the noise), or a conv / dense denoising "
             "autoencoder (one fixed level of gaussian, mask or salt_pepper: not with --blind or blocks).")] = \
        DenoiseModel.residual,
    depth: Annotated[int, typer.Option(min=2, help="Layers of the residual network.")] = 8,
    width: Annotated[int, typer.Option(min=1, help="Channels of the residual network.")] = 48,
    latent_dim: Annotated[int, typer.Option(min=1, help="Code size of a conv / dense denoiser.")] = 32,
    epochs: Annotated[int, typer.Option(min=1, help="Training passes over the clean images.")] = 10,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per gradient step.")] = 128,
    write_images: Annotated[bool, typer.Option("--write-images", help="Also write every denoised image as a PNG "
                                                                      "(images/00000.png, ...).")] = False,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Skip the 3x3 median filter (no baseline "
                                                                    "scores, no median row in the grid).")] = False,
    device: Annotated[str, typer.Option(help="auto (CUDA, then MPS, then CPU), cpu, cuda, mps.")] = "auto",
    random_state: Annotated[int, typer.Option("--random-state", "--seed", min=0,
                                              help="Seeds the denoiser's training and the added noise.")] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", show_default="runs/<data>-denoise",
                                                help="Run folder to write.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the run already in --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; only the result line.")] = False,
) -> None:
    """Clean noisy images and compare with the classical filter (3×3 median).

    The run folder holds **denoised.npy**, **denoise_grid.png** (noisy / denoised /
    median 3×3 / clean), with --write-images one PNG per image, **metrics.json** (PSNR
    and SSIM of the noisy input, the denoiser and the median filter), **report.html**
    and the denoiser trained here (**config.json**, **model.safetensors**: pass the
    folder as RUN to reuse it). Images are (N, H, W) or (N, C, H, W) in [0, 1] (.npy,
    IDX, an image folder) or a named data set.

    **Examples**

        aekit denoise --data mnist --noise gaussian --noise-level 0.5 --epochs 5
        aekit denoise --data mnist --blind --noise-level 0.1 -o runs/blind
        aekit denoise runs/blind --data noisy.npy --clean clean.npy
        aekit denoise --data mnist --noise blocks --noise-level 0.2
        aekit train --data mnist --model conv --noise gaussian --noise-level 0.3 -o runs/dae
        aekit denoise runs/dae --data noisy.npy --clean clean.npy --write-images
        aekit denoise runs/dae --data mnist --noise salt_pepper --noise-level 0.2
    """
    from aekit.apps.app_runs import denoise_run
    from aekit.report import write_report

    quiet = quiet or state.quiet
    done = denoise_run(str(data), out, run=run, noise=None if noise is None else noise.value, noise_level=noise_level,
                       blind=blind, clean=None if clean is None else str(clean), model=model.value, depth=depth,
                       width=width, latent_dim=latent_dim, epochs=epochs, batch_size=batch_size,
                       write_images=write_images, baseline=not no_baseline, device=device, overwrite=overwrite, random_state=random_state,
                       verbose=not quiet, write_report=write_report)
    r = done.result
    if done.trained:
        note(f"trained: {done.trained}")
    what = f"{len(r.denoised):,} images denoised ({r.images_per_second:,.0f}/s)"
    if r.psnr and "median3" in r.psnr:
        what = (f"PSNR {r.psnr['denoised']:.2f} dB vs median 3x3 {r.psnr['median3']:.2f} dB (noisy "
                f"{r.psnr['noisy']:.2f}); SSIM {r.ssim['denoised']:.3f} vs {r.ssim['median3']:.3f}; " + what)
    elif r.psnr:
        what = f"PSNR {r.psnr['denoised']:.2f} dB (noisy {r.psnr['noisy']:.2f}); SSIM {r.ssim['denoised']:.3f}; " + what
    say(f"{what}; run folder {done.run_dir}" + (f", report {done.report}" if done.report else ""))
    if "median3" in r.psnr:
        say_if_behind(r.psnr["denoised"] < r.psnr["median3"],
                      f"aekit loses to the 3x3 median filter on PSNR here ({r.psnr['denoised']:.2f} vs "
                      f"{r.psnr['median3']:.2f} dB); most likely fix: "
                      + ("train longer (--epochs) on more clean images." if done.trained else
                         "a denoiser trained for this noise (--noise, no RUN)."))
