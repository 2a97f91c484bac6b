"""Rule scripts' logging: one line for bad input, the traceback of anything else, temporary files."""

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from types import SimpleNamespace

import pytest

from deepcons.errors import InputError
from deepcons.logs import run_rule


def _rule(tmp_path):
    return SimpleNamespace(rule="demo_rule", log=[str(tmp_path / "logs" / "demo.log")], output=[])


def _run(tmp_path, main):
    """Run ``main`` as a failing rule; its exit code, log, and the temporary files it made
    (that are still there)."""
    made = []

    def main_making_a_temporary_file(smk):
        made.append(tempfile.NamedTemporaryFile(delete=False).name)
        main(smk)

    with pytest.raises(SystemExit) as stop:
        run_rule(main_making_a_temporary_file, _rule(tmp_path))
    left = [name for name in made if os.path.exists(name)]
    return stop.value.code, (tmp_path / "logs" / "demo.log").read_text(), left


def test_bad_input_is_one_line_without_a_traceback(tmp_path):
    def main(_):
        raise InputError("genes.bed line 3: expected 6 columns, found 2")

    code, text, left = _run(tmp_path, main)
    assert code == 1 and left == []
    assert "ERROR deepcons: genes.bed line 3: expected 6 columns, found 2" in text
    assert "Traceback" not in text


def test_any_other_error_leaves_its_traceback_in_the_log(tmp_path):
    def main(_):
        return {}["missing key"]

    code, text, left = _run(tmp_path, main)
    assert code == 1 and left == []
    assert "rule demo_rule failed" in text
    assert "Traceback" in text and "KeyError: 'missing key'" in text


def test_success_is_logged_with_its_time(tmp_path):
    seen = []
    run_rule(seen.append, _rule(tmp_path))
    text = (tmp_path / "logs" / "demo.log").read_text()
    assert len(seen) == 1 and "rule demo_rule started" in text and "rule demo_rule done in" in text


def _killed_rule(tmp_path, signum) -> subprocess.CompletedProcess:
    """A rule script writing out.txt that gets signal ``signum`` mid-write."""
    script = textwrap.dedent(
        f"""
        import os, tempfile, time
        from types import SimpleNamespace
        from deepcons.atomic import atomic_open
        from deepcons.logs import run_rule

        def main(_):
            tempfile.NamedTemporaryFile(prefix="bedtools.", delete=False).write(b"x")
            with atomic_open({str(tmp_path / "out.txt")!r}) as out:
                out.write("half")
                out.flush()
                os.kill(os.getpid(), {signum})
                time.sleep(30)

        smk = SimpleNamespace(
            rule="demo_rule", log=[{str(tmp_path / "demo.log")!r}], output=["out.txt"]
        )
        run_rule(main, smk)
        """
    )
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), TMPDIR=str(tmp_path / "tmp"))
    return subprocess.run([sys.executable, "-c", script], env=env, timeout=60, cwd=tmp_path)


def test_a_killed_job_removes_its_temporary_files(tmp_path):
    # SIGTERM (Snakemake stopping a job, scancel) unwinds the script: no .tmp file is left
    done = _killed_rule(tmp_path, signal.SIGTERM)
    assert done.returncode == 143
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.log", "tmp"]
    assert list((tmp_path / "tmp").iterdir()) == []
    assert "stopped by signal 15" in (tmp_path / "demo.log").read_text()


def test_a_job_removes_what_a_sigkilled_run_left(tmp_path, monkeypatch):
    # SIGKILL runs no cleanup: the temporary file stays until the rule runs again
    done = _killed_rule(tmp_path, signal.SIGKILL)
    assert done.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir() if p.name not in ("demo.log", "tmp")]
    assert len(left) == 1 and left[0].startswith(".out.txt.") and ".tmp" in left[0]
    # and the job's temporary folder in $TMPDIR, with the file made there
    (scratch,) = (tmp_path / "tmp").iterdir()
    assert scratch.name.startswith("deepcons.demo_rule.")
    assert [p.name.startswith("bedtools.") for p in scratch.iterdir()] == [True]
    # a temporary file of another output, out.txt.gz: kept
    (tmp_path / ".out.txt.gz.k2j4x9ab.tmp.gz").write_text("another output's")
    # the same job again (its files named as the killed one's: run from the same folder)
    monkeypatch.chdir(tmp_path)
    smk = SimpleNamespace(rule="demo_rule", log=["demo.log"], output=["out.txt"])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    run_rule(lambda _: (tmp_path / "out.txt").write_text("whole"), smk)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".out.txt.gz.k2j4x9ab.tmp.gz",
        "demo.log",
        "out.txt",
        "tmp",
    ]
    assert list((tmp_path / "tmp").iterdir()) == []
    text = (tmp_path / "demo.log").read_text()
    assert "removed 1 temporary files of a killed run" in text
    assert f"removed the temporary folder of a killed run: {scratch}" in text


def test_a_temporary_folder_it_cannot_remove_does_not_stop_the_job(tmp_path, monkeypatch):
    # another user's folder of the same job, or a link planted at its name: left as it is
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep").write_text("not the job's")
    smk = SimpleNamespace(rule="demo_rule", log=[str(tmp_path / "demo.log")], output=[])
    seen = []
    run_rule(lambda _: seen.append(tempfile.gettempdir()), smk)
    (made,) = seen
    link = tmp_path / "tmp" / (os.path.basename(made)[:-8] + "previous")
    link.symlink_to(tmp_path / "elsewhere")
    run_rule(lambda _: seen.append(tempfile.gettempdir()), smk)
    assert len(seen) == 2 and seen[1] != made
    assert list((tmp_path / "tmp").iterdir()) == [link]
    assert (tmp_path / "elsewhere" / "keep").read_text() == "not the job's"
    assert "removed the temporary folder" not in (tmp_path / "demo.log").read_text()
