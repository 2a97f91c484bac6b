"""The Triton conv + global max kernels against the PyTorch layer.

On CPU the real kernels run in Triton's interpreter (small shapes); the tests marked ``gpu``
compile them for a CUDA device at the paper's shapes and are skipped without one.
"""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

triton = pytest.importorskip("triton")
tl = pytest.importorskip("triton.language")

from deepcons import fastconv  # noqa: E402
from deepcons import fastconv_triton as ft  # noqa: E402
from deepcons.fastconv import (  # noqa: E402
    ConvGlobalMax,
    conv_global_max_reference,
    conv_max_argmax,
    gather_windows,
)
from deepcons.model import build_model, one_hot  # noqa: E402

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _interpreter_runs() -> bool:
    """Whether Triton's interpreter runs a loop with a run-time bound here. Triton 3.6's cannot
    with numpy >= 2.4 (``int()`` of a one-element array), as on some GPU images: there only
    the compiled kernels can be tested."""
    from triton.runtime.interpreter import InterpretedFunction

    def count(out_ptr, n):
        total = 0
        for i in range(n):
            total += i
        tl.store(out_ptr, total)

    out = torch.zeros(1, dtype=torch.int32)
    try:
        InterpretedFunction(count)[(1,)](out, 4)
    except Exception:
        if triton.__version__ == _pinned_triton():
            raise  # the set-up's own Triton must run the tests, not skip them
        return False
    return int(out) == 6


def _pinned_triton() -> str:
    import tomllib

    from workflow_runner import REPO

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    gpu = project["optional-dependencies"]["gpu"]
    return next(d.split("==")[1] for d in gpu if d.startswith("triton=="))


interpreted = pytest.mark.skipif(
    not _interpreter_runs(),
    reason=f"Triton {triton.__version__}'s interpreter does not run with numpy {np.__version__}",
)


