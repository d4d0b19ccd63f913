"""Every estimator's constructor defaults, in one table that imports nothing heavy.

The estimators take their defaults from here, and the command line reads the same table
for its ``--help`` without importing torch. The training parameters are shared by every
estimator (one default each, :data:`TRAINING`); a family may differ only for a measured
reason, listed in :data:`FAMILY_TRAINING` and stated in that estimator's docstring.
``tests/estimators/test_params.py`` checks the estimators' signatures against this table.
"""

from __future__ import annotations

from typing import Any

#: Training parameters every estimator takes, with their shared defaults.
TRAINING: dict[str, Any] = {
    "epochs": 20,
    "batch_size": 256,
    "lr": 1e-3,
    "lr_schedule": "constant",
    "weight_decay": 0.0,
    "validation_fraction": 0.0,
    "early_stopping": None,
    "reduce_lr_patience": None,
    "clip_grad_norm": None,
    "shuffle": True,
    "device": "auto",
    "random_state": None,
    "verbose": False,
    "compile": False,
}

#: Where a family's training default differs from :data:`TRAINING`, and why (measured).
FAMILY_TRAINING: dict[str, dict[str, Any]] = {
    # With 1e-3 (and centred inputs) `aekit train` with no flags lost to PCA-32 on the embedded
    # digits (4,000 train / 1,000 test, 20 epochs of 256, seed 0, test MSE; PCA-32 0.0157):
    # 1e-3 centred 0.0232, 1e-3 0.0213, 3e-3 0.0144, 5e-3 0.0136 (both uncentred); 5e-3 wins
    # without a schedule (one-cycle at 1e-2 reached 0.0128 but would change the schedule of
    # every caller that passes its own lr). Issue #15; benchmarks/bench_defaults.py.
    "Autoencoder": {"lr": 5e-3},
    # pythae's MNIST VAE recipe; the VAE benchmarks (BENCHMARKS.md) were measured at 128.
    "VariationalAutoencoder": {"batch_size": 128},
    # Recurrent nets: few windows per series and exploding gradients without clipping.
    "SequenceAutoencoder": {"epochs": 30, "batch_size": 64, "clip_grad_norm": 1.0},
    # Rate-distortion training wants many small steps. Measured in an exploratory loop (issue #11,
    # not kept): MNIST, 8,000 training images, hidden 32, factorized prior, lambda 0.003, 8,000
    # steps of 32, density estimate on 1,000 test images: constant 1e-3 26.14 dB at 0.570 bpp,
    # one-cycle 3e-3 27.00 dB at 0.598 bpp (+0.9 dB at +5% rate). The default batch of 256 takes
    # 8x fewer steps per epoch. BENCHMARKS.md (bench_compress) measures these defaults.
    "ImageCompressor": {"batch_size": 32, "lr": 3e-3, "lr_schedule": "onecycle"},
    # Masked-imputation steps scale with the table (about 1,500 steps); 3e-3 measured best on letter/spam.
    "AutoencoderImputer": {"epochs": "auto", "lr": 3e-3},
}

