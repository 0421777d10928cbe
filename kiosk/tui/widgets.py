"""The kiosk's widgets: the door's banner, verdict panel, status line and key legend, and the tables every
screen shows rows in.

Tables lay their columns out for the width they have: a column that matters (an answer, a time, a zone, a
status) keeps its width, and the columns of names and words share what is left, each cut with an ellipsis
when too long - one long name never pushes the others off the screen.  Text people typed is always shown as
typed, never read as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.table import Table as RichTable
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from kiosk.core.door import NOT_IN_FORCE, Reason
from kiosk.core.text import department_and_role
from kiosk.services.door import Verdict
from kiosk.services.door_view import SceneAtDoor

# Five-row block letters for the answers and the idle states; each word also comes with a symbol and the
# reason in words, so the answer never rests on colour alone (colour-blind ADs, monochrome consoles).
_LETTERS = {
    "A": (" ███ ", "█   █", "█████", "█   █", "█   █"),
    "D": ("████ ", "█   █", "█   █", "█   █", "████ "),
    "E": ("█████", "█    ", "████ ", "█    ", "█████"),
    "F": ("█████", "█    ", "████ ", "█    ", "█    "),
    "I": ("█████", "  █  ", "  █  ", "  █  ", "█████"),
    "L": ("█    ", "█    ", "█    ", "█    ", "█████"),
    "M": ("█   █", "██ ██", "█ █ █", "█   █", "█   █"),
    "N": ("█   █", "██  █", "█ █ █", "█  ██", "█   █"),
    "O": (" ███ ", "█   █", "█   █", "█   █", " ███ "),
    "P": ("████ ", "█   █", "████ ", "█    ", "█    "),
    "T": ("█████", "  █  ", "  █  ", "  █  ", "  █  "),
    "W": ("█   █", "█   █", "█ █ █", "██ ██", "█   █"),
    "X": ("█   █", " █ █ ", "  █  ", " █ █ ", "█   █"),
    "Y": ("█   █", " █ █ ", "  █  ", "  █  ", "  █  "),
    " ": ("  ", "  ", "  ", "  ", "  "),
}
SYMBOLS = {"admit": "✔", "exit": "➜", "wait": "✋", "deny": "✖"}
IDLE_WORDS = {Reason.LIFTED: "LIFTED", Reason.NOT_OPEN: "NOT OPEN"}  # a scan while the door is not in force

# What the door says while no answer is showing: the state, and what the AD does in it.
READY_WORDS = {
    "open": ("READY - scan a badge", "Not on the list: E.  No badge with them: L."),
    "rolling": ("ROLLING - red light: nobody walks in or out", "Scans are answered WAIT.  At cut, press R."),
    "hold": ("HOLD - nobody new comes in; people may leave", "When the performers are ready again, press H."),
    "hold for the IC": (
        "HOLD until the IC is here - nobody new comes in; people may leave",
        "The IC's badge at the set door (Z: this door to SET), then H reopens.",  # fits 80 columns
    ),
    "lifted": (
        "CLOSED SET LIFTED - this door is not checking badges",
        "Check-ins: the IC, F9.  The next closed set: the supervisor chooses it (F10).",
    ),
    "draft": (
        "NOT IN FORCE YET - nobody is admitted on a badge",
        "The supervisor opens the closed set: F10, Choose the scene, O.",
    ),
    "none": ("NO SCENE AT THIS DOOR - scans are not recorded", "The supervisor chooses the scene: F10."),
}


def big_word(word: str) -> str:
    """``word`` (letters of ADMIT, EXIT, WAIT, DENY, LIFTED, NOT OPEN) in five rows of block letters."""
    return "\n".join("  ".join(_LETTERS[letter][row] for letter in word.upper()) for row in range(5))


def local_time(iso: str | None, seconds: bool = False, date: bool = False) -> str:
    """A stored UTC time as the wall-clock time of this kiosk, with the date before it when ``date``."""
    if not iso:
        return ""
    return (
        datetime.fromisoformat(iso)
        .astimezone()
        .strftime(("%Y-%m-%d " if date else "") + ("%H:%M:%S" if seconds else "%H:%M"))
    )


def left_and_right(left: Text, right: Text) -> RichTable:
    """One line: ``left`` cut to fit, ``right`` always whole at the right edge."""
    grid = RichTable.grid(expand=True, padding=(0, 2))
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(no_wrap=True, justify="right")
    grid.add_row(left, right)
    return grid


class VerdictPanel(Static):
    """The last answer at the door: ADMIT (green), EXIT (blue), WAIT (amber), DENY (red), a failure, or what
    the door is ready for; the same height whatever it shows, so the lists below never jump."""

    def ready(self, state: str = "open", note: str = "") -> None:
        """Nothing to answer: the door's state (``READY_WORDS``) and what to do in it."""
        title, advice = READY_WORDS[state]
        self.set_classes("ready" if state == "open" else "idle")
        self.update(Text.assemble((title, "bold"), "\n", advice, *(("\n", note) if note else ())))

    def show_verdict(self, verdict: Verdict) -> None:
        doing = department_and_role(verdict.department, verdict.role)
        who = (f"{verdict.name} - {doing}" if doing else verdict.name) if verdict.name else "Unknown badge"
        if verdict.reason in NOT_IN_FORCE:  # not a refusal at a closed set: the door is not guarding one
            self.set_classes("idle")
            self.update(
                Text.assemble(
                    (big_word(IDLE_WORDS[Reason(verdict.reason)]), "bold"),
                    "\n",
                    "No badge check: ",
                    (who, "bold"),
                    "\n",
                    verdict.words,
                    no_wrap=True,
                    overflow="ellipsis",
                )
            )
            return
        self.set_classes(verdict.decision)
        notes = [
            note
            for note, present in (
                ("Same badge again - already recorded", verdict.duplicate),
                ("Scan already recorded", verdict.replay),
                (f"Scanner keyboard layout is wrong ({verdict.layout}) - code recognised", verdict.layout),
                ("FIRST ENTRY - confirm no phones, no photos: press P", verdict.first_entry),
            )
            if present
        ]
        self.update(
            Text.assemble(  # one line each, cut with an ellipsis: a long name never hides the reason
                (big_word(verdict.decision), "bold"),
                "\n",
                (f"{SYMBOLS[verdict.decision]} {verdict.decision.upper()}  ", "bold"),
                (who, "bold"),
                "\n",
                verdict.words,
                *(part for note in notes[:1] for part in ("\n", (note, "bold"))),
                no_wrap=True,
                overflow="ellipsis",
            )
        )

    def show_failure(self, message: str) -> None:
        """The scan was not recorded: the AD must not let anyone in on it."""
        self.set_classes("failed")
        self.update(Text.assemble(("✖ NOT RECORDED - do not admit on this scan\n", "bold"), message))


