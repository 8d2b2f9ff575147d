"""How the dashboard writes numbers and times for people: binary sizes and relative times."""

from __future__ import annotations

import datetime as dt

from cloudraya_registry.db.models import as_utc

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def human_size(value: int | float | None) -> str:
    """``1536`` -> ``1.5 KiB``; whole bytes below 1 KiB."""
    if value is None:
        return "—"
    size = float(value)
    if size < 1024:
        return f"{int(size)} B"
    for unit in _UNITS:
        size /= 1024
        if size < 1024 or unit == _UNITS[-1]:
            return f"{size:.1f} {unit}" if size < 100 else f"{size:.0f} {unit}"
    raise AssertionError("unreachable")


def exact_time(value: dt.datetime | None) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def iso_time(value: dt.datetime | None) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z") if value else ""


def relative_time(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """``3 minutes ago``; dates further back than 30 days are written out."""
    if value is None:
        return "never"
    value = as_utc(value)
    seconds = ((now or dt.datetime.now(dt.UTC)) - value).total_seconds()
    if seconds < 0:
        return "just now" if seconds > -60 else value.strftime("%Y-%m-%d")
    for limit, size, unit in (
        (60, 1, None),
        (3600, 60, "minute"),
        (86400, 3600, "hour"),
        (30 * 86400, 86400, "day"),
    ):
        if seconds < limit:
            if unit is None:
                return "just now"
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return value.strftime("%Y-%m-%d")


def percent(part: int | float, whole: int | float) -> float:
    """Share of ``whole`` in percent, clamped to 0-100, with a visible sliver for tiny use."""
    if whole <= 0:
        return 100.0
    share = 100.0 * part / whole
    if 0 < share < 0.5:
        return 0.5
    return min(100.0, share)


def percent_text(part: int | float, whole: int | float) -> str:
    """``0.4%``; a tiny but non-zero share reads ``<0.1%`` rather than a misleading 0.0%."""
    if whole <= 0:
        return "100%"
    share = 100.0 * part / whole
    if 0 < share < 0.1:
        return "<0.1%"
    return f"{share:.1f}%"


def listed(text: str) -> list[str]:
    """Items typed into one field, separated by commas or new lines (blanks dropped)."""
    return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]
