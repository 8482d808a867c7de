"""Process identity, liveness and signals.

A PID alone does not identify a process: PIDs are reused. A state file therefore records,
next to ``pid``, the process start time (``pid_start_time``, clock ticks since boot from
``/proc/<pid>/stat``), the ``boot_id`` and the process group (``pgid``). Before we call a
process alive, and before every signal, we check that the live process with that PID is
still the one the file describes. Files written by remote-http-launcher 0.4.5 carry no start
time; for them a process that started after the file was last written cannot be the one it
describes (the launcher writes the file after spawning, the service rewrites it later).

We never signal PID 0, 1, negative PIDs, our own process group, or a process of another
user; and a zombie counts as dead.
"""

from __future__ import annotations

import errno
import os
import time

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any

    from .state import StateRead

#: Seconds of tolerance when comparing a legacy file's mtime with a process start time
#: (``btime`` in /proc/stat has one-second resolution).
LEGACY_START_SLACK = 2.0

_CLK_TCK: int | None = None
_BTIME: float | None = None
_BOOT_ID: str | None = None


def clock_ticks() -> int:
    global _CLK_TCK
    if _CLK_TCK is None:
        _CLK_TCK = os.sysconf("SC_CLK_TCK")
    return _CLK_TCK


def boot_time() -> float:
    global _BTIME
    if _BTIME is None:
        with open("/proc/stat", "rb") as handle:
            for line in handle:
                if line.startswith(b"btime "):
                    _BTIME = float(line.split()[1])
                    break
            else:  # pragma: no cover - every Linux has btime
                _BTIME = 0.0
    return _BTIME


def boot_id() -> str:
    global _BOOT_ID
    if _BOOT_ID is None:
        try:
            # An ASCII text; "utf-8" because its codec is loaded already ("ascii" imports one)
            with open("/proc/sys/kernel/random/boot_id", encoding="utf-8") as handle:
                _BOOT_ID = handle.read().strip()
        except OSError:  # pragma: no cover - not Linux
            _BOOT_ID = ""
    return _BOOT_ID


class ProcessInfo:
    """What /proc says about one live process."""

    __slots__ = ("pgid", "pid", "sid", "start_ticks", "state", "uid")

    def __init__(self, pid: int, state: str, pgid: int, sid: int, start_ticks: int, uid: int) -> None:
        self.pid = pid
        self.state = state
        self.pgid = pgid
        self.sid = sid
        self.start_ticks = start_ticks
        self.uid = uid

    @property
    def zombie(self) -> bool:
        return self.state in ("Z", "X")

    @property
    def start_epoch(self) -> float:
        return boot_time() + self.start_ticks / clock_ticks()


def read_process(pid: int) -> ProcessInfo | None:
    """The process with this PID, or None if there is none (zombies are returned, marked)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
        uid = os.stat(f"/proc/{pid}").st_uid
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ESRCH):
            return None
        raise
    # The command name (field 2) is in parentheses and may itself contain ") ".
    rest = raw[raw.rindex(b")") + 2 :].split()
    return ProcessInfo(
        pid=pid,
        state=rest[0].decode(),
        pgid=int(rest[2]),
        sid=int(rest[3]),
        start_ticks=int(rest[19]),
        uid=uid,
    )


def capture_identity(pid: int) -> dict[str, Any]:
    """The identity fields to record in a state file for a process we just started."""
    info = read_process(pid)
    if info is None:
        return {"pid": pid}
    return {"pid": pid, "pid_start_time": info.start_ticks, "boot_id": boot_id(), "pgid": info.pgid}


def parse_pid(value: Any) -> int | None:
    """A PID from a state file value: ints and digit strings; never bools."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


# Verdicts of :func:`check_state_process`.
ALIVE = "alive"
DEAD = "dead"
REUSED = "reused"  # the PID now belongs to another process
FOREIGN = "foreign"  # the process belongs to another user
NO_PID = "no-pid"  # missing or invalid PID (includes PID <= 1)


class Liveness:
    """The verdict on a state file's process, with the evidence."""

    __slots__ = ("detail", "info", "pid", "verdict")

    def __init__(
        self, verdict: str, pid: int | None = None, info: ProcessInfo | None = None, detail: str = ""
    ) -> None:
        self.verdict = verdict
        self.pid = pid
        self.info = info
        self.detail = detail

    @property
    def alive(self) -> bool:
        return self.verdict == ALIVE


