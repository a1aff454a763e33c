"""Plain-Python answers to the reports, written from ../shared/CONTRACT.md — not from the
pipelines — so a pipeline that drifts from the contract disagrees with them."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

Row = dict[str, Any]


def _utc(moment: datetime) -> datetime:
    # Stored dates come back naive from the embedded backend and aware from the driver.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _in_window(document: Row, start: datetime, end: datetime) -> bool:
    ts = document.get("ts")
    return isinstance(ts, datetime) and start <= _utc(ts) <= end


def _ordered(rows: list[Row], metric: str) -> list[Row]:
    """Metric descending, then `_id` ascending with null first (MongoDB sorts null before
    strings)."""
    return sorted(rows, key=lambda r: (-r[metric], r["_id"] is not None, r["_id"] or ""))


def page(rows: list[Row], offset: int, limit: int | None) -> list[Row]:
    return rows[offset:] if limit is None else rows[offset : offset + limit]


def amount_of_chats(
    rooms: Iterable[Row],
    start: datetime,
    end: datetime,
    *,
    answered: bool = False,
    department: str | None = None,
) -> list[Row]:
    """Every department's room count, in the contract's order (all rows, before paging).

    Counted: livechat rooms (`t == "l"`) created in [start, end]; answered=True keeps rooms
    whose `waitingResponse` is not true, otherwise only rooms still waiting (true); a given
    department keeps only its rooms. Rooms without a department (missing or null) are one row
    whose `_id` is None."""
    counts: dict[Any, int] = {}
    for document in rooms:
        if document.get("t") != "l" or not _in_window(document, start, end):
            continue
        waiting = document.get("waitingResponse") is True
        if waiting == answered:
            continue
        if department is not None and document.get("departmentId") != department:
            continue
        key = document.get("departmentId")
        counts[key] = counts.get(key, 0) + 1
    return _ordered([{"_id": key, "rooms": n} for key, n in counts.items()], "rooms")
