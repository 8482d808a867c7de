"""README's test command does its own set-up (issue 14.12): the Debian packages of the SSH and
batch tests are detected with dpkg-query and, as root, installed with a bounded apt-get; not
root, the session fails with one line naming the exact command. Driven here with a fake
``dpkg-query`` and ``apt-get`` on PATH (nothing is installed; no daemon starts), so this file
runs in every session.
"""

from __future__ import annotations

import ast
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

from . import batch_support
from .batch_support import BatchError

SUPPORT = pathlib.Path(batch_support.__file__).resolve()
SLURM = list(batch_support.PACKAGES["slurm"])

FAKE_DPKG_QUERY = r"""#!/bin/sh
# dpkg-query -W -f FORMAT PKG...: answers from $FAKE_DPKG (lines "PKG STATUS...")
shift 3
rc=0
for p in "$@"; do
  line=$(grep "^$p " "$FAKE_DPKG")
  if [ -n "$line" ]; then echo "$line"; else echo "dpkg-query: no packages found matching $p" >&2; rc=1; fi
done
exit $rc
"""
FAKE_APT_GET = r"""#!/bin/sh
# Logs each call (with the policy-rc.d line in force); "install" records the packages as
# installed, or fails once if $FAKE_APT_FAIL_ONCE exists, or always if $FAKE_APT_FAIL is set.
echo "$* | policy: $(tail -n 1 "$FAKE_POLICY" 2>/dev/null)" >> "$FAKE_APT_LOG"
[ "$1" = update ] && exit 0
if [ -n "$FAKE_APT_FAIL" ]; then echo "E: Unable to locate package $5" >&2; exit 100; fi
if [ -e "$FAKE_APT_FAIL_ONCE" ]; then rm "$FAKE_APT_FAIL_ONCE"; echo "E: stale lists" >&2; exit 100; fi
shift 4
for p in "$@"; do echo "$p install ok installed" >> "$FAKE_DPKG"; done
"""


class Fakes:
    def __init__(self, base: pathlib.Path) -> None:
        self.bin = base / "bin"
        self.bin.mkdir()
        for name, text in (("dpkg-query", FAKE_DPKG_QUERY), ("apt-get", FAKE_APT_GET)):
            (self.bin / name).write_text(text)
            (self.bin / name).chmod(0o755)
        self.dpkg = base / "dpkg-status"
        self.log = base / "apt.log"
        self.policy = base / "policy-rc.d"
        self.fail_once = base / "fail-once"
        self.env = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "FAKE_DPKG": str(self.dpkg),
            "FAKE_APT_LOG": str(self.log),
            "FAKE_POLICY": str(self.policy),
            "FAKE_APT_FAIL_ONCE": str(self.fail_once),
        }

    def installed(self, *lines: str) -> None:
        self.dpkg.write_text("".join(f"{line}\n" for line in lines))

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakes]:
    base = pathlib.Path(tempfile.mkdtemp(prefix="rhltest-apt-"))
    os.chmod(base, 0o755)  # the non-root account runs the fakes too
    handle = Fakes(base)
    for name, value in handle.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(batch_support, "POLICY_RC_D", handle.policy)
    yield handle
    shutil.rmtree(base, ignore_errors=True)


def test_missing_detection_reads_dpkg_status(fakes: Fakes) -> None:
    fakes.installed(
        "munge install ok installed", "slurm-client hold ok installed", "slurmd deinstall ok config-files"
    )
    assert batch_support.missing_packages(SLURM) == ["slurmctld", "slurmd"]


