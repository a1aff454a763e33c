"""Rocket.Chat's own cookies (`rc_uid`, `rc_token`) on our own API: accepted only when both auth
headers are absent and the browser says the request comes from this origin (`Sec-Fetch-Site`),
never on the drop-in's routes."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from multidict import CIMultiDict, CIMultiDictProxy

from service.core.auth import credentials_from_cookies
from tests.factories import MANAGER, seed_auth

SCORECARD = "/livechat-analytics/api/v1/scorecard"
DROP_IN = "/api/v1/livechat/analytics/departments/amount-of-chats"
WINDOW = {"start": "2026-11-01", "end": "2026-11-02"}
MANAGER_COOKIES = "rc_uid=manager; rc_token=manager-token"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([("Cookie", MANAGER_COOKIES), ("Sec-Fetch-Site", "same-origin")], 200),
        ([("Cookie", MANAGER_COOKIES), ("Sec-Fetch-Site", "none")], 200),
        (
            [
                ("Cookie", "theme=dark; rc_uid=manager; rc_token=manager-token; x=1"),
                ("Sec-Fetch-Site", "same-origin"),
            ],
            200,
        ),
        (
            [
                ("Cookie", "rc_uid=manager"),
                ("Cookie", "rc_token=manager-token"),
                ("Sec-Fetch-Site", "same-origin"),
            ],
            200,
        ),
        (
            [
                ("Cookie", "rc_uid=manager; rc_token=manager%2Dtoken"),
                ("Sec-Fetch-Site", "same-origin"),
            ],
            200,
        ),
        # Another site, a sibling subdomain, or no browser at all: cookies are ignored.
        ([("Cookie", MANAGER_COOKIES), ("Sec-Fetch-Site", "cross-site")], 401),
        ([("Cookie", MANAGER_COOKIES), ("Sec-Fetch-Site", "same-site")], 401),
        ([("Cookie", MANAGER_COOKIES)], 401),
        ([("Cookie", MANAGER_COOKIES), ("Sec-Fetch-Site", "Same-Origin")], 401),
        (
            [
                ("Cookie", MANAGER_COOKIES),
                ("Sec-Fetch-Site", "same-origin"),
                ("Sec-Fetch-Site", "same-origin"),
            ],
            401,
        ),
        # No cookie at all, half a login, a cookie given twice, a visitor's token from the
        # livechat widget.
        ([("Sec-Fetch-Site", "same-origin")], 401),
        ([("Cookie", "rc_uid=manager"), ("Sec-Fetch-Site", "same-origin")], 401),
        ([("Cookie", MANAGER_COOKIES + "; rc_token=other"), ("Sec-Fetch-Site", "none")], 401),
        ([("Cookie", "rc_uid=manager; rc_token=visitor-token"), ("Sec-Fetch-Site", "none")], 401),
        # Either header present: the headers decide, cookies are not consulted.
        ([("Cookie", MANAGER_COOKIES), ("Sec-Fetch-Site", "none"), ("X-User-Id", "manager")], 401),
        (
            [
                ("Cookie", MANAGER_COOKIES),
                ("Sec-Fetch-Site", "none"),
                ("X-Auth-Token", "manager-token"),
            ],
            401,
        ),
        (
            [
                ("Cookie", MANAGER_COOKIES),
                ("Sec-Fetch-Site", "none"),
                ("X-User-Id", "agent"),
                ("X-Auth-Token", "wrong"),
            ],
            401,
        ),
        (
            [
                ("Cookie", "rc_uid=agent; rc_token=bad"),
                ("Sec-Fetch-Site", "none"),
                *MANAGER.items(),
            ],
            200,
        ),
        # A signed-in agent without the permission.
        ([("Cookie", "rc_uid=agent; rc_token=agent-token"), ("Sec-Fetch-Site", "none")], 403),
    ],
)
async def test_cookie_matrix(
    db: Any, client: TestClient, headers: list[tuple[str, str]], status: int
) -> None:
    await seed_auth(db)
    response = await client.get(SCORECARD, params=WINDOW, headers=CIMultiDict(headers))
    assert response.status == status
    if status == 401:
        assert (await response.json())["message"] == "You must be logged in to do this."


async def test_the_drop_in_never_takes_cookies(db: Any, client: TestClient) -> None:
    await seed_auth(db)
    headers = {"Cookie": MANAGER_COOKIES, "Sec-Fetch-Site": "same-origin"}
    response = await client.get(DROP_IN, params=WINDOW, headers=headers)
    assert response.status == 401


def test_cookie_values_are_read_as_rocketchats_cookie_package_reads_them() -> None:
    """The value is everything after the first `=` (it may hold more), without surrounding
    quotes or spaces, percent-decoded; only quotes are stripped (ids and tokens may begin or end
    with any letter)."""
    cookies = ' rc_uid = "XmanagerX" ; rc_token=a=b%3Dc= ; rc_tokenx=other'
    headers = CIMultiDictProxy(CIMultiDict([("Cookie", cookies), ("Sec-Fetch-Site", "none")]))
    read = credentials_from_cookies(headers)
    assert (read["X-User-Id"], read["X-Auth-Token"]) == ("XmanagerX", "a=b=c=")
