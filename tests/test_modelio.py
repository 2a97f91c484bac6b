"""Model files: safetensors + JSON; tampered or pickled weights are refused."""

import json
import pickle

import pytest
import torch

from deepcons.errors import InputError
from deepcons.model import build_model
from deepcons.modelio import load_model, save_model

HPARAMS = {"kernels": {10: 4, 20: 2}, "hidden": 8, "input_length": 100}


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = build_model(HPARAMS)
    save_model(model, HPARAMS, tmp_path / "model.safetensors", {"data_sha256": "abc"})
    return tmp_path, model


def test_round_trip(saved):
    directory, model = saved
    loaded, info = load_model(directory)
    codes = torch.randint(0, 5, (3, 100), dtype=torch.uint8)
    model.eval()
    assert torch.equal(loaded(codes), model(codes))
    assert info["provenance"]["data_sha256"] == "abc"
    assert "torch" in info["provenance"]["versions"]
    assert info["hparams"]["kernels"] == {"10": 4, "20": 2}


@pytest.mark.parametrize(
    "hparams",
    [
        {
            "architecture": "deepsea",
            "deepsea_channels": [4, 4, 4],
            "deepsea_width": 3,
            "deepsea_pool": 2,
        },
        {"architecture": "dilated", "dilated_kernels": 4, "dilated_blocks": 2},
    ],
    ids=["deepsea", "dilated"],
)
def test_every_architecture_round_trips(tmp_path, hparams):
    torch.manual_seed(0)
    hparams = {**HPARAMS, **hparams}
    model = build_model(hparams).eval()
    save_model(model, hparams, tmp_path / "model.safetensors")
    loaded, info = load_model(tmp_path)
    codes = torch.randint(0, 5, (3, 100), dtype=torch.uint8)
    assert torch.equal(loaded(codes), model(codes))
    assert info["hparams"]["architecture"] == hparams["architecture"]


def test_tampered_weights_are_refused(saved):
    directory, _ = saved
    path = directory / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="do not match the checksum"):
        load_model(directory)


def test_pickled_weights_are_refused_without_unpickling(saved, monkeypatch):
    directory, model = saved
    path = directory / "model.safetensors"
    torch.save(model.state_dict(), path)  # a pickle in disguise
    info = json.loads((directory / "model.json").read_text())
    from deepcons.modelio import sha256_file

    info["weights_sha256"] = sha256_file(path)  # even with a matching checksum
    (directory / "model.json").write_text(json.dumps(info))

    def forbidden(*args, **kwargs):
        raise AssertionError("something tried to unpickle")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    with pytest.raises(InputError, match="not a safetensors weights file"):
        load_model(directory)


def test_missing_or_foreign_description(tmp_path):
    (tmp_path / "model.json").write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a deepcons model description"):
        load_model(tmp_path)