def _codes(gen, batch, length):
    """Random codes with N's, and an N padding tail on some rows (as in the encoded rows)."""
    codes = torch.randint(0, 5, (batch, length), generator=gen, dtype=torch.uint8)
    for b in range(0, batch, 2):
        codes[b, length // 2 :] = 4
    return codes


def _bf16(t):
    return t.to(torch.bfloat16).to(t.dtype)


def _conv(x, weight, bias):
    return F.conv1d(x.double(), weight.double(), bias.double())


def _assert_argmax_is_a_maximum(x, weight, bias, argmax, atol):
    conv = _conv(x, weight, bias)
    at = conv.gather(2, argmax.unsqueeze(-1)).squeeze(-1)
    assert torch.all(at >= conv.amax(2) - atol)


def test_reduction_split_covers_the_rows_with_power_of_two_tiles():
    assert ft.reduction_split(40) == (32, 16)  # w = 10: 48 rows for 40
    assert ft.reduction_split(80) == (64, 16)  # w = 20: no padding
    assert ft.reduction_split(12) == (16, 0)
    assert ft.reduction_split(32) == (32, 0)
    assert ft.reduction_split(60) == (32, 32)
    for rows in range(1, 300):
        r1, r2 = ft.reduction_split(rows)
        assert r1 + r2 >= rows and r1 >= 16 and (r2 == 0 or r2 >= 16)
        assert r1 & (r1 - 1) == 0 and r2 & (r2 - 1) == 0


@pytest.mark.parametrize(
    "width, length, kernels",
    [(10, 150, 37), (20, 150, 16), (5, 36, 20), (3, 66, 9), (10, 73, 33)],
)
@interpreted
def test_interpreted_kernel_equals_the_reference(width, length, kernels):
    # lengths give partial last tiles (150, 36, 66) and whole tiles only (73 - 10 + 1 = 64)
    gen = torch.Generator().manual_seed(width * length)
    x = one_hot(_codes(gen, 5, length))
    weight = torch.randn(kernels, 4, width, generator=gen)
    bias = torch.randn(kernels, generator=gen)
    ref_values, ref_argmax = conv_max_argmax(x.double(), weight.double(), bias.double())

    values, argmax = ft.conv_max_argmax(x, weight, bias, precision="ieee")
    assert values.dtype == torch.float32 and argmax.dtype == torch.int64
    assert torch.allclose(values.double(), ref_values, atol=1e-5)
    assert torch.equal(argmax, ref_argmax)

    # bf16 operands: exactly the fp32 result of bf16-rounded weights (one-hot x is exact)
    values, argmax = ft.conv_max_argmax(x, weight, bias, precision="bf16")
    ref_values, ref_argmax = conv_max_argmax(x.double(), _bf16(weight).double(), bias.double())
    assert torch.allclose(values.double(), ref_values, atol=1e-5)
    assert torch.equal(argmax, ref_argmax)
    # and within bf16 rounding of the fp32 weights
    assert torch.allclose(values.double(), conv_max_argmax(x, weight, bias)[0].double(), atol=0.2)

    relu_values, _ = ft.conv_max_argmax(x, weight, None, precision="ieee", relu=True)
    no_bias, _ = conv_max_argmax(x.double(), weight.double(), None)
    assert torch.allclose(relu_values.double(), no_bias.clamp_min(0), atol=1e-5)


@interpreted
def test_interpreted_kernel_on_continuous_input_and_other_block_sizes():
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(3, 4, 200, generator=gen)
    weight = torch.randn(40, 4, 10, generator=gen)
    bias = torch.randn(40, generator=gen)
    ref_values, ref_argmax = conv_max_argmax(x.double(), weight.double(), bias.double())
    for config in ({"BLOCK_K": 32, "BLOCK_P": 16}, {"BLOCK_K": 16, "BLOCK_P": 64}):
        values, argmax = ft.conv_max_argmax(x, weight, bias, precision="ieee", config=config)
        assert torch.allclose(values.double(), ref_values, atol=1e-5)
        assert torch.equal(argmax, ref_argmax)


@interpreted
def test_ties_go_to_the_first_position():
    # equal maxima: all-N windows (exactly 0) and a motif planted twice
    gen = torch.Generator().manual_seed(6)
    codes = torch.randint(0, 4, (4, 120), generator=gen, dtype=torch.uint8)
    codes[0] = 4
    motif = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0], dtype=torch.uint8)
    codes[1, 70:78] = motif  # in the third 32-position tile
    codes[1, 100:108] = motif  # in the fourth, partial tile
    codes[2, 20:28] = motif
    codes[2, 52:60] = motif  # the same column of the next tile (BLOCK_P = 32)
    codes[3, 40:50] = 4  # all-N windows at 40, 41, 42
    codes[3, 90:110] = 4  # and from 90 on
    weight = one_hot(motif[None])[0][None].repeat(3, 1, 1) - 0.5  # best on the motif
    weight[1] = -1.0  # negative on every base: maximum 0 at the first all-N window
    x = one_hot(codes)
    values, argmax = ft.conv_max_argmax(x, weight, None, precision="ieee")
    ref_values, ref_argmax = conv_max_argmax(x.double(), weight.double(), None)
    assert torch.equal(argmax, ref_argmax)
    assert torch.allclose(values.double(), ref_values)
    assert argmax[0].tolist() == [0, 0, 0]
    assert argmax[1, 0] == 70 and argmax[2, 0] == 20
    assert argmax[3, 1] == 40 and values[3, 1] == 0


