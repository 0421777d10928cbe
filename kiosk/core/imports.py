"""A long crew list recorded in short transactions, all-or-nothing by the log itself.  Pure: no I/O.

A list too long to write in one short transaction is recorded in chunks, each its own transaction, so that the
door's scans go in between them.  Every event of such an import names it (``"import": its id`` in the body) and
is *inert* until the import's closing event (``IMPORTED``, key ``import/<id>``) is in the log: the fold of a
person's key leaves out the events of an import that is not closed.  An import that dies midway (a kill, a power
cut) leaves inert events that every fold, the audit's rebuild and every machine the events travel to ignore alike;
running the list again records it anew under another id.  Nobody of an unclosed import is on the roster: the door
does not know them.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from kiosk.core.events import Event

IMPORTED = "roster.imported"  # the closing event of an import recorded in chunks: its people count from now on
FAMILY = "import"


def import_key(import_id: str) -> str:
    return f"{FAMILY}/{import_id}"


def import_of(event: Event) -> str | None:
    """The import whose closing event ``event`` waits for (None: it is in force as soon as it is in the log)."""
    named = event.body.get("import") if event.type != IMPORTED else None
    return named if isinstance(named, str) else None


def named_imports(events: Iterable[Event]) -> set[str]:
    return {named for named in map(import_of, events) if named is not None}


def in_force(events: Iterable[Event], closed: Container[str]) -> list[Event]:
    """The events that count: all but those of an import whose closing event is not among ``closed``."""
    return [event for event in events if (named := import_of(event)) is None or named in closed]


def closed_by(event: Event) -> str | None:
    """The import ``event`` closes, if it is a closing event."""
    named = event.body.get("import") if event.type == IMPORTED else None
    return named if isinstance(named, str) else None
