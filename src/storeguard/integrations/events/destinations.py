"""Where an event may be posted: never to an address inside storeguard's own network (SSRF).

A subscription URL's host is checked when it is subscribed and again at every delivery (its name
may resolve elsewhere by then); a delivery connects to the very address that was checked, so a
name cannot answer one address to the check and another to the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]


def internal_kind(address: Address) -> str | None:
    """Name the kind of internal address this is (``loopback``, ``private``, ...), or None if public."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and friends reach the IPv4 address they carry.
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None:
            return internal_kind(inner)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    )
    for kind, hit in checks:
        if hit:
            return kind
    # Shared (100.64/10), documentation and benchmark ranges: not reachable on the internet either.
    return None if address.is_global else "reserved"


def literal_address(host: str) -> Address | None:
    """The address a host names by itself: ``10.0.0.1``, ``[::1]``, or the decimal, octal and
    hexadecimal spellings the C resolver also takes (``2130706433``, ``0177.0.0.1``, ``0x7f.1``)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the host's name resolves to."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


@dataclass(frozen=True)
class Destination:
    """A host checked: the addresses it reached, and the first internal one if any."""

    addresses: tuple[Address, ...]
    internal: tuple[Address, str] | None  # (address, kind)

    def refusal(self) -> str | None:
        """Why posting here is refused, in one sentence, or None."""
        if self.internal is None:
            return None
        address, kind = self.internal
        return f"it leads to {address}, a {kind} address inside storeguard's own network"


def check_host(host: str, port: int, *, resolve: Resolver | None = None) -> Destination:
    """Resolve a host and say whether any of its addresses is internal.

    A name that does not resolve raises ``OSError``; one internal address is enough to refuse,
    since a connection may use any of them.
    """
    literal = literal_address(host)
    if literal is not None:
        found: tuple[Address, ...] = (literal,)
    else:
        addresses = (resolve or system_resolver)(host, port)
        found = tuple(ipaddress.ip_address(a.split("%")[0]) for a in addresses)
        if not found:
            raise OSError(f"{host} resolves to no address")
    for address in found:
        kind = internal_kind(address)
        if kind is not None:
            return Destination(found, (address, kind))
    return Destination(found, None)
