"""The node's configuration: node.toml read into typed sections, every value validated at start-up.

A bad value stops the node with the key's dotted name and what is allowed, never later as a crash.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_PATH = "node.toml"


class ConfigError(Exception):
    """A config file that cannot be used; the message names the key and the allowed values."""


@dataclass(frozen=True)
class NodeSection:
    domain: str = "localhost:8080"
    scheme: str = "http"
    name: str = "Entativa"
    description: str = ""
    theme: str = "vignette"
    registrations: str = "closed"
    max_post_chars: int = 5000
    # Who may read /api/v1/instance/domain_blocks (and the /about list), and its public comments
    show_domain_blocks: str = "users"
    show_domain_blocks_rationale: str = "users"


@dataclass(frozen=True)
class ServerSection:
    host: str = "127.0.0.1"
    port: int = 8080


@dataclass(frozen=True)
class StorageSection:
    data_dir: str = "data"
    database: str = ""  # empty: sqlite://<data_dir>/node.sqlite3
    max_image_mb: int = 16
    max_video_mb: int = 100


@dataclass(frozen=True)
class SearchSection:
    backend: str = "whoosh"
    path: str = ""  # empty: <data_dir>/search


@dataclass(frozen=True)
class FederationSection:
    enabled: bool = True
    allow_private_addresses: bool = False
    authorized_fetch: bool = False  # require signed GETs of actors, objects and collections
    delivery_give_up_hours: int = 72  # a delivery still failing this long after it was queued is dropped
    delivery_concurrency: int = 4  # requests in flight to one destination server at a time


@dataclass(frozen=True)
class TakesSection:
    max_mb: int = 100  # largest Take upload
    max_seconds: int = 180  # longest Take
    trend_window_hours: int = 6  # trending trends compare joins in this window with the one before


@dataclass(frozen=True)
class MediaSection:
    """Other servers' media, cached and served from our URLs (node/services/remote_media.py)."""

    remote_max_bytes: int = 40 * 1024 * 1024  # largest remote file copied (also capped by storage.max_*_mb)
    remote_retention_days: int = 7  # cached copies older than this are deleted (0 = kept for ever)


@dataclass(frozen=True)
class RetentionSection:
    """How long bookkeeping rows stay before the hourly job prunes them (node/services/retention.py)."""

    deliveries_days: int = 30  # finished deliveries (delivered, failed, given up) and their activities
    inbox_days: int = 14  # inbound activities applied or failed for good
    revoked_tokens_days: int = 7  # revoked OAuth tokens (expired codes and sessions go at once)


@dataclass(frozen=True)
class LimitsSection:
    """Rate limits and sign-in back-off (node/throttle.py; docs/operating.md explains each)."""

    api_per_token: int = 300  # API requests per window for one access token (or web session)
    api_per_ip: int = 300  # API requests per window without a token, per client address
    api_period_seconds: int = 300  # the window, as Mastodon's 300 requests per 5 minutes
    login_free_per_account: int = 5  # wrong passwords for one account before the back-off starts
    login_free_per_ip: int = 20  # wrong passwords from one address before the back-off starts
    login_max_wait_seconds: int = 900  # the back-off doubles from 1 s up to this
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")  # whose X-Forwarded-For names the client
    # argon2id parameters: "recommended" (RFC 9106's, 64 MiB per hash). "cheapest" exists for test suites,
    # which create hundreds of accounts; it makes stolen hashes easy to crack, so never on a real node.
    password_hashing: str = "recommended"


@dataclass(frozen=True)
class MailSection:
    smtp_host: str = ""
    smtp_port: int = 25
    sender: str = ""  # the TOML key is `from`, a Python keyword
    username: str = ""  # SMTP AUTH, when both are set
    password: str = ""
    starttls: bool = False  # upgrade a plain connection with STARTTLS (usually port 587)
    tls: bool = False  # TLS from the first byte (usually port 465)


