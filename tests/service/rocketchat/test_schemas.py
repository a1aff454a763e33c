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
