"""The resolver: host selection, frontends, queues, name checks, the resolve JSON."""

from __future__ import annotations

import pytest
from modelkit import DASKSERVER, HASHSERVER, cluster, configuration, everything, frontend, queue

from seamless_config_services.errors import ConfigError
from seamless_config_services.resolve import resolve


def test_local_cluster_runs_here_without_ssh() -> None:
    resolution = resolve(
        configuration(cluster("here", everything(), tunnel=True), local="here", project="p"), "hashserver"
    )
    assert resolution.local is True and resolution.ssh_target is None
    assert not {"hostname", "ssh_hostname", "tunnel"} & set(resolution.launcher_config)
    assert resolution.as_json()["ssh_hostname"] is None


def test_remote_frontend_with_ssh_hostname() -> None:
    clusters = cluster("hpc", everything("login.example", "hpc-login"), tunnel=True)
    resolution = resolve(configuration(clusters, project="p"), "hashserver")
    assert (resolution.local, resolution.ssh_target) == (False, "hpc-login")
    config = resolution.launcher_config
    assert (config["hostname"], config["ssh_hostname"], config["tunnel"]) == (
        "login.example",
        "hpc-login",
        True,
    )


def test_remote_frontend_without_ssh_hostname_is_reached_by_hostname() -> None:
    """weak point 1: 0.3.2 reported null and ran per-service helpers on the client."""
    resolution = resolve(configuration(cluster("r", everything("r.example")), project="p"), "database")
    assert resolution.ssh_target == "r.example" == resolution.as_json()["ssh_hostname"]
    assert "ssh_hostname" not in resolution.launcher_config and "tunnel" not in resolution.launcher_config


def test_type_local_cluster_that_is_not_the_local_cluster_goes_over_ssh() -> None:
    """spec §1.2 / weak point 3: a LocalCluster on a remote frontend keeps ``localhost``."""
    clusters = (cluster("here", everything()), cluster("other", everything(), type="local", workers=2))
    resolution = resolve(configuration(*clusters, local="here", cluster="other", project="p"), "jobserver")
    assert resolution.local is False and resolution.ssh_target == "localhost"
    assert resolution.launcher_config["hostname"] == "localhost"


def test_first_frontend_with_the_section_wins_unless_named() -> None:
    clusters = cluster(
        "c",
        frontend("a.example", hashserver=HASHSERVER),
        frontend("b.example", hashserver={"bufferdir": "/b"}, daskserver=DASKSERVER),
        type="slurm",
        default_queue="q",
        queues=(queue("q", cores=1),),
    )
    assert resolve(configuration(clusters, project="p"), "hashserver").frontend.hostname == "a.example"
    assert resolve(configuration(clusters, project="p"), "daskserver").frontend.hostname == "b.example"
    named = resolve(configuration(clusters, project="p", frontend_name="b.example"), "hashserver")
    assert named.workdir == "/b/p"
    with pytest.raises(
        ConfigError, match=r"^no frontend of cluster 'c' can run a database \(none has a 'database'"
    ):
        resolve(configuration(clusters, project="p"), "database")
    with pytest.raises(
        ConfigError, match=r"named 'a\.example' can run a daskserver .*frontends: a\.example, b\.example"
    ):
        resolve(configuration(clusters, project="p", frontend_name="a.example"), "daskserver")


