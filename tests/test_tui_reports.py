"""The reports screen (supervisor menu): a scene or a day on screen with its headcount chart, exported."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from pypdf import PdfReader
from textual.widgets import Input, Label, Sparkline

from kiosk.core.door import SceneState
from kiosk.services import access, door, scenes
from kiosk.services.reports import scene_report
from kiosk.tui import KioskApp
from kiosk.tui.screens.reports import ExportForm, ReportsScreen, headcount_bars
from kiosk.tui.widgets import Table
from tests.support import KIOSK, PIN, SIZES


@pytest.fixture
def app(db, crew):
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    for ref in ("P01", "C01", "R01"):
        door.scan(db, "42", crew[ref], "set", KIOSK)
    return KioskApp(db, KIOSK, scene="42", scan_gap=0.01)


async def ask(pilot, which: str, keys) -> None:
    field = pilot.app.screen.query_one("#which", Input)
    field.value = which
    field.focus()
    await keys.press(pilot, "enter")
    await keys.settle(pilot)


async def test_a_scene_on_screen_and_exported_as_csv_for_excel(app, db, db_path, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.settle(pilot)
        await app.push_screen(ReportsScreen())
        await ask(pilot, "42", keys=keys)
        timeline = app.screen.query_one(Table)
        words = [timeline.texts(i)[2] for i in range(timeline.row_count)]
        assert "Not on the approved list for scene 42" in words
        assert app.screen.query_one(Sparkline).data[-1] == 2  # two inside now
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, ExportForm)
        await pilot.click("#csv")
        await pilot.click("#bom")
        app.screen.query_one("#path", Input).value = str(db_path.parent / "out" / "scene42")
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, ReportsScreen)
    data = (db_path.parent / "out" / "scene42.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "Hannah Cole" in data.decode("utf-8-sig")
    assert list(csv.reader(data.decode("utf-8-sig").splitlines()))


async def test_a_day_report_exported_to_pdf(app, db, db_path, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.settle(pilot)
        await app.push_screen(ReportsScreen())
        await ask(pilot, date.today().isoformat(), keys=keys)
        assert "Closed sets on" in str(app.screen.query_one("#charts").query("Static").first().render())
        await keys.press(pilot, "f2")
        app.screen.query_one("#path", Input).value = str(db_path.parent / "day")
        await keys.press(pilot, "f2")
    text = "".join(page.extract_text() for page in PdfReader(db_path.parent / "day.pdf").pages)
    assert "Ines Duarte" in text and "Not on the approved list" in text


async def test_an_unknown_scene_says_so_and_nothing_is_shown(app, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.settle(pilot)
        await app.push_screen(ReportsScreen())
        await ask(pilot, "99", keys=keys)
        assert app.screen.query_one(Table).row_count == 0
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, ReportsScreen)  # nothing to export yet


def test_headcount_bars_follow_the_log(db, crew):
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert headcount_bars(scene_report(db, "42").scenes[0]) == [0] * 60
    door.scan(db, "42", crew["P01"], "set", KIOSK)
    bars = headcount_bars(scene_report(db, "42").scenes[0])
    assert len(bars) == 60 and max(bars) == 1


@pytest.mark.parametrize("size", SIZES)
async def test_the_timeline_keeps_its_name_and_zone_columns_and_masks_what_matched_no_badge(app, db, crew, keys,
                                                                                            size):
    door.scan(db, "42", f"{crew['R01'][:9]}-{crew['R01'][9:]}x", "set", KIOSK)  # a live code, mistyped
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        await app.push_screen(ReportsScreen())
        await ask(pilot, "42", keys=keys)
        timeline = app.screen.query_one(Table)
        titles = [str(column.label) for column in timeline.columns.values()]
        widths = {title: column.width for title, column in zip(titles, timeline.columns.values())}
        assert titles == ["Time", "Scene", "What", "Name", "Zone"]
        assert widths["Name"] >= 10 and widths["Zone"] == 8 and widths["Time"] == 14
        assert sum(widths.values()) + 2 * len(widths) <= size[0]  # all of it on the screen
        rows = [timeline.texts(index) for index in range(timeline.row_count)]
        assert rows[-2][2:] == ["Not on the approved list for scene 42", "Hannah Cole", "set"]
        assert rows[-1][3] == f"{crew['R01'][:3]}… (20 characters)"


@pytest.mark.parametrize("size", SIZES)
async def test_export_asks_before_replacing_a_file(app, db, db_path, keys, size):
    target = db_path.parent / "scene42"
    target.with_suffix(".pdf").write_bytes(b"the office's copy")
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        await app.push_screen(ReportsScreen())
        await ask(pilot, "42", keys=keys)
        await keys.press(pilot, "f2")
        app.screen.query_one("#path", Input).value = str(target)
        await keys.press(pilot, "f2")
        assert "scene42.pdf exists already. Replace it?" in str(app.screen.query_one(Label).render())
        await keys.press(pilot, "escape")
        assert isinstance(app.screen, ExportForm) and "Not exported" in str(app.screen.query_one("#message").render())
        assert target.with_suffix(".pdf").read_bytes() == b"the office's copy"
        await keys.press(pilot, "f2", "enter")
        assert isinstance(app.screen, ReportsScreen)
    assert target.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
