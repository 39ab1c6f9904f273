"""Every setting, declared once as (name, default, help) and read from the environment.

``docs/settings.md`` is generated from ``SETTINGS`` and a test fails when it falls behind.
"""

from __future__ import annotations

import dataclasses
import json
import os

from parley.moderation.policy import Policy, PolicyError, check_thresholds


@dataclasses.dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    kind: type = str
    secret: bool = False  # never shown: `parley settings` masks it


SETTINGS: tuple[Setting, ...] = (
    Setting("PARLEY_DATABASE_URL", "sqlite:///parley.db",
            "Where comments live: sqlite:///path (embedded, the default) or postgresql://user@host/db."),
    Setting("PARLEY_HOST", "127.0.0.1", "Address `parley serve` listens on."),
    Setting("PARLEY_PORT", "8000", "Port `parley serve` listens on.", int),
    Setting("PARLEY_WORKERS", "1",
            "Server processes for `parley serve`; above 1, forked from one that loaded the models, which they share.",
            int),
    Setting("PARLEY_SECRET_KEY", "",
            "Key for edit, cookie and CSRF tokens, at least 32 characters. Empty: PARLEY_SECRET_KEY_FILE.",
            secret=True),
    Setting("PARLEY_SECRET_KEY_FILE", "parley.secret",
            "Used when PARLEY_SECRET_KEY is empty: the file holding the server's key (edit and CSRF tokens), "
            "relative to the working directory; created at first start (32 random bytes as hex, mode 0600) and "
            "read afterwards. Keep it out of backups shared with the database. Several app instances must share "
            "one key: set the same PARLEY_SECRET_KEY on each."),
    Setting("PARLEY_MAX_BODY_CHARS", "5000", "Longest comment body, in characters after trimming.", int),
    Setting("PARLEY_EDIT_WINDOW_SECONDS", "900", "How long a guest may edit or delete their comment.", int),
    Setting("PARLEY_RATE_LIMIT", "10",
            "Comments per minute allowed from one client address and from one author; 0 turns limits off.", int),
    Setting("PARLEY_PAGE_SIZE", "50", "Top-level comments per page; their replies come with them.", int),
    Setting("PARLEY_SECURE_COOKIES", "0", "1: mark cookies Secure (serve over HTTPS).", int),
    Setting("PARLEY_FORWARDED_ALLOW_IPS", "",
            "Proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDR networks; * is "
            "refused). Empty: none, and the client address, which rate limits count by, is the connecting peer."),
    Setting("PARLEY_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]",
            "Host names this server answers to (comma-separated; the port is ignored); any other Host "
            "header gets 400, which stops DNS rebinding. Add the site's own host names, e.g. "
            "`comments.example.org,localhost,127.0.0.1,[::1]`. `*` allows any: for tests, or behind a proxy "
            "that checks Host itself."),
    Setting("PARLEY_MODERATION", "1",
            "1: score every comment a reader posts or edits with the shipped models and act on the verdict "
            "(publish, fold behind a notice, ask to rephrase, hold for a moderator, reject); 0: publish unscored.",
            int),
    Setting("PARLEY_MODERATION_THRESHOLDS", "",
            "The site's moderation thresholds as JSON, `{label: {action: threshold}}`, e.g. "
            "`{\"toxicity\": {\"fold\": 0.7, \"rephrase\": 0.85}, \"spam\": {\"hold\": 0.8}}`; "
            "they replace the built-in defaults, and a label left out is never acted on. Empty: the defaults "
            "(`DEFAULT_THRESHOLDS` in parley/moderation/policy.py). A story's `moderation_thresholds` "
            "apply label by label: a label the story names takes the story's actions for it, the others "
            "keep these."),
    Setting("PARLEY_REPORT_THRESHOLD", "1",
            "Readers' reports that move a comment into the moderators' Reported queue.", int),
    Setting("PARLEY_REPORT_HIDE_THRESHOLD", "3",
            "Reports that also hide a comment from readers until a moderator decides; 0: reports never hide.", int),
    Setting("PARLEY_REPORTS_PER_HOUR", "20", "Reports one reader may file in an hour.", int),
    Setting("PARLEY_TRUST_AFTER", "0",
            "Approved comments after which an author is trusted: comments the models would hold are published "
            "(rejects and rephrase requests still apply); 0: only a moderator's Trust makes an author trusted.", int),
    Setting("PARLEY_UNDO_SECONDS", "60", "How long a moderator may undo a decision.", int),
    Setting("PARLEY_SESSION_DAYS", "14",
            "How long a sign-in lasts, in days; signing out, a password reset or disabling the account ends "
            "it sooner.", int),
    Setting("PARLEY_SSO_SECRET", "",
            "Shared secret (at least 32 characters) for single sign-on: the publisher's site signs a JWT "
            "(HS256) with Coral's claims and sends the reader to /sso?token=...; see docs/accounts.md. "
            "Empty: single sign-on is off.", secret=True),
    Setting("PARLEY_SSO_MAX_ROLE", "commenter",
            "The highest role a single sign-on token's `user.role` claim may give (commenter, staff, "
            "moderator or admin); a claim above it is ignored. Raise it only when the publisher's "
            "sign-in is as well guarded as Parley's admin accounts."),
    Setting("PARLEY_ALLOWED_ORIGINS", "",
            "Sites that may embed Parley (comma-separated origins, e.g. "
            "`https://news.example.org,https://www.news.example.org`; scheme, host and port, no path). Only "
            "their pages get stories created on first view, CORS answers and framing (CSP frame-ancestors) "
            "of the embed; a story's canonical URL must be on one of them too. Empty: nothing can embed "
            "Parley. See docs/embed.md."),
    Setting("PARLEY_REDIS_URL", "",
            "Redis shared by several app instances (redis://host:6379/0): rate limits count across them and "
            "live updates reach readers on every instance. Empty: both stay in this process, right for one "
            "process (PARLEY_WORKERS=1) and nothing else."),
    Setting("PARLEY_REDIS_PREFIX", "parley:",
            "Put before every Redis key and channel Parley uses, so that several sites can share one Redis."),
    Setting("PARLEY_LIVE_CONNECTIONS", "2000",
            "Live-update streams (Server-Sent Events) one process holds open at most; a reader over it gets "
            "503 and the page keeps working without live updates. 0 turns live updates off.", int),
    Setting("PARLEY_FAST_PAGE_MS", "1000",
            "How long a story page as a first-time reader gets it (no cookies) may be answered from memory, "
            "before the app runs (parley/web/first_visit.py). Every comment change on any instance ends it at "
            "once through the wake-ups live updates use; this bounds it when a wake-up is lost or a change sends "
            "none (a story's title edited). 0: every page goes through the app.", int),
    Setting("PARLEY_LIVE_HEARTBEAT_SECONDS", "15",
            "How often an idle live stream sends a comment line, which keeps proxies from closing it; each "
            "story's stream also looks at the database this often, in case a wake-up was lost.", int),
)


