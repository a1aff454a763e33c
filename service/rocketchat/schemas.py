"""Query and response schemas of the drop-in's reports (the department and agents families),
worded like Rocket.Chat's validator.

Rocket.Chat validates these queries with Ajv (`coerceTypes`, `additionalProperties: false`) and
reports the first failure as `"<ajv message> [invalid-params]"`. Ajv checks `required` first,
then unknown properties, then each property in schema order; `first_error` keeps that order.
Dates are checked after the schema, as Rocket.Chat's route does, with their own message.
"""

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing, post_load
from marshmallow.validate import Range
from multidict import MultiMapping

from pipelines.params import ReportParams
from service.core.workspace import Workspace
from service.http.errors import BadRequest, InvalidParams
from service.http.result_cache import CacheKey
from service.rocketchat.dates import parse_js_date, written_day

# The helpers between `# pragma: no mutate start` and `end` build schema classes while this
# module is imported; `make mutants` switches a mutant on only after import, so no test could
# kill theirs. What they build is pinned by the HTTP bodies and the OpenAPI tests.

# JavaScript's Number.MAX_SAFE_INTEGER: the largest count Rocket.Chat can hold exactly; it also
# keeps `$skip` inside MongoDB's 64-bit integers.
MAX_SAFE_INTEGER = 2**53 - 1

# What Ajv's type coercion accepts as a number: a decimal with optional fraction and exponent.
_NUMERIC = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*", re.ASCII)


class JsNumber(fields.Field[int]):
    """A query-string number as Ajv coerces it, truncated as Rocket.Chat's `parseInt` does."""

    default_error_messages = {"invalid": "must be number"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str) or not _NUMERIC.fullmatch(value):
            raise self.make_error("invalid")
        number = float(value)
        if number < 0:
            raise ValidationError("must be >= 0")
        if number > MAX_SAFE_INTEGER:
            raise ValidationError(f"must be <= {MAX_SAFE_INTEGER}")
        return int(number)


# pragma: no mutate start
# An absent optional parameter is simply absent from the loaded data (no `load_default`), so the
# OpenAPI document states no default that is not true; the descriptions go into that document.
def _string(name: str, description: str, *, required: bool = False) -> fields.String:
    messages: dict[str, str | list[Any] | dict[Any, Any]] = {
        "invalid": "must be string",
        "required": f"must have required property '{name}'",
    }
    return fields.String(
        required=required,
        data_key=name,
        error_messages=messages,
        metadata={"description": description},
    )


def _count(name: str, description: str, *, load_default: Any = missing) -> JsNumber:
    return JsNumber(
        data_key=name,
        # JsNumber refuses both ends itself with Rocket.Chat's messages; the Range states them
        # in the OpenAPI document.
        validate=Range(min=0, max=MAX_SAFE_INTEGER),
        load_default=load_default,
        metadata={"description": description},
    )


def _sort(order: str) -> fields.String:
    # Rocket.Chat's schemas allow `sort`; our order is fixed.
    return _string("sort", f"Accepted and ignored: rows are ordered by {order}.")


def _offset() -> JsNumber:
    return _count("offset", "Rows to skip.", load_default=0)


def _page_size() -> JsNumber:
    return _count(
        "count",
        "Rows to return. Absent: Rocket.Chat's `API_Default_Count` (50); at most "
        "`API_Upper_Count_Limit` (100); `0` returns every row while `API_Allow_Infinite_Count` "
        "is on (the default).",
    )


# pragma: no mutate end
@dataclass(frozen=True, slots=True)
class ReportQuery:
    """A validated query, before the workspace's paging rules are applied."""

    start: datetime
    end: datetime
    department_id: str | None
    answered: bool
    offset: int
    count: int | None
    # The days `start`/`end` name when written as a date alone (see `dates.written_day`).
    start_day: date | None = None
    end_day: date | None = None
    full_report: bool = False

    def params(self, workspace: Workspace) -> ReportParams:
        return ReportParams(
            start=self.start,
            end=self.end,
            page=workspace.page(self.offset, self.count),
            department_id=self.department_id,
            answered=self.answered,
            inactivity_timeout=workspace.visitor_inactivity_timeout,
            server_timezone=workspace.server_timezone,
            start_day=self.start_day,
            end_day=self.end_day,
            full_report=self.full_report,
        )


