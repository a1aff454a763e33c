"""Everything under tests/wire runs on the wire backend: the production motor client over TCP
against SecantusDB, from a real MONGO_URL, each test in a database of its own."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import Backend, wire_backend
from tests.wire.server import WireServer


@pytest.fixture
async def backend(wire_server: WireServer) -> AsyncIterator[Backend]:
    async with wire_backend(wire_server) as wired:
        yield wired


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The failure scenarios' observed timings (`record_property("seconds ...")`), so each run
    shows them (the README's failure table quotes a run of these)."""
    lines = [
        f"{value:6.2f} s  {name.removeprefix('seconds ')}  ({report.nodeid.split('::')[-1]})"
        for report in terminalreporter.stats.get("passed", [])
        if report.when == "call"
        for name, value in report.user_properties
        if name.startswith("seconds ")
    ]
    if lines:
        terminalreporter.section("failure scenarios: observed timings")
        for line in lines:
            terminalreporter.write_line(line)
