"""One-cell edits of the tables the record keeps beside the log (``chains``, ``heads``, ``settings``): every
command exits with a named cause - writes 3, "the record is damaged ... call the supervisor"; the audit 1, naming
the table - and never a traceback.  (The first kiosk with the record crashed on each of them with TypeError,
AssertionError, EventError, JSONDecodeError or ValueError, and said "Log intact" for an edited clock.)"""

from __future__ import annotations

import pytest

from tests.reliability.support import KIOSK, sql

EDITS = {  # edit: (statement, what the audit names)
    "the log's head deleted": ("DELETE FROM chains", "lost the log's head"),
    "the log's head moved back": ("UPDATE chains SET seq = seq - 1 WHERE device = ''", "head was edited"),
    "a clock reading that is not one": ("UPDATE chains SET hlc = 'zzz' WHERE device = ''", "clock reading"),
    "a clock reading at the end of the clock": ("UPDATE chains SET hlc = '9999999999999-9999' WHERE device = ''",
                                                "clock reading"),
    "a device's head edited": (f"UPDATE chains SET seq = seq + 5 WHERE device = '{KIOSK}'", "chains table's heads"),
    "a device's head not a hash": (f"UPDATE chains SET hash = 'not-a-hash' WHERE device = '{KIOSK}'",
                                   "chains table's heads"),
    "a head's parents not JSON": ("UPDATE heads SET parents = 'not json' WHERE key = 'approval/42/D01/set'",
                                  "heads approval/42/D01/set: parents is 'not json'"),
    "a head pointing elsewhere": ("UPDATE heads SET event = 1 WHERE key = 'state/42'", "heads state/42"),
    "the window not a number": ("UPDATE settings SET value = 'abc' WHERE key = 'duplicate_window'",
                                "settings duplicate_window"),
}


@pytest.mark.parametrize("edit", EDITS)
def test_an_edited_bookkeeping_table_gives_a_named_cause_never_a_traceback(edit, production_file, cli, figures):
    path, codes_by_ref = production_file
    statement, named = EDITS[edit]
    sql(path, statement)
    outcomes = {}
    for command in (("scan", "42", codes_by_ref["P01"]), ("scene", "unapprove", "42", "P01", "--by", "Sam"),
                    ("inside", "42"), ("report", "42", "--format", "json", "--out", path.parent / "r.json"),
                    ("audit", "verify")):
        code, _, err = cli("--db", path, "--kiosk-id", KIOSK, *command)
        assert "Traceback" not in err and "Unexpected" not in err, (command, err)
        assert code in (0, 1, 3), (command, code, err)
        if code == 3:
            assert "The record is damaged" in err and "call the supervisor" in err, (command, err)
        outcomes[command[0]] = code
    assert outcomes["audit"] == 1 and named in err, err  # the audit names the table and what
    figures.update(edit=edit, exits=outcomes)