@dataclasses.dataclass(frozen=True)
class Config:
    database_url: str
    host: str
    port: int
    workers: int
    secret_key: str
    secret_key_file: str
    max_body_chars: int
    edit_window_seconds: int
    rate_limit: int
    page_size: int
    secure_cookies: int
    forwarded_allow_ips: str
    allowed_hosts: str
    moderation: int
    moderation_thresholds: str
    report_threshold: int
    report_hide_threshold: int
    reports_per_hour: int
    trust_after: int
    undo_seconds: int
    session_days: int
    sso_secret: str
    sso_max_role: str
    redis_url: str
    redis_prefix: str
    live_connections: int
    live_heartbeat_seconds: int
    allowed_origins: str
    fast_page_ms: int

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Config:
        env = os.environ if env is None else env
        values = {}
        for s in SETTINGS:
            raw = env.get(s.name, s.default)
            key = s.name.removeprefix("PARLEY_").lower()
            try:
                values[key] = s.kind(raw)
            except ValueError:
                raise SystemExit(f"{s.name}={raw!r} is not a valid {s.kind.__name__}") from None
        values.update(overrides)
        for key, low, high in (("port", 0, 65535), ("workers", 1, 64), ("max_body_chars", 1, 100_000),
                               ("edit_window_seconds", 0, 86400 * 365), ("rate_limit", 0, 1_000_000),
                               ("page_size", 1, 500), ("moderation", 0, 1),
                               ("report_threshold", 1, 1000), ("report_hide_threshold", 0, 1000),
                               ("reports_per_hour", 1, 10_000), ("trust_after", 0, 1_000_000),
                               ("undo_seconds", 0, 86400), ("session_days", 1, 365),
                               ("live_connections", 0, 1_000_000), ("live_heartbeat_seconds", 1, 3600),
                               ("fast_page_ms", 0, 60_000)):
            if not low <= values[key] <= high:
                raise SystemExit(f"PARLEY_{key.upper()}={values[key]} is outside {low}..{high}")
        config = cls(**values)
        if config.sso_secret and len(config.sso_secret) < 32:
            raise SystemExit(f"PARLEY_SSO_SECRET has {len(config.sso_secret)} characters; it needs at least 32 "
                             "(a short HS256 secret can be guessed from one token)")
        if config.sso_max_role not in ("commenter", "staff", "moderator", "admin"):
            raise SystemExit(f"PARLEY_SSO_MAX_ROLE={config.sso_max_role!r} is not one of commenter, staff, "
                             "moderator, admin")
        if config.redis_url and not config.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SystemExit(f"PARLEY_REDIS_URL={config.redis_url!r} is not a redis://, rediss:// or unix:// URL")
        try:
            config.site_policy()
        except PolicyError as exc:
            raise SystemExit(f"PARLEY_MODERATION_THRESHOLDS is not valid: {exc}") from None
        return config

    def site_policy(self) -> Policy:
        """The site's moderation policy: the thresholds setting, or the built-in defaults."""
        if not self.moderation_thresholds.strip():
            return Policy()
        try:
            thresholds = json.loads(self.moderation_thresholds)
        except ValueError as exc:
            raise PolicyError(f"not JSON ({exc})") from None
        except RecursionError:
            raise PolicyError("nested too deep to be thresholds") from None
        return Policy(check_thresholds(thresholds))


def settings_markdown() -> str:
    lines = ["# Settings", "", "Each is read from the environment when Parley starts.", "",
             "| name | default | what it does |", "|---|---|---|"]
    for s in SETTINGS:
        lines.append(f"| `{s.name}` | `{s.default}` | {s.help} |")
    return "\n".join(lines) + "\n"
