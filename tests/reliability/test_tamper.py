"""Tamper: editing any field of any log row, deleting a row or swapping two rows is caught by
`kiosk audit verify`, which names the first broken row."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.services import door
from kiosk.store import connect
from kiosk.store.log import FIELDS
from tests.reliability.conftest import KIOSK, checkpoint, size

COLUMNS = (*FIELDS, "prev_hash", "hash")
INTEGER_COLUMNS = ("id", "scene_id", "person_id", "badge_id")


@pytest.fixture
def logged(production_file):
    """The production after a busy door: admits, exits, refusals; the file checkpointed for copying."""
    path, codes = production_file
    db = connect(path)
    for code in [*codes.values(), "garbage", codes["P01"], codes["C01"]]:
        door.scan(db, "42", code, "set", KIOSK)
    rows = db.execute("SELECT COUNT(*) FROM log").fetchone()[0]
    db.close()
    checkpoint(path)
    return path, rows


@st.composite
def tampering(draw, rows: int):
    """(what, row, column, new value, other row) with the first row the audit must name."""
    kind = draw(st.sampled_from(["edit", "delete", "swap"]))
    row = draw(st.integers(1, rows))
    if kind == "edit":
        column = draw(st.sampled_from(COLUMNS))
        value = draw(st.integers(-10, 10**6) if column in INTEGER_COLUMNS else st.text(max_size=80))
        return kind, row, column, value, row
    if kind == "swap":
        other = draw(st.integers(1, rows).filter(lambda other: other != row))
        return kind, row, None, None, other
    return kind, row, None, None, row


def tamper(path, kind: str, row: int, column: str | None, value, other: int) -> int | None:
    """Do it with plain SQL, triggers dropped; return the row the audit must name, or None for a no-op."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER log_no_update")
    conn.execute("DROP TRIGGER log_no_delete")
    try:
        if kind == "delete":
            conn.execute("DELETE FROM log WHERE id = ?", [row])
            return row
        if kind == "swap":
            names = ", ".join(COLUMNS[1:])
            first, second = (conn.execute(f"SELECT {names} FROM log WHERE id = ?", [number]).fetchone()
                             for number in (row, other))
            setter = ", ".join(f"{name} = ?" for name in COLUMNS[1:])
            conn.execute("UPDATE log SET scan_id = NULL WHERE id IN (?, ?)", [row, other])  # scan_id is UNIQUE
            conn.execute(f"UPDATE log SET {setter} WHERE id = ?", [*second, row])
            conn.execute(f"UPDATE log SET {setter} WHERE id = ?", [*first, other])
            return min(row, other)
        before = conn.execute(f"SELECT {column} FROM log WHERE id = ?", [row]).fetchone()[0]
        if column == "id":
            value = 10**6 + row  # an unused id: the row moves out of its place
        conn.execute(f"UPDATE log SET {column} = ? WHERE id = ?", [value, row])
        after = conn.execute(f"SELECT {column} FROM log WHERE id = ?",
                             [value if column == "id" else row]).fetchone()[0]
        return None if after == before else row
    finally:
        conn.close()


def test_any_edit_delete_or_swap_is_caught_naming_the_row(logged, tmp_path, capsys, figures):
    template, rows = logged
    caught = {"examples": 0, "edit": 0, "delete": 0, "swap": 0}

    @settings(max_examples=size("tamper_examples"), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(change=tampering(rows))
    def check(change):
        caught["examples"] += 1  # a fresh copy, under a new name, for every example
        for leftover in tmp_path.glob("tampered-*"):
            leftover.unlink(missing_ok=True)
        path = tmp_path / f"tampered-{caught['examples']}.db"
        shutil.copyfile(template, path)
        expected = tamper(path, *change)
        with pytest.raises(SystemExit) as exit_info:
            main(["--db", str(path), "audit", "verify"])
        out, err = capsys.readouterr()
        if expected is None:  # the "edit" wrote the value that was there: nothing to catch
            assert exit_info.value.code == 0, err
            return
        assert exit_info.value.code == 1, (change, out)
        assert f"LOG BROKEN at row {expected}:" in err, (change, err)
        caught[change[0]] += 1

    check()
    figures.update(log_rows=rows, caught=caught, missed=0)
