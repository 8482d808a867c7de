"""Single-node SLURM and OAR from Debian's packages, started and stopped for the batch tests.

Why real schedulers: the promise of issue 6 is that a queue in the cluster file becomes a
correct job on the real scheduler and that stopping the service leaves no job behind. Only
``sbatch``/``oarsub``/``scancel``/``oardel`` themselves can show that. The recipe is
``shared/recipes/real-components.md`` §5-7; this module turns it into Python functions with
bounded waits (short backoff, never a fixed sleep) and idempotent up/down:

* ``slurm_up()`` / ``oar_up()`` start what is not already running and return the pid files of
  the daemons *they* started; ``down(pid_files)`` stops exactly those (SIGTERM, then SIGKILL
  after a bounded wait), after checking that each pid still names the expected program. A
  daemon found running is reused and left alone.
* ``ensure_packages(groups)`` installs the Debian packages that are missing (as root, with a
  bounded ``apt-get``); not root, it fails with one line naming the exact apt-get command.
  The nox sessions run it first (``batch_support.py ensure ssh slurm oar``), so README's test
  command does all its set-up on a fresh machine.

What is written outside our state directory (``$RHL_TEST_CACHE/batch``, default
``/var/tmp/rhltest/batch``): ``/etc/slurm/slurm.conf`` (only if absent or written by us: it
carries :data:`CONF_MARKER`), four settings of ``/etc/oar/oar.conf`` (database port and
passwords, the cpuset resource manager switched off), ``/etc/hosts`` (``127.0.0.1 <hostname>``
if missing), ``/run/munge``, ``/run/sshd`` and ``/run/rhltest-batch`` (pid files). SLURM's
job state lives in ``/var/lib/slurm`` (the package's own place); OAR's PostgreSQL cluster
lives in our state directory, on port ``$RHL_BATCH_PGPORT`` (default 5433).

Run by hand: ``python tests/batch/batch_support.py up|down|status [slurm|oar]`` (``down``
stops every daemon whose pid file this module knows, whoever started it), or
``python tests/batch/batch_support.py ensure [ssh|slurm|oar]...`` (install what is missing).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence

HERE = pathlib.Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
#: The real Dask wrapper the Dask services launch; installed without its Seamless
#: dependencies (``seamless_dask/wrapper.py`` needs only the stdlib and dask at run time).
WRAPPER_REQUIREMENT = "seamless-dask==0.4"
SYSTEM_PYTHON = "/usr/bin/python3"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
CONF_MARKER = "# written by remote-http-launcher tests/batch/batch_support.py"
RUN_DIR = pathlib.Path("/run/rhltest-batch")
PGBIN = pathlib.Path("/usr/lib/postgresql/15/bin")
OAR_CONF = pathlib.Path("/etc/oar/oar.conf")
SLURM_CONF = pathlib.Path("/etc/slurm/slurm.conf")
OAR_SERVER_PID = pathlib.Path("/run/oar-server.pid")
MUNGE_PID = pathlib.Path("/run/munge/munged.pid")
#: Debian packages per scheduler (recipe §0; SLURM accounting is not needed).
PACKAGES: dict[str, tuple[str, ...]] = {
    "ssh": ("openssh-server",),
    "slurm": ("slurmctld", "slurmd", "slurm-client", "munge"),
    "oar": (
        "oar-server",
        "oar-server-pgsql",
        "oar-node",
        "oar-user",
        "oar-user-pgsql",
        "postgresql",
        "openssh-server",
    ),
}
#: OAR job states that are over (a deleted job ends in Error).
OAR_FINISHED = ("Terminated", "Error")


class BatchError(RuntimeError):
    """A scheduler could not be set up or stopped; the message says what and where to look."""


# --------------------------------------------------------------------------- small tools


def state_dir() -> pathlib.Path:
    base = pathlib.Path(os.environ.get("RHL_TEST_CACHE", "/var/tmp/rhltest")) / "batch"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base.parent, 0o755)
    os.chmod(base, 0o755)  # postgres owns a directory below, svc reads the venv next to it
    return base


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """Serialise up/down between concurrent test sessions on this machine."""
    fd = os.open(state_dir() / f".{name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def run(argv: Sequence[str], timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command with a bound; a failure is a BatchError quoting its output."""
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise BatchError(f"{shlex.join(argv)} did not finish within {timeout}s") from exc
    if check and proc.returncode != 0:
        raise BatchError(f"{shlex.join(argv)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, hint: str = "") -> float:
    """Poll ``predicate`` with a short exponential backoff; the seconds it took."""
    start = time.monotonic()
    deadline = start + timeout
    delay = 0.02
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() >= deadline:
            raise BatchError(f"{what} not reached within {timeout:.0f}s" + (f"; see {hint}" if hint else ""))
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def succeeds(*argv: str, timeout: float = 10) -> bool:
    try:
        return (
            subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL).returncode
            == 0
        )
    except (subprocess.TimeoutExpired, OSError):
        return False


