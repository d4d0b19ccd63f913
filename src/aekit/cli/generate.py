"""``aekit generate``: new samples, interpolations and latent traversals from a trained run, beside a
PCA-Gaussian baseline (the work: :func:`aekit.apps.app_runs.generate_run`, over
:func:`aekit.apps.generate.generate`)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from aekit.cli._console import note, say
from aekit.cli._options import RunArg


class Sampler(str, Enum):
    """Mirrors ``aekit.apps.generate.SAMPLERS``."""

    gmm = "gmm"
    prior = "prior"


def parse_pair(value: str | None) -> tuple[int, int] | None:
    """'3,17' -> (3, 17)."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise typer.BadParameter(f"{value!r} is not two sample indices; write I,J with whole numbers >= 0, "
                                 "e.g. --interpolate 3,17.")
    return int(parts[0]), int(parts[1])


def parse_components(value: str) -> str:
    """'auto' or a whole number >= 1 (kept as text; :func:`components_value` converts)."""
    text = value.strip().lower()
    if text != "auto" and not (text.isdigit() and int(text) >= 1):
        raise typer.BadParameter(f"{value!r} is neither 'auto' nor a whole number >= 1; write --n-components auto "
                                 "(chosen from the training codes) or e.g. --n-components 10.")
    return text


def components_value(text: str) -> int | str:
    """The library's ``n_components`` for an option value that :func:`parse_components` accepted."""
    return "auto" if text == "auto" else int(text)


def generate(
    run: RunArg,
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="How many samples to draw.")] = 64,
    sampler: Annotated[Sampler, typer.Option(
        help="gmm: a Gaussian mixture fitted to the training codes (any autoencoder); prior: N(0, I), "
             "variational autoencoders only.")] = Sampler.gmm,
    n_components: Annotated[str, typer.Option(
        "--n-components", "--components", callback=parse_components, metavar="auto|N",
        help="Components of the gmm sampler's mixture; auto: chosen among 1-100 by the held-out "
             "log-likelihood of 10% of the training codes.")] = "auto",
    interpolate: Annotated[Optional[str], typer.Option(
        callback=parse_pair, metavar="I,J", show_default=False,
        help="Also decode the path between the codes of samples I and J of --data (linear and spherical).")] = None,
    traverse: Annotated[bool, typer.Option("--traverse", help="Also vary each code dimension (at most 16) around "
                                                              "the first sample's code.")] = False,
    steps: Annotated[int, typer.Option(min=2, help="Images per interpolation and traversal row.")] = 8,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Skip the PCA-Gaussian baseline samples "
                                                                    "(baseline_pca.png / .npy).")] = False,
    data: Annotated[Optional[str], typer.Option(
        "--data", "-d", show_default="the run's training data",
        help="The training samples the mixture, the baseline and traversals are fitted on, and that "
             "--interpolate indexes: a name or a path.")] = None,
    random_state: Annotated[int, typer.Option("--random-state", "--seed", min=0,
                                              help="Same seed, same samples.")] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", show_default="RUN/generate",
                                                help="Folder to write.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace what is already in --out.")] = False,
) -> None:
    """Draw new samples from a trained model; also interpolations and latent traversals.

    Writes **samples.png** / **samples.npy**, the classical baseline
    **baseline_pca.png** / **.npy** (unless --no-baseline: a Gaussian in PCA space with as many components as
    the model's code, sampled and projected back), with --interpolate
    **interpolation.png** / **.npy**, with --traverse **traversal.png** / **.npy**,
    **metrics.json** and **report.html**. Same seed, same images.

    **Examples**

        aekit train --data mnist --model vae --latent-dim 16 --epochs 20 -o runs/vae
        aekit generate runs/vae --n 64 --sampler prior
        aekit generate runs/vae --interpolate 3,17 --traverse --out runs/vae-gen
        aekit generate runs/demo --sampler gmm --n 100 --components 50
    """
    from aekit.apps.app_runs import generate_run
    from aekit.report import write_report

    done = generate_run(run, out, data=data, n=n, sampler=sampler.value,
                        n_components=components_value(n_components),
                        interpolate_pair=interpolate,  # type: ignore[arg-type]  # a pair from parse_pair
                        steps=steps, traverse_dims=traverse, baseline=not no_baseline, overwrite=overwrite,
                        random_state=random_state,
                        write_report=write_report)
    extra = [k for k in ("interpolation", "traversal") if k in done.result.paths]
    k = done.result.n_components
    mixture = "" if k is None else f"mixture of {k} components{' (auto)' if n_components == 'auto' else ''}; "
    note(f"fitted on {done.data_name}; {mixture}grids: " + ", ".join(str(p) for k, p in done.result.paths.items()
                                                           if not k.endswith("_npy")))
    base = done.result.baseline
    say(f"{len(done.result.samples):,} {sampler.value} samples (code size {done.latent_dim})"
        + (f" and {len(base):,} PCA-Gaussian baseline samples" if base is not None else "")
        + (f", {' and '.join(extra)}" if extra else "")
        + f"; folder {done.run_dir}" + (f", report {done.report}" if done.report else ""))
