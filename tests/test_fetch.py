"""Downloads against local HTTP and FTP servers on 127.0.0.1: once, resumable, checked."""

import gzip
import os
from pathlib import Path

import pytest
from local_ftp import LocalFtpServer

from deepcons.fetch import DownloadError, download, is_url

from local_http import LocalServer


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    payload = os.urandom(3_000_000)
    (root / "data.bin").write_bytes(payload)
    with gzip.open(root / "table.txt.gz", "wb") as handle:
        handle.write(b"chr1\t1\t2\n" * 100_000)
    good = (root / "table.txt.gz").read_bytes()
    (root / "broken.txt.gz").write_bytes(good[: len(good) // 2])
    return root, payload


def test_is_url():
    assert is_url("https://x/y.fa.gz") and is_url("ftp://h/p") and is_url("HTTP://h/p")
    assert not is_url("resources/demo/genome.fa") and not is_url(None)


def test_download_and_gzip_check(served, tmp_path):
    root, payload = served
    with LocalServer(root) as server:
        out = download(f"{server.url}/data.bin", tmp_path / "d" / "data.bin")
        assert out.read_bytes() == payload
        out = download(f"{server.url}/table.txt.gz", tmp_path / "d" / "table.txt.gz")
        assert gzip.decompress(out.read_bytes()).startswith(b"chr1\t1\t2\n")
        with pytest.raises(DownloadError, match="not a complete gzip file"):
            download(f"{server.url}/broken.txt.gz", tmp_path / "d" / "broken.txt.gz")
        assert not (tmp_path / "d" / "broken.txt.gz").exists()
        with pytest.raises(DownloadError, match="HTTP 404"):
            download(f"{server.url}/missing.fa", tmp_path / "d" / "missing.fa")


def test_resume_after_broken_connection(served, tmp_path):
    root, payload = served
    out = tmp_path / "data.bin"
    with LocalServer(root) as server:
        server.cut_after["/data.bin"] = 1_000_000
        # first attempt is cut short; the retry asks only for the rest
        download(f"{server.url}/data.bin", out, retries=2)
        assert out.read_bytes() == payload
        assert server.requests[0] == ("/data.bin", None)
        assert server.requests[1] == ("/data.bin", "bytes=1000000-")
        assert not (tmp_path / "data.bin.part").exists()


def test_resume_from_part_left_by_a_killed_run(served, tmp_path):
    root, payload = served
    (tmp_path / "data.bin.part").write_bytes(payload[:123_456])
    with LocalServer(root) as server:
        download(f"{server.url}/data.bin", tmp_path / "data.bin")
        assert server.requests == [("/data.bin", "bytes=123456-")]
    assert (tmp_path / "data.bin").read_bytes() == payload


def test_server_without_range_starts_over(served, tmp_path):
    root, payload = served
    (tmp_path / "data.bin.part").write_bytes(b"garbage" * 10)
    with LocalServer(root, support_range=False) as server:
        download(f"{server.url}/data.bin", tmp_path / "data.bin")
    assert (tmp_path / "data.bin").read_bytes() == payload


def test_ftp_download_resumes_from_a_part_and_checks_gzip(served, tmp_path):
    root, payload = served
    (tmp_path / "data.bin.part").write_bytes(payload[:123_456])
    with LocalFtpServer(root) as server:
        out = download(f"{server.url}/data.bin", tmp_path / "data.bin")
        assert out.read_bytes() == payload
        table = download(f"{server.url}/table.txt.gz", tmp_path / "table.txt.gz")
        assert gzip.decompress(table.read_bytes()).startswith(b"chr1\t1\t2\n")
        with pytest.raises(DownloadError, match="not a complete gzip file"):
            download(f"{server.url}/broken.txt.gz", tmp_path / "broken.txt.gz")
    assert [(Path(p).name, rest) for p, rest in server.retrievals] == [
        ("data.bin", 123_456),  # only the rest
        ("table.txt.gz", 0),
        ("broken.txt.gz", 0),
    ]
    assert not (tmp_path / "broken.txt.gz").exists()


def test_ftp_missing_file_is_one_error_without_retries(served, tmp_path):
    root, _ = served
    with LocalFtpServer(root) as server:
        with pytest.raises(DownloadError, match="missing.fa: 550"):
            download(f"{server.url}/missing.fa", tmp_path / "missing.fa", retries=3)
    assert server.connections == 1  # a permanent refusal: no retry


def test_ftp_server_without_size_command(served, tmp_path):
    root, payload = served
    with LocalFtpServer(root, size_command=False) as server:
        assert download(f"{server.url}/data.bin", tmp_path / "data.bin").read_bytes() == payload
        with pytest.raises(DownloadError, match="missing.fa: 550"):
            download(f"{server.url}/missing.fa", tmp_path / "missing.fa", retries=3)
    assert server.connections == 2  # one each: the missing file is refused at once
