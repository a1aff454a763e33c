"""The IANA time zones every calendar of ours is computed in: the pinned `tzdata` package's own
data, never the host's tz files (which `ZoneInfo(name)` would prefer), so our own API's days and
the agents report's server days agree with each other and do not change with the image."""

import functools
from importlib import resources
from zoneinfo import ZoneInfo


@functools.cache
def zone_names() -> frozenset[str]:
    """The IANA names the pinned `tzdata` package holds (case-sensitive, as IANA's are)."""
    return frozenset(resources.files("tzdata").joinpath("zones").read_text().split())


@functools.cache
def load_zone(name: str) -> ZoneInfo:
    """The zone from the pinned `tzdata` package itself, never from the host's tz files (which
    `ZoneInfo(name)` would prefer), so calendars do not change with the image. `name` must be in
    `zone_names()`; the cache is bounded by that set."""
    data = resources.files("tzdata.zoneinfo").joinpath(*name.split("/"))
    with data.open("rb") as file:
        return ZoneInfo.from_file(file, key=name)
