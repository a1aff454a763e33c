"""Rocket.Chat's REST authentication and permission check, against its own collections.

Rocket.Chat stores `base64(sha256(token))` in `users.services.resume.loginTokens[].hashedToken`
(login tokens, with a `when` date, and personal access tokens, `type: "personalAccessToken"`).
A permission is the document `{_id: <permission>, roles: [...]}` in `rocketchat_permissions`,
granted when it shares a role with the user's `roles`.
"""

import base64
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from aiohttp import hdrs
from multidict import CIMultiDict, CIMultiDictProxy

from service.core.db import Mongo
from service.core.metrics import Metrics
from service.core.workspace import WorkspaceSettings
from service.http.errors import Forbidden, Unauthorized

VIEW_LIVECHAT_MANAGER = "view-livechat-manager"
PERSONAL_ACCESS_TOKEN = "personalAccessToken"
USERS = "users"
PERMISSIONS = "rocketchat_permissions"
# Rocket.Chat's REST credentials. Header names are matched case-insensitively (a CIMultiDict).
USER_ID_HEADER = "X-User-Id"
TOKEN_HEADER = "X-Auth-Token"

# Enough for every dashboard user of a large workspace; bounded so a flood of tokens cannot grow it.
_MAX_CACHED_GRANTS = 10_000
# Only grants of real users are cached, but a user id is whatever the database holds; Rocket.Chat
# ids are 17 characters. Longer ones are checked on every request instead of being kept, so the
# cache holds at most _MAX_CACHED_GRANTS x (this + a 44-byte hash + the user's roles) bytes.
_MAX_CACHED_USER_ID = 256


def hash_token(token: str) -> str:
    """Rocket.Chat's `Accounts._hashLoginToken`."""
    return _stored_form(hashlib.sha256(token.encode()).digest())


def _stored_form(digest: bytes) -> str:
    """The token's SHA-256 as Rocket.Chat stores it (base64): needed only to ask the database."""
    return base64.b64encode(digest).decode()


def _single(headers: Mapping[str, str], name: str) -> str | None:
    """The header's one value. A repeated header is None: Node (so Rocket.Chat) joins repeats
    into one value, `"a, b"`, which is never a valid token or user id; taking the first one
    instead would let a proxy that checks the last and this service disagree."""
    getall = getattr(headers, "getall", None)
    if getall is None:
        return headers.get(name)
    values: list[str] = getall(name, ())
    return values[0] if len(values) == 1 else None


def _credentials(headers: Mapping[str, str]) -> tuple[str, bytes]:
    """(user id, the token's SHA-256). Only the digest is kept, compared and cached."""
    token = _single(headers, TOKEN_HEADER)
    user_id = _single(headers, USER_ID_HEADER)
    if not token or not user_id:
        raise Unauthorized()
    # aiohttp keeps header bytes that are not UTF-8 as lone surrogates, which neither the token
    # hash nor BSON can encode; no Rocket.Chat token or user id contains them, so they are 401.
    try:
        user_id.encode()
        return user_id, hashlib.sha256(token.encode()).digest()
    except UnicodeEncodeError:
        raise Unauthorized() from None


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: str
    roles: frozenset[str]
    # None for personal access tokens, which do not expire.
    expires_at: datetime | None


def _as_utc(moment: Any) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    # BSON dates are UTC: the driver returns them aware (tz_aware=True), the embedded backend
    # naive; either way this is the same instant, aware.
    return moment.replace(tzinfo=UTC)


