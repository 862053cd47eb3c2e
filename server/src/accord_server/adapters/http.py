"""Outgoing HTTP to addresses users chose (webhook receivers), kept away from the server's own
network.

A user who may save a URL that the server then calls can make the server call what only it can
reach: its database, a cloud's metadata service, an admin page on localhost (server-side request
forgery). So a host name is resolved here, every address it resolves to must be public, and the
request goes to the checked address itself (the name is kept for the ``Host`` header and TLS),
so a name that resolves to a public address when checked and a private one a moment later (DNS
rebinding) cannot slip through. Redirects are not followed (a 3xx is the receiver's answer), the
answer is read up to a cap, and the whole exchange has a timeout.

``allow_private`` (the server's ``webhook_allow_private``) lifts the address rule for
deployments whose receivers live inside their own network, and for tests.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

SCHEMES = frozenset({"http", "https"})
RESPONSE_CAP = 64 * 1024
"""Bytes of an answer read at most (the rest is dropped unread)."""
USER_AGENT = "Accord-Webhooks/1"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedURL(ValueError):
    """A URL the server will not call: its scheme, its host, or an address it resolves to."""


def blocked_reason(address: Address) -> str | None:
    """Why ``address`` is not a public one (None: it is). IPv6 forms that carry an IPv4
    address (``::ffff:10.0.0.1``, 6to4, NAT64) are judged by that address."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return blocked_reason(inner)
    for reason, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if flag:
            return reason
    if not address.is_global:
        return "not public"  # shared address space (100.64.0.0/10) and the like
    return None


@dataclass(frozen=True)
class Target:
    """A URL split for the call: scheme, host name, port, path with query."""

    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str) -> Target:
    """An http(s) URL with a host, or ``RefusedURL`` saying what is wrong with it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedURL(f"not a valid URL ({exc})") from None
    if parts.scheme not in SCHEMES:
        raise RefusedURL("only http and https URLs can be called")
    if not parts.hostname:
        raise RefusedURL("the URL has no host")
    if parts.username or parts.password:
        raise RefusedURL("the URL must not carry a user name or password")
    default = 443 if parts.scheme == "https" else 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port or default, path)


def resolve(target: Target, *, allow_private: bool) -> list[Address]:
    """The addresses ``target``'s host resolves to, all of them allowed; ``RefusedURL`` when it
    does not resolve or any of them is not public (unless ``allow_private``)."""
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise RefusedURL(f"the host {target.host!r} cannot be resolved ({exc})") from None
        addresses = []
        for info in infos:
            found = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if found not in addresses:
                addresses.append(found)
    if not addresses:
        raise RefusedURL(f"the host {target.host!r} has no address")
    if not allow_private:
        for address in addresses:
            reason = blocked_reason(address)
            if reason is not None:
                raise RefusedURL(
                    f"{target.host} resolves to {address}, a {reason} address; calls to "
                    "non-public addresses are off on this server (ACCORD_WEBHOOK_ALLOW_PRIVATE)"
                )
    return addresses


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse (``RefusedURL``) a URL that would not be called: what a webhook's URL is checked
    with when it is saved."""
    resolve(parse_url(url), allow_private=allow_private)


@dataclass(frozen=True)
class Answer:
    """How a call went: the status (None: no answer), the start of the body, the error (a
    network error, a refused address, a timeout), the seconds it took."""

    status: int | None
    body: bytes
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_private: bool,
    read_cap: int = RESPONSE_CAP,
) -> Answer:
    """POST ``body`` to ``url``: resolved and checked now, sent to the checked address, no
    redirects followed, at most ``read_cap`` bytes of the answer read, ``timeout`` seconds for
    each step. Never raises for the receiver's or the network's failures: they are the
    ``Answer``'s ``error``."""
    started = time.monotonic()

    def failed(error: str, status: int | None = None, got: bytes = b"") -> Answer:
        return Answer(status, got, error, time.monotonic() - started)

    try:
        target = parse_url(url)
        address = resolve(target, allow_private=allow_private)[0]
    except RefusedURL as exc:
        return failed(f"refused: {exc}")
    host = f"[{address}]" if address.version == 6 else str(address)
    pinned = f"{target.scheme}://{host}:{target.port}{target.path}"
    name = target.host if ":" not in target.host else f"[{target.host}]"
    default = 443 if target.scheme == "https" else 80
    header_host = name if target.port == default else f"{name}:{target.port}"
    sent = {
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        **headers,
        "Host": header_host,
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST", pinned, content=body, headers=sent, extensions=extensions
            ) as response,
        ):
            got = b""
            for chunk in response.iter_bytes():
                got += chunk
                if len(got) >= read_cap:
                    got = got[:read_cap]
                    break
            status = response.status_code
    except httpx.TimeoutException:
        return failed(f"timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        return failed(f"{type(exc).__name__}: {exc}"[:500])
    error = None if 200 <= status < 300 else f"HTTP {status}"
    return Answer(status, got, error, time.monotonic() - started)
