"""The `kiosk` command through its real entry points: exit codes, messages, --json shapes, imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

from kiosk.store import connect
from kiosk.store.queries import one


def badge_code(db_path, ref):
    from kiosk.services import badges

    db = connect(db_path)
    cards = badges.plan_badges(db, [ref])
    badges.record_badges(db, cards, "test")
    return cards[0].code


def test_real_console_script_scans_without_importing_textual_pillow_or_sqlite_utils(cli_production):
    code = badge_code(cli_production, "C01")
    assert subprocess.run([sys.executable, "-m", "kiosk", "scene", "open", "42"]).returncode == 0
    probe = ("import sys, runpy; sys.argv = ['kiosk', 'scan', '42', sys.argv[1], '--json'];\n"
             "try:\n    runpy.run_module('kiosk', run_name='__main__')\n"
             "finally:\n    print(sorted(m for m in ('textual', 'qrcode', 'PIL', 'sqlite_utils') if m in sys.modules), "
             "file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["decision"] == "admit"
    assert done.stderr.strip() == "[]"


def test_a_terminal_that_is_not_utf8_gets_the_answer_not_a_traceback(cli_production):
    """The scan is recorded before it is printed: a name the terminal cannot draw must not turn it into a crash
    (exit 1 reads as DENY) after the fact."""
    code = badge_code(cli_production, "C02")
    assert subprocess.run([sys.executable, "-m", "kiosk", "scene", "open", "42"]).returncode == 0
    done = subprocess.run([sys.executable, "-m", "kiosk", "scan", "42", code], capture_output=True,
                          env={**os.environ, "PYTHONIOENCODING": "latin-1"})
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert b"ADMIT" in done.stdout and b"?ukasz Nowak" in done.stdout  # the one letter latin-1 lacks


def test_init_refuses_to_overwrite(cli_production, capsys, cli):
    status, _, err = cli("init", "--production", "Other")
    assert status == 2 and "already holds the production 'Night Garden'" in err


def test_commands_need_a_production(db_path, capsys, cli):
    status, _, err = cli("people", "list")
    assert status == 3 and "no database here" in err and "kiosk init" in err


def test_scan_exit_codes_and_json(cli_production, capsys, cli):
    code = badge_code(cli_production, "C01")
    status, out, _ = cli("scan", "42", code, "--json")
    verdict = json.loads(out)
    assert status == 1 and verdict["decision"] == "deny" and verdict["reason"] == "not_open"
    assert set(verdict) >= {"scan_id", "at", "scene", "zone", "decision", "reason", "words", "raw", "name",
                            "department", "role", "duplicate", "replay", "first_entry", "layout"}
    cli("scene", "open", "42")
    status, out, _ = cli("scan", "42", code)
    assert status == 0 and out.startswith("ADMIT") and "Zoë Ødegård" in out
    assert cli("scan", "42", "garbage")[0] == 1
    assert cli("scan", "99", code)[0] == 2
    assert cli("scan", "42", code, "--zone", "attic")[0] == 2


def test_inside_log_and_audit(cli_production, capsys, cli):
    code = badge_code(cli_production, "C01")
    cli("scene", "open", "42")
    cli("scan", "42", code, "--zone", "monitors")
    status, out, _ = cli("inside", "42", "--json")
    assert status == 0 and [(r["ref"], r["zone"]) for r in json.loads(out)] == [("C01", "monitors")]
    assert json.loads(cli("inside", "--all", "--json")[1])[0]["scene"] == "42"
    assert cli("inside")[0] == 2
    rows = json.loads(cli("log", "42", "--json")[1])
    assert [row["kind"] for row in rows][-1] == "scan"
    assert rows[-1]["at"].endswith("+00:00") and code not in json.dumps(rows)  # ISO; the code masked
    cli("scene", "state", "42", "rolling")
    status, out, _ = cli("log", "42")
    state = next(line for line in out.splitlines() if " state " in line and "rolling" in line)
    assert "open -> rolling" in state
    at = datetime.fromisoformat(json.loads(cli("log", "42", "--json")[1])[-1]["at"]).astimezone()
    assert at.isoformat(sep=" ", timespec="seconds") in state  # local time, to the second, with the offset
    assert code not in out  # the record keeps a badge's digest, never its code
    status, out, _ = cli("audit", "verify", "--json")
    assert status == 0 and json.loads(out)["ok"] is True


def test_audit_verify_names_the_first_broken_row(cli_production, capsys, cli):
    db = connect(cli_production)
    db.execute("DROP TRIGGER events_no_delete")
    last = one(db, "SELECT MAX(id) AS id FROM events")["id"]
    db.execute("DELETE FROM events WHERE id = ?", [last])
    status, _, err = cli("audit", "verify")
    assert status == 1 and f"row {last}" in err


def test_import_is_atomic_and_lists_every_bad_row(cli_production, tmp_path, capsys, cli):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"ref,name,department,role,kind\nN1,New Person,Art,PA,crew\nN2,,Art,PA,crew\n"
                    b"N3,Bob,Art,PA,alien\nN1,Again,Art,PA,crew\n" + b"N4,\xff\xfe,Art,PA,crew\n")
    status, _out, err = cli("people", "import", bad)
    assert status == 2
    for expected in ("line 3: name is missing", "line 4: kind must be cast or crew", "line 5: ref 'N1' is used again",
                     "line 6: not UTF-8"):
        assert expected in err
    people = json.loads(cli("people", "list", "--json")[1])
    assert "N1" not in {person["ref"] for person in people}


def test_reimport_updates_by_ref_and_bom_is_accepted(cli_production, tmp_path, capsys, cli):
    changed = tmp_path / "changed.csv"
    changed.write_bytes("\ufeffref,name,department,role,kind,phone\nC01,Zoë Ødegård,Cast,Lead - Mara (renamed),cast,"
                        "555\n,Walk On,Cast,Extra,cast,\n".encode())
    status, out, _ = cli("people", "import", changed, "--dry-run", "--json")
    assert status == 0 and json.loads(out) | {"errors": []} == json.loads(out)
    assert json.loads(out)["updated"] == ["C01"] and json.loads(out)["added"] == ["walk-on"]
    cli("people", "import", changed)
    cli("people", "import", changed)
    people = json.loads(cli("people", "list", "--json")[1])
    assert len(people) == 41
    assert next(p for p in people if p["ref"] == "C01")["role"] == "Lead - Mara (renamed)"


def test_scene_commands(cli_production, capsys, cli):
    assert cli("scene", "approve", "42", "P01", "--by", "Sam Whitfield", "--zone", "both")[0] == 0
    shown = json.loads(cli("scene", "show", "42", "--json")[1])
    assert {(row["ref"], row["zone"]) for row in shown["approved"]} >= {("P01", "set"), ("P01", "monitors")}
    assert cli("scene", "state", "42", "rolling")[0] == 2  # not open yet
    cli("scene", "open", "42")
    assert cli("scene", "state", "42", "rolling")[0] == 0
    assert json.loads(cli("scene", "list", "--json")[1])[0]["state"] == "rolling"
    status, out, _ = cli("scene", "close", "42", "--json")
    assert status == 0 and json.loads(out)["swept"] == []
    assert cli("scene", "approve", "42", "Nobody Here", "--by", "x")[0] == 2


def test_not_a_database_is_refused_and_left_untouched(tmp_path, capsys, monkeypatch, cli):
    path = tmp_path / "notes.txt"
    path.write_text("shopping list")
    monkeypatch.setenv("KIOSK_DB", str(path))
    status, _, err = cli("people", "list")
    assert status == 3 and "not a kiosk database" in err and str(path) in err
    assert path.read_text() == "shopping list"


def test_database_is_private_to_its_owner(cli_production):
    assert os.stat(cli_production).st_mode & 0o077 == 0


def test_every_command_has_help(capsys, cli):
    for args in (["--help"], ["scan", "--help"], ["people", "import", "--help"], ["badge", "issue", "--help"],
                 ["scene", "approve", "--help"], ["audit", "verify", "--help"], ["inside", "--help"]):
        status, out, _ = cli(*args)
        assert status == 0 and "Usage: kiosk" in out


def test_supervisor_pin_is_set_and_changed_only_with_the_current_one(cli_production, capsys, monkeypatch, cli):
    monkeypatch.setenv("KIOSK_NEW_PIN", "12")
    status, _, err = cli("pin")
    assert status == 2 and "6 to 32 digits" in err
    monkeypatch.setenv("KIOSK_NEW_PIN", "246810")
    assert cli("pin")[0] == 0
    monkeypatch.setenv("KIOSK_NEW_PIN", "135791")
    monkeypatch.setenv("KIOSK_SUPERVISOR_PIN", "000000")
    status, _, err = cli("pin")
    assert status == 1 and "Wrong PIN" in err
    monkeypatch.setenv("KIOSK_SUPERVISOR_PIN", "246810")
    assert cli("pin")[0] == 0
    monkeypatch.delenv("KIOSK_SUPERVISOR_PIN")
    status, _, err = cli("pin")  # no terminal and no PIN given: a clear refusal, never a hang
    assert status == 2 and "KIOSK_SUPERVISOR_PIN" in err


def test_every_command_is_found_by_its_module():
    import importlib

    from kiosk.cli import COMMAND_MODULES, cli

    for module in {module for modules in COMMAND_MODULES.values() for module in modules.split()}:
        importlib.import_module(f"kiosk.cli.{module}")
    assert set(cli.commands) == set(COMMAND_MODULES)


def test_audit_verify_prints_an_anchor_and_checks_one(cli_production, capsys, cli):
    status, out, _ = cli("audit", "verify", "--json")
    anchor = json.loads(out)["anchor"]
    assert status == 0 and anchor.startswith(f"{json.loads(out)['rows']}:")
    assert cli("audit", "verify", "--anchor", anchor)[0] == 0
    row, digest = anchor.split(":")
    forged = f"{row}:{'0' if digest[0] != '0' else '1'}{digest[1:]}"
    status, _, err = cli("audit", "verify", "--anchor", forged)
    assert status == 1 and "rewritten" in err
    status, _, err = cli("audit", "verify", "--anchor", "nonsense")
    assert status == 2 and "ROW:HASH" in err


def test_a_scene_is_not_added_with_an_ic_who_is_not_one(cli_production, cli):
    """`scene add --coordinator` asks what `scene ic` asks: the Director is no IC (found by a second reader: the
    Director was then approved "by intimacy coordinator" and could record that the performers were told)."""
    status, _, err = cli("scene", "add", "Z2", "--title", "Shower", "--coordinator", "D01", "--performer", "C01")
    assert status == 2 and "Helen Marsh is not an intimacy coordinator (Director)" in err, err
    assert "Z2" not in cli("scene", "list")[1]
    assert cli("scene", "add", "Z2", "--title", "Shower", "--coordinator", "Jonas Berg")[0] == 0  # 2nd unit IC