def check_state_process(data: dict[str, Any], read: StateRead | None = None) -> Liveness:
    """Is the process this state object describes alive, and is it still the same process?

    ``read`` (the file it came from) supplies the modification time that the legacy rule
    needs; it is only looked at for a live process without a recorded start time.
    """
    pid = parse_pid(data.get("pid"))
    if pid is None:
        return Liveness(NO_PID, detail="no valid PID recorded")
    if pid <= 1:
        return Liveness(NO_PID, pid, detail=f"refusing PID {pid}")
    try:
        os.kill(pid, 0)  # cheap first answer: most stale rows name no process at all
    except ProcessLookupError:
        return Liveness(DEAD, pid, None, detail=f"PID {pid} is gone")
    except (PermissionError, OverflowError):
        pass
    info = read_process(pid)
    if info is None or info.zombie:
        return Liveness(DEAD, pid, info, detail=f"PID {pid} is gone")
    recorded_boot = data.get("boot_id")
    if isinstance(recorded_boot, str) and recorded_boot and recorded_boot != boot_id():
        return Liveness(REUSED, pid, info, detail=f"PID {pid} was recorded before a reboot")
    recorded_start = data.get("pid_start_time")
    if isinstance(recorded_start, int) and not isinstance(recorded_start, bool):
        if recorded_start != info.start_ticks:
            return Liveness(REUSED, pid, info, detail=f"PID {pid} now belongs to another process")
    elif (mtime := read.mtime if read is not None else None) is not None and (
        info.start_epoch > mtime + LEGACY_START_SLACK
    ):
        return Liveness(REUSED, pid, info, detail=f"PID {pid} started after its state file was written")
    recorded_uid = data.get("uid")
    if isinstance(recorded_uid, int) and not isinstance(recorded_uid, bool) and recorded_uid != info.uid:
        return Liveness(REUSED, pid, info, detail=f"PID {pid} belongs to uid {info.uid}, not {recorded_uid}")
    if info.uid != os.getuid():
        return Liveness(FOREIGN, pid, info, detail=f"PID {pid} belongs to uid {info.uid}")
    return Liveness(ALIVE, pid, info)


def pid_alive(pid: int) -> bool:
    """Raw liveness of a PID (no identity): exists, is not a zombie; EPERM counts as alive."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    info = read_process(pid)
    return info is not None and not info.zombie


def group_members(pgid: int) -> list[ProcessInfo]:
    """Live (non-zombie) processes of a process group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []
    except PermissionError:
        pass
    members = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            info = read_process(int(name))
        except (OSError, ValueError, IndexError):
            continue
        if info is not None and info.pgid == pgid and not info.zombie:
            members.append(info)
    return members


def leftovers(data: dict[str, Any], live: Liveness) -> list[ProcessInfo]:
    """Live members of the recorded process group of a service whose leader is gone.

    A crashed leader's workers are still ours to show and to stop. Only a group that is
    verifiably the recorded one counts, else nothing: the record must be ours (``pgid`` equal
    to ``pid``, a ``pid_start_time``, this boot), the leader must be dead (not reused: while a
    process still uses a number as its process group or session, Linux never hands the
    number to a new process, so a reused leader PID means the old group is gone), and every
    member must be in the session of that number, of our uid, and started no earlier than the
    leader (and, when the supervisor recorded the exit, no later than it). One member that
    fails a check makes the whole group someone else's. Costs one ``killpg(pgid, 0)`` when
    the group is empty, which it usually is; a scan of /proc only when it is not.
    """
    if live.verdict != DEAD or live.pid is None:
        return []
    pgid = parse_pid(data.get("pgid"))
    start = data.get("pid_start_time")
    if pgid is None or pgid != live.pid or pgid <= 1 or pgid == os.getpgrp():
        return []
    if not isinstance(start, int) or isinstance(start, bool) or data.get("boot_id") != boot_id():
        return []
    uid = data.get("uid", os.getuid())
    if uid != os.getuid():
        return []
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []
    except (PermissionError, OverflowError):
        pass
    latest: float | None = None
    record = data.get("exit")
    if isinstance(record, dict) and record.get("inferred") is False:
        at = record.get("at")
        if isinstance(at, (int, float)) and not isinstance(at, bool):
            latest = (at - boot_time() + LEGACY_START_SLACK) * clock_ticks()
    members = group_members(pgid)
    for member in members:
        if member.sid != pgid or member.uid != os.getuid() or member.start_ticks < start:
            return []
        if latest is not None and member.start_ticks > latest:
            return []
    return members


