"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright, against the
service built by `create_app` (the embedded backend, as `make run` serves it) on a free port.

One browser for the module; a fresh context (cookies, storage) per test. Without Chromium the
tests skip on a developer's machine and fail in CI (CI=true), where .ci/run installs it.
"""

import asyncio
import json
import os
import random
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from urllib.request import Request, urlopen

import pytest
from aiohttp import web
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from service.app import create_app
from service.dashboard.page import PAGE, DemoSignIn
from service.embedded import (
    DEMO_AGENT_ID,
    DEMO_AGENT_TOKEN,
    DEMO_TOKEN,
    DEMO_USER_ID,
    embedded_client_factory,
    generate_demo_data,
)
from service.settings import Settings
from tests.service.core.test_db_failure import closed_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The embedded backend answers in seconds on a busy 2-core machine, not milliseconds.
TIMEOUT_MS = 90_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ZONE = "Europe/Berlin"
HOSTILE = "<img src=x onerror=alert(1)>"
DELETED = "GoneDepartment123"
MANAGER = {"X-User-Id": DEMO_USER_ID, "X-Auth-Token": DEMO_TOKEN}
# Where the screenshots go: a temporary folder, or SCREENSHOT_DIR (e.g. `docs`) to refresh the
# README's picture.
SCREENSHOT_DIR = "SCREENSHOT_DIR"


# ----------------------------------------------------------------------------- the service


class Served:
    """An app on 127.0.0.1 and a free port, run by its own event loop in a thread (Playwright's
    sync API needs the test's thread to itself)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()
        self.port = 0

    def _run(self) -> None:
        runner = web.AppRunner(self.app, access_log=None)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def __enter__(self) -> str:
        self.thread.start()
        assert self.ready.wait(120), "the service did not start"
        return f"http://127.0.0.1:{self.port}{PAGE}"

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(60)


def _embedded(collections: dict[str, list[dict[str, Any]]]) -> web.Application:
    # As `make run` builds it: the embedded backend and the demo manager pre-filled.
    return create_app(
        Settings(),
        client_factory=embedded_client_factory(collections),
        demo_sign_in=DemoSignIn(DEMO_USER_ID, DEMO_TOKEN),
    )


@pytest.fixture(scope="module")
def demo() -> Iterator[str]:
    """The demo as `make run` serves it, with a fifth of its rooms: mongomock is slow, and the
    tests need the shape, not the volume. Refreshing the README's screenshot (SCREENSHOT_DIR
    set) uses the full demo."""
    rooms = 6000 if os.environ.get(SCREENSHOT_DIR) else 1200
    with Served(_embedded(generate_demo_data(datetime.now(UTC), rooms=rooms))) as base:
        yield base


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    """A workspace where a department is named like markup and another one was deleted."""
    data = generate_demo_data(datetime.now(UTC), rooms=600, seed=11)
    departments = data["rocketchat_livechat_department"]
    departments[0]["name"] = HOSTILE
    rooms = [room for room in data["rocketchat_room"] if room["t"] == "l"]
    for room in random.Random(3).sample(rooms, 40):
        room["departmentId"] = DELETED
    with Served(_embedded(data)) as base:
        yield base


@pytest.fixture(scope="module")
def unavailable() -> Iterator[str]:
    """The production client pointed at a port where no MongoDB listens."""
    settings = Settings(
        mongo_url=f"mongodb://127.0.0.1:{closed_port()}/rocketchat",
        server_selection_timeout_ms=300,
    )
    with Served(create_app(settings)) as base:
        yield base


def api(base: str, path: str, query: str) -> bytes:
    """What the API answers the demo manager for `query`."""
    request = Request(f"{base}api/v1/{path}?{query}", headers=MANAGER)
    with urlopen(request, timeout=120) as response:
        body: bytes = response.read()
        return body


# ----------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = (
            f"the dashboard's browser tests need Chromium at {CHROMIUM}: install Debian's "
            "package (as root: apt-get install -y chromium)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI must run these tests, not skip them")
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A page with everything that went wrong on it recorded."""

    page: Page
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    api_calls: list[str] = field(default_factory=list)


def _watch(page: Page) -> Watched:
    watched = Watched(page)
    page.on(
        "console",
        lambda m: (
            watched.problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: watched.problems.append(f"page error: {e}"))
    # A request the page aborted itself (the user changed the window meanwhile) is no problem.
    page.on(
        "requestfailed",
        lambda r: (
            watched.problems.append(f"request failed: {r.url} {r.failure}")
            if r.failure != "net::ERR_ABORTED"
            else None
        ),
    )
    page.on(
        "response",
        lambda r: watched.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    page.on("request", lambda r: watched.api_calls.append(r.url) if "/api/v1/" in r.url else None)

    def dialog(d: Any) -> None:
        watched.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    return watched


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport=DESKTOP, timezone_id=ZONE, accept_downloads=True)
    made.set_default_timeout(TIMEOUT_MS)
    yield made
    made.close()


@pytest.fixture
def watched(context: BrowserContext) -> Watched:
    return _watch(context.new_page())


def wait_for(page: Page, state: str) -> None:
    page.wait_for_selector(f"body[data-state={state}]", state="attached")


def sign_in_with_form(page: Page, base: str) -> None:
    page.goto(base)
    wait_for(page, "signed-out")
    page.get_by_role("button", name="Sign in").click()
    wait_for(page, "ready")


def sign_in_with_cookies(context: BrowserContext, base: str) -> None:
    context.add_cookies(
        [
            {"name": "rc_uid", "value": DEMO_USER_ID, "url": base},
            {"name": "rc_token", "value": DEMO_TOKEN, "url": base},
        ]
    )


def last_call(watched: Watched, path: str) -> str:
    """The query string of the page's latest request to `path`."""
    calls = [url for url in watched.api_calls if urlsplit(url).path.endswith(f"/api/v1/{path}")]
    assert calls, f"the page never asked for {path}"
    return urlsplit(calls[-1]).query


