"""Where tests may send traffic. Cloud metadata and link-local addresses are refused by default,
after DNS resolution and on every redirect; `allowed_hosts`, when set, is the only list allowed."""

import ipaddress
import socket
from urllib.parse import urlsplit

BLOCKED_NETWORKS = [ipaddress.ip_network(n) for n in (
    "169.254.0.0/16",  # link-local, incl. 169.254.169.254 (AWS/GCP/Azure metadata)
    "fe80::/10",
    "fd00:ec2::/32",  # AWS IPv6 metadata
    "100.100.100.200/32",  # Alibaba metadata
    "0.0.0.0/8",
)]


class TargetRefused(ValueError):
    """A URL the execution guard does not allow."""


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return []
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_url(url: str, allowed_hosts: list[str] | None = None) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        if parts.scheme in ("about", "data", "blob"):
            return
        raise TargetRefused(f"scheme {parts.scheme!r} is not allowed: {url}")
    host = parts.hostname or ""
    if allowed_hosts and not any(host == h or host.endswith("." + h) for h in allowed_hosts):
        raise TargetRefused(f"{host} is not in the allowed hosts")
    for address in _addresses(host):
        mapped = getattr(address, "ipv4_mapped", None) or address
        if any(mapped in network for network in BLOCKED_NETWORKS if network.version == mapped.version):
            raise TargetRefused(f"{host} resolves to {address}, a metadata or link-local address")
