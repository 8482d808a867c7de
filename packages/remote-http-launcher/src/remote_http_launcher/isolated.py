"""The rest of ``sys.path`` for ``python3 -I -S rhl-guard`` (the admin guide's isolated form).

Under ``-S`` the interpreter runs no site machinery: no site-packages on ``sys.path``, no
``.pth`` files, no ``sitecustomize``. The ``rhl-guard`` script adds only this environment's
site-packages directory (enough to import this module), then calls :func:`add_path_dirs`,
which adds the plain directories that the ``.pth`` files there list, where ``site`` would.
Lines that ``site`` would run as code (``import ...``) are skipped: no code from a ``.pth``
file runs in the guard.

Here rather than in the script: a script is compiled on every run (a page of code costs the
call about half a millisecond), a module once.
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

import os
import sys


def add_path_dirs(site_dirs: "list[str]") -> None:
    """After each of ``site_dirs`` in ``sys.path``, insert the existing directories that its
    ``.pth`` files list (files in sorted order, lines in order, relative lines taken from the
    site directory, made absolute), as ``site.addsitedir`` would; comments, blank lines, ``import`` lines,
    unreadable files and directories already on ``sys.path`` are skipped."""
    for site_dir in site_dirs:
        listed = [entry for entry in _listed(site_dir) if entry not in sys.path]
        position = sys.path.index(site_dir) + 1 if site_dir in sys.path else len(sys.path)
        sys.path[position:position] = listed


def _listed(site_dir: str) -> "list[str]":
    try:
        names = sorted(name for name in os.listdir(site_dir) if name.endswith(".pth"))
    except OSError:
        return []
    found: list[str] = []
    for name in names:
        try:
            with open(os.path.join(site_dir, name), encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            entry = line.strip()
            if not entry or entry.startswith(("#", "import ", "import\t")):
                continue
            entry = os.path.abspath(os.path.join(site_dir, entry))  # as site's makepath
            if entry not in found and os.path.isdir(entry):
                found.append(entry)
    return found
