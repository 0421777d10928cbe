"""Setup: the closed scenes and their approved lists (behind the supervisor PIN)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Input, Label, RadioButton, RadioSet, Static

from kiosk.services import scenes
from kiosk.services.scenes import ApprovedPerson, SceneSummary
from kiosk.tui.pickers import PersonPicker
from kiosk.tui.screens.form import Form, ListScreen
from kiosk.tui.widgets import Col, Table, local_time


class ScenesScreen(ListScreen[SceneSummary]):
    """The closed scenes; create one, open one's approved list."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("f2", "add", "New scene"),
        Binding("f3", "approvals", "Approved list"),
    ]
    COLUMNS = (
        Col("Ref", width=5),
        Col("Title", share=3),
        Col("Location", share=2),
        Col("Date", width=10),
        Col("State", width=7),
        Col("Coordinator", share=2),
        Col("Approved", width=8),
    )

    def compose(self) -> ComposeResult:
        yield Label("Scenes", id="heading", classes="title")
        yield Table(id="rows", cursor_type="row", zebra_stripes=True)
        yield Footer()

    async def fetch(self) -> list[SceneSummary]:
        return await self.app.services.db(scenes.list_scenes)

    def key(self, row: SceneSummary) -> str:
        return row.ref

    def cells(self, row: SceneSummary) -> tuple[str, ...]:
        return row.ref, row.title, row.location, row.date, row.state, row.coordinator or "-", str(row.approved)

    def shown(self) -> None:
        self.query_one("#heading", Label).update(
            f"Scenes: {len(self.rows)} (Enter: approved list)" if self.rows else "No scenes yet: F2 creates one."
        )

    def on_data_table_row_selected(self, event: Table.RowSelected) -> None:
        self.action_approvals()

    def action_add(self) -> None:
        self.app.push_screen(SceneForm(), self._added)

    def _added(self, ref: str | None) -> None:
        if ref:
            self.notify(f"Scene {ref} created (in draft until the supervisor opens it).")
            self.load(select=ref)

    def action_approvals(self) -> None:
        scene = self.current()
        if scene is None:
            self.notify("No scene yet: F2 creates one.")
            return
        self.app.push_screen(ApprovalsScreen(scene), lambda _: self.load())


class SceneForm(Form):
    """A new closed scene; its coordinator and performers are approved for both zones by the service."""

    BINDINGS = [Binding("f2", "save", "Create scene")]
    REFUSED = "Not created: "

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("New closed scene", classes="title")
            with Horizontal(classes="fields"):
                yield Input(placeholder="Ref, e.g. 42", id="ref")
                yield Input(placeholder="Title, e.g. Bedroom, night", id="title")
            with Horizontal(classes="fields"):
                yield Input(placeholder="Location, e.g. Stage 3", id="location")
                yield Input(placeholder="Date, e.g. 2026-11-23", id="date")
            yield Label("Intimacy coordinator (approved for both zones)")
            yield PersonPicker("Find the coordinator: name, ref or department", id="coordinator")
            yield Label("Performers (Enter on each to add or take off; approved for both zones)")
            yield PersonPicker("Find a performer: name, ref or department", multiple=True, id="performers")
            yield Static(id="message", classes="message", markup=False)
        yield Footer()

    def on_person_picker_chosen(self, event: PersonPicker.Chosen) -> None:
        if event.picker.id == "coordinator":
            self.query_one("#performers #search", Input).focus()

    async def save(self) -> None:
        ref = self.value("#ref")
        coordinator = self.query_one("#coordinator", PersonPicker).refs
        await self.app.services.db(
            scenes.add_scene,
            ref,
            self.value("#title"),
            self.app.kiosk_id,
            self.value("#location"),
            self.value("#date"),
            coordinator[0] if coordinator else None,
            self.query_one("#performers", PersonPicker).refs,
        )
        self.dismiss(ref)


