"""A tiny real HTTP server on 127.0.0.1 for helper tests (verify-port, handshakes)."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def http_server(answer: Callable[[str], tuple[int, dict[str, str]]]) -> Iterator[int]:
    """Serve GET on a free port of 127.0.0.1 while the block runs; yields the port.
    ``answer(path)`` gives the status and any extra headers (the body is always empty)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code, headers = answer(self.path)
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
