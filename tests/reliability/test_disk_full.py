"""Disk full: the scan is refused with NOT RECORDED, nothing is half-written, and recording resumes.

The disk is made full with ``PRAGMA max_page_count`` on the scanning connection (portable, no root), and, where
the machine lets the tests mount one, on a real 1 MiB tmpfs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

import kiosk.store as store
from kiosk.cli import main
from kiosk.services import door
from kiosk.store import StoreError, connect
from tests.reliability.conftest import KIOSK, build_production, health, size, stored_scan_ids

FILL_LIMIT = 20_000  # scans; the file fills up long before


def fill_until_refused(db, code: str) -> tuple[StoreError, int]:
    """Scan until the disk refuses one; every scan that answered before is stored.  Returns the refusal and
    how many scans were recorded first."""
    answered = []
    for _ in range(FILL_LIMIT):
        scan_id = uuid.uuid4().hex
        try:
            answered.append(door.scan(db, "42", code, "set", KIOSK, scan_id).scan_id)
        except StoreError as error:
            stored = db.execute(
                "SELECT json_extract(payload, '$.body.scan_id') FROM events WHERE type = 'door.scan'").fetchall()
            assert scan_id not in {row[0] for row in stored}, "a refused scan left a row"
            assert set(answered) <= {row[0] for row in stored}
            return error, len(answered)
    raise AssertionError("the disk never filled")


def assert_refused_cleanly(db, path: Path, code: str, error: StoreError, refusals: int = 5) -> int:
    """While the disk stays full, each scan is refused with nothing written - or, when its row still fits in
    the free bytes of the last page (rows differ by a few bytes), stored whole.  Never half of it.  Scans until
    ``refusals`` more were refused; returns how many fitted on the way."""
    assert "NOT RECORDED" in str(error) and str(path) in str(error) and "full" in str(error)
    refused = fitted = 0
    while refused < refusals:
        rows, scan_id = db.execute("SELECT COUNT(*) FROM events").fetchone()[0], uuid.uuid4().hex
        try:
            verdict = door.scan(db, "42", code, "set", KIOSK, scan_id)
        except StoreError as again:
            assert "NOT RECORDED" in str(again)
            assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == rows, "a refused scan left a row"
            refused += 1
        else:
            assert db.execute("SELECT COUNT(*) FROM events WHERE json_extract(payload, '$.body.scan_id') = ?",
                              [verdict.scan_id]).fetchone()[0] == 1
            fitted += 1
            assert fitted < FILL_LIMIT, "a full disk kept taking scans"
        assert not db.conn.in_transaction
    return fitted


def test_full_disk_refuses_the_scan_and_recording_resumes(production_file, figures):
    path, codes = production_file
    db = connect(path)
    cycles, refused, recorded, fitted = size("disk_full_cycles"), 0, 0, 0
    for _ in range(cycles):
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + 2}")  # room for a few scans, then full
        error, answered = fill_until_refused(db, codes["P01"])
        recorded += answered
        fitted += assert_refused_cleanly(db, path, codes["P01"], error)
        refused += 6
        db.execute(f"PRAGMA max_page_count = {pages + 50}")  # space returns
        verdict = door.scan(db, "42", codes["P02"], "set", KIOSK, "after-space-returns")
        assert verdict.scan_id in stored_scan_ids(path)
    db.close()
    integrity, intact, rows = health(path)
    assert (integrity, intact) == ("ok", True)
    figures.update(cycles=cycles, scans_recorded_until_full=recorded, scans_refused=refused,
                   stored_whole_in_a_last_gap=fitted, half_written=0, resumed=cycles, integrity=integrity,
                   audit="intact", log_rows=rows)


def test_full_disk_through_the_cli_exits_3_saying_not_recorded(production_file, capsys, monkeypatch):
    path, codes = production_file
    real_connect = store.connect

    def full_disk(*args, **kwargs):
        db = real_connect(*args, **kwargs)
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
        return db

    monkeypatch.setattr(store, "connect", full_disk)
    for _attempt in range(FILL_LIMIT):
        with pytest.raises(SystemExit) as exit_info:
            main(["--db", str(path), "scan", "42", codes["P01"]])
        out, err = capsys.readouterr()
        if exit_info.value.code == 3:
            break
        assert exit_info.value.code in (0, 1)
    else:
        raise AssertionError("the disk never filled")
    assert "NOT RECORDED" in err and str(path) in err and "Traceback" not in err and not out
    monkeypatch.setattr(store, "connect", real_connect)
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(path), "scan", "42", codes["P01"]])
    assert exit_info.value.code in (0, 1)
    assert health(path)[:2] == ("ok", True)


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 4 MiB filesystem, when the machine lets the tests mount one (root on Linux); else skip."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small filesystem needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_really_full_disk(tiny_disk, capsys, figures):
    path = tiny_disk / "kiosk.db"
    codes = build_production(path)
    db = connect(path)  # the kiosk is running when the disk fills up
    ballast = tiny_disk / "ballast"
    with ballast.open("wb", buffering=0) as handle:  # take all the space that is left
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    error, recorded = fill_until_refused(db, codes["P01"])
    assert_refused_cleanly(db, path, codes["P01"], error)
    db.close()
    with pytest.raises(SystemExit) as exit_info:  # a kiosk started on the full disk says so too
        main(["--db", str(path), "scan", "42", codes["P01"]])
    _out, err = capsys.readouterr()
    assert exit_info.value.code == 3 and "NOT RECORDED" in err and str(path) in err and "Traceback" not in err
    ballast.unlink()  # space returns
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(path), "scan", "42", codes["P02"], "--scan-id", "after-space-returns"])
    assert exit_info.value.code == 0
    assert "after-space-returns" in stored_scan_ids(path)
    assert health(path)[:2] == ("ok", True)
    figures.update(filesystem="tmpfs 1 MiB", scans_recorded_until_full=recorded, refused="NOT RECORDED",
                   restart_on_full_disk="exit 3, NOT RECORDED",
                   resumed=True, audit="intact")
