"""Removing state files (``rhl-rm``). Logs are never touched.

Removing the server file of a service that still runs would orphan it: no tool could find
or stop it any more. So a server file whose verified process is alive is kept unless the
caller forces it. The check and the unlink happen under the key lock.
"""

from __future__ import annotations

from . import paths, process, state


def _leftover_pids(read: state.StateRead) -> list[int]:
    """Live verified members of the group of a gone leader (issue 13.13): still ours to stop."""
    assert read.data is not None
    return [m.pid for m in process.leftovers(read.data, process.check_state_process(read.data, read))]


def remove_keys(
    keys: list[str], *, client: bool, server: bool, force: bool = False
) -> tuple[list[str], list[str]]:
    """Remove the selected files of each key; (report lines, error lines)."""
    for key in keys:
        paths.validate_key(key)
    lines: list[str] = []
    errors: list[str] = []
    for key in dict.fromkeys(keys):
        removed_any = False
        for is_client in [side for side, wanted in ((True, client), (False, server)) if wanted]:
            path = paths.state_path(key, client=is_client)
            with state.key_lock(key, client=is_client):
                if not is_client and not force:
                    read = state.read_state(path)
                    if read.data is not None and read.data.get("status") in ("running", "starting"):
                        live = process.check_state_process(read.data, read)
                        if live.alive:
                            errors.append(
                                f"{key}: not removed: service is running (pid {live.pid}); "
                                "stop it first or pass --force"
                            )
                            removed_any = True
                            continue
                    if read.data is not None and (left := _leftover_pids(read)):
                        errors.append(
                            f"{key}: not removed: its leader is gone but processes of its group still "
                            f"run (pids {' '.join(map(str, left))}); stop it first or pass --force"
                        )
                        removed_any = True
                        continue
                try:
                    if state.remove_file(path):
                        lines.append(f"removed {path}")
                        removed_any = True
                    if not is_client:
                        from . import servicelock

                        servicelock.discard(key)  # an unheld service lock names nothing any more
                except OSError as exc:
                    errors.append(f"could not remove {path}: {exc.strerror}")
                    removed_any = True
        if not removed_any:
            lines.append(f"{key}: not found")
    return lines, errors
