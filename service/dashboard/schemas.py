"""Query and response schemas of our own API (EXTENSIONS.md), and how a query is loaded.

Every parameter error is a 400 in Rocket.Chat's invalid-params shape whose message names the
parameter. Checks run in a fixed order, so a query with several faults always names the same
one: unknown names, then repeated ones, then empty values, then each parameter in the order the
schema declares it, then what depends on several (end before start, too many buckets).
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.validate import OneOf
from multidict import MultiMapping

from pipelines import calendar, metrics
from pipelines.calendar import Bound, BoundError, Window, YearOutOfRange
from pipelines.scorecard import ScorecardParams
from pipelines.timeseries import TimeseriesParams
from pipelines.zones import load_zone, zone_names
from service.core.workspace import Workspace
from service.http.errors import InvalidParams

MAX_DEPARTMENTS = 100
MAX_BUCKETS = 1000
MAX_SPLIT_VALUES = 100_000
FORMATS = ("json", "csv")
CSV = "text/csv"
# Names longer than this are cut when echoed in an error message.
_ECHO = 64


def _quoted(name: str) -> str:
    return repr(name if len(name) <= _ECHO else name[:_ECHO] + "…")


# ------------------------------------------------------------------------------ time zones


# ---------------------------------------------------------------------------------- fields


class BoundField(fields.Field[Bound]):
    """`start`/`end`: a date or an RFC 3339 date-time with an offset."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Bound:
        name = self.data_key or attr or ""
        try:
            return calendar.parse_bound(value)
        except YearOutOfRange:
            raise ValidationError(
                f"'{name}' must be in the years {calendar.MIN_YEAR} to {calendar.MAX_YEAR}"
            ) from None
        except BoundError:
            raise ValidationError(
                f"'{name}' must be a date (YYYY-MM-DD) or a date-time with an offset "
                "(YYYY-MM-DDTHH:MM[:SS[.fff]] then Z or ±HH:MM)"
            ) from None


class ZoneField(fields.Field[str]):
    """An IANA time zone name known to the pinned tzdata."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if value not in zone_names():
            raise ValidationError(
                "'timezone' must be an IANA time zone name, such as Europe/Berlin or UTC"
            )
        return str(value)


class MetricList(fields.Field[tuple[str, ...]]):
    """Comma-separated metric names, in the order wanted, without duplicates."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> tuple[str, ...]:
        names = tuple(value.split(","))
        for name in names:
            if name not in metrics.BY_NAME:
                raise ValidationError(
                    f"'metrics' names an unknown metric {_quoted(name)}; the metrics are: "
                    + ", ".join(metrics.NAMES)
                )
        if len(set(names)) != len(names):
            raise ValidationError("'metrics' must not name a metric twice")
        return names


def _choice(name: str, choices: tuple[str, ...], description: str, **options: Any) -> Any:
    return fields.String(
        data_key=name,
        validate=OneOf(choices, error=f"'{name}' must be one of: {', '.join(choices)}"),
        metadata={"description": description},
        **options,
    )


def _bound(name: str, description: str) -> BoundField:
    return BoundField(
        data_key=name,
        required=True,
        error_messages={"required": f"must have required property '{name}'"},
        metadata={"description": description, "type": "string"},
    )


class CommonQuery(Schema):
    """The parameters both endpoints take."""

    class Meta:
        unknown = RAISE

    start = _bound(
        "start",
        "Required. A date `YYYY-MM-DD` (the whole local day's start in `timezone`) or an RFC 3339 "
        "date-time `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or `±HH:MM`. Years 1970-9998.",
    )
    end = _bound(
        "end",
        "Required, not before `start`. A date (up to the last millisecond of that local day) or "
        "a date-time, as `start`.",
    )
    timezone = ZoneField(
        data_key="timezone",
        load_default="UTC",
        metadata={
            "description": "An IANA time zone name, case-sensitive, echoed as given; default "
            "`UTC`.",
            "type": "string",
            "example": "Europe/Berlin",
        },
    )
    department_id = fields.List(
        fields.String(),
        data_key="departmentId",
        metadata={
            "description": f"Only these departments; repeatable, at most {MAX_DEPARTMENTS} "
            "(duplicates count once)."
        },
    )
    format = _choice(
        "format",
        FORMATS,
        "`json` (default) or `csv`. Absent: CSV when `text/csv` is the most preferred type of "
        "the `Accept` header.",
    )