class Banner(Static):
    """Production, scene and location, the set state in words and colour, and the zone this door guards."""

    STATE_WORDS = {
        "draft": "NOT OPEN - the closed set is not in force yet",
        "open": "OPEN - closed set in force",
        "rolling": "ROLLING - red light: nobody enters",
        "hold": "HOLD - nobody new comes in",
        "lifted": "LIFTED - closed set lifted",
    }

    def show(self, production: str, scene: SceneAtDoor | None, zone: str, missing: str | None = None) -> None:
        door = Text.assemble("Door: ", (zone.upper(), "bold reverse"))
        if scene is None:
            self.set_classes("draft")
            lost = f"scene {missing} is not in this production" if missing else "no scene chosen"
            grid = left_and_right(Text(production, style="bold"), door)
            grid.add_row(Text(f"{lost.capitalize()}: the supervisor chooses one (F10)", style="bold"), Text())
            self.update(grid)
            return
        self.set_classes(scene.state)
        place = f"  ·  {scene.location}" if scene.location else ""
        grid = left_and_right(
            Text.assemble((production, "bold"), f'  ·  Scene {scene.ref} "{scene.title}"{place}'), door
        )
        grid.add_row(Text(self.STATE_WORDS[scene.state], style="bold"), Text())
        self.update(grid)


class StatusLine(Static):
    """The line above the keys: what is waiting for the AD on the left (cut to fit), the counts on the right."""

    def show(self, waiting: str, counts: str) -> None:
        self.update(left_and_right(Text(waiting, style="bold"), Text(counts)))


class HubLine(Static):
    """The line under the status line: how the hub stands (left, cut to fit) and the last automatic backup
    (right, whole; ``brief`` when both would not fit), coloured when the hub is out of reach (amber) or refused
    this kiosk (red)."""

    def show(self, hub: str, mood: str, backup: str, backup_ok: bool = True, brief: str = "") -> None:
        self.set_classes(mood)
        if brief and len(hub) + 2 + len(backup) > self.content_size.width:
            backup = brief
        self.update(
            left_and_right(
                Text(hub, style="bold" if mood != "ok" else ""), Text(backup, style="" if backup_ok else "bold reverse")
            )
        )


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
        cells = [
            Text.assemble((f"{binding.key.split(',')[0]} ", "bold reverse"), binding.description) for binding in shown
        ]
        for start in range(0, len(cells), self.per_row):
            grid.add_row(*cells[start : start + self.per_row])
        self.update(grid)


