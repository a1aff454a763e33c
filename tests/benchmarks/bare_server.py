"""The yardstick: a bare aiohttp handler that answers a fixed JSON body of a given size, on
every path (the bench sends it the service's own request)."""

import sys

from aiohttp import web


def main() -> None:
    port, size = int(sys.argv[1]), int(sys.argv[2])
    filler = "x" * max(0, size - len('{"pad":""}'))
    body = ('{"pad":"' + filler + '"}').encode()

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