class ScorecardQuery(CommonQuery):
    metrics = MetricList(
        data_key="metrics",
        metadata={
            "description": "Comma-separated metrics, in the order wanted, no duplicates; "
            "default all, in this order: " + ", ".join(metrics.NAMES) + ".",
            "type": "string",
            "example": "chats,averageWaitingTimeSeconds",
        },
    )
    compare = _choice("compare", ("previous",), "`previous` adds the previous window's values.")


class TimeseriesQuery(CommonQuery):
    metric = _choice("metric", metrics.NAMES, "One metric; default `chats`.")
    interval = _choice(
        "interval",
        calendar.INTERVALS,
        "Calendar buckets of `timezone`: `hour`, `day` (default), `week` (from Monday) or "
        f"`month`; at most {MAX_BUCKETS} buckets.",
    )
    split = _choice(
        "split",
        ("department",),
        f"`department` adds one series per department (at most {MAX_SPLIT_VALUES} values in all).",
    )


# --------------------------------------------------------------------------------- loading

REPEATABLE = frozenset({"departmentId"})


def _raw(schema: Schema, query: MultiMapping[str]) -> dict[str, Any]:
    """The query as one value per name (a list for `departmentId`), after the checks that see
    the raw query: unknown names, repeated ones, empty values."""
    declared = [field.data_key or name for name, field in schema.load_fields.items()]
    names = list(dict.fromkeys(query.keys()))
    for name in names:
        if name not in declared:
            raise InvalidParams(f"{_quoted(name)} is not a parameter of this endpoint")
    for name in names:
        if name not in REPEATABLE and len(query.getall(name)) > 1:
            raise InvalidParams(f"'{name}' must not be repeated")
    for name in names:
        if any(value == "" for value in query.getall(name)):
            raise InvalidParams(f"'{name}' must not be empty")
    raw: dict[str, Any] = {name: query[name] for name in names if name not in REPEATABLE}
    if "departmentId" in query:
        ids = query.getall("departmentId")
        # Duplicates count once, for the limit too (the request line bounds the raw count).
        if len(set(ids)) > MAX_DEPARTMENTS:
            raise InvalidParams(
                f"'departmentId' must not be given more than {MAX_DEPARTMENTS} times"
            )
        raw["departmentId"] = ids
    return raw


def _load(schema: Schema, query: MultiMapping[str]) -> dict[str, Any]:
    raw = _raw(schema, query)
    try:
        loaded: dict[str, Any] = schema.load(raw)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        for name, field in schema.load_fields.items():
            key = field.data_key or name
            if key in messages:
                found = messages[key]
                raise InvalidParams(str(found[0] if isinstance(found, list) else found)) from None
        raise InvalidParams("the query is not valid") from None
    return loaded


@dataclass(frozen=True, slots=True)
class Common:
    window: Window
    timezone: str
    zone: ZoneInfo
    department_ids: tuple[str, ...] | None
    format: str | None


def _common(loaded: Mapping[str, Any]) -> Common:
    name = loaded["timezone"]
    zone = load_zone(name)
    window = calendar.resolve(loaded["start"], loaded["end"], zone)
    if window.end < window.start:
        raise InvalidParams("'end' must not be before 'start'")
    ids = loaded.get("department_id")
    return Common(
        window=window,
        timezone=name,
        zone=zone,
        department_ids=tuple(sorted(set(ids))) if ids is not None else None,
        format=loaded.get("format"),
    )


def load_scorecard(
    query: MultiMapping[str], workspace: Workspace
) -> tuple[ScorecardParams, str | None]:
    """(the scorecard's parameters, the `format` asked for, if any)."""
    loaded = _load(ScorecardQuery(), query)
    common = _common(loaded)
    previous = (
        calendar.previous(common.window, common.zone)
        if loaded.get("compare") == "previous"
        else None
    )
    params = ScorecardParams(
        window=common.window,
        previous=previous,
        timezone=common.timezone,
        metrics=loaded.get("metrics") or metrics.NAMES,
        department_ids=common.department_ids,
        inactivity_timeout=workspace.visitor_inactivity_timeout,
    )
    return params, common.format


