"""Small statistics: medians, and how a time grows with N (least-squares fit on log-log)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no samples")
    return statistics.median(values)


def spread(samples: dict[str, Sequence[float]], digits: int = 3) -> str:
    """``ours 180-260, reference 240-270``: the range of each side's runs, for the notes."""
    return ", ".join(
        f"{label} {_short(min(values), digits)}-{_short(max(values), digits)}"
        for label, values in samples.items()
        if values
    )


def _short(value: float, digits: int) -> str:
    return f"{value:.{digits}g}"


def growth_exponent(ns: Sequence[float], times: Sequence[float]) -> float | None:
    """k in time ~ a * N^k (least squares on logs); 1.0 is linear. None for fewer than 2 points."""
    points = [(math.log(n), math.log(t)) for n, t in zip(ns, times, strict=True) if n > 0 and t > 0]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    denominator = sum((x - mean_x) ** 2 for x, _ in points)
    if denominator == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / denominator


def linear_fit(ns: Sequence[float], times: Sequence[float]) -> tuple[float, float] | None:
    """(fixed cost, cost per item) of time = a + b*N; None for fewer than 2 points."""
    if len(ns) < 2:
        return None
    mean_x = sum(ns) / len(ns)
    mean_y = sum(times) / len(times)
    denominator = sum((x - mean_x) ** 2 for x in ns)
    if denominator == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(ns, times, strict=True)) / denominator
    return mean_y - slope * mean_x, slope


def busy_seconds(intervals: Sequence[tuple[float, float]]) -> float:
    """Length of the union of (start, end) intervals: time with at least one call in flight."""
    total = 0.0
    current_start = current_end = None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total


def most_in_flight(intervals: Sequence[tuple[float, float]]) -> int:
    """The largest number of (start, end) intervals that overlap at one moment."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    current = peak = 0
    for _, step in events:  # at equal times an end (-1) sorts before a start (+1)
        current += step
        peak = max(peak, current)
    return peak
