"""Compile the Triton kernels for a GPU architecture on a machine without one, and read what
the compiled code uses: registers, local memory (spills) and shared memory.

Triton lowers a kernel to a cubin with the ptxas it ships, whether or not a GPU is present;
the cuobjdump it ships reads the resource use back. So a launch configuration that spills
registers to local memory (slow: every spilled value goes through L1) is caught on CPU, by
the tests for the default configurations and by ``bench/train_gpu.py --sweep``, which leaves
such configurations out. The compiled code is what a GPU of that architecture would run, up
to the divisibility hints Triton adds at launch for arguments that are multiples of 16.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

from . import fastconv_triton as ft

HOPPER = 90  # sm_90: the H100 and H200


@dataclass(frozen=True)
class Resources:
    registers: int  # per thread
    stack_bytes: int  # local memory per thread: > 0 means spills (or a stack frame)
    shared_bytes: int  # per program, as the launch will request it
    spill_stores: int  # STL instructions in the SASS


def cuobjdump() -> str | None:
    """The cuobjdump shipped with Triton's NVIDIA backend, else one on PATH."""
    bundled = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / "cuobjdump"
    return str(bundled) if bundled.exists() else shutil.which("cuobjdump")


def _compile(fn, pointer_types: dict, constants: dict, options: dict, arch: int):
    jit_fn = ft._COMPILED[fn]
    signature = {name: "i32" for name in jit_fn.arg_names}
    signature.update(pointer_types)
    signature.update({name: "constexpr" for name in constants})
    return triton.compile(
        ASTSource(jit_fn, signature, constants),
        target=GPUTarget("cuda", arch, 32),
        options=options,
    )


def forward_kernel(
    width: int,
    channels: int = 4,
    precision: str | None = None,
    config: dict | None = None,
    arch: int = HOPPER,
):
    """The conv + max kernel as a training step launches it (bias, ReLU, all-N tiles skipped)."""
    constants, options = ft.forward_launch(
        channels, width, precision, relu=True, has_bias=True, config=config
    )
    x_type = "*bf16" if constants["OPERAND"] == triton.language.bfloat16 else "*fp32"
    pointers = {
        "x_ptr": x_type,
        "w_ptr": "*fp32",
        "bias_ptr": "*fp32",
        "out_ptr": "*fp32",
        "arg_ptr": "*i64",
        "live_ptr": "*i8",
        "empty_ptr": "*i32",
    }
    return _compile(ft._conv_max_kernel, pointers, constants, options, arch)


def window_sum_kernel(width: int, channels: int = 4, arch: int = HOPPER):
    """The backward pass's window-sum kernel as :func:`fastconv_triton.window_sum` launches it."""
    constants = {
        "C": channels,
        "WIDTH": width,
        "RP": ft._next_pow2(channels * width),
        "BLOCK_K": ft.BACKWARD_BLOCK_K,
        "RELU_MASK": True,
    }
    pointers = {
        "x_ptr": "*fp32",
        "arg_ptr": "*i64",
        "g_ptr": "*fp32",
        "out_ptr": "*fp32",
        "gw_ptr": "*fp32",
        "gb_ptr": "*fp32",
    }
    options = {"num_warps": 4, **ft.LAUNCH_OPTIONS}
    return _compile(ft._window_sum_kernel, pointers, constants, options, arch)


def resources(compiled) -> Resources:
    """Registers, local and shared memory of a compiled kernel, read from its cubin."""
    tool = cuobjdump()
    if tool is None:
        raise FileNotFoundError("cuobjdump not found (neither in Triton's package nor on PATH)")
    with tempfile.NamedTemporaryFile(suffix=".cubin") as cubin:
        cubin.write(compiled.asm["cubin"])
        cubin.flush()
        usage = subprocess.run(
            [tool, "--dump-resource-usage", cubin.name], capture_output=True, text=True, check=True
        ).stdout
        sass = subprocess.run(
            [tool, "--dump-sass", cubin.name], capture_output=True, text=True, check=True
        ).stdout

    def field(name: str) -> int:
        found = re.search(rf"\b{name}:(\d+)", usage)
        if found is None:
            raise ValueError(f"no {name} in cuobjdump's resource usage:\n{usage}")
        return int(found.group(1))

    return Resources(
        registers=field("REG"),
        stack_bytes=field("STACK"),
        shared_bytes=int(compiled.metadata.shared),
        spill_stores=len(re.findall(r"\bSTL(?:\.\w+)*\b", sass)),
    )
