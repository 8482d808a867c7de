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
from guardkit import EXIT_REJECTED, Tree, run_guard, tree  # noqa: F401 - fixture


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