#: Each estimator's own (non-training) parameters and their defaults.
MODEL: dict[str, dict[str, Any]] = {
    "Autoencoder": {
        "latent_dim": 32, "model": "dense", "hidden": (), "channels": (32, 64), "activation": "relu",
        "code_activation": None, "output": "auto", "loss": "mse", "scale": "auto", "image_shape": None,
        "noise": None, "noise_level": 0.3, "sparsity": None, "sparsity_weight": None, "sparsity_target": 0.05,
        # center_inputs: False since issue #15. Centring helped on full MNIST by 0.4% (test BCE 0.0898
        # vs 0.0902, one-cycle 2e-2, 50 epochs) but hurt on the 4,000 embedded digits: test BCE 0.1058
        # vs 0.0983 at 1e-3 (the demo turns it off), test MSE 0.0232 vs 0.0213 with the defaults,
        # 0.0159 vs 0.0128 under one-cycle 1e-2; without it `aekit train` beats PCA-32 there.
        "sparsity_decay": 0.0, "center_inputs": False, "contractive": 0.0, "pretrain_epochs": 0,
    },
    "VariationalAutoencoder": {
        "latent_dim": 32, "model": "dense", "hidden": (512,), "channels": (32, 64), "activation": "relu",
        "beta": 1.0, "likelihood": "bernoulli", "obs_var": None, "kl_warmup": 0, "center_inputs": True,
        "binarize": False, "scale": "auto", "image_shape": None,
    },
    "SequenceAutoencoder": {
        "latent_dim": 16, "cell": "lstm", "hidden_size": 64, "num_layers": 1, "window": None, "stride": 1,
        "scale": "standard",
    },
    "ImageCompressor": {
        "rate_lambda": 0.01, "prior": "hyperprior", "latent_channels": 16, "hidden": 64, "stages": 3, "kernel_size": 5, "warm_start": False,
    },
    "AutoencoderImputer": {
        "missing_values": float("nan"), "categorical_columns": None, "hidden": (128, 128), "activation": "relu",
        "dropout": 0.0, "linear_skip": True, "network": "auto", "conv_channels": (16, 32, 64),
        "scale": "standard", "drop_rate": 0.3, "visible_weight": 1.0,
        "n_refine": 0, "blend": True, "holdout": 0.1, "sample_posterior": False, "keep_empty_features": False,
    },
    "AutoencoderClassifier": {
        "autoencoder": None, "head_hidden": (128,), "dropout": 0.5, "input_dropout": 0.0, "encoder_dropout": 0.0,
        "freeze_encoder": True, "encoder_init": "pretrained",
    },
}


def defaults(estimator: str) -> dict[str, Any]:
    """All constructor defaults of the estimator class named ``estimator``."""
    return {**MODEL[estimator], **TRAINING, **FAMILY_TRAINING.get(estimator, {})}


#: The numpydoc entries of the :data:`TRAINING` parameters, shared by every estimator's
#: docstring; ``{epochs}``, ``{batch_size}`` and ``{clip_grad_norm}`` take the family's defaults.
TRAINING_PARAMS_DOC = """\
epochs : int, default={epochs}
    Passes over the training data.
batch_size : int, default={batch_size}
lr : float, default={lr:g}
    Adam learning rate (the peak one for ``lr_schedule="onecycle"``).
lr_schedule : {{"constant", "cosine", "onecycle"}}, default="constant"
    How the learning rate moves over the run, step by step: constant; cosine decay
    to zero; or "onecycle", a linear warm-up over the first 10% of the steps to
    ``lr`` then cosine decay to zero, which trains faster at a higher peak ``lr``
    (e.g. 1e-2 for dense models). Not combinable with ``reduce_lr_patience``.
weight_decay : float, default=0.0
    Adam's L2 penalty on the weights.
validation_fraction : float, default=0.0
    Share of the training samples held out at random for validation (the loss that
    early stopping and lr reduction watch); 0 = use ``validation_data`` or none.
early_stopping : int, optional
    Patience in epochs; restores the best weights at the end.
reduce_lr_patience : int, optional
    Halve the learning rate after this many epochs without improvement.
clip_grad_norm : float, {clip_default}
    Clip the gradients' global norm to this value; None = no clipping.
shuffle : bool, default=True
    Shuffle the training samples every epoch.
device : str, default="auto"
    "auto" (CUDA, then MPS, then CPU), "cpu", "cuda", "cuda:1", "mps".
random_state : int, optional
    Seeds initialisation, shuffling and any other draw of the training; the caller's
    global RNG is not touched.
verbose : bool, default=False
    Show a progress bar while training.
compile : bool, default=False
    Train through ``torch.compile`` (TorchInductor); falls back to eager training with
    a warning where it cannot compile (no C++ compiler on a CPU machine). Measured in
    BENCHMARKS.md (speed-compile); eager is the default."""


def training_doc(estimator: str, indent: str = "    ") -> str:
    """:data:`TRAINING_PARAMS_DOC` with the defaults of ``estimator``, indented for a class docstring."""
    d = defaults(estimator)
    clip = d["clip_grad_norm"]
    text = TRAINING_PARAMS_DOC.format(epochs=d["epochs"], batch_size=d["batch_size"], lr=d["lr"],
                                      clip_default="optional" if clip is None else f"default={clip}")
    return "\n".join(indent + line if line else line for line in text.splitlines())
