"""Long reads (a report, the audit, the roll-call, a whole roster), and long writes done in short transactions (a
people import), on connections of their own.

The door's connection is for the door: a report that walks 100,000 logged events and audits the whole log would
hold it for seconds, and every scan would wait behind it.  A reader is a second, read-only connection to the same
file; each service called through ``in_snapshot`` runs inside one read transaction, so everything it gathers
comes from one consistent state of the file, while the door goes on writing beside it (WAL).  A writer is a
second read-write connection: a long write in short transactions lets the door's scans in between them, as
another program on the file would, instead of holding the door's connection until it is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from kiosk.store import connect, read_only
from kiosk.store.db import Store, snapshot

T = TypeVar("T")


def open_reader(db: Store) -> Store:
    """A read-only connection to the file ``db`` has open (the caller closes it)."""
    return read_only(db.path)


def open_writer(db: Store) -> Store:
    """A second read-write connection to the file ``db`` has open (the caller closes it)."""
    return connect(db.path)


def in_snapshot(reader: Store, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``service(reader, *args, **kwargs)`` inside one read transaction."""
    with snapshot(reader):
        return service(reader, *args, **kwargs)
