"""The service's configuration: read from the environment once, validated, frozen."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from environs import Env, EnvError
from marshmallow import ValidationError
from marshmallow.validate import OneOf, Range

from pipelines.zones import zone_names

READ_PREFERENCES = ("primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# Rocket.Chat's own escape hatch for pinning a setting from the environment; a sidecar that
# shares Rocket.Chat's environment therefore sees the same overrides Rocket.Chat does.
OVERRIDE_PREFIX = "OVERWRITE_SETTING_"


def _time_zone(name: str) -> None:
    """An IANA zone name that the pinned tzdata package holds, as our own API's `timezone`."""
    if name not in zone_names():
        raise ValidationError(f"not an IANA time zone name: {name!r}") from None


class SettingsError(Exception):
    """Every invalid variable at once, so an operator fixes them in one go."""


@dataclass(frozen=True, slots=True)
class RocketChatOverrides:
    """Values that win over `rocketchat_settings`; None means "read it from the database"."""

    api_default_count: int | None = None
    api_upper_count_limit: int | None = None
    api_allow_infinite_count: bool | None = None
    login_expiration_days: float | None = None
    visitor_inactivity_timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    # The URL may carry credentials: kept out of repr, logged only through `masked_mongo_url`.
    mongo_url: str | None = field(default=None, repr=False)
    mongo_database: str = "rocketchat"
    host: str = "0.0.0.0"
    port: int = 8080
    read_preference: str = "secondaryPreferred"
    max_time_ms: int = 10_000
    server_selection_timeout_ms: int = 5_000
    connect_timeout_ms: int = 5_000
    socket_timeout_ms: int = 20_000
    readiness_timeout_ms: int = 2_000
    auth_cache_ttl_seconds: float = 5.0
    settings_cache_ttl_seconds: float = 10.0
    result_cache_ttl_seconds: int = 30
    result_cache_max_entries: int = 1024
    result_cache_max_bytes: int = 16 * 1024 * 1024
    shutdown_timeout_seconds: float = 15.0
    log_level: str = "INFO"
    log_format: str = "json"
    access_log: bool = True
    # The zone Rocket.Chat's server runs in: the agents' availability report counts its days.
    rocketchat_server_timezone: str = "UTC"
    overrides: RocketChatOverrides = RocketChatOverrides()

    @property
    def masked_mongo_url(self) -> str | None:
        return None if self.mongo_url is None else mask_credentials(self.mongo_url)


def _split_url(url: str) -> tuple[str, str, str | None] | None:
    """(scheme, hosts with userinfo, path) split the way pymongo's `parse_uri` does: the host
    part ends at the first `/`, so a `#` or `?` in an unescaped password stays in it."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    host_part, slash, path = rest.partition("/")
    return scheme, host_part, path if slash else None


def mask_credentials(url: str) -> str:
    """`mongodb://user:pass@host/db` → `mongodb://***@host/db`; anything unparsable → `***`."""
    parts = _split_url(url)
    if parts is None:
        return "***" if "@" in url else url
    scheme, host_part, path = parts
    _userinfo, at, hosts = host_part.rpartition("@")
    if not at:
        return url
    return f"{scheme}://***@{hosts}" + (f"/{path}" if path is not None else "")


def database_from_url(url: str | None) -> str | None:
    """Rocket.Chat's MONGO_URL names its database in the path (`.../rocketchat?...`)."""
    parts = _split_url(url) if url else None
    if parts is None or parts[2] is None:
        return None
    return parts[2].partition("?")[0] or None


class _MappingEnv(Env):
    """environs reads `os.environ` directly; this reads only the mapping it is given, so tests
    and the command line inject their environment instead of mutating the process's."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(eager=False)
        self._source = dict(environ)
        self.asked: list[str] = []

    def _get_value(self, env_key: str, default: Any) -> Any:
        self.asked.append(env_key)
        return self._source.get(env_key, default)


def variable_names() -> list[str]:
    """Every variable the service reads (for docs and config checks)."""
    env = _MappingEnv({})
    _parse(env)
    return env.asked


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Parse and validate the environment; raise SettingsError naming every bad variable."""
    return _parse(_MappingEnv(environ))


