"""The training loop: early stopping, LR on plateau, NaN guard, checkpoints and resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aekit.errors import InputError, TrainingDivergedError
from aekit.losses import ReconstructionObjective
from aekit.models import DenseAE, DenseSpec
from aekit.train import TrainConfig, fit_module
from aekit.train.checkpoint import load_checkpoint
from tests.conftest import low_rank_table

OBJ = ReconstructionObjective("mse", "sigmoid")


def _model(seed: int = 0) -> DenseAE:
    torch.manual_seed(seed)
    return DenseAE(DenseSpec(10, 2, (16,)))


def _weights(m: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


def test_history_records_every_epoch_and_loss_falls():
    X = low_rank_table()
    hist = fit_module(_model(), X, OBJ, TrainConfig(epochs=30, batch_size=32, lr=1e-2, seed=0), val=X[:50])
    assert [r["epoch"] for r in hist] == list(range(1, 31))
    assert {"loss", "val_loss", "lr", "seconds"} <= set(hist[0])
    assert hist[-1]["loss"] < 0.5 * hist[0]["loss"]


def test_same_seed_same_weights_and_callers_rng_untouched():
    X = low_rank_table()
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a, b = _model(), _model()
    torch.manual_seed(123)
    fit_module(a, X, OBJ, TrainConfig(epochs=3, batch_size=32, seed=7))
    after = torch.rand(1)
    fit_module(b, X, OBJ, TrainConfig(epochs=3, batch_size=32, seed=7))
    assert before.item() == after.item()  # the caller's global RNG did not move
    for k, v in _weights(a).items():
        assert torch.equal(v, _weights(b)[k])


def test_early_stopping_restores_the_best_weights():
    X = low_rank_table()
    m = _model()
    snapshots: list[dict[str, torch.Tensor]] = []

    class Snap:
        def on_epoch_end(self, record):
            snapshots.append(_weights(m))

    # lr far too high makes validation loss bounce, so the best epoch is not the last
    hist = fit_module(m, X, OBJ, TrainConfig(epochs=40, batch_size=16, lr=0.3, seed=0, early_stopping=3),
                      val=low_rank_table(seed=1)[:60], callbacks=[Snap()])
    val = [r["val_loss"] for r in hist]
    best = int(np.argmin(val))
    assert len(hist) < 40 and len(hist) - 1 - best == 3  # stopped 3 epochs after the best
    for k, v in _weights(m).items():
        assert torch.equal(v, snapshots[best][k])


def test_reduce_lr_on_plateau_lowers_lr():
    X = low_rank_table()
    hist = fit_module(_model(), X, OBJ, TrainConfig(epochs=25, batch_size=16, lr=0.3, seed=0,
                                                      reduce_lr_patience=1, reduce_lr_factor=0.5), val=X[:50])
    lrs = [r["lr"] for r in hist]
    assert lrs[0] == 0.3 and min(lrs) < 0.3 and all(b <= a for a, b in zip(lrs, lrs[1:]))


def test_nan_loss_stops_with_a_message(tmp_path):
    X = low_rank_table()
    X[5, 3] = np.nan  # slips past the estimator's checks when fit_module is called directly
    with pytest.raises(TrainingDivergedError, match=r"NaN or infinite at epoch 1, batch \d+.*Lower lr"):
        fit_module(_model(), X, OBJ, TrainConfig(epochs=2, batch_size=16, seed=0))


def test_diverging_lr_is_caught_and_names_the_checkpoint(tmp_path):
    X = low_rank_table() * 1e3
    obj = ReconstructionObjective("mse", "linear")
    m = DenseAE(DenseSpec(10, 2, (16,), output="linear"))
    with pytest.raises(TrainingDivergedError, match="lr"):
        fit_module(m, X, obj, TrainConfig(epochs=50, batch_size=16, lr=1e6, seed=0, checkpoint_dir=str(tmp_path)))


class _Kill(Exception):
    pass


def test_resume_after_a_kill_ends_where_the_uninterrupted_run_would(tmp_path):
    X = low_rank_table()
    cfg = dict(epochs=6, batch_size=32, seed=3, reduce_lr_patience=1, early_stopping=10)
    full = _model()
    h_full = fit_module(full, X, OBJ, TrainConfig(**cfg), val=X[:40])

    class KillAt:
        def on_epoch_end(self, record):
            if record["epoch"] == 3:
                raise _Kill

    killed = _model()
    with pytest.raises(_Kill):
        fit_module(killed, X, OBJ, TrainConfig(**cfg, checkpoint_dir=str(tmp_path)), val=X[:40], callbacks=[KillAt()])
    assert load_checkpoint(tmp_path)["meta"]["epoch"] == 3
    resumed = _model(seed=99)  # fresh weights: everything must come from the checkpoint
    h_res = fit_module(resumed, X, OBJ, TrainConfig(**cfg, checkpoint_dir=str(tmp_path), resume=True), val=X[:40])
    assert [r["loss"] for r in h_res] == pytest.approx([r["loss"] for r in h_full], rel=1e-6)
    for k, v in _weights(full).items():
        torch.testing.assert_close(_weights(resumed)[k], v, rtol=1e-6, atol=1e-7)


def test_resume_refuses_a_checkpoint_from_other_settings(tmp_path):
    X = low_rank_table()
    fit_module(_model(), X, OBJ, TrainConfig(epochs=1, seed=0, checkpoint_dir=str(tmp_path)), fingerprint="a")
    with pytest.raises(InputError, match="different settings"):
        fit_module(_model(), X, OBJ, TrainConfig(epochs=2, seed=0, checkpoint_dir=str(tmp_path), resume=True),
                   fingerprint="b")


def test_streams_a_memmap(tmp_path):
    X = low_rank_table(n=300)
    path = tmp_path / "x.npy"
    np.save(path, X)
    mm = np.load(path, mmap_mode="r")
    m = _model()
    hist = fit_module(m, mm, OBJ, TrainConfig(epochs=15, batch_size=32, lr=1e-2, seed=0))
    assert hist[-1]["loss"] < hist[0]["loss"]


def test_resume_may_extend_epochs_but_not_change_the_model(tmp_path):
    from aekit import Autoencoder

    X = low_rank_table()
    Autoencoder(latent_dim=2, epochs=2, random_state=0).fit(X, checkpoint_dir=tmp_path)
    longer = Autoencoder(latent_dim=2, epochs=4, random_state=0).fit(X, checkpoint_dir=tmp_path, resume=True)
    assert [r["epoch"] for r in longer.history_] == [1, 2, 3, 4]
    with pytest.raises(InputError, match="different settings"):
        Autoencoder(latent_dim=3, epochs=4, random_state=0).fit(X, checkpoint_dir=tmp_path, resume=True)


class _RecordsProgress:
    """The MSE objective, plus a ``set_progress`` that records every value the loop hands it."""

    def __init__(self) -> None:
        self.seen: list[float] = []

    def set_progress(self, epochs_done: float) -> None:
        self.seen.append(epochs_done)

    def __call__(self, module, x):
        return OBJ(module, x)


def test_set_progress_follows_the_step_and_precedes_validation():
    X = low_rank_table()  # 200 rows in batches of 32: 7 per epoch
    obj = _RecordsProgress()
    fit_module(_model(), X, obj, TrainConfig(epochs=2, batch_size=32, seed=0), val=X[:40])
    per_epoch = [[e + b / 7 for b in range(7)] + [float(e + 1)] for e in range(2)]
    assert obj.seen == [t for epoch in per_epoch for t in epoch]
    assert obj.seen[0] == 0.0 and np.allclose(np.diff(obj.seen[:7]), 1 / 7)

    no_val = _RecordsProgress()
    fit_module(_model(), X, no_val, TrainConfig(epochs=2, batch_size=32, seed=0))
    assert no_val.seen == [e + b / 7 for e in range(2) for b in range(7)]  # training batches only


def test_resumed_run_continues_the_progress_of_the_uninterrupted_one(tmp_path):
    X = low_rank_table()
    cfg = dict(epochs=4, batch_size=32, seed=3)
    full = _RecordsProgress()
    fit_module(_model(), X, full, TrainConfig(**cfg), val=X[:40])

    class KillAt:
        def on_epoch_end(self, record):
            if record["epoch"] == 2:
                raise _Kill

    killed, resumed = _RecordsProgress(), _RecordsProgress()
    with pytest.raises(_Kill):
        fit_module(_model(), X, killed, TrainConfig(**cfg, checkpoint_dir=str(tmp_path)), val=X[:40],
                   callbacks=[KillAt()])
    fit_module(_model(seed=99), X, resumed, TrainConfig(**cfg, checkpoint_dir=str(tmp_path), resume=True), val=X[:40])
    assert resumed.seen[0] == 2.0
    assert killed.seen + resumed.seen == full.seen
