"""A side venv with the real Dask wrapper and dask-jobqueue, for the job-script golden tests.

The job scripts are produced by the packages that produce them in production (the
``seamless-dask`` wrapper's ``build_wrapper_configuration`` and dask-jobqueue's cluster
classes), never by a re-implementation here. The venv is built once with the system Python
under the shared test cache, under the same lock as the other test venvs, and reused; its
name carries the pins, so changing a pin builds a new one. ``seamless-dask`` is installed
without its dependencies: the wrapper module needs only the standard library and dask.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
import subprocess

from sshd_support import MARKER, SYSTEM_PYTHON, _Lock, _mkdir, _run, cache_root

#: Installed without dependencies (it would pull in all of Seamless).
WRAPPER_PACKAGE = "seamless-dask==0.4"
#: What pip gave on the day the goldens were written; a new version may change the scripts.
JOBQUEUE_PACKAGES = ("dask-jobqueue==0.9.0", "dask==2026.8.0", "distributed==2026.8.0")
_CHECK = (
    "import importlib.metadata as m; "
    "print(*(m.version(p) for p in ('seamless-dask', 'dask-jobqueue', 'dask', 'distributed')))"
)


def _pins() -> list[str]:
    return [WRAPPER_PACKAGE, *JOBQUEUE_PACKAGES]


def _expected_versions() -> list[str]:
    return [pin.split("==", 1)[1] for pin in _pins()]


def _complete(venv: pathlib.Path) -> bool:
    python = venv / "bin" / "python"
    if not python.exists():
        return False
    proc = subprocess.run([str(python), "-c", _CHECK], capture_output=True, text=True, timeout=60)
    return proc.returncode == 0 and proc.stdout.split() == _expected_versions()


def ensure_jobscript_venv() -> pathlib.Path:
    """The python of the venv (built on first use, several minutes at most)."""
    root = _mkdir(cache_root(), 0o755)
    _mkdir(root / "venvs", 0o755)
    tag = hashlib.sha256(json.dumps(_pins()).encode()).hexdigest()[:12]
    venv = root / "venvs" / f"jobscript-{tag}"
    if not (venv / MARKER).exists():
        with _Lock(root / ".venvs.lock"):
            if not (venv / MARKER).exists():
                if not _complete(venv):
                    shutil.rmtree(venv, ignore_errors=True)
                    _run([SYSTEM_PYTHON, "-m", "venv", str(venv)], timeout=120)
                    pip = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
                    _run([*pip, "--no-deps", WRAPPER_PACKAGE], timeout=300)
                    _run([*pip, *JOBQUEUE_PACKAGES], timeout=600)
                    if not _complete(venv):
                        raise RuntimeError(f"{venv}: the pinned packages did not install")
                (venv / MARKER).write_text(json.dumps(_pins()) + "\n")
    return venv / "bin" / "python"
