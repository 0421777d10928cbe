"""The database file or its write-ahead log deleted or replaced under a running kiosk.

SQLite goes on writing into a deleted file it holds open, so without a check every scan after the deletion
shows ADMIT and is lost when the kiosk stops - with the scans before it still in the deleted log.  The kiosk
checks, before and after each commit, that the file and its -wal are the ones it opened: the next scan is
refused (``StoreError``, NOT RECORDED, in words), and what the connection still holds is saved.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from kiosk.services import door
from kiosk.store import StoreError, connect
from kiosk.store.db import write
from tests.reliability.support import KIOSK, health, stored_scan_ids

ROOT = Path(__file__).parents[2]

HOLDER = textwrap.dedent("""
    import json, os, sys
    from kiosk.services import door
    from kiosk.store import StoreError, connect

    path, first, second = sys.argv[1:4]
    db = connect(path, device="proof-kiosk")
    print(json.dumps(door.scan(db, "42", first, "set", "proof-kiosk", "first").decision), flush=True)
    os.remove(path + "-wal")
    print("removed", flush=True)
    sys.stdin.readline()  # the test looks at the file from another process meanwhile
    try:
        answer = door.scan(db, "42", second, "set", "proof-kiosk", "second").decision
    except StoreError as error:
        answer = "refused: " + str(error)
    print(json.dumps(answer), flush=True)
    os._exit(0)  # as a kill -9: no close, no last checkpoint
""")


def kiosk(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", "--db", str(path), "--kiosk-id", KIOSK, *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_the_wal_deleted_under_a_kiosk_refuses_the_next_scan_and_keeps_the_ones_before(production_file, figures):
    path, codes = production_file
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), codes["D01"], codes["P01"]], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(holder.stdout.readline()) == "admit"
        assert holder.stdout.readline().strip() == "removed"
        other = kiosk(path, "inside", "42")  # another process on the file while the kiosk runs: plain words
        assert other.returncode == 3, other
        assert "write-ahead log" in other.stderr and "deleted" in other.stderr and "NOT RECORDED" in other.stderr
        assert "disk is full" not in other.stderr and "Traceback" not in other.stderr
        holder.stdin.write("go\n")
        holder.stdin.flush()
        answer = json.loads(holder.stdout.readline())
    finally:
        holder.wait(timeout=60)
    assert answer.startswith("refused: ") and "NOT RECORDED" in answer and "do not admit" in answer
    assert "deleted or replaced" in answer and "restart the kiosk" in answer
    assert "saved into" in answer, answer
    integrity, intact, _ = health(path)
    assert integrity == "ok" and intact
    assert "first" in stored_scan_ids(path), "the scan made before the deletion was lost"
    assert "second" not in stored_scan_ids(path)
    figures.update(refused=1, kept=1, cli_exit=other.returncode)


def test_the_database_deleted_under_a_kiosk_is_refused_and_saved_for_restore(production_file, figures):
    path, codes = production_file
    db = connect(path, device=KIOSK)
    try:
        first = door.scan(db, "42", codes["D01"], "set", KIOSK, uuid.uuid4().hex)
        assert first.decision == "admit"
        for suffix in ("", "-wal", "-shm"):
            os.remove(f"{path}{suffix}")
        for ref in ("P01", "C01"):  # every scan after it is refused, none shows ADMIT
            with pytest.raises(StoreError) as refused:
                door.scan(db, "42", codes[ref], "set", KIOSK, uuid.uuid4().hex)
            assert "database file was deleted or replaced" in str(refused.value)
            assert "NOT RECORDED - do not admit" in str(refused.value)
    finally:
        db.close()
    saved = sorted(path.parent.glob(f"{path.name}.rescued-*"))
    assert saved, "nothing was saved"
    assert stat.S_IMODE(saved[0].stat().st_mode) == 0o600
    assert f"restore {saved[0]}" in str(refused.value)
    restored = kiosk(path, "restore", str(saved[0]))
    assert restored.returncode == 0, restored
    integrity, intact, _ = health(path)
    assert integrity == "ok" and intact
    assert first.scan_id in stored_scan_ids(path)
    figures.update(refused=2, saved=len(saved))


def test_the_database_replaced_under_a_kiosk_is_refused_and_the_new_file_left_alone(production_file, tmp_path):
    path, codes = production_file
    other = tmp_path / "other.db"
    shutil.copyfile(path, other)
    db = connect(path, device=KIOSK)
    try:
        door.scan(db, "42", codes["D01"], "set", KIOSK, uuid.uuid4().hex)
        os.replace(other, path)  # another file put in its place (a copy, a careless restore)
        before = stored_scan_ids(path)
        with pytest.raises(StoreError, match="deleted or replaced"):
            door.scan(db, "42", codes["P01"], "set", KIOSK, uuid.uuid4().hex)
        assert stored_scan_ids(path) == before
    finally:
        db.close()


def test_a_file_deleted_while_a_write_is_under_way_is_refused_after_the_commit(production_file):
    path, _ = production_file
    db = connect(path, device=KIOSK)
    try:
        done = db.writes_done
        with pytest.raises(StoreError, match=r"write-ahead log .*deleted or replaced"), write(db):
            db.execute("SELECT 1")
            os.remove(f"{path}-wal")
        assert db.writes_done == done  # not counted as a write that reached the disk
        assert not db.conn.in_transaction
    finally:
        db.close()
