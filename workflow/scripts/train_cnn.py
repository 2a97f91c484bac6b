"""Rule train_cnn: the DeepCons CNN with Adagrad and early stopping, resumable."""

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

    # The history and curve grow in place as training goes, to be watched (tail -F). After an
    # interruption they stand without the model until the job is rerun (Snakemake marks the
    # job incomplete); the rerun resumes from the checkpoint and rewrites them whole.
    def write_progress(state):
        write_history(smk.output.history, state.history)
        plot_learning_curve(state.history, [smk.output.curve], state.best_epoch)

    checkpoint = Checkpoint(smk.params.checkpoint)
    _, state = train(model, train_data, valid_data, settings, checkpoint, key, write_progress)
    provenance = {
        "config": {"model": smk.params.model, "train": run},
        "data_sha256": data_hash,
        "best_epoch": state.best_epoch,
        "best_valid_loss": state.best_loss,
        "epochs": state.epoch,
        "parameters": count_parameters(model),
    }
    save_model(model, hparams, smk.output.weights, provenance)
    write_progress(state)
    checkpoint.remove()  # done: a later run with other settings starts afresh


run_rule(main, snakemake)
