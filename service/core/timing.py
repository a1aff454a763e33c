"""Time spent in MongoDB during the current request, for the `Server-Timing` header."""

from contextvars import ContextVar, Token

_database_seconds: ContextVar[list[float] | None] = ContextVar("database_seconds", default=None)


def record_database_time(seconds: float) -> None:
    """Add to the current request's database time (a no-op outside a request)."""
    spent = _database_seconds.get()
    if spent is not None:
        spent.append(seconds)


def start_request() -> tuple[list[float], Token[list[float] | None]]:
    spent: list[float] = []
    return spent, _database_seconds.set(spent)


def end_request(token: Token[list[float] | None]) -> None:
    _database_seconds.reset(token)
