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


SETTINGS: tuple[Setting, ...] = (
    Setting("PARLEY_DATABASE_URL", "sqlite:///parley.db",
            "Where comments live: sqlite:///path (embedded, the default) or postgresql://user@host/db."),
    Setting("PARLEY_HOST", "127.0.0.1", "Address `parley serve` listens on."),
    Setting("PARLEY_PORT", "8000", "Port `parley serve` listens on.", int),
    Setting("PARLEY_WORKERS", "1", "Server processes for `parley serve`.", int),
    Setting("PARLEY_SECRET_KEY", "",
            "Key for edit tokens. Empty: a key generated at first migration and kept in the database."),
    Setting("PARLEY_ADMIN_TOKEN", "",
            "Bearer token for story management (create, update, close). Empty: those endpoints "
            "answer only clients on loopback; set it whenever a proxy or another host is in front."),
    Setting("PARLEY_MAX_BODY_CHARS", "5000", "Longest comment body, in characters after trimming.", int),
    Setting("PARLEY_EDIT_WINDOW_SECONDS", "900", "How long a guest may edit or delete their comment.", int),
    Setting("PARLEY_RATE_LIMIT", "10",
            "Comments per minute allowed from one client address and from one author; 0 turns limits off.", int),
    Setting("PARLEY_PAGE_SIZE", "50", "Top-level comments per page; their replies come with them.", int),
    Setting("PARLEY_SECURE_COOKIES", "0", "1: mark cookies Secure (serve over HTTPS).", int),
    Setting("PARLEY_FORWARDED_ALLOW_IPS", "",
            "Proxies whose X-Forwarded-For is believed (comma-separated addresses, or *). Empty: none, "
            "and the client address, which rate limits count by, is the connecting peer."),
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
)


@dataclasses.dataclass(frozen=True)
class Config:
    database_url: str
    host: str
    port: int
    workers: int
    secret_key: str
    admin_token: str
    max_body_chars: int
    edit_window_seconds: int
    rate_limit: int
    page_size: int
    secure_cookies: int
    forwarded_allow_ips: str
    moderation: int
    moderation_thresholds: str

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
                               ("page_size", 1, 500), ("moderation", 0, 1)):
            if not low <= values[key] <= high:
                raise SystemExit(f"PARLEY_{key.upper()}={values[key]} is outside {low}..{high}")
        config = cls(**values)
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
        return Policy(check_thresholds(thresholds))


def settings_markdown() -> str:
    lines = ["# Settings", "", "Each is read from the environment when Parley starts.", "",
             "| name | default | what it does |", "|---|---|---|"]
    for s in SETTINGS:
        lines.append(f"| `{s.name}` | `{s.default}` | {s.help} |")
    return "\n".join(lines) + "\n"
