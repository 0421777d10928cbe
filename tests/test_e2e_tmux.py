"""End to end in a real terminal: the `kiosk` console script in tmux, badge codes typed as a scanner types them.

tmux `send-keys` delivers a whole code in one write, as a USB scanner's burst arrives; `capture-pane` reads
what the AD would see; the database says what was stored.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from kiosk import DATA
from kiosk.services import access, badges
from kiosk.store import connect
from kiosk.store.queries import many
from tests.support import SIZES
from tests.tmux import KIOSK_COMMAND, Terminal, run_cli

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")]

PIN = "246810"
PASSPHRASE = "violet harbour lantern"


@pytest.fixture
def terminal(production):
    env, _ = production
    opened = Terminal([KIOSK_COMMAND, "run", "--scene", "42"], env)
    yield opened
    opened.close()


def read(env, sql: str, params: list | tuple = ()) -> list[dict]:
    """Rows of the production's file, as the tests check what was stored."""
    db = connect(env["KIOSK_DB"])
    try:
        return many(db, sql, params)
    finally:
        db.close()


def stored_scans(env) -> list[dict]:
    return read(env, "SELECT decision, reason, json_extract(payload, '$.body.raw') AS raw, device AS kiosk "
                     "FROM events WHERE type = 'door.scan' ORDER BY id")


def bodies(env, event_type: str) -> list[dict]:
    return [json.loads(row["payload"])["body"]
            for row in read(env, "SELECT payload FROM events WHERE type = ? ORDER BY id", [event_type])]


def unlock_ic_mode(terminal: Terminal, first_time: bool = False) -> None:
    terminal.send("F9")
    terminal.wait_for("IC mode: set your passphrase" if first_time else "IC passphrase")
    for text in ("Amara Mensah", PASSPHRASE, *([PASSPHRASE] if first_time else [])):
        terminal.type(text)
        time.sleep(0.3)  # a person looks up before pressing Enter, and before typing on
        terminal.send("Enter")
        time.sleep(0.3)
    terminal.wait_for("Only you see this screen")



def lift_with_ines_inside(terminal: Terminal, codes: dict[str, str]) -> None:
    """Ines Duarte (crew) scans in, then the AD lifts the set: she is marked out and offered a check-in."""
    terminal.send(codes["P01"], "Enter")
    terminal.wait_for("Ines Duarte")
    terminal.send("x")
    terminal.wait_for("1 still inside now - they will be marked out")
    terminal.send("Enter")
    terminal.wait_for("Check-ins offered to 1")
    terminal.send("Escape")

def test_a_scanner_at_the_door(production, terminal):
    env, codes = production
    terminal.wait_for("READY - scan a badge")
    terminal.send(codes["P01"], "Enter")  # the scanner's burst, then its Enter
    shown = terminal.wait_for("Ines Duarte")
    assert "ADMIT" in shown and "Approved for set - scene 42" in shown
    terminal.send(codes["R01"], "Tab")  # a scanner set to end with Tab
    shown = terminal.wait_for("Not on the approved list for scene 42")
    assert "DENY" in shown and "Hannah Cole" in shown
    time.sleep(1.2)  # past the duplicate window: this is Ines leaving, not a double read
    terminal.send(codes["P01"].lower())  # no terminator at all: the pause ends the scan (and no key fires)
    terminal.wait_for("Leaving set")
    assert [(row["decision"], row["kiosk"]) for row in stored_scans(env)] == \
        [("admit", "stage-door"), ("deny", "stage-door"), ("exit", "stage-door")]


def test_keys_and_lockdown_in_a_real_terminal(production, terminal):
    env, codes = production
    terminal.wait_for("READY - scan a badge")
    terminal.send("C-c")
    terminal.send("C-q")
    terminal.send("r")  # a person's key press: rolling
    terminal.wait_for("ROLLING - red light")
    terminal.send(codes["C01"], "Enter")
    terminal.wait_for("Rolling - wait for cut")
    terminal.send("r")
    terminal.wait_for("OPEN - closed set in force")
    terminal.send("F10")
    terminal.wait_for("Supervisor PIN")
    terminal.send(PIN, "Enter")
    terminal.wait_for("Exit the kiosk")
    assert [row["reason"] for row in stored_scans(env)] == ["rolling"]