def read_pid(pid_file: pathlib.Path) -> int | None:
    try:
        text = pid_file.read_text().split()
        return int(text[0]) if text else None
    except (OSError, ValueError):
        return None


def process_name(pid: int) -> str | None:
    """The program name of a live, non-zombie process (zombies count as dead here)."""
    try:
        raw = pathlib.Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    if raw[raw.rindex(b")") + 2 :].split()[0] in (b"Z", b"X"):
        return None
    return raw[raw.index(b"(") + 1 : raw.rindex(b")")].decode(errors="replace")


def alive(pid_file: pathlib.Path, names: Sequence[str]) -> int | None:
    """The pid in ``pid_file`` if it names a live process called one of ``names``."""
    pid = read_pid(pid_file)
    if pid is None:
        return None
    name = process_name(pid)
    return pid if name is not None and any(name.startswith(n[:15]) for n in names) else None


#: Program names a pid file may name (as /proc/PID/stat shows them, at most 15 characters).
PID_FILE_NAMES: dict[str, tuple[str, ...]] = {
    "munged.pid": ("munged",),
    "slurmctld.pid": ("slurmctld",),
    "slurmd.pid": ("slurmd",),
    "oar-server.pid": ("Almighty", "oar-server", "perl"),
    "oar-node-sshd.pid": ("sshd",),
    "postmaster.pid": ("postgres",),
}


def stop_pid_file(pid_file: pathlib.Path, timeout: float = 15) -> str:
    """Stop the daemon named by ``pid_file`` if it is still the expected program."""
    names = PID_FILE_NAMES.get(pid_file.name, ())
    pid = alive(pid_file, names)
    if pid is None:
        return f"{pid_file}: not running"
    # PostgreSQL: SIGINT is its "fast" shutdown (SIGTERM waits for clients to leave).
    os.kill(pid, signal.SIGINT if pid_file.name == "postmaster.pid" else signal.SIGTERM)
    try:
        took = wait_until(lambda: process_name(pid) is None, timeout, f"exit of pid {pid}")
    except BatchError:
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: process_name(pid) is None, 5, f"exit of pid {pid} after SIGKILL")
        return f"{pid_file}: pid {pid} killed (did not stop within {timeout:.0f}s)"
    return f"{pid_file}: pid {pid} stopped in {took:.1f}s"


def down(pid_files: Sequence[pathlib.Path]) -> list[str]:
    """Stop the daemons of these pid files, last started first."""
    return [stop_pid_file(path) for path in reversed(pid_files)]


# --------------------------------------------------------------------------- packages


def missing_packages(packages: Sequence[str]) -> list[str]:
    """The Debian packages of ``packages`` that dpkg does not report as installed (a package
    removed with its configuration kept reads ``deinstall ok config-files``: missing)."""
    if shutil.which("dpkg-query") is None:
        return list(packages)
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${Status}\\n", *packages],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )  # exit 1 when some package is unknown; the known ones are still listed
    installed = {line.split()[0] for line in proc.stdout.splitlines() if line.endswith(" ok installed")}
    return [package for package in packages if package not in installed]


