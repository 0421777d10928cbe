"""Sealed fields: the note, signposting and follow-up owner never need to be typed on the command line, where
any local user reads them from /proc/PID/cmdline while the command runs; what comes on standard input is
recorded as sent or refused whole."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.core import text
from kiosk.core.checkins import NOTE_MAX
from kiosk.services import checkins
from kiosk.store import connect
from tests.reliability.support import IC_PASSPHRASE, KIOSK, size

NOTE = "Felt rushed in take 3, ZEBRA-PAPAYA-7431"
SIGNPOSTING = "Equity helpline, MANGO-QUARTZ-2209"
OWNER = "Amara KIWI-OPAL-5518"
SOON = (date.today() + timedelta(days=7)).isoformat()


@pytest.fixture
def ic_env(ic_file, monkeypatch):
    monkeypatch.setenv("KIOSK_DB", str(ic_file))
    monkeypatch.setenv("KIOSK_IC_PASSPHRASE", IC_PASSPHRASE)
    monkeypatch.setenv("KIOSK_IC_NAME", "Amara Mensah")
    return ic_file


def sealed(path: Path, ref: str) -> checkins.ICCheckin:
    db = connect(path)
    try:
        rows = checkins.notes(checkins.unlock(db, IC_PASSPHRASE, "proof", KIOSK))
        return next(row for row in rows if row.ref == ref)
    finally:
        db.close()


def log_head(path: Path) -> tuple:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT seq, hash FROM chains WHERE device = ''").fetchone()
    finally:
        conn.close()


def kiosk(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_no_sealed_field_shows_in_the_process_list(ic_env, figures):
    """A real `kiosk checkin` waiting for its note on standard input: its command line, which every local user
    can read, holds none of the three; its environment is readable by its owner only."""
    env = {**os.environ, "KIOSK_IC_SIGNPOSTING": SIGNPOSTING, "KIOSK_IC_FOLLOW_UP_OWNER": OWNER}
    process = subprocess.Popen([sys.executable, "-m", "kiosk", "checkin", "42", "C01", "--status", "follow-up",
                                "--due", SOON, "--note", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    proc = Path(f"/proc/{process.pid}")
    deadline = time.monotonic() + 30
    while b"checkin" not in (proc / "cmdline").read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    cmdline, cmdline_mode = (proc / "cmdline").read_bytes(), stat.S_IMODE((proc / "cmdline").stat().st_mode)
    environ_mode = stat.S_IMODE((proc / "environ").stat().st_mode)
    _, err = process.communicate(NOTE.encode() + b"\n", timeout=60)
    assert process.returncode == 0, err
    assert b"checkin" in cmdline and not [word for word in (NOTE, SIGNPOSTING, OWNER) if word.encode() in cmdline]
    assert cmdline_mode & 0o004 and environ_mode & 0o077 == 0  # anyone reads the command line; only we the rest
    assert b"Warning" not in err
    shown = sealed(ic_env, "C01")
    assert (shown.note, shown.signposting, shown.follow_up_owner) == (NOTE, SIGNPOSTING, OWNER)
    figures.update(fields=3, in_cmdline=0, environ_mode=oct(environ_mode))


def test_a_sealed_field_typed_on_the_command_line_is_recorded_with_a_warning(ic_env, capsys):
    status, _, err = kiosk(capsys, "checkin", "42", "C01", "--status", "ok", "--signposting", SIGNPOSTING)
    assert status == 0 and sealed(ic_env, "C01").signposting == SIGNPOSTING
    assert "Warning: --signposting was given on the command line" in err and SIGNPOSTING not in err
    assert "--signposting -" in err and "KIOSK_IC_SIGNPOSTING" in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_sealed_field_given_alone_is_asked_for_hidden(ic_env, capsys, monkeypatch):
    asked = []

    def prompt(label, **options):
        asked.append((label, options.get("hide_input")))
        return OWNER

    monkeypatch.setattr(click, "prompt", prompt)
    monkeypatch.setattr("sys.stdin", Terminal())
    status, _, err = kiosk(capsys, "checkin", "42", "C01", "--status", "follow-up", "--due", SOON,
                           "--follow-up-owner")
    assert status == 0 and "Warning" not in err, err
    assert asked == [("Follow-up owner (sealed)", True)] and sealed(ic_env, "C01").follow_up_owner == OWNER
    monkeypatch.setattr("sys.stdin", io.StringIO())
    head = log_head(ic_env)
    status, _, err = kiosk(capsys, "checkin", "42", "C01", "--status", "ok", "--note")
    assert status == 2 and "KIOSK_IC_NOTE" in err and log_head(ic_env) == head


def test_only_one_field_reads_standard_input(ic_env, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(NOTE.encode())))
    head = log_head(ic_env)
    status, _, err = kiosk(capsys, "checkin", "42", "C01", "--status", "ok", "--note", "-", "--signposting", "-")
    assert status == 2 and "standard input" in err and log_head(ic_env) == head


NOTES = st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode),
                  st.builds(lambda a, b, c: a.encode() + b + c.encode(), st.text(max_size=50),
                            st.sampled_from([b"\xff", b"\xe9", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\x1b]0;x\x07"]),
                            st.text(max_size=50)))


def test_a_note_on_standard_input_is_recorded_as_sent_or_refused_whole(ic_env, capsys, monkeypatch, figures):
    """Any bytes as the note: exit 0 and the note stored as the text sent, or exit 2 with a message and the log
    not touched (no unlock, no row); never a traceback.  A Latin-1 note once ended in one (exit 1)."""
    seen = {"cases": 0, "recorded": 0, "refused": 0}

    @settings(max_examples=size("stdin_examples"), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=NOTES)
    @example(data="Felt rushed in take 3, café".encode("latin-1"))
    def check(data):
        seen["cases"] += 1
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
        head = log_head(ic_env)
        status, out, err = kiosk(capsys, "checkin", "42", "C01", "--status", "ok", "--note", "-")
        assert status in (0, 2) and "Traceback" not in out + err, (data, status, err)
        if status == 2:
            assert err.startswith("Error:") and log_head(ic_env) == head, (data, err)
            seen["refused"] += 1
            return
        expected = text.lines(data.decode("utf-8-sig"), "note", NOTE_MAX)
        assert sealed(ic_env, "C01").note == expected
        seen["recorded"] += 1

    check()
    figures.update(cases=seen["cases"], recorded_as_sent=seen["recorded"], refused_whole=seen["refused"],
                   tracebacks=0)
