"""Routes that say who may use them.

Every route Parley serves is made with ``route()``, which records the permission its
service checks (or ``PUBLIC``). The check itself is the service's, never the handler's:
the declaration is what a test (``tests/web/test_permissions.py``) reads to try every
route as every role, and it fails on a route that declares nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.routing import Route

from parley.domain import Permission

#: Anyone may use the route; what it shows may still depend on who asks.
PUBLIC = "public"


def route(path: str, endpoint: Callable, *, methods: Sequence[str] = ("GET",),
          permission: Permission | str) -> Route:
    if permission != PUBLIC and not isinstance(permission, Permission):
        raise ValueError(f"{path}: permission is a Permission or PUBLIC, not {permission!r}")
    made = Route(path, endpoint, methods=list(methods))
    made.permission = permission  # type: ignore[attr-defined]
    return made


def declared(route_: object) -> Permission | str | None:
    """The permission a route declares, or None when it declares none."""
    return getattr(route_, "permission", None)
