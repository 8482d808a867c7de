"""``--project SEAMLESS_CACHE``: finding the cache directory again (spec §4.2 step 1)."""

from __future__ import annotations

import json
import pathlib

import pytest

from seamless_config_services.cache_alias import configuration_for, find_root, is_cache_request
from seamless_config_services.config import Overrides
from seamless_config_services.errors import ConfigError
from seamless_config_services.model import CACHE_CLUSTER, CACHE_PROJECT, Selection
from seamless_config_services.resolve import resolve

HASH_KEY = "hashserver-__SEAMLESS_CACHE__-rw-__TOPLEVEL__"


@pytest.fixture
def env(tmp_path: pathlib.Path) -> dict[str, str]:
    (tmp_path / "home").mkdir()
    return {"HOME": str(tmp_path / "home"), "REMOTE_HTTP_LAUNCHER_DIR": str(tmp_path / "state")}


def write_state(env: dict[str, str], key: str, data: object) -> pathlib.Path:
    server = pathlib.Path(env["REMOTE_HTTP_LAUNCHER_DIR"]) / "server"
    server.mkdir(parents=True, exist_ok=True)
    path = server / f"{key}.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def selection(**values: str) -> Selection:
    return Selection(cluster=None, project=CACHE_PROJECT, **values)


def test_is_cache_request() -> None:
    assert is_cache_request("SEAMLESS_CACHE", None)
    assert is_cache_request("__TOPLEVEL__", CACHE_CLUSTER)
    assert not is_cache_request("SEAMLESS_CACHE", "hpc")
    assert not is_cache_request("p", None)


def test_root_from_the_state_file_honours_the_launcher_directory(env: dict[str, str]) -> None:
    write_state(env, HASH_KEY, {"workdir": "/c/__TOPLEVEL__"})
    assert find_root(selection(), "hashserver", env) == "/c"
    assert find_root(selection(), "database", env) == "/c"  # via the hashserver's state file


def test_stage_and_subproject_are_stripped(env: dict[str, str]) -> None:
    write_state(
        env, "database-__SEAMLESS_CACHE__-ro-__TOPLEVEL__--STAGE-s", {"workdir": "/d/__TOPLEVEL__/STAGE-s"}
    )
    assert find_root(selection(stage="s", mode="ro"), "database", env) == "/d"
    write_state(env, "hashserver-__SEAMLESS_CACHE__-rw-x--a--b", {"workdir": "/e/x/a/b"})
    assert find_root(Selection(project="x", subproject="a/b"), "hashserver", env) == "/e"


def test_tilde_in_the_state_file_is_this_home(env: dict[str, str]) -> None:
    write_state(env, HASH_KEY, {"workdir": "~/cache/__TOPLEVEL__"})
    assert find_root(selection(), "hashserver", env) == env["HOME"] + "/cache"


def test_non_persistent_services_do_not_lend_their_workdir(env: dict[str, str]) -> None:
    """0.3.2 would take a jobserver's ``/tmp`` for the cache directory."""
    write_state(env, "jobserver-__SEAMLESS_CACHE__-rw-__TOPLEVEL__", {"workdir": "/tmp"})
    write_state(env, HASH_KEY, {"workdir": "/c/__TOPLEVEL__"})
    assert find_root(selection(), "jobserver", env) == "/c"


def test_environment_variable_is_the_fallback(env: dict[str, str], tmp_path: pathlib.Path) -> None:
    assert find_root(selection(), "hashserver", {**env, "SEAMLESS_CACHE": str(tmp_path / "c")}) == str(
        tmp_path / "c"
    )
    assert find_root(selection(), "hashserver", {**env, "SEAMLESS_CACHE": "~/c"}) == env["HOME"] + "/c"


def test_nothing_found_is_one_line(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as info:
        find_root(selection(), "hashserver", {**env, "SEAMLESS_CACHE": "  "})
    message = str(info.value)
    assert message.startswith(
        "--project SEAMLESS_CACHE requires an existing launcher state file with a workdir ("
    )
    assert f"/server/{HASH_KEY}.json" in message and message.endswith("or SEAMLESS_CACHE to be set")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("content", "message"),
    [("{broken", "could not read "), ("[1, 2]", "state file must contain a JSON object: ")],
)
def test_unreadable_state_file(env: dict[str, str], content: str, message: str) -> None:
    path = write_state(env, HASH_KEY, content)
    with pytest.raises(ConfigError, match="^" + message) as info:
        find_root(selection(), "hashserver", env)
    assert str(path) in str(info.value)


def test_state_file_without_workdir_falls_through(env: dict[str, str]) -> None:
    write_state(env, HASH_KEY, {"status": "running"})
    assert find_root(selection(), "hashserver", {**env, "SEAMLESS_CACHE": "/f"}) == "/f"


def test_configuration_for(env: dict[str, str]) -> None:
    write_state(env, HASH_KEY + "--STAGE-s", {"workdir": "/c/__TOPLEVEL__/STAGE-s"})
    configuration = configuration_for(
        Overrides(project="SEAMLESS_CACHE", stage="s"), service="hashserver", environ=env
    )
    assert configuration.cache_root == "/c"
    resolution = resolve(configuration, "hashserver")
    assert (resolution.key, resolution.workdir, resolution.local) == (
        HASH_KEY + "--STAGE-s",
        "/c/__TOPLEVEL__/STAGE-s",
        True,
    )
    assert resolution.as_json()["project"] == CACHE_PROJECT
