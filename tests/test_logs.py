"""Rule scripts' logging: one line for bad input, the traceback of anything else, cleanup."""

import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

from deepcons.errors import InputError
from deepcons.logs import run_rule


def _rule(tmp_path):
    return SimpleNamespace(rule="demo_rule", log=[str(tmp_path / "logs" / "demo.log")])


def _run(tmp_path, main):
    cleaned = []
    with pytest.raises(SystemExit) as stop:
        run_rule(main, _rule(tmp_path), cleanup=lambda: cleaned.append(True))
    return stop.value.code, (tmp_path / "logs" / "demo.log").read_text(), cleaned


def test_bad_input_is_one_line_without_a_traceback(tmp_path):
    def main(_):
        raise InputError("genes.bed line 3: expected 6 columns, found 2")

    code, text, cleaned = _run(tmp_path, main)
    assert code == 1 and cleaned == [True]
    assert "ERROR deepcons: genes.bed line 3: expected 6 columns, found 2" in text
    assert "Traceback" not in text


def test_any_other_error_leaves_its_traceback_in_the_log(tmp_path):
    def main(_):
        return {}["missing key"]

    code, text, cleaned = _run(tmp_path, main)
    assert code == 1 and cleaned == [True]
    assert "rule demo_rule failed" in text
    assert "Traceback" in text and "KeyError: 'missing key'" in text


def test_success_is_logged_with_its_time(tmp_path):
    seen = []
    run_rule(seen.append, _rule(tmp_path))
    text = (tmp_path / "logs" / "demo.log").read_text()
    assert len(seen) == 1 and "rule demo_rule started" in text and "rule demo_rule done in" in text


def test_a_killed_job_removes_its_temporary_files(tmp_path):
    # SIGTERM (Snakemake stopping a job, scancel) unwinds the script: no .tmp file is left
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from types import SimpleNamespace
        from deepcons.atomic import atomic_open
        from deepcons.logs import run_rule

        def main(_):
            with atomic_open({str(tmp_path / "out.txt")!r}) as out:
                out.write("half")
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(30)

        run_rule(main, SimpleNamespace(rule="demo_rule", log=[{str(tmp_path / "demo.log")!r}]))
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", script], env=env, timeout=60)
    assert done.returncode == 143
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.log"]
    assert "stopped by signal 15" in (tmp_path / "demo.log").read_text()