class ApprovalsScreen(ListScreen[ApprovedPerson]):
    """One scene's approved list, per zone, with who approved: approve people, or remove an approval."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("f2", "approve", "Approve people"),
        Binding("delete,f8", "remove", "Remove approval"),
    ]
    COLUMNS = (
        Col("Name", share=3),
        Col("Ref", share=1, least=4),
        Col("Zone", width=8),
        Col("Approved by", share=2),
        Col("When", width=16),
        Col("Note", width=9),
    )

    def __init__(self, scene: SceneSummary) -> None:
        super().__init__()
        self.scene = scene

    def compose(self) -> ComposeResult:
        yield Label(f"Scene {self.scene.ref}: {self.scene.title}", id="heading", classes="title", markup=False)
        yield Table(id="rows", cursor_type="row", zebra_stripes=True)
        yield Footer()

    async def fetch(self) -> list[ApprovedPerson]:
        return await self.app.services.db(scenes.approved_list, self.scene.ref)

    def key(self, row: ApprovedPerson) -> str:
        return f"{row.ref}/{row.zone}"

    def cells(self, row: ApprovedPerson) -> tuple[str, ...]:
        return (
            row.name,
            row.ref,
            row.zone,
            row.approved_by,
            local_time(row.approved_at, date=True),
            "temporary" if row.temporary else "",
        )

    def shown(self) -> None:
        counts = {zone: sum(row.zone == zone for row in self.rows) for zone in ("set", "monitors")}
        temporary = (
            " (temporary: let in by an escalation at the door)" if any(row.temporary for row in self.rows) else ""
        )
        self.query_one("#heading", Label).update(
            f"Scene {self.scene.ref}: {self.scene.title} - approved for the set: {counts['set']}, "
            f"for the monitors: {counts['monitors']}{temporary}"
        )

    def action_approve(self) -> None:
        self.app.push_screen(ApproveForm(self.scene.ref), self._changed)

    def action_remove(self) -> None:
        approval = self.current()
        if approval is None:
            self.notify("Nobody is approved for this scene yet.")
            return
        self.app.push_screen(RemoveApprovalForm(self.scene.ref, approval), self._changed)

    def _changed(self, words: str | None) -> None:
        if words:
            self.notify(words)
            self.load()


class ApproveForm(Form):
    """Approve one or more people for the set, the monitors or both, saying who approves."""

    BINDINGS = [Binding("f2", "save", "Approve")]
    SUBMIT_FROM = "by"
    REFUSED = "Not approved: "

    def __init__(self, scene: str) -> None:
        super().__init__()
        self.scene = scene

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label(f"Approve people for scene {self.scene}", classes="title", markup=False)
            yield PersonPicker("Find people: name, ref or department (Enter on each to add)", multiple=True)
            with RadioSet(id="zone"):
                for zone in scenes.ZONE_CHOICES:
                    yield RadioButton(zone.capitalize(), value=zone == "set")
            yield Input(placeholder="Approved by (a name, for the record), then Enter", id="by")
            yield Static(id="message", classes="message", markup=False)
        yield Footer()

    async def save(self) -> None:
        people = self.query_one(PersonPicker).refs
        if not people:
            self.say("Choose someone first: type part of a name, Enter, then Enter on each person.")
            return
        zone = scenes.ZONE_CHOICES[self.query_one("#zone", RadioSet).pressed_index]
        approved = await self.app.services.db(
            scenes.approve, self.scene, people, self.value("#by"), self.app.kiosk_id, zone
        )
        self.dismiss(f"Approved for {zone}: {', '.join(person.name for person in approved)}.")


class RemoveApprovalForm(Form):
    """Take one person off one zone's list; the service keeps performers and the coordinator approved."""

    BINDINGS = [Binding("f2", "save", "Remove")]
    SUBMIT_FROM = "by"
    REFUSED = "Not removed: "

    def __init__(self, scene: str, approval: ApprovedPerson) -> None:
        super().__init__()
        self.scene, self.approval = scene, approval

    def compose(self) -> ComposeResult:
        approval = self.approval
        with Vertical(classes="dialog"):
            yield Label(
                f"Remove {approval.name} ({approval.ref}) from the {approval.zone} list of scene {self.scene}?",
                classes="title",
                markup=False,
            )
            yield Input(placeholder="Removed by (a name, for the record), then Enter", id="by")
            yield Static(id="message", classes="message", markup=False)
        yield Footer()

    async def save(self) -> None:
        approval = self.approval
        await self.app.services.db(
            scenes.unapprove, self.scene, (approval.ref,), self.value("#by"), self.app.kiosk_id, approval.zone
        )
        self.dismiss(f"{approval.name} is no longer approved for the {approval.zone} of scene {self.scene}.")
