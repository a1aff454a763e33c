"""Pipelines compared as the driver sends them: BSON documents are ordered, and for some
stages (`$sort` above all) the order of keys is the meaning, which `==` on dicts ignores."""

from collections.abc import Mapping
from typing import Any


def as_sent(value: Any) -> Any:
    """`value` with every mapping turned into its list of (key, value) pairs, recursively."""
    if isinstance(value, Mapping):
        return [(key, as_sent(item)) for key, item in value.items()]
    if isinstance(value, list | tuple):
        return [as_sent(item) for item in value]
    return value
