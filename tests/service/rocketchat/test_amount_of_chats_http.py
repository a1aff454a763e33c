"""amount-of-chats over HTTP: status and exact JSON body for every case of the contract.

Every test runs twice: on the in-process fake (`mongomock`) and through real motor over TCP
against a MongoDB wire server (`wire`), with the same assertions (see tests/conftest.py).
"""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests import oracle
from tests.conftest import BACKENDS, MakeClient
from tests.factories import (
    AGENT,
    MANAGER,
    hashed,
    login_token,
    permission,
    personal_access_token,
    room,
    seed_auth,
    setting,
    user,
)

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

URL = "/api/v1/livechat/analytics/departments/amount-of-chats"
START, END = "2026-09-01", "2026-09-30T23:59:59.999Z"
WINDOW = {"start": START, "end": END}
START_AT = datetime(2026, 9, 1, tzinfo=UTC)
END_AT = datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC)

UNAUTHORIZED = {
    "success": False,
    "error": "You must be logged in to do this.",
    "status": "error",
    "message": "You must be logged in to do this.",
}
FORBIDDEN = {
    "success": False,
    "error": "User does not have the permissions required for this action [error-unauthorized]",
}


def invalid_params(message: str) -> dict[str, Any]:
    return {"success": False, "error": f"{message} [invalid-params]", "errorType": "invalid-params"}


def invalid_date(name: str) -> dict[str, Any]:
    return {"success": False, "error": f'The "{name}" query parameter must be a valid date.'}


def envelope(rows: list[dict[str, Any]], offset: int, limit: int | None) -> dict[str, Any]:
    shown = oracle.page(rows, offset, limit)
    return {
        "departments": shown,
        "count": len(shown),
        "offset": offset,
        "total": len(rows),
        "success": True,
    }


def random_rooms(seed: int, count: int) -> list[dict[str, Any]]:
    """Rocket.Chat-shaped rooms around September 2026: every department shape, every
    waitingResponse shape, other room types, and rooms on and just outside the bounds."""
    rng = random.Random(seed)
    edges = [
        START_AT,
        END_AT,
        START_AT - timedelta(milliseconds=1),
        END_AT + timedelta(milliseconds=1),
    ]
    rooms = []
    for number in range(count):
        if rng.random() < 0.1:
            ts = rng.choice(edges)
        else:
            ts = START_AT + timedelta(milliseconds=rng.randrange(-3 * 86400_000, 33 * 86400_000))
        rooms.append(
            room(
                f"room{number}",
                ts,
                t=rng.choice(["l", "l", "l", "l", "c", "d", "p"]),
                department=rng.choice(
                    [..., None, "alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
                ),
                waiting=rng.choice([..., None, True, False]),
            )
        )
    return rooms


@pytest.fixture
async def rooms(db: Any) -> list[dict[str, Any]]:
    await seed_auth(db)
    documents = random_rooms(seed=2026, count=400)
    await db.rocketchat_room.insert_many([dict(d) for d in documents])
    return documents


async def get(
    client: TestClient, params: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    response = await client.get(URL, params=params, headers=MANAGER if headers is None else headers)
    assert response.content_type == "application/json"
    return response.status, await response.json()


# ----------------------------------------------------------------------------- 400


@pytest.mark.usefixtures("rooms")
@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"end": END}, invalid_params("must have required property 'start'")),
        ({"start": START}, invalid_params("must have required property 'end'")),
        ({}, invalid_params("must have required property 'start'")),
        ({"end": END, "foo": "1"}, invalid_params("must have required property 'start'")),
        ({**WINDOW, "foo": "1"}, invalid_params("must NOT have additional properties")),
        (
            {**WINDOW, "departmentId[$ne]": "x"},
            invalid_params("must NOT have additional properties"),
        ),
        ({**WINDOW, "offset": "abc"}, invalid_params("must be number")),
        ({**WINDOW, "count": "ten"}, invalid_params("must be number")),
        ({**WINDOW, "count": ""}, invalid_params("must be number")),
        ({**WINDOW, "count": "1_000"}, invalid_params("must be number")),
        ({**WINDOW, "offset": "-1"}, invalid_params("must be >= 0")),
        ({**WINDOW, "count": "-5"}, invalid_params("must be >= 0")),
        ({**WINDOW, "offset": "1e300"}, invalid_params("must be <= 9007199254740991")),
        # The first integer past JavaScript's Number.MAX_SAFE_INTEGER (the largest is a 200).
        ({**WINDOW, "offset": "9007199254740992"}, invalid_params("must be <= 9007199254740991")),
        ([("start", START), ("start", START), ("end", END)], invalid_params("must be string")),
        (
            [*WINDOW.items(), ("departmentId", "a"), ("departmentId", "b")],
            invalid_params("must be string"),
        ),
        (
            [*WINDOW.items(), ("answered", "true"), ("answered", "true")],
            invalid_params("must be string"),
        ),
        ([*WINDOW.items(), ("count", "1"), ("count", "2")], invalid_params("must be number")),
        # Ajv reports unknown properties before a bad value, whatever the parameters' order.
        (
            [*WINDOW.items(), ("departmentId", "a"), ("departmentId", "b"), ("foo", "1")],
            invalid_params("must NOT have additional properties"),
        ),
        ({"start": "yesterday", "end": END}, invalid_date("start")),
        ({"start": START, "end": "2026-13-01"}, invalid_date("end")),
        ({"start": "", "end": ""}, invalid_date("start")),
        ({"start": "yesterday", "end": "tomorrow"}, invalid_date("start")),
        ({"start": "x", "end": "y", "count": "z"}, invalid_params("must be number")),
    ],
)
async def test_invalid_parameters_return_rocketchat_errors(
    client: TestClient, params: Any, body: dict[str, Any]
) -> None:
    assert await get(client, params) == (400, body)


