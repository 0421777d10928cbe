"""The door screen: the set state, the last verdict (with the person's photo), who is inside, the last scans,
and the AD's keys.

Laid out for 80x24 as much as for 120x40: the verdict panel keeps one height whatever it shows, the tables
give names what the columns that matter (time, answer, zone) leave, and the status line cuts the list of
people still to confirm the device policy before it would push the counts off the screen.

The photo of the person a verdict names shows beside it, in the verdict's colours, once it is read and scaled
(off the database thread): the answer never waits for it, and a new answer clears the last person's photo
at once, so nobody's face is ever shown beside someone else's answer.

With a hub or a backup folder, one more line says how they stand (``HubLine``): what the follower and the
backup keeper (``kiosk.tui.background``) report, with this kiosk's count of events not yet at the hub read
from the file at each refresh; events the hub brings are read into the lists through the same guarded load.
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Label, Static

from kiosk.core.door import SceneState, Zone
from kiosk.services import door, door_view, policy, scenes, sync
from kiosk.tui import photo
from kiosk.tui.background import hub_mood, hub_words
from kiosk.tui.photo import DoorPhoto
from kiosk.tui.widgets import Banner, Col, HubLine, KeyLegend, RowsPanel, StatusLine, VerdictPanel, local_time

if TYPE_CHECKING:
    from collections.abc import Callable

    from kiosk.tui.app import KioskApp, NotRecorded

VERDICT_SECONDS = 8  # then the panel says READY again, so nobody reads an old ADMIT as theirs
REFRESH_SECONDS = 3  # other kiosks may share the file: their scans and state changes show within this
HUB_REFRESH_SECONDS = 1.0  # events pulled from the hub are read into the lists at most this often
INSIDE_COLUMNS = (Col("Name", least=8), Col("Zone", width=8), Col("In", width=5))
RECENT_COLUMNS = (
    Col("Time", width=8),
    Col("Answer", width=6),
    Col("Name", share=3, least=8),
    Col("Why", share=2, least=6),
)


class DoorScreen(Screen):
    app: KioskApp

    BINDINGS = [
        Binding("r,R", "rolling", "Roll/Cut"),
        Binding("h,H", "hold", "Hold"),
        Binding("z,Z", "zone", "Zone"),
        Binding("c,C", "type_code", "Type code"),
        Binding("l,L", "lookup", "No badge"),
        Binding("e,E", "escalate", "Unlisted"),
        Binding("p,P", "policy", "Policy OK"),
        Binding("i,I", "rollcall", "Roll-call"),
        Binding("k,K", "checklist", "Ready?"),
        Binding("n,N", "no_ic", "No IC"),
        Binding("x,X", "lift", "Lift"),
        Binding("f9", "ic_mode", "IC mode"),
        Binding("f10", "supervisor", "Menu"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._verdict_timer: Timer | None = None
        self.view: door_view.DoorView | None = None
        self.on_panel: door.Verdict | None = None  # the answer the panel shows, None while it says READY
        self.answered = False  # the demo's notice shows on the READY panel until the first answer
        self.waiting: int | None = None  # this kiosk's events not at the hub yet, as the last read found
        self._hub_read: Timer | None = None  # a read of the lists due for what the hub sent
        self._hub_read_at = 0.0
        self._hub_mood = ""

    def compose(self) -> ComposeResult:
        yield Banner(id="banner")
        yield Static(id="failure", markup=False)
        yield Static(id="mismatch", markup=False)
        with Horizontal(id="answer"):
            yield VerdictPanel(id="verdict")
            yield DoorPhoto(id="photo")
        with Horizontal(id="lists"):
            with Vertical(id="inside-box"):
                yield Label("Inside now", id="inside-title", classes="title")
                yield RowsPanel(*INSIDE_COLUMNS, id="inside")
            with Vertical(id="recent-box"):
                yield Label("Last scans", classes="title")
                yield RowsPanel(*RECENT_COLUMNS, id="recent")
        yield StatusLine(id="status")
        yield HubLine(id="hub")
        yield KeyLegend(per_row=6)

    def on_mount(self) -> None:
        self.ready()
        self.query_one("#mismatch").display = False
        background = self.app.background
        self.query_one(HubLine).display = background.hub is not None or background.backups is not None
        self.watch(self.app, "hub_result", self.on_hub_result, init=False)
        self.watch(self.app, "backup_status", lambda _: self.show_hub(), init=False)
        self.watch(self.app, "failure", self.show_failure)
        self.watch(self.app, "answer", self.show_answer, init=False)
        self.watch(self.app, "scene_ref", lambda _: self.refresh_view(), init=False)
        self.watch(self.app, "zone", lambda _: self.refresh_view(), init=False)
        self.refresh_view()
        self.set_interval(REFRESH_SECONDS, self.refresh_view)
        if self.app.photos is not None:  # load the photo drawing now, while nobody waits, not at the first scan
            self.app.services.run(self, self.app.services.picture, photo.load_drawing, group="door-photo-load")

    # --- what the screen shows --------------------------------------------------------------------------

    def on_hub_result(self, result: sync.SyncResult | None) -> None:
        """A sync ended: read the lists again when it brought events or the hub's state changed (at most once a
        second, so a busy hub never keeps the door drawing), else only say how the hub stands."""
        mood = hub_mood(result)
        changed, self._hub_mood = mood != self._hub_mood, mood
        if result is not None and (result.pulled or changed):
            if self._hub_read is None:
                wait = max(0.01, self._hub_read_at + HUB_REFRESH_SECONDS - monotonic())
                self._hub_read = self.set_timer(wait, self._read_for_hub)
            return
        self.waiting = None  # the sync's own count is the newer one
        self.show_hub()

    def _read_for_hub(self) -> None:
        self._hub_read, self._hub_read_at = None, monotonic()
        self.refresh_view()

    def refresh_view(self) -> None:
        """Read the door's state again (after each answer, and every few seconds for other kiosks' scans).

        A failed read leaves the screen as it was, and says why.
        """
        self.app.services.run(self, self._load_view, group="door-view", exclusive=True)

    async def _load_view(self) -> None:
        view = await self.app.services.db(door_view.door_view, self.app.scene_ref)
        if self.app.background.hub is not None:
            self.waiting = (await self.app.services.db(sync.status, self.app.kiosk_id)).waiting
        self.view = view
        if view.scene is not None and self.app.scene_ref is None:  # the one closed set in force
            self.app.scene_ref = view.scene.ref
        self.query_one(Banner).show(view.production, view.scene, self.app.zone, view.missing)
        self.query_one("#inside-title", Label).update(
            f"Inside now: {view.people_inside} of {view.approved_people} approved" if view.scene else "Inside now"
        )
        self.query_one("#inside", RowsPanel).show([(row.name, row.zone, local_time(row.since)) for row in view.inside])
        self.query_one("#recent", RowsPanel).show(
            [
                (local_time(row.at, seconds=True), row.decision.upper(), row.name or row.read or "-", row.words)
                for row in view.recent
            ]
        )
        if self.on_panel is None:
            self.ready()
        self.show_status()
        self.show_hub()

    def ready(self) -> None:
        """The panel between answers: the door's state and what the AD does in it - or, while the last write
        failed (``app.failure``, kept until a write succeeds again), NOT RECORDED and why."""
        self.on_panel = None
        self.query_one(DoorPhoto).clear()
        if self.app.failure:
            self.query_one(VerdictPanel).show_failure(self.app.failure)
            return
        scene = self.view.scene if self.view is not None else None
        held_for_ic = scene is not None and scene.state == "hold" and scene.waiting_for_ic
        state = "none" if scene is None else "hold for the IC" if held_for_ic else scene.state
        if self.view is None and self.app.scene_ref is not None:
            state = "open"  # not read yet: the usual case, until the first read says otherwise
        self.query_one(VerdictPanel).ready(state, "" if self.answered else self.app.notice)

    def show_status(self) -> None:
        counts = self.view.checkins if self.view else None
        care = ""
        if counts and (counts.pending or counts.offered or counts.follow_up_open):
            care = (
                f"Check-ins pending: {counts.pending}, "
                + (f"offered: {counts.offered}, " if counts.offered else "")
                + f"follow-ups open: {counts.follow_up_open}   "
            )
        waiting = "   ".join(
            filter(
                None,
                (
                    door_view.protocol_words(self.view) if self.view else "",
                    door_view.policy_words(self.view.policy_due if self.view else []),
                ),
            )
        )
        self.query_one(StatusLine).show(waiting, f"{care}Door: {self.app.zone.upper()}   Kiosk: {self.app.kiosk_id}")

    def show_hub(self) -> None:
        """The hub line: "hub: synced 2 s ago", "hub: offline since 14:02 - 37 waiting"; the last backup."""
        background, result = self.app.background, self.app.hub_result
        if background.hub is None and background.backups is None:
            return
        hub = hub_words(result, self.waiting) if background.hub is not None else "hub: none"
        backup = self.app.backup_status
        backup_words = "" if background.backups is None else backup.line() if backup else "backup: starting"
        self.query_one(HubLine).show(
            hub,
            hub_mood(result) if background.hub is not None else "ok",
            backup_words,
            backup is None or backup.ok,
            backup.line(brief=True) if backup else "",
        )

    def show_failure(self, message: str | None) -> None:
        failure = self.query_one("#failure", Static)
        failure.display = bool(message)
        failure.update(f"NOT RECORDED - check the disk. {message}" if message else "")
        if message is None and self.on_panel is None:  # a write works again: the panel says READY
            self.ready()

    def show_answer(self, answer: door.Verdict | NotRecorded | None) -> None:
        """A scan's answer, once it is stored (or the news that it could not be)."""
        if answer is None:
            return
        if isinstance(answer, door.Verdict):
            self.show_verdict(answer)
            if answer.mismatch:  # stays until the kiosk restarts: the supervisor must look at the record
                mismatch = self.query_one("#mismatch", Static)
                mismatch.display = True
                mismatch.update(
                    f"RECORD MISMATCH ({', '.join(answer.mismatch)}): the database's tables differ from "
                    "its log. Call the supervisor to check the record; nobody is let in on what it "
                    "doubts."
                )
            if self.app.screen is not self:  # a dialog or setup screen covers the door: say it there too
                self.app.notify(
                    f"{answer.decision.upper()} {answer.name or 'unknown badge'}: {answer.words}",
                    title="Scan at the door",
                    severity="information" if answer.passes else "error",
                    timeout=VERDICT_SECONDS,
                )
            self.refresh_view()
        else:
            self.answered = True
            self.on_panel = None
            self.query_one(DoorPhoto).clear()
            self.query_one(VerdictPanel).show_failure(answer.message)
            self._restart_verdict_timer()

    def show_verdict(self, verdict: door.Verdict) -> None:
        self.answered = True
        self.on_panel = verdict
        self.query_one(VerdictPanel).show_verdict(verdict)
        self._restart_verdict_timer()
        self.query_one(DoorPhoto).show_for(verdict, lambda: self.on_panel)

    def _restart_verdict_timer(self) -> None:
        if self._verdict_timer is not None:
            self._verdict_timer.stop()
        self._verdict_timer = self.set_timer(VERDICT_SECONDS, self.ready)

    # --- the AD's keys ----------------------------------------------------------------------------------

    def _scene_state(self) -> str | None:
        if self.app.scene_ref is None or self.view is None or self.view.scene is None:
            self.notify("No scene at this door: the supervisor chooses one (F10).", severity="warning")
            return None
        return self.view.scene.state

    def _set_state(self, state: SceneState) -> None:
        async def change() -> None:
            await self.app.services.db(scenes.set_state, self.app.scene_ref, state, kiosk=self.app.kiosk_id)
            self.refresh_view()

        self.app.services.run(self, change)

    def action_rolling(self) -> None:
        """Red light on; pressed again, "cut": the door opens again."""
        state = self._scene_state()
        if state is not None:
            self._set_state(SceneState.OPEN if state == SceneState.ROLLING else SceneState.ROLLING)

    def action_hold(self) -> None:
        """A performer paused: one key, no reason asked; pressed again, the set resumes."""
        state = self._scene_state()
        if state is not None:
            self._set_state(SceneState.OPEN if state == SceneState.HOLD else SceneState.HOLD)

    def action_zone(self) -> None:
        """Switch the zone this door guards, once the AD confirms (Enter, or Z again): one stray key must not
        turn the set's door into the monitors' door."""
        from kiosk.tui.screens.confirm import Confirm

        other = Zone.MONITORS if self.app.zone is Zone.SET else Zone.SET
        where = "the monitors (video village)" if other is Zone.MONITORS else "the set itself"
        self.app.push_screen(
            Confirm(
                f"Switch this door to {other.upper()}?",
                f"Scans here will be checked against the list for {where}.",
                yes="switch",
                also="z,Z",
            ),
            lambda yes: setattr(self.app, "zone", other) if yes else None,
        )

    def action_type_code(self) -> None:
        from kiosk.tui.screens.dialogs import TypeCodeScreen

        self.app.push_screen(TypeCodeScreen(), lambda text: self.app.scan(text) if text else None)

    def action_lookup(self) -> None:
        self._find_person(escalate=False)

    def action_escalate(self) -> None:
        self._find_person(escalate=True)

    def _find_person(self, escalate: bool) -> None:
        from kiosk.tui.screens.dialogs import FindPersonScreen

        if self._scene_state() is not None:
            self.app.push_screen(FindPersonScreen(escalate), self._after_lookup)

    def _after_lookup(self, verdict: door.Verdict | None) -> None:
        if verdict is not None:
            self.show_verdict(verdict)
            self.refresh_view()

    def action_policy(self) -> None:
        """The AD confirms that the person on the panel acknowledged "no phones, no photos"; with nobody
        waiting on the panel, the AD picks whom from the list of those still to confirm."""
        from kiosk.tui.screens.dialogs import ChooseFromList

        due = self.view.policy_due if self.view else []
        if not due or self.app.scene_ref is None:
            self.notify("Nobody is waiting to confirm the device policy.")
            return
        shown = self.on_panel.person_ref if self.on_panel is not None else None
        if shown in {person.ref for person in due}:
            self._acknowledge(self.app.scene_ref, shown)
            return
        scene = self.app.scene_ref
        self.app.push_screen(
            ChooseFromList(
                "Who acknowledged no phones, no photos?",
                [(person.ref, f"{person.name} (in since {local_time(person.since)})") for person in due],
            ),
            lambda ref: self._acknowledge(scene, ref) if ref else None,
        )

    def _acknowledge(self, scene: str, ref: str) -> None:
        async def acknowledge() -> None:
            await self.app.services.db(
                policy.acknowledge_policy, scene, ref, by=f"AD at {self.app.kiosk_id}", kiosk=self.app.kiosk_id
            )
            name = next(
                (person.name for person in (self.view.policy_due if self.view else []) if person.ref == ref), ref
            )
            self.notify(f"{name}: no phones, no photos - acknowledged.")
            self.refresh_view()

        self.app.services.run(self, acknowledge)

    def action_checklist(self) -> None:
        """The set's checklist: confirm an item that is ready, or a performer's acknowledgement of the list."""
        from kiosk.tui.screens.readiness import ChecklistScreen

        self._open_for_scene(ChecklistScreen)

    def action_no_ic(self) -> None:
        """A performer's own choice to work without an IC, or its withdrawal: their own badge, scanned here."""
        from kiosk.tui.screens.no_ic import NoIcScreen

        self._open_for_scene(NoIcScreen)

    def _open_for_scene(self, screen: Callable[[str], Screen]) -> None:
        """A dialog about this door's scene; the door's lists are read again when it closes."""
        if self._scene_state() is not None and self.app.scene_ref is not None:
            self.app.push_screen(screen(self.app.scene_ref), lambda _: self.refresh_view())

    def action_rollcall(self) -> None:
        from kiosk.tui.screens.dialogs import RollCallScreen

        self.app.push_screen(RollCallScreen())

    def action_lift(self) -> None:
        from kiosk.tui.screens.dialogs import LiftScreen

        def lifted(done: bool | None) -> None:
            if done:
                if self._verdict_timer is not None:
                    self._verdict_timer.stop()
                self.on_panel = None  # the panel says the set is lifted, not the last ADMIT
                self.query_one(DoorPhoto).clear()
            self.refresh_view()

        if self._scene_state() is not None and self.app.scene_ref is not None:
            self.app.push_screen(LiftScreen(self.app.scene_ref), lifted)

    def action_ic_mode(self) -> None:
        """The intimacy coordinator's own screens, opened with the IC's passphrase (not the supervisor PIN)."""
        from kiosk.tui.screens.ic import ICScreen, ICUnlockScreen

        def unlocked(session) -> None:
            if session is not None:
                self.app.push_screen(ICScreen(session), lambda _: self.refresh_view())

        self.app.push_screen(ICUnlockScreen(), unlocked)

    def action_supervisor(self) -> None:
        from kiosk.tui.screens.menu import SupervisorMenu
        from kiosk.tui.screens.pin import PinScreen

        def opened(right: bool | None) -> None:
            if right:
                self.app.push_screen(SupervisorMenu(), lambda _: self.refresh_view())

        self.app.push_screen(PinScreen(), opened)
