"""Is a host this machine? Used to keep rhl-verify-port and rhl-handshake on local interfaces.

Through the guard these helpers exist to check a service that was launched *here*, on its
``network_interface`` (``localhost``, ``0.0.0.0``, an address of this host, this host's name).
Letting them reach any host would let a stolen key scan the internal network.

A host is local when it is

* an IP address that is loopback, unspecified (``0.0.0.0``, ``::``), or assigned to one of
  this machine's interfaces (Linux: the ``LOCAL`` entries of ``/proc/net/fib_trie`` and the
  addresses in ``/proc/net/if_inet6``; elsewhere a bind test), or
* the name ``localhost``, this host's node name or its fully qualified name, and every
  address it resolves to is local.

Other names are refused even when they resolve locally: a name controlled by someone else
could resolve differently when the helper connects a moment later (DNS rebinding).
"""

from __future__ import annotations

import os
import socket


def _v4_int(text: str) -> int:
    return int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")


def _local_v4_networks() -> list[tuple[int, int]] | None:
    """(network, prefix length) of every LOCAL route, or None if /proc is not readable."""
    try:
        with open("/proc/net/fib_trie", encoding="ascii") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    networks = []
    address = None
    for line in lines:
        text = line.strip()
        if text.startswith("|--"):  # a leaf: an address; its route types follow
            address = text[3:].strip().split(" ", 1)[0]
        elif text.startswith("+--"):  # an inner node of the trie
            address = None
        elif text.endswith("host LOCAL") and text.startswith("/") and address:
            try:
                prefix = int(text[1:].split(" ", 1)[0])
                networks.append((_v4_int(address), prefix))
            except (ValueError, OSError):
                continue
    return networks


def _local_v6_addresses() -> set[bytes] | None:
    try:
        with open("/proc/net/if_inet6", encoding="ascii") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return set()  # no IPv6 at all
    except (OSError, UnicodeDecodeError):
        return None
    addresses = set()
    for line in lines:
        fields = line.split()
        if fields and len(fields[0]) == 32:
            try:
                addresses.add(bytes.fromhex(fields[0]))
            except ValueError:
                continue
    return addresses


def _bind_test(family: int, address: str) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError:
            return False
    return True


def is_local_address(address: str) -> bool:
    """True if the literal IP ``address`` (optionally ``%scope``) belongs to this machine."""
    bare = address.split("%", 1)[0]
    try:
        packed4 = socket.inet_pton(socket.AF_INET, bare)
    except OSError:
        packed4 = None
    if packed4 is not None:
        value = int.from_bytes(packed4, "big")
        if value >> 24 == 127 or value == 0:
            return True
        networks = _local_v4_networks()
        if networks is None:
            return _bind_test(socket.AF_INET, bare)
        return any(
            prefix == 0 or (value >> (32 - prefix)) == (net >> (32 - prefix)) for net, prefix in networks
        )
    try:
        packed6 = socket.inet_pton(socket.AF_INET6, bare)
    except OSError:
        return False
    if packed6 == bytes(16) or packed6 == bytes(15) + b"\x01":
        return True
    if packed6[:12] == bytes(10) + b"\xff\xff":  # IPv4-mapped
        return is_local_address(socket.inet_ntop(socket.AF_INET, packed6[12:]))
    addresses = _local_v6_addresses()
    if addresses is None:
        return _bind_test(socket.AF_INET6, address)
    return packed6 in addresses


def _is_literal(host: str) -> bool:
    bare = host.split("%", 1)[0]
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, bare)
            return True
        except OSError:
            continue
    return False


def own_names() -> set[str]:
    return {"localhost", os.uname().nodename.lower()}


def check_local_host(host: str) -> str | None:
    """None if ``host`` is local (see the module docstring), else the reason it is refused."""
    if not host:
        return "host must not be empty"
    if _is_literal(host):
        if is_local_address(host):
            return None
        return f"host is not an address of this machine: {host}"
    name = host.lower().rstrip(".")
    if name not in own_names():
        try:
            fqdn = socket.getfqdn().lower().rstrip(".")
        except OSError:
            fqdn = ""
        if name != fqdn:
            return f"host must be localhost, this host's name or one of its addresses: {host}"
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"host does not resolve: {host}"
    addresses = {str(info[4][0]) for info in infos}
    if not addresses:
        return f"host does not resolve: {host}"
    for address in sorted(addresses):
        if not is_local_address(address):
            return f"host resolves to an address that is not on this machine ({address}): {host}"
    return None