def test_queue_selection() -> None:
    queues = (queue("a", cores=1, conda="ca"), queue("b", cores=2, conda="cb"))
    with_default = cluster("c", everything(), type="slurm", default_queue="a", queues=queues)
    assert resolve(configuration(with_default, project="p"), "daskserver").meta["queue"] == "a"
    explicit = resolve(configuration(with_default, project="p", queue="b"), "daskserver")
    assert explicit.meta["queue"] == "b" and explicit.launcher_config["conda"] == "cb"
    assert resolve(configuration(with_default, queue="b"), "pure-daskserver").key == "pure-daskserver-c-b"
    without = cluster("c", everything(), type="slurm", queues=queues)
    with pytest.raises(ConfigError, match="no queue selected and cluster 'c' has no default_queue"):
        resolve(configuration(without, project="p"), "daskserver")
    with pytest.raises(ConfigError, match=r"^cluster 'c' has no queue 'z' \(queues: a, b\)$"):
        resolve(configuration(without, queue="z"), "pure-daskserver")
    bad_default = cluster("c", everything(), type="slurm", default_queue="z", queues=queues)
    with pytest.raises(ConfigError, match=r"^default_queue: cluster 'c' has no queue 'z'"):
        resolve(configuration(bad_default, project="p"), "daskserver")
    # other services do not need (or look at) a queue
    assert resolve(configuration(without, project="p", queue="z"), "hashserver").meta["queue"] is None


@pytest.mark.parametrize("project", [None, ""])
def test_project_is_required_except_for_pure_daskserver(project: str | None) -> None:
    clusters = cluster(
        "c", everything(), type="local", workers=1, default_queue="q", queues=(queue("q", cores=1),)
    )
    with pytest.raises(ConfigError, match=r"^no project selected \(the database needs one"):
        resolve(configuration(clusters, project=project), "database")
    assert resolve(configuration(clusters, project=project), "pure-daskserver").meta["project"] is None


@pytest.mark.parametrize(
    ("selection", "bufferdir", "field"),
    [
        ({"project": "a b"}, "~/b", "key"),
        ({"project": "p", "stage": "x;y"}, "~/b", "key"),
        ({"project": "p"}, "/data dir", "workdir"),
        ({"project": "p"}, "/data/$HOME", "workdir"),
        ({"project": "p" * 200}, "~/b", "key"),
    ],
)
def test_bad_names_fail_in_one_line_naming_the_field(
    selection: dict[str, str], bufferdir: str, field: str
) -> None:
    clusters = cluster("c", frontend(hashserver={"bufferdir": bufferdir}))
    with pytest.raises(ConfigError) as info:
        resolve(configuration(clusters, **selection), "hashserver")
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ") and "\n" not in str(info.value)


def test_mode_must_be_ro_or_rw() -> None:
    with pytest.raises(ConfigError, match="mode must be 'ro' or 'rw'"):
        resolve(configuration(cluster("c", everything()), project="p", mode="rx"), "hashserver")


def test_unknown_service_and_cluster() -> None:
    with pytest.raises(ConfigError, match="unknown service 'nope'"):
        resolve(configuration(cluster("c", everything()), project="p"), "nope")
    with pytest.raises(ConfigError, match="unknown cluster 'x'"):
        resolve(configuration(cluster("c", everything()), project="p", cluster="x"), "hashserver")


def test_jobserver_needs_workers() -> None:
    with pytest.raises(ConfigError, match="cluster 'c' has no 'workers'"):
        resolve(configuration(cluster("c", everything()), project="p"), "jobserver")


def test_resolve_json() -> None:
    clusters = cluster("hpc", everything("login", "hpc-login"))
    resolution = resolve(
        configuration(clusters, project="p", subproject="s/t", stage="x", mode="ro"), "database"
    )
    assert resolution.as_json() == {
        "cluster": "hpc",
        "key": "database-hpc-ro-p--s--t--STAGE-x",
        "log_path": "~/.remote-http-launcher/server/database-hpc-ro-p--s--t--STAGE-x.log",
        "mode": "ro",
        "project": "p",
        "queue": None,
        "service": "database",
        "ssh_hostname": "hpc-login",
        "stage": "x",
        "subproject": "s/t",
        "substage": None,
        "workdir": "~/db/p/s/t/STAGE-x",
    }
    assert list(resolution.as_json()) == sorted(resolution.as_json())
    assert (
        resolution.launcher_config["log_file"]
        == "~/.remote-http-launcher/logs/hpc/p/s/t/STAGE-x/database-ro.log"
    )
