"""aiohttp's own HTTP errors rendered in Rocket.Chat's shape, keeping what RFC 9110 requires."""

from aiohttp.test_utils import TestClient

URL = "/api/v1/livechat/analytics/departments/amount-of-chats"


async def test_a_wrong_method_is_a_json_405_that_says_which_methods_are_allowed(
    client: TestClient,
) -> None:
    response = await client.post(URL)
    assert response.status == 405
    assert await response.json() == {"success": False, "error": "Method Not Allowed"}
    # RFC 9110 §15.5.6: a 405 MUST carry Allow.
    assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD"}
    assert response.headers["Content-Type"].startswith("application/json")


async def test_an_unknown_path_is_a_json_404(client: TestClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status == 404
    assert await response.json() == {"success": False, "error": "Not Found"}
