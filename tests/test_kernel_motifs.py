"""Kernels to motifs, and the MEME file the MEME suite's own parser and memelite must read."""

import warnings

import numpy as np
import pytest
import torch

from deepcons.encoding import Layout, codes_of, encode_rows
from deepcons.fastconv import conv_global_max_reference
from deepcons.kernel_motifs import kernel_counts, kernel_motifs
from deepcons.meme_io import format_meme, parse_meme, read_meme, write_meme
from deepcons.model import build_model, one_hot

LAYOUT = Layout(30, 4)


@pytest.fixture
def model_and_codes():
    torch.manual_seed(0)
    model = build_model({"kernels": {4: 3, 6: 2}, "hidden": 4, "input_length": LAYOUT.width}).eval()
    rng = np.random.default_rng(0)
    codes = encode_rows(
        [rng.integers(0, 4, int(n)).astype(np.uint8) for n in rng.integers(10, 31, 25)], LAYOUT
    )
    return model, codes


def test_counts_are_activation_weighted_argmax_windows(model_and_codes):
    model, codes = model_and_codes
    layers = kernel_counts(model, codes, batch_size=7)
    x = one_hot(torch.from_numpy(codes))
    for (width, counts, nsites), conv in zip(layers, model.convs, strict=True):
        values, argmax = conv_global_max_reference(x, conv.weight, conv.bias)
        expected = np.zeros((conv.out_channels, width, 4))
        for b in range(len(codes)):
            for k in range(conv.out_channels):
                a = int(argmax[b, k])
                window = x[b, :, a : a + width].T.numpy()  # (width, 4); N columns are zeros
                expected[k] += float(values[b, k].detach()) * window
        assert np.allclose(counts, expected, atol=1e-4)
        assert np.array_equal(nsites, (values > 0).sum(0).numpy())


def test_motifs_normalised_with_pseudocount(model_and_codes):
    model, codes = model_and_codes
    motifs = kernel_motifs(model, codes)
    assert [m.id for m in motifs] == ["k4_0", "k4_1", "k4_2", "k6_0", "k6_1"]
    for m in motifs:
        assert np.allclose(m.probs.sum(axis=1), 1) and (m.probs > 0).all()
    # a kernel that never fires keeps the uniform start (every cell 1e-5)
    silent = build_model({"kernels": {4: 1}, "hidden": 2, "input_length": LAYOUT.width})
    with torch.no_grad():
        silent.convs[0].bias.fill_(-100.0)
    (motif,) = kernel_motifs(silent, codes)
    assert np.allclose(motif.probs, 0.25) and motif.nsites == 0


def test_planted_kernel_recovers_its_motif():
    # a kernel whose weights spell TGACTCA turns into the TGACTCA motif
    model = build_model({"kernels": {7: 1}, "hidden": 2, "input_length": LAYOUT.width})
    site = codes_of("TGACTCA")
    with torch.no_grad():
        model.convs[0].weight.fill_(-1.0)
        model.convs[0].weight[0, torch.from_numpy(site).long(), torch.arange(7)] = 1.0
        model.convs[0].bias.fill_(-5.0)
    rng = np.random.default_rng(1)
    seqs = []
    for _ in range(40):
        s = rng.integers(0, 4, 25).astype(np.uint8)
        s[9:16] = site
        seqs.append(s)
    (motif,) = kernel_motifs(model, encode_rows(seqs, LAYOUT))
    assert motif.consensus() == "TGACTCA" and motif.probs.max(axis=1).min() > 0.99


def test_meme_round_trip(tmp_path, model_and_codes):
    model, codes = model_and_codes
    motifs = kernel_motifs(model, codes)
    write_meme(tmp_path / "k.meme", motifs)
    back = read_meme(tmp_path / "k.meme").motifs
    assert [m.id for m in back] == [m.id for m in motifs]
    for a, b in zip(motifs, back, strict=True):
        assert np.allclose(a.probs, b.probs, atol=1e-6) and a.nsites == b.nsites
    assert parse_meme(format_meme(back).splitlines()).motifs[0].id == "k4_0"


