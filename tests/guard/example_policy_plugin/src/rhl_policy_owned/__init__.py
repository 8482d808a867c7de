"""rhl-guard path policy ``owned``: only directories the service account owns.

``rhl-guard --policy owned:/srv/data`` lets the path helpers use a directory when it lies
under ``/srv/data`` and belongs to the account the guard runs as. A workdir that does not
exist yet is judged by its nearest existing parent (rhl-launch-service will create it).
Without an argument (``--policy owned``) only ownership is checked.
"""

from __future__ import annotations

import os

from remote_http_launcher.policy import PathPolicy, PathRequest, PolicyConfigError, PolicyViolation, hookimpl


class OwnedPolicy(PathPolicy):
    name = "owned"

    def __init__(self, prefix: str | None) -> None:
        if prefix is not None and not os.path.isabs(prefix):
            raise PolicyConfigError(f"owned: the prefix must be an absolute path: {prefix!r}")
        self.prefix = os.path.realpath(prefix) if prefix else None

    def check(self, request: PathRequest) -> None:
        if self.prefix and not (request.path == self.prefix or request.path.startswith(self.prefix + "/")):
            raise PolicyViolation(f"path is not under {self.prefix}: {request.raw}")
        if request.dir_fd is not None:  # the helper has opened it: judge what it opened
            owner = os.fstat(request.dir_fd).st_uid
        else:
            existing = request.path
            while not os.path.lexists(existing):
                existing = os.path.dirname(existing)
            owner = os.lstat(existing).st_uid
        if owner != os.getuid():
            raise PolicyViolation(f"path is not owned by this account: {request.raw}")


@hookimpl
def register_path_policies(register):  # type: ignore[no-untyped-def]
    register(
        "owned",
        OwnedPolicy,
        summary="owned[:PREFIX] - only directories this account owns (under PREFIX)",
    )
