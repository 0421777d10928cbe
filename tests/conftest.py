"""Shared fixtures: a fresh production database with people, badges and a scene, per test; the command line
run in-process; and the keys of a person or a USB scanner for Pilot tests."""

from __future__ import annotations

import io
import os
import unicodedata

import pytest
from rich.console import Console
from textual import events
from textual.worker import WorkerCancelled

from kiosk import DATA
from kiosk.cli import main
from kiosk.core.secrets import SALT_BYTES, KdfParams
from kiosk.services import badges, production, roster, scenes
from kiosk.store import connect
from tests.support import KIOSK

pytest_plugins = ("tests.hub_fixtures",)  # pg_server, hub, chain: a real PostgreSQL hub, for any test folder


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    path = tmp_path / "kiosk.db"
    monkeypatch.setenv("KIOSK_DB", str(path))
    monkeypatch.setenv("KIOSK_ID", KIOSK)
    return path


@pytest.fixture
def db(db_path):
    database = connect(db_path, create=True)
    production.init_production(database, "Night Garden", KIOSK)
    yield database
    database.close()


@pytest.fixture
def crew(db):
    """The demo roster, badges for everyone, and scene 42 with performers, IC and a few approvals.

    Returns {ref: code} of the valid badges.
    """
    result = roster.import_people(db, (DATA / "demo-crew.csv").read_bytes(), KIOSK)
    assert result.ok, result.errors
    cards = badges.plan_badges(db)
    badges.record_badges(db, cards, KIOSK)
    scenes.add_scene(db, "42", "Bedroom, night", KIOSK, location="Stage 3", coordinator="X01",
                     performers=("C01", "C02"))
    scenes.approve(db, "42", ("D01", "P01", "P02"), by="Sam Whitfield", kiosk=KIOSK)
    scenes.approve(db, "42", ("V01",), by="Sam Whitfield", kiosk=KIOSK, zone="monitors")
    return {card.ref: card.code for card in cards}


@pytest.fixture
def cheap_kdf(monkeypatch):
    """Passphrases set in this test derive with scrypt N=2**10 instead of 2**16: the stored parameters say so,
    so everything else runs as in production, 64 times faster (``test_real_cost_by_default`` keeps the real)."""
    monkeypatch.setattr(KdfParams, "fresh", classmethod(lambda cls: cls(os.urandom(SALT_BYTES), n=2**10)))


@pytest.fixture
def cli(capsys):
    """Run `kiosk ARGS` in-process through main(), as the console script does: (exit code, stdout, stderr)."""
    def run(*args) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exit_info:
            main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return exit_info.value.code, out, err

    return run


@pytest.fixture
def cli_production(db_path, cli):
    """A production made through the command line: the demo crew and scene 42 (IC X01, two performers)."""
    assert cli("init", "--production", "Night Garden")[0] == 0
    assert cli("people", "import", DATA / "demo-crew.csv")[0] == 0
    assert cli("scene", "add", "42", "--title", "Bedroom, night", "--coordinator", "X01",
               "--performer", "C01", "--performer", "Łukasz Nowak")[0] == 0
    return db_path


def key_name(character: str) -> str:
    """Textual's key name for a printable character: itself for letters and digits, else its Unicode name."""
    if character.isalnum() and character.isascii():
        return character
    return unicodedata.name(character).lower().replace(" ", "_").replace("-", "_")


class Keys:
    """A person at the keyboard and a USB scanner, for Pilot tests."""

    name = staticmethod(key_name)

    @staticmethod
    async def settle(pilot) -> None:
        """Let the scanner pause pass, background work finish and the screen repaint."""
        await pilot.pause()
        if pilot.app.keys.holding:
            await pilot.pause(pilot.app.keys.wait + 0.05)
        while True:
            try:
                await pilot.app.workers.wait_for_complete()
                break
            except WorkerCancelled:  # an exclusive refresh replaced by the next one meanwhile: wait for the rest
                continue
        await pilot.pause()

    async def scanner(self, pilot, text: str, end: str | None = "enter") -> None:
        """Type ``text`` the way a USB scanner does: every key at once, then Enter (or Tab, or nothing)."""
        for character in text:
            pilot.app.post_message(events.Key(key_name(character), character))
        if end:
            pilot.app.post_message(events.Key(end, "\r" if end == "enter" else "\t"))
        await self.settle(pilot)

    async def press(self, pilot, *keys: str) -> None:
        """A person pressing keys, one at a time."""
        for key in keys:
            await pilot.press(key)
            await self.settle(pilot)


@pytest.fixture
def keys() -> Keys:
    return Keys()


def rewrite_log(db, edits: dict) -> None:
    """What a forger with the file and this code could do: change the bodies of some events (``edits``: local
    id -> body -> new body) and recompute every hash after them - payloads, each device's chain, the local
    chain and the heads - so that the chains alone verify again."""
    from kiosk.core import events as ev
    from kiosk.store import record

    db.execute("DROP TRIGGER IF EXISTS events_no_update")
    chain, devices = ev.GENESIS, {}
    for stored in list(record.all_events(db)):
        event = stored.event
        body = edits[stored.id](dict(event.body)) if stored.id in edits else dict(event.body)
        seq, prev = devices.get(event.device, (0, ev.GENESIS))
        event = ev.Event(event.id, event.device, event.seq, prev, event.hlc, event.at, event.type, event.key,
                         event.parents, body)
        chain = record.chained(chain, event.hash)
        devices[event.device] = (event.seq, event.hash)
        columns = record.columns_of_body(body)
        db.execute(f"UPDATE events SET payload = ?, hash = ?, chain = ?, "
                   f"{', '.join(f'{name} = ?' for name in record.COLUMNS)} WHERE id = ?",
                   [event.payload, event.hash, chain, *(columns.get(name) for name in record.COLUMNS), stored.id])
        last = stored.id
    db.execute("UPDATE chains SET seq = ?, hash = ? WHERE device = ''", [last, chain])
    for device, (seq, digest) in devices.items():
        db.execute("UPDATE chains SET seq = ?, hash = ? WHERE device = ?", [seq, digest, device])


@pytest.fixture
def forge():
    return rewrite_log


@pytest.fixture
def shown():
    """The text a Static widget shows (a Rich table or grid included), laid out at the widget's width."""
    def text(widget) -> str:
        console = Console(file=io.StringIO(), width=max(widget.size.width, 20), record=True, color_system=None)
        console.print(widget.content)
        return console.export_text()

    return text
