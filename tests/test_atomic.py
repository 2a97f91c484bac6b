"""Outputs are written under a temporary name and renamed into place."""

import os
import stat

import pytest

from deepcons.atomic import atomic_path


def test_output_gets_the_usual_mode_whatever_the_writer_did(tmp_path):
    target = tmp_path / "model.safetensors"
    with atomic_path(target) as tmp:
        tmp.unlink()  # as writers that replace the file do, here with a private mode
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b"weights")
        os.close(fd)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert target.read_bytes() == b"weights"


def test_a_failed_block_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "out.tsv") as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert list(tmp_path.iterdir()) == []
