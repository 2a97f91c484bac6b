"""Logging for rule scripts and the command line, and one clear line for bad input."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import InputError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
log = logging.getLogger("deepcons")


def setup_logging(log_path: str | os.PathLike | None = None, level: int = logging.INFO) -> None:
    """Send log records to ``log_path`` (when given) and to standard error."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(level=level, format=FORMAT, handlers=handlers, force=True)
    logging.captureWarnings(True)


def run_rule(main: Callable, snakemake) -> None:
    """Run a rule script's ``main(snakemake)`` with logging to the rule's log file.

    Bad input ends the job with one line naming the file and line, not a traceback; any other
    error's traceback goes to the log file too (where ``--show-failed-logs`` and a cluster's
    job log look), not only to standard error. Temporary files (tempfile's, bedtools') go to
    a folder of the job, removed afterwards, also after a failure.
    """
    log_path = snakemake.log[0] if len(snakemake.log) else None
    setup_logging(log_path)
    previous_handler = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    start = time.monotonic()
    log.info("rule %s started", snakemake.rule)
    _remove_stale_temporaries(snakemake.output)
    try:
        with job_scratch(snakemake):
            main(snakemake)
    except InputError as err:
        log.error("%s", err)
        sys.exit(1)
    except Exception:
        log.exception("rule %s failed", snakemake.rule)
        sys.exit(1)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    log.info("rule %s done in %.1f s", snakemake.rule, time.monotonic() - start)


@contextlib.contextmanager
def job_scratch(snakemake) -> Iterator[Path]:
    """Make a new folder in $TMPDIR the job's temporary directory (tempfile's, so bedtools'
    too), removed afterwards.

    Its name starts with the rule and a hash of the job's files, so the same job run again
    first removes what a run killed outright (SIGKILL, a lost node) left there; a folder it
    cannot remove (another user's) is left and does not stop the job."""
    paths = sorted(os.path.abspath(p) for p in [*snakemake.output, *snakemake.log])
    key = hashlib.sha256("\n".join(paths).encode()).hexdigest()[:16]
    prefix = f"deepcons.{snakemake.rule}.{key}."
    for stale in Path(tempfile.gettempdir()).glob(glob.escape(prefix) + "*"):
        shutil.rmtree(stale, ignore_errors=True)  # a link is not followed: rmtree refuses it
        if not os.path.lexists(stale):
            log.info("removed the temporary folder of a killed run: %s", stale)
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    previous = tempfile.tempdir
    tempfile.tempdir = str(scratch)
    try:
        yield scratch
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(scratch, ignore_errors=True)


def _remove_stale_temporaries(outputs) -> None:
    from .atomic import remove_stale_temporaries

    removed = [tmp for output in outputs for tmp in remove_stale_temporaries(output)]
    if removed:
        log.info("removed %d temporary files of a killed run: %s", len(removed), removed[0])


def _stop_on_sigterm(signum, frame):
    """A killed job (Snakemake, a cluster's scancel) unwinds like a failed one: temporary files
    are removed and the last checkpoint stays, rather than the process vanishing mid-write."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second one ends the process at once
    log.error("stopped by signal %d", signum)
    raise SystemExit(128 + signum)


class Progress:
    """Log a line every ``every`` seconds during a long loop: done/total, rate, time left."""

    def __init__(self, what: str, total: int | None = None, every: float = 10.0, logger=log):
        self.what, self.total, self.every, self.logger = what, total, every, logger
        self.start = self.last = time.monotonic()
        self.done = 0

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.logger.info("%s", self.message(now))

    def message(self, now: float | None = None) -> str:
        elapsed = (now or time.monotonic()) - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if self.total:
            left = (self.total - self.done) / rate if rate > 0 else float("nan")
            return (
                f"{self.what}: {self.done:,}/{self.total:,} ({100 * self.done / self.total:.1f} %), "
                f"{rate:,.0f}/s, {left:,.0f} s left"
            )
        return f"{self.what}: {self.done:,} in {elapsed:,.0f} s ({rate:,.0f}/s)"

    def finish(self) -> None:
        self.logger.info("%s", self.message())

    def close(self) -> None:
        """Nothing to release (as tqdm's ``close``): a loop can take either."""
