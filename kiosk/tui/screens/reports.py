"""Reports for the production office (behind the supervisor PIN): a scene or a day, its headcount over time
and timeline in the terminal, exported as PDF, CSV or JSON.  Door records only, never wellbeing content."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Checkbox,
    Footer,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Sparkline,
    Static,
)

from kiosk.core.report import Report, SceneReport, bucket_peaks
from kiosk.files import private_folder
from kiosk.services import reports
from kiosk.tui.screens.form import Form
from kiosk.tui.widgets import Col, Table

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp

CHART_BARS = 60
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def headcount_bars(scene: SceneReport, bars: int = CHART_BARS) -> list[int]:
    """The scene's headcount over its recorded span, as the highest count in each of ``bars`` slices."""
    if not scene.headcount:
        return [0] * bars
    start = scene.headcount[0][0]
    series = [((at - start).total_seconds(), count) for at, count in scene.headcount]
    return bucket_peaks(series, 0.0, max(series[-1][0], 60.0), bars)


class ReportsScreen(Screen[None]):
    app: KioskApp
    GUARDED = True
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("f2", "export", "Export"),
        Binding("f5", "choose", "Scene or day"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        yield Label("Reports: door records only, never what was said at a check-in", classes="title")
        yield Input(placeholder="Scene ref, or a day as YYYY-MM-DD; then Enter", id="which")
        with VerticalScroll(id="charts"):
            yield Static("Choose a scene or a day.", id="summary")
        yield Table(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Table).set_columns(
            Col("Time", width=14),
            Col("Scene", width=5),
            Col("What", share=3),
            Col("Name", share=2),
            Col("Zone", width=8),
        )

    def action_choose(self) -> None:
        self.query_one("#which", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.app.services.run(self, self._choose, event.value.strip(), group="report", exclusive=True)

    async def _choose(self, which: str) -> None:
        self.report = await self.app.services.read(
            reports.day_report if DAY.match(which) else reports.scene_report, which
        )
        await self.show(self.report)

    async def show(self, report: Report) -> None:
        charts = self.query_one("#charts", VerticalScroll)
        await charts.remove_children()
        parts: list[Widget] = [
            Static(report.title, classes="title", markup=False),
            Static(report.audit.words, markup=False),
        ]
        if not report.scenes:
            parts.append(Static("No door activity."))
        for scene in report.scenes:
            figures = ", ".join(f"{label.lower()} {count}" for label, count in scene.summary())
            parts += [
                Static(f"Scene {scene.ref} {scene.title}: {figures}", markup=False),
                Sparkline(headcount_bars(scene), summary_function=max),
            ]
        await charts.mount_all(parts)
        table = self.query_one(Table)
        table.clear()
        for scene in report.scenes:
            for event in scene.events:
                table.add_row(
                    event.at.strftime("%m-%d %H:%M:%S"),
                    scene.ref,
                    event.words,
                    event.name or event.raw or "",
                    event.zone or "",
                )
        table.focus()

    def action_export(self) -> None:
        if self.report is None:
            self.notify("Choose a scene or a day first (F5).", severity="warning")
            return
        self.app.push_screen(ExportForm(self.report))


class ExportForm(Form):
    """Where and how to export the report on screen: PDF (A4 or Letter), CSV (optionally for Excel), JSON."""

    SUBMIT_FROM = "path"

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", self.report.title).strip("-").lower() or "report"
        with Vertical(classes="dialog"):
            yield Label(f"Export: {self.report.title}", classes="title")
            with RadioSet(id="format"):
                for fmt in ("pdf", "csv", "json"):
                    yield RadioButton(fmt.upper(), value=fmt == "pdf", id=fmt)
            with RadioSet(id="paper"):
                yield RadioButton("A4", value=True, id="a4")
                yield RadioButton("Letter", id="letter")
            yield Checkbox("CSV for Excel (with a byte-order mark)", id="bom")
            yield Input(
                str(self.app.store.path.parent / "reports" / name), id="path", placeholder="File, without the extension"
            )
            yield Static("F2: export    Escape: cancel")
            yield Static(id="message", classes="message", markup=False)

    def _format(self) -> str:
        return next(str(button.id) for button in self.query_one("#format").query(RadioButton) if button.value)

    def _path(self) -> Path:
        return Path(self.value("#path")).expanduser().with_suffix(f".{self._format()}")

    def action_save(self) -> None:
        """Export; a file already there is replaced only once the supervisor says so."""
        from kiosk.tui.screens.confirm import Confirm

        path = self._path()
        if not path.exists():
            super().action_save()
            return

        def answered(replace: bool | None) -> None:
            if replace:
                Form.action_save(self)
            else:
                self.say("Not exported: choose another name, or F2 again to replace it.")

        self.app.push_screen(Confirm(f"{path.name} exists already. Replace it?", str(path), yes="replace it"), answered)

    async def save(self) -> None:
        from kiosk.reports import render

        fmt, path = self._format(), self._path()
        paper = next(str(button.id) for button in self.query_one("#paper").query(RadioButton) if button.value)
        try:
            private_folder(path.parent)  # a report names people: a folder made for it is 0700
        except OSError as error:
            self.say(f"Cannot write there: {error.strerror}.")
            return
        self.say("Exporting...")
        written = await self.app.services.draw(
            render, self.report, path, fmt, paper=paper, bom=fmt == "csv" and self.query_one(Checkbox).value
        )
        self.notify(f"Report written to {written}.")
        self.dismiss(None)
