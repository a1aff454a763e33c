"""The metric registry: each of the eleven metrics defined once, for the drop-in and our own API.

A metric is a `Definition` — which documents count (the window they are matched on, Rocket.Chat's
extra conditions) and what is accumulated over them — and a formula over those accumulators. The
drop-in department reports (`pipelines/<report>.py`) are built from these definitions, and so are
the scorecard and the time series, so a number means the same thing wherever it appears
(EXTENSIONS.md, "Metrics": every metric equals a drop-in report's number). Two metrics that come
from one report (`serviceTimeChats` and `totalServiceTimeSeconds`, total-service-time) share its
definition.

Source of every condition: Rocket.Chat's `apps/meteor/app/livechat/server/lib/analytics/
departments.ts` and the `LivechatRooms` model, as CONTRACT.md records them.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from pipelines.stages import LIVECHAT_ROOM, Stage, ceil_average

ROOMS = "rocketchat_room"
MESSAGES = "rocketchat_message"
TRANSFER = "livechat_transfer_history"

Expression = Any


class Window(Enum):
    """How a definition's documents fall into a window [start, end] (both inclusive)."""

    # Rooms created in the window.
    CREATED = "created"
    # Rooms created at or after `start` and closed at or before `end` (Rocket.Chat's window for
    # the reports on closed chats).
    CLOSED = "closed"
    # Transfer-history messages sent in the window.
    SENT = "sent"


