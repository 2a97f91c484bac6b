"""The networks: sizes, shapes, and the fused conv + global max layer against plain PyTorch."""

import pytest
import torch
import torch.nn.functional as F

from deepcons.fastconv import (
    conv_global_max,
    conv_global_max_reference,
    conv_max_argmax,
    empty_windows,
    first_empty_window,
    weighted_window_sum,
)
from deepcons.model import build_model, count_parameters, one_hot


def test_paper_configuration_has_2_3_million_parameters():
    model = build_model({"kernels": {10: 1000, 20: 500}, "hidden": 1500})
    # 1000*(4*10+1) + 500*(4*20+1) + 1500*1500+1500 + 1500+1
    assert count_parameters(model) == 2_334_501
    assert model.kernel_ids()[:2] == ["k10_0", "k10_1"] and model.kernel_ids()[-1] == "k20_499"


@pytest.mark.parametrize("architecture", ["deepcons", "deepsea", "dilated"])
def test_output_shapes(architecture):
    h = {
        "architecture": architecture,
        "kernels": {6: 8, 12: 4},
        "hidden": 16,
        "deepsea_channels": [8, 12, 16],
        "dilated_kernels": 8,
        "input_length": 300,
    }
    model = build_model(h)
    codes = torch.randint(0, 5, (7, 300), dtype=torch.uint8)
    assert model(codes).shape == (7,)
    assert model.forward_one_hot(one_hot(codes)).shape == (7,)


def test_one_hot_n_is_zero():
    x = one_hot(torch.tensor([[0, 1, 2, 3, 4]], dtype=torch.uint8))
    assert x.shape == (1, 4, 5)
    assert x[0].T.tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]


@pytest.mark.parametrize("width, block", [(10, 64), (20, 7), (5, 1000)])
def test_fused_layer_equals_plain_values_and_gradients(width, block):
    gen = torch.Generator().manual_seed(width)
    codes = torch.randint(0, 5, (6, 150), generator=gen, dtype=torch.uint8)
    x = one_hot(codes).double().requires_grad_()
    weight = torch.randn(9, 4, width, generator=gen, dtype=torch.double, requires_grad=True)
    bias = torch.randn(9, generator=gen, dtype=torch.double, requires_grad=True)
    upstream = torch.randn(6, 9, generator=gen, dtype=torch.double)

    ref, _ = conv_global_max_reference(x, weight, bias)
    ref_grads = torch.autograd.grad((ref * upstream).sum(), (x, weight, bias))
    fused, argmax = conv_global_max(x, weight, bias, block)
    grads = torch.autograd.grad((fused * upstream).sum(), (x, weight, bias))

    assert torch.allclose(fused, ref)
    for ours, theirs in zip(grads, ref_grads, strict=True):
        assert torch.allclose(ours, theirs, atol=1e-10)
    # the argmax is where the (pre-ReLU) maximum is
    conv = F.conv1d(x.detach(), weight.detach(), bias.detach())
    assert torch.equal(conv.gather(2, argmax.unsqueeze(-1)).squeeze(-1), conv.amax(2))


def _padded_rows(gen, batch, length, lengths):
    """Rows as the encoding lays them out: a sequence, N padding, its reverse complement, N."""
    half = length // 2
    codes = torch.full((batch, length), 4, dtype=torch.uint8)
    for row, n in enumerate(lengths):
        seq = torch.randint(0, 4, (n,), generator=gen, dtype=torch.uint8)
        codes[row, :n] = seq
        codes[row, half : half + n] = 3 - seq.flip(0)
    return codes


@pytest.mark.parametrize("block", [8, 16, 64])
@pytest.mark.parametrize("lengths", [[12, 30, 0, 50, 5, 21], [12, 150, 0, 50, 5, 21]])
def test_fused_layer_skips_padding_without_changing_the_result(block, lengths):
    # short sequences in long rows: most blocks are all N for the whole batch and skipped
    # (unless a row has no padding: the second case); an all-N row; an N run in a sequence
    gen = torch.Generator().manual_seed(block)
    codes = _padded_rows(gen, 6, 300, lengths)
    codes[3, 20:40] = 4
    x = one_hot(codes).double().requires_grad_()
    weight = torch.randn(9, 4, 10, generator=gen, dtype=torch.double)
    weight[:3] = -weight[:3].abs()  # negative everywhere: the maximum is an all-N window's 0
    weight.requires_grad_()
    bias = torch.randn(9, generator=gen, dtype=torch.double, requires_grad=True)
    upstream = torch.randn(6, 9, generator=gen, dtype=torch.double)

    assert empty_windows(x, 10)[:, 50:141].all() == (max(lengths) < 150)
    conv = F.conv1d(x.detach(), weight.detach())
    values, argmax = conv_max_argmax(x.detach(), weight.detach(), None, block)
    assert torch.allclose(values, conv.amax(2), rtol=0, atol=1e-12)  # (summation order)
    assert torch.equal(argmax, conv.argmax(2))  # the first maximum, as torch gives it
    # negative kernels peak at the first all-N window (a row without one has none)
    first_empty = torch.tensor([20 if row == 3 else n for row, n in enumerate(lengths)])
    padded = torch.tensor(lengths) < 150
    assert (argmax[padded, :3] == first_empty[padded, None]).all()
    assert (values[padded, :3] == 0).all() and (values[~padded, :3] < 0).all()

    ref, _ = conv_global_max_reference(x, weight, bias)
    ref_grads = torch.autograd.grad((ref * upstream).sum(), (x, weight, bias))
    fused, _ = conv_global_max(x, weight, bias, block)
    grads = torch.autograd.grad((fused * upstream).sum(), (x, weight, bias))
    assert torch.allclose(fused, ref)
    for ours, theirs in zip(grads, ref_grads, strict=True):
        assert torch.allclose(ours, theirs, atol=1e-10)


