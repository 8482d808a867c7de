"""The Dask wrapper's cluster argument under rhl-guard.

``seamless-dask-wrapper MODULE::SYMBOL ...`` imports MODULE and calls SYMBOL when it is a
function: through a guarded account, a free MODULE::SYMBOL would import any module installed
there (and run its import-time code) and call any of its functions that need no argument. The
guard allows only the Dask cluster classes of ``distributed`` and ``dask_jobqueue``
(``MODULE::NAMECluster``): the ones seamless-config-services and its scheduler plugins name.
"""

from __future__ import annotations

import shlex

import pytest
from guardkit import EXIT_CONFIG, EXIT_REJECTED, Tree, run_guard, tree  # noqa: F401 - fixture


def _launch(world: Tree, cluster: str) -> str:
    status = world.home / ".remote-http-launcher" / "server" / "dk.json"
    return (
        f"rhl-launch-service --key dk --workdir {world.work}/dk -- seamless-dask-wrapper "
        f"{shlex.quote(cluster)} --port-range 9100 9200 --status-file {status} --host 127.0.0.1 --timeout 60"
    )


@pytest.mark.parametrize(
    "cluster",
    [
        "distributed::LocalCluster",
        "dask_jobqueue::SLURMCluster",
        "dask_jobqueue::OARCluster",
        "dask_jobqueue::PBSCluster",  # the example scheduler plugin's (docs/services/plugins.md)
    ],
)
def test_the_dask_cluster_classes_are_accepted(tree: Tree, cluster: str) -> None:  # noqa: F811
    for policy in ("data-roots", "seamless", "permissive"):
        outcome = tree.decide(_launch(tree, cluster), policy)
        assert outcome.accepted, (policy, outcome.reason)


@pytest.mark.parametrize(
    "cluster",
    [
        "os::system",
        "subprocess::Popen",
        "ensurepip::bootstrap",
        "antigravity::geohash",
        "distributed.utils::LocalCluster",  # a submodule: any code of the package
        "distributed::get_worker",  # not a cluster class
        "distributed::_LocalCluster",
        "distributed::LocalCluster::x",
        "distributed::Local-Cluster",
        "distributed::LocalCluster;id",
        "distributed::",
        "::LocalCluster",
        "distributed",
        "dask_jobqueue::SLURMClusterX",
        "DISTRIBUTED::LocalCluster",
        "distributed::LocalCluѕter",  # a Cyrillic letter
    ],
)
def test_any_other_module_or_symbol_is_refused(tree: Tree, cluster: str) -> None:  # noqa: F811
    outcome = tree.decide(_launch(tree, cluster), "permissive")
    assert not outcome.accepted
    assert outcome.reason == (
        f"rhl-launch-service: seamless-dask-wrapper argument {cluster!r} (Dask cluster): "
        "not a Dask cluster class the guard allows (distributed::NAMECluster or "
        "dask_jobqueue::NAMECluster)"
    ), outcome.reason


def test_the_installed_guard_refuses_it_and_starts_nothing(tree: Tree) -> None:  # noqa: F811
    command = f"PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH {_launch(tree, 'os::system')}"
    result = run_guard(tree, command, "--permissive-paths")
    assert (result.returncode, result.stdout) == (EXIT_REJECTED, "")
    assert result.stderr == (
        "rhl-guard: rejected: rhl-launch-service: seamless-dask-wrapper argument 'os::system' "
        "(Dask cluster): not a Dask cluster class the guard allows (distributed::NAMECluster or "
        "dask_jobqueue::NAMECluster)\n"
    )
    assert [record["command"] for record in result.audit] == [command]
    assert not (tree.work / "dk").exists()
    assert not (tree.home / ".remote-http-launcher" / "server" / "dk.json").exists()


def test_the_administrator_adds_a_cluster_class_by_its_exact_string(tree: Tree) -> None:  # noqa: F811
    """``--dask-clusters``: a scheduler plugin's own cluster class, exactly as written; others
    stay refused, and the refusal names the option."""
    options = (
        "--permissive-paths",
        "--dask-clusters",
        "mysite_dask.clusters::KubeCluster,other::Make",
        "--dry-run",
    )
    accepted = run_guard(tree, _launch(tree, "mysite_dask.clusters::KubeCluster"), *options)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.startswith("rhl-guard: would run rhl-launch-service --key dk ")
    refused = run_guard(tree, _launch(tree, "mysite_dask.clusters::Kube"), *options)
    assert (refused.returncode, refused.stdout) == (EXIT_REJECTED, "")
    assert refused.stderr == (
        "rhl-guard: rejected: rhl-launch-service: seamless-dask-wrapper argument "
        "'mysite_dask.clusters::Kube' (Dask cluster): not a Dask cluster class the guard allows "
        "(distributed::NAMECluster or dask_jobqueue::NAMECluster, or one of rhl-guard --dask-clusters)\n"
    )


@pytest.mark.parametrize(
    ("value", "bad"),
    [
        ("", ""),
        ("os", "os"),
        ("os::", "os::"),
        ("::x", "::x"),
        ("a b::C", "a b::C"),
        ("a..b::C", "a..b::C"),
        ("a::b::c", "a::b::c"),
        ("x::C,", ""),
        ("x::C,y::С", "y::С"),  # a Cyrillic letter
    ],
)
def test_a_malformed_dask_clusters_option_refuses_every_command(tree: Tree, value: str, bad: str) -> None:  # noqa: F811
    result = run_guard(tree, "rhl-ps --json", "--permissive-paths", "--dask-clusters", value)
    assert (result.returncode, result.stdout) == (EXIT_CONFIG, "")
    assert result.stderr == f"rhl-guard: configuration error: --dask-clusters: not MODULE::SYMBOL: {bad!r}\n"
