"""Shared fixtures: a fresh production database with people, badges and a scene, per test; the command line
run in-process; and the keys of a person or a USB scanner for Pilot tests."""

from __future__ import annotations

import io
import json
import os
import time

import pytest
from rich.console import Console

from kiosk import DATA
from kiosk.cli import main
from kiosk.core.secrets import SALT_BYTES, KdfParams
from kiosk.services import access, badges, roster, scenes
from kiosk.services.production import init_production
from kiosk.store import connect
from tests.reliability.support import FULL
from tests.support import KIOSK, PIN, Keys
from tests.tmux import run_cli

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
    # The checklist gate off (a real `kiosk init` turns it on): the tests open scene 42 without confirming its
    # checklist; the gate itself is tested in test_readiness.py.
    init_production(database, "Night Garden", KIOSK, checklist_required=False)
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
    assert cli("init", "--production", "Night Garden", "--checklist-gate", "off")[0] == 0  # scene 42 opens unready
    assert cli("people", "import", DATA / "demo-crew.csv")[0] == 0
    assert cli("scene", "add", "42", "--title", "Bedroom, night", "--coordinator", "X01",
               "--performer", "C01", "--performer", "Łukasz Nowak")[0] == 0
    return db_path


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
        db.execute("UPDATE events SET payload = ?, hash = ?, chain = ? WHERE id = ?",  # the columns follow
                   [event.payload, event.hash, chain, stored.id])
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


@pytest.fixture
def production(tmp_path):
    """A production made with the real CLI, as an AD would set it up; returns (env, badge codes)."""
    env = {"KIOSK_DB": str(tmp_path / "door.db"), "KIOSK_ID": "stage-door"}
    run_cli(env, "init", "--production", "Night Garden", "--duplicate-window", "1",
            "--checklist-gate", "off")  # scene 42 opens below without its checklist: the door is under test
    run_cli(env, "people", "import", str(DATA / "demo-crew.csv"))
    run_cli(env, "scene", "add", "42", "--title", "Bedroom, night", "--location", "Stage 3",
            "--coordinator", "X01", "--performer", "C01", "--performer", "C02")
    run_cli(env, "scene", "approve", "42", "P01", "--by", "Sam Whitfield")
    run_cli(env, "scene", "open", "42")
    db = connect(env["KIOSK_DB"])
    cards = badges.plan_badges(db)
    badges.record_badges(db, cards, "setup")
    access.set_pin(db, PIN, "setup")
    db.close()
    return env, {card.ref: card.code for card in cards}


@pytest.fixture
def figures(request):
    """Record this proof's figures; they go to $KIOSK_PROOF_REPORT as one JSON line."""
    started = time.monotonic()
    record: dict = {"proof": request.node.name, "form": "full" if FULL else "reduced"}
    yield record
    report = os.environ.get("KIOSK_PROOF_REPORT")
    if report:
        record["seconds"] = round(time.monotonic() - started, 1)
        with open(report, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