# ----------------------------------------------------------------------------- 401 / 403


@pytest.mark.usefixtures("rooms")
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Auth-Token": "manager-token"},
        {"X-User-Id": "manager"},
        {"X-User-Id": "nobody", "X-Auth-Token": "manager-token"},
        {"X-User-Id": "manager", "X-Auth-Token": "wrong-token"},
        {"X-User-Id": "agent", "X-Auth-Token": "manager-token"},  # one user's token, another's id
        {"X-User-Id": "manager", "X-Auth-Token": ""},
        # What the database stores is not a credential: the header is hashed before comparing.
        {"X-User-Id": "manager", "X-Auth-Token": hashed("manager-token")},
    ],
)
async def test_missing_or_wrong_credentials_return_401(
    client: TestClient, headers: dict[str, str]
) -> None:
    assert await get(client, WINDOW, headers) == (401, UNAUTHORIZED)


@pytest.mark.usefixtures("rooms")
async def test_user_without_a_role_holding_the_permission_gets_403(client: TestClient) -> None:
    assert await get(client, WINDOW, AGENT) == (403, FORBIDDEN)


async def test_missing_permission_document_denies_everyone(db: Any, client: TestClient) -> None:
    await db.users.insert_one(user("manager", [login_token("manager-token")]))
    assert await get(client, WINDOW) == (403, FORBIDDEN)


@pytest.mark.usefixtures("rooms")
async def test_checks_run_in_rocketchat_order_401_then_403_then_400(client: TestClient) -> None:
    assert await get(client, {"start": "bad"}, {}) == (401, UNAUTHORIZED)
    assert await get(client, {"start": "bad"}, AGENT) == (403, FORBIDDEN)
    assert await get(client, {"start": "bad"}) == (
        400,
        invalid_params("must have required property 'end'"),
    )


async def test_expired_login_token_is_refused(db: Any, client: TestClient) -> None:
    old = datetime.now(UTC) - timedelta(days=91)
    await db.users.insert_one(user("manager", [login_token("manager-token", when=old)]))
    await db.rocketchat_permissions.insert_one(permission(["livechat-manager"]))
    assert await get(client, WINDOW) == (401, UNAUTHORIZED)


