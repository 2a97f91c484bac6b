"""A throw-away single-node SLURM cluster on localhost, for the tests.

Debian's ``slurmctld``, ``slurmd`` and ``munge`` packages (installed with apt-get when
missing) are started in the foreground as children of the test process, without systemd:
``munged`` as the munge user, ``slurmctld`` and ``slurmd`` as root. Nothing system-wide is
used or changed: the cluster has its own ``slurm.conf`` (clients find it through
``SLURM_CONF``), its own ports, state, spool, PID and log files under the directory it is
given, and its own munge key, socket, PID, seed and log files in a private directory (the
munge user cannot enter pytest's root-only temporary directories). Accounting is off
(no slurmdbd, so ``sacct`` cannot answer): job status comes from ``squeue``, which keeps
finished jobs for ``MinJobAge`` (600 s).

Every process started for the cluster, the daemons and, through them, ``slurmstepd`` and
the jobs, carries ``DEEPCONS_SLURM_CLUSTER=<its directory>`` in its environment;
:meth:`SlurmCluster.stop` cancels the jobs, stops the daemons by their PIDs and ends any
such process left, and :meth:`SlurmCluster.processes` lists them.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "munge")
COMMANDS = (
    "munged",
    "slurmctld",
    "slurmd",
    "sbatch",
    "srun",
    "squeue",
    "sinfo",
    "scontrol",
    "scancel",
)
MARKER = "DEEPCONS_SLURM_CLUSTER"
PARTITION = "debug"
# Memory the node declares (MB), at least: the rules' own requests (train_cnn asks for 16 GB)
# must fit on the node whatever the test machine has. Nothing enforces it (CR_Core,
# task/none), and SlurmdParameters=config_overrides keeps slurmd from draining the node.
MIN_NODE_MEMORY_MB = 64000


def _missing_commands() -> list[str]:
    missing = [c for c in COMMANDS if shutil.which(c) is None]
    try:
        pwd.getpwnam("munge")
    except KeyError:
        missing.append("user munge")
    return missing


def _apt_get(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(
        ["apt-get", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def unavailable_reason() -> str | None:
    """Why no cluster can be started here (None: it can), installing the packages if needed."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "a local SLURM cluster needs root (slurmd runs jobs as their user)"
    if not _missing_commands():
        return None
    if shutil.which("apt-get") is None:
        return f"SLURM is not installed ({', '.join(_missing_commands())}) and apt-get is not here"
    install = ("install", "-y", "-q", "--no-install-recommends", *PACKAGES)
    try:
        result = _apt_get(*install)
        if result.returncode != 0:  # stale package lists: refresh them once
            _apt_get("update", "-q")
            result = _apt_get(*install)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"apt-get could not install {' '.join(PACKAGES)}: {err}"
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return f"apt-get could not install {' '.join(PACKAGES)}: {' / '.join(tail)}"
    missing = _missing_commands()
    if missing:
        return f"SLURM packages installed but {', '.join(missing)} still missing"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_hardware() -> dict[str, str]:
    """``slurmd -C``: the node's name and CPU layout (NodeName, CPUs, ..., RealMemory)."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    fields = dict(item.split("=", 1) for item in out.split("\n", 1)[0].split() if "=" in item)
    if "NodeName" not in fields or "CPUs" not in fields:
        raise RuntimeError(f"unexpected `slurmd -C` output: {out!r}")
    return fields


class SlurmCluster:
    """One slurmctld and one slurmd (node at 127.0.0.1, partition ``debug``) and a munged.

    ``root`` holds the configuration, state, spool, PID and log files. With ``fake_gpu``,
    the node offers one GPU (GRES ``gpu``, device file /dev/null): jobs asking for it are
    scheduled, and get ``CUDA_VISIBLE_DEVICES``, without any GPU being there. Use as a
    context manager, or call :meth:`start` and (always) :meth:`stop`.
    """

    def __init__(self, root: Path, fake_gpu: bool = False):
        self.root = Path(root).resolve()
        self.fake_gpu = fake_gpu
        self.conf = self.root / "etc" / "slurm.conf"
        self.log_dir = self.root / "log"
        self.bin_dir = self.root / "bin"
        self.munge_dir: Path | None = None
        self.daemons: dict[str, subprocess.Popen] = {}
        self.stopped = False
        hardware = node_hardware()
        self.node = hardware["NodeName"]
        self.hardware = hardware

    # -- environment and commands --------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        """This environment, pointed at the cluster (for the daemons, clients, Snakemake)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SBATCH_"))}
        env.update(SLURM_CONF=str(self.conf), **{MARKER: str(self.root)})
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', os.defpath)}"
        return env

    def run(self, *args: str, check: bool = True, timeout: int = 30) -> str:
        """A SLURM client command (``squeue``, ``scontrol`` ...) on this cluster: its stdout."""
        result = subprocess.run(args, capture_output=True, text=True, env=self.env, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def jobs(self) -> list[dict[str, str]]:
        """Every job slurmctld still knows (finished ones for MinJobAge), with its fields."""
        fields = {
            "id": "%i",
            "name": "%j",
            "comment": "%k",
            "state": "%T",
            "partition": "%P",
            "cpus": "%C",
            "memory": "%m",
            "time_limit": "%l",
            "node": "%N",
        }
        out = self.run(
            "squeue", "--states=all", "--noheader", "--format=" + "|".join(fields.values())
        )
        return [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines()]

    def job_details(self, job_id: str) -> dict[str, str]:
        """``scontrol show job``'s fields of one job (TresPerJob, TimeLimit, BatchHost ...)."""
        out = self.run("scontrol", "--oneliner", "show", "job", job_id)
        return dict(re.findall(r"(\w+)=(\S*)", out))

    def processes(self) -> list[tuple[int, str]]:
        """(pid, command line) of every live process started for this cluster."""
        marker = f"{MARKER}={self.root}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
                if marker not in environ:
                    continue
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state != "Z":  # zombies are gone already, only waiting to be reaped
                found.append((int(entry.name), cmdline.strip()))
        return found

    # -- start ---------------------------------------------------------------------------

    def _write_config(self) -> None:
        for sub in ("etc", "log", "state", "spool", "run"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        hardware = {
            k: v for k, v in self.hardware.items() if k not in ("NodeName", "UpTime", "RealMemory")
        }
        memory = max(int(self.hardware.get("RealMemory", 0)), MIN_NODE_MEMORY_MB)
        layout = " ".join(f"{k}={v}" for k, v in hardware.items())
        gres = ""
        if self.fake_gpu:
            gres = "Gres=gpu:1 "
            (self.conf.parent / "gres.conf").write_text(
                f"NodeName={self.node} Name=gpu File=/dev/null\n"
            )
        host = socket.gethostname().split(".")[0]
        self.conf.write_text(
            f"""# Single-node test cluster (tests/slurm_cluster.py); not for production.
ClusterName=deepcons-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_dir / "munge.socket"}
StateSaveLocation={self.root / "state"}
SlurmdSpoolDir={self.root / "spool"}
SlurmctldPidFile={self.root / "run" / "slurmctld.pid"}
SlurmdPidFile={self.root / "run" / "slurmd.pid"}
SlurmctldLogFile={self.log_dir / "slurmctld.log"}
SlurmdLogFile={self.log_dir / "slurmd.log"}
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
# squeue is the job status command: keep finished jobs visible for 10 minutes
MinJobAge=600
SlurmdParameters=config_overrides
{"GresTypes=gpu" if self.fake_gpu else ""}
NodeName={self.node} NodeAddr=127.0.0.1 {layout} {gres}RealMemory={memory} State=UNKNOWN
PartitionName={PARTITION} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
"""
        )

    def _write_srun_wrapper(self) -> None:
        # Inside each job, snakemake-executor-plugin-slurm-jobstep (0.6.1) runs the rule with
        # `srun`, from an environment stripped of every SLURM_* variable but the job's ids:
        # SLURM_CONF goes too, and srun then looks for /etc/slurm/slurm.conf, which this
        # cluster leaves alone. The jobs find this `srun` first in their PATH (sbatch
        # --export=ALL): the real one, given the cluster's configuration back.
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        srun = self.bin_dir / "srun"
        srun.write_text(
            "#!/bin/sh\n"
            "# the test cluster's srun (tests/slurm_cluster.py)\n"
            f'SLURM_CONF="{self.conf}" exec "{shutil.which("srun")}" "$@"\n'
        )
        srun.chmod(0o755)

    def _start_munge(self) -> None:
        munge = pwd.getpwnam("munge")
        self.munge_dir = Path(tempfile.mkdtemp(prefix="deepcons-munge-"))
        os.chown(self.munge_dir, munge.pw_uid, munge.pw_gid)
        self.munge_dir.chmod(0o711)  # munged wants its socket's directory searchable by all
        key = self.munge_dir / "munge.key"
        key.write_bytes(os.urandom(1024))
        os.chown(key, munge.pw_uid, munge.pw_gid)
        key.chmod(0o400)
        # every file of its own, none of the system's (/etc/munge, /run/munge, /var/lib/munge)
        self._spawn(
            "munged",
            [
                "munged",
                "--foreground",
                f"--socket={self.munge_dir / 'munge.socket'}",
                f"--key-file={key}",
                f"--pid-file={self.munge_dir / 'munged.pid'}",
                f"--log-file={self.munge_dir / 'munged.log'}",
                f"--seed-file={self.munge_dir / 'munged.seed'}",
            ],
            user=munge.pw_uid,
            group=munge.pw_gid,
            extra_groups=[],
            cwd=self.munge_dir,
        )
        self._wait_for(lambda: (self.munge_dir / "munge.socket").exists(), "munged's socket")

    def _spawn(self, name: str, cmd: list[str], **kwargs) -> None:
        log = open(self.log_dir / f"{name}.out", "wb")  # noqa: SIM115 (closed with the process)
        try:
            self.daemons[name] = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
                **kwargs,
            )
        finally:
            log.close()

    def _wait_for(self, ready, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.daemons.items():
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited ({proc.returncode}) while waiting for {what}:\n"
                        + self.log_tail()
                    )
            try:
                if ready():
                    return
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"timed out after {timeout} s waiting for {what}:\n{self.log_tail()}")

    def start(self) -> SlurmCluster:
        atexit.register(self.stop)
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        self._start_munge()
        self._write_config()
        self._write_srun_wrapper()
        self._spawn("slurmctld", ["slurmctld", "-D", "-c", "-f", str(self.conf)])
        self._wait_for(lambda: "UP" in self.run("scontrol", "ping"), "slurmctld")
        self._spawn("slurmd", ["slurmd", "-D", "-f", str(self.conf), "-N", self.node])
        self._wait_for(
            lambda: self.run("sinfo", "--noheader", "--format=%T").split() == ["idle"],
            "the node to be idle",
        )
        return self

    # -- stop ----------------------------------------------------------------------------

    def stop(self) -> None:
        """Cancel the jobs, stop the daemons by PID, end anything left; idempotent."""
        if self.stopped:
            return
        self.stopped = True
        atexit.unregister(self.stop)
        ctld = self.daemons.get("slurmctld")
        if ctld is not None and ctld.poll() is None:
            try:
                self.run("scancel", f"--user={pwd.getpwuid(os.getuid()).pw_name}", check=False)
                self._wait_for_no_active_jobs()
            except (OSError, subprocess.TimeoutExpired):
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.daemons.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._end_leftovers()
        if self.munge_dir is not None:  # in the foreground, munged logs to log/munged.out
            shutil.rmtree(self.munge_dir, ignore_errors=True)

    def _wait_for_no_active_jobs(self, timeout: float = 30) -> None:
        states = "pending,running,suspended,completing,configuring"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.run("squeue", "--noheader", f"--states={states}", check=False).strip():
                return
            time.sleep(0.5)

    def _end_leftovers(self) -> None:
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            left = self.processes()
            if not left:
                return
            for pid, _ in left:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + grace
            while self.processes() and time.monotonic() < deadline:
                time.sleep(0.2)

    def log_tail(self, lines: int = 30) -> str:
        """The end of every daemon log, to explain a failure."""
        parts = []
        for path in sorted(self.log_dir.glob("*")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def __enter__(self) -> SlurmCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