@dataclass(frozen=True)
class PluginsSection:
    enabled: tuple[str, ...] = ()
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)


# Keys whose values come from a fixed set.
CHOICES: dict[str, tuple[str, ...]] = {
    "node.scheme": ("http", "https"),
    "node.theme": ("vignette", "socialink"),
    "node.registrations": ("closed", "approval", "open"),
    "node.show_domain_blocks": ("disabled", "users", "all"),
    "node.show_domain_blocks_rationale": ("disabled", "users", "all"),
    "search.backend": ("whoosh", "postgres"),
    "limits.password_hashing": ("recommended", "cheapest"),
}
# Integer keys and their inclusive ranges.
RANGES: dict[str, tuple[int, int]] = {
    "node.max_post_chars": (1, 100_000),
    "server.port": (1, 65535),
    "storage.max_image_mb": (1, 1024),
    "storage.max_video_mb": (1, 4096),
    "mail.smtp_port": (1, 65535),
    "federation.delivery_give_up_hours": (1, 24 * 30),
    "federation.delivery_concurrency": (1, 64),
    "takes.max_mb": (1, 4096),
    "takes.max_seconds": (1, 3600),
    "takes.trend_window_hours": (1, 168),
    "media.remote_max_bytes": (1024, 4 * 1024**3),
    "media.remote_retention_days": (0, 3650),
    "retention.deliveries_days": (1, 3650),
    "retention.inbox_days": (1, 3650),
    "retention.revoked_tokens_days": (1, 3650),
    "limits.api_per_token": (1, 10**9),
    "limits.api_per_ip": (1, 10**9),
    "limits.api_period_seconds": (1, 86400),
    "limits.login_free_per_account": (1, 1000),
    "limits.login_free_per_ip": (1, 10000),
    "limits.login_max_wait_seconds": (1, 86400),
}


@dataclass(frozen=True)
class Config:
    node: NodeSection
    server: ServerSection
    storage: StorageSection
    search: SearchSection
    federation: FederationSection
    mail: MailSection
    plugins: PluginsSection
    path: Path  # the file it was read from; relative paths inside are relative to its folder
    takes: TakesSection = field(default_factory=TakesSection)
    retention: RetentionSection = field(default_factory=RetentionSection)
    media: MediaSection = field(default_factory=MediaSection)
    limits: LimitsSection = field(default_factory=LimitsSection)

    @property
    def base_url(self) -> str:
        return f"{self.node.scheme}://{self.node.domain}"

    @property
    def data_dir(self) -> Path:
        return (self.path.parent / self.storage.data_dir).resolve()

    @property
    def database_url(self) -> str:
        if self.storage.database:
            url = self.storage.database
            if url.startswith("sqlite://") and not url.startswith("sqlite:///"):
                relative = url.removeprefix("sqlite://")
                if relative != ":memory:":
                    return f"sqlite://{(self.path.parent / relative).resolve()}"
            return url
        return f"sqlite://{self.data_dir / 'node.sqlite3'}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def search_dir(self) -> Path:
        return (self.path.parent / self.search.path).resolve() if self.search.path else self.data_dir / "search"


_SECTIONS = {
    "node": NodeSection,
    "server": ServerSection,
    "storage": StorageSection,
    "search": SearchSection,
    "federation": FederationSection,
    "mail": MailSection,
    "takes": TakesSection,
    "retention": RetentionSection,
    "media": MediaSection,
    "limits": LimitsSection,
}


