"""The door screen's own widgets: the banner, and the verdict big enough to read from a step away."""

from __future__ import annotations

from rich.table import Table as RichTable
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kiosk.services.door import SceneAtDoor, Verdict

# Five-row block letters for the four answers; each word also comes with a symbol and the reason in words,
# so the answer never rests on colour alone (colour-blind ADs, monochrome consoles).
_LETTERS = {
    "A": (" ███ ", "█   █", "█████", "█   █", "█   █"),
    "D": ("████ ", "█   █", "█   █", "█   █", "████ "),
    "E": ("█████", "█    ", "████ ", "█    ", "█████"),
    "I": ("█████", "  █  ", "  █  ", "  █  ", "█████"),
    "M": ("█   █", "██ ██", "█ █ █", "█   █", "█   █"),
    "N": ("█   █", "██  █", "█ █ █", "█  ██", "█   █"),
    "T": ("█████", "  █  ", "  █  ", "  █  ", "  █  "),
    "W": ("█   █", "█   █", "█ █ █", "██ ██", "█   █"),
    "X": ("█   █", " █ █ ", "  █  ", " █ █ ", "█   █"),
    "Y": ("█   █", " █ █ ", "  █  ", "  █  ", "  █  "),
}
SYMBOLS = {"admit": "✔", "exit": "➜", "wait": "✋", "deny": "✖"}


def big_word(word: str) -> str:
    """``word`` (letters of ADMIT, EXIT, WAIT, DENY) in five rows of block letters."""
    return "\n".join("  ".join(_LETTERS[letter][row] for letter in word.upper()) for row in range(5))


def local_time(iso: str | None, seconds: bool = False, date: bool = False) -> str:
    """A stored UTC time as the wall-clock time of this kiosk, with the date before it when ``date``."""
    from datetime import datetime

    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone().strftime(
        ("%Y-%m-%d " if date else "") + ("%H:%M:%S" if seconds else "%H:%M"))


class VerdictPanel(Static):
    """The last answer at the door: ADMIT (green), EXIT (blue), WAIT (amber), DENY (red), or a failure."""

    def ready(self, note: str = "") -> None:
        self.set_classes("ready")
        self.update(Text.assemble(("READY - scan a badge\n", "bold"), note))

    def show_verdict(self, verdict: Verdict) -> None:
        self.set_classes(verdict.decision)
        who = (f"{verdict.name} - {verdict.department}, {verdict.role}" if verdict.name
               else "Unknown badge")
        notes = [note for note, present in (
            ("Same badge again - already recorded", verdict.duplicate),
            ("Scan already recorded", verdict.replay),
            (f"Scanner keyboard layout is wrong ({verdict.layout}) - code recognised", verdict.layout),
            ("FIRST ENTRY - confirm no phones, no photos: press P", verdict.first_entry),
        ) if present]
        self.update(Text.assemble(
            (big_word(verdict.decision), "bold"), "\n\n",
            (f"{SYMBOLS[verdict.decision]} {verdict.decision.upper()}  ", "bold"), (who, "bold"), "\n",
            verdict.words, *(part for note in notes for part in ("\n", (note, "bold")))))

    def show_failure(self, message: str) -> None:
        """The scan was not recorded: the AD must not let anyone in on it."""
        self.set_classes("failed")
        self.update(Text.assemble(("✖ NOT RECORDED - do not admit on this scan\n", "bold"), message))


class Banner(Static):
    """Production, scene, location, zone and the set state in words and colour."""

    STATE_WORDS = {
        "draft": "NOT OPEN - the closed set is not in force yet",
        "open": "OPEN - closed set in force",
        "rolling": "ROLLING - red light: nobody enters",
        "hold": "HOLD - nobody new comes in",
        "lifted": "LIFTED - closed set lifted",
    }

    def show(self, production: str, scene: SceneAtDoor | None, zone: str) -> None:
        if scene is None:
            self.set_classes("draft")
            self.update(Text.assemble((production, "bold"), "  -  no scene chosen: supervisor (F10) > Choose scene"))
            return
        self.set_classes(scene.state)
        place = f"  ·  {scene.location}" if scene.location else ""
        self.update(Text.assemble(
            (production, "bold"), f"  ·  Scene {scene.ref} \"{scene.title}\"{place}  ·  Zone: ",
            (zone.upper(), "bold reverse"), "\n", (self.STATE_WORDS[scene.state], "bold")))


class KeyLegend(Static):
    """The door's keys at the foot of the screen, from the screen's own ``BINDINGS``, in rows of ``per_row``.

    One plain widget instead of Textual's Footer (a widget per key): the door screen starts markedly faster,
    and every key still shows at 80 columns.
    """

    def __init__(self, per_row: int = 6) -> None:
        super().__init__()
        self.per_row = per_row

    def on_mount(self) -> None:
        shown = [binding for binding in self.screen.BINDINGS if isinstance(binding, Binding) and binding.show]
        grid = RichTable.grid(padding=(0, 2))
        cells = [Text.assemble((f"{binding.key.split(',')[0]} ", "bold reverse"), binding.description)
                 for binding in shown]
        for start in range(0, len(cells), self.per_row):
            grid.add_row(*cells[start:start + self.per_row])
        self.update(grid)


class RowsPanel(Static):
    """A display-only table (who is inside, the last scans): one Rich table, cheap to show and refresh."""

    def __init__(self, *columns: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = columns
        self.rows: list[tuple[str, ...]] = []

    def show(self, rows: list[tuple[str, ...]]) -> None:
        self.rows = rows
        table = RichTable(box=None, padding=(0, 1), header_style="bold", expand=True, row_styles=["", "on #1c1c1c"])
        for column in self.columns:  # one line a row, however narrow the screen: the last column gives way
            table.add_column(column, no_wrap=True, overflow="ellipsis",
                             ratio=1 if column == self.columns[-1] else None)
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))  # what people typed is shown as typed, never as markup
        self.update(table)


class Table(DataTable):
    """A DataTable that shows text exactly as it is: a name like ``Eve [/]`` is a name, not markup."""

    def add_row(self, *cells: object, **options) -> object:  # type: ignore[override]
        return super().add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in cells), **options)

    def texts(self, row: int | str) -> list[str]:
        """The cells of a row (its index, or its key) as plain text."""
        index = self.get_row_index(row) if isinstance(row, str) else row
        return [str(cell) for cell in self.get_row_at(index)]
