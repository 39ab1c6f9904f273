"""The sites that may embed Parley (PARLEY_ALLOWED_ORIGINS), and how a request or a URL
is matched against them. CORS, framing and story creation all ask here, so that an
origin is either trusted for all three or for none."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(text: str) -> str | None:
    """``scheme://host[:port]`` lower-cased, without a default port; None for anything that
    is not an http(s) origin (a path, a query, credentials, ``null``)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    suffix = f":{port}" if port is not None and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{suffix}"


def url_origin(url: str) -> str | None:
    """The origin of an http(s) URL (a story's canonical URL), normalised; None otherwise."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return normalise_origin(f"{parts.scheme}://{parts.netloc}")


@functools.lru_cache(maxsize=8)
def allowed_origins(setting: str) -> frozenset[str]:
    """PARLEY_ALLOWED_ORIGINS as normalised origins; ValueError naming a bad entry.
    ``*`` is refused: it would let any site create stories and post with a reader's token."""
    found = set()
    for entry in (e.strip() for e in setting.split(",")):
        if not entry:
            continue
        if entry == "*":
            raise ValueError("* would let any site embed Parley and create stories; name the sites' origins")
        origin = normalise_origin(entry)
        if origin is None:
            raise ValueError(f"{entry!r} is not an origin (scheme://host[:port], e.g. https://news.example.org)")
        found.add(origin)
    return frozenset(found)


def is_allowed(config, origin: str | None) -> bool:
    """Whether ``origin`` (an Origin header, or a URL's origin) is one of the embedding sites."""
    if not origin:
        return False
    normalised = normalise_origin(origin)
    return normalised is not None and normalised in allowed_origins(config.allowed_origins)