def test_without_dpkg_query_everything_is_missing(fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert batch_support.missing_packages(SLURM) == SLURM


def test_nothing_missing_runs_no_apt_get(fakes: Fakes) -> None:
    fakes.installed(
        *(f"{p} install ok installed" for p in batch_support.packages_for(["ssh", "slurm", "oar"]))
    )
    assert batch_support.ensure_packages(["ssh", "slurm", "oar"], uid=0) == []
    assert fakes.calls() == []


def test_not_root_fails_with_one_line_naming_the_command(fakes: Fakes) -> None:
    fakes.installed("munge install ok installed")
    with pytest.raises(BatchError) as caught:
        batch_support.ensure_packages(["slurm"], uid=1001)
    assert str(caught.value) == (
        "Debian package(s) not installed: slurmctld slurmd slurm-client; as root run: "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
        "slurmctld slurmd slurm-client (or run ./dev test as root, which installs them)"
    )
    assert fakes.calls() == [], "not root: nothing is attempted"


def test_not_root_from_the_command_line(fakes: Fakes) -> None:
    """What the nox session shows a non-root user: exit 1, one line on stderr, nothing else."""
    if os.getuid() != 0:
        argv = ["/usr/bin/python3", str(SUPPORT), "ensure", "slurm"]
    else:
        try:
            pwd.getpwnam("svc")
        except KeyError:
            pytest.fail("the svc account is missing (tests/sshd_support.py creates it)")
        runuser = shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin:/bin") or "runuser"
        # A checkout in a private (0700) directory is unreadable for svc: run a copy of the script.
        readable = pathlib.Path(tempfile.mkdtemp(prefix="rhl-ensure-", dir="/var/tmp"))
        readable.chmod(0o755)
        script = readable / SUPPORT.name
        shutil.copy(SUPPORT, script)
        script.chmod(0o644)
        argv = [runuser, "-u", "svc", "--", "/usr/bin/python3", str(script), "ensure", "slurm"]
    fakes.installed()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env={**os.environ, **fakes.env})
    missing = " ".join(SLURM)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        f"batch_support: Debian package(s) not installed: {missing}; as root run: "
        f"DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {missing} "
        "(or run ./dev test as root, which installs them)\n"
    )


def test_root_installs_what_is_missing_retrying_after_update(fakes: Fakes) -> None:
    fakes.installed("munge install ok installed")
    fakes.fail_once.touch()
    assert batch_support.ensure_packages(["slurm"], uid=0) == ["slurmctld", "slurmd", "slurm-client"]
    install = "install -y -q --no-install-recommends slurmctld slurmd slurm-client | policy: exit 101"
    assert fakes.calls() == [install, "update -q | policy: exit 101", install]
    assert not fakes.policy.exists(), "the policy-rc.d written for the install is removed"
    assert batch_support.missing_packages(SLURM) == []


def test_root_keeps_an_existing_policy_rc_d(fakes: Fakes) -> None:
    fakes.installed()
    fakes.policy.write_text("#!/bin/sh\n# the admin's own\nexit 0\n")
    batch_support.ensure_packages(["ssh"], uid=0)
    assert fakes.calls() == ["install -y -q --no-install-recommends openssh-server | policy: exit 0"]
    assert fakes.policy.read_text().endswith("exit 0\n")


def test_root_install_failure_is_one_line(fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> None:
    fakes.installed()
    monkeypatch.setenv("FAKE_APT_FAIL", "1")
    with pytest.raises(BatchError) as caught:
        batch_support.ensure_packages(["ssh"], uid=0)
    assert str(caught.value) == (
        "could not install openssh-server: apt-get install exited 100: "
        "E: Unable to locate package openssh-server"
    )
    assert len(fakes.calls()) == 3


def test_ci_runs_readmes_command_and_nothing_else() -> None:
    """`.ci/run` only calls README's `./dev test` (under its timeout), which runs noxfile.py's
    CI_SESSIONS; the installs moved into the sessions."""
    root = SUPPORT.parent.parent.parent
    ci = [line for line in (root / ".ci" / "run").read_text().splitlines() if line and line[0] != "#"]
    assert ci == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', "exec timeout 2700 ./dev test"]
    assert "./dev test\n" in (root / "README.md").read_text()
    [line] = [line for line in (root / "dev").read_text().splitlines() if line.strip().startswith("test)")]
    sessions = line.split("-s", 1)[1].split("--", 1)[0].split()
    text = (root / "noxfile.py").read_text()
    [ci_line] = [line for line in text.splitlines() if line.startswith("CI_SESSIONS = ")]
    assert sessions == ast.literal_eval(ci_line.split("=", 1)[1].strip())
