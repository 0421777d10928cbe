"""Pure computations behind the closed-set report: state periods, headcount over time, its peak.

No I/O: the reports service reads the log and hands plain tuples in; renderers draw what comes out.
Times are anything ordered (aware datetimes in practice); events must be given oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable, Sequence, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Period:
    """The scene in one state from ``start`` until ``end`` (None: still in that state)."""

    state: str
    start: T
    end: T | None = None


def state_periods(changes: Iterable[tuple[T, str]]) -> list[Period]:
    """Periods from state-change events ``(at, new_state)``: each lasts until the next change.

    A change to the state already in force (a repeated event) extends the period rather than starting one.
    """
    periods: list[Period] = []
    for at, state in changes:
        if periods and periods[-1].state == state:
            continue
        if periods:
            periods[-1] = Period(periods[-1].state, periods[-1].start, at)
        periods.append(Period(state, at))
    return periods


def clip_periods(periods: Sequence[Period], start: T, end: T) -> list[Period]:
    """The parts of ``periods`` inside ``[start, end)``; a period still in force stays open (end None)."""
    clipped = []
    for period in periods:
        period_start = max(period.start, start)
        period_end = None if period.end is None else min(period.end, end)
        if period_start < (end if period_end is None else period_end):
            clipped.append(Period(period.state, period_start, period_end))
    return clipped


def headcount(moves: Iterable[tuple[T, Hashable, str, str]]) -> list[tuple[T, int]]:
    """People inside after each change, from ``(at, person, zone, decision)`` events, oldest first.

    ``decision`` is "admit" (into that zone) or "exit" (out of it; a sweep is an exit).  A person inside
    both zones counts once.  An exit of someone not inside changes nothing, so the count is never negative;
    a point is emitted only when the count changes.
    """
    zones_of: dict[Hashable, set[str]] = {}
    series: list[tuple[T, int]] = []
    count = 0
    for at, person, zone, decision in moves:
        zones = zones_of.setdefault(person, set())
        was_inside = bool(zones)
        if decision == "admit":
            zones.add(zone)
        elif decision == "exit":
            zones.discard(zone)
        else:
            continue
        count += bool(zones) - was_inside
        if series and series[-1][0] == at:
            series[-1] = (at, count)
        elif not series or series[-1][1] != count:
            series.append((at, count))
    return series


def count_at(series: Sequence[tuple[T, int]], at: T) -> int:
    """The headcount in force at time ``at`` (0 before the first point)."""
    value = 0
    for time, count in series:
        if time > at:
            break
        value = count
    return value


def clip_series(series: Sequence[tuple[T, int]], start: T, end: T) -> list[tuple[T, int]]:
    """The series inside ``[start, end)``, starting with the count in force at ``start``."""
    inside = [(time, count) for time, count in series if start < time < end]
    return [(start, count_at(series, start)), *inside]


def peak(series: Sequence[tuple[T, int]]) -> tuple[int, T | None]:
    """The highest headcount and the first time it was reached (0, None for an empty series)."""
    best: tuple[int, T | None] = (0, None)
    for time, count in series:
        if count > best[0]:
            best = (count, time)
    return best


def bucket_max(series: Sequence[tuple[float, int]], start: float, end: float,
               buckets: int) -> list[tuple[float, int]]:
    """A step series thinned for drawing: at most ``2 * buckets`` points, every local peak kept.

    Times are numbers (seconds); for each bucket of ``[start, end]`` the count in force at its start and the
    highest count reached inside it are kept, so the drawn chart never hides the peak.
    """
    if not series or end <= start or buckets < 1:
        return list(series)
    width = (end - start) / buckets
    thinned: list[tuple[float, int]] = []
    index, current = 0, 0
    for bucket in range(buckets):
        left, right = start + bucket * width, start + (bucket + 1) * width
        highest = current
        while index < len(series) and (series[index][0] < right or bucket == buckets - 1):
            current = series[index][1]
            highest = max(highest, current)
            index += 1
        thinned.append((left, highest))
        if current != highest:
            thinned.append((left + width / 2, current))
    return thinned


def bucket_peaks(series: Sequence[tuple[float, int]], start: float, end: float, buckets: int) -> list[int]:
    """The highest count in each of ``buckets`` equal slices of ``[start, end]``: the bars of a sparkline."""
    if end <= start or buckets < 1:
        return [series[-1][1] if series else 0] * max(buckets, 1)
    width = (end - start) / buckets
    peaks: dict[int, int] = {}
    for at, count in bucket_max(series, start, end, buckets):
        peaks.setdefault(min(buckets - 1, int((at - start) / width + 1e-9)), count)  # a slice's peak comes first
    return [peaks.get(bucket, 0) for bucket in range(buckets)]