class WindowQuery(Schema):
    """`start` and `end`, which every report of both families takes first; subclasses add the
    rest in Rocket.Chat's schema order (Ajv reports the first failing property in that order)."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "must NOT have additional properties"}  # noqa: RUF012

    start = _string(
        "start",
        "Start of the window, inclusive: ISO 8601 (`2020-09-10`, `2020-09-10T23:59:22.345Z`, "
        "with or without an offset) or a form JavaScript's `Date.parse` accepts "
        "(`Thu, 10 Sep 2020 23:59:22 GMT`). No offset means UTC.",
        required=True,
    )
    end = _string(
        "end",
        "End of the window, inclusive; the same forms as `start`. Before `start`: no rows.",
        required=True,
    )

    @post_load
    def _to_query(self, data: dict[str, Any], **_: Any) -> ReportQuery:
        start = parse_js_date(data["start"])
        if start is None:
            raise BadRequest('The "start" query parameter must be a valid date.')
        end = parse_js_date(data["end"])
        if end is None:
            raise BadRequest('The "end" query parameter must be a valid date.')
        department = data.get("department_id")
        return ReportQuery(
            start=start,
            end=end,
            # Rocket.Chat ignores an empty value and the literal string "undefined".
            department_id=department if department not in (None, "", "undefined") else None,
            answered=data.get("answered") == "true",
            offset=data["offset"],
            count=data.get("count"),
            start_day=written_day(data["start"]),
            end_day=written_day(data["end"]),
            # Rocket.Chat's route: `fullReport && fullReport === 'true'`.
            full_report=data.get("full_report") == "true",
        )


class DepartmentReportQuery(WindowQuery):
    """The parameters every department report takes."""

    department_id = _string(
        "departmentId", "Only this department; empty or `undefined` mean every department."
    )
    sort = _sort("the report's value, descending, then `_id`")
    offset = _offset()
    count = _page_size()


class AmountOfChatsQuery(DepartmentReportQuery):
    # Only the string "true" selects answered chats; absence and any other value select
    # unanswered ones, as Rocket.Chat's route does (`answered === 'true'`).
    answered = _string(
        "answered",
        "`true` counts answered chats. Any other value, and absence, count the chats still "
        "waiting for an answer, as Rocket.Chat does.",
    )


class AgentReportQuery(WindowQuery):
    """The parameters of the agents family's service-time reports (no `departmentId`)."""

    sort = _sort("`username` (byte order, null first), then `_id`")
    offset = _offset()
    count = _page_size()


class AgentAvailabilityQuery(AgentReportQuery):
    full_report = _string(
        "fullReport",
        "`true` adds each agent's `serviceHistory` (the intervals of the agent's earliest day "
        "in the window); any other value, and absence, leave it out.",
    )


def first_error(schema: Schema, messages: Mapping[str, Any]) -> str:
    """The message Ajv would report first for these marshmallow errors: a missing required
    property, then an unknown one, then the first invalid one in declared order. `messages` is
    never empty, and a field's messages are a list (no query schema nests another)."""
    declared = {field.data_key or name: field for name, field in schema.load_fields.items()}
    required = [key for key, field in declared.items() if field.required]
    unknown = [key for key in messages if key not in declared]
    first = next(key for key in [*required, *unknown, *declared] if key in messages)
    return str(messages[first][0])


def load_query(schema: Schema, query: MultiMapping[str]) -> ReportQuery:
    """Validate a query string; a repeated name arrives as a list, which no field accepts."""
    raw: dict[str, str | list[str]] = {}
    for name in dict.fromkeys(query.keys()):
        values = query.getall(name)
        raw[name] = values[0] if len(values) == 1 else values
    try:
        loaded: ReportQuery = schema.load(raw)
    except ValidationError as error:
        raise InvalidParams(first_error(schema, error.messages_dict)) from None
    return loaded


# pragma: no mutate start
def _envelope(
    name: str,
    metrics: Mapping[str, fields.Field[Any]],
    *,
    family: str = "departments",
    row: str = "Department",
    identity: Mapping[str, fields.Field[Any]] | None = None,
) -> Schema:
    """`{<family>: [{<identity>, <metrics>}], count, offset, total, success}`; the identity of
    a department row is its `_id`."""
    if identity is None:
        identity = {"_id": fields.String(required=True, allow_none=True)}
    # `required` documents that every key is always sent (dumping ignores it).
    rows = Schema.from_dict({**identity, **metrics}, name=f"{name}{row}")
    envelope = Schema.from_dict(
        {
            family: fields.List(fields.Nested(rows), required=True),
            "count": fields.Integer(required=True),
            "offset": fields.Integer(required=True),
            "total": fields.Integer(required=True),
            "success": fields.Boolean(required=True),
        },
        name=f"{name}Response",
    )
    return envelope()


def _metric() -> fields.Integer:
    return fields.Integer(required=True)


# pragma: no mutate end
# Whole numbers are JSON integers (13, not 13.0), as Rocket.Chat's JavaScript writes them.
AmountOfChatsResponse = _envelope("AmountOfChats", {"rooms": _metric()})
AverageServiceTimeResponse = _envelope(
    "AverageServiceTime", {"averageServiceTimeInSeconds": _metric()}
)
AverageChatDurationTimeResponse = _envelope(
    "AverageChatDurationTime", {"averageChatDurationTimeInSeconds": _metric()}
)
TotalServiceTimeResponse = _envelope(
    "TotalServiceTime", {"chats": _metric(), "serviceTimeDuration": _metric()}
)
AverageWaitingTimeResponse = _envelope(
    "AverageWaitingTime", {"averageWaitingTimeInSeconds": _metric()}
)
TotalTransferredChatsResponse = _envelope(
    "TotalTransferredChats", {"numberOfTransferredRooms": _metric()}
)
TotalAbandonedChatsResponse = _envelope("TotalAbandonedChats", {"abandonedRooms": _metric()})
PercentageAbandonedChatsResponse = _envelope(
    "PercentageAbandonedChats", {"percentageOfAbandonedChats": _metric()}
)