class Target:
    """One verified process (and, if it leads one, its process group) that we may signal.

    The leader is pinned with a pidfd where the kernel offers one, so a signal can never reach
    a process that reused the PID after our identity check.
    """

    def __init__(self, key: str, info: ProcessInfo) -> None:
        self.key = key
        self.pid = info.pid
        self.leader_start = info.start_ticks
        # Signal the whole group only when the service leads it and it is not our own group.
        self.pgid: int | None = info.pgid if info.pgid == info.pid and info.pgid != os.getpgrp() else None
        self.pidfd: int | None = None
        try:
            self.pidfd = os.pidfd_open(info.pid)
        except (AttributeError, OSError):
            self.pidfd = None
        # Re-check after pinning: the process we opened must be the one we verified.
        again = read_process(info.pid)
        self.leader_gone = again is None or again.zombie or again.start_ticks != info.start_ticks

    def close(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None

    def leader_alive(self) -> bool:
        if self.leader_gone:
            return False
        info = read_process(self.pid)
        if info is None or info.zombie or info.start_ticks != self.leader_start:
            self.leader_gone = True
        return not self.leader_gone

    def alive(self) -> bool:
        if self.leader_alive():
            return True
        return bool(self.pgid is not None and group_members(self.pgid))

    def send(self, sig: int) -> None:
        """Signal the group (or the pinned leader). Raises PermissionError if refused."""
        if self.pgid is not None:
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                pass
            return
        if self.leader_gone:
            return
        try:
            if self.pidfd is not None:
                import signal  # only to signal: importing it builds its enums (3 ms, every listing)

                signal.pidfd_send_signal(self.pidfd, sig)
            else:
                os.kill(self.pid, sig)
        except ProcessLookupError:
            self.leader_gone = True


class GroupTarget(Target):
    """The leftover members of a process group whose leader is gone (see :func:`leftovers`).

    Signalled with ``killpg``: the kernel keeps the group's number reserved while any member
    lives, so the signal reaches exactly the verified group, including workers it forks
    while it is being stopped."""

    def __init__(self, key: str, pgid: int, members: list[ProcessInfo]) -> None:
        self.key = key
        self.pid = pgid
        self.leader_start = -1
        self.pgid = pgid
        self.pidfd = None
        self.leader_gone = True
        self.members = sorted(m.pid for m in members)

    def leader_alive(self) -> bool:
        return False


def wait_gone(targets: list[Target], timeout: float) -> list[Target]:
    """Wait until every target is gone or ``timeout`` passes; return the survivors.

    Polls with a short exponential backoff (1 ms doubling to 25 ms) so that a service that
    exits at once is noticed at once, instead of on a fixed half-second tick.
    """
    deadline = time.monotonic() + timeout
    delay = 0.001
    survivors = [t for t in targets if t.alive()]
    while survivors:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 0.025)
        survivors = [t for t in survivors if t.alive()]
    return survivors


# Outcomes of :func:`wait_exit`.
EXITED = "exited"
TIMED_OUT = "timed-out"
HUNG_UP = "hung-up"  # the reader of ``watch_fd`` went away


def wait_exit(pid: int, timeout: float | None = None, watch_fd: int | None = None) -> str:
    """Block until ``pid`` has exited (a zombie has), ``timeout`` seconds pass, or the other
    end of ``watch_fd`` is closed; return :data:`EXITED`, :data:`TIMED_OUT` or :data:`HUNG_UP`.

    The process is pinned with a pidfd where the kernel offers one (Linux >= 5.3): the pidfd
    becomes readable the moment the process exits, so there is no polling delay and no PID
    reuse. Elsewhere we poll /proc with a short backoff and compare the start time. Watching
    ``watch_fd`` (our stdout) lets a waiter started over SSH end with its connection instead
    of outliving it.
    """
    import select

    info = read_process(pid)
    if info is None or info.zombie:
        return EXITED
    deadline = None if timeout is None or timeout == float("inf") else time.monotonic() + timeout
    poller = select.poll()
    if watch_fd is not None:
        poller.register(watch_fd, 0)  # POLLHUP / POLLERR are always reported
    pidfd: int | None = None
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        if pidfd is not None:
            again = read_process(pid)
            if again is None or again.zombie or again.start_ticks != info.start_ticks:
                return EXITED
            poller.register(pidfd, select.POLLIN)
        delay = 0.001
        while True:
            if deadline is None:
                wait_ms = -1 if pidfd is not None else int(delay * 1000) + 1
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return TIMED_OUT
                wait_ms = int(remaining * 1000) + 1
                if pidfd is None:
                    wait_ms = min(wait_ms, int(delay * 1000) + 1)
            for fd, events in poller.poll(wait_ms):
                if fd == pidfd:
                    return EXITED
                if fd == watch_fd and events & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                    return HUNG_UP
            if pidfd is None:
                now = read_process(pid)
                if now is None or now.zombie or now.start_ticks != info.start_ticks:
                    return EXITED
                delay = min(delay * 2, 0.1)
    finally:
        if pidfd is not None:
            os.close(pidfd)
