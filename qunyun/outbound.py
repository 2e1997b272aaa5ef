"""The one guard on requests Qunyun sends out (forum syncs now, every channel later).

An operator types the address of a forum or a webhook; the worker then calls it with a
secret (an API key, a bot token). Without a guard that address could be the server's own
admin port, a database on the private network or a cloud's metadata service
(169.254.169.254), and the secret would go there too (SSRF, OWASP ASVS 5.2.6/12.6.1).
So a request may reach only public addresses:

- the host is resolved and **every** address it resolves to must be global — loopback,
  private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10),
  shared (100.64/10), reserved, multicast and unspecified addresses are refused, IPv4
  inside IPv6 (``::ffff:127.0.0.1``) included;
- the check happens again **at connection time**, on the addresses actually dialled, so a
  name that resolves differently a second later (DNS rebinding) or a redirect to
  another host cannot slip through;
- ``QUNYUN_OUTBOUND_ALLOW`` lists host names and networks (CIDR) that may be reached
  although internal: an on-premise forum, or the loopback servers of the tests.

A proxy set in the environment (``https_proxy`` …) is the operator's own choice and is
dialled as configured; the target's address is still checked before the request.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from qunyun.errors import QunyunError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(QunyunError):
    """The address may not be called from this server; the message says why (translated)."""

    code = "outbound_refused"
    http_status = 400


def _allowed_entries() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    hosts: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for entry in settings.OUTBOUND_ALLOW:
        if "/" in entry:
            networks.append(ipaddress.ip_network(entry, strict=False))
        else:
            hosts.add(entry.lower().rstrip("."))
    return hosts, networks


def is_internal(address: IpAddress) -> bool:
    """Whether ``address`` is not a public Internet address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def check_address(host: str, address: str) -> None:
    """Refuse ``address`` (one that ``host`` resolved to) unless public or allowed."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if not is_internal(ip):
        return
    hosts, networks = _allowed_entries()
    if host.lower().rstrip(".") in hosts or address in hosts:
        return
    if any(ip in network for network in networks if network.version == ip.version):
        return
    raise OutboundRefused(
        _(
            "%(host)s resolves to %(address)s, an internal address (loopback, private, "
            "link-local or reserved) that Qunyun does not call. If it is your own server, "
            "list it in QUNYUN_OUTBOUND_ALLOW."
        )
        % {"host": host, "address": address}
    )


def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` for a TCP connection; :class:`OutboundRefused` if it fails."""
    try:
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundRefused(
            _("The host %(host)s cannot be found: %(reason)s") % {"host": host, "reason": error}
        ) from None


def check_url(url: str) -> None:
    """Refuse ``url`` unless it is http(s) and every address of its host may be called."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(_("“%(url)s” is not an http:// or https:// address.") % {"url": url})
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused(_("“%(url)s” has an invalid port.") % {"url": url}) from None
    for *_rest, sockaddr in resolve(parts.hostname, port):
        check_address(parts.hostname, sockaddr[0])


def _proxy_hosts() -> set[str]:
    hosts = set()
    for proxy in urllib.request.getproxies().values():
        host = urlsplit(proxy if "://" in proxy else f"http://{proxy}").hostname
        if host:
            hosts.add(host.lower())
    return hosts


def guarded_connection(
    address: tuple[str, int],
    timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
    source_address: tuple[str, int] | None = None,
    *args: Any,
    **kwargs: Any,
) -> socket.socket:
    """What :func:`socket.create_connection` does, dialling only addresses that pass
    :func:`check_address` (the operator's proxies are dialled as configured)."""
    host, port = address
    if host.lower() in _proxy_hosts():
        return socket.create_connection(address, timeout, source_address)
    found = resolve(host, port)
    for *_rest, sockaddr in found:
        check_address(host, sockaddr[0])
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in found:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as failure:
            error = failure
            sock.close()
    raise error or OSError(f"cannot connect to {host}:{port}")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_connection  # (http.client sets it per instance)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_connection


class GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_GuardedHTTPConnection, req)


class GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


def guarded_opener(*handlers: urllib.request.BaseHandler) -> urllib.request.OpenerDirector:
    """A urllib opener whose every connection (redirects included) passes the guard."""
    return urllib.request.build_opener(GuardedHTTPHandler(), GuardedHTTPSHandler(), *handlers)
