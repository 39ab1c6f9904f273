"""Who may do what over HTTP: which host and client a request comes from, CSRF for the
reader's forms. Who the caller is and what they may do is parley.web.auth's and the services'."""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import secrets

from starlette.requests import Request
from starlette.responses import Response

from parley.errors import Forbidden
from parley.web.cookies import set_cookie
from parley.web.origins import allowed_origins
from parley.web.responses import JSONResponse

CSRF_COOKIE = "parley_csrf"
CSRF_FIELD = "csrf_token"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def check_settings(config) -> None:
    """Stop at start, naming the setting, when PARLEY_FORWARDED_ALLOW_IPS or
    PARLEY_ALLOWED_HOSTS cannot be read; requests would otherwise fail one by one."""
    for name, parse, value in (("PARLEY_FORWARDED_ALLOW_IPS", trusted_proxies, config.forwarded_allow_ips),
                               ("PARLEY_ALLOWED_HOSTS", allowed_host_names, config.allowed_hosts),
                               ("PARLEY_ALLOWED_ORIGINS", allowed_origins, config.allowed_origins)):
        try:
            parse(value)
        except ValueError as exc:
            raise SystemExit(f"{name}={value!r}: {exc}") from None


@functools.lru_cache(maxsize=8)
def trusted_proxies(setting: str) -> tuple[Network, ...]:
    """PARLEY_FORWARDED_ALLOW_IPS as networks: comma-separated addresses or CIDR networks.

    ``*`` is refused: the client is the right-most address in X-Forwarded-For that is not a
    trusted proxy, and if every address is trusted that is the left-most one, which the
    client wrote itself. Trusting everyone would let any client choose its address (pass
    the loopback check, rotate past rate limits)."""
    networks = []
    for entry in (e.strip() for e in setting.split(",")):
        if not entry:
            continue
        if entry == "*":
            raise ValueError("* would believe any client's X-Forwarded-For; name the proxies' addresses "
                             "or networks (e.g. 127.0.0.1 or 172.16.0.0/12)")
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
        networks.append(_unmapped_network(network))
    return tuple(networks)


def client_addr(request: Request) -> str:
    """The reader's address, which rate limits count and the loopback check reads.

    The connecting peer, unless it is a trusted proxy (PARLEY_FORWARDED_ALLOW_IPS): then
    X-Forwarded-For is read from the right, each trusted proxy's entry skipped, and the
    first address that is not a trusted proxy is the client. Everything left of it was
    written by the client and is not believed. An entry that is not an address stops the
    walk at the proxy that passed it on."""
    peer = request.client.host if request.client else ""
    proxies = trusted_proxies(request.app.state.config.forwarded_allow_ips)
    hop = _address(peer)
    if hop is None:
        return peer
    if not proxies or not _trusted(hop, proxies):
        return _text(hop)
    for entry in reversed(",".join(request.headers.getlist("x-forwarded-for")).split(",")):
        if not entry.strip():
            continue
        forwarded = _address(entry)
        if forwarded is None:
            break
        hop = forwarded
        if not _trusted(hop, proxies):
            break
    return str(hop)


# Parsing an address is about 20 µs of ipaddress's Python, and a page asks for the
# reader's on every request; a reader's address recurs, and the parse depends on the text
# alone. Bounded, so that a flood of addresses costs memory no one can grow.
@functools.lru_cache(maxsize=4096)
def _text(address: Address) -> str:
    return str(address)


@functools.lru_cache(maxsize=4096)
def _address(text: str) -> Address | None:
    """An address from a peer or an X-Forwarded-For entry (``a.b.c.d``, ``a.b.c.d:port``,
    ``v6``, ``[v6]:port``); None for anything else. IPv4-mapped IPv6 reads as IPv4."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _unmapped_network(network: Network) -> Network:
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped and network.prefixlen >= 96:
        return ipaddress.ip_network(f"{network.network_address.ipv4_mapped}/{network.prefixlen - 96}")
    return network


def _trusted(address: Address, proxies: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


@functools.lru_cache(maxsize=8)
def allowed_host_names(setting: str) -> frozenset[str] | None:
    """PARLEY_ALLOWED_HOSTS as normalised host names; None when ``*`` allows any."""
    names = [e.strip() for e in setting.split(",") if e.strip()]
    if "*" in names:
        return None
    if not names:
        raise ValueError("no host names: list the site's own (e.g. comments.example.org,localhost)")
    hosts = set()
    for name in names:
        host = _host_name(name)
        if not host:
            raise ValueError(f"{name!r} is not a host name")
        hosts.add(host)
    return frozenset(hosts)


def _host_name(host: str) -> str:
    """A Host header's name, lower-cased, without port or trailing dot; IPv6 in brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        inside, bracket, _ = host[1:].partition("]")
        try:
            return f"[{ipaddress.IPv6Address(inside).compressed}]" if bracket else ""
        except ValueError:
            return ""
    if host.count(":") > 1:  # a bare IPv6 address, as a setting may name it
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return ""
    return host.partition(":")[0].rstrip(".")


