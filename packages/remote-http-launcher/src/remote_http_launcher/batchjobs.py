"""The batch jobs that belong to one Dask service: find them, count them, cancel them.

A Dask service started by ``seamless-dask-wrapper`` on a SLURM or OAR cluster submits its
workers as batch jobs (through dask-jobqueue). Those jobs outlive the service when the
wrapper dies without cleaning up (SIGKILL, out of memory, a node crash), and a pending job
then waits in the queue for a scheduler that no longer exists. This module answers "which
jobs are this service's?" without trusting names alone:

* only jobs of the user running this helper are considered (``squeue -u`` / ``oarstat -u``,
  also for root: root may cancel anybody's job, we never touch a job we did not submit);
* a job belongs to a service when its worker command line connects to the service's Dask
  scheduler, ``tcp://<host>:<port>``, with the port the wrapper recorded in the service's
  state file (field ``port``);
* before cancelling by port, a port that a *live* service of this user still listens on is
  refused, so that a port reused by a newer service never costs that service its workers.

Batch systems are small adapters keyed by name (``slurm``, ``oar``); a site adds another one
through the entry-point group :data:`ENTRY_POINT_GROUP` (an object with the attributes of
:class:`BatchSystem`). The client's scheduler plugin names the adapter it needs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

from . import paths, process, state
from .errors import RhlError, UsageProblem

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any

ENTRY_POINT_GROUP = "remote_http_launcher.batch_systems"
#: dask-jobqueue's job name unless ``jobqueue.<system>.name`` says otherwise.
DEFAULT_JOB_NAME = "dask-worker"
#: Bound on every call to the batch system's commands.
COMMAND_TIMEOUT = 30.0
PENDING = "pending"
RUNNING = "running"
OTHER = "other"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class Job:
    """One batch job: its id, a normalised state (pending / running / other), its name, and
    the text of its script or command when the listing already carries it."""

    __slots__ = ("id", "name", "raw_state", "state", "text")

    def __init__(self, job_id: str, state: str, name: str, raw_state: str = "", text: str | None = None):
        self.id = job_id
        self.state = state
        self.name = name
        self.raw_state = raw_state
        self.text = text

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "name": self.name, "scheduler_state": self.raw_state}


def run_command(argv: list[str], *, what: str, check: bool = True) -> tuple[int, str, str]:
    """Run one batch-system command: exit code, stdout, stderr (with ``check``, a non-zero exit
    is one clear line instead)."""
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise RhlError(f"{argv[0]} not found: is {what} installed on this host and on PATH?") from None
    except subprocess.TimeoutExpired:
        raise RhlError(f"{argv[0]} did not answer within {COMMAND_TIMEOUT:g} s") from None
    if check and done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise RhlError(f"{argv[0]} failed (exit {done.returncode}): {last[-1] if last else 'no output'}")
    return done.returncode, done.stdout, done.stderr


class BatchSystem:
    """The interface of an adapter (subclass it, or provide the same attributes)."""

    name = ""
    #: What to install when the commands are missing (for the error message).
    product = ""

    def list_jobs(self, user: str) -> list[Job]:
        """The user's jobs that have not finished."""
        raise NotImplementedError

    def job_text(self, job: Job) -> str:
        """The script or command of ``job`` (where the worker's scheduler address appears)."""
        return job.text or ""

    def cancel(self, job_ids: list[str]) -> list[str]:
        """Cancel these jobs; the ids actually cancelled (a job that ended or was being
        cancelled in the meantime is not an error, and not reported as cancelled)."""
        raise NotImplementedError


class Slurm(BatchSystem):
    name = "slurm"
    product = "SLURM"
    _PENDING = frozenset(
        ["PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"]
    )
    _RUNNING = frozenset(["RUNNING", "SIGNALING", "STAGE_OUT"])  # COMPLETING: ending, "other"

    def list_jobs(self, user: str) -> list[Job]:
        _rc, out, _err = run_command(
            ["squeue", "--noheader", "--user", user, "--format=%i|%T|%j"], what=self.product
        )
        jobs = []
        for line in out.splitlines():
            parts = line.strip().split("|", 2)
            if len(parts) != 3:
                continue
            job_id, raw, name = parts
            normal = PENDING if raw in self._PENDING else RUNNING if raw in self._RUNNING else OTHER
            jobs.append(Job(job_id, normal, name, raw))
        return jobs

    def job_text(self, job: Job) -> str:
        try:
            return run_command(["scontrol", "write", "batch_script", job.id, "-"], what=self.product)[1]
        except RhlError:
            return ""  # finished in between: it cannot be ours any more

    def cancel(self, job_ids: list[str]) -> list[str]:
        # scancel exits 0 for jobs that are already gone or ending, and 1 for real failures.
        run_command(["scancel", *job_ids], what=self.product)
        return list(job_ids)


