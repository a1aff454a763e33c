"""Rocket.Chat's own settings that change our answers, read from `rocketchat_settings`.

A faithful sidecar follows the deployment: the page size, the login expiry and the abandonment
threshold are whatever the Rocket.Chat admin set. `OVERWRITE_SETTING_<name>` wins (as in
Rocket.Chat); Rocket.Chat's defaults apply when neither exists.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipelines.params import Page
from service.core.db import Mongo
from service.settings import RocketChatOverrides

SETTINGS_COLLECTION = "rocketchat_settings"

# Rocket.Chat setting name → our field.
_FIELDS = {
    "API_Default_Count": "api_default_count",
    "API_Upper_Count_Limit": "api_upper_count_limit",
    "API_Allow_Infinite_Count": "api_allow_infinite_count",
    "Accounts_LoginExpiration": "login_expiration_days",
    "Livechat_visitor_inactivity_timeout": "visitor_inactivity_timeout",
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class Workspace:
    """A snapshot of the settings, normalized the way Rocket.Chat normalizes them at use."""

    api_default_count: int = 50
    api_upper_count_limit: int = 100
    api_allow_infinite_count: bool = True
    login_expiration_days: float = 90
    visitor_inactivity_timeout: float = 3600
    # Not stored in the database: the zone Rocket.Chat's server runs in, from our settings
    # (ROCKETCHAT_SERVER_TIMEZONE); the agents' availability report counts its days.
    server_timezone: str = "UTC"

    @classmethod
    def from_values(cls, values: dict[str, Any], server_timezone: str = "UTC") -> "Workspace":
        default_count = _number(values.get("api_default_count"))
        upper_limit = _number(values.get("api_upper_count_limit"))
        infinite = values.get("api_allow_infinite_count")
        expiry = _number(values.get("login_expiration_days"))
        timeout = _number(values.get("visitor_inactivity_timeout"))
        return cls(
            # `getPaginationItems`: a value <= 0 means the built-in default.
            api_default_count=int(default_count) if default_count and default_count > 0 else 50,
            api_upper_count_limit=int(upper_limit) if upper_limit and upper_limit > 0 else 100,
            api_allow_infinite_count=infinite if isinstance(infinite, bool) else True,
            # `getLoginExpirationInDays`: anything but a positive number means 90.
            login_expiration_days=expiry if expiry and expiry > 0 else 90,
            visitor_inactivity_timeout=timeout if timeout is not None else 3600,
            server_timezone=server_timezone,
        )

    def page(self, offset: int, count: int | None) -> Page:
        """Rocket.Chat's `getPaginationItems`: default, clamp to the upper limit, 0 = no limit
        when infinite counts are allowed (else the default)."""
        rows = self.api_default_count if count is None else count
        rows = min(rows, self.api_upper_count_limit)
        if rows == 0 and not self.api_allow_infinite_count:
            rows = self.api_default_count
        return Page(offset=offset, limit=rows or None)


class WorkspaceSettings:
    """Reads the settings at most once per TTL; environment overrides skip the read."""

    def __init__(
        self,
        mongo: Mongo,
        overrides: RocketChatOverrides,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        server_timezone: str = "UTC",
    ) -> None:
        self._mongo = mongo
        self._server_timezone = server_timezone
        self._overrides = {
            name: value
            for name, value in ((field, getattr(overrides, field)) for field in _FIELDS.values())
            if value is not None
        }
        self._ttl = ttl_seconds
        self._clock = clock
        self._cached: Workspace | None = None
        self._read_at = -math.inf

    def fresh(self) -> Workspace | None:
        """The snapshot if it is still fresh, else None (then `await current()`): the warm path
        skips a coroutine."""
        if self._cached is not None and self._clock() - self._read_at < self._ttl:
            return self._cached
        return None

    async def current(self) -> Workspace:
        if self._cached is not None and self._clock() - self._read_at < self._ttl:
            return self._cached
        missing = [name for name, field in _FIELDS.items() if field not in self._overrides]
        stored: dict[str, Any] = {}
        if missing:
            documents = await self._mongo.find(
                SETTINGS_COLLECTION, {"_id": {"$in": missing}}, {"value": 1}
            )
            stored = {_FIELDS[doc["_id"]]: doc.get("value") for doc in documents}
        self._cached = Workspace.from_values(
            {**stored, **self._overrides}, server_timezone=self._server_timezone
        )
        self._read_at = self._clock()
        return self._cached
