"""mongomock's `aggregate`, minus the work it repeats on every call; the same rows.

mongomock's `Collection.aggregate` deep-copies the whole collection, then its `$match`
re-converts every document's dates (already converted when they were stored) before filtering,
and its `$lookup` scans the foreign collection once per input document. On the demo data that
made a report 0.4-0.6 s and total-transferred-chats several seconds, all on the event loop.

Here, for a read-only collection (the embedded backend never writes after seeding):
- the leading `$match` stages run on the stored documents, and only the survivors are copied.
  The first is served by an index on `(t, ts)` (the fields of Rocket.Chat's index that every
  report's first `$match` names) where the index is sure of the answer, and by mongomock's own
  filter (`filter_applies`, the spec converted as mongomock converts it) everywhere else; the
  others by mongomock's filter;
- a `$lookup` on the foreign `_id` with a string or ObjectId value is a dictionary lookup
  (`_id` is unique and never an array, so `{_id: value}` matches that one document or none);
  any other `$lookup` goes to mongomock's own handler;
- every other stage is mongomock's own handler, in order.

The pipelines are the ones MongoDB runs: nothing here changes a stage. Tests compare every report
with mongomock's plain `aggregate` on the demo data.
"""

import bisect
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from mongomock import aggregate as mongomock_aggregate
from mongomock import filtering, helpers

Document = dict[str, Any]

# The mongomock functions used here, typed (mongomock's own are not): its `$match` date
# conversion and filter, its stage dispatcher, its dotted-path read and its `$lookup`.
_as_stored: Callable[[Any], Any] = helpers.patch_datetime_awareness_in_document
_filter_applies: Callable[[Any, Any], bool] = filtering.filter_applies
_process_pipeline: Callable[[Any, Any, Any, Any], Iterable[Any]] = (
    mongomock_aggregate.process_pipeline
)
_value_by_dot: Callable[[Any, str], Any] = helpers.get_value_by_dot
_mongomock_lookup: Callable[[Any, Any, Any], Any] = mongomock_aggregate._handle_lookup_stage

# The `(t, ts)` index: the fields every report's first `$match` names (those of Rocket.Chat's
# `{t: 1, ts: 1}` index on rooms; transfers filter messages on the same two). Only documents whose
# top-level `t` is a string and `ts` a date are in it; the others are candidates for any match.
TYPE_FIELD = "t"
TIME_FIELD = "ts"
_RANGE_OPERATORS = frozenset({"$gte", "$gt", "$lte", "$lt"})
# Values that `{_id: value}` matches by plain equality: only the document whose `_id` equals it.
_HASHED_ID_TYPES = (str, ObjectId)


def _is_date_range(condition: Mapping[str, Any]) -> bool:
    """`{$gte/$gt/$lte/$lt: <date>, ...}`, nothing else."""
    return bool(condition) and all(
        operator in _RANGE_OPERATORS and type(value) is datetime
        for operator, value in condition.items()
    )


