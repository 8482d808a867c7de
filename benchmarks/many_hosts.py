"""Many hosts: ``seamless-service-ps --all-clusters`` (and ``--persistent``) over 64 hosts.

Issue 16's targets: plain <= RTT + 1.0 s on 2 cores (or, reported as PASS*, within 1.10x the
bare pool of ssh calls timed in the same run, when the machine is slow enough that the pool alone
is near the target); ``--persistent`` <= 1.3x plain in the same run; one unreachable host adds
no more than its connect timeout.

Setup (needs root, like the SSH tests): the test sshd of tests/sshd_support.py, plus a second
sshd per 16 hosts (sshd listens on at most 16 sockets), one port per host alias ``h00`` ..
``h63`` (OpenSSH names a master connection by host, port and user, so 64 ports give 64 real
master connections). Each of the 64 clusters has one frontend on its alias, with a hashserver
and a database section, so ``--persistent`` walks two data roots per host. The ``ssh`` on PATH
is a wrapper that sleeps ``--rtt`` seconds before each ssh start: a fixed added round-trip
time per remote command (a real network adds RTTs to a fresh login too; the warm figures,
with every master up, are the ones the targets are about).

Usage: ``python benchmarks/many_hosts.py [--hosts 64] [--rtt 0.1] [--runs 5]`` with our
packages installed in the running Python. Prints one line per figure; exit 0 (a measurement),
1 with ``--check`` when a target is missed, 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

from run import FLOOR_BOUND  # this script's directory is sys.path[0]

#: OpenSSH's sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS): one sshd per 16 hosts.
MAX_LISTEN = 16
REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sshd did not listen on {port}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="many_hosts")
    parser.add_argument("--hosts", type=int, default=64)
    parser.add_argument("--rtt", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--connect-timeout", type=float, default=3.0)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if os.getuid() != 0:
        print("many_hosts: needs root (it starts sshd and uses the svc account)", file=sys.stderr)
        return 2
    from sshd_support import SSHD_BIN, start_sshd

    sshd = start_sshd()
    work = pathlib.Path(tempfile.mkdtemp(prefix="mh-", dir=sshd.dir))
    os.chmod(work, 0o711)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        ports = free_ports(args.hosts)
        config = sshd.sshd_config.read_text().splitlines()
        config = [line for line in config if not line.startswith(("Port ", "PidFile "))]
        for group in range(0, len(ports), MAX_LISTEN):  # sshd listens on at most 16 sockets
            own = ports[group : group + MAX_LISTEN]
            lines = [*config, *(f"Port {p}" for p in own), f"PidFile {work / f'sshd-{group}.pid'}"]
            (work / f"sshd_config-{group}").write_text("\n".join(lines) + "\n")
            procs.append(
                subprocess.Popen(
                    [
                        SSHD_BIN,
                        "-D",
                        "-f",
                        str(work / f"sshd_config-{group}"),
                        "-E",
                        str(work / f"sshd-{group}.log"),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        for port in ports:
            wait_port(port)
        aliases = [f"h{i:02d}" for i in range(args.hosts)]
        blackhole = socket.socket()
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(64)
        ssh_config = work / "ssh_config"
        blocks = "".join(f"Host {a}\n  Port {p}\n  User svc\n" for a, p in zip(aliases, ports))
        blocks += f"Host dead\n  Port {blackhole.getsockname()[1]}\n  User svc\n"
        blocks += "Host *\n  CheckHostIP no\n  HostKeyAlias rhltest-many\n"
        ssh_config.write_text(blocks + sshd.ssh_config.read_text())
        known = sshd.dir / "known_hosts"
        host_key = (sshd.host_key.parent / "host_ed25519.pub").read_text().split()
        with known.open("a") as handle:
            handle.write(f"rhltest-many {host_key[0]} {host_key[1]}\n")
        bin_dir = work / "bin"
        bin_dir.mkdir()
        (bin_dir / "ssh").write_text(f'#!/bin/sh\nsleep {args.rtt}\nexec /usr/bin/ssh -F {ssh_config} "$@"\n')
        (bin_dir / "ssh").chmod(0o755)
        home = work / "home"
        (home / ".seamless").mkdir(parents=True)

        def clusters(names: list[str]) -> dict[str, object]:
            data: dict[str, object] = {}
            for index, alias in enumerate(names):
                data[f"c{index:02d}"] = {
                    "frontends": [
                        {
                            "hostname": "127.0.0.1",
                            "ssh_hostname": alias,
                            "hashserver": {"bufferdir": "~/buffers", "port_start": 60000, "port_end": 60100},
                            "database": {"database_dir": "~/dbdir", "port_start": 60100, "port_end": 60200},
                        }
                    ]
                }
            return data

        control = sshd.dir / "mhcm"
        control.mkdir(mode=0o700)
        env = dict(
            os.environ,
            PATH=f"{bin_dir}:{pathlib.Path(sys.executable).parent}:{os.environ['PATH']}",
            HOME=str(home),
            RHL_CONTROL_DIR=str(control),
            REMOTE_HTTP_LAUNCHER_DIR=str(work / "state"),
            RHL_SSH_CONNECT_TIMEOUT=str(args.connect_timeout),
        )
        ps = shutil.which("seamless-service-ps", path=env["PATH"])
        assert ps is not None

        cpu: dict[tuple[str, ...], list[float]] = {}

        def timed(*flags: str, expect: int = 0) -> float:
            import resource

            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(
                [ps, "--all-clusters", "--json", *flags],
                env=env,
                cwd=str(work),
                capture_output=True,
                text=True,
                timeout=300,
            )
            took = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            cpu.setdefault(flags, []).append(used)  # the command and its ssh clients
            if done.returncode != expect:
                raise RuntimeError(
                    f"seamless-service-ps {flags}: exit {done.returncode}: {done.stderr[-500:]}"
                )
            rows = [json.loads(line) for line in done.stdout.splitlines()]
            unreachable = [r for r in rows if r.get("process") == "unreachable"]
            if len(unreachable) != (1 if expect else 0):
                raise RuntimeError(f"unexpected unreachable rows: {unreachable}")
            return took

        def floor_once() -> float:
            """The same remote work without our client: one ssh per host over the same master
            connections, 16 side by side, from a bare thread pool (the stdlib floor)."""
            from concurrent.futures import ThreadPoolExecutor

            from remote_http_launcher.transport import MAX_PARALLEL, Transport

            links = [Transport(a, control_dir=str(control), ssh=str(bin_dir / "ssh")) for a in aliases]
            start = time.perf_counter()
            with ThreadPoolExecutor(MAX_PARALLEL) as pool:
                codes = list(pool.map(lambda link: link.run(["rhl-ps", "--json"]).rc, links))
            took = time.perf_counter() - start
            if set(codes) != {0}:
                raise RuntimeError(f"floor: exit codes {sorted(set(codes))}")
            return took

        (home / ".seamless" / "clusters.yaml").write_text(yaml.safe_dump(clusters(aliases)))
        cold = timed()  # logs in to every host (64 masters)
        plain = [timed() for _ in range(args.runs)]
        floor = statistics.median(floor_once() for _ in range(args.runs))
        persistent = [timed("--persistent") for _ in range(args.runs)]
        (home / ".seamless" / "clusters.yaml").write_text(yaml.safe_dump(clusters([*aliases[:-1], "dead"])))
        with_dead = [timed(expect=255) for _ in range(max(1, args.runs // 2))]
        p, q, d = statistics.median(plain), statistics.median(persistent), statistics.median(with_dead)
        cores = os.cpu_count()
        print(f"hosts={args.hosts} rtt={args.rtt:g}s cores={cores} runs={args.runs}")
        print(f"cold ({args.hosts} logins)                 {cold:6.2f} s")
        # At the target, or (PASS*) within 1.10x the bare pool of the same run: what any client
        # pays for the 64 ssh calls, which on a slow phase of this machine is itself near it.
        at_floor = p > args.rtt + 1.0 and p <= FLOOR_BOUND * floor
        ok_plain = p <= args.rtt + 1.0 or at_floor
        ok_persistent = q <= 1.3 * p
        ok_dead = d <= p + args.connect_timeout
        print(f"floor: {args.hosts} x ssh HOST rhl-ps --json, 16 at a time, bare pool {floor:6.2f} s")
        print(f"--all-clusters                   {p:6.2f} s  target <= RTT + 1.0 s = {args.rtt + 1.0:.2f}  "
              f"{'PASS*' if at_floor else 'PASS' if ok_plain else 'MISS'}")  # fmt: skip
        if at_floor:
            print(
                f"  PASS* at the floor bound: ours is {p / floor:.2f}x the bare pool (bound {FLOOR_BOUND:g}x)"
            )
        print(f"--all-clusters --persistent      {q:6.2f} s  ratio {q / p:.2f} target <= 1.30  "
              f"{'PASS' if ok_persistent else 'MISS'}")  # fmt: skip
        print(f"one dead host (timeout {args.connect_timeout:g} s)    {d:6.2f} s  +{d - p:.2f} s target <= "
              f"+{args.connect_timeout:g} s  {'PASS' if ok_dead else 'MISS'}")  # fmt: skip
        print(
            f"client CPU (command + its ssh clients, median): plain {statistics.median(cpu[()]):.2f} s, "
            f"--persistent {statistics.median(cpu[('--persistent',)]):.2f} s; load average "
            f"{os.getloadavg()[0]:.1f} (the 64 'remote' sshd sessions and helpers run on these cores too)"
        )
        blackhole.close()
        return 1 if args.check and not (ok_plain and ok_persistent and ok_dead) else 0
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        for path in (sshd.dir / "mhcm").glob("*") if (sshd.dir / "mhcm").exists() else []:
            subprocess.run(
                ["/usr/bin/ssh", "-S", str(path), "-O", "exit", "x"],
                capture_output=True,
                timeout=10,
                check=False,
            )
        sshd.close()


if __name__ == "__main__":
    raise SystemExit(main())