def apt_command(packages: Sequence[str]) -> str:
    return "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends " + " ".join(packages)


def packages_for(groups: Sequence[str]) -> list[str]:
    """The packages of ``groups`` (keys of :data:`PACKAGES`), each once, in order."""
    found: list[str] = []
    for group in groups:
        found += [package for package in PACKAGES[group] if package not in found]
    return found


#: The bound of each apt-get call (install, update, install again): about 150 MB to fetch on a
#: fresh machine; three calls at most.
APT_TIMEOUT = 300
POLICY_RC_D = pathlib.Path("/usr/sbin/policy-rc.d")


def install_packages(packages: Sequence[str], policy: pathlib.Path | None = None) -> None:
    """``apt-get install`` the packages (root only), bounded; once more after ``apt-get update``
    if that fails (stale package lists on a fresh machine). A ``policy-rc.d`` that answers 101
    keeps the packages' init scripts from starting daemons (the tests start every daemon
    themselves); it is removed afterwards unless it was there before."""
    policy = policy or POLICY_RC_D
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    created = False
    with _apt_lock():
        try:
            if not policy.exists():
                policy.write_text("#!/bin/sh\n# written by tests/batch/batch_support.py\nexit 101\n")
                policy.chmod(0o755)
                created = True
            failure = _apt(install, env)
            if failure:
                update_failure = _apt(["apt-get", "update", "-q"], env)
                failure = _apt(install, env) if not update_failure else update_failure
        finally:
            if created:
                policy.unlink(missing_ok=True)
    still = missing_packages(packages)
    if still:
        raise BatchError(f"could not install {' '.join(still)}: {failure or 'apt-get reported success'}")