# ----------------------------------------------------------------------------- formatting oracle


# An average or a share over no chats is no number: the page shows an en dash for the API's 0.
NO_NUMBER = "\u2013"
PER_CHAT = {
    "averageChatDurationSeconds",
    "averageServiceTimeSeconds",
    "averageWaitingTimeSeconds",
    "abandonedPercentage",
}


def human(metric: str, values: dict[str, Any]) -> str:
    """How the contract's integers read on the page: durations `1 h 05 m`, `4 m 05 s`, `45 s`;
    percentages `9%`; counts with thousands separators."""
    value: int = values[metric]
    if metric in PER_CHAT and values["chats"] == 0:
        return NO_NUMBER
    if metric.endswith("Seconds"):
        if value < 60:
            return f"{value} s"
        if value < 3600:
            return f"{value // 60} m {value % 60:02d} s"
        return f"{value // 3600:,} h {value % 3600 // 60:02d} m"
    if metric.endswith("Percentage"):
        return f"{value}%"
    return f"{value:,}"


# ----------------------------------------------------------------------------- tests


def test_signed_in_by_rocketchats_cookies_without_a_form(
    context: BrowserContext, watched: Watched, demo: str
) -> None:
    sign_in_with_cookies(context, demo)
    page = watched.page
    page.goto(demo)
    wait_for(page, "ready")
    assert page.locator("#who").text_content() == "Signed in with your Rocket.Chat session"
    assert page.locator("#sign-in").is_hidden()
    assert page.locator("#sign-out").is_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.locator("#scorecard-body tr").count() >= 6
    assert watched.problems == []


