"""``aekit train``: fit an autoencoder and write its run folder (the work: :func:`aekit.apps.train.train_run`)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import math

import typer

from aekit.cli._console import DEFAULTS, NO_BASELINE_HELP, fail_line, note, parse_widths, say, say_baseline, state
from aekit.cli._options import CompileOpt, LrSchedule, Prior
from aekit.cli._verdict import say_if_behind
from aekit.estimators._params import defaults

if TYPE_CHECKING:  # the command imports apps (and so torch) only when it runs
    from aekit.apps.compress import RatePoint
    from aekit.apps.train import EstimatorParams, TrainResult


# The library's tables (apps._families.MODELS, losses LOSSES, blocks.ACTIVATIONS, corruption NOISES,
# models.vae LIKELIHOODS, models.recurrent CELLS) are the source of truth; tests/cli check that these
# mirrors match them. They are copies so that --help needs no torch.
class ModelKind(str, Enum):
    dense = "dense"
    conv = "conv"
    vae = "vae"
    conv_vae = "conv-vae"
    recurrent = "recurrent"
    compress = "compress"


#: The estimator class each --model builds (mirrors apps._families.MODELS), for its defaults.
ESTIMATOR_OF: dict[str, str] = {"dense": "Autoencoder", "conv": "Autoencoder", "vae": "VariationalAutoencoder",
                                "conv-vae": "VariationalAutoencoder", "recurrent": "SequenceAutoencoder",
                                "compress": "ImageCompressor"}


class Loss(str, Enum):
    mse = "mse"
    bce = "bce"


class Activation(str, Enum):
    relu = "relu"
    sigmoid = "sigmoid"
    tanh = "tanh"
    elu = "elu"
    leaky_relu = "leaky_relu"
    gelu = "gelu"
    linear = "linear"


class Noise(str, Enum):
    gaussian = "gaussian"
    mask = "mask"
    salt_pepper = "salt_pepper"


class Sparsity(str, Enum):
    l1 = "l1"
    kl = "kl"


class Likelihood(str, Enum):
    bernoulli = "bernoulli"
    gaussian = "gaussian"


class Cell(str, Enum):
    lstm = "lstm"
    gru = "gru"


_AE = ("dense", "conv")
_VAE = ("vae", "conv-vae")
_RNN = ("recurrent",)
_COMPRESS = ("compress",)

#: Options only some models take, and those models. Every option here and in COMMON_OPTIONS is
#: the estimator keyword of the same name (--noise-level -> noise_level, see ESTIMATOR_OF for
#: the estimators); given for another model, it is refused naming both.
MODEL_OPTIONS: dict[str, tuple[str, ...]] = {
    "latent_dim": _AE + _VAE + _RNN,
    "hidden": ("dense", "vae"),
    "channels": ("conv", "conv-vae"),
    "activation": _AE + _VAE,
    "loss": _AE,
    "code_activation": _AE,
    "noise": _AE,
    "noise_level": _AE,
    "sparsity": _AE,
    "sparsity_weight": _AE,
    "sparsity_target": _AE,
    "sparsity_decay": _AE,
    "contractive": _AE,
    "center_inputs": ("dense", "vae"),
    "pretrain_epochs": _AE,
    "beta": _VAE,
    "likelihood": _VAE,
    "kl_warmup": _VAE,
    "binarize": _VAE,
    "cell": _RNN,
    "hidden_size": _RNN,
    "num_layers": _RNN,
    "window": _RNN,
    "stride": _RNN,
    "rate_lambda": _COMPRESS,
    "prior": _COMPRESS,
    "latent_channels": _COMPRESS,
}
#: Options every model takes.
COMMON_OPTIONS: tuple[str, ...] = ("epochs", "batch_size", "lr", "lr_schedule", "clip_grad_norm",
                                   "random_state", "device", "early_stopping", "validation_fraction", "compile")

_AE_PANEL = "Dense and conv: denoising, sparse, contractive, stacked"
_VAE_PANEL = "Variational (vae, conv-vae)"
_RNN_PANEL = "Recurrent (time series)"
_COMPRESS_PANEL = "Compression (compress, images)"


def flag(name: str) -> str:
    """The CLI flag of an estimator keyword: latent_dim -> --latent-dim."""
    return "--" + name.replace("_", "-")


def default_of(model: str, name: str) -> Any:
    """The estimator's own default for keyword ``name`` under ``--model model``."""
    return defaults(ESTIMATOR_OF[model])[name]