def _parse(env: _MappingEnv) -> Settings:
    positive = Range(min=1)
    non_negative = Range(min=0)
    mongo_url = env.str("MONGO_URL", None) or None
    values: dict[str, Any] = {
        "mongo_url": mongo_url,
        "mongo_database": env.str("MONGO_DATABASE", None)
        or database_from_url(mongo_url)
        or "rocketchat",
        "host": env.str("HOST", "0.0.0.0"),
        "port": env.int("PORT", 8080, validate=Range(min=0, max=65535)),
        "read_preference": env.str(
            "MONGO_READ_PREFERENCE", "secondaryPreferred", validate=OneOf(READ_PREFERENCES)
        ),
        "max_time_ms": env.int("MONGO_MAX_TIME_MS", 10_000, validate=positive),
        "server_selection_timeout_ms": env.int(
            "MONGO_SERVER_SELECTION_TIMEOUT_MS", 5_000, validate=positive
        ),
        "connect_timeout_ms": env.int("MONGO_CONNECT_TIMEOUT_MS", 5_000, validate=positive),
        "socket_timeout_ms": env.int("MONGO_SOCKET_TIMEOUT_MS", 20_000, validate=positive),
        "readiness_timeout_ms": env.int("READINESS_TIMEOUT_MS", 2_000, validate=positive),
        "auth_cache_ttl_seconds": env.float("AUTH_CACHE_TTL_SECONDS", 5.0, validate=non_negative),
        "settings_cache_ttl_seconds": env.float(
            "SETTINGS_CACHE_TTL_SECONDS", 10.0, validate=non_negative
        ),
        "result_cache_ttl_seconds": env.int("RESULT_CACHE_TTL_SECONDS", 30, validate=non_negative),
        "result_cache_max_entries": env.int("RESULT_CACHE_MAX_ENTRIES", 1024, validate=positive),
        # Below about a kilobyte not even one answer would fit.
        "result_cache_max_bytes": env.int(
            "RESULT_CACHE_MAX_BYTES", 16 * 1024 * 1024, validate=Range(min=1024)
        ),
        "shutdown_timeout_seconds": env.float(
            "SHUTDOWN_TIMEOUT_SECONDS", 15.0, validate=non_negative
        ),
        "log_level": env.str("LOG_LEVEL", "INFO", validate=OneOf(LOG_LEVELS)),
        "log_format": env.str("LOG_FORMAT", "json", validate=OneOf(("json", "text"))),
        "access_log": env.bool("ACCESS_LOG", True),
        "rocketchat_server_timezone": env.str(
            "ROCKETCHAT_SERVER_TIMEZONE", "UTC", validate=_time_zone
        ),
    }
    overrides: dict[str, Any] = {
        "api_default_count": env.int(f"{OVERRIDE_PREFIX}API_Default_Count", None),
        "api_upper_count_limit": env.int(f"{OVERRIDE_PREFIX}API_Upper_Count_Limit", None),
        "api_allow_infinite_count": env.bool(f"{OVERRIDE_PREFIX}API_Allow_Infinite_Count", None),
        "login_expiration_days": env.float(f"{OVERRIDE_PREFIX}Accounts_LoginExpiration", None),
        "visitor_inactivity_timeout": env.float(
            f"{OVERRIDE_PREFIX}Livechat_visitor_inactivity_timeout", None
        ),
    }
    try:
        env.seal()
    except EnvError as error:
        problems = getattr(error, "error_messages", {}) or {"environment": [str(error)]}
        lines = [f"  {name}: {'; '.join(map(str, msgs))}" for name, msgs in problems.items()]
        raise SettingsError("invalid configuration:\n" + "\n".join(lines)) from None
    return Settings(**values, overrides=RocketChatOverrides(**overrides))
