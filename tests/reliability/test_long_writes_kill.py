"""A crew list import killed midway leaves nobody of it admitted, or everybody (finding 3).

A long list is written in short transactions (chunks of 2,000 events), so that the door's scans go in between;
the import stays all-or-nothing because its events are inert until its one closing event is in the log
(``kiosk.core.imports``).  Here a real ``kiosk people import`` of ``import_rows`` new people is killed with
SIGKILL once a given share of its events is on disk (watched from another connection; the last point is every
chunk written: the import is staging its rows, pausing, or closing).  Held, for every kill: the people of the
list on the roster are none or all of them; the file intact, the chain verified and every table what the log
says (``audit verify`` passes with the inert events in the log); none of the list is known at the door.  Then
the same list imported again, to the end, puts all of them on the roster, and the file is sound.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from kiosk.errors import ServiceError
from kiosk.services import door
from kiosk.store import audit as store_audit
from kiosk.store import connect
from tests.reliability.support import FULL, KIOSK, health, size

# Share of the import's events on disk when it is killed; "closed": once its closing event is.
POINTS: tuple[float | str, ...] = (0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 1.0, 1.0, "closed") if FULL else \
    (0.2, 0.6, 1.0, "closed")


def crew_list(path, rows: int) -> None:
    path.write_text("Ref,Name,Kind,Department,Role\n" + "".join(
        f"N{i:06d},Person {i:06d},crew,Department {i % 40},Role {i % 25}\n" for i in range(1, rows + 1)),
        encoding="utf-8")


def importing(path, listing) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kiosk", "--kiosk-id", "office", "people", "import",
                             str(listing)], env={**os.environ, "KIOSK_DB": str(path)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def written(conn: sqlite3.Connection) -> int:
    """The import's events on disk (inert or not): a range of the key index, cheap to poll."""
    return conn.execute("SELECT COUNT(*) FROM events WHERE key >= 'person/N' AND key < 'person/O' "
                        "AND decision IS NULL").fetchone()[0]


def listed(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM people WHERE ref LIKE 'N%'").fetchone()[0]
    finally:
        conn.close()


def sound(path) -> None:
    integrity, intact, _ = health(path)
    assert integrity == "ok" and intact
    db = connect(path)
    try:
        assert store_audit.differences(db) == [], "a table is not what the log says"
    finally:
        db.close()


def closed(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM events WHERE key >= 'import/' AND key < 'import0' AND decision IS NULL "
                        "AND type = 'roster.imported'").fetchone() is not None


def kill_when(path, listing, events: int | None) -> tuple[str, float]:
    """Start the import and SIGKILL it once ``events`` of its events are on disk (None: its closing event); how
    it ended and when."""
    process = importing(path, listing)
    started = time.monotonic()
    conn = sqlite3.connect(path, timeout=30)
    try:
        while process.poll() is None:
            try:
                if closed(conn) if events is None else written(conn) >= events:
                    process.send_signal(signal.SIGKILL)
                    break
            except sqlite3.OperationalError:  # the file being created by the import's first write: look again
                pass
            time.sleep(0.005)
    finally:
        conn.close()
    process.wait()
    ended = "finished" if process.returncode == 0 else "killed"
    assert process.returncode in (0, -signal.SIGKILL), process.stderr.read() if process.stderr else ""
    return ended, time.monotonic() - started


def test_an_import_killed_anywhere_admits_none_or_all_of_its_people(production_file, tmp_path, figures):
    pristine, codes = production_file
    rows = size("import_rows")
    listing = tmp_path / "crew.csv"
    crew_list(listing, rows)
    outcomes = []
    rerun_on = None
    for round_number, share in enumerate(POINTS):
        path = tmp_path / f"round-{round_number}.db"
        shutil.copyfile(pristine, path)
        threshold = rows if share == "closed" else max(1, int(rows * float(share)))
        ended, seconds = kill_when(path, listing, None if share == "closed" else threshold)
        on_roster = listed(path)
        conn = sqlite3.connect(path)
        try:
            on_record = written(conn)
        finally:
            conn.close()
        assert on_record >= threshold, "the killed import's events are in the log (inert, or in force)"
        assert on_roster in (0, rows), f"killed at {share}: {on_roster} of {rows} people on the roster"
        if share == "closed":
            assert on_roster == rows, "the import's closing event is on disk: all of its people count"
        sound(path)
        if on_roster == 0:
            db = connect(path)
            try:
                with pytest.raises(ServiceError, match="Nobody"):  # not known at the door
                    door.admit_by_lookup(db, "42", "N000001", "set", "forgot the badge", KIOSK)
                assert door.scan(db, "42", codes["P01"], "set", KIOSK).decision in ("admit", "exit")  # works on
            finally:
                db.close()
            rerun_on = rerun_on or path
        outcomes.append({"share": share, "ended": ended, "seconds": round(seconds, 2), "events": on_record,
                         "people": "all" if on_roster else "none"})
    assert any(outcome["people"] == "none" for outcome in outcomes), "no kill landed before the close"
    assert rerun_on is not None

    process = importing(rerun_on, listing)  # the same list again, to the end: all of it
    assert process.wait() == 0, process.stderr.read() if process.stderr else ""
    assert listed(rerun_on) == rows
    sound(rerun_on)
    figures.update(rows=rows, kills=len(outcomes), outcomes=outcomes)