def copy_document(value: Any) -> Any:
    """A copy as deep as mongomock's `find` makes: new dicts and lists, the same leaves (every
    BSON leaf type is immutable)."""
    if isinstance(value, dict):
        return {key: copy_document(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_document(item) for item in value]
    return value


class Table:
    """One collection's stored documents, in storage order, with the `(t, ts)` and `_id`
    indexes."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self.documents = list(documents)
        # t value -> (ts values, positions) sorted by ts; the rest are always candidates.
        by_type: dict[str, list[tuple[datetime, int]]] = {}
        self._unindexed: list[int] = []
        for position, document in enumerate(self.documents):
            kind, ts = document.get(TYPE_FIELD), document.get(TIME_FIELD)
            if type(kind) is str and type(ts) is datetime:
                by_type.setdefault(kind, []).append((ts, position))
            else:
                self._unindexed.append(position)
        self._by_type = {
            kind: ([ts for ts, _ in entries], [position for _, position in entries])
            for kind, entries in ((k, sorted(v)) for k, v in by_type.items())
        }
        # Only when every `_id` is exactly a str or an ObjectId: then `{_id: v}` for such a `v`
        # is plain equality, which a dictionary answers.
        ids = [document.get("_id") for document in self.documents]
        self._by_id: dict[Any, Document] | None = (
            dict(zip(ids, self.documents, strict=True))
            if all(type(value) in _HASHED_ID_TYPES for value in ids)
            else None
        )

    def select(self, spec: Mapping[str, Any]) -> list[Document]:
        """The stored documents `spec` (converted by mongomock's rules) matches, in storage
        order: from the index where it can say for sure, by mongomock's filter elsewhere.

        The index is sure of a `{t: <string>, ts: {<range of dates>}}` match (either part
        optional) for the documents it holds: a string equals a string, and mongomock compares
        two dates as Python does. Any other field, or any other kind of condition on `t` or
        `ts`, leaves the index as a narrowing only, and mongomock's filter decides.
        """
        kind = spec.get(TYPE_FIELD)
        if type(kind) is not str:
            return self._filtered(range(len(self.documents)), spec)
        times, positions = self._by_type.get(kind, ([], []))
        low, high = 0, len(times)
        sure = set(spec) <= {TYPE_FIELD, TIME_FIELD}
        bounds = spec.get(TIME_FIELD)
        if isinstance(bounds, Mapping) and _is_date_range(bounds):
            for operator, value in bounds.items():
                if operator == "$gte":
                    low = max(low, bisect.bisect_left(times, value))
                elif operator == "$gt":
                    low = max(low, bisect.bisect_right(times, value))
                elif operator == "$lte":
                    high = min(high, bisect.bisect_right(times, value))
                else:
                    high = min(high, bisect.bisect_left(times, value))
        elif TIME_FIELD in spec:
            sure = False
        indexed = positions[low:high]
        if sure:
            return self._merged(indexed, self._filtered_positions(self._unindexed, spec))
        return self._merged(
            self._filtered_positions(indexed, spec),
            self._filtered_positions(self._unindexed, spec),
        )

    def _filtered_positions(self, positions: Iterable[int], spec: Mapping[str, Any]) -> list[int]:
        return [p for p in positions if _filter_applies(spec, self.documents[p])]

    def _filtered(self, positions: Iterable[int], spec: Mapping[str, Any]) -> list[Document]:
        return [self.documents[p] for p in self._filtered_positions(positions, spec)]

    def _merged(self, *groups: list[int]) -> list[Document]:
        return [self.documents[p] for p in sorted(itertools.chain(*groups))]

    def by_id(self, value: Any) -> list[Document] | None:
        """The documents `{_id: value}` matches, or None when the index cannot say."""
        if self._by_id is None:
            return None
        if value is None:  # matches a null or missing `_id`, and every `_id` here is a value
            return []
        if type(value) not in _HASHED_ID_TYPES:
            return None
        found = self._by_id.get(value)
        return [] if found is None else [found]


def _leading_matches(table: Table, pipeline: Sequence[Mapping[str, Any]]) -> tuple[list[Any], int]:
    """The stored documents that pass the pipeline's leading `$match` stages (not copied), and
    how many stages that consumed."""
    documents = table.documents
    used = 0
    for stage in pipeline:
        if list(stage) != ["$match"]:
            break
        # As mongomock's `$match`: the spec's dates made naive UTC, millisecond precision. The
        # stored documents were converted the same way when they were inserted.
        spec = _as_stored(stage["$match"])
        if used == 0:
            documents = table.select(spec)
        else:
            documents = [d for d in documents if _filter_applies(spec, d)]
        used += 1
    return documents, used


class Engine:
    """Aggregations over one mongomock database that is no longer written to."""

    def __init__(self, database: Any) -> None:
        self._database = database
        self._tables = {
            name: Table(database.get_collection(name).find())
            for name in database.list_collection_names()
        }

    def aggregate(self, collection: str, pipeline: Sequence[Mapping[str, Any]]) -> list[Any]:
        """The rows mongomock's `database[collection].aggregate(pipeline)` returns."""
        table = self._tables.get(collection)
        if table is None:  # never seeded: mongomock's own answer for an empty collection
            return list(self._database.get_collection(collection).aggregate(list(pipeline)))
        stored, used = _leading_matches(table, pipeline)
        rest = pipeline[used:]
        if rest and list(rest[0]) == ["$group"]:
            # mongomock's `$group` only reads its input, and its output (a row per group) is
            # copied, since an accumulator such as `$first` may hand back a stored sub-document:
            # the stored documents need no copy.
            documents = self._run(rest[0], stored)
            documents = [copy_document(d) for d in documents]
            rest = rest[1:]
        else:
            documents = [copy_document(d) for d in stored]
        for stage in rest:
            if list(stage) == ["$lookup"] and self._lookup(documents, stage["$lookup"]):
                continue
            documents = self._run(stage, documents)
        return documents

    def _run(self, stage: Mapping[str, Any], documents: list[Any]) -> list[Any]:
        """One stage through mongomock's own handler."""
        return list(_process_pipeline(documents, self._database, [stage], None))

    def _lookup(self, documents: list[Any], options: Mapping[str, Any]) -> bool:
        """Join `documents` in place through the foreign table's `_id` index; False (nothing
        done) when the stage is not that simple shape, for mongomock to run it."""
        fields = ("from", "localField", "foreignField", "as")
        if set(options) != set(fields) or not all(isinstance(options[f], str) for f in fields):
            return False
        if options["foreignField"] != "_id" or options["as"].startswith("$"):
            return False
        if "." in options["as"] or options["localField"].startswith("$"):
            return False
        foreign = self._tables.get(options["from"])
        if foreign is None:
            return False
        for document in documents:
            try:
                value = _value_by_dot(document, options["localField"])
            except KeyError:
                value = None
            found = foreign.by_id(value)
            if found is None:  # not a plain value: mongomock's own join for this document
                _mongomock_lookup([document], self._database, options)
            else:
                document[options["as"]] = [copy_document(d) for d in found]
        return True
