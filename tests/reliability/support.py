"""What the reliability proofs share besides fixtures: their sizes, the production they build, and the ways they
look at a kiosk file and run a real kiosk process.  (Fixtures are in ``conftest.py``.)

Every proof takes its size from ``SIZES``: the reduced size runs in the default ``pytest`` run (seconds);
``KIOSK_PROOF=full`` (``scripts/reliability``) runs the full size.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from kiosk import DATA
from kiosk.services import badges, production, roster, scenes
from kiosk.store import connect, queries
from kiosk.store.audit import verify

FULL = os.environ.get("KIOSK_PROOF", "reduced") == "full"
KIOSK = "proof-kiosk"
IC_PASSPHRASE = "tangerine orbit lantern velvet"
SIZES = {  # name: (reduced, full)
    "crash_rounds": (4, 300),
    "concurrency_processes": (3, 4),
    "concurrency_seconds": (2, 60),
    "disk_full_cycles": (1, 20),
    "fuzz_examples": (150, 20_000),
    "cli_fuzz_examples": (150, 10_000),
    "attack_codes": (20_000, 1_000_000),
    "attack_scans": (150, 20_000),
    "tamper_examples": (40, 3_000),
    "csv_examples": (150, 3_000),
    "stdin_examples": (100, 2_000),
    "guess_processes": (6, 120),
    "typed_examples": (150, 5_000),
    "backup_rounds": (2, 30),
    "pin_burst": (12, 100),
    "passphrase_burst": (6, 60),
    "tui_examples": (3, 40),
    "import_rows": (5_000, 99_999),  # full: the most a crew list holds (100,000 lines with its header)
}


def size(name: str) -> int:
    return SIZES[name][FULL]


def build_production(path: Path, name: str = "Night Garden", duplicate_window: float = 0,
                     kiosk: str = KIOSK) -> dict[str, str]:
    """A production on ``path`` made by ``kiosk``: the demo crew with badges, scene 42 open.  Returns {ref: code}.

    The duplicate window is 0 by default so that every scan is a row: the proofs count rows.
    """
    db = connect(path, create=True, device=kiosk)
    try:
        production.init_production(db, name, kiosk, duplicate_window,
                                   checklist_required=False)  # scene 42 opens below without its checklist
        assert roster.import_people(db, (DATA / "demo-crew.csv").read_bytes(), kiosk).ok
        cards = badges.plan_badges(db)
        badges.record_badges(db, cards, kiosk)
        scenes.add_scene(db, "42", "Bedroom, night", kiosk, coordinator="X01", performers=("C01", "C02"))
        scenes.approve(db, "42", ("D01", "P01", "P02"), by="Sam Whitfield", kiosk=kiosk)
        scenes.approve(db, "42", ("V01",), by="Sam Whitfield", kiosk=kiosk, zone="monitors")
        scenes.set_state(db, "42", scenes.SceneState.OPEN, kiosk)
        return {card.ref: card.code for card in cards}
    finally:
        db.close()


def checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so that the file alone holds the database."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def health(path: Path) -> tuple[str, bool, int]:
    """(PRAGMA integrity_check, hash chain intact, log rows), read by a fresh connection."""
    conn = sqlite3.connect(path)
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    db = connect(path)
    try:
        audit = verify(db)
        return integrity, audit.ok, audit.rows
    finally:
        db.close()


def stored_scan_ids(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [scan_id for (scan_id,) in conn.execute(
            "SELECT json_extract(payload, '$.body.scan_id') FROM events WHERE type = 'door.scan'")]
    finally:
        conn.close()


def kiosk_process(*args: str) -> subprocess.Popen:
    """A real `kiosk` process (``python -m kiosk``), as a crew laptop runs it."""
    return subprocess.Popen([sys.executable, "-m", "kiosk", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def scan_inputs(codes: dict[str, str], tmp_path) -> str:
    """Every badge, a few times over, plus refusals: garbage and a code with a bad check symbol."""
    inputs = list(codes.values()) * 3 + ["garbage", "PG7JGEEBHH1LUF5CEX", " ", "é" * 18]
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps(inputs), encoding="utf-8")
    return str(path)


def ic_passphrase_rows(db, event: str) -> list[dict]:
    """The outcomes of the tries at the IC passphrase that ended as ``event`` (wrong, right), as recorded."""
    rows = queries.many(db, "SELECT at, device AS kiosk, json_extract(payload, '$.body') AS detail FROM events "
                            "WHERE key = 'attempts/ic' AND reason = ? ORDER BY id", [event])
    return rows


def sql(path, statement: str, params=()) -> None:
    """The forger's edit: plain SQL on the file, the app's triggers dropped first."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for trigger in ("events_no_update", "events_no_delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.execute(statement, params)
    finally:
        conn.close()


def committed(output: Path) -> set[str]:
    """The scan ids a scanner has printed whole so far: each was on disk before it was printed."""
    lines = output.read_text(encoding="utf-8").split("\n")[:-1]
    return {line.split()[0] for line in lines}


def start_scanners(path: Path, codes: dict[str, str], tmp_path: Path, name: str) -> tuple[list, list[Path]]:
    """Two kiosk processes scanning ``path`` flat out (``tests.reliability.scanner``, for up to ten minutes), each
    printing what it committed to its own file; returns (the processes, their files) once both have scanned."""
    inputs = scan_inputs(codes, tmp_path)
    outputs = [tmp_path / f"scanner-{letter}.txt" for letter in "ab"]
    scanners = [subprocess.Popen([sys.executable, "-m", "tests.reliability.scanner", str(path), inputs,
                                  f"{name}-{letter}", "600"], stdout=output.open("w"), stderr=subprocess.PIPE,
                                 text=True, cwd=Path(__file__).parents[2])
                for letter, output in zip("ab", outputs, strict=True)]
    deadline = time.monotonic() + 60
    while not all(committed(output) for output in outputs):  # both scanning
        assert time.monotonic() < deadline, "the scanners printed nothing"
        time.sleep(0.05)
    return scanners, outputs