def test_form_keeps_the_token_in_session_storage_only_and_sign_out_forgets_it(
    watched: Watched, demo: str
) -> None:
    page = watched.page
    page.goto(demo)
    wait_for(page, "signed-out")
    # Embedded mode: the demo manager is filled in, two clicks from the numbers.
    assert page.locator("#demo-note").is_visible()
    assert page.get_by_label("User id", exact=True).input_value() == DEMO_USER_ID
    assert page.get_by_label("Personal access token", exact=True).input_value() == DEMO_TOKEN
    page.get_by_role("button", name="Sign in").click()
    wait_for(page, "ready")
    assert page.locator("#who").text_content() == f"Signed in as {DEMO_USER_ID}"
    stored = json.loads(page.evaluate("sessionStorage.getItem('livechat-analytics.credentials')"))
    assert stored == {"userId": DEMO_USER_ID, "token": DEMO_TOKEN}
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("document.cookie") == ""
    assert DEMO_TOKEN not in page.url
    assert all(DEMO_TOKEN not in url for url in watched.api_calls)
    # A reload in the same tab stays signed in.
    page.reload()
    wait_for(page, "ready")
    page.get_by_role("button", name="Sign out").click()
    wait_for(page, "signed-out")
    assert page.evaluate("sessionStorage.length") == 0
    assert page.locator("#report").is_hidden()
    assert watched.problems == []


def test_a_refused_token_says_so_and_is_forgotten(watched: Watched, demo: str) -> None:
    page = watched.page
    page.goto(demo)
    wait_for(page, "signed-out")
    page.get_by_label("Personal access token", exact=True).fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#sign-in-error:not([hidden])")
    assert "not accepted" in (page.locator("#sign-in-error").text_content() or "")
    assert page.evaluate("sessionStorage.length") == 0


