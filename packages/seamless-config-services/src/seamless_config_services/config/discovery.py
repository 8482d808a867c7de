"""Which command files a start directory reads.

Difference from seamless-config 0.3.2 (spec §7 item 23): when the start directory has neither
``seamless.yaml`` nor ``seamless.profile.yaml``, the nearest ancestor directory that has one is
used, as ``git`` finds its repository, so a command run from a project subdirectory sees the
project. From that directory on the rule is 0.3.2's: a top-level ``inherit_from_parent`` in
either file adds the parent directory, repeatedly. Files are returned outermost directory
first, ``seamless.yaml`` before ``seamless.profile.yaml`` in each directory.
"""

from __future__ import annotations

import os

from .commands import COMMAND_FILES, CommandFile, parse_file


def _files_in(directory: str) -> list[str]:
    # os.path.exists, not Path.exists: an unreadable directory on the way up is "nothing here".
    return [os.path.join(directory, n) for n in COMMAND_FILES if os.path.exists(os.path.join(directory, n))]


def project_directory(start: str) -> str | None:
    """``start`` or its nearest ancestor with a command file; ``None`` when there is none."""
    directory = start
    while not _files_in(directory):
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
    return directory


def command_files(start: str) -> list[CommandFile]:
    """The parsed command files for the (resolved, absolute) directory ``start``."""
    directory = project_directory(start)
    chain: list[list[CommandFile]] = []
    while directory is not None:
        parsed = [parse_file(path) for path in _files_in(directory)]
        chain.append(parsed)
        parent = os.path.dirname(directory)
        if parent == directory or not any(f.inherits for f in parsed):
            break
        directory = parent
    return [f for level in reversed(chain) for f in level]
