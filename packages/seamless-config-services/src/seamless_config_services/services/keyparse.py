"""Reading a key back into an identity, for state files written without ``meta``.

seamless-config 0.3.2 wrote ``meta`` only from its command line, so every state file of a
service a workflow launched has to be recognised from its key alone (spec §4.5.4). Its
parser had two faults we fix (weak points 5 and 14):

* the stage component ``STAGE-fingSUBSTAGE-gpu`` was reported as stage ``fingSUBSTAGE-gpu``;
  we split it into stage ``fing`` and substage ``gpu``;
* where a cluster name meets the rest of the key is ambiguous when names contain ``-``
  (``pure-daskserver-a-b-c``); when the caller knows the configured cluster names we use
  them (longest first) and guess only for keys of clusters it does not know.
"""

from __future__ import annotations

from .naming import KEY_SEPARATOR, STAGE_PREFIX, SUBSTAGE_PREFIX

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection


def _longest_first(names: Collection[str]) -> list[str]:
    return sorted((name for name in names if name), key=len, reverse=True)


def split_cluster_mode(
    rest: str, modes: tuple[str, ...], known_clusters: Collection[str]
) -> tuple[str, str, str] | None:
    """``<cluster>-<mode>-<tail>`` -> ``(cluster, mode, tail)``, or ``None``.

    A known cluster followed by ``-<mode>-`` wins; otherwise the earliest ``-<mode>-``
    marker ends the cluster name (0.3.2 took the first ``-rw-`` even when an earlier
    ``-ro-`` was the real separator)."""
    for cluster in _longest_first(known_clusters):
        for mode in modes:
            prefix = f"{cluster}-{mode}-"
            if rest.startswith(prefix):
                return cluster, mode, rest[len(prefix) :]
    best: tuple[int, str] | None = None
    for mode in modes:
        index = rest.find(f"-{mode}-")
        if index > 0 and (best is None or index < best[0]):
            best = (index, mode)
    if best is None:
        return None
    index, mode = best
    return rest[:index], mode, rest[index + len(mode) + 2 :]


def split_tail(tail: str) -> tuple[str | None, str | None, str | None, str | None]:
    """``project[--sub[--...]][--STAGE-stage[SUBSTAGE-substage]]`` ->
    ``(project, subproject, stage, substage)``; a subproject's ``/`` comes back from ``--``.

    Names cannot contain ``STAGE-`` (nor, therefore, ``SUBSTAGE-``), so the first
    ``--STAGE-`` and the first ``SUBSTAGE-`` after it are the separators, even when a name
    ends with ``-`` (``p---STAGE-s`` is project ``p-``, stage ``s``)."""
    head, found, stage_text = tail.partition(KEY_SEPARATOR + STAGE_PREFIX)
    if not found and tail.startswith(STAGE_PREFIX):
        head, stage_text, found = "", tail[len(STAGE_PREFIX) :], STAGE_PREFIX
    stage: str | None = None
    substage: str | None = None
    if found:
        stage_name, has_substage, substage_name = stage_text.partition(SUBSTAGE_PREFIX)
        stage = stage_name or None
        substage = (substage_name or None) if has_substage else None
    names = head.split(KEY_SEPARATOR) if head else []
    project = names[0] if names and names[0] else None
    subproject = "/".join(names[1:]) or None
    return project, subproject, stage, substage


def split_cluster_queue(rest: str, known_clusters: Collection[str]) -> tuple[str, str] | None:
    """``<cluster>-<queue>`` -> ``(cluster, queue)``: a known cluster when one fits, else the
    last ``-`` separates them (0.3.2's guess, wrong for queue names with ``-``)."""
    for cluster in _longest_first(known_clusters):
        if rest.startswith(cluster + "-") and len(rest) > len(cluster) + 1:
            return cluster, rest[len(cluster) + 1 :]
    cluster, found, queue = rest.rpartition("-")
    if not found or not cluster or not queue:
        return None
    return cluster, queue
