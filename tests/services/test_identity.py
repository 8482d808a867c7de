"""Who a state file belongs to: meta first, else the key; exact cluster membership."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelkit import cluster, configuration, everything, queue

from seamless_config_services.identity import belongs_to_cluster, identify
from seamless_config_services.resolve import resolve
from seamless_config_services.services.base import KeyIdentity


def test_meta_comes_first() -> None:
    row = {
        "key": "hashserver-c-rw-p",
        "meta": {"service": "hashserver", "cluster": "other", "mode": "ro", "project": "q", "stage": "s"},
    }
    assert identify(row, ["c", "other"]) == KeyIdentity("hashserver", "other", "ro", "q", None, "s")


@pytest.mark.parametrize("meta", [None, {}, {"cluster": "x"}, "not a mapping", {"service": ""}])
def test_key_when_meta_names_no_service(meta: object) -> None:
    row = {"key": "jobserver-c-rw-p--STAGE-fingSUBSTAGE-gpu", "meta": meta}
    assert identify(row, ["c"]) == KeyIdentity("jobserver", "c", "rw", "p", None, "fing", "gpu")


def test_meta_without_cluster_takes_it_from_the_key() -> None:
    row = {"key": "pure-daskserver-a-b-q", "meta": {"service": "pure-daskserver", "queue": "q"}}
    assert identify(row, ["a-b"]) == KeyIdentity("pure-daskserver", "a-b", queue="q")


@pytest.mark.parametrize("row", [{}, {"key": 3}, {"key": "unrelated-key"}, {"key": "pure-daskserver-x"}])
def test_unknown_rows(row: dict[str, object]) -> None:
    assert identify(row, ["c"]) is None
    assert not belongs_to_cluster(row, "c", ["c"])


def test_membership_is_exact() -> None:
    """weak point 14: 0.3.2 counted ``pure-daskserver-a-b-q`` as a service of cluster ``a``."""
    row = {"key": "pure-daskserver-a-b-q"}
    assert belongs_to_cluster(row, "a-b", ["a", "a-b"])
    assert not belongs_to_cluster(row, "a", ["a", "a-b"])
    assert belongs_to_cluster({"key": "hashserver-a-rw-p"}, "a", ["a"])
    assert not belongs_to_cluster({"key": "hashserver-a-b-rw-p"}, "a", ["a", "a-b"])
    assert not belongs_to_cluster(
        {"key": "hashserver-a-rw-p", "meta": {"service": "hashserver", "cluster": "b"}}, "a"
    )


# A name as the configuration loader accepts it that also fits in a key: key characters, no
# "--", no "STAGE-", no leading/trailing "-" (which a key cannot tell from its separators).
_CHARS = string.ascii_letters + string.digits + "._-"
NAMES = st.text(_CHARS, min_size=1, max_size=12).filter(
    lambda s: "--" not in s and "STAGE-" not in s and not s.startswith("-") and not s.endswith("-")
)
SERVICES = st.sampled_from(["hashserver", "database", "jobserver", "daskserver", "pure-daskserver"])


@settings(max_examples=300, deadline=None)
@given(
    service=SERVICES,
    cluster_name=NAMES,
    project=NAMES,
    subproject=st.none() | st.lists(NAMES, min_size=1, max_size=3).map("/".join),
    stage=st.none() | NAMES,
    substage=st.none() | NAMES,
    mode=st.sampled_from(["ro", "rw"]),
    queue_name=NAMES,
)
def test_every_key_parses_back_to_its_meta(
    service: str,
    cluster_name: str,
    project: str,
    subproject: str | None,
    stage: str | None,
    substage: str | None,
    mode: str,
    queue_name: str,
) -> None:
    """Knowing the cluster names, a key without meta tells exactly what the meta would, except
    a daskserver's queue, which its key (as in 0.3.2) does not hold."""
    clusters = cluster(
        cluster_name, everything(), type="slurm", workers=1, queues=(queue(queue_name, cores=1),)
    )
    selection = dict(project=project, subproject=subproject, stage=stage, substage=substage, mode=mode)
    resolution = resolve(configuration(clusters, queue=queue_name, **selection), service)
    meta = dict(resolution.meta)
    if service == "daskserver":
        meta["queue"] = None
    assert identify({"key": resolution.key}, [cluster_name, "other"]) == KeyIdentity(**meta)
    assert belongs_to_cluster({"key": resolution.key}, cluster_name, [cluster_name])
