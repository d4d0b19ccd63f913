"""``aekit compress`` and ``aekit decompress``: images to an ``.aek`` file and back, beside JPEG at the same
rate (the work: :func:`aekit.apps.app_runs.compress_run` and :func:`aekit.apps.compress.decompress_file`)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from aekit.cli._console import note, say
from aekit.cli._options import DataOpt, Split, SplitOpt
from aekit.cli._verdict import say_if_behind

ModelArg = Annotated[Path, typer.Argument(
    exists=True, show_default=False, metavar="RUN",
    help="The run folder of 'aekit train --model compress' (or one of its lambda-<rate>/ folders), or any folder "
         "holding a fitted ImageCompressor (ImageCompressor(...).fit(images).save(folder)).")]


class ImageFormat(str, Enum):
    png = "png"
    npy = "npy"


def compress(
    run: ModelArg,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="The .aek file to write.")] = Path("images.aek"),
    split: SplitOpt = Split.test,
    n_show: Annotated[int, typer.Option(min=1, help="Images in the originals-vs-decoded grid.")] = 10,
    no_baseline: Annotated[bool, typer.Option(
        "--no-baseline", help="Skip the JPEG baseline (the same images as 10 x 10 mosaics at qualities 5-95) "
                              "printed beside aekit's rate and PSNR, and the rate-distortion figure.")] = False,
) -> None:
    """Compress images into one .aek file with a learned compressor; measure it against JPEG.

    The file is decoded again to measure it: the line gives bits per pixel (the whole
    file, header included) and PSNR, and JPEG's at the quality whose rate is closest
    (mosaics of 10 x 10 images, so JPEG's tables are shared; needs >= 10 one- or
    three-channel images; `--no-baseline` skips it). **rate_distortion.png** and
    **decoded.png** are written beside the file.

    **Examples**

        aekit train --data mnist --model compress --rate-lambda 0.003,0.03 -o runs/comp
        aekit compress runs/comp --data mnist --out mnist-test.aek
        aekit compress runs/comp/lambda-0.03 --data mnist --out mnist-small.aek
        aekit compress runs/comp --data scans/ --out scans.aek
        aekit decompress mnist-test.aek --model runs/comp --out decoded/
    """
    from aekit.apps.app_runs import compress_run

    done = compress_run(run, data, out, split=split.value, n_show=n_show, baseline=not no_baseline)
    r = done.result
    note(f"encoded in {r.encode_seconds:.2f}s, decoded in {r.decode_seconds:.2f}s; figures: "
         + ", ".join(str(p) for p in r.figures))
    if r.jpeg_quality:
        jpeg = f" vs JPEG q{r.jpeg_quality} {r.jpeg_bits_per_pixel:.3f} bpp / {r.jpeg_psnr:.2f} dB"
    else:
        jpeg = "" if no_baseline else " vs no JPEG baseline (needs >= 10 one- or three-channel images)"
    say(f"{r.n_images:,} images of {done.data_name} -> {r.path} ({r.file_bytes:,} bytes): "
        f"{r.bits_per_pixel:.3f} bpp / {r.psnr:.2f} dB PSNR{jpeg}")
    say_if_behind(bool(r.jpeg_quality) and r.psnr < r.jpeg_psnr and r.bits_per_pixel >= r.jpeg_bits_per_pixel,
                  f"aekit loses to JPEG here: more bits and lower PSNR ({r.bits_per_pixel:.3f} vs "
                  f"{r.jpeg_bits_per_pixel:.3f} bpp, {r.psnr:.2f} vs {r.jpeg_psnr:.2f} dB); most likely fix: train "
                  "the compressor longer (aekit train --model compress --epochs ...).")


def decompress(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, show_default=False, metavar="FILE.aek",
                                         help="An .aek file from 'aekit compress'.")],
    model: Annotated[Path, typer.Option(
        "--model", "-m", exists=True, show_default=False, metavar="RUN",
        help="The run folder of the compressor that wrote the file (a file from another model is refused).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the decoded images.")] = Path("decoded"),
    format: Annotated[ImageFormat, typer.Option(
        "--format", help="png: one PNG per image (00.png, 01.png, ...); npy: all in images.npy, the "
                         "shape and dtype that were compressed.")] = ImageFormat.png,
) -> None:
    """Decode an .aek file back into images (PNG files or one .npy).

    **Examples**

        aekit decompress mnist-test.aek --model runs/comp --out decoded/
        aekit decompress mnist-test.aek --model runs/comp --out decoded/ --format npy
    """
    from aekit.apps.app_runs import open_compressor
    from aekit.apps.compress import decompress_file

    r = decompress_file(open_compressor(model), path, out, format=format.value)
    shape = "x".join(map(str, r.shape))
    say(f"{r.n_images:,} images ({shape}, {r.dtype}) decoded from {path} into {out} "
        f"({len(r.paths):,} {format.value} file{'s' if len(r.paths) != 1 else ''})")
