"""Python conveniences for the descriptions divex takes as JSON (consent directives, records):
a mapping instead of JSON text, with ``bytes``, dates and aware datetimes where the JSON holds
hex, ``YYYY-MM-DD`` and Unix seconds. Everywhere else, times are Unix seconds (``int``), as in
the library."""

from __future__ import annotations

import datetime
import json
import typing


def seconds(t: int | datetime.datetime) -> int:
    """Unix seconds for ``t``: an ``int`` as it is, or an aware :class:`datetime.datetime`."""
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None:
            raise ValueError("a datetime must carry a time zone (e.g. datetime.timezone.utc)")
        return int(t.timestamp())
    if isinstance(t, bool) or not isinstance(t, int):
        raise TypeError("a time is Unix seconds (int) or an aware datetime")
    return t


def date_text(d: str | datetime.date) -> str:
    """``YYYY-MM-DD`` for a date (a ``datetime`` is refused: it is ambiguous)."""
    if isinstance(d, datetime.datetime):
        raise TypeError("give a datetime.date (or 'YYYY-MM-DD'), not a datetime")
    if isinstance(d, datetime.date):
        return d.isoformat()
    return d


def _json_default(o: object) -> object:
    if isinstance(o, (bytes, bytearray, memoryview)):
        return bytes(o).hex()
    if isinstance(o, datetime.datetime):
        return seconds(o)
    if isinstance(o, datetime.date):
        return o.isoformat()
    raise TypeError(f"{type(o).__name__} cannot be given to divex as JSON")


def to_json(value: typing.Any) -> str:
    """JSON for a description given as a mapping (bytes become hex, dates ``YYYY-MM-DD``,
    aware datetimes Unix seconds); a string is passed through as already-JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=_json_default, separators=(",", ":"))
