"""Reading the `$facet` output the way every backend and real MongoDB agree on."""

from pipelines.stages import read_page


def test_an_empty_cursor_is_no_rows() -> None:
    assert read_page([]) == ([], 0)


def test_real_mongodb_empty_facet_has_an_empty_total() -> None:
    # MongoDB's $count emits nothing on empty input, so `total` is [] (mongomock says n: 0).
    assert read_page([{"total": [], "rows": []}]) == ([], 0)


def test_rows_and_total_are_read_from_the_facet() -> None:
    rows = [{"_id": "d1", "rooms": 3}, {"_id": None, "rooms": 1}]
    assert read_page([{"total": [{"n": 5}], "rows": rows}]) == (rows, 5)