@pytest.mark.parametrize(
    ("stored", "override", "age_days", "status"),
    [
        (None, None, 89, 200),  # Rocket.Chat's default: 90 days
        (10, None, 11, 401),  # the workspace's Accounts_LoginExpiration
        (10, None, 9, 200),
        (10, 30, 11, 200),  # OVERWRITE_SETTING_Accounts_LoginExpiration wins
        (0, None, 89, 200),  # a non-positive setting means the default, as in Rocket.Chat
    ],
)
async def test_login_expiry_follows_accounts_login_expiration(
    db: Any,
    make_client: MakeClient,
    stored: int | None,
    override: int | None,
    age_days: int,
    status: int,
) -> None:
    from service.settings import RocketChatOverrides

    issued = datetime.now(UTC) - timedelta(days=age_days)
    await db.users.insert_one(user("manager", [login_token("manager-token", when=issued)]))
    await db.rocketchat_permissions.insert_one(permission(["livechat-manager"]))
    if stored is not None:
        await db.rocketchat_settings.insert_one(setting("Accounts_LoginExpiration", stored))
    client = await make_client(overrides=RocketChatOverrides(login_expiration_days=override))
    assert (await get(client, WINDOW))[0] == status


async def test_personal_access_tokens_do_not_expire(
    db: Any, client: TestClient, rooms: list[dict[str, Any]]
) -> None:
    ancient = datetime.now(UTC) - timedelta(days=3 * 365)
    await db.users.insert_one(user("bot", [personal_access_token("pat-token", when=ancient)]))
    expected = oracle.amount_of_chats(rooms, START_AT, END_AT)
    assert await get(client, WINDOW, {"X-User-Id": "bot", "X-Auth-Token": "pat-token"}) == (
        200,
        envelope(expected, 0, 50),
    )


@pytest.mark.parametrize("token", [login_token, personal_access_token])
async def test_deactivated_user_is_refused(db: Any, client: TestClient, token: Any) -> None:
    await db.users.insert_one(user("manager", [token("manager-token")], active=False))
    await db.rocketchat_permissions.insert_one(permission(["livechat-manager"]))
    assert await get(client, WINDOW) == (401, UNAUTHORIZED)


# ----------------------------------------------------------------------------- 200


@pytest.mark.parametrize("answered", [None, "true", "false", "TRUE", "1", ""])
async def test_only_the_string_true_counts_answered_chats(
    client: TestClient, rooms: list[dict[str, Any]], answered: str | None
) -> None:
    params = WINDOW if answered is None else {**WINDOW, "answered": answered}
    expected = oracle.amount_of_chats(rooms, START_AT, END_AT, answered=answered == "true")
    assert await get(client, params) == (200, envelope(expected, 0, 50))


@pytest.mark.parametrize(
    ("given", "department"),
    [
        ("alpha", "alpha"),
        ("", None),
        ("undefined", None),
        ("no-such-department", "no-such-department"),
    ],
)
async def test_department_filter_and_its_all_values(
    client: TestClient, rooms: list[dict[str, Any]], given: str, department: str | None
) -> None:
    params = {**WINDOW, "answered": "true", "departmentId": given}
    expected = oracle.amount_of_chats(rooms, START_AT, END_AT, answered=True, department=department)
    assert await get(client, params) == (200, envelope(expected, 0, 50))


async def test_rooms_without_a_department_form_one_null_group(db: Any, client: TestClient) -> None:
    # A literal answer on purpose: it checks the oracle's reading of the contract as well.
    await seed_auth(db)
    await db.rocketchat_room.insert_many(
        [
            room("no-field-1", START_AT, waiting=True),
            room("no-field-2", START_AT, waiting=True),
            room("explicit-null", START_AT, department=None, waiting=True),
            room("sales", START_AT, department="sales", waiting=True),
        ]
    )
    expected = {
        "departments": [{"_id": None, "rooms": 3}, {"_id": "sales", "rooms": 1}],
        "count": 2,
        "offset": 0,
        "total": 2,
        "success": True,
    }
    assert await get(client, WINDOW) == (200, expected)


async def test_both_bounds_are_inclusive_to_the_millisecond(db: Any, client: TestClient) -> None:
    await seed_auth(db)
    ms = timedelta(milliseconds=1)
    await db.rocketchat_room.insert_many(
        [
            room("at-start", START_AT, department="d"),
            room("at-end", END_AT, department="d"),
            room("before", START_AT - ms, department="d"),
            room("after", END_AT + ms, department="d"),
        ]
    )
    expected = {
        "departments": [{"_id": "d", "rooms": 2}],
        "count": 1,
        "offset": 0,
        "total": 1,
        "success": True,
    }
    assert await get(client, {**WINDOW, "answered": "true"}) == (200, expected)


