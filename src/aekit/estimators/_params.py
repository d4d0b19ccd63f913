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
}

#: Where a family's training default differs from :data:`TRAINING`, and why (measured).
FAMILY_TRAINING: dict[str, dict[str, Any]] = {
    # pythae's MNIST VAE recipe; the VAE benchmarks (BENCHMARKS.md) were measured at 128.
    "VariationalAutoencoder": {"batch_size": 128},
    # Recurrent nets: few windows per series and exploding gradients without clipping.
    "SequenceAutoencoder": {"epochs": 30, "batch_size": 64, "clip_grad_norm": 1.0},
}

#: Each estimator's own (non-training) parameters and their defaults.
MODEL: dict[str, dict[str, Any]] = {
    "Autoencoder": {
        "latent_dim": 32, "model": "dense", "hidden": (), "channels": (32, 64), "activation": "relu",
        "code_activation": None, "output": "auto", "loss": "mse", "scale": "auto", "image_shape": None,
        "noise": None, "noise_level": 0.3, "sparsity": None, "sparsity_weight": None, "sparsity_target": 0.05,
        "sparsity_decay": 0.99, "center_inputs": True, "contractive": 0.0, "pretrain_epochs": 0,
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
    "AutoencoderClassifier": {
        "autoencoder": None, "head_hidden": (128,), "dropout": 0.5, "input_dropout": 0.0, "encoder_dropout": 0.0,
        "freeze_encoder": True, "encoder_init": "pretrained",
    },
}


def defaults(estimator: str) -> dict[str, Any]:
    """All constructor defaults of the estimator class named ``estimator``."""
    return {**MODEL[estimator], **TRAINING, **FAMILY_TRAINING.get(estimator, {})}
