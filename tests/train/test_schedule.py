"""Learning-rate schedules: their shape, their place in the loop, resume and bad settings."""

from __future__ import annotations

import pytest
import torch

from aekit import Autoencoder
from aekit.errors import InputError
from aekit.losses import ReconstructionObjective
from aekit.models import DenseAE, DenseSpec
from aekit.train import TrainConfig, fit_module
from aekit.train.schedule import scheduled_lr
from tests.conftest import low_rank_table

OBJ = ReconstructionObjective("mse", "sigmoid")


def _model() -> DenseAE:
    torch.manual_seed(0)
    return DenseAE(DenseSpec(10, 2, (16,)))


def test_onecycle_warms_up_to_the_peak_then_decays_to_zero():
    lrs = [scheduled_lr("onecycle", 0.01, s, 1000) for s in range(1000)]
    peak = max(range(1000), key=lambda s: lrs[s])
    assert 95 <= peak <= 100 and lrs[peak] == pytest.approx(0.01, rel=1e-3)
    assert lrs[0] < 0.01 * 0.02  # starts near zero
    assert all(b > a for a, b in zip(lrs[:peak], lrs[1:peak + 1]))  # warm-up rises
    assert all(b <= a for a, b in zip(lrs[peak:], lrs[peak + 1:]))  # then only falls
    assert lrs[-1] < 1e-6


def test_cosine_falls_from_the_base_to_zero_and_constant_stays():
    lrs = [scheduled_lr("cosine", 0.1, s, 100) for s in range(101)]
    assert lrs[0] == pytest.approx(0.1) and lrs[50] == pytest.approx(0.05) and lrs[100] == pytest.approx(0.0, abs=1e-12)
    assert all(scheduled_lr("constant", 0.1, s, 100) == 0.1 for s in range(100))


def test_the_loop_follows_the_schedule_step_by_step():
    X = low_rank_table(n=256)
    # 4 epochs of 8 batches: the lr recorded at the end of each epoch is the schedule's at its last step
    hist = fit_module(_model(), X, OBJ, TrainConfig(epochs=4, batch_size=32, lr=0.02, lr_schedule="onecycle", seed=0))
    seen = [r["lr"] for r in hist]
    assert seen == pytest.approx([scheduled_lr("onecycle", 0.02, 8 * (e + 1) - 1, 32) for e in range(4)])
    assert seen[-1] < 0.002 < seen[0]


def test_resume_with_a_schedule_ends_where_the_uninterrupted_run_would(tmp_path):
    X = low_rank_table()
    cfg = dict(epochs=5, batch_size=32, lr=0.02, lr_schedule="onecycle", seed=1)
    full = _model()
    h_full = fit_module(full, X, OBJ, TrainConfig(**cfg))

    class Kill(Exception):
        pass

    class KillAt:
        def on_epoch_end(self, record):
            if record["epoch"] == 2:
                raise Kill

    with pytest.raises(Kill):
        fit_module(_model(), X, OBJ, TrainConfig(**cfg, checkpoint_dir=str(tmp_path)), callbacks=[KillAt()])
    resumed = _model()
    h_res = fit_module(resumed, X, OBJ, TrainConfig(**cfg, checkpoint_dir=str(tmp_path), resume=True))
    assert [r["lr"] for r in h_res] == pytest.approx([r["lr"] for r in h_full])
    assert [r["loss"] for r in h_res] == pytest.approx([r["loss"] for r in h_full], rel=1e-6)
    # a schedule spans the run: resuming it with other epochs would not continue it
    with pytest.raises(InputError, match="same epochs"):
        fit_module(_model(), X, OBJ, TrainConfig(**{**cfg, "epochs": 9}, checkpoint_dir=str(tmp_path), resume=True))


def test_bad_schedule_settings_are_refused_with_the_fix():
    X = low_rank_table()
    with pytest.raises(InputError, match="lr_schedule must be one of 'constant', 'cosine', 'onecycle'"):
        Autoencoder(latent_dim=2, epochs=1, lr_schedule="step").fit(X)
    with pytest.raises(InputError, match="cannot be combined with reduce_lr_patience"):
        Autoencoder(latent_dim=2, epochs=1, lr_schedule="onecycle", reduce_lr_patience=2).fit(X)
    with pytest.raises(InputError, match="cannot be combined with reduce_lr_patience"):
        fit_module(_model(), X, OBJ, TrainConfig(epochs=1, lr_schedule="cosine", reduce_lr_patience=1))


def test_estimators_pass_the_schedule_to_training():
    X = low_rank_table()
    est = Autoencoder(latent_dim=2, epochs=3, lr=0.01, lr_schedule="cosine", batch_size=32,
                      random_state=0).fit(X)
    lrs = [r["lr"] for r in est.history_]
    assert lrs[0] < 0.01 and lrs[-1] < 1e-4 and all(b < a for a, b in zip(lrs, lrs[1:]))
