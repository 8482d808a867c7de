"""The process that owns one SSH tunnel: ``python -m remote_http_launcher.launch.tunnel_monitor``.

It starts ``ssh -L ...`` with multiplexing disabled (a ControlMaster would swallow the
forward and let the client exit at once), tells the launcher on stdout when the local ports
accept connections (``ready {json}``) or why not (``error <message>``), and then lives
exactly as long as the remote service:

* on servers with our helpers the tunnel's own session runs ``rhl-pid-alive --wait PID``,
  so the tunnel ends the moment the service does, without polling;
* on servers with only 0.4.5's helpers it polls ``rhl-pid-alive PID`` every few seconds;
* when the connection drops while the service lives, it reconnects on the same local ports
  (for up to ``RECONNECT_WINDOW`` seconds).

Its PIDs and ports are recorded in ``<client dir>/.tunnels/<key>.json`` so the launcher and
``seamless-service-stop`` can stop it; SIGTERM stops it at once.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time

from .. import process, state
from ..transport import Transport, TransportError

READY_TIMEOUT = 30.0
RECONNECT_WINDOW = 60.0
POLL_PERIOD = 5.0
EXIT_REMOTE_GONE = 1  # rhl-pid-alive: not alive


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


class Monitor:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.forwards: list[tuple[str, str, int]] = []
        for spec in args.forward:
            name, host, port = spec.rsplit(":", 2) if spec.count(":") >= 2 else ("port", *spec.split(":"))
            self.forwards.append((name, host.strip("[]"), int(port)))
        self.local_ports: dict[str, int] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.stopping = False
        self.errors = os.path.join(os.path.dirname(args.record), f".{args.key}.ssh-errors")
        self.transport = Transport(args.ssh_host)

    def ssh_argv(self) -> list[str]:
        """The tunnel's own ssh (see :meth:`Transport.forward_argv`): one ``-L`` per port."""
        specs = []
        for name, host, port in self.forwards:
            bracketed = f"[{host}]" if ":" in host else host
            specs.append(f"127.0.0.1:{self.local_ports[name]}:{bracketed}:{port}")
        if self.args.wait_helper:
            return self.transport.forward_argv(specs, ["rhl-pid-alive", "--wait", str(self.args.remote_pid)])
        return self.transport.forward_argv(specs)

    def start(self) -> str | None:
        """Start ssh; None once every local port accepts connections, else the error."""
        with open(self.errors, "wb") as errors:
            self.proc = subprocess.Popen(
                self.ssh_argv(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors
            )
        deadline = time.monotonic() + READY_TIMEOUT
        delay = 0.005
        while time.monotonic() < deadline and not self.stopping:
            if self.proc.poll() is not None:
                return self._ssh_error()
            if all(_accepts(port) for port in self.local_ports.values()):
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        self.terminate()
        return "timed out waiting for the forwarded ports"

    def _ssh_error(self) -> str:
        try:
            with open(self.errors, encoding="utf-8", errors="replace") as handle:
                lines = [line.strip() for line in handle if line.strip()]
        except OSError:
            lines = []
        code = self.proc.returncode if self.proc is not None else None
        return lines[-1] if lines else f"ssh exited with code {code}"

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def record(self) -> None:
        me = process.read_process(os.getpid())
        data = {
            "key": self.args.key,
            "monitor_pid": os.getpid(),
            "monitor_start_time": me.start_ticks if me else None,
            "ssh_pid": self.proc.pid if self.proc else None,
            "ssh_host": self.args.ssh_host,
            "remote_pid": self.args.remote_pid,
            "local_ports": self.local_ports,
            "forwards": [{"name": n, "host": h, "port": p} for n, h, p in self.forwards],
        }
        state.write_state(self.args.record, data)

    def remote_alive(self) -> bool | None:
        """Ask the server whether the service PID lives (compat mode); None if unreachable."""
        try:
            done = self.transport.run(["rhl-pid-alive", str(self.args.remote_pid)], timeout=60)
        except TransportError:
            return None
        return {0: True, 1: False}.get(done.rc)

    def supervise(self) -> None:
        """Keep the tunnel while the remote service lives."""
        assert self.proc is not None
        lost_since: float | None = None
        while not self.stopping:
            if self.args.wait_helper:
                rc = self.proc.wait()
            else:
                rc = self._poll_compat()
            if self.stopping or rc == EXIT_REMOTE_GONE:
                return
            # The connection dropped (255) or ssh died: reconnect on the same ports for a while.
            lost_since = lost_since or time.monotonic()
            if time.monotonic() - lost_since > RECONNECT_WINDOW:
                return
            time.sleep(1.0)
            if self.start() is None:
                lost_since = None
                self.record()

    def _poll_compat(self) -> int:
        assert self.proc is not None
        while not self.stopping:
            try:
                return self.proc.wait(POLL_PERIOD)
            except subprocess.TimeoutExpired:
                pass
            if self.remote_alive() is False:
                self.terminate()
                return EXIT_REMOTE_GONE
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rhl-tunnel-monitor")
    parser.add_argument("--key", required=True)
    parser.add_argument("--ssh-host", required=True)
    parser.add_argument("--forward", action="append", required=True, help="NAME:HOST:PORT")
    parser.add_argument("--remote-pid", type=int, required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--wait-helper", action="store_true")
    args = parser.parse_args(argv)
    monitor = Monitor(args)

    def stop(_signum: int, _frame: object) -> None:
        # Only ask ssh to end: waiting here would deadlock with the main thread's wait() on the
        # same child (Popen's waitpid lock). The main loop sees `stopping` and reaps it.
        monitor.stopping = True
        if monitor.proc is not None and monitor.proc.returncode is None:
            monitor.proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    error: str | None = "could not allocate local ports"
    for _attempt in range(3):
        monitor.local_ports = {name: free_port() for name, _h, _p in monitor.forwards}
        error = monitor.start()
        if error is None or "Address already in use" not in error:
            break
    if error is not None:
        print(f"error {error}", flush=True)
        return 1
    monitor.record()
    print("ready " + json.dumps(monitor.local_ports), flush=True)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    try:
        monitor.supervise()
    finally:
        monitor.terminate()
        if (state.read_state(args.record).data or {}).get("monitor_pid") == os.getpid():
            state.remove_file(args.record)
        try:
            os.unlink(monitor.errors)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