def _nothing(timeout: float) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class Definition:
    """The documents one drop-in report counts, and what it accumulates over them per group."""

    name: str
    window: Window
    # `$match` conditions besides the window and the department, given the inactivity timeout.
    conditions: Callable[[float], dict[str, Any]]
    # `$group` accumulators, given the inactivity timeout.
    accumulators: Callable[[float], dict[str, Any]]

    @property
    def collection(self) -> str:
        return MESSAGES if self.window is Window.SENT else ROOMS

    @property
    def department_field(self) -> str:
        """The field that holds a document's department, once `joins()` have run."""
        return "room.departmentId" if self.window is Window.SENT else "departmentId"

    def window_match(self, start: datetime, end: datetime) -> dict[str, Any]:
        """The window's conditions, exactly as the drop-in report matches them."""
        if self.window is Window.CREATED:
            return {"t": LIVECHAT_ROOM, "ts": {"$gte": start, "$lte": end}}
        if self.window is Window.CLOSED:
            return {"t": LIVECHAT_ROOM, "ts": {"$gte": start}, "closedAt": {"$lte": end}}
        return {"t": TRANSFER, "ts": {"$gte": start, "$lte": end}}

    def match(
        self,
        start: datetime,
        end: datetime,
        timeout: float,
        department: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The whole `$match` of the drop-in report. `department` (a condition on
        `departmentId`) is placed where the drop-in has always put it; for transfers it is not
        part of this match (the department is the joined room's, see `joins`)."""
        where = self.window_match(start, end)
        if department and self.window is not Window.SENT:
            where.update(department)
        where.update(self.conditions(timeout))
        return where

    def rest(self, end: datetime, timeout: float) -> dict[str, Any]:
        """The conditions beyond `t` and a two-sided `ts` range, for pipelines that match every
        definition's window at once with `{t, ts: {$gte: start, $lte: end}}` first."""
        where = {"closedAt": {"$lte": end}} if self.window is Window.CLOSED else {}
        where.update(self.conditions(timeout))
        return where

    def joins(self) -> list[Stage]:
        """Stages that give each document its department (only transfers need one): the
        message's room by `rid`. A message whose room is gone keeps counting, under the null
        department: Rocket.Chat unwinds with `preserveNullAndEmptyArrays`."""
        if self.window is not Window.SENT:
            return []
        return [
            {
                "$lookup": {
                    "from": ROOMS,
                    "localField": "rid",
                    "foreignField": "_id",
                    "as": "room",
                }
            },
            {"$unwind": {"path": "$room", "preserveNullAndEmptyArrays": True}},
        ]


@dataclass(frozen=True, slots=True)
class Metric:
    """One number of our API: a definition and the formula over its accumulators."""

    name: str
    definition: Definition
    formula: Expression


# pragma: no mutate start
# Called while this module is imported, to build the definitions below: `make mutants` switches
# a mutant on only after import, so no test could kill this function's.
def _count(name: str) -> Callable[[float], dict[str, Any]]:
    return lambda timeout: {name: {"$sum": 1}}


# pragma: no mutate end


def _abandoned_flag(timeout: float) -> dict[str, Any]:
    # A flag counted with $cond, never a summed boolean. In aggregation comparisons a missing
    # or null field sorts below every number, so `$gte` alone also means "present".
    return {"$cond": [{"$gte": ["$metrics.visitorInactivity", timeout]}, 1, 0]}


# Every livechat room created in the window: percentage-abandoned-chats' rooms, and
# amount-of-chats answered plus unanswered (`waitingResponse` `$ne: true` and `$eq: true` split
# every room in two).
CREATED = Definition(
    "created",
    Window.CREATED,
    _nothing,
    lambda timeout: {"rooms": {"$sum": 1}, "abandoned": {"$sum": _abandoned_flag(timeout)}},
)
# amount-of-chats with `answered=true`. `$ne: true` also matches rooms whose field is missing or
# null, which is what an answered room looks like (Rocket.Chat unsets it on the first reply).
ANSWERED = Definition(
    "answered",
    Window.CREATED,
    lambda timeout: {"waitingResponse": {"$ne": True}},
    _count("rooms"),
)
# amount-of-chats without `answered` (Rocket.Chat's quirk: rooms still waiting for an answer).
UNANSWERED = Definition(
    "unanswered",
    Window.CREATED,
    lambda timeout: {"waitingResponse": {"$eq": True}},
    _count("rooms"),
)
# average-waiting-time: answered rooms; a room without `ft` adds 0 but counts.
WAITING = Definition(
    "waiting",
    Window.CREATED,
    lambda timeout: {"waitingResponse": {"$ne": True}},
    lambda timeout: {"rooms": {"$sum": 1}, "firstResponse": {"$sum": "$metrics.response.ft"}},
)
# average-service-time: rooms an agent took and answered. A room without `servedBy.ts` adds
# nothing (the `$subtract` is null, which `$sum` ignores) but counts in the denominator.
SERVED = Definition(
    "served",
    Window.CREATED,
    lambda timeout: {
        "responseBy.lastMessageTs": {"$exists": True},
        "servedBy._id": {"$exists": True},
    },
    lambda timeout: {
        "rooms": {"$sum": 1},
        "serviceSeconds": {
            "$sum": {
                "$divide": [{"$subtract": ["$responseBy.lastMessageTs", "$servedBy.ts"]}, 1000]
            }
        },
    },
)
# average-chat-duration-time: a room without a duration adds 0 but counts.
CLOSED = Definition(
    "closed",
    Window.CLOSED,
    _nothing,
    lambda timeout: {"rooms": {"$sum": 1}, "duration": {"$sum": "$metrics.chatDuration"}},
)
# total-service-time: closed rooms that have a service time.
SERVICE_TIME = Definition(
    "serviceTime",
    Window.CLOSED,
    lambda timeout: {"metrics.serviceTimeDuration": {"$exists": True}},
    lambda timeout: {
        "chats": {"$sum": 1},
        "serviceTime": {"$sum": "$metrics.serviceTimeDuration"},
    },
)
# total-abandoned-chats: closed rooms whose visitor went quiet past the inactivity timeout.
ABANDONED = Definition(
    "abandoned",
    Window.CLOSED,
    lambda timeout: {"metrics.visitorInactivity": {"$gte": timeout}},
    _count("abandonedRooms"),
)
# total-transferred-chats: every transfer message counts (not distinct rooms).
TRANSFERS = Definition("transfers", Window.SENT, _nothing, _count("numberOfTransferredRooms"))

DEFINITIONS = (
    CREATED,
    ANSWERED,
    UNANSWERED,
    WAITING,
    SERVED,
    CLOSED,
    SERVICE_TIME,
    ABANDONED,
    TRANSFERS,
)

# floor(100 * abandoned / rooms), multiplied before dividing, so 29 of 100 is 29 (0.29 * 100 is
# 28.999… in binary floating point).
_SHARE = {"$floor": {"$divide": [{"$multiply": ["$abandoned", 100]}, "$rooms"]}}

# The eleven metrics, in the contract's order (the scorecard's default order).
METRICS = (
    Metric("chats", CREATED, "$rooms"),
    Metric("answeredChats", ANSWERED, "$rooms"),
    Metric("unansweredChats", UNANSWERED, "$rooms"),
    Metric("averageChatDurationSeconds", CLOSED, ceil_average("$duration", "$rooms")),
    Metric("averageServiceTimeSeconds", SERVED, ceil_average("$serviceSeconds", "$rooms")),
    Metric("averageWaitingTimeSeconds", WAITING, ceil_average("$firstResponse", "$rooms")),
    Metric("serviceTimeChats", SERVICE_TIME, "$chats"),
    Metric("totalServiceTimeSeconds", SERVICE_TIME, {"$ceil": "$serviceTime"}),
    Metric("transferredChats", TRANSFERS, "$numberOfTransferredRooms"),
    Metric("abandonedChats", ABANDONED, "$abandonedRooms"),
    Metric("abandonedPercentage", CREATED, {"$cond": [{"$gt": ["$rooms", 0]}, _SHARE, 0]}),
)
BY_NAME = {metric.name: metric for metric in METRICS}
NAMES = tuple(BY_NAME)


def metric(name: str) -> Metric:
    return BY_NAME[name]
