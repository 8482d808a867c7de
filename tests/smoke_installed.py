"""Smoke-test an installed distribution: its commands exist, answer --version and --help, work.

Run by the nox `build` session inside a fresh venv: `python smoke_installed.py BIN server|client`.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile

SERVER_COMMANDS = [
    "rhl-ps",
    "rhl-ps-persistent",
    "rhl-logs",
    "rhl-inspect",
    "rhl-stop",
    "rhl-rm",
    "rhl-clear",
    "rhl-pid-alive",
    "rhl-verify-port",
    "rhl-handshake",
    "rhl-launch-service",
    "rhl-cache-conda",
    "rhl-conda-info",
]


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)


def main() -> int:
    bin_dir = pathlib.Path(sys.argv[1])
    role = sys.argv[2]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "REMOTE_HTTP_LAUNCHER_DIR": tmp, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        for name in SERVER_COMMANDS:
            exe = bin_dir / name
            if not exe.exists():
                failures.append(f"{name}: not installed")
                continue
            for flag in ("--version", "--help"):
                proc = run([str(exe), flag], env)
                if proc.returncode != 0 or not proc.stdout:
                    failures.append(f"{name} {flag}: exit {proc.returncode}: {proc.stderr.strip()}")
        proc = run([str(bin_dir / "rhl-ps"), "--json"], env)
        if proc.returncode != 0:
            failures.append(f"rhl-ps --json: exit {proc.returncode}: {proc.stderr.strip()}")
        if role == "client":
            proc = run([str(bin_dir / "python"), "-c", "import seamless_config_services"], env)
            if proc.returncode != 0:
                failures.append(f"import seamless_config_services: {proc.stderr.strip()}")
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"smoke ({role}): {len(SERVER_COMMANDS) * 2 + 1 - len(failures)} checks ok, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
