"""The door screen: the set state, the last verdict, who is inside, the last scans, and the AD's keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Label, Static

from kiosk.core.door import SceneState, Zone
from kiosk.services import door, scenes
from kiosk.tui.app import KioskApp, Refused
from kiosk.tui.widgets import Banner, KeyLegend, RowsPanel, VerdictPanel, local_time

VERDICT_SECONDS = 8  # then the panel says READY again, so nobody reads an old ADMIT as theirs
REFRESH_SECONDS = 3  # other kiosks may share the file: their scans and state changes show within this


class DoorScreen(Screen):
    app: KioskApp

    BINDINGS = [
        Binding("r,R", "rolling", "Roll/Cut"),
        Binding("h,H", "hold", "Hold"),
        Binding("z,Z", "zone", "Zone"),
        Binding("c,C", "type_code", "Type code"),
        Binding("l,L", "lookup", "Lookup"),
        Binding("e,E", "escalate", "Unlisted"),
        Binding("p,P", "policy", "Policy OK"),
        Binding("i,I", "rollcall", "Roll-call"),
        Binding("x,X", "lift", "Lift"),
        Binding("f9", "ic_mode", "IC mode"),
        Binding("f10", "supervisor", "Menu"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.policy_due: list[tuple[str, str, str]] = []  # (scene, person ref, name) awaiting the AD's P
        self._verdict_timer: Timer | None = None
        self.view: door.DoorView | None = None

    def compose(self) -> ComposeResult:
        yield Banner(id="banner")
        yield Static(id="failure")
        yield VerdictPanel(id="verdict")
        with Horizontal(id="lists"):
            with Vertical():
                yield Label("Inside now", id="inside-title", classes="title")
                yield RowsPanel("Name", "Zone", "In since", id="inside")
            with Vertical():
                yield Label("Last scans", classes="title")
                yield RowsPanel("Time", "Answer", "Name", "Why", id="recent")
        yield Static(id="status")
        yield KeyLegend(per_row=6)

    async def on_mount(self) -> None:
        self.query_one(VerdictPanel).ready()
        self.set_failure(None)
        await self.refresh_view()
        self.set_interval(REFRESH_SECONDS, self.refresh_view)

    # --- what the screen shows --------------------------------------------------------------------------

    async def refresh_view(self) -> None:
        """Read the door's state again (after each answer, and every few seconds for other kiosks' scans).

        A failed read leaves the screen as it was; ``KioskApp.call`` has already said why.
        """
        banner = self.query_one(Banner)
        try:
            if self.app.scene_ref is None:  # the one closed set in force, if exactly one is
                active = await self.app.call(scenes.active_scenes)
                self.app.scene_ref = active[0]["ref"] if len(active) == 1 else None
            if self.app.scene_ref is None:
                banner.show(await self.app.call(_production_name), None, self.app.zone)
                return
            self.view = view = await self.app.call(door.door_view, self.app.scene_ref)
        except Refused:
            return
        banner.show(view.production, view.scene, self.app.zone)
        self.query_one("#inside-title", Label).update(
            f"Inside now: {len({row['person_id'] for row in view.inside})} of {view.approved_people} approved")
        self.query_one("#inside", RowsPanel).show(
            [(row["name"], row["zone"], local_time(row["since"])) for row in view.inside])
        self.query_one("#recent", RowsPanel).show(
            [(local_time(row["at"], seconds=True), row["decision"].upper(), row["person_name"] or "-", row["words"])
             for row in view.recent])
        self.show_status()

    def show_status(self) -> None:
        due = f"Policy to confirm (P): {', '.join(name for _, _, name in self.policy_due)}   " \
            if self.policy_due else ""
        counts = self.view.checkins if self.view else None
        care = (f"Check-ins pending: {counts['pending']}, follow-ups open: {counts['follow_up_open']}   "
                if counts and (counts["pending"] or counts["follow_up_open"]) else "")
        self.query_one("#status", Static).update(
            f"{due}{care}Door: {self.app.zone.upper()}   Kiosk: {self.app.kiosk_id}")

    def set_failure(self, message: str | None) -> None:
        failure = self.query_one("#failure", Static)
        failure.display = bool(message)
        failure.update(f"NOT RECORDED - check the disk. {message}" if message else "")

    def show_verdict(self, verdict: door.Verdict) -> None:
        self.query_one(VerdictPanel).show_verdict(verdict)
        if verdict.first_entry and verdict.person_ref:
            self.policy_due.append((verdict.scene, verdict.person_ref, verdict.name or verdict.person_ref))
        self._restart_verdict_timer()

    def _restart_verdict_timer(self) -> None:
        if self._verdict_timer is not None:
            self._verdict_timer.stop()
        self._verdict_timer = self.set_timer(VERDICT_SECONDS, self.query_one(VerdictPanel).ready)

    async def record_scan(self, text: str, scene: str, zone: Zone) -> None:
        """Scan into the log, then show the verdict: only a stored verdict is ever shown."""
        try:
            verdict = await self.app.call(door.scan, scene, text, zone, kiosk=self.app.kiosk_id)
        except Refused as refused:
            self.query_one(VerdictPanel).show_failure(str(refused))
            self._restart_verdict_timer()
            return
        self.show_verdict(verdict)
        if self.app.screen is not self:  # a dialog or setup screen covers the door: say it there too
            self.app.notify(f"{verdict.decision.upper()} {verdict.name or 'unknown badge'}: {verdict.words}",
                            title="Scan at the door", severity="information" if verdict.passes else "error",
                            timeout=VERDICT_SECONDS)
        await self.refresh_view()

    # --- the AD's keys ----------------------------------------------------------------------------------

    def _scene_state(self) -> str | None:
        if self.app.scene_ref is None or self.view is None:
            self.notify("No closed scene chosen: the supervisor chooses one (F10).", severity="warning")
            return None
        return self.view.scene["state"]

    async def _set_state(self, state: SceneState) -> None:
        try:
            await self.app.door_call(scenes.set_state, state)
        except Refused:
            return
        await self.refresh_view()

    async def action_rolling(self) -> None:
        """Red light on; pressed again, "cut": the door opens again."""
        state = self._scene_state()
        if state is not None:
            await self._set_state(SceneState.OPEN if state == SceneState.ROLLING else SceneState.ROLLING)

    async def action_hold(self) -> None:
        """A performer paused: one key, no reason asked; pressed again, the set resumes."""
        state = self._scene_state()
        if state is not None:
            await self._set_state(SceneState.OPEN if state == SceneState.HOLD else SceneState.HOLD)

    async def action_zone(self) -> None:
        self.app.zone = Zone.MONITORS if self.app.zone is Zone.SET else Zone.SET
        await self.refresh_view()

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
            self.app.push_screen(FindPersonScreen(escalate), lambda verdict: verdict and self._after(verdict))

    async def _after(self, verdict: door.Verdict) -> None:
        self.show_verdict(verdict)
        await self.refresh_view()

    async def action_policy(self) -> None:
        """The AD confirms that the person at the door acknowledged "no phones, no photos"."""
        if not self.policy_due:
            self.notify("Nobody is waiting to confirm the device policy.")
            return
        scene, ref, name = self.policy_due[0]
        try:
            await self.app.call(door.acknowledge_policy, scene, ref, by=f"AD at {self.app.kiosk_id}",
                                kiosk=self.app.kiosk_id)
        except Refused:
            return
        self.policy_due.pop(0)
        self.notify(f"{name}: no phones, no photos - acknowledged.")
        self.show_status()

    def action_rollcall(self) -> None:
        from kiosk.tui.screens.dialogs import RollCallScreen

        self.app.push_screen(RollCallScreen())

    def action_lift(self) -> None:
        from kiosk.tui.screens.dialogs import LiftScreen

        if self._scene_state() is not None:
            self.app.push_screen(LiftScreen(self.app.scene_ref), lambda _: self.refresh_view())

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


def _production_name(db) -> str:
    from kiosk.services.production import get_production

    return get_production(db)["name"]
