"""Configurations built directly from the model, for unit tests that need no files."""

from __future__ import annotations

from typing import Any

from seamless_config_services.model import Cluster, ClusterSet, Configuration, Frontend, Queue, Selection


def frontend(
    hostname: str = "localhost", ssh_hostname: str | None = None, **sections: dict[str, Any]
) -> Frontend:
    return Frontend(hostname=hostname, ssh_hostname=ssh_hostname, sections=sections)


#: The fields every batch queue must have (weak point 8); tests about other fields get these.
REQUIRED_QUEUE_FIELDS: dict[str, Any] = {"walltime": "01:00:00", "memory": "1GB"}


def queue(name: str, **fields: Any) -> Queue:
    """A queue as the configuration layer would accept it: ``walltime`` and ``memory`` are
    filled in unless given (pass ``None`` to leave one out)."""
    complete = {**REQUIRED_QUEUE_FIELDS, **fields}
    return Queue(name=name, fields={k: v for k, v in complete.items() if v is not None})


def cluster(name: str, *frontends: Frontend, queues: tuple[Queue, ...] = (), **settings: Any) -> Cluster:
    return Cluster(name=name, frontends=frontends, queues={q.name: q for q in queues}, **settings)


def configuration(*clusters: Cluster, local: str | None = None, **selection: Any) -> Configuration:
    chosen = Selection(**selection)
    if chosen.cluster is None and clusters:
        chosen.cluster = clusters[0].name
    return Configuration(ClusterSet({c.name: c for c in clusters}, local_cluster=local), chosen)


HASHSERVER = {"bufferdir": "~/buffers", "network_interface": "127.0.0.1", "port_start": 1, "port_end": 2}
DATABASE = {"database_dir": "~/db"}
JOBSERVER = {"conda": "env", "network_interface": "0.0.0.0", "port_start": 3, "port_end": 4}
DASKSERVER = {"network_interface": "0.0.0.0", "port_start": 5, "port_end": 6}


def everything(hostname: str = "localhost", ssh_hostname: str | None = None) -> Frontend:
    """A frontend that can run every built-in service."""
    return frontend(
        hostname,
        ssh_hostname,
        hashserver=HASHSERVER,
        database=DATABASE,
        jobserver=JOBSERVER,
        daskserver=DASKSERVER,
    )
