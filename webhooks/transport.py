"""Where a delivery may go, and the one HTTP request of an attempt.

A target is checked when an endpoint is saved and again before every attempt (DNS can change):
http or https only, no credentials in the address, the host resolved, and every address it
resolves to must be public — loopback, private, link-local, multicast, reserved, unspecified and
other non-global addresses are refused unless the endpoint allows intranet addresses (set by a
platform admin for an intranet deployment). The request then connects to the address that was
checked (not to a second lookup of the name), with a short timeout, and never follows redirects.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from django.utils.translation import gettext as _

RESPONSE_READ_LIMIT = 64 * 1024
EXCERPT_LENGTH = 1000


class TargetError(Exception):
    """The address may not (or cannot now) receive webhooks; `temporary` for a failed lookup."""

    def __init__(self, message: str, *, temporary: bool = False):
        super().__init__(message)
        self.message = message
        self.temporary = temporary


@dataclass
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: list[str] = field(default_factory=list)


def forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve_target(url: str, *, allow_private: bool) -> Target:
    """Check a URL and resolve its host; raise TargetError with a message for the office."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetError(_("The address is not a valid URL.")) from None
    scheme = (parts.scheme or "").lower()
    if scheme not in ("http", "https"):
        raise TargetError(_("Only http:// and https:// addresses can receive webhooks."))
    host = parts.hostname
    if not host:
        raise TargetError(_("The address has no host name."))
    if parts.username or parts.password:
        raise TargetError(
            _("Put no user name or password in the address: the signature proves who sends.")
        )
    port = port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise TargetError(
            _("The host name %(host)s cannot be resolved.") % {"host": host}, temporary=True
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise TargetError(
            _("The host name %(host)s cannot be resolved.") % {"host": host}, temporary=True
        )
    if not allow_private:
        for address in addresses:
            if forbidden_address(address):
                raise TargetError(
                    _(
                        "%(host)s resolves to %(address)s, a loopback, private, link-local, "
                        "multicast or reserved address. Webhooks are only sent to public "
                        "addresses; for an intranet deployment a platform administrator may "
                        "allow intranet addresses on the endpoint."
                    )
                    % {"host": host, "address": address}
                )
    # The request line is ASCII: non-ASCII characters of the path and query are percent-encoded.
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=~-._?")
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked; the Host header keeps the name."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, timeout):
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Response:
    status: int
    excerpt: str


def excerpt(data: bytes) -> str:
    # PostgreSQL text refuses NUL characters.
    return data.decode("utf-8", errors="replace").replace("\x00", "")[:EXCERPT_LENGTH]


def post(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """One POST, no redirect followed. Raises OSError (connection refused, reset, TLS) or
    TimeoutError; http.client errors are turned into OSError."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    last_error: OSError | None = None
    for address in target.addresses:
        connection = connection_class(target.host, target.port, address=address, timeout=timeout)
        try:
            try:
                connection.connect()
            except OSError as exc:
                last_error = exc
                continue
            try:
                connection.request("POST", target.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read(RESPONSE_READ_LIMIT)
            except http.client.HTTPException as exc:
                raise OSError(f"{type(exc).__name__}: {exc}") from exc
            return Response(status=response.status, excerpt=excerpt(data))
        finally:
            connection.close()
    raise last_error or OSError("no address to connect to")
