"""Target-side network checks: is a port accepting connections, does a URL answer 2xx."""

from __future__ import annotations

import time

from .errors import RhlError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Bind addresses meaning "every interface"; a client reaches such a service on loopback.
WILDCARD_BINDS = frozenset(["0.0.0.0", "::", "", "*"])  # noqa: S104 - names, not a bind


def reachable_host(interface: str | None, default: str = "localhost") -> str:
    """Where to reach, on its own host, a service bound to ``interface``."""
    if not isinstance(interface, str):
        return default
    return "127.0.0.1" if interface in WILDCARD_BINDS else interface


_HOST_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")


def validate_host(host: str) -> str:
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if (
        not host
        or len(host) > 253
        or not _HOST_CHARS.issuperset(host)
        or any(not label or len(label) > 63 or label[0] == "-" or label[-1] == "-" for label in labels)
    ):
        raise RhlError("invalid host")
    return host


def parse_port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise RhlError("port must be an integer") from None
    if not 1 <= port <= 65535:
        raise RhlError("port must be in [1, 65535]")
    return port


def verify_port(host: str, port: int, *, attempts: int = 3, timeout: float = 2.0) -> None:
    """Return once a TCP connection succeeds; raise with the last error after ``attempts``.

    Failed attempts are retried after a short growing pause (0.1 s, 0.2 s, ...), not a fixed
    two seconds: a refused connection is an answer, and a launcher waits on events itself.
    """
    import socket

    last: OSError | None = None
    delay = 0.1
    for attempt in range(attempts):
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return
        except OSError as exc:
            last = exc
        if attempt < attempts - 1:
            time.sleep(delay)
            delay *= 2
    raise RhlError(f"could not connect to {host}:{port}: {last}")


def _connect(host: str, port: int, timeout: float) -> Any:
    """``socket.create_connection`` on the C module: this check is on the launcher's reuse
    path, where importing ``socket.py`` (and ``selectors``) would cost more than the request.
    An ASCII name goes to getaddrinfo as bytes (a str would import the IDNA codec first)."""
    import _socket

    error: OSError | None = None
    name: str | bytes = host.encode() if host.isascii() else host
    for family, kind, proto, _name, address in _socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"no address for {host}")


def http_status(host: str, port: int, target: str, timeout: float = 10.0) -> int:
    """The status code of ``GET target`` on host:port; raises OSError on any failure."""
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: remote-http-launcher\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")
    sock = _connect(host.strip("[]"), port, timeout)
    try:
        sock.sendall(request)
        head = b""
        while b"\r\n" not in head and len(head) < 4096:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    finally:
        sock.close()
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise OSError(f"not an HTTP response from {authority}: {line[:80]!r}")
    return int(parts[1])


#: rhl-handshake exit codes.
HANDSHAKE_OK = 0
HANDSHAKE_NETWORK_ERROR = 1
HANDSHAKE_HTTP_ERROR = 2


def handshake(url: str, *, timeout: float = 10.0) -> tuple[int, str]:
    """One GET of ``url``: (exit code, message)."""
    import urllib.error
    import urllib.parse
    import urllib.request

    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise RhlError("URL must use http or https and include a host")
    try:
        # No proxies: the URL names a service on (or next to) this host, never the internet.
        # Redirects are followed only on the same host: a redirect must not turn a health
        # check into a probe of some other machine (the guard lets rhl-handshake reach only
        # this machine, and checks only the URL it was given).
        host = parsed.hostname

        class SameHostRedirects(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
                target = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl))
                if target.hostname != host:
                    raise urllib.error.HTTPError(
                        req.full_url, code, f"redirect to another host refused: {newurl}", headers, fp
                    )
                return super().redirect_request(req, fp, code, msg, headers, newurl)

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), SameHostRedirects())
        with opener.open(url, timeout=timeout) as response:
            response.read(1 << 16)
            if not 200 <= response.status < 300:
                return HANDSHAKE_HTTP_ERROR, f"HTTP status {response.status}"
            return HANDSHAKE_OK, ""
    except urllib.error.HTTPError as exc:
        return HANDSHAKE_HTTP_ERROR, f"HTTP Error {exc.code}: {exc.reason}"
    except urllib.error.URLError as exc:
        return HANDSHAKE_NETWORK_ERROR, str(exc.reason)
    except (OSError, ValueError) as exc:  # timeouts, resets, malformed responses
        return HANDSHAKE_NETWORK_ERROR, str(exc) or type(exc).__name__