@pytest.mark.parametrize("precision", ["ieee", "bf16"])
@interpreted
def test_interpreted_kernel_skips_all_n_tiles_without_changing_the_result(precision):
    # hg19-like rows of short sequences: most tiles are all N. Row 2 is all N, row 3 has no
    # padding, row 4 an N run inside its sequence; kernels 0-2 are negative everywhere, so
    # their maximum is the 0 of the first all-N window.
    gen = torch.Generator().manual_seed(7)
    codes = torch.full((5, 300), 4, dtype=torch.uint8)
    for row, n in enumerate([40, 12, 0, 150, 60]):
        seq = torch.randint(0, 4, (n,), generator=gen, dtype=torch.uint8)
        codes[row, :n] = seq
        codes[row, 150 : 150 + n] = 3 - seq.flip(0)
    codes[4, 5:25] = 4
    x = one_hot(codes)
    weight = torch.randn(20, 4, 10, generator=gen)
    weight[:3] = -weight[:3].abs()
    bias = torch.randn(20, generator=gen)
    w_ref = _bf16(weight) if precision == "bf16" else weight

    live, empty_at = ft.live_tiles(x, 10, 32)
    assert 0 < live.float().mean() < 0.5 and live[3].all() and not live[2].any()
    assert empty_at[2] == 0 and empty_at[3] == -1 and empty_at[4] == 5
    conv = F.conv1d(x.double(), w_ref.double())
    for skip in (True, False):
        values, argmax = ft.conv_max_argmax(x, weight, None, precision, skip_empty=skip)
        assert torch.allclose(values.double(), conv.amax(2), atol=1e-5)
        assert torch.equal(argmax, conv.argmax(2))
    assert (values[[0, 1, 2, 4], :3] == 0).all() and (values[3, :3] < 0).all()
    relu_values, _ = ft.conv_max_argmax(x, weight, bias, precision, relu=True)
    assert torch.allclose(relu_values.double(), (conv.amax(2) + bias).clamp_min(0), atol=1e-5)


@pytest.mark.parametrize("n_slices", [None, 1, 2, 5])
@interpreted
def test_window_sum_equals_the_gathered_windows(n_slices):
    gen = torch.Generator().manual_seed(4)
    x = one_hot(_codes(gen, 6, 90))
    argmax = torch.randint(0, 90 - 12 + 1, (6, 45), generator=gen)
    grad = torch.randn(6, 45, generator=gen)
    out = torch.relu(torch.randn(6, 45, generator=gen))
    expected = torch.einsum(
        "bk,bkcw->kcw", (grad * (out > 0)).double(), gather_windows(x, argmax, 12).double()
    )
    gw, gb = ft.window_sum(x, argmax, grad, 12, out=out, n_slices=n_slices)
    assert gw.shape == (45, 4, 12) and gw.is_contiguous()
    assert torch.allclose(gw.double(), expected, atol=1e-5)
    assert torch.allclose(gb, (grad * (out > 0)).sum(0), atol=1e-5)
    gw, gb = ft.window_sum(x, argmax, grad, 12, n_slices=n_slices)  # no ReLU mask
    assert torch.allclose(gb, grad.sum(0), atol=1e-5)


@pytest.mark.parametrize("precision", ["ieee", "bf16"])
@interpreted
def test_interpreted_function_values_and_gradients(precision):
    gen = torch.Generator().manual_seed(5)
    x = one_hot(_codes(gen, 6, 150)).requires_grad_()
    weight = torch.randn(21, 4, 10, generator=gen, requires_grad=True)
    bias = torch.randn(21, generator=gen, requires_grad=True)
    upstream = torch.randn(6, 21, generator=gen)
    w_ref = weight if precision == "ieee" else _bf16(weight.detach()).requires_grad_()

    values, argmax = ft.conv_global_max(x, weight, bias, precision)
    grads = torch.autograd.grad((values * upstream).sum(), (x, weight, bias))
    ref, ref_argmax = ConvGlobalMax.apply(x, w_ref, bias, 64)
    ref_grads = torch.autograd.grad((ref * upstream).sum(), (x, w_ref, bias))
    assert torch.allclose(values, ref, atol=1e-5)
    assert torch.equal(argmax, ref_argmax)
    # the weight and bias gradients depend on the argmax only: equal whatever the precision;
    # the input gradient places the weights themselves (fp32 in both)
    assert torch.allclose(grads[1], ref_grads[1], atol=1e-5)
    assert torch.allclose(grads[2], ref_grads[2], atol=1e-5)
    x_grad_ref = fastconv.grad_input(x, weight.detach(), argmax, upstream * (values > 0))
    assert torch.allclose(grads[0], x_grad_ref, atol=1e-6)
    if precision == "ieee":
        assert torch.allclose(grads[0], ref_grads[0], atol=1e-6)
    # against plain PyTorch as well
    plain, _ = conv_global_max_reference(x, w_ref, bias)
    assert torch.allclose(values, plain, atol=1e-5)


