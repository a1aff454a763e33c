"""The command line: refusing to start without a database, and `--embedded` end to end."""

import asyncio
import json
import shlex
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from service.__main__ import main
from service.embedded import DEMO_TOKEN

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
        page = ""
        async with asyncio.timeout(60):
            while not curl:
                line = (await process.stdout.readline()).decode()
                assert line, "the service exited before printing its curl"
                if line.strip().startswith("curl "):
                    curl = line.strip()
                if line.strip().startswith("http://"):
                    page = line.strip()
        assert page == f"http://127.0.0.1:{port}/livechat-analytics/"
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
        async with aiohttp.ClientSession() as session, session.get(page) as response:
            assert response.status == 200
            # The embedded demo, and only it, fills in its manager on the sign-in form.
            assert DEMO_TOKEN in await response.text()
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


# Run as the image runs it (PYTHONDONTWRITEBYTECODE=1, production mode), recording every write to
# the filesystem that Python makes: with a read-only root filesystem, any of them would fail.
_RECORD_WRITES = """
import json, os, sys
WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
CHANGES = {"os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.truncate", "os.chmod",
           "os.symlink", "os.link", "os.utime", "shutil.copyfile", "tempfile.mkstemp"}
writes = []

def hook(event, args):
    if event == "open" and not isinstance(args[0], int):
        path, mode, flags = args
        if (mode and any(c in mode for c in "wax+")) or (flags or 0) & WRITING:
            writes.append(str(path))
    elif event in CHANGES:
        writes.append(f"{event} {args[0]}")

sys.addaudithook(hook)
from service.__main__ import main
from service.embedded import DEMO_TOKEN
code = main()
print("WRITES " + json.dumps(writes), file=sys.stderr, flush=True)
sys.exit(code)
"""


async def test_service_writes_no_file_so_a_read_only_root_filesystem_works() -> None:
    port = _free_port()
    env = {
        "PYTHONDONTWRITEBYTECODE": "1",  # as in the Dockerfile
        "MONGO_URL": f"mongodb://reader:s3cret@127.0.0.1:{_free_port()}/rocketchat",
        "MONGO_SERVER_SELECTION_TIMEOUT_MS": "200",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _RECORD_WRITES, cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    try:
        async with asyncio.timeout(30):
            while b"Running on" not in await process.stderr.readline():
                assert process.returncode is None, "the service exited early"
        base = f"http://127.0.0.1:{port}"
        report = (
            "/api/v1/livechat/analytics/departments/amount-of-chats?start=2026-09-01&end=2026-09-02"
        )
        async with aiohttp.ClientSession() as session, asyncio.timeout(30):
            for path, status in [
                ("/healthz", 200),
                ("/readyz", 503),
                ("/metrics", 200),
                ("/api/openapi.json", 200),
                (report, 401),
                ("/nowhere", 404),
                ("/livechat-analytics/", 200),
            ]:
                async with session.get(base + path) as response:
                    body = await response.read()
                    assert response.status == status, path
                    # A real database: the page never carries the demo's credentials.
                    assert DEMO_TOKEN.encode() not in body
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            rest = (await process.stderr.read()).decode()
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    (recorded,) = [line for line in rest.splitlines() if line.startswith("WRITES ")]
    assert json.loads(recorded.removeprefix("WRITES ")) == []
