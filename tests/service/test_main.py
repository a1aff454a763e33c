"""The command line: refusing to start without a database, and `--embedded` end to end."""

import asyncio
import shlex
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from service.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_without_mongo_url_refuses_to_start_and_mentions_embedded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([], environ={}) == 2
    error = capsys.readouterr().err
    assert "MONGO_URL is not set" in error
    assert "--embedded" in error


def test_fixtures_without_embedded_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["--fixtures", str(tmp_path)], environ={"MONGO_URL": "mongodb://db"}) == 2
    assert "--fixtures needs --embedded" in capsys.readouterr().err


def test_bad_configuration_names_every_bad_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--embedded"], environ={"PORT": "http", "MONGO_MAX_TIME_MS": "-1"}) == 2
    error = capsys.readouterr().err
    assert "PORT" in error
    assert "MONGO_MAX_TIME_MS" in error


def test_bad_fixture_file_fails_start_up_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "rocketchat_room.json").write_text('{"_id": "a"}\n{oops}\n')
    assert main(["--embedded", "--fixtures", str(tmp_path)], environ={}) == 2
    assert "rocketchat_room.json:2" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _curl_request(line: str) -> tuple[str, dict[str, str]]:
    """The URL and headers of the banner's curl command, read as a shell would."""
    words = shlex.split(line)
    assert words[0] == "curl"
    headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
    return words[-1], headers


async def test_embedded_service_prints_a_curl_that_works_and_stops_on_sigterm() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "--embedded",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        curl = ""
        async with asyncio.timeout(60):
            while not curl:
                line = (await process.stdout.readline()).decode()
                assert line, "the service exited before printing its curl"
                if line.strip().startswith("curl "):
                    curl = line.strip()
        url, headers = _curl_request(curl)
        async with aiohttp.ClientSession() as session, asyncio.timeout(60):
            while True:  # the banner comes just before the listener opens
                try:
                    async with session.get(url, headers=headers) as response:
                        status, body = response.status, await response.json()
                    break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.1)
        assert status == 200
        assert body["success"] is True
        assert body["total"] >= 5
        assert sum(row["rooms"] for row in body["departments"]) > 100
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
