"""The paper's two-strand layout, exactly."""

import numpy as np
import pytest

from deepcons.encoding import (
    N_CODE,
    Layout,
    codes_of,
    encode_flat,
    encode_rows,
    sequence_of,
)


def test_codes_and_letters():
    assert codes_of("ACGTNacgtnRY-").tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 4, 4, 4]
    assert sequence_of(codes_of("ACGTNX")) == "ACGTNN"
    assert codes_of("uU").tolist() == [3, 3]  # RNA letters read as T


def test_layout_default_width():
    layout = Layout()
    assert layout.width == 2020 and layout.reverse_start == 1020


def test_rows_exact_small_layout():
    layout = Layout(pad_length=6, spacer_length=2)
    rows = encode_rows([codes_of("ACCG"), codes_of("T"), codes_of("GATTCA")], layout)
    text = [sequence_of(r) for r in rows]
    # forward padded right with N, spacer, reverse complement padded right with N
    assert text == [
        "ACCGNN" + "NN" + "CGGTNN",
        "TNNNNN" + "NN" + "ANNNNN",
        "GATTCA" + "NN" + "TGAATC",
    ]
    assert rows.dtype == np.uint8 and rows.shape == (3, 14)


def test_mirror_position_of_each_base():
    layout = Layout(pad_length=1000, spacer_length=20)
    rng = np.random.default_rng(0)
    seq = rng.integers(0, 4, size=377).astype(np.uint8)
    row = encode_rows([seq], layout)[0]
    i = np.arange(seq.size)
    assert np.array_equal(row[i], seq)
    assert np.array_equal(row[layout.reverse_start + seq.size - 1 - i], 3 - seq)
    assert np.all(row[seq.size : layout.reverse_start] == N_CODE)
    assert np.all(row[layout.reverse_start + seq.size :] == N_CODE)


def test_flat_encoding_into_memmap_slice(tmp_path):
    layout = Layout(pad_length=5, spacer_length=1)
    seqs = [codes_of(s) for s in ("AC", "GGGTA", "T")]
    lengths = np.array([len(s) for s in seqs])
    out = np.lib.format.open_memmap(
        tmp_path / "x.npy", mode="w+", dtype=np.uint8, shape=(4, layout.width)
    )
    encode_flat(np.concatenate(seqs[1:]), lengths[1:], layout, out=out[2:4])
    assert sequence_of(out[2]) == "GGGTA" + "N" + "TACCC"
    assert sequence_of(out[3]) == "TNNNN" + "N" + "ANNNN"


def test_too_long_is_refused():
    with pytest.raises(ValueError, match="longer than pad_length"):
        encode_rows([codes_of("ACGTAC")], Layout(pad_length=5, spacer_length=0))
