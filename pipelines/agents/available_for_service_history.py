"""agents/available-for-service-history: how long each agent was available, in whole days.

Rocket.Chat's `LivechatAgentActivity.findAvailableServiceTimeHistory`: activity documents
(`{agentId, date: YYYYMMDD, availableTime: seconds, serviceHistory: [{startedAt, stoppedAt}]}`,
one per agent and day) whose `date` lies between the calendar days of `start` and `end` in
Rocket.Chat's server zone, joined to `users` by `agentId` (activity of deleted users drops out),
grouped by (user id, username). Output rows: `{username, availableTimeInSeconds}` (the sum as
stored), plus `serviceHistory` with `full_report` — no `_id`, as in Rocket.Chat.
"""

from datetime import date, datetime

from pipelines.agents.stages import agent_report, by_agent
from pipelines.params import ReportParams
from pipelines.stages import Stage
from pipelines.zones import load_zone

ACTIVITY = "rocketchat_livechat_agent_activity"
USERS = "users"
METRIC = "availableTimeInSeconds"


def day_number(day: date) -> int:
    """Rocket.Chat's `date` field: `moment(...).format('YYYYMMDD')` as an integer."""
    return day.year * 10_000 + day.month * 100 + day.day


def server_day(moment: datetime, written: date | None, zone: str) -> int:
    """A bound's day: the day written when the value was a date alone, else the day the instant
    falls on in the server's zone (a date-time is converted to it first)."""
    return day_number(written if written is not None else moment.astimezone(load_zone(zone)).date())


def days(params: ReportParams) -> tuple[int, int]:
    """The first and last day of the window, both inclusive."""
    zone = params.server_timezone
    return (
        server_day(params.start, params.start_day, zone),
        server_day(params.end, params.end_day, zone),
    )


def _agent_of_each_day(full_report: bool) -> list[Stage]:
    # Rocket.Chat's `serviceHistory` is the `$first` document's; sorting on `date` first makes
    # that the agent's earliest day (an index scan on `{date: 1}` gives this order for free).
    # `$lookup` and `$unwind` keep the order of their input. No tie-break is needed: the unique
    # `{agentId: 1, date: 1}` index allows one document per agent and day.
    ordered: list[Stage] = [{"$sort": {"date": 1}}] if full_report else []
    return [
        *ordered,
        {"$lookup": {"from": USERS, "localField": "agentId", "foreignField": "_id", "as": "user"}},
        # Without `preserveNullAndEmptyArrays`: activity of a deleted user is dropped.
        {"$unwind": "$user"},
    ]


def build(params: ReportParams) -> list[Stage]:
    first, last = days(params)
    accumulators: dict[str, object] = {METRIC: {"$sum": "$availableTime"}}
    row: dict[str, object] = {METRIC: 1}
    if params.full_report:
        # null when the earliest day has no intervals stored. Without `$ifNull`, mongomock's
        # `$first` skips documents that lack the field and takes a later day's.
        accumulators["serviceHistory"] = {"$first": {"$ifNull": ["$serviceHistory", None]}}
        row["serviceHistory"] = 1
    return agent_report(
        # Rocket.Chat's indexes on the activity collection: `{date: 1}` and unique `{agentId: 1,
        # date: 1}`; the window is on `date` alone, so this is one `$match`.
        match={"date": {"$gte": first, "$lte": last}},
        joins=_agent_of_each_day(params.full_report),
        key=by_agent("$user._id", "$user.username"),
        accumulators=accumulators,
        row=row,
        page=params.page,
        finish=[{"$project": {"_id": 0}}],
    )
