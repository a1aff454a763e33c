"""mongomock's `aggregate`, minus the work it repeats on every call; the same rows.

mongomock's `Collection.aggregate` deep-copies the whole collection, then its `$match`
re-converts every document's dates (already converted when they were stored) before filtering,
and its `$lookup` scans the foreign collection once per input document. On the demo data that
made a report 0.4-0.6 s and total-transferred-chats several seconds, all on the event loop; our
own scorecard (a `$facet` of a branch per metric definition, twice with `compare=previous`) took
seconds more.

Here, for a read-only collection (the embedded backend never writes after seeding):
- the leading `$match` stages run on the stored documents, and only the survivors are copied.
  The first is served by an index on `(t, ts)` (the fields of Rocket.Chat's index that every
  report's first `$match` names) where the index is sure of the answer, and by mongomock's own
  filter (`filter_applies`, the spec converted as mongomock converts it) everywhere else; the
  others by mongomock's filter;
- a `$lookup` on the foreign `_id` with a string or ObjectId value is a dictionary lookup
  (`_id` is unique and never an array, so `{_id: value}` matches that one document or none);
  any other `$lookup` goes to mongomock's own handler;
- a `$facet` runs each branch through this same path (mongomock's would run every branch's
  `$match` over every document, converting each document's dates again); branches opening with
  the same `$match` (the scorecard's answered and waiting-time branches) share its survivors;
- a `$match` on documents still in stored form (copies of stored documents, joined or unwound)
  skips mongomock's per-document date conversion, which would give back the same values;
- a `$group` computes each document's key once (mongomock computes it twice and sorts every
  document by it, in BSON order) and sorts only the distinct keys, where the groups are sure
  to be mongomock's; mongomock's own handler everywhere else. The time series' keys (a
  balanced `$cond` tree of date comparisons on `ts`, alone or with the department) are
  evaluated by compiled Python where the answer is sure, by mongomock's parser elsewhere;
- every other stage is mongomock's own handler, in order.

The pipelines are the ones MongoDB runs: nothing here changes a stage. Tests compare every report,
the scorecard and the time series with mongomock's plain `aggregate` on the demo data.
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
_parse_expression: Callable[..., Any] = mongomock_aggregate._parse_expression
_accumulate_group: Callable[[Any, list[Any]], dict[str, Any]] = (
    mongomock_aggregate._accumulate_group
)
_BsonComparable: Callable[[Any], Any] = filtering.BsonComparable

# The `(t, ts)` index: the fields every report's first `$match` names (those of Rocket.Chat's
# `{t: 1, ts: 1}` index on rooms; transfers filter messages on the same two). Only documents whose
# top-level `t` is a string and `ts` a date are in it; the others are candidates for any match.
TYPE_FIELD = "t"
TIME_FIELD = "ts"
_RANGE_OPERATORS = frozenset({"$gte", "$gt", "$lte", "$lt"})
# Values that `{_id: value}` matches by plain equality: only the document whose `_id` equals it.
_HASHED_ID_TYPES = (str, ObjectId)


# Stages after which documents that were in mongomock's stored form still are: they pass on,
# drop or reorder documents, join copies of stored documents, or unwind (deep-copy) them.
_KEEPS_STORED_FORM = frozenset({"$match", "$lookup", "$unwind", "$sort", "$skip", "$limit"})
# Group keys whose `==` is exact and whose hash agrees with it; a `float` is one unless NaN.
_EXACT_TYPES = frozenset({str, int, bool, type(None), datetime, ObjectId})


class _Inexact(Exception):
    """A group key outside `_EXACT_TYPES` (and dicts and lists of them)."""


def _exact(value: Any) -> Any:
    """A hashable stand-in for `value` that equals another's only when both are the same types
    and values throughout (so `1`, `1.0` and `True` differ, and dicts' key order counts)."""
    kind = type(value)
    if kind in _EXACT_TYPES or (kind is float and value == value):
        return (kind, value)
    if kind is dict:
        return (dict, tuple((key, _exact(item)) for key, item in value.items()))
    if kind is list:
        return (list, tuple(_exact(item) for item in value))
    raise _Inexact


def _group_key(key: Any, document: Any) -> Any:
    """A document's `$group` key, as mongomock's `$group` computes it."""
    try:
        return _parse_expression(key, document, ignore_missing_keys=True)
    except KeyError:
        return None


class _Unsure(Exception):
    """A compiled key cannot tell this document's key: mongomock's parser must."""


Compiled = Callable[[Any], Any]


def _compiled(expression: Any) -> Compiled | None:
    """A fast stand-in for mongomock's parser on the few `$group` key shapes our pipelines use
    (a top-level field, `$literal`, `$ifNull` with a null fallback, a `$cond` on `$lt` with a
    date, a document of those: the time series' bucket tree and its compound key), or None.

    It answers only where mongomock's parser surely gives the same value, and raises `_Unsure`
    elsewhere (a missing field, a value that is not a naive date where one is compared).
    """
    if type(expression) is str:
        field = expression[1:]
        if not expression.startswith("$") or field.startswith("$") or "." in field:
            return None

        def read(document: Any) -> Any:
            if type(document) is not dict or field not in document:
                raise _Unsure
            return document[field]

        return read
    if type(expression) is not dict or not expression:
        return None
    operators = [key for key in expression if key.startswith("$")]
    if not operators:  # a document: each field's value, in order
        parts = {key: _compiled(value) for key, value in expression.items()}
        known = {key: part for key, part in parts.items() if part is not None}
        if len(known) != len(parts):
            return None
        return lambda document: {key: part(document) for key, part in known.items()}
    if len(expression) != 1:
        return None
    operator, options = next(iter(expression.items()))
    if operator == "$literal" and type(options) in _EXACT_TYPES - {datetime, ObjectId}:
        return lambda document: options
    if operator == "$ifNull" and type(options) is list and len(options) == 2:
        value = _compiled(options[0])
        if value is None or options[1] is not None:
            return None
        return value  # a null value, or the null fallback: null either way
    if operator == "$cond" and type(options) is list and len(options) == 3:
        condition, when_true, when_false = options
        if type(condition) is not dict or list(condition) != ["$lt"]:
            return None
        operands = condition["$lt"]
        if type(operands) is not list or len(operands) != 2:
            return None
        bound = operands[1]
        value, yes, no = _compiled(operands[0]), _compiled(when_true), _compiled(when_false)
        if value is None or yes is None or no is None:
            return None
        if type(bound) is not datetime or bound.tzinfo is not None:
            return None

        def choose(document: Any) -> Any:
            moment = value(document)
            if type(moment) is not datetime or moment.tzinfo is not None:
                raise _Unsure  # mongomock's BSON comparison across types decides
            return yes(document) if moment < bound else no(document)

        return choose
    return None


def _group_keys(key: Any, documents: list[Any]) -> list[Any]:
    """Every document's `$group` key: compiled where it can be, else mongomock's."""
    compiled = _compiled(key)
    if compiled is None:
        return [_group_key(key, d) for d in documents]
    keys = []
    for document in documents:
        try:
            keys.append(compiled(document))
        except _Unsure:
            keys.append(_group_key(key, document))
    return keys


def _is_facet(options: Any) -> bool:
    """`{title: [stage, ...], ...}`: the shape mongomock's `$facet` runs."""
    return isinstance(options, dict) and all(
        isinstance(branch, list) and all(isinstance(stage, dict) and stage for stage in branch)
        for branch in options.values()
    )


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
            # `$group` only reads its input, and its output (a row per group) is copied, since
            # an accumulator such as `$first` may hand back a stored sub-document: the stored
            # documents need no copy.
            documents = [copy_document(d) for d in self._group(rest[0]["$group"], stored)]
            return self._pipeline(rest[1:], documents, stored_form=False)
        return self._pipeline(rest, [copy_document(d) for d in stored], stored_form=True)

    def _pipeline(
        self, stages: Sequence[Mapping[str, Any]], documents: list[Any], *, stored_form: bool
    ) -> list[Any]:
        """`stages` over `documents` (which they may change, as mongomock's handlers do).

        `stored_form`: every document is still in the form mongomock stores (and its `$match`
        converts to): copies of stored documents, perhaps joined to or unwound from other stored
        documents. A `$match` on them may skip mongomock's per-document conversion, which gives
        back the same values; any stage outside `_KEEPS_STORED_FORM` ends that.
        """
        for stage in stages:
            operators = list(stage)
            operator = operators[0] if len(operators) == 1 else None
            options: Any = stage[operator] if operator is not None else None
            if operator == "$match" and stored_form:
                spec = _as_stored(options)
                documents = [d for d in documents if _filter_applies(spec, d)]
            elif (
                operator == "$lookup"
                and isinstance(options, Mapping)
                and self._lookup(documents, options)
            ):
                pass
            elif operator == "$group" and isinstance(options, Mapping):
                documents = self._group(options, documents)
            elif operator == "$facet" and _is_facet(options):
                documents = [self._facet(options, documents, stored_form=stored_form)]
            else:
                documents = self._run(stage, documents)
            stored_form = stored_form and operator in _KEEPS_STORED_FORM
        return documents

    def _facet(
        self, options: Mapping[str, list[Any]], documents: list[Any], *, stored_form: bool
    ) -> dict[str, list[Any]]:
        """As mongomock's `$facet`: every branch runs on the same input documents. Branches
        that open with the same `$match` (a metric's by-department and total branches) share
        its survivors, each in a list of its own."""
        opened: dict[str, list[Any]] = {}
        out = {}
        for title, branch in options.items():
            head = branch[0] if branch else {}
            if stored_form and list(head) == ["$match"]:
                spec = _as_stored(head["$match"])
                survivors = opened.get(repr(spec))
                if survivors is None:
                    survivors = [d for d in documents if _filter_applies(spec, d)]
                    opened[repr(spec)] = survivors
                out[title] = self._pipeline(branch[1:], list(survivors), stored_form=True)
            else:
                out[title] = self._pipeline(branch, documents, stored_form=stored_form)
        return out

    def _group(self, options: Mapping[str, Any], documents: list[Any]) -> list[Any]:
        """mongomock's `$group`, with each document's key computed once and only the distinct
        keys sorted; mongomock's own handler whenever the rows could differ.

        mongomock sorts the documents by key (BSON order, stable) and cuts the sorted list
        where `==` between neighbouring keys fails. When the distinct keys are values whose
        `==` is exact (no NaN, no 1 == 1.0 == True), sort strictly and no two neighbours are
        `==`, its groups are exactly the documents of each distinct key, in input order, and
        its rows follow the keys' order: that is what is built here.
        """
        key = options.get("_id")
        if not key:  # one group of everything: nothing to sort
            return self._run({"$group": options}, documents)
        keys = _group_keys(key, documents)
        groups: dict[Any, list[int]] = {}
        try:
            for position, value in enumerate(keys):
                groups.setdefault(_exact(value), []).append(position)
        except _Inexact:
            return self._run({"$group": options}, documents)
        firsts = [keys[positions[0]] for positions in groups.values()]
        order = sorted(range(len(firsts)), key=lambda n: _BsonComparable(firsts[n]))
        for before, after in itertools.pairwise(order):
            a, b = firsts[before], firsts[after]
            if not _BsonComparable(a) < _BsonComparable(b) or a == b:
                return self._run({"$group": options}, documents)
        members = list(groups.values())
        rows = []
        for n in order:
            row = _accumulate_group(options, [documents[p] for p in members[n]])
            row["_id"] = firsts[n]
            rows.append(row)
        return rows

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