def _check_value(key: str, value: Any, default: Any) -> Any:
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{key}: must be a list of strings, got {value!r}")
        return tuple(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: must be a whole number, got {value!r}")
        low, high = RANGES.get(key, (0, 2**31))
        if not low <= value <= high:
            raise ConfigError(f"{key}: must be between {low} and {high}, got {value}")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{key}: must be a string, got {value!r}")
    if key in CHOICES and value not in CHOICES[key]:
        allowed = ", ".join(f'"{c}"' for c in CHOICES[key])
        raise ConfigError(f'{key}: must be one of {allowed}, got "{value}"')
    return value


def _section(name: str, cls: type, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}]: must be a table")
    known = {f.name: f for f in fields(cls)}
    toml_keys = {"sender": "from"} if name == "mail" else {}  # attribute -> key as written in TOML
    attribute_of = {toml_keys.get(attr, attr): attr for attr in known}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in attribute_of:
            raise ConfigError(f"{name}.{key}: unknown key (known keys: {', '.join(attribute_of)})")
        attr = attribute_of[key]
        values[attr] = _check_value(f"{name}.{key}", value, known[attr].default)
    return cls(**values)


def _plugins(raw: Any) -> PluginsSection:
    if not isinstance(raw, dict):
        raise ConfigError("[plugins]: must be a table")
    enabled = raw.get("enabled", [])
    if not isinstance(enabled, list) or not all(isinstance(n, str) and n for n in enabled):
        raise ConfigError(f"plugins.enabled: must be a list of plugin names, got {enabled!r}")
    settings = {k: v for k, v in raw.items() if k != "enabled"}
    for name, table in settings.items():
        if not isinstance(table, dict):
            raise ConfigError(f"plugins.{name}: must be a table of that plugin's settings")
    return PluginsSection(enabled=tuple(enabled), settings=settings)


def _check_domain(domain: str) -> None:
    host, _, port = domain.partition(":")
    if not host or "/" in domain or " " in domain or (port and not port.isdigit()):
        raise ConfigError(f'node.domain: must be a host name with an optional port, like "social.example" '
                          f'or "127.0.0.1:18101", got "{domain}"')


def _check_mail(mail: MailSection) -> None:
    if mail.starttls and mail.tls:
        raise ConfigError("mail.starttls, mail.tls: choose one (tls is TLS from the start, starttls upgrades later)")
    if mail.smtp_host and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.?[^@\s<>]*", mail.sender):
        raise ConfigError(f'mail.from: must be an email address like "social@example.org" when mail.smtp_host '
                          f'is set, got "{mail.sender}"')
    if mail.sender and not mail.smtp_host:
        raise ConfigError("mail.smtp_host: must be set when mail.from is (empty smtp_host means mail is off)")
    if bool(mail.username) != bool(mail.password):
        raise ConfigError("mail.username, mail.password: give both or neither")


def _check_search(search: SearchSection, storage: StorageSection) -> None:
    if search.backend == "postgres" and not storage.database.startswith(("postgres://", "postgresql://")):
        raise ConfigError('search.backend: "postgres" keeps the index in the node\'s own PostgreSQL database, so '
                          'storage.database must be a postgres:// URL; a SQLite node uses "whoosh" '
                          f'(storage.database is "{storage.database or "sqlite://<data_dir>/node.sqlite3"}")')


def parse(data: dict[str, Any], path: Path) -> Config:
    """Build a validated Config from already-parsed TOML."""
    unknown = set(data) - set(_SECTIONS) - {"plugins"}
    if unknown:
        raise ConfigError(f"[{sorted(unknown)[0]}]: unknown section (known: {', '.join([*_SECTIONS, 'plugins'])})")
    sections = {name: _section(name, cls, data.get(name, {})) for name, cls in _SECTIONS.items()}
    _check_domain(sections["node"].domain)
    _check_mail(sections["mail"])
    _check_search(sections["search"], sections["storage"])
    return Config(**sections, plugins=_plugins(data.get("plugins", {})), path=path.resolve())


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the config from PATH, else $ENTATIVA_CONFIG, else ./node.toml."""
    chosen = Path(path or os.environ.get("ENTATIVA_CONFIG") or DEFAULT_PATH)
    try:
        text = chosen.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{chosen}: config file not found") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{chosen}: not valid TOML ({exc})") from None
    return parse(data, chosen)
