"""No file the kiosk writes (a report, a roll-call, a badge sheet, a backup) replaces the record: not the kiosk's
database, not SQLite's files beside it, not a device, pipe or link - through the command line, as crews type
it.  An ordinary file there (last night's report, an older backup) is still replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.store import audit, connect


def events_in(db_path: Path) -> int:
    db = connect(db_path)
    try:
        return db.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def written(cli_production):
    """The production, and the count of its events before anything is written."""
    return cli_production, events_in(cli_production)


WRITERS = {  # each writer, given the path to write and a folder for badge PNGs
    "report csv": lambda target, _: ["report", "42", "--out", target, "--format", "csv"],
    "report pdf": lambda target, _: ["report", "42", "--out", target, "--format", "pdf"],
    "day report json": lambda target, _: ["report", "--date", "2026-12-01", "--out", target, "--format", "json"],
    "roll-call pdf": lambda target, _: ["inside", "--all", "--pdf", target],
    "badge sheet": lambda target, folder: ["badge", "issue", "P01", "--out", folder, "--sheet", target],
    "backup": lambda target, _: ["backup", target],
}


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("target", ["the database", "its -wal", "its -shm", "its -journal", "another database"])
def test_nothing_the_kiosk_writes_replaces_a_database_or_its_files(cli, written, tmp_path, writer, target):
    db_path, before = written
    other = tmp_path / "other.db"
    other.write_bytes(db_path.read_bytes())
    path = {"the database": db_path, "its -wal": Path(f"{db_path}-wal"), "its -shm": Path(f"{db_path}-shm"),
            "its -journal": Path(f"{db_path}-journal"), "another database": other}[target]
    if writer == "backup" and target in ("the database", "another database"):
        pytest.skip("a backup may replace an older backup (a database); over the kiosk file it is refused apart")
    kept = path.read_bytes() if path.exists() else None
    status, _, err = cli(*WRITERS[writer](path, tmp_path / "badges"))
    assert status != 0 and "Nothing was" in err, err
    assert (path.read_bytes() if path.exists() else None) == kept  # untouched, or still not there
    assert events_in(db_path) == before  # the badge was not issued either
    db = connect(db_path)
    try:
        assert audit.verify(db).ok
    finally:
        db.close()


@pytest.mark.parametrize("writer", WRITERS)
def test_nothing_the_kiosk_writes_replaces_a_pipe_or_a_link(cli, written, tmp_path, writer):
    pipe, link, aim = tmp_path / "pipe", tmp_path / "link", tmp_path / "aim.txt"
    os.mkfifo(pipe)
    aim.write_text("keep me")
    link.symlink_to(aim)
    for path in (pipe, link):
        status, _, err = cli(*WRITERS[writer](path, tmp_path / "badges"))
        assert status != 0 and "not a plain file" in err, err
    assert pipe.is_fifo() and link.is_symlink() and aim.read_text() == "keep me"


def test_an_ordinary_file_and_an_older_backup_are_still_replaced(cli, written, tmp_path):
    report, copy = tmp_path / "night.csv", tmp_path / "copy.db"
    report.write_text("last night's")
    assert cli("report", "42", "--out", report)[0] == 0
    assert report.read_text().startswith("scene,")
    assert cli("backup", copy)[0] == 0
    assert cli("backup", copy)[0] == 0  # over the older backup
    assert cli("backup", f"{copy}-wal")[0] == 2  # but never beside it, where SQLite would read it as the copy's log
