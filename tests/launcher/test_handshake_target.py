"""The reuse check's handshake target equals the path and query of the handshake URL.

``client_check.target_of`` answers plain paths without building the URL (urllib.parse is not
imported on the launch path); whatever the path, it must give what the URL gives.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from remote_http_launcher.launch import client_check
from remote_http_launcher.launch.config import Handshake


def from_url(handshake: Handshake) -> str:
    rest = handshake.url("h", 1).split("/", 3)
    return "/" + (rest[3] if len(rest) > 3 else "")


@given(
    path=st.text(alphabet="ab/-._~?=%: #&Z9\u00e9", max_size=10),
    parameters=st.dictionaries(st.sampled_from(["a", "b c"]), st.sampled_from(["1", "x y"]), max_size=2),
)
def test_target_is_the_urls_path_and_query(path: str, parameters: dict[str, str]) -> None:
    handshake = Handshake(path=path, parameters=parameters)
    assert client_check.target_of(handshake) == from_url(handshake)


def test_without_handshake_the_target_is_the_root() -> None:
    assert client_check.target_of(None) == "/"