def test_empty_windows_and_the_first_of_them():
    codes = torch.tensor([[0, 4, 4, 4, 1, 4, 4], [0, 1, 2, 3, 0, 1, 2], [4] * 7], dtype=torch.uint8)
    empty = empty_windows(one_hot(codes), 2)
    assert empty.tolist() == [
        [False, True, True, False, False, True],
        [False] * 6,
        [True] * 6,
    ]
    assert first_empty_window(empty).tolist() == [1, -1, 0]


def test_fused_layer_passes_gradcheck():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 4, 30, generator=gen, dtype=torch.double, requires_grad=True)
    weight = torch.randn(3, 4, 5, generator=gen, dtype=torch.double, requires_grad=True)
    bias = torch.randn(3, generator=gen, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, w, b: conv_global_max(a, w, b, 8)[0], (x, weight, bias)
    )


def test_fast_and_plain_models_agree():
    torch.manual_seed(0)
    fast = build_model(
        {"kernels": {10: 16, 20: 8}, "hidden": 12, "dropout_conv": 0, "dropout_hidden": 0},
        fast=True,
    )
    plain = build_model(
        {"kernels": {10: 16, 20: 8}, "hidden": 12, "dropout_conv": 0, "dropout_hidden": 0},
        fast=False,
    )
    plain.load_state_dict(fast.state_dict())
    codes = torch.randint(0, 5, (5, 200), dtype=torch.uint8)
    out_fast, out_plain = fast(codes), plain(codes)
    assert torch.allclose(out_fast, out_plain, atol=1e-6)
    out_fast.sum().backward()
    out_plain.sum().backward()
    for (name, p_fast), p_plain in zip(fast.named_parameters(), plain.parameters(), strict=True):
        assert torch.allclose(p_fast.grad, p_plain.grad, atol=1e-5), name


def test_dilated_tower_sizes_receptive_field_and_residual_switch():
    h = {"architecture": "dilated", "dilated_kernels": 16, "dilated_width": 9, "hidden": 8}
    model = build_model({**h, "dilated_blocks": 4})
    # motif layer 16x4x9+16, four 16x16x3+16 blocks, dense 16x8+8 and 8x1+1
    assert count_parameters(model) == 592 + 4 * 784 + 136 + 9
    assert [b.conv.dilation[0] for b in model.tower] == [2, 4, 8, 16]
    assert model.receptive_field() == 9 + 2 * (2 + 4 + 8 + 16)
    assert model.kernel_ids()[:2] == ["k9_0", "k9_1"]

    # the residual switch changes the function of the same weights
    torch.manual_seed(0)
    residual = build_model({**h, "dilated_blocks": 2, "dropout_conv": 0, "dropout_hidden": 0})
    plain = build_model({**h, "dilated_blocks": 2, "dilated_residual": False})
    plain.load_state_dict(residual.state_dict())
    codes = torch.randint(0, 4, (3, 120), dtype=torch.uint8)
    residual.eval()
    plain.eval()
    assert not torch.allclose(residual(codes), plain(codes))
    # without any block it is the motif layer, global max and the head
    flat = build_model({**h, "dilated_blocks": 0}).eval()
    x = one_hot(codes)
    expected = flat.head(F.relu(flat.convs[0](x)).amax(2)).squeeze(-1)
    assert torch.allclose(flat(codes), expected)


def test_non_finite_kernels_give_nan_as_conv1d_does():
    codes = torch.full((2, 40), 4, dtype=torch.uint8)
    codes[0, :10] = torch.tensor([0, 1, 2, 3] * 2 + [0, 1], dtype=torch.uint8)
    x = one_hot(codes).double()
    weight = torch.randn(3, 4, 5, dtype=torch.double)
    weight[1, 2, 0] = float("nan")
    weight[2, 0, 0] = float("inf")
    values, _ = conv_max_argmax(x, weight, None, 8)
    reference = F.conv1d(x, weight).amax(2)
    assert torch.equal(values.isnan(), reference.isnan()) and values[:, 1:].isnan().all()
    assert torch.allclose(values[:, 0], reference[:, 0])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("width", [1, 5, 12])
