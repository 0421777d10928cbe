"""Exports: what the kiosk writes for the production office is private to its owner, and safe to open in a
spreadsheet."""

from __future__ import annotations

import os
import stat
from datetime import date

import pytest

from kiosk.cli import main


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
