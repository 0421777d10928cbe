"""The closed-set report and the roll-call: the model the renderers draw, and the pure computations behind it
(state periods, headcount over time, its peak).

No I/O: the reports service reads the log and builds the model; the renderers draw it.  In the computations,
times are anything ordered (aware datetimes in practice) and events must be given oldest first.
"""

from __future__ import annotations

import typing
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from kiosk.core.audit import AuditResult
from kiosk.core.checkins import Completion
from kiosk.core.door import Decision


class _Ordered(typing.Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


T = TypeVar("T", bound=_Ordered)  # a time: a datetime in the kiosk, a plain number in tests
MOVES = (Decision.ADMIT, Decision.EXIT)
REFUSALS = (Decision.WAIT, Decision.DENY)


@dataclass(frozen=True)
class Period(Generic[T]):
    """The scene in one state from ``start`` until ``end`` (None: still in that state)."""

    state: str
    start: T
    end: T | None = None


@dataclass(frozen=True, slots=True)
class DoorEvent:
    """One door event of the timeline, in plain words."""

    id: int  # the log row, for checking against `kiosk log` and the audit
    at: datetime
    kind: str  # one of DOOR_KINDS
    words: str
    zone: str | None = None
    decision: str | None = None  # admit, exit, wait, deny (scans, overrides and sweeps)
    reason: str | None = None  # the stored reason code
    person_ref: str | None = None
    name: str | None = None
    raw: str | None = None  # for refusals of unknown codes: the input, masked (``codes.masked``)
    by: str | None = None  # who approved, removed an approval or admitted by lookup
    kiosk: str = ""


@dataclass(frozen=True, slots=True)
class Flag:
    """Something the record of every door shows that should not have happened, or that needs a second look:
    an anomaly across doors, a conflict the record settled, a clock found off at a sync (``kiosk.core.anomalies``
    names the kinds)."""

    kind: str  # admitted_after_revocation, entered_twice, exit_without_entry, conflict, clock_skew
    at: datetime  # when it happened (for a conflict: the change kept)
    kiosk: str  # the door (device) whose event it is
    words: str
    zone: str | None = None
    person_ref: str | None = None
    name: str | None = None
    other_kiosk: str | None = None  # the door of the event it goes against (the revocation, the entry...)
    other_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Approval:
    """A person on the approved list as it stands now."""

    zone: str
    person_ref: str
    name: str
    department: str
    role: str
    by: str
    at: datetime
    temporary: bool


@dataclass(frozen=True, slots=True)
class ChecklistLine:
    """One item of the scene's checklist as it stands: met or not, who confirmed it and when, any warning."""

    item: str
    words: str
    required: bool
    met: bool
    detail: str
    by: str | None = None
    at: datetime | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OpenedOutstanding:
    """The set was opened with required items of its checklist outstanding: which, by whom, and why."""

    at: datetime
    items: tuple[str, ...]  # the items' words, with what was missing
    by: str | None = None  # "supervisor" for an override with the PIN; None when the checklist was advisory
    why: str | None = None  # the supervisor's reason (an override)


@dataclass(frozen=True, slots=True)
class ListAck:
    """A performer's latest acknowledgement of the approved list (None: not yet)."""

    performer: str
    at: datetime | None = None
    by: str | None = None
    for_them: bool = False  # recorded for them (by the IC, or the AD at the door)


@dataclass(frozen=True, slots=True)
class NoIcChoice:
    """A performer's own choice to work without an IC, made or withdrawn with their own badge."""

    performer: str
    at: datetime
    withdrawn: bool


@dataclass(frozen=True)
class Protocol:
    """The closed-set protocol of one scene in the report: ready before it opened, the performers told of who
    would be there, and any choice to work without an IC."""

    checklist: tuple[ChecklistLine, ...] = ()
    opened_outstanding: tuple[OpenedOutstanding, ...] = ()
    acknowledged: tuple[ListAck, ...] = ()
    not_told: tuple[str, ...] = ()  # on the list, the performers not yet told of them
    no_ic: tuple[NoIcChoice, ...] = ()
    without_ic: bool = False  # the scene runs without an IC now, by every performer's own choice


@dataclass(frozen=True)
class SceneReport:
    ref: str
    title: str
    location: str
    date: str
    state: str
    coordinator: str | None
    performers: tuple[str, ...]
    approved: tuple[Approval, ...]
    events: tuple[DoorEvent, ...]  # the timeline, oldest first (within the day, for a day report)
    periods: tuple[Period, ...]  # every state the set was in, with start and end (None: still in force)
    headcount: tuple[tuple[datetime, int], ...]  # people inside after each change
    peak: int
    peak_at: datetime | None
    checkins: Completion  # counts only, never what was said
    flags: tuple[Flag, ...] = ()  # anomalies across doors and conflicts settled, of this scene, oldest first
    protocol: Protocol = field(default_factory=Protocol)

    def _of(self, kinds: tuple[str, ...], decisions: tuple[str, ...] | None = None) -> list[DoorEvent]:
        return [e for e in self.events if e.kind in kinds and (decisions is None or e.decision in decisions)]

    @property
    def entries(self) -> list[DoorEvent]:
        return self._of(("scan", "override"), (Decision.ADMIT,))

    @property
    def exits(self) -> list[DoorEvent]:
        """Out by badge, by name, or marked out because a performer objected to them."""
        return self._of(("scan", "override", "objected"), (Decision.EXIT,))

    @property
    def movements(self) -> list[DoorEvent]:
        """Every entry and exit (a sweep and a performer's objection included), oldest first."""
        return self._of(("scan", "override", "sweep", "objected"), MOVES)

    @property
    def refused(self) -> list[DoorEvent]:
        """Refused badges, and refused lookups by name (the AD found someone the rule turned away)."""
        return self._of(("scan", "override"), REFUSALS)

    @property
    def swept(self) -> list[DoorEvent]:
        return self._of(("sweep",))

    @property
    def approval_changes(self) -> list[DoorEvent]:
        return self._of(("approve", "unapprove"))

    def approved_in(self, zone: str) -> list[Approval]:
        return [approval for approval in self.approved if approval.zone == zone]

    def restricted_periods(self) -> list[Period]:
        """Rolling and hold periods: when nobody walked in."""
        return [period for period in self.periods if period.state in ("rolling", "hold")]

    def details(self) -> list[tuple[str, str]]:
        """The scene's particulars, labelled, in every format."""
        return [
            ("Title", self.title),
            ("Location", self.location),
            ("Date", self.date),
            ("State now", self.state),
            ("Intimacy coordinator", self.coordinator or ""),
            ("Performers", ", ".join(self.performers)),
        ]

    def summary(self) -> list[tuple[str, int]]:
        """The figures at the head of each scene's section, in every format."""
        return [
            ("Entries", len(self.entries)),
            ("Exits", len(self.exits)),
            ("Refused attempts", len(self.refused)),
            ("Peak headcount", self.peak),
            ("Swept out at the lift", len(self.swept)),
            ("Rolling periods", sum(p.state == "rolling" for p in self.periods)),
            ("Hold periods", sum(p.state == "hold" for p in self.periods)),
            ("Check-ins done", self.checkins.done),
            ("Check-ins pending", self.checkins.pending),
            ("Check-ins offered", self.checkins.offered),
            ("Follow-ups open", self.checkins.follow_up_open),
            ("Opened with items outstanding", len(self.protocol.opened_outstanding)),
            ("Performers not yet told", len(self.protocol.not_told)),
        ]


@dataclass(frozen=True)
class Report:
    """A record of one scene, or of every scene with door activity on one local day."""

    production: str
    scope: str  # "scene" or "day"
    subject: str  # the scene ref, or the day as YYYY-MM-DD
    generated_at: datetime
    timezone: str  # the name of the local zone the times are in
    scenes: tuple[SceneReport, ...]
    audit: AuditResult
    start: datetime | None = None  # the day's span, for a day report
    end: datetime | None = None
    clocks: tuple[Flag, ...] = ()  # doors whose clock was found more than two minutes off at a sync

    @property
    def doors(self) -> tuple[str, ...]:
        """Every door (device) with an event in the report."""
        return tuple(sorted({event.kiosk for scene in self.scenes for event in scene.events if event.kiosk}))

    @property
    def title(self) -> str:
        return f"Scene {self.subject}" if self.scope == "scene" else f"Closed sets on {self.subject}"


@dataclass(frozen=True)
class Present:
    scene: str
    zone: str
    person_ref: str
    name: str
    department: str
    role: str
    since: datetime


@dataclass(frozen=True)
class RollCall:
    """Everyone inside any scene whose closed set is in force, for an evacuation."""

    production: str
    printed_at: datetime
    timezone: str
    people: tuple[Present, ...] = field(default_factory=tuple)


def state_periods(changes: Iterable[tuple[T, str]]) -> list[Period[T]]:
    """Periods from state-change events ``(at, new_state)``: each lasts until the next change.

    A change to the state already in force (a repeated event) extends the period rather than starting one.
    """
    periods: list[Period[T]] = []
    for at, state in changes:
        if periods and periods[-1].state == state:
            continue
        if periods:
            periods[-1] = Period(periods[-1].state, periods[-1].start, at)
        periods.append(Period(state, at))
    return periods


def clip_periods(periods: Sequence[Period[T]], start: T, end: T) -> list[Period[T]]:
    """The parts of ``periods`` inside ``[start, end)``; a period still in force stays open (end None)."""
    clipped: list[Period[T]] = []
    for period in periods:
        period_start = max(period.start, start)
        period_end = None if period.end is None else min(period.end, end)
        if period_start < (end if period_end is None else period_end):
            clipped.append(Period(period.state, period_start, period_end))
    return clipped


def headcount(moves: Iterable[tuple[T, Hashable, Hashable, str | None]]) -> list[tuple[T, int]]:
    """People inside after each change, from ``(at, person, zone, decision)`` events, oldest first.

    ``decision`` is "admit" (into that zone) or "exit" (out of it; a sweep is an exit).  A person inside
    both zones counts once.  An exit of someone not inside changes nothing, so the count is never negative;
    a point is emitted only when the count changes.
    """
    zones_of: dict[Hashable, set[Hashable]] = {}
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


def bucket_max(series: Sequence[tuple[float, int]], start: float, end: float, buckets: int) -> list[tuple[float, int]]:
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
