"""Where tests (and security scans) may send traffic.

Checked after DNS resolution, for every address a name resolves to, and again on every redirect
(the runners call it from their request hooks): cloud metadata and link-local addresses are always
refused; loopback, private (RFC 1918, unique-local IPv6), carrier-grade NAT, unspecified and other
reserved ranges are refused unless the project allows private targets; `allowed_hosts`, when set,
is the only list of hosts allowed. IPv4 written as one number (http://2130706433/), in hex or
octal, and IPv4 inside IPv6 (::ffff:127.0.0.1, 64:ff9b::7f00:1) are all seen as the address
they mean, because the name goes through the same resolver the client uses."""

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALWAYS_BLOCKED = [ipaddress.ip_network(n) for n in (
    "169.254.0.0/16",  # link-local, incl. 169.254.169.254 (AWS/GCP/Azure metadata)
    "fe80::/10",
    "fd00:ec2::/32",  # AWS IPv6 metadata
    "100.100.100.200/32",  # Alibaba metadata
)]
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(ValueError):
    """A URL the execution guard does not allow."""


def _addresses(host: str) -> list[Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _embedded_ipv4(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def _private(address: Address) -> bool:
    return (address.is_private or address.is_loopback or address.is_unspecified or address.is_reserved
            or address.is_multicast or address in ipaddress.ip_network("100.64.0.0/10"))


def check_url(url: str, allowed_hosts: list[str] | None = None, allow_private: bool = False) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        if parts.scheme in ("about", "data", "blob"):
            return
        raise TargetRefused(f"scheme {parts.scheme!r} is not allowed: {url}")
    host = parts.hostname or ""
    if not host:
        raise TargetRefused(f"no host in {url}")
    if allowed_hosts and not any(host == h or host.endswith("." + h) for h in allowed_hosts):
        raise TargetRefused(f"{host} is not in the allowed hosts")
    for address in _addresses(host):
        real = _embedded_ipv4(address)
        if any(real in network for network in ALWAYS_BLOCKED if network.version == real.version):
            raise TargetRefused(f"{host} resolves to {address}, a metadata or link-local address")
        if not allow_private and _private(real):
            raise TargetRefused(f"{host} resolves to {address}, a loopback or private address; the project's "
                                "settings.targets.allow_private allows it")


@dataclass(frozen=True)
class TargetPolicy:
    """A project's rules for targets: its own settings over the instance's defaults."""

    allowed_hosts: tuple[str, ...] = ()
    allow_private: bool = False

    def check(self, url: str) -> None:
        check_url(url, list(self.allowed_hosts) or None, self.allow_private)

    @classmethod
    def of(cls, project_settings: dict[str, Any] | None, allowed_hosts: list[str], allow_private: bool) -> "TargetPolicy":
        targets = (project_settings or {}).get("targets") or {}
        if not isinstance(targets, dict):
            targets = {}
        hosts = targets.get("allowed_hosts")
        private = targets.get("allow_private")
        return cls(tuple(str(h) for h in hosts) if isinstance(hosts, list) and hosts else tuple(allowed_hosts),
                   private if isinstance(private, bool) else allow_private)


async def project_policy(sessions: Any, project_id: Any, settings: Any) -> TargetPolicy:
    """A project's policy: its settings.targets over the instance's execution settings."""
    from sqlalchemy import select

    from cognitest.infra.db.models import Project

    async with sessions() as session:
        project_settings = await session.scalar(select(Project.settings).where(Project.id == project_id))
    return TargetPolicy.of(project_settings, settings.allowed_hosts, settings.allow_private_targets)
