"""SecantusDB's wire server as a separate process on 127.0.0.1, for tests through real motor.

SecantusDB (GPL-2.0, beta) is a test dependency only: it is started here with its command line
and spoken to over TCP, never imported. A server that cannot start is an error, not a skip.
"""

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

# The service's motor client names itself so (service/core/db.py); failpoints scoped to this
# name hit the service's commands only, never the test's own seeding and inspection client.
SERVICE_APP_NAME = "livechat-analytics"
TEST_APP_NAME = "livechat-analytics-tests"
START_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def secantusd() -> str:
    """The CLI installed beside this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / "secantusd-py"
    found = str(beside) if beside.exists() else shutil.which("secantusd-py")
    if found is None:
        raise RuntimeError(
            "secantusd-py not found: the wire tier needs the test extra (`make install`)"
        )
    return found


class WireServer:
    """One `secantusd-py` process. `storage` is ":memory:" (gone when the process ends) or a
    directory that survives kill and restart; the port stays the same across restarts, so a
    client configured with `url` sees the same server come back."""

    def __init__(
        self,
        workdir: Path,
        *,
        storage: str = ":memory:",
        port: int | None = None,
        options: tuple[str, ...] = (),
    ):
        self.port = port or free_port()
        self.url = f"mongodb://127.0.0.1:{self.port}"
        self._workdir = workdir
        self._storage = storage
        self._log = workdir / f"secantusd-{self.port}.log"
        # An empty config file turns off the CLI's search for ./secantusd.toml, ~/.secantus/...
        # and /etc/secantus/..., so nothing on the machine changes how the tests' server runs.
        self._config = workdir / "secantusd.toml"
        self._config.touch()
        self._options = options
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [
            secantusd(),
            "--config",
            str(self._config),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            self._storage,
            "--enable-test-commands",  # failCommand failpoints
            "--log-level",
            "WARNING",
            *self._options,
        ]
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                argv, cwd=self._workdir, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_for_ping()

    def _wait_for_ping(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        with MongoClient(self.url, serverSelectionTimeoutMS=250, directConnection=True) as probe:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"secantusd-py exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                try:
                    if probe.admin.command("ping").get("ok") == 1:
                        return
                except PyMongoError:
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(
                        f"secantusd-py did not answer ping within {START_TIMEOUT_SECONDS} s:\n"
                        f"{self.log_tail()}"
                    )
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-conversation, as a crashed or OOM-killed mongod."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