def test_lift_pending_check_ins_and_the_ic_checks_in(production, terminal):
    _env, codes = production
    terminal.wait_for("READY - scan a badge")
    terminal.send(codes["C01"], "Enter")
    terminal.wait_for("Zoë Ødegård")
    terminal.send("x")
    terminal.wait_for("1 still inside now - they will be marked out")
    terminal.send("Enter")
    terminal.wait_for("Check-ins pending: 2 - the IC opens them with F9")
    terminal.send("Escape")
    terminal.wait_for("Check-ins pending: 2, follow-ups open: 0")
    unlock_ic_mode(terminal, first_time=True)
    terminal.send("Enter")  # the first pending check-in
    terminal.wait_for("Check-in: ")
    terminal.send("Space")  # the first status, highlighted: OK
    terminal.send("F2")
    terminal.wait_until_gone("F2: save")
    assert "Only you see this screen" in terminal.wait_for("OK")  # the IC's list, reloaded
    terminal.send("Escape")  # lock and leave
    shown = terminal.wait_for("Check-ins pending: 1")
    assert "OK" not in shown.split("Check-ins pending")[1].split("\n")[0]  # the door sees counts only


LONG_NAME = "Maria Fernanda Concepcion de los Angeles Villalobos-Montenegro y Santisteban"


@pytest.fixture
def long_named(tmp_path):
    """The shift's production: the demo crew, one very long name approved for both zones, the IC passphrase."""
    from kiosk.services import checkins

    env = {"KIOSK_DB": str(tmp_path / "door.db"), "KIOSK_ID": "stage-door"}
    run_cli(env, "init", "--production", "Night Garden", "--checklist-gate", "off")  # the shift, not the checklist
    run_cli(env, "people", "import", str(DATA / "demo-crew.csv"))
    run_cli(env, "people", "add", "--name", LONG_NAME, "--kind", "cast", "--department", "Cast", "--role", "Lead")
    run_cli(env, "scene", "add", "42", "--title", "Bedroom, night", "--location", "Stage 3",
            "--coordinator", "X01", "--performer", "C01", "--performer", "C02")
    run_cli(env, "scene", "approve", "42", "P01", LONG_NAME, "--by", "Sam Whitfield", "--zone", "both")
    run_cli(env, "scene", "open", "42")
    db = connect(env["KIOSK_DB"])
    cards = badges.plan_badges(db)
    badges.record_badges(db, cards, "setup")
    access.set_pin(db, PIN, "setup")
    checkins.set_passphrase(db, PASSPHRASE, "Amara Mensah", "setup")
    db.close()
    return env, {card.name: card.code for card in cards}


def line_with(screen: str, *texts: str) -> str:
    """The one screen line holding all of ``texts`` (fails with the screen when none does)."""
    found = [line for line in screen.splitlines() if all(text in line for text in texts)]
    assert found, f"no line with {texts} on:\n{screen}"
    return found[0]


def open_menu(terminal: Terminal, downs: int, until: str) -> str:
    terminal.send("F10")
    terminal.wait_for("Supervisor PIN")
    terminal.send(PIN, "Enter")
    terminal.wait_for("Exit the kiosk")
    for _ in range(downs):
        terminal.send("Down")
    terminal.send("Enter")
    return terminal.wait_for(until)


@pytest.mark.parametrize("size", SIZES)
def test_the_columns_that_matter_are_readable_at_both_sizes(long_named, size):
    """Door, setup, reports and IC mode in a real terminal, with one very long name among the people: each
    screen's answer, time, zone and status columns stay on screen, and names are cut, not the columns."""
    env, codes = long_named
    terminal = Terminal([KIOSK_COMMAND, "run", "--scene", "42"], env, size=size)
    try:
        terminal.wait_for("READY - scan a badge")
        for name in ("Ines Duarte", "Zoë Ødegård", "Hannah Cole", LONG_NAME):
            terminal.send(codes[name], "Enter")
            terminal.wait_for("Not on the approved" if name == "Hannah Cole" else name[:20])
        time.sleep(0.5)
        door = terminal.screen()
        assert "Door: SET" in door.splitlines()[0]
        assert re.search(r"^ Maria Fernanda[^\n]*? +set +\d\d:\d\d ", door, re.MULTILINE), door  # inside, cut
        assert re.search(r"\d\d:\d\d:\d\d DENY +Hannah Cole", door), door
        assert "Kiosk: stage-door" in door and "f10 Menu" in door and "Policy to confirm (P): 3" in door
        lines = door.splitlines()
        answer = lines.index(line_with(door, "✔ ADMIT", "Maria Fernanda"))
        assert "Approved for set" in lines[answer + 1]  # the long name is cut on its line, the reason stays

        open_menu(terminal, 1, "People: 41")
        terminal.send("F5", "Maria")  # the filter
        row = line_with(terminal.wait_for("1 of 41 shown"), "Maria Fernanda")
        assert " cast " in row and "maria-fernanda-concepcion-de-los" not in row  # the made-up ref gives way
        terminal.send("Escape")
        terminal.wait_for("READY")

        open_menu(terminal, 2, "Scenes: 1")
        terminal.send("Enter")
        approvals = terminal.wait_for("approved for the set")
        assert line_with(approvals, "Maria Fernanda", " set ") != line_with(approvals, "Maria Fernanda", " monitors ")
        assert "Sam Whitf" in line_with(approvals, "Maria Fernanda", " monitors ")  # who approved, if cut
        terminal.send("Escape")
        time.sleep(0.3)
        terminal.send("Escape")
        terminal.wait_for("READY")

        open_menu(terminal, 4, "Scene ref, or a day")
        terminal.type("42")
        terminal.send("Enter")
        terminal.wait_for("Log intact")
        terminal.send("C-End")  # to the newest events, at the foot of the timeline
        timeline = terminal.wait_for("Hannah Cole")
        assert re.search(r"Name +Zone", timeline) and " set" in line_with(timeline, "Hannah Cole", "Not on the")
        assert " set" in line_with(timeline, "Maria Fernanda", "Approved")
        terminal.send("Escape")
        terminal.wait_for("READY")

        terminal.send("x")
        terminal.wait_for("still inside now")
        terminal.send("Enter")
        terminal.wait_for("Marked out (3)")
        terminal.send("Escape")
        terminal.wait_for("CLOSED SET LIFTED")
        unlock_ic_mode(terminal)
        ic_list = terminal.wait_for("Łukasz Nowak")
        assert "Not checked in yet" in line_with(ic_list, "Zoë Ødegård")
        assert "Not checked in yet" in line_with(ic_list, "Łukasz Nowak")
    finally:
        terminal.close()