@contextlib.contextmanager
def _apt_lock() -> Iterator[None]:
    """The same lock file as tests/sshd_support.py's openssh-server install."""
    fd = os.open("/tmp/.rhltest-apt.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _apt(argv: list[str], env: dict[str, str]) -> str:
    """Run one apt-get call; '' on success, else its last output line (or the timeout)."""
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=APT_TIMEOUT, env=env, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return f"{shlex.join(argv)} did not finish within {APT_TIMEOUT}s"
    if proc.returncode == 0:
        return ""
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return f"{shlex.join(argv[:2])} exited {proc.returncode}: {lines[-1] if lines else 'no output'}"


def ensure_packages(groups: Sequence[str], uid: int | None = None) -> list[str]:
    """Make the Debian packages of ``groups`` installed: as root, install what is missing;
    otherwise a BatchError whose one line says exactly what to install. Returns what was
    installed now. Never a silent skip: the batch session fails without its packages."""
    wanted = packages_for(groups)
    missing = missing_packages(wanted)
    if not missing:
        return []
    if (os.getuid() if uid is None else uid) != 0:
        raise BatchError(
            f"Debian package(s) not installed: {' '.join(missing)}; "
            f"as root run: {apt_command(missing)} (or run ./dev test as root, which installs them)"
        )
    install_packages(missing)
    return missing


def require_packages(scheduler: str) -> None:
    ensure_packages([scheduler])
    if os.getuid() != 0:
        raise BatchError(f"{scheduler}: starting the daemons needs root")


# --------------------------------------------------------------------------- the svc venv


def batch_venv() -> pathlib.Path:
    """bin/ of a venv (Debian's Python, readable by svc) with dask-jobqueue and the Dask
    wrapper, built once per requirement set under a lock."""
    spec = REQUIREMENTS.read_text() + WRAPPER_REQUIREMENT
    digest = hashlib.sha256(spec.encode()).hexdigest()[:16]
    root = state_dir().parent / "venvs"
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    venv = root / f"batch-{digest}"
    marker = venv / ".rhltest-ok"
    if marker.exists():
        return venv / "bin"
    with locked("venv"):
        if marker.exists():
            return venv / "bin"
        shutil.rmtree(venv, ignore_errors=True)
        run([SYSTEM_PYTHON, "-m", "venv", str(venv)], timeout=120)
        pip = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
        run([*pip, "-r", str(REQUIREMENTS)], timeout=600)
        run([*pip, "--no-deps", WRAPPER_REQUIREMENT], timeout=300)
        for path in [venv, *venv.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                os.chmod(path, path.stat().st_mode | 0o755)
        marker.write_text(spec)
    return venv / "bin"


# --------------------------------------------------------------------------- SLURM


def _node() -> str:
    return socket.gethostname().split(".")[0]


def _ensure_hosts_entry(node: str) -> None:
    hosts = pathlib.Path("/etc/hosts")
    text = hosts.read_text()
    if not re.search(rf"^127\.0\.0\.1\s.*\b{re.escape(node)}\b", text, re.M):
        with hosts.open("a") as handle:
            handle.write(f"127.0.0.1 {node}\n")


def slurm_conf_text(node: str) -> str:
    cpus = os.cpu_count() or 1
    with open("/proc/meminfo") as handle:
        total_mb = int(handle.readline().split()[1]) // 1024
    memory = max(1024, min(total_mb - 512, 8000))  # what slurmd may hand out to jobs
    return f"""{CONF_MARKER}
ClusterName=rhltest
SlurmctldHost={node}(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=60
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile={RUN_DIR}/slurmctld.pid
SlurmdPidFile={RUN_DIR}/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


def _write_slurm_conf(text: str) -> None:
    if SLURM_CONF.exists():
        current = SLURM_CONF.read_text()
        if CONF_MARKER not in current:
            raise BatchError(f"{SLURM_CONF} exists and was not written by the tests; not touching it")
        if current == text:
            return
    tmp = SLURM_CONF.with_name(".slurm.conf.tmp")
    tmp.write_text(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, SLURM_CONF)


def munge_up(started: list[pathlib.Path]) -> None:
    if succeeds("munge", "-n"):
        return
    munge_dir = pathlib.Path("/run/munge")
    munge_dir.mkdir(exist_ok=True)
    shutil.chown(munge_dir, "munge", "munge")
    os.chmod(munge_dir, 0o755)
    run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"], timeout=30)
    started.append(MUNGE_PID)
    wait_until(lambda: succeeds("munge", "-n"), 10, "munged answering", "/var/log/munge/munged.log")


def _slurm_idle() -> bool:
    proc = subprocess.run(
        ["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL
    )
    states = proc.stdout.split()
    return proc.returncode == 0 and ("idle" in states or "mixed" in states)


def slurm_up() -> list[pathlib.Path]:
    """munged, slurmctld and slurmd on this node; the pid files of the ones started now."""
    require_packages("slurm")
    started: list[pathlib.Path] = []
    with locked("slurm"):
        RUN_DIR.mkdir(mode=0o755, exist_ok=True)
        node = _node()
        _ensure_hosts_entry(node)
        _write_slurm_conf(slurm_conf_text(node))
        munge_up(started)
        if alive(RUN_DIR / "slurmctld.pid", ("slurmctld",)) is None:
            run(["/usr/sbin/slurmctld"], timeout=30)
            started.append(RUN_DIR / "slurmctld.pid")
            wait_until(
                lambda: "UP" in run(["scontrol", "ping"], timeout=10, check=False).stdout,
                20,
                "slurmctld answering",
                "/var/log/slurm/slurmctld.log",
            )
        if alive(RUN_DIR / "slurmd.pid", ("slurmd",)) is None:
            run(["/usr/sbin/slurmd"], timeout=30)
            started.append(RUN_DIR / "slurmd.pid")
        wait_until(_slurm_idle, 30, f"node {node} idle in sinfo", "/var/log/slurm/slurmd.log")
    return started


def slurm_jobs(user: str) -> dict[str, str]:
    """The user's jobs that squeue still lists: id -> state (PENDING, RUNNING, COMPLETING...)."""
    proc = run(["squeue", "-h", "-u", user, "-o", "%i %T"], timeout=20)
    return dict(line.split() for line in proc.stdout.splitlines() if line.strip())


# --------------------------------------------------------------------------- OAR


def pg_port() -> int:
    return int(os.environ.get("RHL_BATCH_PGPORT", "5433"))


def _configure_oar(port: int) -> None:
    text = OAR_CONF.read_text()
    new = re.sub(r"^DB_PORT=.*$", f'DB_PORT="{port}"', text, flags=re.M)
    new = re.sub(r"^DB_BASE_PASSWD=.*$", 'DB_BASE_PASSWD="oarpw"', new, flags=re.M)
    new = re.sub(r"^DB_BASE_PASSWD_RO=.*$", 'DB_BASE_PASSWD_RO="oarropw"', new, flags=re.M)
    # The default cpuset resource manager needs cgroup mounts this machine does not have.
    new = re.sub(
        r"^JOB_RESOURCE_MANAGER_PROPERTY_DB_FIELD=",
        "#JOB_RESOURCE_MANAGER_PROPERTY_DB_FIELD=",
        new,
        flags=re.M,
    )
    if new != text:
        tmp = OAR_CONF.with_name(".oar.conf.tmp")
        tmp.write_text(new)
        shutil.copymode(OAR_CONF, tmp)
        st = OAR_CONF.stat()
        os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, OAR_CONF)


def postgres_up(started: list[pathlib.Path], port: int) -> pathlib.Path:
    """A private PostgreSQL 15 cluster for OAR (trust auth on 127.0.0.1: test only)."""
    base = state_dir() / "oar-pg"
    data = base / "data"
    pid_file = data / "postmaster.pid"
    if alive(pid_file, ("postgres",)) is not None:
        return data
    if port_open(port):
        raise BatchError(f"port {port} is taken by another server; set RHL_BATCH_PGPORT to a free port")
    base.mkdir(exist_ok=True)
    shutil.chown(base, "postgres", "postgres")
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(PGBIN / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
            timeout=120,
        )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1"
    run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(PGBIN / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "pg.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        timeout=90,
    )
    started.append(pid_file)
    return data


def oar_node_sshd_up(started: list[pathlib.Path]) -> None:
    """The "oar-node" side: an sshd for the oar account on 127.0.0.1:6667."""
    pid_file = RUN_DIR / "oar-node-sshd.pid"
    if alive(pid_file, ("sshd",)) is not None:
        return
    if port_open(6667):
        raise BatchError("port 6667 (OAR's node sshd) is taken by another process")
    os.makedirs("/run/sshd", exist_ok=True)
    os.chmod("/run/sshd", 0o755)
    run(
        [
            "/usr/sbin/sshd",
            "-f",
            "/etc/oar/sshd_config",
            "-o",
            f"PidFile={pid_file}",
            "-o",
            "ListenAddress=127.0.0.1",
            "-E",
            "/var/log/oar-node-sshd.log",
        ],
        timeout=30,
    )
    started.append(pid_file)
    wait_until(lambda: port_open(6667), 10, "OAR node sshd on port 6667", "/var/log/oar-node-sshd.log")


def oar_resources() -> dict[str, str]:
    """resource id -> state, from oarnodes."""
    proc = run(["oarnodes", "-J"], timeout=30, check=False)
    try:
        data = json.loads(proc.stdout or "{}")
    except ValueError:
        return {}
    found: dict[str, str] = {}
    items = data.values() if isinstance(data, dict) else data
    for item in items:
        if isinstance(item, dict) and "resource_id" in item:
            found[str(item["resource_id"])] = str(item.get("state"))
        elif isinstance(item, dict):  # {host: {resource_id: {...}}} in some versions
            for sub in item.values():
                if isinstance(sub, dict) and "resource_id" in sub:
                    found[str(sub["resource_id"])] = str(sub.get("state"))
    return found


def oar_up(ncores: int = 2) -> list[pathlib.Path]:
    """PostgreSQL, the OAR server (Almighty) and the node sshd; pid files of those started now."""
    require_packages("oar")
    started: list[pathlib.Path] = []
    with locked("oar"):
        RUN_DIR.mkdir(mode=0o755, exist_ok=True)
        port = pg_port()
        _configure_oar(port)
        postgres_up(started, port)
        if not succeeds("oar-database", "--check", timeout=60):
            run(
                ["oar-database", "--create", "--db-admin-user=postgres", "--db-admin-pass=", "-y"],
                timeout=120,
            )
        if not oar_resources():
            properties = run(["oarproperty", "-l"], timeout=30).stdout.split()
            for name, flag in (("cpu", ""), ("core", ""), ("host", "-c")):
                if name not in properties:
                    run(["oarproperty", *([flag] if flag else []), "-a", name], timeout=30)
            for i in range(1, ncores + 1):
                run(
                    [
                        "oarnodesetting",
                        "-a",
                        "-h",
                        "localhost",
                        "-p",
                        "host=localhost",
                        "-p",
                        "cpu=1",
                        "-p",
                        f"core={i}",
                        "-p",
                        f"cpuset={i - 1}",
                    ],
                    timeout=30,
                )
        oar_node_sshd_up(started)
        log = pathlib.Path("/var/log/oar.log")
        log.touch()
        shutil.chown(log, "oar")
        if alive(OAR_SERVER_PID, PID_FILE_NAMES["oar-server.pid"]) is None:
            run(["/usr/sbin/oar-server"], timeout=30)
            started.append(OAR_SERVER_PID)
            wait_until(lambda: port_open(6666), 20, "OAR server on port 6666", str(log))
        wait_until(
            lambda: sum(state == "Alive" for state in oar_resources().values()) >= ncores,
            30,
            f"{ncores} Alive OAR resources",
            str(log),
        )
    return started


def oar_jobs(user: str) -> dict[str, str]:
    """The user's OAR jobs that are not over: id -> state (Waiting, Launching, Running...)."""
    proc = run(["oarstat", "-u", user, "-J"], timeout=30)
    text = proc.stdout.strip()
    data = json.loads(text) if text else {}
    return {
        str(job): str(info.get("state"))
        for job, info in data.items()
        if info.get("state") not in OAR_FINISHED
    }


# --------------------------------------------------------------------------- by hand


def _known_pid_files() -> dict[str, list[pathlib.Path]]:
    return {
        "slurm": [MUNGE_PID, RUN_DIR / "slurmctld.pid", RUN_DIR / "slurmd.pid"],
        "oar": [
            state_dir() / "oar-pg" / "data" / "postmaster.pid",
            RUN_DIR / "oar-node-sshd.pid",
            OAR_SERVER_PID,
        ],
    }


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] not in ("up", "down", "status", "ensure"):
        print(
            "usage: batch_support.py up|down|status [slurm|oar] | ensure [ssh|slurm|oar]...", file=sys.stderr
        )
        return 2
    which = list(argv[1:]) or ["slurm", "oar"]
    unknown = [name for name in which if name not in PACKAGES or (argv[0] != "ensure" and name == "ssh")]
    if unknown:
        print(f"batch_support: unknown: {' '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        if argv[0] == "ensure":
            began = time.monotonic()
            installed = ensure_packages(which)
            if installed:
                print(f"batch_support: installed {' '.join(installed)} in {time.monotonic() - began:.0f}s")
            return 0
        for name in which:
            if argv[0] == "up":
                began = time.monotonic()
                started = slurm_up() if name == "slurm" else oar_up()
                print(f"{name}: up in {time.monotonic() - began:.1f}s, started {[str(p) for p in started]}")
            elif argv[0] == "down":
                with locked(name):
                    for line in down(_known_pid_files()[name]):
                        print(line)
            else:
                for path in _known_pid_files()[name]:
                    pid = alive(path, PID_FILE_NAMES[path.name])
                    print(f"{name}: {path}: {'pid ' + str(pid) if pid else 'not running'}")
    except BatchError as exc:
        print(f"batch_support: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
