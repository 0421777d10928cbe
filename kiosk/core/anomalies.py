"""What the door record of every device says happened that should not have.  Pure.

Each door decides alone from what it has received, so two doors that have not yet seen each other's events can
both act on an old picture.  Taken together, in the one order every machine agrees on (``Event.order``), their
events show it:

- **admitted after a revocation**: an entry on a badge that an earlier event had revoked, or replaced with a new
  badge, made by a door that had not yet received that event;
- **two entries without an exit**: someone let into a zone where they were inside already (two doors that had
  not seen each other's entry);
- **an exit with no entry**: someone let out of a zone where they were not inside (their exit had been recorded
  at another door).  A lift's sweep of someone already out is none: two doors lifting the set both mark them
  out;
- **a clock off by more than two minutes**: a device whose clock was that far from the hub's at a sync (its
  times on the record are off by as much; the order of the record is not: it never rests on a wall clock alone).

Conflicts the record settled (two machines changing one thing without seeing each other) are kept by the fold
(``kiosk.core.record``) and shown beside these.  Every machine that has the same events finds the same anomalies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from kiosk.core import record as rules
from kiosk.core.events import Event

ADMITTED_AFTER_REVOCATION = "admitted_after_revocation"
ENTERED_TWICE = "entered_twice"
EXIT_WITHOUT_ENTRY = "exit_without_entry"
CONFLICT = "conflict"  # two changes of one thing made apart, settled by the record's rule
CLOCK_SKEW = "clock_skew"
KINDS = (ADMITTED_AFTER_REVOCATION, ENTERED_TWICE, EXIT_WITHOUT_ENTRY)
SKEW_LIMIT_SECONDS = 120  # the hub flags a clock further off than this (kiosk.hub.schema.SKEW_LIMIT_SECONDS)
SKEW_STEP_SECONDS = 60  # a flagged clock is noted again when its skew moved by this much since the last note

Order = tuple[str, str, int]  # Event.order: hybrid clock, device, seq


@dataclass(frozen=True)
class DoorMove:
    """An entry or an exit as the door recorded it."""

    event: str  # event id
    device: str
    order: Order
    at: str
    scene: str
    person: str
    zone: str
    decision: str  # "admit" or "exit"
    badge: str | None = None  # the digest of the badge scanned (None: admitted by name, or swept)
    swept: bool = False  # marked out when the closed set was lifted


@dataclass(frozen=True)
class BadgeEnd:
    """A badge that stopped working: revoked, or replaced when a new one was issued to the same person."""

    digest: str
    event: str
    device: str
    order: Order
    at: str
    how: str  # "revoked" or "replaced"


@dataclass(frozen=True)
class Anomaly:
    kind: str  # one of KINDS
    scene: str
    person: str
    zone: str
    event: str  # the entry or exit that should not have happened
    device: str
    at: str
    earlier_event: str | None  # what it goes against: the revocation, the entry, the exit
    earlier_device: str | None
    earlier_at: str | None
    words: str


def badge_ends(events: Iterable[Event]) -> list[BadgeEnd]:
    """When each badge stopped working, from the badge events (issued, revoked) of every person."""
    ends: dict[str, BadgeEnd] = {}
    badge_events = sorted(
        (event for event in events if event.type in (rules.BADGE_ISSUED, rules.BADGE_REVOKED)),
        key=lambda event: (event.key, event.order),
    )
    for _, person_events in groupby(badge_events, key=lambda event: event.key):
        active: str | None = None
        for event in person_events:
            digest = event.body["digest"]
            if event.type == rules.BADGE_ISSUED:
                if active is not None and active != digest:
                    ends.setdefault(active, BadgeEnd(active, event.id, event.device, event.order, event.at, "replaced"))
                active = digest
            else:
                ends.setdefault(digest, BadgeEnd(digest, event.id, event.device, event.order, event.at, "revoked"))
                if active == digest:
                    active = None
    return list(ends.values())


def _anomaly(kind: str, move: DoorMove, earlier: DoorMove | BadgeEnd | None, words: str) -> Anomaly:
    return Anomaly(
        kind,
        move.scene,
        move.person,
        move.zone,
        move.event,
        move.device,
        move.at,
        earlier.event if earlier else None,
        earlier.device if earlier else None,
        earlier.at if earlier else None,
        words,
    )


def find(moves: Iterable[DoorMove], ends: Iterable[BadgeEnd]) -> list[Anomaly]:
    """Every anomaly in the door's moves of every device, each person's in the agreed order, found by scene,
    person and zone (in that order)."""
    ended: dict[str, BadgeEnd] = {}
    for end in ends:  # the first end of a badge in the agreed order, whatever order they are given in
        if end.digest not in ended or end.order < ended[end.digest].order:
            ended[end.digest] = end
    found = []
    ordered = sorted(moves, key=lambda move: (move.scene, move.person, move.zone, move.order))
    for _, place in groupby(ordered, key=lambda move: (move.scene, move.person, move.zone)):
        entry: DoorMove | None = None  # the entry they are inside on
        last_exit: DoorMove | None = None
        for move in place:
            if move.decision == "admit":
                ending = ended.get(move.badge) if move.badge else None
                if ending is not None and ending.order < move.order:
                    found.append(
                        _anomaly(
                            ADMITTED_AFTER_REVOCATION,
                            move,
                            ending,
                            f"admitted at {move.device} on a badge {ending.how} at {ending.device} "
                            "before it "
                            f"({move.device} had not yet received that)",
                        )
                    )
                if entry is not None:
                    found.append(
                        _anomaly(
                            ENTERED_TWICE,
                            move,
                            entry,
                            f"let in at {move.device} while inside already since an entry at "
                            f"{entry.device}, with no exit between",
                        )
                    )
                entry = move
            else:
                if entry is None and not move.swept:
                    found.append(
                        _anomaly(
                            EXIT_WITHOUT_ENTRY,
                            move,
                            last_exit,
                            f"let out at {move.device} while not inside"
                            + (f" (already let out at {last_exit.device})" if last_exit else ""),
                        )
                    )
                entry, last_exit = None, move
    return found


@dataclass(frozen=True)
class ClockSkew:
    """A device's clock as a sync found it against the hub's (``kiosk.core.record.CLOCK`` events)."""

    device: str
    event: str
    at: str  # the device's own clock when it noted it
    skew: float  # the hub's clock minus the device's, in seconds
    flagged: bool

    @property
    def words(self) -> str:
        if not self.flagged:
            return f"the clock of {self.device} is back within two minutes of the hub's"
        return (
            f"the clock of {self.device} was {span(abs(self.skew))} {'behind' if self.skew > 0 else 'ahead of'} "
            "the hub's at a sync: its times on the record are off by as much"
        )


def span(seconds: float) -> str:
    """A duration in plain words: "2 h 5 min", "3 min", "45 s"."""
    whole = round(seconds)
    hours, minutes = divmod(whole // 60, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{whole} s"


def worth_noting(previous: ClockSkew | None, skew: float, flagged: bool) -> bool:
    """Whether a sync that measured ``skew`` notes it on the record: a clock found too far off (first time,
    or moved by a minute or more since the last note), or one back within the limit after a note that it was
    not (a clock within the limit all along is never noted: the record does not grow at every sync)."""
    if previous is None or not previous.flagged:
        return flagged
    return not flagged or abs(skew - previous.skew) >= SKEW_STEP_SECONDS
