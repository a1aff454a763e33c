"""The README's "Try it" commands, run as written (bash and curl) against `python -m service
--embedded`: they work on any day, answer what their comments say, and answer in the shape of the
samples shown (ids and numbers are generated and move with the clock, so only the shape is
compared)."""

import asyncio
import json
import re
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCUMENTED = "127.0.0.1:8080"
# Each curl's body on a line of its own (the loop's `echo`s add blank lines, skipped).
PRELUDE = "set -euo pipefail\ncurl() { command curl -w '\\n' \"$@\"; }\n"

pytestmark = pytest.mark.skipif(
    not (shutil.which("bash") and shutil.which("curl")), reason="needs bash and curl"
)


def try_it_section() -> str:
    text = README.read_text()
    start = text.index("## Try it")
    return text[start : text.index("\n## ", start + 1)]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", try_it_section(), re.DOTALL)


def test_try_it_commands_name_no_fixed_date() -> None:
    """A fixed date is right for a while: the demo data moves with the clock."""
    commands = "\n".join(blocks("sh"))
    assert not re.findall(r"\d{4}-\d{2}-\d{2}", commands)
    assert "$(date -u" in commands


def _expected_error(line: str) -> str | None:
    """What a command's trailing comment says it answers."""
    found = re.search(r"#\s*(400|401|403)\b", line)
    return found.group(1) if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _run_commands(port: int) -> list[dict[str, Any]]:
    script = PRELUDE + "\n".join(blocks("sh")).replace(DOCUMENTED, f"127.0.0.1:{port}")
    shell = await asyncio.create_subprocess_exec(
        "bash", "-c", script, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(120):
        out, err = await shell.communicate()
    assert shell.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def _shape(body: dict[str, Any]) -> Any:
    rows = body.get("departments")
    if rows is None:
        return sorted(body)
    return (
        sorted(k for k in body if k != "departments"),
        [sorted(row) for row in rows],
        {k: body[k] for k in ("count", "offset", "total", "success")},
    )


async def test_try_it_commands_work_today_and_answer_like_the_samples() -> None:
    port = _free_port()
    service = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "--embedded",
        "--port",
        str(port),
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as session, asyncio.timeout(90):
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.1)
        answers = await _run_commands(port)
    finally:
        service.terminate()
        await service.wait()

    commands = [
        line
        for block in blocks("sh")
        for line in block.splitlines()
        if line.lstrip().startswith("curl ")
    ]
    # The loop's single curl runs once per report it names.
    loop = re.search(r"for \w+ in (.*?); do", blocks("sh")[-1], re.DOTALL)
    assert loop is not None
    loop_runs = len(loop.group(1).replace("\\", " ").split())
    assert len(answers) == len(commands) - 1 + loop_runs
    for line, answer in zip(commands, answers, strict=False):
        error = _expected_error(line)
        if error == "400":
            assert answer["errorType"] == "invalid-params", (line, answer)
        elif error == "401":
            assert answer["status"] == "error", (line, answer)
        elif error == "403":
            assert "error-unauthorized" in answer["error"], (line, answer)
        else:
            assert answer["success"] is True, (line, answer)
            assert answer["departments"], (line, answer)

    samples = [json.loads(line) for block in blocks("json") for line in block.splitlines()]
    first, *loop = samples
    assert _shape(answers[0]) == _shape(first)
    assert [_shape(a) for a in answers[-loop_runs:]] == [_shape(s) for s in loop]
