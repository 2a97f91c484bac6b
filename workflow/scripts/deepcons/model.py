"""The DeepCons network (paper section 5.3) and two deeper alternatives: DeepSEA-like and dilated.

All take uint8 codes (A=0, C=1, G=2, T=3, N=4), shape (batch, length), and one-hot encode
them on the model's device (N = all zeros), so that a data set is never expanded in memory.
All return one logit per sequence.
"""

from __future__ import annotations

import torch
from torch import nn

from .fastconv import conv_global_max, conv_global_max_reference
from .layer_lengths import deepsea_output_length

# One-hot rows for codes 0..4; the N row is zeros.
_ONE_HOT = torch.cat([torch.eye(4), torch.zeros(1, 4)])


def one_hot(codes: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
    """(B, L) uint8 codes -> (B, 4, L) one-hot on the codes' device."""
    table = _ONE_HOT.to(device=codes.device, dtype=dtype)
    return table[codes.long()].transpose(1, 2).contiguous()


def default_hparams() -> dict:
    """The paper's model (model: section of the config, with the schema's defaults)."""
    return {
        "architecture": "deepcons",
        "kernels": {10: 1000, 20: 500},
        "hidden": 1500,
        "dropout_conv": 0.25,
        "dropout_hidden": 0.5,
        "deepsea_channels": [320, 480, 960],
        "deepsea_width": 8,
        "deepsea_pool": 4,
        "dilated_kernels": 256,
        "dilated_width": 15,
        "dilated_blocks": 5,
        "dilated_residual": True,
        "input_length": 2020,
    }


def pooled_head(features: int, hidden: int, dropout_conv: float, dropout_hidden: float):
    """Pooled features -> dropout -> dense -> ReLU -> dropout -> logit."""
    return nn.Sequential(
        nn.Dropout(dropout_conv),
        nn.Linear(features, hidden),
        nn.ReLU(),
        nn.Dropout(dropout_hidden),
        nn.Linear(hidden, 1),
    )


def first_layer_ids(conv: nn.Conv1d) -> list[str]:
    """Kernel identifiers of a single first layer: k<width>_<index>."""
    return [f"k{conv.kernel_size[0]}_{i}" for i in range(conv.out_channels)]


class DeepConsCNN(nn.Module):
    """Parallel conv layers -> ReLU -> global max -> dropout -> dense -> ReLU -> dropout -> logit.

    ``fast`` uses the fused conv + global max layer (:mod:`deepcons.fastconv`), whose backward
    pass needs only each kernel's argmax window; it computes the same function.
    """

    def __init__(
        self,
        kernels: dict,
        hidden: int,
        dropout_conv: float,
        dropout_hidden: float,
        fast: bool = True,
    ):
        super().__init__()
        kernels = {int(w): int(n) for w, n in kernels.items()}  # JSON keys are strings
        self.widths = sorted(kernels)
        self.counts = [kernels[w] for w in self.widths]
        self.convs = nn.ModuleList(
            nn.Conv1d(4, n, w) for w, n in zip(self.widths, self.counts, strict=True)
        )
        self.fast = fast
        n_kernels = sum(self.counts)
        self.head = pooled_head(n_kernels, hidden, dropout_conv, dropout_hidden)

    def kernel_ids(self) -> list[str]:
        return [
            f"k{w}_{i}" for w, n in zip(self.widths, self.counts, strict=True) for i in range(n)
        ]

    def pooled(self, x: torch.Tensor, codes=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Each kernel's ReLU'd maximum and its position: two (B, n_kernels) tensors.

        ``codes``, the base codes ``x`` encodes, lets the fused layer read them (CPU)."""
        values, where = [], []
        for conv in self.convs:
            if self.fast:
                v, a = conv_global_max(x, conv.weight, conv.bias, codes=codes)
            else:
                v, a = conv_global_max_reference(x, conv.weight, conv.bias)
            values.append(v)
            where.append(a)
        return torch.cat(values, 1), torch.cat(where, 1)

    def forward_one_hot(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 4, L) float -> (B,) logits."""
        return self.head(self.pooled(x)[0]).squeeze(-1)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        x = one_hot(codes, self.convs[0].weight.dtype)
        return self.head(self.pooled(x, codes)[0]).squeeze(-1)


class DeepSEALike(nn.Module):
    """Three conv/ReLU/max-pool blocks of growing width, then dense (after DeepSEA, 2015)."""

    def __init__(
        self,
        channels,
        width: int,
        pool: int,
        hidden: int,
        dropout_conv: float,
        dropout_hidden: float,
        input_length: int,
    ):
        super().__init__()
        layers, c_in = [], 4
        for i, c_out in enumerate(channels):
            layers += [nn.Conv1d(c_in, c_out, width), nn.ReLU(), nn.MaxPool1d(pool, pool)]
            layers.append(nn.Dropout(dropout_conv if i < len(channels) - 1 else dropout_hidden))
            c_in = c_out
        length = deepsea_output_length(input_length, len(channels), width, pool)
        if length < 1:
            raise ValueError(
                f"input length {input_length} is too short for {len(channels)} conv/pool blocks"
            )
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(c_in * length, hidden), nn.ReLU(), nn.Linear(hidden, 1)
        )

    @property
    def convs(self) -> list[nn.Conv1d]:
        """The first layer, whose kernels read the sequence (a view: its weights are saved
        once, under ``features``)."""
        return [self.features[0]]

    def kernel_ids(self) -> list[str]:
        return first_layer_ids(self.convs[0])

    def forward_one_hot(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(-1)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.forward_one_hot(one_hot(codes, self.convs[0].weight.dtype))


class DilatedBlock(nn.Module):
    """ReLU -> dilated conv (width 3, same length) -> dropout; added to its input if residual."""

    def __init__(self, channels: int, dilation: int, dropout: float, residual: bool):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, dilation=dilation, padding=dilation)
        self.dropout = nn.Dropout(dropout)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.dropout(self.conv(torch.relu(x)))
        return x + out if self.residual else out


class DilatedCNN(nn.Module):
    """A motif layer, then a tower of dilated convolutions (dilation 2, 4, 8...: the receptive
    field doubles with each block and spans the row after about log2(L / width) blocks),
    optionally residual (after Basenji, 2018), then global max -> dense -> logit.

    The first layer's kernels read the sequence, as the DeepCons kernels do, and go through
    the same motif analyses.
    """

    def __init__(
        self,
        kernels: int,
        width: int,
        blocks: int,
        residual: bool,
        hidden: int,
        dropout_conv: float,
        dropout_hidden: float,
    ):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv1d(4, kernels, width)])
        self.tower = nn.Sequential(
            *(DilatedBlock(kernels, 2 ** (i + 1), dropout_conv, residual) for i in range(blocks))
        )
        self.head = pooled_head(kernels, hidden, dropout_conv, dropout_hidden)

    def receptive_field(self) -> int:
        """Columns of the input that one position after the tower sees."""
        width = self.convs[0].kernel_size[0]
        return width + sum(2 * block.conv.dilation[0] for block in self.tower)

    def kernel_ids(self) -> list[str]:
        return first_layer_ids(self.convs[0])

    def forward_one_hot(self, x: torch.Tensor) -> torch.Tensor:
        features = self.tower(torch.relu(self.convs[0](x)))
        return self.head(torch.relu(features).amax(dim=2)).squeeze(-1)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.forward_one_hot(one_hot(codes, self.convs[0].weight.dtype))


