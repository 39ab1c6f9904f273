"""``parley user`` and ``parley token``: accounts and API tokens from the server's shell.

The CLI acts as ``Actor.system("cli")``: whoever can run it can read the database and
the server's key anyway. Parley sends no mail, so ``parley user reset-link`` prints the
link for an admin to hand over.
"""

from __future__ import annotations

import getpass
import sys
from contextlib import contextmanager

from parley.config import Config
from parley.domain import ACCOUNT_ROLES, Actor
from parley.errors import ParleyError

CLI = Actor.system("cli")
ROLE_NAMES = [r.value for r in ACCOUNT_ROLES]


@contextmanager
def _accounts(config: Config):
    """The account service on the configured database, with the server's key (the same
    one ``parley serve`` uses, so the tokens made here verify there)."""
    from parley.keys import server_key
    from parley.service.accounts import AccountService
    from parley.service.base import Deps
    from parley.store import open_store

    store = open_store(config.database_url)
    try:
        if store.schema_version() == 0:
            raise ParleyError("the database is not migrated yet: run `parley migrate`")
        yield AccountService(Deps(store, config, server_key(config)))
    finally:
        store.close()


def _password(args) -> str:
    """One line from stdin with --password-stdin; else asked twice on the terminal."""
    from parley.service.accounts import check_password

    if args.password_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise ParleyError("--password-stdin: no password on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ParleyError("no terminal to ask for the password on: pipe it in with --password-stdin")
    first = getpass.getpass("Password (at least 10 characters): ")
    check_password(first, email=args.email.strip().casefold())  # refuse a weak one before asking again
    if getpass.getpass("The same again: ") != first:
        raise ParleyError("the two passwords differ; no account was created")
    return first


def cmd_user_create(args, config: Config) -> int:
    password = _password(args)
    with _accounts(config) as accounts:
        account = accounts.create_account(CLI, email=args.email, password=password, role=args.role,
                                          display_name=args.name)
    print(f"created {account.role.value} account {account.id}: {account.email} ({account.display_name}); "
          "they sign in at /login")
    return 0


def cmd_user_reset_link(args, config: Config) -> int:
    with _accounts(config) as accounts:
        token = accounts.issue_reset(CLI, args.email)
    print(f"{args.base_url.rstrip('/')}/reset/{token}")
    print("The link works once, within an hour. Parley sends no mail: give it to the account's owner "
          "yourself, over a channel you trust.", file=sys.stderr)
    return 0


def cmd_user_list(args, config: Config) -> int:
    with _accounts(config) as accounts:
        found = accounts.list_accounts(CLI, limit=args.limit)
    for a in found:
        how = "single sign-on" if a.sso_id is not None else "password"
        state = " (disabled)" if a.disabled else ""
        print(f"{a.id}\t{a.email}\t{a.role.value}\t{a.display_name}\t{how}{state}")
    if not found:
        print("no accounts yet: `parley user create --email E --role admin --name N` makes the first",
              file=sys.stderr)
    return 0


def cmd_user_set(args, config: Config) -> int:
    if args.role is None and args.disabled is None:
        raise ParleyError("say what to change: --role R, --disable or --enable")
    with _accounts(config) as accounts:
        account = accounts.account_by_email(CLI, args.email)
        account = accounts.change_account(CLI, account.id, role=args.role, disabled=args.disabled)
    print(f"{account.email}: {account.role.value}{', disabled (its sessions ended)' if account.disabled else ''}")
    return 0


def cmd_token_create(args, config: Config) -> int:
    with _accounts(config) as accounts:
        token, secret = accounts.create_token(CLI, name=args.name, role=args.role)
    print(secret)
    print(f"API token {token.name!r} ({token.role.value}) created. This is the only time its secret is shown: "
          f"send it as Authorization: Bearer <secret>; `parley token revoke {token.name}` ends it.", file=sys.stderr)
    return 0


def cmd_token_revoke(args, config: Config) -> int:
    with _accounts(config) as accounts:
        accounts.revoke_token(CLI, args.name)
    print(f"revoked API token {args.name!r}")
    return 0


def cmd_token_list(args, config: Config) -> int:
    with _accounts(config) as accounts:
        tokens = accounts.list_tokens(CLI)
    for t in tokens:
        used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "never used"
        state = f"revoked {t.revoked_at.isoformat(timespec='seconds')}" if t.revoked_at else "live"
        print(f"{t.name}\t{t.role.value}\tcreated {t.created_at.isoformat(timespec='seconds')}\t{used}\t{state}")
    if not tokens:
        print("no API tokens yet: `parley token create NAME --role R` makes one", file=sys.stderr)
    return 0


def add_parsers(sub) -> None:
    """Add ``user`` and ``token`` to the ``parley`` command's subparsers."""
    user = sub.add_parser("user", help="accounts: create, reset links, list, change role or disable")
    users = user.add_subparsers(dest="user_command", required=True)

    create = users.add_parser("create", help="create an account that signs in with email and password")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=ROLE_NAMES)
    create.add_argument("--name", required=True, help="the display name shown with their comments and decisions")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from one line of standard input instead of asking twice")
    create.set_defaults(func=cmd_user_create)

    reset = users.add_parser("reset-link", help="print a one-hour link to choose a new password (no mail is sent)")
    reset.add_argument("email")
    reset.add_argument("--base-url", default="", help="the site's address to put before /reset/..., "
                                                      "e.g. https://comments.example.org")
    reset.set_defaults(func=cmd_user_reset_link)

    listing = users.add_parser("list", help="list accounts")
    listing.add_argument("--limit", type=int, default=1000)
    listing.set_defaults(func=cmd_user_list)

    change = users.add_parser("set", help="change an account's role, or disable or enable it")
    change.add_argument("email")
    change.add_argument("--role", choices=ROLE_NAMES)
    able = change.add_mutually_exclusive_group()
    able.add_argument("--disable", dest="disabled", action="store_const", const=True,
                      help="refuse its sign-ins and end its sessions")
    able.add_argument("--enable", dest="disabled", action="store_const", const=False)
    change.set_defaults(func=cmd_user_set, disabled=None)

    token = sub.add_parser("token", help="API tokens: create (the secret is printed once), revoke, list")
    tokens = token.add_subparsers(dest="token_command", required=True)
    make = tokens.add_parser("create", help="create a named API token acting with a role")
    make.add_argument("name")
    make.add_argument("--role", required=True, choices=ROLE_NAMES)
    make.set_defaults(func=cmd_token_create)
    revoke = tokens.add_parser("revoke", help="revoke a token: it stops working at once")
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_token_revoke)
    tokens.add_parser("list", help="list tokens (never their secrets)").set_defaults(func=cmd_token_list)