def load_timeseries(
    query: MultiMapping[str], workspace: Workspace
) -> tuple[TimeseriesParams, str | None]:
    """(the series' parameters, the `format` asked for, if any)."""
    loaded = _load(TimeseriesQuery(), query)
    common = _common(loaded)
    interval = loaded.get("interval", "day")
    window = common.window
    if calendar.bucket_count(window.start, window.end, common.zone, interval) > MAX_BUCKETS:
        raise InvalidParams(
            f"'interval' gives more than {MAX_BUCKETS} buckets in this window; choose a "
            "coarser interval or a shorter window"
        )
    buckets = tuple(calendar.buckets(window.start, window.end, common.zone, interval))
    split = loaded.get("split") == "department"
    ids = common.department_ids
    if split and ids is not None and len(ids) * len(buckets) > MAX_SPLIT_VALUES:
        raise too_many_values()
    params = TimeseriesParams(
        window=window,
        timezone=common.timezone,
        metric=loaded.get("metric", "chats"),
        interval=interval,
        buckets=buckets,
        split=split,
        department_ids=ids,
        inactivity_timeout=workspace.visitor_inactivity_timeout,
    )
    return params, common.format


def too_many_values() -> InvalidParams:
    return InvalidParams(
        f"'split' gives more than {MAX_SPLIT_VALUES} values; choose a coarser interval or "
        "fewer departments"
    )


def negotiated_format(asked: str | None, accept: str | None) -> str:
    """`format` when given; otherwise CSV when `text/csv` is the most preferred type of `Accept`
    (highest quality; among equals, the first listed), else JSON."""
    if asked is not None:
        return asked
    best: tuple[float, str] | None = None
    for part in (accept or "").split(","):
        media, *options = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0 and (best is None or quality > best[0]):
            best = (quality, media.lower())
    return "csv" if best is not None and best[1] == CSV else "json"


# -------------------------------------------------------------------------------- responses


def format_instant(moment: datetime) -> str:
    """`2026-10-31T23:00:00.000Z`: UTC with milliseconds, as Rocket.Chat's JSON writes dates."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class UtcInstant(fields.Field[datetime]):
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return format_instant(value)


WindowSchema = Schema.from_dict(
    {
        "start": UtcInstant(required=True, metadata={"type": "string", "format": "date-time"}),
        "end": UtcInstant(required=True, metadata={"type": "string", "format": "date-time"}),
        "timezone": fields.String(required=True),
    },
    name="Window",
)


def _integers(names: tuple[str, ...]) -> dict[str, fields.Field[Any]]:
    return {name: fields.Integer() for name in names}


# Bounded: callers choose the metrics and their order (11! orders), and each is a schema class.
@functools.lru_cache(maxsize=256)
def scorecard_response(names: tuple[str, ...], compare: bool) -> Schema:
    """The scorecard's response schema for these metrics (keys in the order asked for)."""
    values = Schema.from_dict(_integers(names), name="ScorecardValues")
    row: dict[str, fields.Field[Any]] = {
        "_id": fields.String(required=True, allow_none=True),
        "name": fields.String(required=True, allow_none=True),
        **_integers(names),
    }
    total: dict[str, fields.Field[Any]] = dict(_integers(names))
    if compare:
        row["previous"] = fields.Nested(values)
        total["previous"] = fields.Nested(values)
    body: dict[str, fields.Field[Any]] = {"window": fields.Nested(WindowSchema, required=True)}
    if compare:
        body["previousWindow"] = fields.Nested(WindowSchema)
    body.update(
        {
            "metrics": fields.List(fields.String(), required=True),
            "departments": fields.List(
                fields.Nested(Schema.from_dict(row, name="ScorecardDepartment")), required=True
            ),
            "total": fields.Nested(Schema.from_dict(total, name="ScorecardTotal"), required=True),
            "success": fields.Boolean(required=True),
        }
    )
    return Schema.from_dict(body, name="ScorecardResponse")()


BucketSchema = Schema.from_dict(
    {
        "label": fields.String(required=True),
        "start": UtcInstant(required=True, metadata={"type": "string", "format": "date-time"}),
        "end": UtcInstant(required=True, metadata={"type": "string", "format": "date-time"}),
    },
    name="Bucket",
)
SeriesDepartment = Schema.from_dict(
    {
        "_id": fields.String(required=True, allow_none=True),
        "name": fields.String(required=True, allow_none=True),
        "values": fields.List(fields.Integer(), required=True),
    },
    name="SeriesDepartment",
)
TimeseriesResponse = Schema.from_dict(
    {
        "metric": fields.String(required=True, validate=OneOf(metrics.NAMES)),
        "interval": fields.String(required=True, validate=OneOf(calendar.INTERVALS)),
        "window": fields.Nested(WindowSchema, required=True),
        "buckets": fields.List(fields.Nested(BucketSchema), required=True),
        "values": fields.List(fields.Integer(), required=True),
        "departments": fields.List(fields.Nested(SeriesDepartment)),
        "success": fields.Boolean(required=True),
    },
    name="TimeseriesResponse",
)
