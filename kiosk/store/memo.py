"""What the door reads at every scan, kept from one scan to the next while nothing else can have changed it.

A door reads the same few things at every scan: the scene, the badge and its holder, their approvals, whether
the log bears those rows out, the log's heads.  Inside a scan's write transaction (``write(db, memo=True)``)
``Memo.get`` keeps each answer, and the next scan finds it again - but only when the file is exactly as the
last scan left it.  Everything is dropped when:

- another connection committed anything (``PRAGMA data_version``, read under the write lock): another kiosk
  on the file, the hub's follower, a backup restored, or ``sqlite3`` editing a table - so an edited table is
  read and checked against the log afresh at the next scan, as every scan did before;
- this connection changed any row other than in a scan that said it changed only what it put back (``keep``):
  a setup change, a state change, a hold - counted by SQLite itself (``total_changes``), however it was made;
- any table was created, dropped or altered, on any connection (``PRAGMA schema_version``: SQLite counts no
  rows for a table swapped whole);
- a transaction rolled back.

Outside a scan's transaction ``get`` reads without keeping anything.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
MAX_KEPT = 20_000  # answers kept at most (a few per person scanned): a door open for weeks stays small


class Memo:
    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._holds_for: tuple[int, int, int] | None = None  # (data_version, schema_version, total_changes)
        self._open: tuple[int, int] | None = None  # (data_version, schema_version) the scan that opened it found
        self._kept = False

    def open(self, conn: sqlite3.Connection, schema_version: int) -> None:
        """At the start of a scan's write transaction, under the write lock (``schema_version`` read under it)."""
        versions = (conn.execute("PRAGMA data_version").fetchone()[0], schema_version)
        if (*versions, conn.total_changes) != self._holds_for:
            self._values.clear()
        self._open, self._kept = versions, False

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        if self._open is None:
            return read()
        if key not in self._values:
            self._add(key, read())
        return self._values[key]

    def put(self, key: Hashable, value: Any) -> None:
        """What this transaction made true (a new head, a new last scan), for the next scan."""
        if self._open is not None:
            self._add(key, value)

    def _add(self, key: Hashable, value: Any) -> None:
        if key not in self._values and len(self._values) >= MAX_KEPT:
            self._values.clear()  # all is read again when next needed
        self._values[key] = value

    def keep(self) -> None:
        """This transaction changed nothing but what it ``put``: the values hold after its commit."""
        self._kept = True

    def committed(self, conn: sqlite3.Connection) -> None:
        """After any commit on the connection: a kept scan's values hold for the next; nothing else's does."""
        self._holds_for = (*self._open, conn.total_changes) if self._open is not None and self._kept else None
        self._open = None

    def forget(self) -> None:
        self._values.clear()
        self._holds_for = self._open = None
