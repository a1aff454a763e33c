"""The shape every agents report shares, and the grouping key Rocket.Chat uses for an agent.

`$match` (as two stages, see `pipelines.stages.match_on_index`) → (`joins`) → `$group` by
(agent id, username) → `$project` `{_id, username, <row>}` → `$sort` by `username`, ties by
`_id` → `$facet` into the number of agents and a page (then `finish` on the page's rows).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.params import Page
from pipelines.stages import Stage, match_on_index, paged

# Rocket.Chat sorts on `username`; MongoDB compares strings byte by byte (the simple collation)
# and puts null before strings. `_id` breaks ties (two ids under one username), so pages are
# deterministic and never overlap.
ORDER = {"username": 1, "_id": 1}


def by_agent(agent_id: str, username: str) -> dict[str, Any]:
    """Rocket.Chat's group key: id *and* username, so a renamed agent is two rows.

    `$ifNull` makes a missing username and a null one the same key on every backend (a bare
    `"$field"` inside a compound key splits them on MongoDB and on the fakes alike, into rows
    that would both show `username: null`); we send one row for them, with `username: null`.
    """
    return {"_id": agent_id, "username": {"$ifNull": [username, None]}}


def agent_report(
    *,
    match: Mapping[str, Any],
    key: Mapping[str, Any],
    accumulators: Mapping[str, Any],
    row: Mapping[str, Any],
    page: Page,
    joins: Sequence[Stage] = (),
    finish: Sequence[Stage] = (),
) -> list[Stage]:
    """The whole report. Rows are `{_id, username, <row>}` before `finish`."""
    return [
        *match_on_index(match),
        *joins,
        {"$group": {"_id": dict(key), **accumulators}},
        {"$project": {"_id": "$_id._id", "username": "$_id.username", **row}},
        {"$sort": ORDER},
        paged(page, finish),
    ]