class Oar(BatchSystem):
    name = "oar"
    product = "OAR (oar-user)"
    _PENDING = frozenset(
        ["Waiting", "Hold", "toLaunch", "toError", "toAckReservation", "Launching", "Suspended"]
    )
    _RUNNING = frozenset(["Running", "Resuming"])  # Finishing: ending, "other"
    _DONE = frozenset(["Terminated", "Error"])

    def list_jobs(self, user: str) -> list[Job]:
        _rc, out, _err = run_command(["oarstat", "-J", "-u", user], what=self.product)
        try:
            listed = json.loads(out) if out.strip() else {}
        except ValueError:
            raise RhlError("oarstat -J printed something that is not JSON") from None
        jobs = []
        for job_id, fields in sorted(listed.items() if isinstance(listed, dict) else []):
            if not isinstance(fields, dict):
                continue
            raw = str(fields.get("state", ""))
            if raw in self._DONE:
                continue
            normal = PENDING if raw in self._PENDING else RUNNING if raw in self._RUNNING else OTHER
            command = fields.get("command")
            jobs.append(Job(str(job_id), normal, str(fields.get("name") or ""), raw, str(command or "")))
        return jobs

    _REGISTERED = re.compile(r"Deleting the job = (\S+) \.\.\.REGISTERED")
    _REFUSED = re.compile(r"Cannot frag (\S+) ; (.*)$", re.M)

    def cancel(self, job_ids: list[str]) -> list[str]:
        # oardel exits non-zero when any job could not be deleted, also for a job the wrapper
        # has just deleted itself ("This job was already killed"): read its lines per job.
        rc, out, err = run_command(["oardel", *job_ids], what=self.product, check=False)
        text = out + "\n" + err
        cancelled = self._REGISTERED.findall(text)
        refused = [
            f"{job_id}: {reason.strip()}"
            for job_id, reason in self._REFUSED.findall(text)
            if "already killed" not in reason
        ]
        if refused:
            raise RhlError(f"oardel refused {'; '.join(refused)}")
        if rc != 0 and not cancelled and not self._REFUSED.search(text):
            last = text.strip().splitlines()
            raise RhlError(f"oardel failed (exit {rc}): {last[-1] if last else 'no output'}")
        return cancelled


BUILTIN: dict[str, BatchSystem] = {"slurm": Slurm(), "oar": Oar()}


def batch_system(name: str) -> BatchSystem:
    """The adapter called ``name``: built in, or from an installed entry point."""
    if not _NAME.match(name):
        raise UsageProblem(f"invalid batch system name {name!r}")
    found = BUILTIN.get(name)
    if found is not None:
        return found
    from importlib import metadata

    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == name:
            try:
                loaded: Any = entry_point.load()
            except Exception as exc:  # noqa: BLE001 - whatever a plugin raises on import
                raise RhlError(
                    f"batch system {name!r} ({entry_point.value}) could not be loaded: {exc}"
                ) from None
            adapter: BatchSystem = loaded() if isinstance(loaded, type) else loaded
            return adapter
    known = sorted(set(BUILTIN) | {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)})
    raise UsageProblem(f"unknown batch system {name!r} (known here: {', '.join(known)})")


def current_user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def connects_to(text: str, port: int) -> bool:
    """Does this job script or command start a worker of the scheduler on ``port``?"""
    return re.search(rf"tcp://[^\s'\"/]+:{port}(?![0-9])", text) is not None


def job_name_of(parameters: Any, system: str) -> str:
    """The job name dask-jobqueue gives this service's jobs (``extra_dask_config`` may set it)."""
    extra = parameters.get("extra_dask_config") if isinstance(parameters, dict) else None
    if isinstance(extra, dict):
        name = extra.get(f"jobqueue.{system}.name")
        if isinstance(name, str) and name:
            return name
    return DEFAULT_JOB_NAME


class Selector:
    """What to look for: a service (by key, its port read from its state file) or a port."""

    __slots__ = ("error", "job_name", "key", "note", "port")

    def __init__(
        self,
        key: str | None,
        port: int | None,
        job_name: str,
        *,
        error: str | None = None,
        note: str | None = None,
    ):
        self.key = key
        self.port = port
        self.job_name = job_name
        self.error = error  # the question could not be answered
        self.note = note  # answered: there is nothing to look for


def selector_for_key(key: str, system: str) -> Selector:
    read = state.read_state(paths.state_path(key))
    if read.missing:
        return Selector(key, None, DEFAULT_JOB_NAME, note="no state file")
    if read.corrupt:
        return Selector(key, None, DEFAULT_JOB_NAME, error=f"corrupt state: {read.error}")
    data = read.require()
    port = process.parse_pid(data.get("port"))  # same rules: a positive int
    name = job_name_of(data.get("parameters"), system)
    if port is None:
        never = "no scheduler port recorded (the service never reached 'running')"
        return Selector(key, None, name, note=never)
    return Selector(key, port, name)


def live_owner_of_port(port: int) -> str | None:
    """The key of a live service of this user that records ``port``, if any."""
    directory = paths.server_dir()
    for key in state.list_keys(directory):
        read = state.read_state(paths.state_path(key))
        data = read.data
        if data is None or process.parse_pid(data.get("port")) != port:
            continue
        if process.check_state_process(data, read).alive:
            return key
    return None


