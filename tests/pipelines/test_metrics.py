"""The metric registry as the contract lists it: eleven names in its order, the four counted on
closed chats, transfers on messages, and formulas over their own definition's accumulators."""

from typing import Any

from pipelines import metrics
from tests.dashboard_oracle import METRICS as CONTRACT_ORDER


def test_the_eleven_metrics_in_the_contracts_order() -> None:
    assert list(metrics.NAMES) == list(CONTRACT_ORDER)


def test_the_four_closed_chat_metrics_and_the_one_on_messages() -> None:
    closed = {m.name for m in metrics.METRICS if m.definition.window is metrics.Window.CLOSED}
    assert closed == {
        "averageChatDurationSeconds",
        "serviceTimeChats",
        "totalServiceTimeSeconds",
        "abandonedChats",
    }
    on_messages = {m.name for m in metrics.METRICS if m.definition.collection == metrics.MESSAGES}
    assert on_messages == {"transferredChats"}


def _fields(expression: Any) -> set[str]:
    if isinstance(expression, str):
        return {expression[1:]} if expression.startswith("$") else set()
    if isinstance(expression, dict):
        return set().union(*(_fields(v) for v in expression.values()))
    if isinstance(expression, list):
        return set().union(*(_fields(v) for v in expression))
    return set()


def test_every_formula_reads_only_its_definitions_accumulators() -> None:
    for metric in metrics.METRICS:
        accumulated = set(metric.definition.accumulators(3600))
        assert _fields(metric.formula) <= accumulated, metric.name


def test_one_definition_per_drop_in_report_and_shared_where_the_report_is() -> None:
    by_definition: dict[str, list[str]] = {}
    for metric in metrics.METRICS:
        by_definition.setdefault(metric.definition.name, []).append(metric.name)
    assert by_definition["serviceTime"] == ["serviceTimeChats", "totalServiceTimeSeconds"]
    assert by_definition["created"] == ["chats", "abandonedPercentage"]
    assert len(metrics.DEFINITIONS) == len(set(metrics.DEFINITIONS)) == 9