def test_compiled_forward_from_codes_equals_conv1d(dtype, width):
    pytest.importorskip("numba")
    gen = torch.Generator().manual_seed(width)
    codes = _padded_rows(gen, 7, 120, [10, 60, 0, 3, 25, 60, 1])
    codes[1, 5:30] = 4  # an N run inside a sequence
    codes[5, :] = torch.randint(0, 4, (120,), generator=gen, dtype=torch.uint8)  # no N
    x = one_hot(codes, dtype)
    weight = torch.randn(9, 4, width, generator=gen, dtype=dtype)
    weight[:3] = -weight[:3].abs()  # their maximum is the 0 of the first all-N window
    bias = torch.randn(9, generator=gen, dtype=dtype)
    values, argmax = conv_max_argmax(x, weight, bias, codes=codes)
    conv = F.conv1d(x, weight)
    tolerance = 1e-5 if dtype == torch.float32 else 1e-12
    assert values.dtype == dtype
    assert torch.allclose(values, conv.amax(2) + bias, rtol=0, atol=tolerance)
    assert torch.equal(argmax, conv.argmax(2))
    assert (argmax[2, :3] == 0).all() and (values[5, :3] - bias[:3] < 0).all()


def test_model_reads_the_codes_and_matches_the_plain_model(monkeypatch):
    pytest.importorskip("numba")
    from deepcons import fastconv_compiled

    calls = []
    compiled = fastconv_compiled.conv_max_argmax
    monkeypatch.setattr(
        fastconv_compiled, "conv_max_argmax", lambda *a: calls.append(1) or compiled(*a)
    )
    torch.manual_seed(1)
    hparams = {"kernels": {10: 16, 20: 8}, "hidden": 12, "dropout_conv": 0, "dropout_hidden": 0}
    fast, plain = build_model(hparams, fast=True), build_model(hparams, fast=False)
    plain.load_state_dict(fast.state_dict())
    gen = torch.Generator().manual_seed(2)
    codes = _padded_rows(gen, 6, 300, [40, 12, 150, 0, 90, 31])
    out_fast, out_plain = fast(codes), plain(codes)
    assert torch.allclose(out_fast, out_plain, atol=1e-5) and len(calls) == 2  # both widths
    out_fast.sum().backward()
    out_plain.sum().backward()
    for p_fast, p_plain in zip(fast.parameters(), plain.parameters(), strict=True):
        assert torch.allclose(p_fast.grad, p_plain.grad, atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_compiled_window_sums_equal_the_one_hot_windows_bit_for_bit(dtype):
    # the weight gradient of training and the kernel-to-motif counts: the compiled sums from
    # the codes add the same numbers in the same order as the one-hot windows do
    pytest.importorskip("numba")
    from deepcons import fastconv_compiled

    gen = torch.Generator().manual_seed(4)
    codes = _padded_rows(gen, 33, 90, [30, 0, 45, 7, 41] * 6 + [12, 44, 2])
    codes[2, 10:20] = 4  # an N run inside a sequence
    x = one_hot(codes, dtype)
    width = 9
    argmax = torch.randint(0, 90 - width + 1, (33, 11), generator=gen)
    weights = torch.randn(33, 11, generator=gen, dtype=dtype)
    weights[weights < -0.5] = 0  # ReLU-masked gradients
    ours = fastconv_compiled.weighted_window_sum(codes, argmax, weights, width)
    theirs = weighted_window_sum(x, argmax, weights, width)
    assert ours.dtype == dtype and torch.equal(ours, theirs)
    assert torch.equal(weighted_window_sum(x, argmax, weights, width, codes), theirs)
    # a non-finite gradient takes the one-hot path, so that NaN spreads as it does there
    weights[0, 0] = float("nan")
    assert torch.equal(
        weighted_window_sum(x, argmax, weights, width, codes).isnan(),
        weighted_window_sum(x, argmax, weights, width).isnan(),
    )


def test_compiled_loops_leave_torch_threads_alone():
    # numba's OpenMP pool once raised torch's thread count past the job's share (train.threads),
    # and PyTorch's ops on more threads than asked then broke bitwise reproducibility
    pytest.importorskip("numba")
    from deepcons import fastconv_compiled

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        codes = torch.randint(0, 5, (16, 64), dtype=torch.uint8)
        fastconv_compiled.conv_max_argmax(codes, torch.randn(8, 4, 5))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)


def test_deepsea_lengths_are_the_layers_lengths():
    from deepcons.layer_lengths import deepsea_output_length

    for length, width, pool in [(2020, 8, 4), (100, 5, 3), (40, 3, 2)]:
        layers = torch.nn.Sequential(
            *[
                module
                for c_in, c_out in [(4, 2), (2, 2), (2, 2)]
                for module in (torch.nn.Conv1d(c_in, c_out, width), torch.nn.MaxPool1d(pool, pool))
            ]
        )
        out = layers(torch.zeros(1, 4, length))
        assert deepsea_output_length(length, 3, width, pool) == out.shape[-1]
    assert deepsea_output_length(60, 3, 8, 4) < 1
