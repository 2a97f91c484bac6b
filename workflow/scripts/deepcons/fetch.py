"""Download an input once: resumable, with progress in the log, checked before it is used.

The file grows under ``<output>.part``; a rerun after an interruption asks the server for
the rest (HTTP ``Range``, FTP ``REST``) and starts over only when the server cannot resume.
A gzip file is read to its end before it is renamed into place, so a truncated download
is never taken for an input.
"""

from __future__ import annotations

import ftplib
import gzip
import logging
import os
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from urllib.parse import urlparse

from .formats import GZIP_MAGIC

log = logging.getLogger(__name__)

CHUNK = 1 << 20
URL_SCHEMES = ("http://", "https://", "ftp://")


class DownloadError(RuntimeError):
    pass


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith(URL_SCHEMES)


def download(url: str, output: str | os.PathLike, retries: int = 3, timeout: float = 60.0) -> Path:
    """Fetch ``url`` into ``output`` (resuming ``output.part``), then check and rename it."""
    output = Path(output)
    part = output.with_name(output.name + ".part")
    output.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, retries + 1):
        try:
            if urlparse(url).scheme == "ftp":
                _fetch_ftp(url, part, timeout)
            else:
                _fetch_http(url, part, timeout)
            break
        except (OSError, urllib.error.URLError, ftplib.Error) as err:
            if isinstance(err, urllib.error.HTTPError) and err.code in (401, 403, 404, 410):
                raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from None
            if isinstance(err, ftplib.error_perm):  # a 5xx reply: no such file, no access
                raise DownloadError(f"{url}: {err}") from None
            if attempt == retries:
                raise DownloadError(
                    f"{url}: {err} (after {retries} attempts; rerun to resume)"
                ) from None
            log.warning("%s: %s; retrying (%d/%d)", url, err, attempt, retries)
            time.sleep(min(2**attempt, 30))
    check_complete(part, url)
    os.replace(part, output)
    log.info("downloaded %s -> %s (%d bytes)", url, output, output.stat().st_size)
    return output


def _fetch_http(url: str, part: Path, timeout: float) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "deepcons-workflow"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # nothing left to fetch
            log.info("%s: already complete in %s", url, part)
            return
        raise
    with response:
        if have and response.status != 206:
            log.info("%s: server cannot resume; starting over", url)
            have = 0
        elif have:
            log.info("%s: resuming at byte %d", url, have)
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        with open(part, "ab" if have else "wb") as out:
            _copy_with_progress(response, out, url, have, total)


def _fetch_ftp(url: str, part: Path, timeout: float) -> None:
    parsed = urlparse(url)
    have = part.stat().st_size if part.exists() else 0
    with ftplib.FTP(timeout=timeout) as ftp:
        ftp.connect(parsed.hostname, parsed.port or 21)
        ftp.login(parsed.username or "anonymous", parsed.password or "anonymous@")
        ftp.voidcmd("TYPE I")
        try:
            total = ftp.size(parsed.path)
        except ftplib.error_perm:  # a server without SIZE; a missing file fails at RETR
            total = None
        if have and total is not None and have >= total:
            return
        with open(part, "ab" if have else "wb") as out:
            progress = _ProgressLog(url, have, total)

            def write(block: bytes) -> None:
                out.write(block)
                progress.add(len(block))

            if have:
                log.info("%s: resuming at byte %d", url, have)
            ftp.retrbinary(f"RETR {parsed.path}", write, blocksize=CHUNK, rest=have or None)
            progress.done()


class _ProgressLog:
    def __init__(self, url: str, have: int, total: int | None, every: float = 10.0):
        self.url, self.size, self.total, self.every = url, have, total, every
        self.start = self.last = time.monotonic()

    def add(self, n: int) -> None:
        self.size += n
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._report(now)

    def _report(self, now: float) -> None:
        rate = self.size / max(now - self.start, 1e-9) / 1e6
        of = f" of {self.total / 1e6:,.1f}" if self.total else ""
        log.info("%s: %s MB (%.1f MB/s)", self.url, f"{self.size / 1e6:,.1f}{of}", rate)

    def done(self) -> None:
        self._report(time.monotonic())


def _copy_with_progress(source, out, url: str, have: int, total: int | None) -> None:
    progress = _ProgressLog(url, have, total)
    while True:
        block = source.read(CHUNK)
        if not block:
            break
        out.write(block)
        progress.add(len(block))
    progress.done()
    if total is not None and progress.size < total:
        raise OSError(f"connection closed at byte {progress.size} of {total}")


def check_complete(path: Path, url: str) -> None:
    """Refuse an empty file, and a gzip file that does not decompress to its end."""
    size = path.stat().st_size
    if size == 0:
        path.unlink()
        raise DownloadError(f"{url}: the server sent an empty file")
    with open(path, "rb") as handle:
        magic = handle.read(2)
    if magic != GZIP_MAGIC:
        return
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(CHUNK * 8):
                pass
    except (OSError, EOFError, zlib.error) as err:
        path.unlink()
        raise DownloadError(
            f"{url}: downloaded file is not a complete gzip file ({err}); rerun to fetch it again"
        ) from None