def _either(models: tuple[str, ...]) -> str:
    return models[0] if len(models) == 1 else f"{', '.join(models[:-1])} or {models[-1]}"


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


def _defaults(name: str) -> str:
    """The estimators' defaults of ``name`` for --help: '256; vae or conv-vae: 128; recurrent: 64'
    (only the models that take the option)."""
    values: dict[str, list[str]] = {}
    for model, estimator in ESTIMATOR_OF.items():
        if name in defaults(estimator) and model in MODEL_OPTIONS.get(name, (model,)):
            values.setdefault(_shown(default_of(model, name)), []).append(model)
    first, *rest = values
    return "; ".join([first, *(f"{_either(tuple(values[v]))}: {v}" for v in rest)])


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the option was typed (or set by an environment variable), not left at its default."""
    # Compared by name: Typer ships its own copy of click, whose ParameterSource is not click's.
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT", "PROMPT")


def given_params(ctx: typer.Context, model: str, options: EstimatorParams) -> EstimatorParams:
    """The ``options`` typed on the command line, as estimator keywords; one the model does not take is refused.

    Options left out keep the estimator's own default (so a VAE gets its 128-sample batches);
    ``random_state`` is always passed: the CLI's runs are seeded (0) unless told otherwise.
    """
    from aekit.errors import InputError

    for name, models in MODEL_OPTIONS.items():
        if _given(ctx, name) and model not in models:
            raise InputError(f"{flag(name)} needs --model {_either(models)}, not --model {model}.")
    given = {name: value for name, value in options.items() if name == "random_state" or _given(ctx, name)}
    return {k: v.value if isinstance(v, Enum) else v for k, v in given.items()}  # type: ignore[return-value]


_widths_help = "Comma-separated widths, outermost first, e.g. 128,64; 'none' for no hidden layer."


def parse_rate_lambdas(value: str | None) -> float | tuple[float, ...] | None:
    """The --rate-lambda callback: '0.01' -> 0.01, '0.003,0.01' -> (0.003, 0.01); anything else is refused."""
    if value is None:
        return None
    parts = [part.strip() for part in value.split(",")]
    numbers = []
    for part in parts:
        try:
            number = float(part)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number <= 0:
            raise typer.BadParameter(
                f"{value!r}: {part!r} is not a positive number. Give one rate or several separated by commas, "
                "e.g. --rate-lambda 0.003,0.01,0.03 (larger = smaller files, lower quality).")
        numbers.append(number)
    if len(set(numbers)) < len(numbers):
        raise typer.BadParameter(f"{value!r} names a rate twice; give each rate once, e.g. 0.003,0.01,0.03.")
    return numbers[0] if len(numbers) == 1 else tuple(numbers)


def summary(result: TrainResult) -> str:
    """The one line a training command prints."""
    m = result.metrics
    errors = f"test MSE {m['test_mse']:.4g}" + (f", BCE {m['test_bce']:.4g}" if "test_bce" in m else "")
    return f"{errors}; {_trained(result)}; {_where(result)}"


def _trained(result: TrainResult) -> str:
    m = result.metrics
    if result.epochs_this_run == 0 and result.start_epoch > 0:
        trained = f"already trained ({m['epochs_run']} epochs, nothing to do)"
    elif result.start_epoch > 0:
        trained = (f"{result.epochs_this_run} epochs resumed after epoch {result.start_epoch} "
                   f"in {result.seconds_this_run:.1f}s")
    else:
        trained = f"{m['epochs_run']} epochs in {result.seconds_this_run:.1f}s"
    return trained


def _where(result: TrainResult) -> str:
    return f"run folder {result.run_dir}" + (f", report {result.report}" if result.report else "")


def _ssim(value: float) -> str:
    return f", SSIM {value:.3f}" if math.isfinite(value) else ""


def rate_line(p: RatePoint) -> str:
    """One rate of a compressor run beside JPEG at the closest rate."""
    line = f"rate_lambda {p.rate_lambda:g}: {p.bits_per_pixel:.3f} bpp, {p.psnr:.2f} dB PSNR{_ssim(p.ssim)}"
    if p.jpeg_quality:
        line += (f" vs JPEG q{p.jpeg_quality} {p.jpeg_bits_per_pixel:.3f} bpp, {p.jpeg_psnr:.2f} dB"
                 f"{_ssim(p.jpeg_ssim)}")
    return line + ("" if p.model == "." else f" ({p.model}/)")


def say_compressor(result: TrainResult, baseline: bool) -> None:
    """A compressor run's lines: one per rate, the summary, and a verdict where JPEG wins."""
    for p in result.rates:
        say(rate_line(p))
    m = result.metrics
    say(f"{len(result.rates)} rate{'s' if len(result.rates) != 1 else ''} measured on {m['n_eval']:,} test images; "
        f"{_trained(result)}; {_where(result)}")
    if baseline and not any(p.jpeg_quality for p in result.rates):
        say("no JPEG baseline: it needs >= 10 test images of 1 or 3 channels")
    behind = [p for p in result.rates if p.behind]
    smaller = ", a smaller --batch-size such as 32" if int(result.estimator.batch_size) > 32 else ""
    say_if_behind(bool(behind), "aekit loses to JPEG here: " + "; ".join(
        f"JPEG q{p.beaten_by} needs no more bits than rate_lambda {p.rate_lambda:g} for a higher PSNR" for p in behind)
        + f" (rate_distortion.png); most likely fix: more training steps (--epochs{smaller}, more images).")