class Authenticator:
    """Answers "who is this, and may they do that?", caching only positive answers briefly so
    that a revoked token or role stops working within `ttl_seconds`."""

    def __init__(
        self,
        mongo: Mongo,
        workspace: WorkspaceSettings,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: Metrics | None = None,
    ) -> None:
        self._mongo = mongo
        self._workspace = workspace
        self._now = now
        self._metrics = metrics or Metrics()
        self._clock = clock
        self._ttl = ttl_seconds
        # One entry per (user, token digest, permission) granted, with the monotonic time it
        # stops being trusted: a warm request costs one dictionary lookup. Oldest out first.
        self._granted: dict[tuple[str, bytes, str], tuple[Identity, float]] = {}

    async def require(self, headers: Mapping[str, str], permission: str) -> Identity:
        """401 unless the headers name a valid token of an active user; 403 unless one of the
        user's roles holds `permission`."""
        user_id, digest = _credentials(headers)
        key = (user_id, digest, permission)
        grant = self._granted.get(key)
        if grant is not None and grant[1] > self._clock():
            self._metrics.auth_hit.inc()
            identity = grant[0]
            self._check_unexpired(identity)
            return identity
        self._metrics.auth_miss.inc()
        identity = await self._load_identity(user_id, _stored_form(digest))
        self._check_unexpired(identity)
        if identity.roles.isdisjoint(await self._roles_holding(permission)):
            raise Forbidden()
        # Equivalent mutants: `>= 0` (a grant kept for 0 s is never found fresh again).
        caching = self._ttl > 0  # pragma: no mutate
        if caching and len(user_id) <= _MAX_CACHED_USER_ID:
            self._granted.pop(key, None)
            while len(self._granted) >= _MAX_CACHED_GRANTS:
                del self._granted[next(iter(self._granted))]
            self._granted[key] = (identity, self._clock() + self._ttl)
        return identity

    async def authenticate(self, headers: Mapping[str, str]) -> Identity:
        """401 unless the headers name a valid token of an active user (never cached)."""
        user_id, digest = _credentials(headers)
        identity = await self._load_identity(user_id, _stored_form(digest))
        self._check_unexpired(identity)
        return identity

    def _check_unexpired(self, identity: Identity) -> None:
        # A cached grant must not outlive its login token.
        if identity.expires_at is not None and identity.expires_at <= self._now():
            raise Unauthorized()

    async def _load_identity(self, user_id: str, hashed_token: str) -> Identity:
        user = await self._mongo.find_one(
            USERS,
            {"_id": user_id, "services.resume.loginTokens.hashedToken": hashed_token},
            {"active": 1, "roles": 1, "services.resume.loginTokens": 1},
        )
        # Rocket.Chat wipes the tokens of a deactivated user; checking `active` as well keeps a
        # half-finished deactivation from leaving a working token behind.
        if user is None or user.get("active") is False:
            raise Unauthorized()
        # The query matched on this path, so it exists.
        tokens = user["services"]["resume"]["loginTokens"]
        entry = next(
            (t for t in tokens if isinstance(t, dict) and t.get("hashedToken") == hashed_token),
            # Equivalent mutants: the query matched this token, so it is found; kept so that a
            # malformed document is a 401 rather than a crash.
            None,  # pragma: no mutate
        )
        if entry is None:
            raise Unauthorized()
        expires_at = None
        if entry.get("type") != PERSONAL_ACCESS_TOKEN:
            issued = _as_utc(entry.get("when"))
            if issued is None:
                # A login token without a readable issue date cannot be shown to be unexpired.
                raise Unauthorized()
            days = (await self._workspace.current()).login_expiration_days
            expires_at = issued + timedelta(days=days)
        roles = user.get("roles")
        return Identity(
            user_id=user_id,
            roles=frozenset(r for r in roles if isinstance(r, str))
            if isinstance(roles, list)
            else frozenset(),
            expires_at=expires_at,
        )

    async def _roles_holding(self, permission: str) -> frozenset[str]:
        document = await self._mongo.find_one(PERMISSIONS, {"_id": permission}, {"roles": True})
        stored = (document or {}).get("roles")
        return frozenset(
            r for r in (stored if isinstance(stored, list) else []) if isinstance(r, str)
        )


# Rocket.Chat's web client keeps the login in these cookies on its origin (path `/`).
USER_ID_COOKIE = "rc_uid"
TOKEN_COOKIE = "rc_token"
# `Sec-Fetch-Site` values that mean "this origin asked": a page's own request, or an address
# the user opened. Anything else (cross-site, same-site, or no header: not a browser) is not.
FETCH_SITE_HEADER = "Sec-Fetch-Site"
_OWN_ORIGIN = frozenset({"same-origin", "none"})


def _cookie_values(cookie_headers: list[str], name: str) -> list[str]:
    """Every value `name` has in the `Cookie` headers (RFC 6265 §5.4: `name=value; ...`),
    percent-decoded as Rocket.Chat's server reads them (the `cookie` package)."""
    values = []
    for header in cookie_headers:
        for pair in header.split(";"):
            key, separator, value = pair.partition("=")
            # The `cookie` package trims the name and the value around `=` alike.
            if separator and key.strip() == name:
                values.append(unquote(value.strip().strip('"')))
    return values


def credentials_from_cookies(headers: CIMultiDictProxy[str]) -> CIMultiDictProxy[str]:
    """The headers to authenticate a request to our own API with: its own, or — only when it
    sends neither `X-User-Id` nor `X-Auth-Token` and says it comes from this origin
    (`Sec-Fetch-Site: same-origin` or `none`) — Rocket.Chat's `rc_uid`/`rc_token` cookies in
    their place. A cookie given twice is ambiguous and is not used. Another site cannot use a
    signed-in browser's cookies to run queries: its requests say `cross-site`.

    Only the dashboard's routes call this; the drop-in accepts headers only, as Rocket.Chat."""
    if USER_ID_HEADER in headers or TOKEN_HEADER in headers:
        return headers
    sites = headers.getall(FETCH_SITE_HEADER, [])
    if len(sites) != 1 or sites[0] not in _OWN_ORIGIN:
        return headers
    cookies = headers.getall(hdrs.COOKIE, [])
    user_ids = _cookie_values(cookies, USER_ID_COOKIE)
    tokens = _cookie_values(cookies, TOKEN_COOKIE)
    if len(user_ids) != 1 or len(tokens) != 1:
        return headers
    with_cookies = CIMultiDict(headers)
    with_cookies[USER_ID_HEADER] = user_ids[0]
    with_cookies[TOKEN_HEADER] = tokens[0]
    return CIMultiDictProxy(with_cookies)
