"""Another program's SQLite file, an empty one, and one made by a newer kiosk: every command refuses it, clearly
and with exit 3, and leaves it byte for byte as it was, with no -wal or -shm beside it (finding 5).

First release: `kiosk --db other.sqlite scan 42 X` added the kiosk's tables to any SQLite file and switched it
to WAL; a file with a `people` table of its own was changed and then refused; a newer schema was used as if it
were this one.  Only `kiosk init` (and `kiosk demo`) may make the schema, and only in a new or empty file.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
import pytest

from kiosk import DATA
from kiosk.cli import cli as kiosk_group
from kiosk.store.schema import APPLIED, MIGRATION_SET
from tests.reliability.support import checkpoint, kiosk_process

CODE = "PG7JGEEBHH1LUF5CEL"
# Every command that opens the database, with arguments that get it as far as opening it.  The hub's commands
# use the hub's PostgreSQL server, not this file.
COMMANDS = {
    "audit rebuild": ["audit", "rebuild"],
    "backup": ["backup", "{tmp}/copy.db"],
    "audit verify": ["audit", "verify", "--anchor", "1:0123456789ab"],
    "badge issue": ["badge", "issue", "--all", "--out", "{tmp}/badges"],
    "badge revoke": ["badge", "revoke", "C01", "--reason", "lost on set"],
    "checkin": ["checkin", "42", "C01", "--status", "ok"],
    "checkins add": ["checkins", "add", "42", "C01"],
    "checkins list": ["checkins", "list", "--notes"],
    "checkins passphrase": ["checkins", "passphrase", "--forgotten", "--yes"],
    "checkins purge": ["checkins", "purge", "--older-than", "30d"],
    "demo": ["demo", "--no-run", "--badges", "{tmp}/demo-badges"],
    "followups done": ["followups", "done", "42", "C01"],
    "followups list": ["followups", "list"],
    "init": ["init", "--production", "Night Garden"],
    "inside": ["inside", "--all", "--pdf", "{tmp}/rollcall.pdf"],
    "log": ["log", "42"],
    "people add": ["people", "add", "--name", "Ana Lima", "--kind", "crew"],
    "people import": ["people", "import", str(DATA / "demo-crew.csv")],
    "people list": ["people", "list"],
    "pin": ["pin"],
    "report": ["report", "42", "--out", "{tmp}/report.pdf"],
    "restore": ["restore", "{backup}"],
    "run": ["run", "--scene", "42"],
    "scan": ["scan", "42", CODE, "--scan-id", "door-1-0001"],
    "scene add": ["scene", "add", "43", "--title", "Kitchen, day"],
    "scene approve": ["scene", "approve", "42", "D01", "--by", "Sam Whitfield"],
    "scene close": ["scene", "close", "42"],
    "scene list": ["scene", "list"],
    "scene open": ["scene", "open", "42"],
    "scene reopen": ["scene", "reopen", "42", "--by", "Helen Marsh", "--reason", "one more take"],
    "scene show": ["scene", "show", "42"],
    "scene state": ["scene", "state", "42", "rolling"],
    "scene unapprove": ["scene", "unapprove", "42", "D01", "--by", "Sam Whitfield"],
    "checkins close": ["checkins", "close", "42", "G01"],
    "people photo": ["people", "photo", "C01", "--remove", "--by", "Sam Whitfield"],
    "scene acknowledge": ["scene", "acknowledge", "42", "C01", "--by", "Zoë Ødegård"],
    "scene agreed": ["scene", "agreed", "42"],
    "scene checklist": ["scene", "checklist", "42"],
    "scene checklist-gate": ["scene", "checklist-gate", "on"],
    "scene checklist-item": ["scene", "checklist-item", "signage", "--words", "Signs up", "--by", "Sam Whitfield"],
    "scene ic": ["scene", "ic", "42", "X01", "--by", "Sam Whitfield"],
    "scene no-ic": ["scene", "no-ic", "42"],
    "scene object": ["scene", "object", "42", "P01", "--by", "Amara Mensah"],
    "scene ready": ["scene", "ready", "42", "signage", "--by", "Sam Whitfield"],
    "scene rider": ["scene", "rider", "42", "C01", "--agreed", "2026-11-20", "--by", "Amara Mensah"],
    "scene told": ["scene", "told", "42", "P01", "--by", "Amara Mensah"],
    "sync": ["sync", "--hub", "host=127.0.0.1 port=9 dbname=hub sslrootcert={tmp}/ca.crt"],
}
NOT_OPENING = {"join"}  # it makes a new file from the hub, and refuses any path that exists
SECRETS = {"KIOSK_SUPERVISOR_PIN": "246810", "KIOSK_NEW_PIN": "135790",
           "KIOSK_IC_PASSPHRASE": "tangerine orbit lantern velvet", "KIOSK_IC_NEW_PASSPHRASE": "a new long passphrase",
           "KIOSK_IC_NOTE": "fine", "KIOSK_BADGE_CODE": CODE}
WORDS = {"foreign": "is not a kiosk database (it holds another program's tables). It was left untouched",
         "empty_sqlite": "is an empty file, not a kiosk database - create one with `kiosk init",
         "empty_file": "is an empty file, not a kiosk database - create one with `kiosk init",
         "newer": "was made by a newer version of the kiosk. It was left untouched"}


def every_command() -> set[str]:
    """The command tree as `kiosk --help` has it, walked to its leaves."""
    context = click.Context(kiosk_group)

    def walk(group: click.Group, prefix: tuple[str, ...]):
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            if isinstance(command, click.Group):
                yield from walk(command, (*prefix, name))
            else:
                yield " ".join((*prefix, name))

    return set(walk(kiosk_group, ()))


def test_every_command_that_opens_the_database_is_tried():
    assert every_command() - {name for name in every_command() if name.startswith("hub ")} - NOT_OPENING == \
        set(COMMANDS)


def other_programs_file(path: Path) -> None:
    """A contacts app's database: its own `people` table, in the default rollback journal."""
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, phone TEXT);
        INSERT INTO people (name, phone) VALUES ('Ana Lima', '+351 21 000 0000'), ('Eve', '555-0100');
        CREATE TABLE scenes (ref TEXT);""")
    conn.close()


def empty_sqlite_file(path: Path) -> None:
    """A SQLite database with no table at all (another program's, just created)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")  # writes the header page: a real SQLite file, holding nothing
    conn.close()


def newer_kiosk_file(path: Path, template: Path) -> None:
    """A kiosk database one migration ahead of this version."""
    path.write_bytes(template.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute(f"INSERT INTO {APPLIED} (migration_set, name, applied_at) VALUES (?, 'm099_future', "
                 "'2027-01-01 00:00:00')", [MIGRATION_SET])
    conn.commit()
    conn.execute("PRAGMA journal_mode = DELETE")  # a file alone, as another version would leave it closed
    conn.close()


@pytest.fixture(params=["foreign", "empty_sqlite", "empty_file", "newer"])
def not_ours(request, template, tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    path = folder / "other.sqlite"
    if request.param == "foreign":
        other_programs_file(path)
    elif request.param == "empty_sqlite":
        empty_sqlite_file(path)
    elif request.param == "empty_file":
        path.touch()
    else:
        checkpoint(template[0])
        newer_kiosk_file(path, template[0])
    assert sorted(os.listdir(folder)) == ["other.sqlite"]
    return request.param, path


def test_every_command_refuses_a_file_that_is_not_a_kiosk_database_and_leaves_it_unchanged(
        not_ours, cli, tmp_path, monkeypatch, figures, template):
    kind, path = not_ours
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    before, folder = path.read_bytes(), path.parent
    refused = 0
    for name, args in COMMANDS.items():
        if name == "init" and kind.startswith("empty"):
            continue  # `kiosk init` makes a kiosk database in an empty file: that is what it is for
        status, out, err = cli("--db", path, *(arg.format(tmp=tmp_path, backup=template[0]) for arg in args))
        assert status == 3, (name, status, out, err)
        assert err.startswith("Error: ") and str(path) in err and WORDS[kind] in err, (name, err)
        assert "Traceback" not in err, (name, err)
        assert path.read_bytes() == before, f"`kiosk {name}` changed the file"
        assert sorted(os.listdir(folder)) == ["other.sqlite"], f"`kiosk {name}` left {os.listdir(folder)}"
        refused += 1
    process = kiosk_process("--db", str(path), "scan", "42", CODE)  # a real process, as at the door
    _, err = process.communicate(timeout=60)
    assert process.returncode == 3 and WORDS[kind] in err and "Traceback" not in err, err
    assert path.read_bytes() == before and sorted(os.listdir(folder)) == ["other.sqlite"]
    figures.update(file=kind, commands_refused=refused + 1, exit=3, bytes_changed=0, wal_or_shm_left=0)


def test_init_makes_a_kiosk_database_in_an_empty_file_only(cli, tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    assert cli("--db", empty, "init", "--production", "Night Garden")[0] == 0
    assert cli("--db", empty, "people", "list")[0] == 0
