"""Rule train_cnn: the DeepCons CNN with Adagrad and early stopping, resumable."""

from pathlib import Path

import torch

from deepcons.dataset import load_split, read_dataset_info
from deepcons.devices import resolve_device
from deepcons.figures_train import plot_learning_curve
from deepcons.logs import run_rule
from deepcons.model import build_model, count_parameters
from deepcons.modelio import save_model
from deepcons.training import (
    Checkpoint,
    TrainSettings,
    fingerprint,
    hash_files,
    train,
    write_history,
)


def main(smk):
    torch.set_num_threads(smk.threads)
    info = read_dataset_info(smk.input.info)
    # the layout travels with the model, so that it can score sequences on its own
    hparams = {
        **smk.params.model,
        "input_length": info["width"],
        "pad_length": info["pad_length"],
        "spacer_length": info["spacer_length"],
    }
    t = smk.params.train  # the settings that shape the model (rerun triggers)
    run = smk.config["train"]  # and how it runs: device, validation batch size
    settings = TrainSettings(
        batch_size=t["batch_size"],
        eval_batch_size=run["eval_batch_size"],
        max_epochs=t["max_epochs"],
        patience=t["patience"],
        learning_rate=t["learning_rate"],
        seed=t["seed"],
        device=run["device"],
    )
    data_hash = hash_files(smk.input.arrays)
    torch.manual_seed(settings.seed)
    model = build_model(hparams, fast=t["fast_conv"])
    # what the run's weights depend on: not the validation batch size; the device resolved
    shaping = {k: v for k, v in settings.__dict__.items() if k not in ("eval_batch_size", "device")}
    key = fingerprint(hparams, shaping, resolve_device(settings.device).type, data_hash)
    directory = smk.input.info.rsplit("/", 1)[0]
    train_data = load_split(directory, "train")
    valid_data = load_split(directory, "valid")

    # While training, the history and curve go beside the checkpoint, not to the declared
    # outputs: after a Ctrl-C (Snakemake deletes the outputs of a job it stops, not of one the
    # user interrupts) they would stand without a model, and --summary would call them ok.
    live = Path(smk.params.checkpoint)
    live_history, live_curve = live / "history.tsv", live / "learning_curve.png"

    def write_progress(state, history, curve):
        write_history(history, state.history)
        plot_learning_curve(state.history, [curve], state.best_epoch)

    def on_epoch(state):
        write_progress(state, live_history, live_curve)

    checkpoint = Checkpoint(smk.params.checkpoint)
    _, state = train(model, train_data, valid_data, settings, checkpoint, key, on_epoch)
    provenance = {
        "config": {"model": smk.params.model, "train": run},
        "data_sha256": data_hash,
        "best_epoch": state.best_epoch,
        "best_valid_loss": state.best_loss,
        "epochs": state.epoch,
        "parameters": count_parameters(model),
    }
    save_model(model, hparams, smk.output.weights, provenance)
    write_progress(state, smk.output.history, smk.output.curve)
    checkpoint.remove()  # done: a later run with other settings starts afresh
    live_history.unlink(missing_ok=True)
    live_curve.unlink(missing_ok=True)


run_rule(main, snakemake)