@pytest.mark.parametrize(
    ("start", "end", "start_at", "end_at"),
    [
        (
            "2026-09-10",
            "2026-09-20",
            datetime(2026, 9, 10, tzinfo=UTC),
            datetime(2026, 9, 20, tzinfo=UTC),
        ),
        (
            "2026-09-10T06:30:00.000Z",
            "2026-09-20T18:00:00.250Z",
            datetime(2026, 9, 10, 6, 30, tzinfo=UTC),
            datetime(2026, 9, 20, 18, 0, 0, 250000, tzinfo=UTC),
        ),
        (
            "2026-09-10T08:30:00+02:00",
            "2026-09-20T20:00:00+02:00",
            datetime(2026, 9, 10, 6, 30, tzinfo=UTC),
            datetime(2026, 9, 20, 18, 0, tzinfo=UTC),
        ),
        (
            "Thu, 10 Sep 2026 06:30:00 GMT",
            "Sun, 20 Sep 2026 18:00:00 GMT",
            datetime(2026, 9, 10, 6, 30, tzinfo=UTC),
            datetime(2026, 9, 20, 18, 0, tzinfo=UTC),
        ),
        (
            "2026-09-10T06:30",
            "Sep 20 2026",
            datetime(2026, 9, 10, 6, 30, tzinfo=UTC),
            datetime(2026, 9, 20, tzinfo=UTC),
        ),
    ],
)
async def test_date_forms_are_read_like_javascript_date_parse(
    client: TestClient,
    rooms: list[dict[str, Any]],
    start: str,
    end: str,
    start_at: datetime,
    end_at: datetime,
) -> None:
    expected = oracle.amount_of_chats(rooms, start_at, end_at, answered=True)
    assert expected, "the window should hold rooms"
    assert await get(client, {"start": start, "end": end, "answered": "true"}) == (
        200,
        envelope(expected, 0, 50),
    )


@pytest.mark.usefixtures("rooms")
async def test_end_before_start_is_an_empty_answer(client: TestClient) -> None:
    params = {"start": END, "end": START, "answered": "true"}
    empty = {"departments": [], "count": 0, "offset": 0, "total": 0, "success": True}
    assert await get(client, params) == (200, empty)


@pytest.mark.usefixtures("rooms")
async def test_empty_window_is_an_empty_answer(client: TestClient) -> None:
    # MongoDB's `$facet` gives `total: []` here; both test backends give `total: [{n: 0}]`
    # (mongomock and SecantusDB alike). The service reads either as 0, as MongoDB documents;
    # tests/pipelines/test_stages.py pins MongoDB's shape.
    params = {"start": "2020-01-01", "end": "2020-01-31", "answered": "true", "offset": "3"}
    empty = {"departments": [], "count": 0, "offset": 3, "total": 0, "success": True}
    assert await get(client, params) == (200, empty)


async def test_the_largest_safe_offset_is_accepted(
    client: TestClient, rooms: list[dict[str, Any]]
) -> None:
    largest = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER; one more is a 400 (above)
    params = {**WINDOW, "answered": "true", "offset": str(largest)}
    total = len(oracle.amount_of_chats(rooms, START_AT, END_AT, answered=True))
    assert total > 0
    assert await get(client, params) == (
        200,
        {"departments": [], "count": 0, "offset": largest, "total": total, "success": True},
    )


@pytest.mark.parametrize("size", [1, 2, 3])
async def test_pages_concatenate_to_the_whole_list(
    client: TestClient, rooms: list[dict[str, Any]], size: int
) -> None:
    expected = oracle.amount_of_chats(rooms, START_AT, END_AT, answered=True)
    collected: list[dict[str, Any]] = []
    for offset in range(0, len(expected) + size, size):
        status, body = await get(
            client, {**WINDOW, "answered": "true", "offset": str(offset), "count": str(size)}
        )
        assert status == 200
        assert body == envelope(expected, offset, size)
        collected.extend(body["departments"])
    assert collected == expected


