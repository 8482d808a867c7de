"""Loading a configuration: command files, cluster files, command-line flags, in that order.

Difference from seamless-config 0.3.2 (spec §7 item 2): the stage (and substage) come from the
caller *before* any file is read, so ``- stage NAME:`` blocks apply to ``--stage NAME`` on the
command line exactly as they do for ``seamless.config.set_stage(NAME)``; 0.3.2 selected the
CLI stage after loading and silently ignored the blocks. Also: an invalid ``--queue`` is an
error naming the cluster's queues (0.3.2 swallowed it), and empty ``--stage`` /
``--substage`` / ``--subproject`` values mean "none" (0.3.2 carried ``""`` into meta).
"""

from __future__ import annotations

import os
import pwd

from ..errors import ConfigError
from ..model import CACHE_CLUSTER, ClusterSet, Configuration, Selection, record
from .cache import cache_configuration, cache_root
from .checks import Where
from .clusters import Sources, cluster_set
from .commands import expand
from .discovery import command_files
from .execute import run
from .names import check_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

MODES = ("ro", "rw")


@record(frozen=True)
class Overrides:
    """The selection flags of the ``seamless-service-*`` commands; ``None`` = flag not given.
    A given flag wins over the command files."""

    cluster: str | None = None
    project: str | None = None
    subproject: str | None = None
    stage: str | None = None
    substage: str | None = None
    queue: str | None = None
    mode: str | None = None
    frontend_name: str | None = None


def home_directory(environ: Mapping[str, str]) -> str:
    home = environ.get("HOME")
    if home:
        return home
    return pwd.getpwuid(os.getuid()).pw_dir


def _flag(name: str) -> Where:
    return Where(None, f"--{name.replace('_', '-')}")


def _required_name(kind: str, value: str) -> str:
    where = _flag(kind)
    if not value.strip():
        raise where.error("expected a name, got ''")
    return check_name(kind, value, where)


def _optional_name(kind: str, value: str | None) -> str | None:
    """``None`` (flag absent) and ``""`` (given empty) both mean "none"."""
    if not value:
        return None
    return check_name(kind, value, _flag(kind))


def _stage_of(overrides: Overrides) -> tuple[str | None, str | None]:
    return _optional_name("stage", overrides.stage), _optional_name("substage", overrides.substage)


def apply_overrides(selection: Selection, overrides: Overrides) -> bool:
    """Apply the flags to ``selection`` in place; true when the queue was given as a flag."""
    selection.stage, selection.substage = _stage_of(overrides)
    if overrides.cluster is not None:
        cluster = _required_name("cluster", overrides.cluster)
        if cluster != selection.cluster:
            selection.queue = None
        selection.cluster = cluster
    if overrides.project is not None:
        selection.project = _required_name("project", overrides.project)
    if overrides.subproject is not None:
        selection.subproject = _optional_name("subproject", overrides.subproject)
    if overrides.mode is not None:
        if overrides.mode not in MODES:
            raise _flag("mode").error(f"expected one of {', '.join(MODES)}, got {overrides.mode!r}")
        selection.mode = overrides.mode
    if overrides.frontend_name is not None:
        if not overrides.frontend_name.strip():
            raise _flag("frontend_name").error("expected a frontend hostname, got ''")
        selection.frontend_name = overrides.frontend_name
    if overrides.queue is not None:
        if not overrides.queue.strip():
            raise _flag("queue").error("expected a queue name, got ''")
        selection.queue = overrides.queue
        return True
    return False


def check_queue(configuration: Configuration, where: Where) -> None:
    """The selected queue exists in the selected cluster (validating that cluster)."""
    selection = configuration.selection
    if selection.queue is None:
        return
    if selection.cluster is None:
        raise where.error("cannot select a queue without a cluster (use --cluster)")
    clusters = configuration.clusters.clusters
    if selection.cluster not in clusters:
        known = ", ".join(clusters) or "none"
        raise where.error(f"cluster {selection.cluster!r} is not defined (clusters: {known})")
    queues = clusters[selection.cluster].queues
    if selection.queue not in queues:
        if not queues:
            raise where.error(f"cluster {selection.cluster!r} has no queues")
        listed = ", ".join(queues)
        raise where.error(
            f"cluster {selection.cluster!r} has no queue {selection.queue!r} (queues: {listed})"
        )


def load_clusters(environ: Mapping[str, str] | None = None) -> ClusterSet:
    """The cluster files of ``$HOME/.seamless`` alone (no command files, no SEAMLESS_CACHE)."""
    sources = Sources()
    sources.read_files(home_directory(os.environ if environ is None else environ))
    return cluster_set(sources)


def _start_directory(workdir: str | os.PathLike[str] | None) -> str:
    path = os.path.realpath(os.getcwd() if workdir is None else os.fspath(workdir))
    if not os.path.isdir(path):
        raise ConfigError(f"not a directory: {path}", field="workdir")
    return path


def load(
    workdir: str | os.PathLike[str] | None = None,
    *,
    overrides: Overrides | None = None,
    read_command_files: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Configuration:
    """The configuration seen from ``workdir`` (default: the current directory) with the
    command-line ``overrides`` applied. ``read_command_files=False`` reads only the cluster
    files (what seamless-config 0.3.2's ``resolve`` did without ``--workdir``; the golden
    tests compare with it). With ``SEAMLESS_CACHE`` set,
    no file is read at all."""
    env = os.environ if environ is None else environ
    flags = overrides or Overrides()
    stage, _substage = _stage_of(flags)  # known before reading: stage blocks depend on it
    home = home_directory(env)
    root = cache_root(env, home)
    if root is not None:
        return _load_cache(root, flags)
    parsed = command_files(_start_directory(workdir)) if read_command_files else []
    outcome = run(command for f in parsed for command in expand(f.entries, stage))
    sources = Sources()
    sources.read_files(home)
    for command in outcome.inline_clusters:
        sources.add(command.value, command.where)
    selection = outcome.selection
    queue_from_flag = apply_overrides(selection, flags)
    configuration = Configuration(
        clusters=cluster_set(sources),
        selection=selection,
        command_files=tuple(f.path for f in parsed),
        cluster_files=tuple(sources.files),
    )
    if selection.queue is not None:
        check_queue(
            configuration, _flag("queue") if queue_from_flag else outcome.queue_where or _flag("queue")
        )
    return configuration


def _load_cache(root: str, flags: Overrides) -> Configuration:
    if flags.cluster not in (None, CACHE_CLUSTER):
        raise _flag("cluster").error(
            f"SEAMLESS_CACHE is set, so the only cluster is {CACHE_CLUSTER!r} (unset SEAMLESS_CACHE to use "
            f"cluster {flags.cluster!r})"
        )
    selection = Selection()
    queue_from_flag = apply_overrides(selection, flags)
    configuration = cache_configuration(root, selection)
    if queue_from_flag:
        check_queue(configuration, _flag("queue"))
    return configuration