@pytest.fixture
def triton_everywhere(monkeypatch):
    """Route every fastconv call through the Triton kernels, interpreted on CPU tensors."""
    monkeypatch.setattr(fastconv, "use_triton", lambda x: x.dtype in fastconv._TRITON_DTYPES)
    monkeypatch.setattr(ft, "DEFAULT_PRECISION", "ieee")


def test_use_triton_only_for_cuda_tensors(monkeypatch):
    assert not fastconv.use_triton(torch.zeros(1, 4, 8))
    # a CUDA tensor as use_triton sees it (no GPU here): an Ampere or later device
    cuda_like = SimpleNamespace(is_cuda=True, dtype=torch.float32, device=SimpleNamespace(index=0))
    monkeypatch.setattr(fastconv, "_tensor_cores", lambda index: True)
    assert fastconv.use_triton(cuda_like)
    assert not fastconv.use_triton(SimpleNamespace(**{**vars(cuda_like), "dtype": torch.int64}))
    monkeypatch.setenv("DEEPCONS_FASTCONV", "torch")  # the opt-out
    assert not fastconv.use_triton(cuda_like)
    monkeypatch.delenv("DEEPCONS_FASTCONV")
    monkeypatch.setattr(fastconv, "_tensor_cores", lambda index: False)  # before Ampere
    assert not fastconv.use_triton(cuda_like)


@interpreted
def test_model_through_the_dispatch_equals_the_plain_model(triton_everywhere):
    torch.manual_seed(0)
    hparams = {"kernels": {10: 24, 20: 8}, "hidden": 12, "dropout_conv": 0, "dropout_hidden": 0}
    fast, plain = build_model(hparams, fast=True), build_model(hparams, fast=False)
    plain.load_state_dict(fast.state_dict())
    codes = _codes(torch.Generator().manual_seed(1), 4, 130)
    out_fast, out_plain = fast(codes), plain(codes)
    assert torch.allclose(out_fast, out_plain, atol=1e-5)
    out_fast.sum().backward()
    out_plain.sum().backward()
    for (name, p_fast), p_plain in zip(fast.named_parameters(), plain.parameters(), strict=True):
        assert torch.allclose(p_fast.grad, p_plain.grad, atol=1e-5), name


@interpreted
def test_kernel_motif_pass_through_the_dispatch(triton_everywhere, monkeypatch):
    from deepcons.kernel_motifs import kernel_counts

    torch.manual_seed(2)
    model = build_model({"kernels": {6: 10, 9: 5}, "hidden": 8})
    codes = _codes(torch.Generator().manual_seed(3), 7, 60).numpy()
    ours = kernel_counts(model, codes, batch_size=4)
    monkeypatch.setattr(fastconv, "use_triton", lambda x: False)
    theirs = kernel_counts(model, codes, batch_size=4)
    for (w1, c1, n1), (w2, c2, n2) in zip(ours, theirs, strict=True):
        assert w1 == w2 and np.array_equal(n1, n2)
        assert np.allclose(c1, c2, atol=1e-5)


