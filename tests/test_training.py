"""Training learns, stops early, and resumes after an interruption to the same result."""

import numpy as np
import pytest
import torch

from deepcons.model import build_model, predict_logits
from deepcons.training import Checkpoint, TrainSettings, evaluate, roc_auc, train

from planted import planted_dataset

SMALL = {"kernels": {8: 16}, "hidden": 16, "dropout_conv": 0.1, "dropout_hidden": 0.1}


@pytest.fixture(scope="module")
def planted():
    codes, labels, _, _ = planted_dataset(n=800, seed=1)
    return (
        (codes[:600], labels[:600]),
        (codes[600:700], labels[600:700]),
        (codes[700:], labels[700:]),
    )


def test_tiny_model_learns_a_planted_motif(planted, tmp_path):
    train_data, valid_data, test_data = planted
    torch.manual_seed(0)
    model = build_model(SMALL)
    settings = TrainSettings(
        batch_size=32, max_epochs=40, patience=5, learning_rate=0.1, seed=0, device="cpu"
    )
    _, state = train(model, train_data, valid_data, settings, Checkpoint(tmp_path), "k")
    logits = predict_logits(model, test_data[0]).numpy()
    assert roc_auc(test_data[1], logits) > 0.95
    assert state.history[0]["epoch"] == 1 and len(state.history) == state.epoch
    assert min(r["valid_loss"] for r in state.history) == pytest.approx(state.best_loss, abs=1e-6)
    # the kept weights are the best epoch's, not the last one's: the model scores it again
    assert state.best_epoch < state.epoch  # (stopped early: the last epochs were worse)
    valid_codes, valid_labels = (torch.from_numpy(np.asarray(a)) for a in valid_data)
    loss, _, _ = evaluate(model, valid_codes, valid_labels.float(), 256)
    assert loss == pytest.approx(state.best_loss, rel=1e-6)
    assert loss < state.history[-1]["valid_loss"] - 1e-6


@pytest.mark.parametrize(
    "architecture",
    [
        {"architecture": "dilated", "dilated_kernels": 16, "dilated_width": 8, "dilated_blocks": 3},
        {
            "architecture": "deepsea",
            "deepsea_channels": [16, 16, 16],
            "deepsea_width": 5,
            "deepsea_pool": 2,
            "input_length": 164,
        },
    ],
    ids=["dilated", "deepsea"],
)
def test_deeper_architectures_learn_the_planted_motif(planted, tmp_path, architecture):
    train_data, valid_data, test_data = planted
    torch.manual_seed(0)
    model = build_model({**SMALL, **architecture})
    settings = TrainSettings(
        batch_size=32, max_epochs=15, patience=5, learning_rate=0.05, seed=0, device="cpu"
    )
    train(model, train_data, valid_data, settings, Checkpoint(tmp_path), "k")
    logits = predict_logits(model, test_data[0]).numpy()
    assert roc_auc(test_data[1], logits) > 0.9


def test_early_stopping_counts_epochs_without_improvement(planted, tmp_path):
    train_data, valid_data, _ = planted
    torch.manual_seed(0)
    model = build_model(SMALL)
    # a learning rate of 0: the validation loss never goes down after epoch 1
    settings = TrainSettings(
        batch_size=64, max_epochs=50, patience=3, learning_rate=1e-12, seed=0, device="cpu"
    )
    _, state = train(model, train_data, valid_data, settings, Checkpoint(tmp_path), "k")
    # epoch 1 is the best; epochs 2, 3 and 4 bring no lower loss: stop after epoch 4
    assert state.stopped_early and state.best_epoch == 1 and state.epoch == 1 + 3


class Interrupt(Exception):
    pass


def run(planted, directory, max_epochs, interrupt_after=None):
    train_data, valid_data, _ = planted
    torch.manual_seed(0)
    model = build_model(SMALL)
    settings = TrainSettings(
        batch_size=32, max_epochs=max_epochs, patience=100, learning_rate=0.05, seed=3, device="cpu"
    )

    def on_epoch(state):
        if interrupt_after is not None and state.epoch == interrupt_after:
            raise Interrupt

    best, state = train(
        model, train_data, valid_data, settings, Checkpoint(directory), "key", on_epoch
    )
    return model, state


def test_resume_gives_the_same_result(planted, tmp_path):
    whole, whole_state = run(planted, tmp_path / "a", 6)
    with pytest.raises(Interrupt):
        run(planted, tmp_path / "b", 6, interrupt_after=3)
    resumed, resumed_state = run(planted, tmp_path / "b", 6)
    assert [r["valid_loss"] for r in resumed_state.history] == [
        r["valid_loss"] for r in whole_state.history
    ]
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_checkpoint_of_other_work_is_ignored(planted, tmp_path):
    with pytest.raises(Interrupt):
        run(planted, tmp_path, 4, interrupt_after=2)
    train_data, valid_data, _ = planted
    model = build_model(SMALL)
    settings = TrainSettings(
        batch_size=32, max_epochs=1, patience=5, learning_rate=0.05, seed=3, device="cpu"
    )
    _, state = train(model, train_data, valid_data, settings, Checkpoint(tmp_path), "another key")
    assert state.epoch == 1 and len(state.history) == 1


def test_batches_are_never_a_float_copy_of_the_data_set(planted, tmp_path, monkeypatch):
    # the model sees uint8 batches only; one-hot encoding happens inside it
    train_data, valid_data, _ = planted
    seen = []
    model = build_model(SMALL)
    original = type(model).forward

    def spy(self, codes):
        seen.append((codes.dtype, codes.shape[0]))
        return original(self, codes)

    monkeypatch.setattr(type(model), "forward", spy)
    settings = TrainSettings(batch_size=32, max_epochs=1, patience=5, seed=0, device="cpu")
    train(model, train_data, valid_data, settings, Checkpoint(tmp_path), "k")
    assert {dtype for dtype, _ in seen} == {torch.uint8}
    assert max(n for _, n in seen[: len(train_data[0]) // 32]) == 32
    assert np.asarray(train_data[0]).dtype == np.uint8


def test_diverged_training_stops_with_one_clear_line(planted, tmp_path):
    from deepcons.errors import InputError

    train_data, valid_data, _ = planted
    torch.manual_seed(0)
    model = build_model(SMALL)
    with torch.no_grad():
        model.head[1].weight[0, 0] = float("nan")
    settings = TrainSettings(batch_size=64, max_epochs=2, seed=0, device="cpu")
    with pytest.raises(InputError, match="training diverged in epoch 1"):
        train(model, train_data, valid_data, settings, Checkpoint(tmp_path), "k")
