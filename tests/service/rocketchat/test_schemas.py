"""The memo of validated URLs: what it keeps, and what it refuses to keep."""

from multidict import MultiDict

from service.core.workspace import Workspace
from service.rocketchat.schemas import MAX_MEMO_TARGET, DepartmentReportQuery, QueryMemo

SCHEMA = DepartmentReportQuery()
WORKSPACE = Workspace()
REPORT = "total-service-time"


def _target(query: str) -> str:
    return f"/api/v1/livechat/analytics/departments/total-service-time?{query}"


def _parse(query: str) -> MultiDict[str]:
    return MultiDict(pair.split("=", 1) for pair in query.split("&"))  # type: ignore[misc]


def test_a_repeated_url_is_validated_once() -> None:
    memo = QueryMemo()
    query = "start=2026-09-01&end=2026-09-30"
    parsed = 0

    def parse() -> MultiDict[str]:
        nonlocal parsed
        parsed += 1
        return _parse(query)

    first = memo.lookup(REPORT, SCHEMA, _target(query), parse, WORKSPACE)
    assert memo.lookup(REPORT, SCHEMA, _target(query), parse, WORKSPACE) is first
    assert (parsed, len(memo)) == (1, 1)


def test_oversized_urls_are_answered_but_never_kept() -> None:
    memo = QueryMemo()
    for number in range(20):
        query = f"start=2026-09-01&end=2026-09-30&sort={number}{'x' * MAX_MEMO_TARGET}"
        found = memo.lookup(REPORT, SCHEMA, _target(query), lambda q=query: _parse(q), WORKSPACE)
        assert found.params.start.isoformat() == "2026-09-01T00:00:00+00:00"
    assert len(memo) == 0


def test_entries_are_bounded() -> None:
    memo = QueryMemo(max_entries=5)
    for day in range(1, 21):
        query = f"start=2026-09-{day:02d}&end=2026-09-30"
        memo.lookup(REPORT, SCHEMA, _target(query), lambda q=query: _parse(q), WORKSPACE)
    assert len(memo) == 5


class CountingParse:
    """`query()` for one query string, counting how often the memo had to parse it."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.calls = 0

    def __call__(self) -> MultiDict[str]:
        self.calls += 1
        return _parse(self.query)


def test_new_settings_reuse_the_validation_and_the_key_only_while_the_parameters_match() -> None:
    """A settings refresh keeps the validated query; the result cache's key object stays the
    same while the parameters do, and changes as soon as they differ (never a stale answer)."""
    memo = QueryMemo()
    parse = CountingParse("start=2026-09-01&end=2026-09-30")
    target = _target(parse.query)
    first = memo.lookup(REPORT, SCHEMA, target, parse, WORKSPACE)
    same = memo.lookup(REPORT, SCHEMA, target, parse, Workspace())
    assert parse.calls == 1
    assert same.key is first.key
    paging = memo.lookup(REPORT, SCHEMA, target, parse, Workspace(api_default_count=10))
    assert parse.calls == 1
    assert paging.params != first.params
    assert paging.key != first.key


def test_a_target_of_exactly_the_bound_is_kept_and_the_least_recent_goes_first() -> None:
    memo = QueryMemo(max_entries=2, max_target=len(_target("start=2026-09-01&end=2026-09-30")))
    parses = {day: CountingParse(f"start=2026-09-{day:02d}&end=2026-09-30") for day in (1, 2, 3)}

    def look(day: int) -> None:
        memo.lookup(REPORT, SCHEMA, _target(parses[day].query), parses[day], WORKSPACE)

    for day in (1, 2, 1, 3):  # 2 is now the least recently used of three
        look(day)
    assert len(memo) == 2
    look(1)
    look(3)
    assert (parses[1].calls, parses[3].calls) == (1, 1)  # both still kept
    look(2)
    assert parses[2].calls == 2  # it had been evicted