@interpreted
def test_saliency_through_the_dispatch(triton_everywhere, monkeypatch):
    from deepcons.attribution import compute_saliency
    from deepcons.encoding import Layout

    layout = Layout(pad_length=40, spacer_length=4)
    torch.manual_seed(4)
    model = build_model(
        {"kernels": {5: 6, 9: 3}, "hidden": 8, "dropout_conv": 0, "dropout_hidden": 0}
    ).eval()
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 4, n).astype(np.uint8) for n in (40, 23, 7)]
    ours = compute_saliency(model, seqs, layout, batch_size=2)
    monkeypatch.setattr(fastconv, "use_triton", lambda x: False)
    theirs = compute_saliency(model, seqs, layout, batch_size=2)
    for a, b in zip(ours, theirs, strict=True):
        assert np.allclose(a, b, atol=1e-5)


# --- the paper's shapes: compiled on a GPU, a small version interpreted on CPU -----------


def _paper_batch(device, batch=48, seed=0, length=2020):
    """hg19-like rows: 30-1000 bp, their reverse complement from the middle, N padding."""
    rng = np.random.default_rng(seed)
    half = length // 2 + 10
    codes = np.full((batch, length), 4, dtype=np.uint8)
    for i, n in enumerate(rng.integers(30, min(1000, length - half), batch)):
        seq = rng.integers(0, 4, n).astype(np.uint8)
        codes[i, :n] = seq
        codes[i, half : half + n] = 3 - seq[::-1]
    return torch.from_numpy(codes).to(device)


def check_kernel_against_reference(device, width, kernels, precision, atol, batch, length):
    gen = torch.Generator().manual_seed(width)
    x = one_hot(_paper_batch(device, batch, length=length))
    weight = (0.3 * torch.randn(kernels, 4, width, generator=gen)).to(device)
    bias = (0.1 * torch.randn(kernels, generator=gen)).to(device)
    w_ref = _bf16(weight) if precision == "bf16" else weight
    values, argmax = ft.conv_max_argmax(x, weight, bias, precision=precision)
    conv = _conv(x, w_ref, bias)
    assert torch.allclose(values.double(), conv.amax(2), atol=atol)
    _assert_argmax_is_a_maximum(x, w_ref, bias, argmax, atol)
    # where the maximum is clear of the runner-up, the position is the reference's
    top2 = conv.topk(2, dim=2).values
    clear = (top2[..., 0] - top2[..., 1]) > 2 * atol
    assert clear.float().mean() > 0.5
    assert torch.equal(argmax[clear], conv.argmax(2)[clear])


def check_function_gradients(device, batch, kernels, length):
    gen = torch.Generator().manual_seed(1)
    x = one_hot(_paper_batch("cpu", batch, length=length))
    weight = (0.3 * torch.randn(kernels, 4, 10, generator=gen)).requires_grad_()
    bias = (0.1 * torch.randn(kernels, generator=gen)).requires_grad_()
    upstream = torch.randn(batch, kernels, generator=gen)
    xc = x.to(device).requires_grad_()
    wc = weight.detach().to(device).requires_grad_()
    bc = bias.detach().to(device).requires_grad_()
    values, argmax = ft.conv_global_max(xc, wc, bc, "ieee")
    xr = x.clone().requires_grad_()
    ref, ref_argmax = ConvGlobalMax.apply(xr, weight, bias, 64)
    assert torch.allclose(values.cpu(), ref, atol=1e-4)
    same = argmax.cpu() == ref_argmax
    assert same.float().mean() > 0.99
    # every gradient, through the (sequence, kernel) pairs whose argmax agrees (a near-tie may
    # pick another window in another summation order)
    kept = upstream * same
    grads = torch.autograd.grad((values * kept.to(device)).sum(), (xc, wc, bc))
    ref_grads = torch.autograd.grad((ref * kept).sum(), (xr, weight, bias))
    for ours, theirs in zip(grads, ref_grads, strict=True):
        assert torch.allclose(ours.cpu(), theirs, atol=1e-3)
    # the weight and bias gradients of the (sequence, kernel) pairs whose argmax agrees
    g = (upstream * (ref > 0) * same).double()
    expected_w = torch.einsum("bk,bkcw->kcw", g, gather_windows(x.double(), ref_argmax, 10))
    got_w, got_b = ft.window_sum(xc, argmax, (upstream * same).to(device), 10, out=values.detach())
    assert torch.allclose(got_w.cpu().double(), expected_w, atol=1e-3)
    assert torch.allclose(got_b.cpu().double(), g.sum(0), atol=1e-3)