def build_model(hparams: dict, fast: bool = True) -> nn.Module:
    """A model from the ``model:`` config section (plus ``input_length``)."""
    h = {**default_hparams(), **hparams}
    if h["architecture"] == "deepcons":
        return DeepConsCNN(
            h["kernels"], h["hidden"], h["dropout_conv"], h["dropout_hidden"], fast=fast
        )
    if h["architecture"] == "deepsea":
        return DeepSEALike(
            h["deepsea_channels"],
            h["deepsea_width"],
            h["deepsea_pool"],
            h["hidden"],
            h["dropout_conv"],
            h["dropout_hidden"],
            h["input_length"],
        )
    if h["architecture"] == "dilated":
        return DilatedCNN(
            h["dilated_kernels"],
            h["dilated_width"],
            h["dilated_blocks"],
            h["dilated_residual"],
            h["hidden"],
            h["dropout_conv"],
            h["dropout_hidden"],
        )
    raise ValueError(f"unknown architecture {h['architecture']!r}")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def predict_logits(
    model: nn.Module, codes, batch_size: int = 256, device="cpu", progress=None
) -> torch.Tensor:
    """Logits of every row of ``codes`` ((n, L) uint8 array or tensor), in eval mode, on CPU."""
    model.eval()
    out = []
    for start in range(0, len(codes), batch_size):
        batch = codes[start : start + batch_size]
        if not isinstance(batch, torch.Tensor):  # a copy: torch will not wrap a read-only map
            batch = torch.from_numpy(batch.copy())
        batch = batch.to(device)
        out.append(model(batch).float().cpu())
        if progress is not None:
            progress.update(len(batch))
    return torch.cat(out) if out else torch.empty(0)
