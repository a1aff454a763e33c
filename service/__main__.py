"""Command line: `python -m service [--embedded [--fixtures DIR]] [--host H] [--port P]`, and
`python -m service check [--window-days N] [--json]` (service/check.py)."""

import argparse
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from service import check
from service.app import create_app
from service.core.db import ClientFactory, motor_client
from service.core.logs import setup_logging
from service.dashboard.page import PAGE, DemoSignIn
from service.embedded import (
    DEMO_TOKEN,
    DEMO_USER_ID,
    FixtureError,
    embedded_client_factory,
    generate_demo_data,
    load_fixtures,
    with_demo_manager,
)
from service.routes import DEPARTMENTS
from service.settings import Settings, SettingsError, load_settings

log = logging.getLogger("service")

NO_DATABASE = (
    "MONGO_URL is not set. Point it at Rocket.Chat's MongoDB "
    "(e.g. MONGO_URL=mongodb://mongo:27017/rocketchat?replicaSet=rs0), "
    "or run with --embedded to try the service on generated demo data."
)


# The exit status when the shutdown timeout ran out with work still running.
EXIT_SHUTDOWN_TIMED_OUT = 1


def _exit_at_deadline(seconds: float) -> Callable[[web.Application], Awaitable[None]]:
    """An `on_shutdown` hook (it runs as soon as the signal has closed the listener) that ends
    the process `seconds` later if it is still running.

    aiohttp gives in-flight requests `shutdown_timeout` to finish, but a request stuck in
    MongoDB outlasts it: aiohttp then waits as long again for the handler it gave up on, and
    Python's exit waits for the driver's worker thread, blocked for up to socketTimeoutMS.
    Kubernetes' grace period is not negotiable, so the deadline is kept here, whatever runs.
    """

    async def arm(app: web.Application) -> None:
        timer = threading.Timer(seconds, _exit_now, args=(seconds,))
        timer.daemon = True
        timer.start()

    return arm


def _exit_now(seconds: float) -> None:
    log.error(
        "still shutting down after SHUTDOWN_TIMEOUT_SECONDS=%g: exiting, abandoning the "
        "requests still running",
        seconds,
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(EXIT_SHUTDOWN_TIMED_OUT)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m service",
        description="Rocket.Chat department analytics, served from Rocket.Chat's MongoDB.",
    )
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="serve an in-process demo database instead of MONGO_URL",
    )
    parser.add_argument(
        "--fixtures",
        type=Path,
        metavar="DIR",
        help="with --embedded: load DIR/<collection>.json mongoexport files instead of demo data",
    )
    parser.add_argument("--host", help="address to listen on (default: $HOST, then 0.0.0.0)")
    parser.add_argument("--port", type=int, help="port to listen on (default: $PORT, then 8080)")
    return parser


def demo_curl(host: str, port: int, now: datetime) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    start = (now - timedelta(days=30)).date().isoformat()
    end = now.date().isoformat()
    return (
        f"curl -s -H 'X-User-Id: {DEMO_USER_ID}' -H 'X-Auth-Token: {DEMO_TOKEN}' "
        f"'http://{shown}:{port}{DEPARTMENTS}/amount-of-chats?start={start}&end={end}&answered=true'"
    )


def page_url(host: str, port: int) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}{PAGE}"


def _embedded_factory(fixtures: Path | None, now: datetime) -> ClientFactory:
    """Load everything before serving, so a bad fixture file fails start-up, not a request."""
    if fixtures is None:
        return embedded_client_factory(generate_demo_data(now))
    return embedded_client_factory(with_demo_manager(load_fixtures(fixtures), now))


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if "check" in words:  # `check` is a command of its own, wherever `--embedded` stands
        words.remove("check")
        return check.main(words, os.environ if environ is None else environ)
    args = _parser().parse_args(words)
    try:
        settings: Settings = load_settings(os.environ if environ is None else environ)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    setup_logging(settings)
    host = args.host if args.host is not None else settings.host
    port = args.port if args.port is not None else settings.port
    now = datetime.now(UTC)

    if args.fixtures is not None and not args.embedded:
        print("--fixtures needs --embedded", file=sys.stderr)
        return 2
    if args.embedded:
        try:
            factory = _embedded_factory(args.fixtures, now)
        except FixtureError as error:
            print(f"cannot load fixtures: {error}", file=sys.stderr)
            return 2
        source = f"fixtures from {args.fixtures}" if args.fixtures else "generated demo data"
        log.info("serving the embedded database (%s)", source)
        print(f"Open the dashboard (demo manager pre-filled):\n  {page_url(host, port)}\n")
        print(f"Try it:\n  {demo_curl(host, port, now)}\n", flush=True)
        demo = DemoSignIn(DEMO_USER_ID, DEMO_TOKEN)
    elif settings.mongo_url is None:
        print(NO_DATABASE, file=sys.stderr)
        return 2
    else:
        factory, demo = motor_client, None
        log.info(
            "serving MongoDB %s, database %s", settings.masked_mongo_url, settings.mongo_database
        )

    app = create_app(settings, client_factory=factory, demo_sign_in=demo)
    app.on_shutdown.append(_exit_at_deadline(settings.shutdown_timeout_seconds))
    web.run_app(
        app,
        host=host,
        port=port,
        shutdown_timeout=settings.shutdown_timeout_seconds,
        access_log=None,  # the answer middleware writes the access log, with the request id
        print=lambda message: log.info("%s", message.strip()),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