def test_the_protocol_at_a_real_door(production, terminal):
    """A performer's own choice to work without an IC, made with their badge at the door; at the lift the crew
    who were inside are offered check-ins, counted apart from the performers' pending ones."""
    env, codes = production
    terminal.wait_for("READY - scan a badge")
    terminal.send("n")
    terminal.wait_for("Performer: scan your own badge here")
    terminal.send(codes["C02"], "Enter")  # the performer's own badge: taken by the screen, not a door scan
    terminal.wait_for("This is your choice alone")
    terminal.send("Enter")
    terminal.wait_for("your choice is recorded")
    terminal.send("Escape")
    terminal.wait_until_gone("working without an intimacy coordinator")
    assert stored_scans(env) == []
    lift_with_ines_inside(terminal, codes)
    terminal.wait_for("Check-ins pending: 2, offered: 1, follow-ups open: 0")


def test_the_ic_records_the_list_seen_and_closes_an_offered_check_in(production, terminal):
    """IC mode's protocol keys in a real terminal: T shows who the performers know will be there, where Enter
    records that a performer saw the list (the IC showing it to them); after the lift, N closes the check-in
    offered to a crew member who was inside as not needed.  Each is checked in the record."""
    env, codes = production
    terminal.wait_for("READY - scan a badge")
    unlock_ic_mode(terminal, first_time=True)
    terminal.send("t")
    terminal.wait_for("Scene 42: performers who have not seen the list: 2")
    terminal.send("Down", "Enter")  # Zoë Ødegård, then Łukasz Nowak
    shown = terminal.wait_for("Łukasz Nowak: you have seen who will be there?")
    assert "Ines Duarte (set)" in " ".join(shown.split())  # the list as it stands, shown to them
    terminal.send("Enter")
    terminal.wait_for("Recorded: Łukasz Nowak has seen the approved list.")
    assert "Scene 42: performers who have not seen the list: 1" in terminal.wait_for("recorded by Amara Mensah")
    terminal.send("Escape")
    terminal.wait_for("n Not needed")
    terminal.send("Escape")  # lock and leave
    terminal.wait_for("READY - scan a badge")

    lift_with_ines_inside(terminal, codes)
    unlock_ic_mode(terminal)
    assert "Offered" in line_with(terminal.wait_for("Offered"), "Ines Duarte")
    terminal.send("n")  # the cursor starts on the first row: Ines's offer
    terminal.wait_for("Close the check-in offered to Ines Duarte as not needed?")
    terminal.send("Enter")
    assert "Closed: not needed" in line_with(terminal.wait_for("Closed: not needed"), "Ines Duarte")
    terminal.send("Escape")
    terminal.wait_for("Check-ins pending: 2, follow-ups open: 0")  # the door sees counts, the offer is closed

    assert [(body["person"], body["by"], body["for_them"]) for body in bodies(env, "list.acknowledged")] == \
        [("C02", "Amara Mensah", True)]
    assert [(body["person"], body["by"]) for body in bodies(env, "checkin.closed")] == [("P01", "Amara Mensah")]