class HostCheck:
    """Answers 400 to a request whose Host is not one of PARLEY_ALLOWED_HOSTS (port and
    case aside). Against DNS rebinding: a page on evil.example whose name is made to
    resolve to 127.0.0.1 can otherwise talk to a Parley on loopback as same-origin, and
    loopback passes the story-management check."""

    def __init__(self, app, *, allowed_hosts: str) -> None:
        self.app = app
        self.hosts = allowed_host_names(allowed_hosts)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or self.hosts is None:
            await self.app(scope, receive, send)
            return
        host = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"host"), "")
        if _host_name(host) in self.hosts:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        answer = JSONResponse({"error": {"code": "bad_host", "field": "host", "message":
                                         "this server does not answer for that host name; "
                                         "its operator lists the names it does in PARLEY_ALLOWED_HOSTS"}},
                              status_code=400)
        await answer(scope, receive, send)


# The CSRF token is a random value and its HMAC under the server's key, so a value made
# up elsewhere (say, a cookie planted from a sibling subdomain, with the same value in a
# forged form) does not verify. A token fetched from this server and planted still would:
# with no session to bind it to, that is as far as a guest's token can go.
_CSRF_RANDOM_BYTES = 32
_CSRF_RANDOM_CHARS = 43  # what secrets.token_urlsafe makes of 32 bytes
_CSRF_MAC_CHARS = 32  # 128 bits of HMAC-SHA256, hex


def _csrf_mac(secret: bytes, random_part: str) -> str:
    # "csrf:" keeps these MACs apart from anything else signed with the same key.
    return hmac.new(secret, b"csrf:" + random_part.encode(), hashlib.sha256).hexdigest()[:_CSRF_MAC_CHARS]


def _csrf_valid(secret: bytes, token: str) -> bool:
    random_part, dot, mac = token.partition(".")
    if not dot or len(random_part) != _CSRF_RANDOM_CHARS or len(mac) != _CSRF_MAC_CHARS:
        return False
    return hmac.compare_digest(mac.encode(), _csrf_mac(secret, random_part).encode())


def csrf_token(request: Request) -> tuple[str, bool]:
    """The reader's CSRF token, and whether it is new (and needs setting as a cookie).

    Double-submit: the same value rides in a SameSite cookie and in the form, and a
    cross-site page can read neither to copy it. The value is ``random.HMAC(key, random)``;
    a cookie that does not verify counts as none, and a new token is issued."""
    secret = request.app.state.secret
    token = request.cookies.get(CSRF_COOKIE, "")
    if _csrf_valid(secret, token):
        return token, False
    return new_csrf_token(secret), True


def new_csrf_token(secret: bytes) -> str:
    random_part = secrets.token_urlsafe(_CSRF_RANDOM_BYTES)
    return f"{random_part}.{_csrf_mac(secret, random_part)}"


CSRF_COOKIE_SECONDS = 30 * 86400


def set_csrf_cookie(response: Response, token: str, secure: bool) -> None:
    # HttpOnly, SameSite=lax, Path=/
    set_cookie(response, CSRF_COOKIE, token, max_age=CSRF_COOKIE_SECONDS, secure=secure)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuses (403, field csrf_token) a form whose token is missing, differs from the
    cookie's, or was not issued by this server."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if (not cookie or not submitted or not hmac.compare_digest(cookie.encode(), str(submitted).encode())
            or not _csrf_valid(request.app.state.secret, cookie)):
        raise Forbidden("the form has expired; reload the page and send it again", field=CSRF_FIELD)


# No inline script or style anywhere in Parley's pages, so a policy this strict costs
# nothing and stops an injected <script> even if the sanitiser were ever wrong.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
_SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


#: The pages other sites may frame (the embed's no-JavaScript iframe): only there does
#: frame-ancestors name PARLEY_ALLOWED_ORIGINS; every other page stays unframable elsewhere.
FRAMABLE_PREFIX = "/embed/frame"


def framable_headers(origins: frozenset[str]) -> list[tuple[bytes, bytes]]:
    ancestors = " ".join(["'self'", *sorted(origins)])
    policy = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'self'", f"frame-ancestors {ancestors}")
    return [(b"content-security-policy", policy.encode()), *_SECURITY_HEADERS[1:]]


class SecurityHeaders:
    """Adds the headers above to every response (plain ASGI: no per-request task)."""

    def __init__(self, app, *, embedding_origins: str = "") -> None:
        self.app = app
        self.framable = framable_headers(allowed_origins(embedding_origins))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.framable if scope["path"].startswith(FRAMABLE_PREFIX) else _SECURITY_HEADERS

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
