"""Whatever a person typed is shown as typed on every screen of the kiosk, and nothing they type stops it
(finding 2).

First release: a person named `Eve [/]` was admitted, then the app died with Rich's ``MarkupError`` - and again
at every restart on that file, a crash loop at the door; `Alex Kim [they/them]` showed as "Alex Kim"; in IC
mode a follow-up owner `Dr [/]Klein` crashed the follow-ups screen, printing the sealed owner in the traceback.

Hypothesis makes the production, four people (names, departments, roles), a scene (ref, title, location), who
approves, a reason, an escalation (its IC and AD are people of the production), the IC's name and a check-in's
sealed fields out of markup, scripts written right to left, wide CJK, emoji, combining marks, control characters
and very long text.  What the text rules refuse on entry never reaches a screen (finding 10); everything they accept is
run through every screen that shows user data - the door (banner, verdict, inside, last scans, status, toasts),
roll-call, forgotten-badge lookup, lift, IC mode (list, check-in form, follow-ups), setup (people, person
form, badges, badge preview, revoke, scenes, approved list, removal, choosing the scene) and reports (summary,
timeline, export) - and each must show it literally, in what the widget draws (its visual as rendered, a
table's cells as the table formats them, an option list's options), while no screen fails.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from textual.style import Style
from textual.visual import RichVisual, Visual
from textual.widget import Widget
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets._data_table import default_cell_formatter

from kiosk.core import text
from kiosk.core.checkins import NOTE_MAX, SIGNPOSTING_MAX
from kiosk.core.door import SceneState
from kiosk.core.roster import MAX_FIELD, REF_PATTERN, check_person
from kiosk.services import access, badges, checkins, door, production, roster, scenes
from kiosk.store import connect
from kiosk.tui import KioskApp
from kiosk.tui.screens.badges import BadgePreview, BadgesScreen, RevokeForm
from kiosk.tui.screens.ic import CheckInForm, FollowUpsScreen, ICScreen
from kiosk.tui.screens.menu import ChooseSceneScreen
from kiosk.tui.screens.people import PeopleScreen, PersonForm
from kiosk.tui.screens.reports import ExportForm, ReportsScreen
from kiosk.tui.screens.scenes import ApprovalsScreen, RemoveApprovalForm, ScenesScreen
from tests.reliability.support import IC_PASSPHRASE, KIOSK, size
from tests.support import PIN, Keys

WIDE = 4_000  # cells: wide enough that no field's text (at most 500 characters, each at most 2 cells) wraps
MARKUP = ["[/]", "[bold]", "[b]x[/b]", "Alex Kim [they/them]", "Dr [/]Klein", "Eve [/]", "[red]", "[/red]",
          "[link=https://evil.example]here[/link]", "[@click=app.exit]x[/]", "\\[", "[$accent]", "[on red]", "][",
          "[", "]", "[[", "[i]", ":smile:", "$accent", "&#91;"]
SCRIPTS = ["שלום עולם", "مرحبا بالعالم", "山田 花子", "김민준", "🎬🎥🍿", "Zoë Ødegård", "e\u0301",
           "ｆｕｌｌ ｗｉｄｔｈ", "ก้", "Ω≈ç√∫", "𝕏", "👩🏽\u200d🦱"]
CONTROLS = ["\x1b[31m", "\x1b]0;pwned\x07", "\t", "\n", "\r", "\x00", "\x7f", "\u202e", "\u200b", "\u2028", "\x9b"]
PIECES = st.sampled_from(MARKUP + SCRIPTS + CONTROLS) | st.text(max_size=8)
TYPED = st.one_of(
    st.lists(PIECES, min_size=1, max_size=6).map(" ".join),
    st.text(min_size=1, max_size=40),
    st.lists(PIECES, min_size=40, max_size=80).map("".join).map(lambda typed: typed[:MAX_FIELD]),
)


def person_rule(field: str):
    def rule(value: str) -> str:
        fields = {"name": value, "department": "", "role": ""} | (
            {field.rsplit("_", 1)[1]: value, "name": "x"} if "_" in field else {})
        problems = check_person("", fields["name"], fields["department"], fields["role"], "crew")
        if problems:
            raise text.BadInput("; ".join(problems))
        return value.strip()
    return rule


# Each field with the rule its service checks it by (kiosk.core.text, the roster's, the check-ins').
RULES = {
    "production": lambda value: text.line(value, "name"),
    **{field: person_rule(field) for field in ("performer", "performer_department", "performer_role", "coordinator",
                                               "crew", "crew_department", "crew_role", "unlisted")},
    **{field: lambda value: text.line(value, "line") for field in ("title", "location", "approver", "reason", "reader",
                                                                  "owner")},
    "signposting": lambda value: text.line(value, "signposting", SIGNPOSTING_MAX),
    "note": lambda value: text.lines(value, "note", NOTE_MAX),
}
# The first release's findings, one per field, plus a script: what stands in for text the rules refuse.
ISSUE = {field: f"{MARKUP[number % len(MARKUP)]} {SCRIPTS[number % 11]}" for number, field in enumerate(RULES)} | {
    "performer": "Eve [/]", "crew": "Alex Kim [they/them]", "owner": "Dr [/]Klein"}


def drawn(widget: Widget) -> str:
    """The text ``widget`` draws, laid out unwrapped: what a person reads of it."""
    if isinstance(widget, DataTable):  # the cells as the table formats them to draw (markup, if any, applied)
        rows = [[column.label for column in widget.ordered_columns]] + [
            [default_cell_formatter(cell) for cell in widget.get_row_at(index)] for index in range(widget.row_count)]
        return "\n".join(" | ".join(cell.plain for cell in row) for row in rows)
    if isinstance(widget, OptionList):  # each option as the list makes it to draw
        return "\n".join(lines(widget, widget._get_visual(widget.get_option_at_index(index)))
                         for index in range(widget.option_count))
    if isinstance(widget, Input):
        return widget.value
    if not isinstance(widget, Static):  # Static, Label, Toast and the kiosk's own panels
        return ""
    rendered = widget.render()
    if isinstance(rendered, RichVisual):  # a Rich renderable (the kiosk's tables of rows): drawn by Rich
        console = Console(width=WIDE, file=io.StringIO(), record=True, color_system=None)
        console.print(widget.content)
        return "\n".join(line.rstrip() for line in console.export_text().splitlines())
    return lines(widget, rendered) if isinstance(rendered, Visual) else ""


def lines(widget: Widget, visual: Visual) -> str:
    return "\n".join(strip.text.rstrip() for strip in Visual.to_strips(widget, visual, WIDE, None, Style()))


class Screens:
    """Walks the kiosk screen by screen, checking that each shows the values it must, as typed."""

    def __init__(self, app: KioskApp, pilot, keys: Keys):
        self.app, self.pilot, self.keys = app, pilot, keys
        self.told: list[tuple[str, str]] = []  # every notification: a failing screen tells it as one
        self.checks, self.screens = 0, set()
        notify = app.notify

        def told(message: str, **options) -> None:
            self.told.append((message, options.get("severity", "information")))
            notify(message, **options)

        app.notify = told  # type: ignore[method-assign]

    def text(self) -> str:
        return "\n".join(drawn(widget) for widget in self.app.screen.walk_children(Widget))

    def check(self, *values: str) -> None:
        failed = [message for message, severity in self.told if severity == "error" or "error" in message.lower()]
        assert not failed, f"{type(self.app.screen).__name__} failed: {failed}"
        shown = self.text()
        for value in values:
            assert value in shown, f"{type(self.app.screen).__name__} does not show {value!r} as typed"
        self.checks += len(values)
        self.screens.add(type(self.app.screen).__name__)

    async def settle(self) -> None:
        await self.keys.settle(self.pilot)

    async def visit(self, screen, *values: str) -> None:
        """Push ``screen``, check it shows ``values``, and go back."""
        await self.app.push_screen(screen)
        await self.settle()
        self.check(*values)
        self.app.pop_screen()
        await self.settle()


def accepted(values: dict[str, str], refused: list[str]) -> dict[str, str]:
    """Each typed value as its service stores it; a value its rules refuse never reaches a screen (counted in
    ``refused``), and the first release's finding for that field stands in for it."""
    stored = {}
    for field, rule in RULES.items():
        try:
            stored[field] = rule(values[field])
        except text.BadInput:
            stored[field] = ""
        if not stored[field]:
            refused.append(field)
            stored[field] = rule(ISSUE[field])
    return stored


