"""Fetching a page or a feed safely on a server: timeouts, a redirect limit, a size cap, content
types, and no private addresses.

Every address is checked after DNS resolution (aiohttp connects only to the addresses the
resolver below returns) and again on every redirect, which is followed by hand. The host checked
is the one aiohttp will connect to (yarl's, after IDNA/NFKC: "１２７.０.０.１" is 127.0.0.1), and
the connector itself refuses an address the policy does not permit, an IP literal included, which
aiohttp never hands to a resolver. Each failure is a
FetchError worded as one sentence for the admin.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.core.articles.extract import EXTRACT_SECONDS
from bot.core.said import N_, Said

MAX_BYTES = 5_000_000
MAX_REDIRECTS = 5
USER_AGENT = "article-bot/0.1 (+a Telegram bot that quotes news articles; fetches pages its admins send)"
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
PRIVATE = N_("That address is on a private network, so I won't fetch it.")


class FetchError(Said):
    """A fetch that failed, worded as one plain sentence (a catalogue text)."""


@dataclass(frozen=True)
class FetchPolicy:
    """What a fetch may do: private addresses (all, or some networks), time, size, redirects."""

    allow_private: bool = False
    allowed_networks: tuple[IpNetwork, ...] = ()
    connect_timeout: float = 10.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS
    # a page's extraction (in a process of its own, bot.core.articles.extract) is stopped after this; an upload's too
    extract_seconds: float = EXTRACT_SECONDS

    def permits(self, address: str) -> bool:
        """Whether the policy lets the bot connect to an IP address."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self.allowed_networks):
            return True
        public = ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)
        return public or self.allow_private


@dataclass(frozen=True)
class Fetched:
    """A fetched body: the final address after redirects, its content type and its text."""

    url: str
    content_type: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""  # the bytes as received (a feed is parsed from these, its own encoding declared)


class GuardedConnector(aiohttp.TCPConnector):
    """A connector that connects only to addresses the policy permits, IP literals included."""

    def __init__(self, policy: FetchPolicy, **options: Any) -> None:
        super().__init__(resolver=GuardedResolver(policy), **options)
        self.policy = policy

    async def _resolve_host(self, host: str, port: int, traces: Sequence[Any] | None = None) -> list[ResolveResult]:
        # aiohttp answers an IP literal itself, without the resolver: every answer is checked here.
        found = await super()._resolve_host(host, port, traces=traces)
        if not found or not all(self.policy.permits(result["host"]) for result in found):
            raise FetchError(PRIVATE)
        return found


class GuardedResolver(AbstractResolver):
    """Resolves host names, then keeps only the addresses the policy permits."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self.inner = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
        """Return the permitted addresses of host; raise FetchError if it has none."""
        try:
            found: list[ResolveResult] = await self.inner.resolve(host, port, family)
        except OSError as error:
            raise FetchError(N_("That address does not exist (its name does not resolve).")) from error
        permitted = [result for result in found if self.policy.permits(result["host"])]
        if not permitted:
            raise FetchError(PRIVATE)
        return permitted

    async def close(self) -> None:
        """Close the inner resolver."""
        await self.inner.close()


def connected_host(url: str) -> str:
    """Return the host aiohttp would connect to for url (yarl's normalised form); raise FetchError."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
        host = yarl.URL(url).raw_host
    except ValueError as error:
        raise FetchError(N_("That is not a web address I can fetch.")) from error
    if parts.scheme not in {"http", "https"} or not parts.hostname or not host:
        raise FetchError(N_("That is not a web address I can fetch (it must start with http:// or https://)."))
    return host


def _check_address(url: str, policy: FetchPolicy) -> None:
    """Refuse a URL that is not http(s), or whose host is an IP address the policy forbids."""
    host = connected_host(url)
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        try:  # "2130706433", "127.1", "0x7f.1": legacy IPv4 forms a resolver would map to an address
            legacy = socket.inet_aton(host)
        except OSError:
            return  # a host name: the connector checks every address it resolves to
        literal = ipaddress.IPv4Address(legacy)
    if not policy.permits(str(literal)):
        raise FetchError(PRIVATE)


def _media_type(response: aiohttp.ClientResponse) -> str:
    return (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > limit:
        raise FetchError(N_("That page is over {size} MB, so I didn't download it."), size=limit // 1_000_000)
    body = bytearray()
    async for chunk in response.content.iter_chunked(65_536):
        body += chunk
        if len(body) > limit:
            raise FetchError(N_("That page is over {size} MB, so I stopped downloading it."), size=limit // 1_000_000)
    return bytes(body)


def _decode(body: bytes, response: aiohttp.ClientResponse) -> str:
    charset = response.charset or "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # a charset Python doesn't know
        return body.decode("utf-8", errors="replace")


async def fetch(url: str, policy: FetchPolicy, *, accept: Sequence[str] = PAGE_TYPES) -> Fetched:
    """Fetch url under the policy, following at most policy.max_redirects redirects by hand."""
    timeout = aiohttp.ClientTimeout(
        total=policy.total_timeout, sock_connect=policy.connect_timeout, sock_read=policy.read_timeout
    )
    connector = GuardedConnector(policy, limit=4, use_dns_cache=False)
    headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(accept) + ";q=1.0, */*;q=0.1"}
    seen: set[str] = set()
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as session:
            for _ in range(policy.max_redirects + 1):
                _check_address(url, policy)
                if url in seen:
                    raise FetchError(N_("That page redirects in a loop."))
                seen.add(url)
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in {301, 302, 303, 307, 308} and "Location" in response.headers:
                        url = urljoin(url, response.headers["Location"])
                        continue
                    if response.status >= 400:
                        raise FetchError(
                            N_("That page answered with an error (HTTP {status})."), status=str(response.status)
                        )
                    media = _media_type(response)
                    if media not in accept:
                        if not media:
                            raise FetchError(N_("That address is not a page I can read (it is of no stated type)."))
                        raise FetchError(N_("That address is not a page I can read (it is {type})."), type=media)
                    body = await _read_capped(response, policy.max_bytes)
                    text = _decode(body, response)
                    return Fetched(str(response.url), media, text, dict(response.headers), body)
            raise FetchError(N_("That page redirects more than {count} times."), count=policy.max_redirects)
    except FetchError:
        raise
    except TimeoutError as error:
        raise FetchError(N_("That page took too long to answer.")) from error
    except aiohttp.ClientConnectorError as error:
        if isinstance(error.os_error, FetchError):
            raise error.os_error from error
        raise FetchError(N_("I could not connect to that address.")) from error
    except aiohttp.ClientError as error:
        raise FetchError(N_("I could not fetch that page ({reason})."), reason=type(error).__name__) from error