def check_model_step(device, kernels, hidden, batch, length):
    torch.manual_seed(0)
    hparams = {"kernels": kernels, "hidden": hidden, "dropout_conv": 0, "dropout_hidden": 0}
    fast = build_model(hparams, fast=True).to(device)
    plain = build_model(hparams, fast=False).to(device)
    plain.load_state_dict(fast.state_dict())
    codes = _paper_batch(device, batch, length=length)
    assert fastconv.use_triton(one_hot(codes))
    out_fast, out_plain = fast(codes), plain(codes)
    # bf16 weights in the fused layer: logits agree to bf16 rounding
    assert torch.allclose(out_fast, out_plain, rtol=2e-2, atol=2e-2)
    out_fast.sum().backward()
    out_plain.sum().backward()
    for (name, p_fast), p_plain in zip(fast.named_parameters(), plain.parameters(), strict=True):
        cos = F.cosine_similarity(p_fast.grad.flatten(), p_plain.grad.flatten(), dim=0)
        assert cos > 0.99, name


@pytest.mark.parametrize("precision, atol", [("bf16", 1e-4), ("tf32", 1e-4)])
@interpreted
def test_paper_shape_checks_interpreted(precision, atol, monkeypatch):
    """The GPU tests' checks, on small shapes in the interpreter (so they are known to hold)."""
    check_kernel_against_reference("cpu", 10, 40, precision, atol, batch=4, length=300)
    check_kernel_against_reference("cpu", 20, 20, precision, atol, batch=4, length=300)
    if precision == "bf16":
        check_function_gradients("cpu", batch=4, kernels=24, length=300)
        monkeypatch.setattr(fastconv, "use_triton", lambda x: True)
        check_model_step("cpu", {10: 16, 20: 8}, 12, batch=3, length=300)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("width, kernels", [(10, 1000), (20, 500)])
@pytest.mark.parametrize("precision, atol", [("bf16", 1e-3), ("tf32", 5e-2), ("ieee", 1e-3)])
def test_gpu_kernel_equals_the_reference(width, kernels, precision, atol):
    check_kernel_against_reference("cuda", width, kernels, precision, atol, batch=48, length=2020)


@pytest.mark.gpu
@needs_cuda
def test_gpu_function_gradients_equal_the_cpu_layer():
    check_function_gradients("cuda", batch=32, kernels=300, length=2020)


@pytest.mark.gpu
@needs_cuda
def test_gpu_model_step_matches_the_plain_model():
    check_model_step("cuda", {10: 1000, 20: 500}, 1500, batch=16, length=2020)


# --- compiled for Hopper on this machine, GPU or not ------------------------------------


@pytest.mark.parametrize("width", [10, 20])
@pytest.mark.parametrize("precision", ["bf16", "tf32"])
def test_default_forward_configuration_compiles_for_hopper_without_spills(width, precision):
    offline = pytest.importorskip("deepcons.triton_offline")
    if offline.cuobjdump() is None:
        pytest.skip("no cuobjdump to read the compiled kernel")
    used = offline.resources(offline.forward_kernel(width, precision=precision))
    # the running maximum, its tile and the accumulator stay in registers
    assert used.stack_bytes == 0 and used.spill_stores == 0, used
    assert 0 < used.registers <= 255 and 0 < used.shared_bytes <= 227 * 1024


def test_window_sum_kernel_compiles_for_hopper():
    offline = pytest.importorskip("deepcons.triton_offline")
    if offline.cuobjdump() is None:
        pytest.skip("no cuobjdump to read the compiled kernel")
    for width in (10, 20):
        used = offline.resources(offline.window_sum_kernel(width))
        assert 0 < used.registers <= 255 and used.stack_bytes <= 64, used
