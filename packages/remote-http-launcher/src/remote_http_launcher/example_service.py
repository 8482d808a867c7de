"""rhl-example-service: a small HTTP service that speaks the status-file protocol.

It is the reference a service author can read (docs/launcher/status-file-protocol.md) and
the service our tests and the demo launch. Protocol, in order:

1. read the JSON object in ``--status-file`` (waiting for it if a launcher writes it late);
2. bind a port from ``--port-range`` (or any free port) on ``--host``;
3. rewrite the file atomically with every original field plus ``"port"`` and
   ``"status": "running"`` (or ``"status": "failed"`` on a start-up error);
4. answer ``GET /healthcheck`` with ``200 OK``.

The remaining flags make it misbehave on purpose, for testing supervisors.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socketserver
import sys
import threading
import time

from ._version import __version__

TYPE_CHECKING = False  # the service's own start-up is part of every launch: no typing import
if TYPE_CHECKING:
    from typing import Any


def _write_status(path: str, data: dict[str, Any]) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # state stays private
    with open(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _read_status(path: str, wait: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + wait
    while True:
        try:
            with open(path, encoding="utf-8") as handle:
                value: dict[str, Any] = json.load(handle)
                return value
        except (FileNotFoundError, ValueError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


#: monotonic time of the last request (for ``--timeout``)
_last_request = [time.monotonic()]


class _Handler(socketserver.StreamRequestHandler):
    """One HTTP/1.0 exchange: ``GET /`` or ``GET /healthcheck`` -> 200 ``OK``, any other path
    404, another method 501, a malformed request 400; then the connection closes.

    Written on :mod:`socketserver` rather than :mod:`http.server`: importing that (email,
    http.client, ssl, html, mimetypes) cost about half of this service's start-up, which
    every launch waits for. The log line keeps http.server's shape."""

    timeout = 10.0

    def handle(self) -> None:
        try:
            line = self.rfile.readline(65537).decode("iso-8859-1").rstrip("\r\n")
            while True:  # the headers: read and ignored
                header = self.rfile.readline(65537)
                if header in (b"\r\n", b"\n", b""):
                    break
        except (OSError, UnicodeDecodeError):
            return
        _last_request[0] = time.monotonic()
        words = line.split()
        if len(words) not in (2, 3):
            code, reason, body = 400, "Bad Request", b"bad request"
        elif words[0] != "GET":
            code, reason, body = 501, "Unsupported method", b"unsupported method"
        elif words[1].split("?")[0] in ("/", "/healthcheck"):
            code, reason, body = 200, "OK", b"OK"
        else:
            code, reason, body = 404, "Not Found", b"not found"
        head = f"HTTP/1.0 {code} {reason}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        try:
            self.wfile.write(head.encode("latin-1") + body)
        except OSError:
            return
        sys.stderr.write(f'{self.client_address[0]} "{line}" {code} -\n')


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _server(host: str, port: int) -> _Server:
    return _Server((host, port), _Handler)


def _bind(host: str, port_range: tuple[int, int] | None) -> _Server:
    if port_range is None:
        return _server(host, 0)
    last: OSError | None = None
    for port in range(port_range[0], port_range[1] + 1):
        try:
            return _server(host, port)
        except OSError as exc:
            last = exc
    raise OSError(f"no free port in {port_range[0]}-{port_range[1]}: {last}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rhl-example-service", description=__doc__.split("\n")[0])
    parser.add_argument("--status-file", required=True)
    # Every installed command answers --version (exit 0), this test service too.
    parser.add_argument("--version", action="version", version=f"%(prog)s, version {__version__}")
    parser.add_argument("--port-range", nargs=2, type=int, metavar=("START", "END"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ready-delay", type=float, default=0.0, help="seconds before becoming ready")
    parser.add_argument("--fail", action="store_true", help="write status failed and exit 1")
    parser.add_argument("--exit-before-ready", action="store_true", help="exit 3 without writing")
    parser.add_argument("--hang", action="store_true", help="never become ready")
    parser.add_argument("--crash-after", type=float, help="die with a traceback after SECONDS")
    parser.add_argument("--children", type=int, default=0, help="spawn N worker processes")
    parser.add_argument("--ignore-signals", action="store_true", help="ignore SIGINT and SIGTERM")
    parser.add_argument("--timeout", type=float, help="exit 0 after SECONDS without requests (idle exit)")
    args = parser.parse_args(argv)

    if args.ignore_signals:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"rhl-example-service: starting (pid {os.getpid()})", flush=True)
    if args.children:
        import subprocess  # only for the workers: a few milliseconds of every start-up
    workers = [
        subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(1)"])
        for _ in range(args.children)
    ]
    for worker in workers:
        print(f"rhl-example-service: worker pid {worker.pid}", flush=True)
    data = _read_status(args.status_file)
    if args.exit_before_ready:
        print("rhl-example-service: exiting before ready", flush=True)
        return 3
    if args.fail:
        data["status"] = "failed"
        _write_status(args.status_file, data)
        print("rhl-example-service: start-up failed on purpose", flush=True)
        return 1
    if args.hang:
        while True:
            time.sleep(3600)
    time.sleep(args.ready_delay)
    try:
        server = _bind(args.host, tuple(args.port_range) if args.port_range else None)
    except OSError as exc:
        data["status"] = "failed"
        _write_status(args.status_file, data)
        print(f"rhl-example-service: {exc}", flush=True)
        return 1
    data["port"] = server.server_address[1]
    data["status"] = "running"
    _write_status(args.status_file, data)
    print(f"rhl-example-service: listening on {args.host}:{data['port']}", flush=True)
    if args.crash_after is not None:

        def crash() -> None:
            time.sleep(args.crash_after)
            print(
                'Traceback (most recent call last):\n  File "app.py", line 1, in <module>\n'
                "TypeError: __init__() got an unexpected keyword argument 'method'",
                flush=True,
            )
            os._exit(1)

        threading.Thread(target=crash, daemon=True).start()
    if args.timeout is not None:

        def idle_exit() -> None:
            _last_request[0] = time.monotonic()
            while time.monotonic() - _last_request[0] < args.timeout:
                time.sleep(min(0.05, args.timeout))
            print(f"rhl-example-service: idle for {args.timeout:g} s, exiting", flush=True)
            server.shutdown()

        threading.Thread(target=idle_exit, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("rhl-example-service: interrupted, exiting", flush=True)
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