def interrupted(out: Path) -> None:
    fail_line(f"interrupted. The last finished epoch is saved in {out}; run the same command with "
              "--resume to continue from it.")
    raise typer.Exit(130)


def train(
    ctx: typer.Context,
    data: Annotated[str, typer.Option("--data", "-d", help="A data-set name (default, mnist, fashion-mnist) or a "
                                      "path: .csv, .tsv, .parquet, .npy, .npz, IDX file, image folder; for "
                                      "--model recurrent one time series (rows = steps, columns = channels).")]
        = "default",
    model: Annotated[ModelKind, typer.Option(help="dense (fully connected), conv (images), vae and conv-vae "
                                             "(variational), recurrent (LSTM/GRU on a time series), compress "
                                             "(learned image compression to .aek files).")]
        = ModelKind(DEFAULTS["model"]),
    latent_dim: Annotated[int, typer.Option(min=1, show_default=_defaults("latent_dim"), help="Size of the code.")]
        = DEFAULTS["latent_dim"],
    hidden: Annotated[Optional[str], typer.Option(callback=parse_widths("--hidden"), show_default=_defaults("hidden"),
                                                  help=f"Dense hidden layers (dense, vae). {_widths_help}")] = None,
    channels: Annotated[Optional[str], typer.Option(callback=parse_widths("--channels"), show_default="32,64",
                                                    help="Convolutional stages (conv, conv-vae), e.g. 32,64.")]
        = None,
    activation: Annotated[Activation, typer.Option(help="Hidden-layer and code activation (not recurrent).")]
        = Activation(DEFAULTS["activation"]),
    epochs: Annotated[int, typer.Option(min=1, show_default=_defaults("epochs"),
                                        help="Passes over the training data.")] = DEFAULTS["epochs"],
    batch_size: Annotated[int, typer.Option(min=1, show_default=_defaults("batch_size"),
                                            help="Samples per gradient step.")] = DEFAULTS["batch_size"],
    loss: Annotated[Loss, typer.Option(help="Reconstruction loss (dense, conv); bce needs data in [0, 1] "
                                       "(images are).")] = Loss(DEFAULTS["loss"]),
    lr: Annotated[float, typer.Option(show_default=_defaults("lr"),
                                      help="Adam learning rate (the peak under a schedule).")] = DEFAULTS["lr"],
    lr_schedule: Annotated[LrSchedule, typer.Option(
        help="Learning rate over the run: constant, cosine decay to 0, or onecycle (10% warm-up, then cosine; "
             "try --lr 1e-2).", show_default=_defaults("lr_schedule"))] = LrSchedule(DEFAULTS["lr_schedule"]),
    clip_grad_norm: Annotated[Optional[float], typer.Option(
        show_default=_defaults("clip_grad_norm"),
        help="Rescale each step's gradients to at most this norm; try 1.0 when the loss turns NaN.")] = None,
    code_activation: Annotated[Optional[Activation], typer.Option(
        show_default="--activation", rich_help_panel=_AE_PANEL,
        help="Activation of the code layer alone; sigmoid for --sparsity kl.")] = None,
    noise: Annotated[Optional[Noise], typer.Option(
        show_default="none", rich_help_panel=_AE_PANEL,
        help="Denoising: corrupt every training batch and reconstruct the clean input.")] = None,
    noise_level: Annotated[float, typer.Option(
        rich_help_panel=_AE_PANEL, help="Gaussian noise factor, or the probability for mask and salt_pepper.")]
        = DEFAULTS["noise_level"],
    sparsity: Annotated[Optional[Sparsity], typer.Option(
        show_default="none", rich_help_panel=_AE_PANEL,
        help="Sparse: an L1 activity penalty on the code, or KL to --sparsity-target.")] = None,
    sparsity_weight: Annotated[Optional[float], typer.Option(
        show_default="3e-5 for l1, 0.3 for kl", rich_help_panel=_AE_PANEL,
        help="Weight of the sparsity penalty.")] = None,
    sparsity_target: Annotated[float, typer.Option(
        rich_help_panel=_AE_PANEL, help="Desired mean activation of each code unit (kl).")]
        = DEFAULTS["sparsity_target"],
    sparsity_decay: Annotated[float, typer.Option(
        rich_help_panel=_AE_PANEL, help="Moving-average decay of the mean code activation (kl).")]
        = DEFAULTS["sparsity_decay"],
    contractive: Annotated[float, typer.Option(
        rich_help_panel=_AE_PANEL, help="Contractive: weight of the encoder-Jacobian penalty; 0 = off.")]
        = DEFAULTS["contractive"],
    center_inputs: Annotated[bool, typer.Option(
        "--center-inputs/--no-center-inputs", show_default=_defaults("center_inputs"),
        help="Dense and vae: subtract the training mean inside the encoder; it helps a little on large data "
             "and hurts on small data.")] = DEFAULTS["center_inputs"],
    pretrain_epochs: Annotated[int, typer.Option(
        min=0, rich_help_panel=_AE_PANEL,
        help="Stacked (dense): greedy layer-wise pre-training epochs per layer before fine-tuning; 0 = off.")]
        = DEFAULTS["pretrain_epochs"],
    beta: Annotated[float, typer.Option(
        rich_help_panel=_VAE_PANEL, help="Weight of the KL term (beta-VAE); 1 = the ELBO.")]
        = default_of("vae", "beta"),
    likelihood: Annotated[Likelihood, typer.Option(
        rich_help_panel=_VAE_PANEL, help="Decoder distribution; bernoulli needs data in [0, 1].")]
        = Likelihood(default_of("vae", "likelihood")),
    kl_warmup: Annotated[int, typer.Option(
        min=0, rich_help_panel=_VAE_PANEL, help="Epochs over which the KL weight rises from 0 to --beta.")]
        = default_of("vae", "kl_warmup"),
    binarize: Annotated[bool, typer.Option(
        "--binarize", rich_help_panel=_VAE_PANEL,
        help="Resample every training batch as binary data (bernoulli only).")] = False,
    cell: Annotated[Cell, typer.Option(rich_help_panel=_RNN_PANEL, help="Recurrent unit.")]
        = Cell(default_of("recurrent", "cell")),
    hidden_size: Annotated[int, typer.Option(min=1, rich_help_panel=_RNN_PANEL, help="Units per recurrent layer.")]
        = default_of("recurrent", "hidden_size"),
    num_layers: Annotated[int, typer.Option(min=1, rich_help_panel=_RNN_PANEL,
                                            help="Stacked recurrent layers in encoder and decoder.")]
        = default_of("recurrent", "num_layers"),
    window: Annotated[Optional[int], typer.Option(
        min=1, show_default="none, required", rich_help_panel=_RNN_PANEL,
        help="Steps per window the series is cut into.")] = None,
    stride: Annotated[int, typer.Option(min=1, rich_help_panel=_RNN_PANEL, help="Steps between window starts.")]
        = default_of("recurrent", "stride"),
    rate_lambda: Annotated[Optional[str], typer.Option(
        callback=parse_rate_lambdas, show_default=_defaults("rate_lambda"), rich_help_panel=_COMPRESS_PANEL,
        help="Weight of the rate (bits per pixel) against the distortion (MSE): larger = smaller files, lower "
             "quality. Several, comma-separated (e.g. 0.003,0.01,0.03), train one model per rate.")] = None,
    prior: Annotated[Prior, typer.Option(
        rich_help_panel=_COMPRESS_PANEL, case_sensitive=False,
        help="Entropy model: hyperprior (a Gaussian per latent, predicted from a few bits of side information; "
             "smaller files) or factorized (one learned density per channel).")]
        = Prior(default_of("compress", "prior")),
    latent_channels: Annotated[int, typer.Option(
        min=1, rich_help_panel=_COMPRESS_PANEL,
        help="Channels of the latent grid (8 times smaller than the image across); unused ones cost almost no "
             "bits.")] = default_of("compress", "latent_channels"),
    random_state: Annotated[int, typer.Option("--random-state", "--seed", min=0,
                                              help="Seed: same seed, data and machine give the same run.")] = 0,
    device: Annotated[str, typer.Option(help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps.")]
        = DEFAULTS["device"],
    early_stopping: Annotated[Optional[int], typer.Option(
        min=1, help="Stop after this many epochs without improvement and keep the best weights "
                    "(watches the validation loss when there is one).")] = None,
    validation_fraction: Annotated[float, typer.Option(
        min=0.0, max=0.99, help="Share of the training data held out for validation.")]
        = DEFAULTS["validation_fraction"],
    label_column: Annotated[Optional[str], typer.Option(help="A table's label column, left out of the "
                                                        "features.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", show_default="runs/<data>-<model>-<latent-dim>",
                                                help="Run folder to write.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out from its last checkpoint "
                                         "(a finished run is not trained again).")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the run already in --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; only the result line.")] = False,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help=NO_BASELINE_HELP)] = False,
    compile: CompileOpt = False,
) -> None:
    """Train an autoencoder of any family and write a run folder.

    The run folder holds the model (**config.json** + **model.safetensors**, loadable with
    `aekit.load` and by the other commands), **checkpoint.safetensors** (every epoch, for
    `--resume`), **history.csv**, **metrics.json** (test MSE and, for data in [0, 1], BCE;
    beside them PCA's test MSE with as many components, unless `--no-baseline`),
    **loss_curves.png**, **reconstructions.png** and **report.html**. Each family adds its
    own: a VAE **samples.png** (100 prior samples) and test ELBO and KL; denoising
    **denoising.png** (noisy / denoised / clean) and PSNRs; sparse the mean code
    activation; contractive the mean encoder-Jacobian norm; stacked
    **pretrain_history.csv** and **pretrain_loss_curves.png**; recurrent line plots of
    test windows and **window_errors.csv**.

    `--model compress` (images only) trains one learned compressor per `--rate-lambda`,
    from the smallest up, each next one continuing the previous for a quarter of
    `--epochs`; with several rates each model is in **lambda-<rate>/** and the run folder
    holds the first one given (all work with `aekit compress` and `aekit decompress`).
    It prints bits per pixel, PSNR and SSIM of each rate on the first 1,000 test images,
    beside JPEG at the closest rate (`--no-baseline` skips JPEG), and writes
    **rate_distortion.png** and **decoded_lambda-<rate>.png** (originals, decoded, JPEG).

    Named data sets bring their own test split; for a file or folder 10% of the samples
    (always the same ones) are held out as test data, and for a time series the last
    10% of its steps. Options of one family are refused for another model.

    **Examples**

        aekit train
        aekit train --data mnist --hidden 128,64 --latent-dim 32
        aekit train --data mnist --model conv --loss bce -o runs/conv
        aekit train --data table.csv --label-column label --latent-dim 4 \\
            --validation-fraction 0.1 --early-stopping 5
        aekit train --noise gaussian --noise-level 0.5 -o runs/denoising
        aekit train --sparsity kl --code-activation sigmoid --sparsity-weight 0.01 \\
            --latent-dim 64 --loss bce -o runs/sparse
        aekit train --contractive 0.1 --code-activation sigmoid -o runs/contractive
        aekit train --hidden 256,128 --pretrain-epochs 5 -o runs/stacked
        aekit train --model vae --latent-dim 10 --beta 4 --kl-warmup 10 -o runs/vae
        aekit train --data sensors.csv --model recurrent --window 50 --stride 10 \\
            --cell gru -o runs/sensors
        aekit train --data mnist --model compress --rate-lambda 0.003,0.01,0.03 -o runs/comp
        aekit train --latent-dim 16 -o runs/d16 --resume

    Without options it trains the dense 784-32-784 model on the embedded digits.
    `--resume` with the options of a killed run continues it from its last
    finished epoch.
    """
    from aekit.apps.train import run_folder, train_run
    from aekit.report import write_report

    params = given_params(ctx, model.value, {
        # --hidden and --channels arrive as tuples of widths (their parse_widths callback)
        "hidden": hidden, "channels": channels,  # type: ignore[typeddict-item]
        "latent_dim": latent_dim, "activation": activation,
        "epochs": epochs, "batch_size": batch_size, "loss": loss, "lr": lr, "lr_schedule": lr_schedule,
        "clip_grad_norm": clip_grad_norm, "code_activation": code_activation, "noise": noise,
        "noise_level": noise_level, "sparsity": sparsity,
        "sparsity_weight": sparsity_weight, "sparsity_target": sparsity_target, "sparsity_decay": sparsity_decay,
        "contractive": contractive, "center_inputs": center_inputs, "pretrain_epochs": pretrain_epochs,
        "beta": beta, "likelihood": likelihood, "kl_warmup": kl_warmup, "binarize": binarize,
        "cell": cell, "hidden_size": hidden_size, "num_layers": num_layers, "window": window, "stride": stride,
        "random_state": random_state, "device": device, "early_stopping": early_stopping,
        "validation_fraction": validation_fraction, "compile": compile,
        "rate_lambda": rate_lambda, "latent_channels": latent_channels,  # type: ignore[typeddict-item]
        "prior": prior.value,
    })
    size = "latent_channels" if model is ModelKind.compress else "latent_dim"
    run_dir = out if out is not None else run_folder(data, model.value, params.get(size))  # type: ignore[arg-type]
    quiet = state.quiet = quiet or state.quiet
    try:
        result = train_run(data, run_dir, model=model.value, params=params, label_column=label_column,
                           resume=resume, overwrite=overwrite, progress=not quiet, baseline=not no_baseline,
                           write_report=write_report)
    except KeyboardInterrupt:
        if state.debug:
            raise
        interrupted(run_dir)
    pictures = ", ".join(p.name for p in result.files.values() if p.suffix == ".png")
    note(f"test data: {result.test_source}; metrics in {result.files['metrics']}; pictures: {pictures}")
    if model is ModelKind.compress:
        say_compressor(result, baseline=not no_baseline)
        return
    say(summary(result))
    say_baseline(result.baseline)
