"""The reference seamless-config 0.3.2 (with remote-http-launcher 0.4.5) in a side venv.

The golden tests compute their expectations by running it (``reference_driver.py``), so they
compare with what the reference really does rather than with our reading of it. Built once
under the shared test cache with the system Python, under the same lock as the other test
venvs (``sshd_support``), and reused by every test session.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess

from sshd_support import MARKER, SYSTEM_PYTHON, _Lock, _mkdir, _run, cache_root

REFERENCE_PACKAGES = ("seamless-config==0.3.2", "remote-http-launcher==0.4.5")
VENV_NAME = "reference-sc-0.3.2"
_CHECK = (
    "import importlib.metadata as m; print(m.version('seamless-config'), m.version('remote-http-launcher'))"
)


def _complete(venv: pathlib.Path) -> bool:
    """The venv holds the pinned versions (a venv built by hand before the marker existed
    counts once it passes this check)."""
    python = venv / "bin" / "python"
    if not python.exists():
        return False
    proc = subprocess.run([str(python), "-c", _CHECK], capture_output=True, text=True, timeout=60)
    return proc.returncode == 0 and proc.stdout.split() == ["0.3.2", "0.4.5"]


def ensure_reference_sc_venv() -> pathlib.Path:
    """The python of a venv with seamless-config 0.3.2 and remote-http-launcher 0.4.5."""
    root = _mkdir(cache_root(), 0o755)
    _mkdir(root / "venvs", 0o755)
    venv = root / "venvs" / VENV_NAME
    if not (venv / MARKER).exists():
        with _Lock(root / ".venvs.lock"):
            if not (venv / MARKER).exists():
                if not _complete(venv):
                    shutil.rmtree(venv, ignore_errors=True)
                    _run([SYSTEM_PYTHON, "-m", "venv", str(venv)], timeout=120)
                    pip = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
                    _run([*pip, *REFERENCE_PACKAGES], timeout=600)
                    if not _complete(venv):
                        raise RuntimeError(f"{venv}: the reference packages did not install")
                (venv / MARKER).write_text("ok\n")
    return venv / "bin" / "python"