# --- tables -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """A table column: a fixed ``width`` (cells), or with ``width`` 0 a ``share`` of what the fixed ones leave
    (never under ``least``); a ``wrap`` column's long text takes more lines instead of an ellipsis."""

    title: str
    width: int = 0
    share: int = 1
    least: int = 6
    wrap: bool = False


def fit_widths(columns: tuple[Col, ...], room: int) -> list[int]:
    """Each column's width in ``room`` cells (gaps not included): fixed ones as asked, the rest shared."""
    spare = max(0, room - sum(column.width for column in columns))
    shares = sum(column.share for column in columns if not column.width) or 1
    widths = [column.width or max(column.least, spare * column.share // shares) for column in columns]
    flexible = [index for index, column in enumerate(columns) if not column.width]
    if flexible and sum(widths) < room:
        widths[flexible[0]] += room - sum(widths)  # the rounding's leftovers go to the first shared column
    return widths


def _cell(value: object, wrap: bool) -> object:
    if isinstance(value, Text):
        return value
    return Text(str(value)) if wrap else Text(str(value), no_wrap=True, overflow="ellipsis")


class RowsPanel(Widget):
    """A display-only table (who is inside, the last scans): lines of text laid out for its own width."""

    DEFAULT_CSS = "RowsPanel { height: 1fr; }"

    def __init__(self, *columns: Col, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = columns
        self.rows: list[tuple[str, ...]] = []

    def show(self, rows: list[tuple[str, ...]]) -> None:
        self.rows = rows
        self.refresh()

    def render(self) -> Text:
        widths = fit_widths(self.columns, max(1, self.size.width - 2) - (len(self.columns) - 1))
        lines = [self._line([column.title for column in self.columns], widths, "bold")]
        for index, row in enumerate(self.rows):
            lines.append(self._line(row, widths, "on #1c1c1c" if index % 2 else ""))
        return Text("\n").join(lines)

    @staticmethod
    def _line(cells, widths: list[int], style: str) -> Text:
        line = Text(" ")
        for cell, width in zip(cells, widths):
            text = Text(str(cell))  # what people typed, shown as typed: never markup
            text.truncate(width, overflow="ellipsis", pad=True)
            line.append_text(text)
            line.append(" ")
        line.stylize(style)
        return line


class Table(DataTable):
    """A DataTable laid out for its width (``set_columns``), showing text exactly as it is: a name like
    ``Eve [/]`` is a name, not markup.

    It keeps the rows it was given, so that when its width changes it lays them out again.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.specs: tuple[Col, ...] = ()
        self._given: list[tuple[tuple[object, ...], str | None]] = []
        self._laid_for = -1

    def set_columns(self, *columns: Col | str) -> None:
        self.specs = tuple(Col(column) if isinstance(column, str) else column for column in columns)
        self._lay_out(self._room())

    @property
    def wraps(self) -> bool:
        return any(column.wrap for column in self.specs)

    def add_row(self, *cells: object, key: str | None = None, **options) -> object:  # type: ignore[override]
        self._given.append((cells, key))
        return self._add(cells, key)

    def _add(self, cells: tuple[object, ...], key: str | None) -> object:
        wraps = [column.wrap for column in self.specs] or [False] * len(cells)
        return super().add_row(
            *(_cell(cell, wrap) for cell, wrap in zip(cells, wraps)), key=key, height=None if self.wraps else 1
        )

    def clear(self, columns: bool = False) -> Table:
        self._given = []
        return super().clear(columns)

    def _room(self) -> int:
        parent = self.parent
        width = self.size.width or (parent.size.width if isinstance(parent, Widget) else 0) or self.app.size.width
        return width - self.styles.scrollbar_size_vertical - 2 * self.cell_padding * len(self.specs)

    def _lay_out(self, room: int) -> None:
        self._laid_for = room
        row = self.cursor_row
        given = self._given
        super().clear(columns=True)
        for index, (column, width) in enumerate(zip(self.specs, fit_widths(self.specs, room))):
            self.add_column(column.title, width=width, key=str(index))
        for cells, key in given:
            self._add(cells, key)
        self._given = given
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))

    def on_resize(self, event: events.Resize) -> None:
        if self.specs and self._room() != self._laid_for:
            self._lay_out(self._room())

    def texts(self, row: int | str) -> list[str]:
        """The cells of a row (its index, or its key) as plain text."""
        index = self.get_row_index(row) if isinstance(row, str) else row
        return [str(cell) for cell in self.get_row_at(index)]