def build(path: Path, shown: dict[str, str]) -> dict[str, str]:
    """The production, through the services, of the text as typed; returns the badge codes by ref."""
    db = connect(path, create=True)
    try:
        production.init_production(db, shown["production"], KIOSK, checklist_required=False)  # opened unready
        for ref, kind, field in (("C01", "cast", "performer"), ("X01", "crew", "coordinator"),
                                 ("P01", "crew", "crew"), ("G01", "crew", "unlisted")):
            role = "Intimacy coordinator" if field == "coordinator" else "Operator"  # a scene's IC must be one
            roster.add_person(db, KIOSK, shown[field], kind, shown.get(f"{field}_department", "Camera"),
                              shown.get(f"{field}_role", role), ref)
        cards = badges.plan_badges(db)
        badges.record_badges(db, cards, KIOSK)
        codes = {card.ref: card.code for card in cards}
        scene = shown["scene"]
        scenes.add_scene(db, scene, shown["title"], KIOSK, shown["location"], coordinator="X01", performers=("C01",))
        scenes.approve(db, scene, ("P01",), shown["approver"], KIOSK, "both")
        scenes.set_state(db, scene, SceneState.OPEN, KIOSK)
        assert door.scan(db, scene, codes["C01"], "set", KIOSK).passes
        door.admit_by_lookup(db, scene, "P01", "set", shown["reason"], KIOSK)
        door.escalate(db, scene, "G01", "set", "X01", "P01", KIOSK)  # the IC and the AD: people, by ref
        access.set_pin(db, PIN, KIOSK)
        checkins.set_passphrase(db, IC_PASSPHRASE, shown["reader"], KIOSK)
        return codes
    finally:
        db.close()


