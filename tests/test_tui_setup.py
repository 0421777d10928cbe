"""The setup screens through Textual's Pilot: people (add, edit, CSV import) and scenes' approved lists."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Label, RadioButton, RadioSet

from kiosk.services import access, scenes
from kiosk.services.lookup import get_person
from kiosk.store.queries import one
from kiosk.tui import KioskApp
from kiosk.tui.screens.importing import ImportScreen
from kiosk.tui.screens.people import PeopleScreen, PersonForm
from kiosk.tui.screens.scenes import ApprovalsScreen, ApproveForm, RemoveApprovalForm, SceneForm, ScenesScreen
from kiosk.tui.widgets import Table
from tests.support import KIOSK, PIN, SIZES

GOOD_CSV = "ref,name,department,role,kind\nN01,Noor Haddad,Camera,Loader,crew\nP02,Tom Brennan,Camera,Operator,crew\n"
BAD_CSV = ("ref,name,department,role,kind\nN01,Noor Haddad,Camera,Loader,crew\n,,Camera,Grip,robot\n"
           "N02,Ana Lima,Cast,Lead,actor\nN01,Noor Again,Camera,Loader,crew\n")


@pytest.fixture
def app(db, crew):
    access.set_pin(db, PIN, KIOSK)
    return KioskApp(db, KIOSK, scene="42", scan_gap=0.01)  # no scans here: shorter waits per key


async def open_screen(pilot, screen, keys) -> None:
    await keys.settle(pilot)
    await pilot.app.push_screen(screen)
    await keys.settle(pilot)


async def fill(pilot, keys, **values: str) -> None:
    """Type into the inputs with these ids (set at once: typing fast into a field reads as a scan)."""
    for input_id, value in values.items():
        pilot.app.screen.query_one(f"#{input_id}", Input).value = value
    await keys.settle(pilot)


async def choose(pilot, picker_id: str, text: str, keys) -> None:
    """Find ``text`` in a person picker and press Enter on the first match."""
    search = pilot.app.screen.query_one(f"{picker_id} #search", Input)
    search.focus()
    search.value = text
    await keys.settle(pilot)
    await keys.press(pilot, "enter")


def message(app) -> str:
    return str(app.screen.query_one("#message").render())


def table(app, table_id: str) -> Table:
    return app.screen.query_one(f"#{table_id}", Table)


def count(db, sql: str, params=()) -> int:
    return one(db, f"SELECT COUNT(*) AS n FROM {sql}", list(params))["n"]


async def test_the_menu_opens_people_where_one_is_added_then_edited(app, db, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await keys.press(pilot, "f10")
        await pilot.press(*PIN, "enter")
        await keys.settle(pilot)
        menu = app.screen.query_one("OptionList")
        menu.highlighted = [option.id for option in menu.options].index("people")
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, PeopleScreen)
        people = table(app, "rows")
        assert people.row_count == 40 and app.focused is people

        await keys.press(pilot, "f2")
        assert isinstance(app.screen, PersonForm)
        await fill(pilot, ref="N01", name="Noor Haddad", department="Camera", role="Loader", keys=keys)
        app.screen.query_one("#kind", RadioSet).focus()
        await keys.press(pilot, "down", "enter")  # cast, crew: crew
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, PeopleScreen)
        assert people.row_count == 41 and people.texts("N01") == ["N01", "Noor Haddad", "crew", "no badge", "Camera",
                                                                   "Loader"]
        assert get_person(db, "N01")["kind"] == "crew"

        await keys.press(pilot, "f3")  # the cursor is on the person just saved
        assert "Ref: N01" in str(app.screen.query_one("#ref").render())
        await fill(pilot, role="2nd AC", keys=keys)
        await keys.press(pilot, "f2")
        assert get_person(db, "N01")["role"] == "2nd AC"
        assert people.texts("N01")[5] == "2nd AC"
        assert count(db, "events WHERE type = 'person.saved' AND key = 'person/N01'") == 2  # added, then edited

        await fill(pilot, filter="camera", keys=keys)
        assert people.row_count == 6 and "6 of 41" in str(app.screen.query_one("#heading").render())
        await keys.press(pilot, "escape")
        assert type(app.screen).__name__ == "DoorScreen"  # the PIN opened the menu for that one action


async def test_form_problems_are_shown_in_words_and_nothing_is_saved(app, db, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(pilot, PeopleScreen(), keys=keys)
        await keys.press(pilot, "f2")
        await fill(pilot, department="Camera", keys=keys)
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, PersonForm)
        assert "Name is missing; kind is missing (cast or crew)" in message(app)
        await fill(pilot, ref="D01", name="Someone Else", keys=keys)
        await keys.press(pilot, "f2")
        assert "'D01' is Helen Marsh's already" in message(app)
        await keys.press(pilot, "escape")
        assert isinstance(app.screen, PeopleScreen)
    assert count(db, "people") == 40 and get_person(db, "D01")["name"] == "Helen Marsh"
    assert count(db, "events WHERE type = 'person.saved'") == 40


async def test_csv_dry_run_lists_every_row_error_by_line_and_writes_nothing(app, db, tmp_path, keys):
    (tmp_path / "bad.csv").write_text(BAD_CSV)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(pilot, PeopleScreen(), keys=keys)
        await keys.press(pilot, "f4")
        assert isinstance(app.screen, ImportScreen)
        await fill(pilot, path=str(tmp_path / "missing.csv"), keys=keys)
        await keys.press(pilot, "enter")
        assert "No file at" in message(app) and "missing.csv" in message(app)
        await fill(pilot, path=str(tmp_path), keys=keys)
        await keys.press(pilot, "enter")
        assert "is a folder" in message(app)

        await fill(pilot, path=str(tmp_path / "bad.csv"), keys=keys)
        await keys.press(pilot, "enter")
        errors = table(app, "details")
        assert errors.display
        rows = [errors.texts(index) for index in range(errors.row_count)]
        assert [line for line, _ in rows] == ["line 3", "line 3", "line 4", "line 5"]
        assert "name is missing" in rows[0][1] and "cast or crew" in rows[2][1] and "first on line 2" in rows[3][1]
        assert "4 problem(s) on 3 line(s). Nothing was imported" in message(app)
        await keys.press(pilot, "f2")  # nothing to confirm: it says so
        assert isinstance(app.screen, ImportScreen) and "Check the file first" in message(app)
    assert count(db, "people") == 40 and count(db, "events WHERE type = 'person.saved'") == 40


async def test_a_good_csv_is_imported_only_after_the_confirm(app, db, tmp_path, keys):
    (tmp_path / "crew.csv").write_text(GOOD_CSV)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(pilot, PeopleScreen(), keys=keys)
        await keys.press(pilot, "f4")
        await fill(pilot, path=str(tmp_path / "crew.csv"), keys=keys)
        await keys.press(pilot, "enter")
        assert "1 to add, 1 to update, 0 unchanged" in message(app)
        shown = [table(app, "details").texts(index) for index in range(table(app, "details").row_count)]
        assert ["add", "Noor Haddad (N01)"] in shown and ["update", "Tom Brennan (P02)"] in shown
        assert shown[0][0] == "read as" and "CSV" in shown[0][1]
        assert count(db, "people") == 40 and get_person(db, "P02")["role"] == "Camera operator"
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, PeopleScreen)
        assert table(app, "rows").row_count == 41 and table(app, "rows").texts("P02")[5] == "Operator"
    assert get_person(db, "N01")["name"] == "Noor Haddad"
    assert get_person(db, "P02")["role"] == "Operator"


async def test_create_a_scene_with_its_coordinator_and_performers(app, db, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(pilot, ScenesScreen(), keys=keys)
        assert table(app, "rows").row_count == 1
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, SceneForm)
        await keys.press(pilot, "f2")
        assert "A scene needs a ref and a title" in message(app)
        await fill(pilot, ref="43", title="Shower, day", location="Stage 3", date="2026-11-24", keys=keys)
        await choose(pilot, "#coordinator", "Amara", keys=keys)
        assert app.focused is app.screen.query_one("#performers #search")
        await choose(pilot, "#performers", "Łukasz", keys=keys)
        await choose(pilot, "#performers", "C03", keys=keys)
        assert "Chosen (2): Łukasz Nowak, Ольга Иванова" in str(app.screen.query_one("#performers #chosen").render())
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, ScenesScreen)
        scenes_table = table(app, "rows")
        assert scenes_table.row_count == 2
        assert scenes_table.texts("43") == ["43", "Shower, day", "Stage 3", "2026-11-24", "draft", "Amara Mensah",
                                              "3"]
    shown = scenes.show_scene(db, "43")
    assert shown["coordinator"]["ref"] == "X01" and [p["ref"] for p in shown["performers"]] == ["C02", "C03"]
    assert len(shown["approved"]) == 6  # three people, both zones


async def open_approvals(pilot, keys) -> Table:
    await open_screen(pilot, ScenesScreen(), keys=keys)
    await keys.press(pilot, "enter")
    assert isinstance(pilot.app.screen, ApprovalsScreen)
    return table(pilot.app, "rows")


async def test_approve_for_the_monitors_shows_who_approved(app, db, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        approvals = await open_approvals(pilot, keys=keys)
        before = approvals.row_count
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, ApproveForm)
        await choose(pilot, "", "Owen", keys=keys)
        app.screen.query_one("#zone", RadioSet).focus()
        await keys.press(pilot, "down", "enter")  # set, monitors: monitors
        app.screen.query_one("#by", Input).focus()
        await keys.press(pilot, "enter")
        assert "Not approved: Say who approves" in message(app)
        await fill(pilot, by="Helen Marsh", keys=keys)
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, ApprovalsScreen)
        assert approvals.row_count == before + 1
        assert approvals.texts("S01/monitors")[:4] == ["Owen Price", "S01", "monitors", "Helen Marsh"]
    assert one(db, "SELECT zone, approved_by FROM approvals WHERE person = 'S01'") == \
        {"zone": "monitors", "approved_by": "Helen Marsh"}


async def test_a_performer_stays_approved_and_a_crew_approval_can_be_removed(app, db, keys):
    async with app.run_test(size=(100, 30)) as pilot:
        approvals = await open_approvals(pilot, keys=keys)
        before = approvals.row_count
        approvals.move_cursor(row=approvals.get_row_index("C01/set"))
        await keys.press(pilot, "delete")
        assert isinstance(app.screen, RemoveApprovalForm)
        await fill(pilot, by="Sam Whitfield", keys=keys)
        await keys.press(pilot, "enter")
        assert "Zoë Ødegård is a performer or the coordinator of scene 42 and stays approved" in message(app)
        await keys.press(pilot, "escape")

        approvals.move_cursor(row=approvals.get_row_index("D01/set"))
        await keys.press(pilot, "delete")
        await fill(pilot, by="Sam Whitfield", keys=keys)
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, ApprovalsScreen)
        assert approvals.row_count == before - 1 and "D01/set" not in approvals.rows
    assert count(db, "approvals WHERE person = 'D01'") == 0
    assert count(db, "approvals WHERE person = 'C01'") == 2
    assert one(db, "SELECT json_extract(payload, '$.body.by') AS by FROM events WHERE type = 'approval.removed'")[
        "by"] == "Sam Whitfield"


async def test_badges_screen_previews_issues_and_revokes(app, db, crew, tmp_path, keys):
    from kiosk.services import door
    from kiosk.tui.screens.badges import BadgePreview, BadgesScreen, IssueForm, RevokeForm

    scenes.set_state(db, "42", "open", KIOSK)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_screen(pilot, BadgesScreen(), keys=keys)
        people = table(app, "rows")
        people.move_cursor(row=people.get_row_index("P01"))
        await keys.press(pilot, "enter")
        assert isinstance(app.screen, BadgePreview)
        shown = str(app.screen.query_one("#card").render())
        assert "Ines Duarte" in shown and crew["P01"][:6] not in shown and "digest" in shown  # no code kept
        await keys.press(pilot, "escape")

        await keys.press(pilot, "f2")
        assert isinstance(app.screen, IssueForm)
        await fill(pilot, out=str(tmp_path / "out"), sheet=str(tmp_path / "out" / "sheet.pdf"), keys=keys)
        await keys.press(pilot, "f2")
        await keys.settle(pilot)
        assert isinstance(app.screen, BadgePreview)  # the new badge, with its code and QR this once
        qr = str(app.screen.query_one("#qr").render()).splitlines()
        assert len(qr) > 10 and len({len(line) for line in qr}) == 1  # a square block of half blocks
        await keys.press(pilot, "escape")
        assert isinstance(app.screen, BadgesScreen)
        assert (tmp_path / "out" / "P01.png").exists() and (tmp_path / "out" / "sheet.pdf").exists()
        assert door.scan(db, "42", crew["P01"], "set", KIOSK).reason == "superseded"

        await keys.press(pilot, "f8")
        assert isinstance(app.screen, RevokeForm)
        await keys.press(pilot, "enter")
        assert "why" in message(app).lower()
        await fill(pilot, reason="lost on location", keys=keys)
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, BadgesScreen)
    assert one(db, "SELECT status FROM badges WHERE person = 'P01' ORDER BY issued_at DESC LIMIT 1")["status"] == \
        "revoked"


async def test_a_spreadsheet_with_its_own_headers_is_imported_from_the_setup_screen(app, db, tmp_path, keys):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("Crew")
    sheet.append(["Crew ID", "Performer", "Dept", "Position", "Phone"])
    sheet.append(["N01", "Noor Haddad", "Camera", "Loader", "07700 900123"])
    workbook.save(tmp_path / "crew.xlsx")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot, PeopleScreen(), keys=keys)
        await keys.press(pilot, "f4")
        await fill(pilot, sheet="Crew", map="name=Performer", keys=keys)
        app.screen.query_one("#kind", RadioSet).query(RadioButton).last().value = True  # everyone is crew
        await fill(pilot, path=str(tmp_path / "crew.xlsx"), keys=keys)
        app.screen.query_one("#path", Input).focus()
        await keys.press(pilot, "enter")
        shown = [table(app, "details").texts(index) for index in range(table(app, "details").row_count)]
        assert ["add", "Noor Haddad (N01)"] in shown and any("Phone" in what for _, what in shown), shown
        await keys.press(pilot, "f2")
        assert isinstance(app.screen, PeopleScreen)
    person = get_person(db, "N01")
    assert (person["name"], person["department"], person["role"], person["kind"]) == \
        ("Noor Haddad", "Camera", "Loader", "crew")


@pytest.mark.parametrize("size", SIZES)
async def test_tabbing_into_a_field_and_typing_adds_to_what_is_there(app, db, keys, size):
    async with app.run_test(size=size) as pilot:
        await open_screen(pilot, PeopleScreen(), keys=keys)
        people = table(app, "rows")
        people.move_cursor(row=people.get_row_index("P04"))
        await keys.press(pilot, "f3")
        assert app.focused is app.screen.query_one("#name")
        await keys.press(pilot, "tab", "tab")  # to Role, as the supervisor did
        assert app.focused is app.screen.query_one("#role")
        await keys.press(pilot, "space", "x")
        await keys.press(pilot, "f2")
    assert get_person(db, "P04")["role"] == "2nd AC x"


@pytest.mark.parametrize("size", SIZES)
async def test_the_badges_screen_counts_badges_and_shows_a_revoked_one(app, db, keys, size):
    from kiosk.tui.screens.badges import BadgesScreen, RevokeForm

    async with app.run_test(size=size) as pilot:
        await open_screen(pilot, BadgesScreen(), keys=keys)
        assert str(app.screen.query_one("#heading").render()) == "Badges: 40 valid, 0 revoked, 0 none (40 people)"
        badges_table = table(app, "rows")
        badges_table.move_cursor(row=badges_table.get_row_index("D01"))
        await keys.press(pilot, "f8")
        assert "Revoke the badge of Helen Marsh (D01)" in str(app.screen.query_one(Label).render())
        await fill(pilot, reason="lost on location", keys=keys)
        await keys.press(pilot, "f2")
        assert not isinstance(app.screen, RevokeForm)
        row = badges_table.texts("D01")
        assert row[1:3] == ["Helen Marsh", "REVOKED"] and row[4] == "lost on location"
        assert str(app.screen.query_one("#heading").render()) == "Badges: 39 valid, 1 revoked, 0 none (40 people)"


async def test_issuing_a_badge_no_installed_font_can_print_warns_first(app, db, crew, tmp_path, keys):
    from kiosk.badges import undrawable
    from kiosk.services import badges
    from kiosk.tui.screens.badges import BadgePreview, BadgesScreen, IssueForm

    squares = undrawable(badges.plan_badges(db, ["C04"]))  # none on a machine with a CJK font installed
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, BadgesScreen(), keys=keys)
        people = table(app, "rows")
        people.move_cursor(row=people.get_row_index("C04"))
        await keys.press(pilot, "f2")
        await fill(pilot, out=str(tmp_path / "out"), sheet="", keys=keys)
        await keys.press(pilot, "f2")
        if squares:
            assert isinstance(app.screen, IssueForm) and "apt install fonts-noto-cjk" in message(app)
            assert not (tmp_path / "out" / "C04.png").exists()
            await keys.press(pilot, "f2")  # again: issued all the same
        assert isinstance(app.screen, BadgePreview) and (tmp_path / "out" / "C04.png").exists()  # its QR to try
        await keys.press(pilot, "escape")
        assert isinstance(app.screen, BadgesScreen)


async def test_a_long_import_error_is_shown_whole_at_80_columns(app, tmp_path, keys):
    (tmp_path / "list.csv").write_text("Performer;Dept\nNoor Haddad;Camera\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, PeopleScreen(), keys=keys)
        await keys.press(pilot, "f4")
        await fill(pilot, path=str(tmp_path / "list.csv"), keys=keys)
        await keys.press(pilot, "enter")
        details = table(app, "details")
        assert "no header row naming the name column" in details.texts(0)[1]
        assert details.ordered_rows[0].height > 1  # wrapped onto more lines, not cut at the screen's edge
