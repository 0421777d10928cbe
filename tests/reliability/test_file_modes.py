"""Everything the kiosk writes that holds personal data or codes is its owner's only (finding 11).

First release: reports and roll-call PDFs were forced to 0644 even under umask 077 and badge PNGs (live codes)
were 0644; folders made on the way (`kiosk init` into a new folder, the report export screen) took the umask.
Now every such file is created 0600 and every folder the kiosk makes for one is 0700 (``kiosk.files``),
whatever the umask: both a permissive one (022) and a strict one (077) are tried, through every writer - the
database and its -wal and -shm, badge PNGs and the printable sheet, the demo's badges and codes list, scene
and day reports in each format (over an existing world-readable file too), the roll-call from the command line
and from the door screen, and a report exported from the reports screen into a new folder.
"""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import date
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.services import access, badges, door, roster, scenes
from kiosk.store import connect
from kiosk.tui import KioskApp
from kiosk.tui.screens.reports import ExportForm, ReportsScreen
from tests.reliability.support import KIOSK
from tests.support import PIN


@pytest.fixture(params=[0o022, 0o077], ids=["umask-022", "umask-077"])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def kiosk(*args: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    assert exit_info.value.code == 0, args


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def everything_under(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    files, folders = {}, {}
    for path in sorted(root.rglob("*")):
        (folders if path.is_dir() else files)[str(path.relative_to(root))] = mode(path)
    return files, folders


async def from_the_screens(path: Path, exported: Path, code: str, keys) -> None:
    db = connect(path)
    app = KioskApp(db, KIOSK, scene="42", scan_gap=0.01)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await keys.scanner(pilot, code)
            await keys.press(pilot, "i")
            assert type(app.screen).__name__ == "RollCallScreen"
            await keys.press(pilot, "p")  # the roll-call, printed beside the database
            for _ in range(100):  # drawn on a worker
                if list(path.parent.glob("rollcall-*.pdf")):
                    break
                await pilot.pause(0.05)
            await keys.press(pilot, "escape")
            await app.push_screen(ReportsScreen())
            await keys.settle(pilot)
            field = app.screen.query_one("#which")
            field.value = "42"
            field.focus()
            await keys.press(pilot, "enter")
            await keys.settle(pilot)
            await keys.press(pilot, "f2")
            assert isinstance(app.screen, ExportForm)
            app.screen.query_one("#path").value = str(exported)
            await keys.press(pilot, "f2")
            await keys.settle(pilot)
    finally:
        db.close()


def test_every_file_written_is_0600_and_every_folder_made_0700(umask, tmp_path, keys, capsys, figures):
    root = tmp_path / "kiosk-files"
    root.mkdir(mode=0o700)
    path = root / "new" / "folder" / "kiosk.db"
    kiosk("--db", str(path), "init", "--production", "Night Garden", "--checklist-gate", "off")  # opened unready
    db = connect(path)
    try:
        access.set_pin(db, PIN, KIOSK)
        roster.add_person(db, KIOSK, "Ana Lima", "crew", ref="P01")
        roster.add_person(db, KIOSK, "Ines Duarte", "cast", ref="C01")
        scenes.add_scene(db, "42", "Bedroom, night", KIOSK)
        scenes.approve(db, "42", ("P01", "C01"), by="Sam Whitfield", kiosk=KIOSK)
        scenes.set_state(db, "42", scenes.SceneState.OPEN, KIOSK)
        cards, _ = badges.issue(db, None, root / "badges" / "today", root / "print" / "run 1" / "sheet.pdf", "a4",
                                KIOSK)  # as `kiosk badge issue --all --out ... --sheet ...` and the badges screen
        codes = {card.ref: card.code for card in cards}
        door.scan(db, "42", codes["C01"], "set", KIOSK)
    finally:
        db.close()
    reports = root / "reports"
    reports.mkdir(mode=0o700)
    (reports / "scene.csv").write_text("old")
    (reports / "scene.csv").chmod(0o644)  # world-readable already: replaced by a private one
    for name in ("scene.pdf", "scene.csv", "scene.json"):
        kiosk("--db", str(path), "report", "42", "--out", str(reports / name))
    kiosk("--db", str(path), "report", "--date", date.today().isoformat(), "--out", str(reports / "day.csv"))
    kiosk("--db", str(path), "inside", "--all", "--pdf", str(reports / "rollcall.pdf"))
    kiosk("--db", str(root / "demo" / "kiosk" / "demo.db"), "demo", "--no-run", "--badges",
          str(root / "demo" / "badges" / "new"))
    asyncio.run(from_the_screens(path, root / "exports" / "scene 42" / "closed-set", codes["P01"], keys))
    capsys.readouterr()

    held = connect(path)  # a kiosk running: the -wal and -shm exist
    try:
        door.scan(held, "42", codes["P01"], "set", KIOSK)
        files, folders = everything_under(root)
    finally:
        held.close()
    expected = {"new/folder/kiosk.db", "new/folder/kiosk.db-wal", "new/folder/kiosk.db-shm",
                "badges/today/P01.png", "print/run 1/sheet.pdf",
                "reports/scene.csv", "reports/rollcall.pdf", "demo/badges/new/codes.txt",
                "exports/scene 42/closed-set.pdf"}
    assert expected <= set(files), sorted(set(files))
    assert any(name.startswith("new/folder/rollcall-") for name in files)  # printed from the door screen
    assert not [name for name in files if name.endswith(".part")]
    assert {name: value for name, value in files.items() if value != "0o600"} == {}
    assert {name: value for name, value in folders.items() if value != "0o700"} == {}
    figures.update(umask=oct(umask), files=len(files), folders=len(folders), modes=sorted(set(files.values())),
                   folder_modes=sorted(set(folders.values())))
