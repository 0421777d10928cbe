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
from kiosk.store import connect, ledger
from kiosk.store.record import COLUMNS as INDEXED
from tests.reliability.support import KIOSK, checkpoint, size

COLUMNS = ("id", "event_id", "device", "seq", "hlc", "at", "type", "key", "payload", "hash", "chain", *INDEXED)
INTEGER_COLUMNS = ("id", "seq")
GENERATED = tuple(name for name, _, _ in ledger.GENERATED)


@pytest.fixture
def logged(production_file):
    """The production after a busy door: admits, exits, refusals; the file checkpointed for copying."""
    path, codes = production_file
    db = connect(path)
    for code in [*codes.values(), "garbage", codes["P01"], codes["C01"]]:
        door.scan(db, "42", code, "set", KIOSK)
    rows = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
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
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    try:
        if kind == "delete":
            conn.execute("DELETE FROM events WHERE id = ?", [row])
            return row
        if kind == "swap":  # the two rows change places
            conn.execute("UPDATE events SET id = -1 WHERE id = ?", [row])
            conn.execute("UPDATE events SET id = ? WHERE id = ?", [row, other])
            conn.execute("UPDATE events SET id = ? WHERE id = -1", [other])
            return min(row, other)
        before = conn.execute(f"SELECT {column} FROM events WHERE id = ?", [row]).fetchone()[0]
        if column == "id":
            value = 10**6 + row  # an unused id: the row moves out of its place
        try:
            conn.execute(f"UPDATE events SET {column} = ? WHERE id = ?", [value, row])
        except sqlite3.IntegrityError:  # the value another row holds in a unique column: no edit made
            return None
        except sqlite3.OperationalError as error:  # a column generated from the payload, or a payload that is
            # not JSON (the columns cannot be generated from it): SQLite refuses the edit
            assert (column in GENERATED and "generated column" in str(error)) or \
                (column == "payload" and "malformed JSON" in str(error)), (column, error)
            return None
        after = conn.execute(f"SELECT {column} FROM events WHERE id = ?",
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


@st.composite
def anchors(draw, hashes: list[str]) -> str:
    """An anchor as filed (any row, 12 to 64 hex digits), one digit off, row 0, rows past the end, or any text."""
    row = draw(st.integers(1, len(hashes)))
    digits = draw(st.integers(12, 64))
    filed = hashes[row - 1][:digits]
    kind = draw(st.sampled_from(["filed", "off", "zero", "past", "text"]))
    if kind == "filed":
        return f"{row}:{filed}"
    if kind == "off":
        position = draw(st.integers(0, digits - 1))
        changed = "0123456789abcdef".replace(filed[position], "")[draw(st.integers(0, 14))]
        return f"{row}:{filed[:position]}{changed}{filed[position + 1:]}"
    if kind == "zero":
        return f"{draw(st.sampled_from(['0', '00', '000']))}:{draw(st.sampled_from([filed, '0' * digits]))}"
    if kind == "past":
        return f"{len(hashes) + draw(st.integers(1, 10**6))}:{filed}"
    return draw(st.text(max_size=80).filter(lambda text: text.strip() and not text.startswith("-")))


def test_an_anchor_passes_only_for_a_row_of_the_log_with_its_hash(logged, capsys, figures):
    """An anchor for row 0 once passed any log (`--anchor 0:000000000000`); one for a row past the end means
    rows were removed since it was filed.  Exit 0 only for a row of the log and the start of its own hash."""
    path, rows = logged
    db = connect(path)
    hashes = [value for (value,) in db.execute("SELECT chain FROM events ORDER BY id")]
    db.close()
    exits: dict[int, int] = {}

    @settings(max_examples=size("tamper_examples"), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(anchor=anchors(hashes))
    def check(anchor):
        with pytest.raises(SystemExit) as exit_info:
            main(["--db", str(path), "audit", "verify", "--anchor", anchor])
        out, err = capsys.readouterr()
        code = exit_info.value.code
        exits[code] = exits.get(code, 0) + 1
        row, _, digest = anchor.strip().partition(":")
        shaped = row.isascii() and row.isdigit() and len(row) <= 18 and 12 <= len(digest) <= 64 \
            and all(char in "0123456789abcdefABCDEF" for char in digest)  # ROW:HASH as printed
        filed = shaped and 1 <= int(row) <= rows and hashes[int(row) - 1].startswith(digest.lower())
        assert (code == 0) == filed, (anchor, code, out, err)
        assert "Traceback" not in out + err
        if not shaped:
            assert code == 2, (anchor, err)
        elif int(row) == 0:
            assert code == 2 and "row 0" in err, (anchor, err)
        elif int(row) > rows:
            assert code == 1 and "rows were removed since it was filed" in err, (anchor, err)

    check()
    figures.update(log_rows=rows, cases=sum(exits.values()), exit_codes=exits)