@pytest.mark.usefixtures("rooms")
async def test_sort_is_accepted_and_ignored(client: TestClient) -> None:
    plain = await get(client, {**WINDOW, "answered": "true"})
    sorted_ = await get(client, {**WINDOW, "answered": "true", "sort": '{"rooms": 1}'})
    assert sorted_ == plain


@pytest.fixture
async def many_departments(db: Any) -> list[dict[str, Any]]:
    """120 departments, so the page limits show."""
    await seed_auth(db)
    documents = [
        room(f"r{d}-{n}", START_AT + timedelta(hours=n), department=f"dept{d:03d}")
        for d in range(120)
        for n in range(1 + d % 4)
    ]
    await db.rocketchat_room.insert_many([dict(d) for d in documents])
    return documents


@pytest.mark.parametrize(
    ("params", "offset", "limit"),
    [
        ({}, 0, 50),  # API_Default_Count
        ({"count": "150"}, 0, 100),  # clamped to API_Upper_Count_Limit
        ({"count": "0"}, 0, None),  # API_Allow_Infinite_Count: all rows
        ({"count": "7", "offset": "110"}, 110, 7),
        ({"offset": "500"}, 500, 50),  # past the end: an empty page, the same total
        ({"count": "2.9"}, 0, 2),  # parseInt truncates
    ],
)
async def test_paging_defaults_clamp_and_unlimited(
    client: TestClient,
    many_departments: list[dict[str, Any]],
    params: dict[str, str],
    offset: int,
    limit: int | None,
) -> None:
    expected = oracle.amount_of_chats(many_departments, START_AT, END_AT, answered=True)
    assert len(expected) == 120
    assert await get(client, {**WINDOW, "answered": "true", **params}) == (
        200,
        envelope(expected, offset, limit),
    )


@pytest.mark.parametrize(
    ("stored", "params", "limit"),
    [
        ({"API_Default_Count": 5}, {}, 5),
        ({"API_Upper_Count_Limit": 10}, {"count": "50"}, 10),
        ({"API_Upper_Count_Limit": 0}, {"count": "150"}, 100),  # <= 0 means 100
        ({"API_Allow_Infinite_Count": False}, {"count": "0"}, 50),
        ({"API_Allow_Infinite_Count": False, "API_Default_Count": 7}, {"count": "0"}, 7),
    ],
)
async def test_paging_follows_the_workspace_settings(
    db: Any,
    client: TestClient,
    many_departments: list[dict[str, Any]],
    stored: dict[str, Any],
    params: dict[str, str],
    limit: int,
) -> None:
    await db.rocketchat_settings.insert_many([setting(k, v) for k, v in stored.items()])
    expected = oracle.amount_of_chats(many_departments, START_AT, END_AT, answered=True)
    assert await get(client, {**WINDOW, "answered": "true", **params}) == (
        200,
        envelope(expected, 0, limit),
    )


async def test_environment_overrides_win_over_stored_settings(
    db: Any, make_client: MakeClient, many_departments: list[dict[str, Any]]
) -> None:
    from service.settings import load_settings

    await db.rocketchat_settings.insert_one(setting("API_Default_Count", 5))
    overrides = load_settings({"OVERWRITE_SETTING_API_Default_Count": "12"}).overrides
    client = await make_client(overrides=overrides)
    expected = oracle.amount_of_chats(many_departments, START_AT, END_AT, answered=True)
    assert await get(client, {**WINDOW, "answered": "true"}) == (200, envelope(expected, 0, 12))


# ----------------------------------------------------------------------------- the rest


async def test_health_and_readiness_on_a_working_database(client: TestClient) -> None:
    health = await client.get("/healthz")
    ready = await client.get("/readyz")
    assert (health.status, await health.json()) == (200, {"status": "ok"})
    assert (ready.status, await ready.json()) == (200, {"status": "ok"})


async def test_unknown_paths_get_a_json_404(client: TestClient) -> None:
    response = await client.get("/api/v1/livechat/analytics/departments/nope", headers=MANAGER)
    assert (response.status, await response.json()) == (
        404,
        {"success": False, "error": "Not Found"},
    )
