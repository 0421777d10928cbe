"""Damaged, foreign, read-only and locked database files: a clear message naming the file, exit 3, no
traceback, and the file left exactly as it was."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time

import pytest

from kiosk.cli import main
from kiosk.store import db as store_db
from tests.reliability.support import health, kiosk_process, stored_scan_ids

COMMANDS = (["scan", "42", "PG7JGEEBHH1LUF5CEL"], ["audit", "verify"], ["people", "list"],
            ["init", "--production", "Other"])
ADVICE = ("restore", "backup", "check", "try again", "close", "writable", "free some space")


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def random_bytes(data: bytes) -> bytes:
    return random.randbytes(len(data))


def header_then_noise(data: bytes) -> bytes:
    return data[:16] + random.randbytes(len(data) - 16)


def zeroed_pages(data: bytes) -> bytes:
    """The schema page wiped: a file that starts right and is garbage inside."""
    return data[:100] + bytes(4096 - 100) + data[4096:]


def not_sqlite(_: bytes) -> bytes:
    return "ref,name,department,role,kind\nC01,Zoë Ødegård,Cast,Lead,cast\n".encode()


DAMAGE = [truncated, random_bytes, header_then_noise, zeroed_pages, not_sqlite]


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def assert_clear(status: int, err: str, path) -> None:
    assert status == 3, err
    assert err.startswith("Error: ") and str(path) in err, err
    assert any(words in err for words in ADVICE), err
    assert "Traceback" not in err


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda damage: damage.__name__)
def test_a_damaged_file_is_named_and_left_untouched(production_file, capsys, damage):
    path, _ = production_file
    damaged = damage(path.read_bytes())
    path.write_bytes(damaged)
    for command in COMMANDS:
        status, _, err = run(capsys, "--db", path, *command)
        assert_clear(status, err, path)
        assert path.read_bytes() == damaged, f"{command} changed the file"
    process = kiosk_process("--db", str(path), "scan", "42", "PG7JGEEBHH1LUF5CEL")
    _, err = process.communicate(timeout=60)
    assert_clear(process.returncode, err, path)
    assert path.read_bytes() == damaged


@pytest.fixture
def read_only_folder(template, tmp_path):
    """A folder holding a copy of the production that the kiosk cannot write to.

    Without root, a folder of mode 0555.  Root ignores modes, so there a tmpfs remounted read-only (skipped
    where mounting is not allowed).
    """
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() != 0:
        shutil.copyfile(template[0], folder / "kiosk.db")
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
                      capture_output=True).returncode:
        pytest.skip("root, and no read-only filesystem can be mounted here")
    try:
        shutil.copyfile(template[0], folder / "kiosk.db")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_read_only_folder_is_named_and_the_file_left_untouched(read_only_folder, capsys):
    path = read_only_folder / "kiosk.db"
    before = path.read_bytes()
    for command in COMMANDS:
        status, _, err = run(capsys, "--db", path, *command)
        assert_clear(status, err, path)
    process = kiosk_process("--db", str(path), "scan", "42", "PG7JGEEBHH1LUF5CEL")
    _, err = process.communicate(timeout=60)
    assert_clear(process.returncode, err, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(read_only_folder)) == ["kiosk.db"]


HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA locking_mode = EXCLUSIVE")
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO heads (key, event_id, event, parents) VALUES ('holder', 'x', 0, '[]')")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""

SHORT_WAIT = """
import sys
import kiosk.store.db
kiosk.store.db.BUSY_TIMEOUT_MS = 300
from kiosk.cli import main
main(sys.argv[1:])
"""


def test_a_file_locked_by_another_program_is_reported_busy_after_a_bounded_wait(production_file, capsys,
                                                                                monkeypatch):
    path, codes = production_file
    rows = health(path)[2]
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 300)
        for command in (["scan", "42", codes["P01"]], ["audit", "verify"], ["people", "list"]):
            started = time.monotonic()
            status, _, err = run(capsys, "--db", path, *command)
            assert time.monotonic() - started < 10
            assert_clear(status, err, path)
            assert "busy" in err and "locked" in err
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", SHORT_WAIT, "--db", str(path), "scan", "42", codes["P01"]],
                              capture_output=True, text=True, timeout=60)
        assert time.monotonic() - started < 20
        assert_clear(done.returncode, done.stderr, path)
    finally:
        holder.communicate("", timeout=30)
    assert health(path) == ("ok", True, rows)  # nothing was recorded, nothing broken
    assert stored_scan_ids(path) == []