def find_jobs(system: BatchSystem, selectors: list[Selector], user: str) -> dict[int, list[Job]]:
    """Port -> the user's unfinished jobs whose worker connects to that port (one listing)."""
    wanted = {s.port: s.job_name for s in selectors if s.port is not None}
    found: dict[int, list[Job]] = {port: [] for port in wanted}
    if not wanted:
        return found
    names = set(wanted.values())
    for job in system.list_jobs(user):
        if job.name not in names:
            continue
        text = system.job_text(job)
        for port, name in wanted.items():
            if job.name == name and connects_to(text, port):
                found[port].append(job)
    return found


def report(
    system_name: str, keys: list[str], port: int | None, *, cancel: bool
) -> tuple[list[dict[str, Any]], bool]:
    """One row per selector (``key`` / ``port`` / ``jobs`` / ``cancelled`` / ``note`` /
    ``error``), and whether every selector was answered."""
    system = batch_system(system_name)
    selectors = [selector_for_key(key, system.name) for key in keys]
    if port is not None:
        selectors.append(Selector(None, port, DEFAULT_JOB_NAME))
    return answer(system, selectors, cancel=cancel)


def answer(
    system: BatchSystem, selectors: list[Selector], *, cancel: bool
) -> tuple[list[dict[str, Any]], bool]:
    """:func:`report` for selectors made beforehand (``rhl-stop --cancel-worker-jobs`` reads
    each key's port before the stop, as the wrapper may delete its state on the way out)."""
    if cancel:
        # Refused before anything is listed: a port a live service uses is not ours to clear.
        for selector in selectors:
            if selector.port is not None and selector.error is None:
                owner = live_owner_of_port(selector.port)
                if owner is not None:
                    selector.error = (
                        f"port {selector.port} belongs to the running service {owner}: stop it first"
                    )
    found = find_jobs(system, [s for s in selectors if s.error is None and s.note is None], current_user())
    rows: list[dict[str, Any]] = []
    complete = True
    for selector in selectors:
        row: dict[str, Any] = {"key": selector.key, "port": selector.port, "system": system.name, "jobs": []}
        if cancel:
            row["cancelled"] = []
        if selector.error is not None:
            row["error"] = selector.error
            complete = False
        elif selector.note is not None:
            row["note"] = selector.note
        else:
            assert selector.port is not None
            jobs = found[selector.port]
            row["jobs"] = [job.as_json() for job in jobs]
            # Jobs already ending (completing, finishing) are left to end.
            ids = [job.id for job in jobs if job.state in (PENDING, RUNNING)]
            if cancel and ids:
                try:
                    row["cancelled"] = system.cancel(ids)
                except RhlError as exc:
                    row["error"] = exc.message
                    complete = False
        rows.append(row)
    return rows, complete


# -- rhl-stop / rhl-rm --cancel-worker-jobs -----------------------------------------------------


def worker_selectors(
    system_name: str, keys: list[str], services: tuple[str, ...]
) -> tuple[BatchSystem, dict[str, Selector]]:
    """The adapter (a usage error before anything is stopped or removed) and, for each key
    whose worker jobs are to be cancelled, its selector, read now (before the state goes).
    ``services`` (``--worker-jobs-of``): only the keys whose state ``meta`` names one of these
    services; empty: every key."""
    system = batch_system(system_name)
    selectors: dict[str, Selector] = {}
    for key in dict.fromkeys(keys):
        if services:
            read = state.read_state(paths.state_path(key))
            meta = read.data.get("meta") if read.data is not None else None
            if not isinstance(meta, dict) or meta.get("service") not in services:
                continue
        selectors[key] = selector_for_key(key, system.name)
    return system, selectors


def cancel_lines(system: BatchSystem, selectors: dict[str, Selector]) -> tuple[list[str], list[str]]:
    """Cancel the jobs still connecting to each selector's port (refused for a port a live
    service of ours uses): ``KEY: cancelled N worker job(s) (ids)`` lines and
    ``KEY: worker jobs not cancelled: why`` problems. A key whose port was never known (no
    state, never running, corrupt: its stop or removal line says so) is left out."""
    wanted = [s for s in selectors.values() if s.port is not None and s.error is None and s.note is None]
    if not wanted:
        return [], []
    try:
        rows, _complete = answer(system, wanted, cancel=True)
    except RhlError as exc:  # the batch system failed: the stop or removal itself stands
        return [], [f"{s.key}: worker jobs not cancelled: {exc.message}" for s in wanted]
    lines: list[str] = []
    problems: list[str] = []
    for row in rows:
        cancelled = [str(job_id) for job_id in row.get("cancelled") or ()]
        if cancelled:
            noun = "job" if len(cancelled) == 1 else "jobs"
            lines.append(f"{row['key']}: cancelled {len(cancelled)} worker {noun} ({', '.join(cancelled)})")
        if row.get("error"):
            problems.append(f"{row['key']}: worker jobs not cancelled: {row['error']}")
    return lines, problems
