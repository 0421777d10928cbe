"""How the events of one key make table rows: the frontier of the key, the winner among concurrent changes, and
the conflicts kept for reports.  The rules of each key are in ``kiosk.core.record``; this is the machinery they
share.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.core.events import Event

Row = dict[str, Any]


@dataclass(frozen=True)
class Conflict:
    """Two changes of one thing made without knowledge of each other, and which one every machine kept."""

    key: str
    kept: str  # event id
    lost: str  # event id
    words: str


@dataclass
class Folded:
    """What one key's events make: rows per table, the event that decided them, and any conflicts."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    winner: Event | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    frontier: tuple[str, ...] = ()  # the ids nothing supersedes: the parents of the key's next event


def frontier(events: Sequence[Event]) -> list[Event]:
    """The events of a key that no other event of it supersedes, in order."""
    seen = {parent for event in events for parent in event.parents}
    return [event for event in events if event.id not in seen]


def heads(
    events: Sequence[Event], safer: Callable[[Event, Event], Event], same: Callable[[Event, Event], bool]
) -> tuple[Event | None, list[Conflict]]:
    """The winning event of a key: the one event of its frontier, or between concurrent ones, ``safer``."""
    head: Event | None = None
    conflicts = []
    for event in frontier(events):
        if head is None:
            head = event
            continue
        kept = safer(head, event)
        if not same(head, event):
            lost = event if kept is head else head
            conflicts.append(
                Conflict(
                    event.key,
                    kept.id,
                    lost.id,
                    f"changed on {head.device} and {event.device} without either seeing the "
                    f"other: kept the {kept.type} of {kept.device}",
                )
            )
        head = kept
    return head, conflicts


def later(first: Event, second: Event) -> Event:
    return max(first, second, key=lambda event: event.order)


def same_body(first: Event, second: Event) -> bool:
    return first.type == second.type and first.body == second.body


def taking_away_wins(off: str) -> Callable[[Event, Event], Event]:
    """Between a change that takes something away (``off``: an approval removed, a confirmation withdrawn) and
    one made concurrently that grants it, the taking away wins: nothing is let in, or opened, on a disputed
    fact."""

    def safer(first: Event, second: Event) -> Event:
        if (first.type == off) != (second.type == off):
            return first if first.type == off else second
        return later(first, second)

    return safer


def toggle(table: str, on: str, off: str, row: Callable[[Event], Row]) -> Callable[[Sequence[Event]], Folded]:
    """The fold of a key that is granted (``on``) or taken away (``off``): one row while granted."""

    def fold(events: Sequence[Event]) -> Folded:
        head, conflicts = heads(events, taking_away_wins(off), lambda a, b: a.type == b.type)
        return Folded({table: [row(head)] if head and head.type == on else []}, head, conflicts)

    return fold
