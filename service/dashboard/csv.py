"""CSV renderings of the scorecard and the time series (EXTENSIONS.md, "CSV").

RFC 4180: a header row, CRLF line ends (a final one too), quotes only where needed, no byte-order
mark. The numbers and order are the JSON answer's: both are rendered from the same dumped body.
Text cells that a spreadsheet would read as a formula are defused (OWASP, "CSV Injection").
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

CONTENT_TYPE = "text/csv; charset=utf-8"
# What a spreadsheet may take for the start of a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
TOTAL = "total"


def defused(text: str | None) -> str:
    """A text cell: empty for null, and a leading `'` before anything formula-like."""
    if text is None:
        return ""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _write(rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return out.getvalue().encode()


def filename(kind: str, window: Mapping[str, str]) -> str:
    """`<kind>_<start>_<end>.csv`, instants written `20261031T230000Z` (from the JSON's
    `2026-10-31T23:00:00.000Z`: seconds kept, milliseconds dropped)."""

    def compact(instant: str) -> str:
        return instant[:19].replace("-", "").replace(":", "") + "Z"

    return f"{kind}_{compact(window['start'])}_{compact(window['end'])}.csv"


def scorecard(body: Mapping[str, Any]) -> bytes:
    """`department_id,department_name,<metric>…[,previous_<metric>…]`, then the total row."""
    names: list[str] = body["metrics"]
    compare = "previousWindow" in body
    header = ["department_id", "department_name", *names]
    if compare:
        header += [f"previous_{name}" for name in names]

    def values(row: Mapping[str, Any]) -> list[Any]:
        cells = [row[name] for name in names]
        if compare:
            cells += [row["previous"][name] for name in names]
        return cells

    rows: list[list[Any]] = [header]
    for row in body["departments"]:
        rows.append([defused(row["_id"]), defused(row["name"]), *values(row)])
    rows.append([TOTAL, "", *values(body["total"])])
    return _write(rows)


def timeseries(body: Mapping[str, Any]) -> bytes:
    """Long format: per bucket its overall line, then one line per department."""
    metric = body["metric"]
    rows: list[list[Any]] = [
        ["bucket", "bucket_start", "bucket_end", "department_id", "department_name", metric]
    ]
    departments = body.get("departments") or []
    for index, bucket in enumerate(body["buckets"]):
        where = [bucket["label"], bucket["start"], bucket["end"]]
        rows.append([*where, TOTAL, "", body["values"][index]])
        for department in departments:
            rows.append(
                [
                    *where,
                    defused(department["_id"]),
                    defused(department["name"]),
                    department["values"][index],
                ]
            )
    return _write(rows)
