"""The door screen's own widgets: the banner, and the verdict big enough to read from a step away."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Footer, Static

from kiosk.services.door import Verdict

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

    def show(self, production: str, scene: dict | None, zone: str) -> None:
        if scene is None:
            self.set_classes("draft")
            self.update(Text.assemble((production, "bold"), "  -  no scene chosen: supervisor (F10) > Choose scene"))
            return
        self.set_classes(scene["state"])
        place = f"  ·  {scene['location']}" if scene["location"] else ""
        self.update(Text.assemble(
            (production, "bold"), f"  ·  Scene {scene['ref']} \"{scene['title']}\"{place}  ·  Zone: ",
            (zone.upper(), "bold reverse"), "\n", (self.STATE_WORDS[scene["state"]], "bold")))


class KeyRows(Footer):
    """The footer, its keys in rows of ``per_row`` so that every key shows at 80 columns."""

    DEFAULT_CSS = "KeyRows { layout: grid; height: auto; }"

    def __init__(self, per_row: int = 5) -> None:
        super().__init__()
        self.per_row = per_row

    def compose(self) -> ComposeResult:
        yield from super().compose()
        self.styles.grid_size_columns = self.per_row  # Footer puts every key in one row