def test_a_user_without_the_permission_is_told_what_is_missing(watched: Watched, demo: str) -> None:
    page = watched.page
    page.goto(demo)
    wait_for(page, "signed-out")
    page.get_by_label("User id", exact=True).fill(DEMO_AGENT_ID)
    page.get_by_label("Personal access token", exact=True).fill(DEMO_AGENT_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    wait_for(page, "error")
    assert "lacks the view-livechat-manager permission" in (
        page.locator("#problem-text").text_content() or ""
    )
    assert page.get_by_role("button", name="Sign out").is_visible()


def test_the_table_shows_the_apis_numbers_for_the_same_window(watched: Watched, demo: str) -> None:
    page = watched.page
    sign_in_with_form(page, demo)
    assert page.get_by_label("Time zone", exact=True).input_value() == ZONE  # the browser's own
    query = last_call(watched, "scorecard")
    params = dict(parse_qsl(query))
    assert params["timezone"] == ZONE
    assert params["compare"] == "previous"
    assert (params["start"], params["end"]) == (
        page.get_by_label("From", exact=True).input_value(),
        page.get_by_label("To", exact=True).input_value(),
    )
    expected = json.loads(api(demo, "scorecard", query))
    rows = page.locator("#scorecard-body tr")
    assert rows.count() == len(expected["departments"])
    columns = page.locator("#scorecard-table td[data-metric]").evaluate_all(
        "cells => [...new Set(cells.map(c => c.dataset.metric))]"
    )
    assert len(columns) == 7
    assert set(columns) <= set(expected["metrics"])
    for index, department in enumerate(expected["departments"]):
        row = rows.nth(index)
        name = department["name"] or (
            "No department"
            if department["_id"] is None
            else f"Deleted department {department['_id']}"
        )
        assert row.locator("th").text_content() == name
        for metric in columns:
            cell = row.locator(f'td[data-metric="{metric}"]')
            assert cell.get_attribute("data-value") == str(department[metric])
            assert cell.locator(".value").text_content() == human(metric, department)
            assert cell.get_attribute("data-previous") == str(department["previous"][metric])
    total = page.locator("#scorecard-foot tr")
    assert total.locator("th").text_content() == "Total"
    for metric in columns:
        cell = total.locator(f'td[data-metric="{metric}"]')
        assert cell.locator(".value").text_content() == human(metric, expected["total"])
    assert watched.problems == []


def test_changes_are_coloured_by_the_direction_that_is_good_for_the_metric(
    watched: Watched, demo: str
) -> None:
    page = watched.page
    sign_in_with_form(page, demo)
    verdicts = page.locator("#scorecard-table td[data-previous]").evaluate_all(
        """cells => cells.map(c => {
             const chats = c.closest('tr').querySelector('[data-metric=chats]').dataset;
             return [c.dataset.metric, Number(c.dataset.value), Number(c.dataset.previous),
                     Number(chats.value) * Number(chats.previous),
                     c.querySelector('.change').className];
           })"""
    )
    seen = set()
    for metric, value, previous, both_had_chats, classes in verdicts:
        if metric in ("chats", "averageServiceTimeSeconds", "averageChatDurationSeconds"):
            expected = "neutral"  # more or less of these is neither good nor bad
        elif value == previous or (metric in PER_CHAT and not both_had_chats):
            expected = "neutral"
        else:  # waiting, transfers, abandonment: fewer or shorter is better
            expected = "better" if value < previous else "worse"
        assert classes.split()[-1] == expected, (metric, value, previous)
        seen.add(expected)
    assert seen == {"neutral", "better", "worse"}


def _series_pixels(page: Page) -> int:
    """Pixels of the chart's canvas in the first series' colour (#1f5fbf): the line itself,
    not the axes or the grid."""
    return int(
        page.evaluate(
            """() => {
              const canvas = document.querySelector('#chart canvas');
              const { width, height } = canvas;
              const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
              let n = 0;
              for (let i = 0; i < data.length; i += 4) {
                if (Math.abs(data[i] - 31) < 30 && Math.abs(data[i + 1] - 95) < 30 &&
                    Math.abs(data[i + 2] - 191) < 30 && data[i + 3] > 200) n++;
              }
              return n;
            }"""
        )
    )


def test_the_chart_draws_the_series_and_follows_the_metric_and_split(
    watched: Watched, demo: str
) -> None:
    page = watched.page
    sign_in_with_form(page, demo)
    assert page.locator("#chart canvas").count() == 1
    assert _series_pixels(page) > 300
    params = dict(parse_qsl(last_call(watched, "timeseries")))
    assert (params["metric"], params["interval"]) == ("chats", "day")  # 30 days: days
    series = json.loads(api(demo, "timeseries", last_call(watched, "timeseries")))
    assert page.locator("#chart-caption").text_content() == f"Chats per day, {ZONE}"
    assert len(series["buckets"]) == 30

    page.get_by_label("Metric", exact=True).select_option("averageWaitingTimeSeconds")
    wait_for(page, "ready")
    page.get_by_label("Show", exact=True).select_option("department")
    wait_for(page, "ready")
    params = dict(parse_qsl(last_call(watched, "timeseries")))
    assert (params["metric"], params["split"]) == ("averageWaitingTimeSeconds", "department")
    split = json.loads(api(demo, "timeseries", last_call(watched, "timeseries")))
    legend = page.locator("#chart .u-legend .u-series .u-label").all_text_contents()
    assert legend[1:] == ["All departments"] + [
        d["name"] or "No department" for d in split["departments"]
    ]
    assert _series_pixels(page) > 100
    assert watched.problems == []


def test_csv_downloads_are_the_apis_csv(watched: Watched, demo: str) -> None:
    page = watched.page
    sign_in_with_form(page, demo)
    for path, button in (("scorecard", "#scorecard-csv"), ("timeseries", "#timeseries-csv")):
        with page.expect_download() as info:
            page.click(button)
        download = info.value
        query = last_call(watched, path)
        assert dict(parse_qsl(query))["format"] == "csv"
        expected = api(demo, path, query)
        assert Path(download.path()).read_bytes() == expected
        assert expected.startswith(b"department_id," if path == "scorecard" else b"bucket,")
        assert download.suggested_filename.startswith(f"{path}_")
        assert download.suggested_filename.endswith(".csv")
    assert watched.problems == []


def test_a_window_without_chats_says_so(watched: Watched, demo: str) -> None:
    page = watched.page
    sign_in_with_form(page, demo)
    page.get_by_label("To", exact=True).fill("2020-01-31")  # before From: no request yet
    page.get_by_label("From", exact=True).fill("2020-01-01")
    wait_for(page, "empty")
    assert page.get_by_label("Window", exact=True).input_value() == "custom"
    assert (page.locator("#status").text_content() or "").startswith("No chats in this window.")
    assert page.locator("#chart-empty").is_visible()
    assert page.locator("#chart").is_hidden()
    assert watched.problems == []


def test_a_one_day_window_is_charted_by_the_hour(watched: Watched, demo: str) -> None:
    page = watched.page
    sign_in_with_form(page, demo)
    day = page.get_by_label("To", exact=True).input_value()
    page.get_by_label("From", exact=True).fill(day)
    wait_for(page, "ready")
    params = dict(parse_qsl(last_call(watched, "timeseries")))
    assert (params["start"], params["end"], params["interval"]) == (day, day, "hour")
    assert page.locator("#chart-caption").text_content() == f"Chats per hour, {ZONE}"


def test_database_unavailable_says_to_try_again(watched: Watched, unavailable: str) -> None:
    page = watched.page
    page.goto(unavailable)
    wait_for(page, "signed-out")
    assert page.locator("#demo-note").is_hidden()  # not the embedded backend: nothing filled in
    assert page.get_by_label("User id", exact=True).input_value() == ""
    page.get_by_label("User id", exact=True).fill("someone")
    page.get_by_label("Personal access token", exact=True).fill("some-token")
    page.get_by_role("button", name="Sign in").click()
    wait_for(page, "error")
    problem = page.locator("#problem-text").text_content() or ""
    assert "database is unavailable" in problem
    assert "Try again" in problem
    assert page.get_by_role("button", name="Try again").is_visible()
    assert all("HTTP 503" in p or "503" in p for p in watched.problems)


def test_a_hostile_department_name_is_shown_as_text(
    context: BrowserContext, watched: Watched, hostile: str
) -> None:
    sign_in_with_cookies(context, hostile)
    page = watched.page
    page.goto(hostile)
    wait_for(page, "ready")
    names = page.locator("#scorecard-body th").all_text_contents()
    assert HOSTILE in names
    assert f"Deleted department {DELETED}" in names
    assert "No department" in names
    assert page.locator("#main img").count() == 0
    options = page.get_by_label("Department", exact=True).locator("option").all_text_contents()
    assert HOSTILE in options
    page.get_by_label("Show", exact=True).select_option("department")
    wait_for(page, "ready")
    assert HOSTILE in page.locator("#chart .u-legend").text_content()  # type: ignore[operator]
    assert page.locator("#main img").count() == 0
    assert watched.dialogs == []
    assert watched.problems == []


def test_the_controls_are_labelled_and_work_from_the_keyboard(watched: Watched, demo: str) -> None:
    page = watched.page
    sign_in_with_form(page, demo)
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, button')]
             .filter(e => !e.closest('[hidden]') && e.type !== 'hidden')
             .filter(e => !(e.labels && e.labels.length) && !e.textContent.trim())
             .map(e => e.id)"""
    )
    assert unlabelled == []
    reached = []
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id"))
    assert {"preset", "start", "end", "timezone", "department", "compare"} <= set(reached)
    assert {"scorecard-csv", "metric", "split", "timeseries-csv", "sign-out"} <= set(reached)
    page.focus("#preset")
    page.keyboard.press("ArrowUp")  # Last 30 days → Last 7 days
    wait_for(page, "ready")
    params = dict(parse_qsl(last_call(watched, "scorecard")))
    start, end = (datetime.fromisoformat(params[k]) for k in ("start", "end"))
    assert (end - start).days == 6
    assert watched.problems == []


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize(("name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshot_of_the_demo_fits_the_screen(
    browser: Browser,
    demo: str,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    viewport: dict[str, int],
) -> None:
    context = browser.new_context(viewport=viewport, timezone_id=ZONE)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        watched = _watch(context.new_page())
        page = watched.page
        sign_in_with_form(page, demo)
        page.wait_for_timeout(300)  # let the chart settle at its final width
        # Nothing but the table's own scroller may be wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        # The desktop one refreshes the README's picture when SCREENSHOT_DIR is set; otherwise
        # both go to pytest's temporary folder (`--basetemp` chooses it).
        refresh = os.environ.get(SCREENSHOT_DIR) if name == "desktop" else None
        target = (
            Path(refresh) / "dashboard.png"
            if refresh
            else tmp_path_factory.mktemp("screens") / f"dashboard-{name}.png"
        )
        image = page.screenshot(path=str(target), full_page=True)
        width, height = _png_size(image)
        assert width == viewport["width"]
        assert height >= viewport["height"]
        assert watched.problems == []
    finally:
        context.close()
