"""Greedy layer-wise pre-training: stages mirror the deep model, each learns, the next
trains on frozen codes, and fine-tuning starts from the pre-trained weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aekit import Autoencoder
from aekit.errors import InputError
from aekit.losses.objective import ReconstructionObjective
from aekit.models.conv import ConvAE, ConvSpec
from aekit.models.dense import DenseAE, DenseSpec
from aekit.train.config import TrainConfig
from aekit.models.stages import greedy_stages
from aekit.train.layerwise import pretrain_layerwise
from tests.conftest import low_rank_table


@pytest.fixture(scope="module")
def table32() -> np.ndarray:
    return low_rank_table(n=256, d=32, rank=4)


def _snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_stages_mirror_the_deep_model_and_share_its_layers():
    deep = DenseAE(DenseSpec(n_features=32, latent_dim=4, hidden=(16, 8)))
    stages = greedy_stages(deep)
    shapes = [(s.encoder[0].in_features, s.encoder[0].out_features) for s in stages]
    assert shapes == [(32, 16), (16, 8), (8, 4)]
    assert stages[0].encoder[0] is deep.encoder[1] and stages[0].decoder[0] is deep.decoder[-1]
    assert stages[2].encoder[0] is deep.encoder[5] and stages[2].decoder[0] is deep.decoder[0]
    # stage 1 reconstructs the data like the deep model; later stages their ReLU input, through a ReLU
    assert stages[0].output == "sigmoid" and isinstance(stages[1].decoder[-1], torch.nn.ReLU)
    assert [s.is_last for s in stages] == [False, False, True]
    sig = greedy_stages(DenseAE(DenseSpec(n_features=10, latent_dim=2, hidden=(6,), activation="sigmoid")))
    assert sig[1].output == "sigmoid" and len(sig[1].decoder) == 1  # sigmoid targets: trained on logits


@pytest.mark.parametrize("noise", [None, "mask"])
def test_each_stage_lowers_its_own_reconstruction_loss(table32, noise):
    ae = Autoencoder(latent_dim=4, hidden=(16, 8), activation="tanh", noise=noise, pretrain_epochs=20, epochs=5,
                     batch_size=32, lr=1e-2, random_state=0).fit(table32)
    for stage in (1, 2, 3):
        losses = [r["loss"] for r in ae.pretrain_history_ if r["stage"] == stage]
        assert len(losses) == 20
        # measured last/first: 0.013, 0.011, 0.053 clean; 0.231, 0.077, 0.132 with masking noise
        assert losses[-1] < 0.5 * losses[0], (stage, losses[0], losses[-1])
    assert [r["epoch"] for r in ae.history_] == [1, 2, 3, 4, 5]


class _Snapshots:
    """Records the deep model's weights whenever a training run (a stage or fine-tuning) starts or ends."""

    def __init__(self) -> None:
        self.est: Autoencoder | None = None
        self.begins: list[dict[str, torch.Tensor]] = []
        self.ends: list[dict[str, torch.Tensor]] = []

    def on_train_begin(self, **_: object) -> None:
        self.begins.append(_snapshot(self.est.module_))

    def on_train_end(self) -> None:
        self.ends.append(_snapshot(self.est.module_))


def test_fine_tuning_starts_from_the_stage_weights_and_frozen_layers_stay_put(table32):
    est = Autoencoder(latent_dim=4, hidden=(16, 8), pretrain_epochs=3, epochs=2, random_state=0)
    snaps = _Snapshots()
    snaps.est = est
    est.fit(table32, callbacks=[snaps])
    assert len(snaps.begins) == 4  # three stages, then fine-tuning
    init, after_stages, fine_tune_start = snaps.begins[0], snaps.ends[2], snaps.begins[3]
    for k in after_stages:
        torch.testing.assert_close(fine_tune_start[k], after_stages[k], rtol=0, atol=0)
        if k != "encoder.0.mean":  # the input centring is set from the data, not trained
            assert not torch.equal(after_stages[k], init[k]), k  # every layer belongs to one stage
    # stage 1's layers: trained in stage 1, untouched by stages 2 and 3
    for k in ("encoder.1.weight", "decoder.4.weight"):
        assert not torch.equal(snaps.ends[0][k], init[k])
        torch.testing.assert_close(snaps.ends[2][k], snaps.ends[0][k], rtol=0, atol=0)
    # stage 2's layers: untouched by stage 1
    torch.testing.assert_close(snaps.ends[0]["encoder.3.weight"], init["encoder.3.weight"], rtol=0, atol=0)
    # and fine-tuning does train all of it
    assert not torch.equal(est.module_.state_dict()["encoder.1.weight"], fine_tune_start["encoder.1.weight"])


def test_each_stage_trains_on_the_frozen_codes_of_the_last(table32):
    torch.manual_seed(0)
    deep = DenseAE(DenseSpec(n_features=32, latent_dim=4, hidden=(16,), activation="tanh"))
    seen = []

    def objective_for(stage, data):
        seen.append(torch.as_tensor(data).clone())
        return ReconstructionObjective("mse", stage.output)

    history = pretrain_layerwise(deep, table32, objective_for, TrainConfig(epochs=3, batch_size=64, seed=0,
                                                                          device="cpu"))
    assert [r["stage"] for r in history] == [1, 1, 1, 2, 2, 2] and [r["epoch"] for r in history] == [1, 2, 3] * 2
    torch.testing.assert_close(seen[0], torch.from_numpy(table32))
    with torch.no_grad():
        codes = deep.encoder[:3](torch.from_numpy(table32))  # layer 1 after pre-training: frozen since stage 1
    torch.testing.assert_close(seen[1], codes)


def test_stage_checkpoints_let_a_finished_run_resume_without_retraining(tmp_path, table32):
    kw = dict(latent_dim=4, hidden=(8,), pretrain_epochs=2, epochs=2, random_state=0)
    first = Autoencoder(**kw).fit(table32, checkpoint_dir=tmp_path)
    assert sorted(p.name for p in (tmp_path / "pretrain").iterdir()) == ["stage-1", "stage-2"]
    again = Autoencoder(**kw).fit(table32, checkpoint_dir=tmp_path, resume=True)
    assert again.pretrain_history_ == first.pretrain_history_ and again.history_ == first.history_
    np.testing.assert_array_equal(again.transform(table32), first.transform(table32))


def test_only_mirrored_dense_models_can_be_pretrained():
    with pytest.raises(InputError, match="decoder that mirrors the encoder"):
        greedy_stages(DenseAE(DenseSpec(n_features=10, latent_dim=2, hidden=(6,), decoder_hidden=(5,))))
    with pytest.raises(InputError, match="dense models \\(DenseAE\\) only, got ConvAE"):
        greedy_stages(ConvAE(ConvSpec(in_channels=1, height=8, width=8, latent_dim=2, channels=(2,))))


def test_the_trainer_does_not_know_the_dense_family():
    import inspect

    import aekit.train.layerwise as layerwise

    source = inspect.getsource(layerwise)
    assert "DenseAE" not in source and "isinstance" not in source