class JsonNumber(fields.Float):
    """A number as JavaScript's JSON writes it: a whole one is an integer (`12`, not `12.0`)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class JsDate(fields.Field[datetime]):
    """A date as JavaScript's JSON writes it (`Date.prototype.toISOString`): UTC, milliseconds,
    `Z` (`2026-10-25T08:00:00.000Z`). Stored dates without a zone are UTC."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if not isinstance(value, datetime):
            return value
        moment = value.astimezone(UTC) if value.tzinfo else value
        return (
            f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
        )


# pragma: no mutate start
def _agent_envelope(name: str, metrics: Mapping[str, fields.Field[Any]]) -> Schema:
    """`{agents: [{_id, username, <metrics>}], count, offset, total, success}`."""
    return _envelope(
        name,
        metrics,
        family="agents",
        row="Agent",
        identity={
            "_id": fields.String(required=True),
            "username": fields.String(required=True, allow_none=True),
        },
    )


# pragma: no mutate end
AgentAverageServiceTimeResponse = _agent_envelope(
    "AgentAverageServiceTime", {"averageServiceTimeInSeconds": _metric()}
)
AgentTotalServiceTimeResponse = _agent_envelope(
    "AgentTotalServiceTime", {"chats": _metric(), "serviceTimeDuration": _metric()}
)
ServiceInterval = Schema.from_dict(
    {
        "startedAt": JsDate(metadata={"description": "The agent became available."}),
        "stoppedAt": JsDate(
            metadata={
                "description": "The agent stopped being available (absent while still available)."
            }
        ),
    },
    name="ServiceInterval",
)
# No `_id` in these rows, as in Rocket.Chat; `serviceHistory` only with `fullReport=true`.
AgentAvailableForServiceHistoryResponse = _envelope(
    "AgentAvailableForServiceHistory",
    {
        "availableTimeInSeconds": JsonNumber(
            required=True, metadata={"description": "The sum of the days' `availableTime`."}
        ),
        "serviceHistory": fields.List(
            fields.Nested(ServiceInterval),
            allow_none=True,
            metadata={
                "description": "Only with `fullReport=true`: the intervals of the agent's "
                "earliest day in the window."
            },
        ),
    },
    family="agents",
    row="Agent",
    identity={"username": fields.String(required=True, allow_none=True)},
)


# The longest request target the memo keeps. A dashboard's URL is a few hundred bytes; longer
# ones (a 60 KB `sort`, say) are validated on every request instead of being kept, so the memo
# holds at most `max_entries` times this many bytes of targets.
MAX_MEMO_TARGET = 2048


@dataclass(frozen=True, slots=True)
class Memoized:
    """A validated URL: its parameters under one settings snapshot, and the result cache's key
    for them, hashed once."""

    query: ReportQuery
    workspace: Workspace
    params: ReportParams
    key: CacheKey
    # What the key holds that a caller sized (for the result cache's byte bound).
    key_bytes: int


class QueryMemo:
    """Report parameters by raw request target. Dashboards repeat the same URL, and validation
    is a pure function of it (and of the workspace's paging settings), so each distinct URL is
    validated once per settings snapshot. Failures are not kept: they carry no answer."""

    def __init__(self, max_entries: int = 2048, max_target: int = MAX_MEMO_TARGET) -> None:
        self._max_entries = max_entries
        self._max_target = max_target
        # Least recently used first.
        self._memo: OrderedDict[str, Memoized] = OrderedDict()

    def __len__(self) -> int:
        return len(self._memo)

    def lookup(
        self,
        report: str,
        schema: Schema,
        target: str,
        query: Callable[[], MultiMapping[str]],
        workspace: Workspace,
    ) -> Memoized:
        """`target` is the raw path and query string; `query()` parses it, only when needed."""
        known = self._memo.get(target)
        if known is not None and known.workspace is workspace:
            self._memo.move_to_end(target)
            return known
        loaded = known.query if known is not None else load_query(schema, query())
        params = loaded.params(workspace)
        found = Memoized(
            loaded,
            workspace,
            params,
            # The same key object as long as the parameters are the same: the result cache
            # then finds its entry by identity, without comparing parameters.
            known.key
            if known is not None and known.params == params
            else CacheKey((report, params)),
            # The only part of the key a caller sizes.
            len(params.department_id or ""),
        )
        if len(target) <= self._max_target:
            self._memo[target] = found
            self._memo.move_to_end(target)
            while len(self._memo) > self._max_entries:
                self._memo.popitem(last=False)
        return found