def test_meme_suite_parser_and_memelite_read_it(tmp_path, model_and_codes, capfd):
    from memelite.io import read_meme as memelite_read
    from pymemesuite.common import MotifFile

    model, codes = model_and_codes
    motifs = kernel_motifs(model, codes)
    write_meme(tmp_path / "kernels.meme", motifs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with MotifFile(str(tmp_path / "kernels.meme"), pseudocount=0.0) as handle:
            parsed = list(handle)
    assert [m.accession.decode() for m in parsed] == [m.id for m in motifs]
    assert [m.width for m in parsed] == [m.width for m in motifs]
    for ours, theirs in zip(motifs, parsed, strict=True):
        assert np.allclose(
            np.array([list(row) for row in theirs.frequencies]), ours.probs, atol=1e-5
        )
    lite = memelite_read(str(tmp_path / "kernels.meme"))
    assert list(lite) == [m.id for m in motifs]
    assert all(lite[m.id].shape == (4, m.width) for m in motifs)
    out, err = capfd.readouterr()
    assert "warn" not in (out + err).lower() and "error" not in (out + err).lower()


@pytest.mark.parametrize(
    "matrix_line, message",
    [
        (
            "letter-probability matrix: alength= 4 w= 2 nsites= abc E= 0",
            "expected numbers for alength=",
        ),
        ("letter-probability matrix: alength= 5 w= 2", "expected alength= 4"),
        ("letter-probability matrix: alength= 4", "without w= width"),
        ("letter-probability matrix: alength= 4 w= 0", "w= of at least 1, got 0"),
        ("letter-probability matrix: alength= 4 w= -2", "w= of at least 1, got -2"),
    ],
)
def test_bad_meme_headers_name_the_line(tmp_path, matrix_line, message):
    from deepcons.errors import InputError

    text = f"MEME version 4\n\nALPHABET= ACGT\n\nMOTIF m1\n{matrix_line}\n0.25 0.25 0.25 0.25\n0.1 0.2 0.3 0.4\n"
    (tmp_path / "bad.meme").write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_meme(tmp_path / "bad.meme")
    assert err.value.line == 6
    (tmp_path / "binary.meme").write_bytes(b"\xff\xfe\x00MEME")
    with pytest.raises(InputError, match="not a text file"):
        read_meme(tmp_path / "binary.meme")


HEADER = "MEME version 4\n\nALPHABET= ACGT\n\n"
ROWS = "0.25 0.25 0.25 0.25\n0.1 0.2 0.3 0.4\n"


@pytest.mark.parametrize(
    "body, line, message",
    [
        ("", None, "no motifs"),
        # the matrix line in another case: MEME would not read it either
        (f"MOTIF m1\nLetter-Probability Matrix: alength= 4 w= 2\n{ROWS}", 5, "m1 has no"),
        (f"MOTIF m1\nMOTIF m2\nletter-probability matrix: w= 2\n{ROWS}", 5, "m1 has no"),
        (f"MOTIF m1\nletter-probability matrix: w= 1\n{ROWS}", 8, "more matrix rows than its"),
        (
            "MOTIF m1\nletter-probability matrix: w= 2\n0.25 0.25 0.25 0.25\nnan nan nan nan\n",
            8,
            "m1: expected finite",
        ),
        (
            "MOTIF m1\nletter-probability matrix: w= 2\n0.25 0.25 0.25 0.25\ninf 0 0 0\n",
            8,
            "finite",
        ),
        (
            f"Background letter frequencies\nA nan C 0.5 G 0.5 T 0.5\nMOTIF m1\nletter-probability matrix: w= 2\n{ROWS}",
            6,
            "non-negative numbers with a positive sum",
        ),
        (
            f"Background letter frequencies\nA 0 C 0 G 0 T 0\nMOTIF m1\nletter-probability matrix: w= 2\n{ROWS}",
            6,
            "positive sum",
        ),
        (
            f"Background letter frequencies\nA -0.1 C 0.4 G 0.4 T 0.3\nMOTIF m1\nletter-probability matrix: w= 2\n{ROWS}",
            6,
            "non-negative",
        ),
    ],
)
def test_meme_files_missing_motifs_or_rows_are_one_error(tmp_path, body, line, message):
    from deepcons.errors import InputError

    (tmp_path / "bad.meme").write_text(HEADER + body)
    with pytest.raises(InputError, match=message) as err:
        read_meme(tmp_path / "bad.meme")
    assert err.value.line == line


def test_gzipped_meme_file_reads_as_the_plain_one(tmp_path):
    import gzip

    text = f"{HEADER}MOTIF m1 alt\nletter-probability matrix: w= 2\n{ROWS}\nMOTIF m2\n"
    text += f"letter-probability matrix: w= 2\n\n{ROWS}\n"
    (tmp_path / "db.meme").write_text(text)
    (tmp_path / "db.meme.gz").write_bytes(gzip.compress(text.encode()))
    plain, gzipped = read_meme(tmp_path / "db.meme"), read_meme(tmp_path / "db.meme.gz")
    assert [m.id for m in gzipped.motifs] == [m.id for m in plain.motifs] == ["m1", "m2"]
    assert all(np.array_equal(a.probs, b.probs) for a, b in zip(plain, gzipped, strict=True))


def test_motif_database_reads_files_as_meme_and_refuses_an_id_in_two(tmp_path):
    from deepcons.errors import InputError
    from deepcons.meme_io import read_motif_database

    matrix = "letter-probability matrix: alength= 4 w= 2\n"
    first = tmp_path / "first.meme"
    first.write_text(
        HEADER
        + f"MOTIF a\n{matrix}{ROWS}\nMOTIF b\n{matrix}{ROWS}\n"
        + f"MOTIF a\n{matrix}0.7 0.1 0.1 0.1\n0.1 0.1 0.1 0.7\n"
    )
    second = tmp_path / "second.meme"
    second.write_text(HEADER + f"MOTIF c\n{matrix}{ROWS}")
    dropped = []
    motifs = read_motif_database([first, second], dropped.append)
    assert [m.id for m in motifs] == ["a", "b", "c"]
    assert motifs[0].probs[0].tolist() == [0.25, 0.25, 0.25, 0.25]  # the first a, as MEME
    assert dropped == [f"Discarding motif 'a' in file '{first}' (non-unique ID)."]
    second.write_text(HEADER + f"MOTIF b\n{matrix}{ROWS}")
    with pytest.raises(InputError, match=f"{second}, line 5: motif ID b is also in {first}"):
        read_motif_database([first, second])
