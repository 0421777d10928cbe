"""The door keeps answering while a crew list is imported on its file (finding 3).

First release: a 150,000-row `kiosk people import` ran as one 38-second transaction, made its events and folded
them holding the write lock, and a scan at the door gave up after 30 s: NOT RECORDED.  Now the list is read,
checked, compared with the roster and its events made before the lock is taken (``kiosk.store.batch.prepare_batch``);
a list of more than 2,000 changes is written in short transactions of 2,000 events each, inert until one closing
event puts them all in force with their rows (``kiosk.core.imports``), so the import stays all-or-nothing
(tests/reliability/test_long_writes_kill.py kills it) while the door's scans go in between its chunks.

A real ``kiosk people import`` (another process) of ``import_rows`` new people (full size: 99,999, the most a
crew list may hold), while this process scans at the door without pause, each scan as the kiosk makes it
(``door.scan``, the kiosk's 30-second busy timeout).  Held: every scan answered and on record, none refused;
scans were recorded between the import's chunks (the door got in while it ran); every row imported, by one
import closed once; the file intact and the tables what the log says.  The worst scan is the figure (how long the
door waited is for ``benchmarks/bench_long_writes.py`` to judge).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

from kiosk.errors import StoreError
from kiosk.services import door
from kiosk.store import connect
from tests.reliability.support import KIOSK, health, size

LISTED = "N"  # the imported people's refs: N000001, ...


def test_a_scan_during_a_long_import_is_answered_and_recorded(production_file, tmp_path, figures):
    path, codes = production_file
    rows = size("import_rows")
    listing = tmp_path / "crew.csv"
    listing.write_text("Ref,Name,Kind,Department,Role\n" + "".join(
        f"{LISTED}{i:06d},Person {i:06d},{'cast' if i % 10 == 0 else 'crew'},Department {i % 40},Role {i % 25}\n"
        for i in range(1, rows + 1)), encoding="utf-8")
    db = connect(path)
    answered, refused, slowest = [], [], 0.0
    try:
        for _ in range(20):  # the door is busy before the import starts
            answered.append(door.scan(db, "42", codes["P01"], "set", KIOSK).scan_id)
        importing = subprocess.Popen([sys.executable, "-m", "kiosk", "--kiosk-id", "office", "people", "import",
                                      str(listing)], env={**os.environ, "KIOSK_DB": str(path)},
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started = time.monotonic()
        while importing.poll() is None:
            began = time.monotonic()
            try:
                answered.append(door.scan(db, "42", codes["P01"], "set", KIOSK).scan_id)
            except StoreError as error:  # NOT RECORDED
                refused.append(str(error))
            slowest = max(slowest, time.monotonic() - began)
        import_seconds = time.monotonic() - started
        out, err = importing.communicate()
        for _ in range(20):
            answered.append(door.scan(db, "42", codes["P01"], "set", KIOSK).scan_id)
    finally:
        db.close()
    assert importing.returncode == 0, out + err
    assert not refused, f"{len(refused)} scans NOT RECORDED during the import: {refused[0]}"

    conn = sqlite3.connect(path)
    try:
        stored = dict(conn.execute("SELECT json_extract(payload, '$.body.scan_id'), id FROM events "
                                   "WHERE type = 'door.scan'"))
        first, last, imported, named = conn.execute(
            "SELECT MIN(e.id), MAX(e.id), COUNT(*), COUNT(DISTINCT json_extract(e.payload, '$.body.import')) "
            "FROM events e JOIN people p ON p.set_by = e.id WHERE p.ref LIKE ?", [f"{LISTED}%"]).fetchone()
        closed = conn.execute("SELECT COUNT(*) FROM events WHERE type = 'roster.imported'").fetchone()[0]
    finally:
        conn.close()
    assert all(scan_id in stored for scan_id in answered), "a scan answered at the door is not on record"
    assert imported == rows and named == 1 and closed == 1, "every row imported, by one import closed once"
    between = sum(first < stored[scan_id] < last for scan_id in answered)
    assert between > 0, "no scan was recorded between the import's chunks"
    integrity, intact, _ = health(path)
    assert integrity == "ok" and intact
    figures.update(rows=rows, scans=len(answered), scans_between_chunks=between, not_recorded=len(refused),
                   import_s=round(import_seconds, 2), worst_scan_ms=round(slowest * 1000, 1))