def due() -> str:
    return (date.today() + timedelta(days=3)).isoformat()


async def walk(path: Path, shown: dict[str, str], codes: dict[str, str], keys: Keys) -> Screens:
    scene = shown["scene"]
    names = [shown[field] for field in ("performer", "coordinator", "crew", "unlisted")]
    db = connect(path)
    app = KioskApp(db, KIOSK, scene=scene)
    try:
        async with app.run_test(size=(160, 50), notifications=True) as pilot:
            screens = Screens(app, pilot, keys)
            await screens.settle()
            screens.check(shown["production"], shown["title"], shown["location"], shown["performer"], shown["crew"],
                          shown["unlisted"])  # the banner, who is inside, the last scans
            await keys.scanner(pilot, codes["X01"])  # the IC walks in: the verdict, and the policy to confirm
            screens.check(f"ADMIT  {shown['coordinator']} - Camera, Intimacy coordinator",
                          "Policy to confirm (P): ")  # with the names of who is still to confirm it
            assert shown["coordinator"] in screens.text().split("Policy to confirm (P): ", 1)[1]
            await keys.press(pilot, "p")  # confirmed: a toast names them
            screens.check(f"{shown['coordinator']}: no phones, no photos - acknowledged.")

            await keys.press(pilot, "i")
            screens.check(*names, shown["performer_department"], shown["crew_department"])
            await keys.press(pilot, "escape")

            await keys.press(pilot, "l")  # a forgotten badge: the lookup lists the matches, then who is chosen
            pilot.app.screen.query_one("#search", Input).value = shown["crew"]
            await screens.settle()
            screens.check(shown["crew"], shown["crew_department"], shown["crew_role"])
            matches = pilot.app.screen.query_one("#matches", OptionList)
            matches.focus()
            matches.highlighted = matches.get_option_index("P01")  # others' names may hold the same text
            await keys.press(pilot, "enter")
            screens.check(f"Chosen: {shown['crew']} - {shown['crew_department']}, {shown['crew_role']} (P01)")
            await keys.press(pilot, "escape")

            await keys.press(pilot, "x")
            screens.check(*names, shown["performer_department"], shown["crew_department"])
            await keys.press(pilot, "enter")  # lifted: marked out, and whose check-in is pending
            screens.check(*names, f"Check-ins pending: 1 - the IC opens them with F9 (IC mode): {shown['performer']}")
            await keys.press(pilot, "escape")

            other = connect(path)  # the IC, at another kiosk, records the performer's check-in
            checkins.record(checkins.unlock(other, IC_PASSPHRASE, shown["reader"], "door-2"), scene, "C01",
                            "follow-up", note=shown["note"], signposting=shown["signposting"],
                            follow_up_owner=shown["owner"], due=due())
            other.close()
            await keys.press(pilot, "f9")
            app.screen.query_one("#reader", Input).value = shown["reader"]
            app.screen.query_one("#passphrase", Input).value = IC_PASSPHRASE
            app.screen.query_one("#passphrase", Input).focus()
            await keys.press(pilot, "enter")
            assert isinstance(app.screen, ICScreen)
            screens.check(shown["reader"], shown["performer"])
            ic = app.screen
            row = next(row for row in ic.rows if row.ref == "C01")
            await screens.visit(CheckInForm(ic.session, row), shown["performer"], shown["note"],
                                shown["signposting"], shown["owner"])
            await screens.visit(FollowUpsScreen(ic.session), shown["performer"], shown["owner"])
            await keys.press(pilot, "escape")  # IC mode locked

            reading = connect(path)  # what the setup screens are opened on, read as they read it
            people = {person.ref: person for person in roster.list_people(reading)}
            summary = next(row for row in scenes.list_scenes(reading) if row.ref == scene)
            approval = next(row for row in scenes.approved_list(reading, scene) if row.ref == "P01")
            reading.close()
            everyone = [*names, shown["performer_department"], shown["performer_role"], shown["crew_department"],
                        shown["crew_role"]]
            await screens.visit(PeopleScreen(), *everyone)
            await screens.visit(PersonForm(people["P01"], {}), shown["crew"], shown["crew_department"],
                                shown["crew_role"])
            await screens.visit(BadgesScreen(), *names, shown["performer_department"], shown["crew_department"])
            await screens.visit(BadgePreview("C01"), shown["production"], shown["performer"],
                                shown["performer_department"], shown["performer_role"])
            await screens.visit(RevokeForm("C01", people["C01"].name), shown["performer"])
            await screens.visit(ScenesScreen(), scene, shown["title"], shown["location"], shown["coordinator"])
            await screens.visit(ChooseSceneScreen(), scene, shown["title"])
            await screens.visit(ApprovalsScreen(summary), shown["title"], *names[:3], shown["approver"])
            await screens.visit(RemoveApprovalForm(scene, approval), shown["crew"])
            await app.push_screen(ReportsScreen())
            await screens.settle()
            app.screen.query_one("#which", Input).value = scene
            app.screen.query_one("#which", Input).focus()
            await keys.press(pilot, "enter")
            screens.check(shown["title"], *names, shown["reason"], shown["approver"],
                          f"IC {shown['coordinator']} and AD {shown['crew']}")  # the escalation, ended by the lift
            await screens.visit(ExportForm(app.screen.report), f"Export: Scene {scene}")
            return screens
    finally:
        db.close()


@settings(max_examples=size("tui_examples"), deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({field: TYPED for field in RULES}),
       scene=st.from_regex(REF_PATTERN, fullmatch=True))
@example(values=ISSUE, scene="42")
def test_every_screen_shows_typed_text_as_typed(values, scene, tmp_path_factory, keys, cheap_kdf, figures):
    refused: list[str] = []
    shown = accepted(values, refused) | {"scene": scene}
    path = tmp_path_factory.mktemp("typed") / "kiosk.db"
    codes = build(path, shown)
    screens = asyncio.run(walk(path, shown, codes, keys))
    figures["examples"] = figures.get("examples", 0) + 1
    figures["values_shown"] = figures.get("values_shown", 0) + len(RULES) - len(refused)
    figures["refused_on_entry"] = figures.get("refused_on_entry", 0) + len(refused)
    figures["checks"] = figures.get("checks", 0) + screens.checks
    figures["screens"] = sorted(set(figures.get("screens", [])) | screens.screens)
