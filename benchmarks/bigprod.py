"""Build a production at benchmark scale, fast: people, badges, scenes, approvals and a long history of scans,
all as real events (valid chains) with the tables projected from them, so ``kiosk audit verify`` passes.

Events go in with ``append_batch`` inside one transaction, then the tables are folded from the log
(``audit.rebuild``): the same code the kiosk uses, only in bulk.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.core import codes, projection
from kiosk.core import events as ev
from kiosk.core import record as rules
from kiosk.core.events import Event
from kiosk.errors import StoreError
from kiosk.store import audit, connect, record
from kiosk.store.db import Store, write
from kiosk.store.ledger import DAMAGED

APPROVED_PER_SCENE = 20
OPEN_SCENES = 50  # the first 50 scenes are open (at most half of them, in a tiny production); the rest lifted
DEVICE = "bench"


def append_batch(db: Store, device: str, changes: list[tuple[str, str, dict[str, Any]]],
                 at: str | None = None) -> list[tuple[int, Event]]:
    """Append many events of ``device`` in the caller's write transaction, fast: bodies encoded once, one
    statement for all (a builder's shortcut: the kiosk's own bulk writes are ``kiosk.store.batch``).  Their keys
    are not projected here (a builder ``audit.rebuild``s).  Returns each event with its local id."""
    assert db.conn.in_transaction, "append_batch must run inside store.db.write()"
    last_id, chain, last_hlc, seq, prev = record.heads_of(db, device)
    try:
        parents = {key: tuple(json.loads(ids)) for key, ids in db.execute(
            "SELECT key, parents FROM heads WHERE key IN (SELECT value FROM json_each(?))",
            [json.dumps([key for _, key, _ in changes])])}
    except (ValueError, TypeError):
        raise StoreError(DAMAGED.format(what="the heads table holds parents that are not a list of events")) \
            from None
    ms = record.wall_ms()
    at = at or record.now_iso(ms)
    hlc = last_hlc
    rows, made = [], []
    for type, key, body in changes:
        seq += 1
        hlc = record.next_hlc(ms, hlc)
        event = Event(ev.new_id(), device, seq, prev, hlc, at, type, key,
                      parents.get(key, ()) if projection.projected(key) else (), body)
        payload = ev.envelope(event.id, device, seq, prev, hlc, at, type, key, event.parents, ev.canonical(body))
        prev = ev.digest(payload)
        chain = record.chained(chain, prev)
        last_id += 1
        rows.append((last_id, payload, prev, chain))
        parents[key] = (event.id,)
        made.append((last_id, event))
    if not rows:
        return []
    db.conn.executemany("INSERT INTO events (id, payload, hash, chain) VALUES (?, ?, ?, ?)", rows)
    record.advance(db, last_id, chain, hlc, device, seq, prev)
    return made



def build(path: Path, people: int = 100_000, scenes: int = 1_000, scans: int = 1_000_000,
          seed: int = 7) -> dict:
    """Create the database at ``path`` (replacing it); return what a benchmark needs to scan into it."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(seed)
    db = connect(path, create=True, device=DEVICE)
    started = time.perf_counter()
    db.execute("PRAGMA synchronous = OFF")  # building only; the benchmark reopens with FULL
    refs = [f"P{i:06d}" for i in range(1, people + 1)]
    badge_codes = {ref: codes.new_code() for ref in refs}
    approved = {f"S{s:04d}": rng.sample(refs, APPROVED_PER_SCENE) for s in range(1, scenes + 1)}
    open_scenes = min(OPEN_SCENES, max(1, scenes // 2))
    changes = [(rules.PRODUCTION, rules.production_key(), {"name": "Benchmark"}),
               (rules.SETTING, rules.setting_key("duplicate_window"), {"name": "duplicate_window", "value": "0.0"})]
    changes += [(rules.PERSON, rules.person_key(ref), {"ref": ref, "name": f"Person {ref}", "department": "Crew",
                                                       "role": "Role", "kind": "crew" if i % 10 else "cast"})
                for i, ref in enumerate(refs, start=1)]
    changes += [(rules.BADGE_ISSUED, rules.badges_key(ref), {"person": ref, "digest": codes.digest(badge_codes[ref])})
                for ref in refs]
    for number, (scene, members) in enumerate(approved.items(), start=1):
        changes.append((rules.SCENE, rules.scene_key(scene), {"ref": scene, "title": f"Scene {scene}",
                                                              "location": "", "date": "", "coordinator": None}))
        changes += [(rules.APPROVED, rules.approval_key(scene, ref, "set"),
                     {"scene": scene, "person": ref, "zone": "set", "by": "bench", "temporary": False})
                    for ref in members]
        changes.append((rules.SCENE_STATE, rules.state_key(scene), {"scene": scene, "from": "draft", "to": "open",
                                                                    "run": 1}))
        if number > open_scenes:
            changes.append((rules.SCENE_STATE, rules.state_key(scene), {"scene": scene, "from": "open",
                                                                        "to": "lifted", "run": 1}))
    lifted = list(approved)[open_scenes:]
    for i in range(1, scans + 1):  # history lives in lifted scenes
        scene = rng.choice(lifted)
        ref = rng.choice(approved[scene])
        changes.append((rules.SCAN, rules.presence_key(scene, ref, "set"),
                        {"scan_id": f"bench-{i}", "scene": scene, "run": 1, "zone": "set", "person": ref,
                         "badge": codes.digest(badge_codes[ref]), "decision": "admit" if i % 2 else "exit",
                         "reason": "approved" if i % 2 else "exit", "layout": None, "raw": None}))
    with write(db):
        append_batch(db, DEVICE, changes)
        audit.rebuild(db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    open_scene_people = {scene: [badge_codes[ref] for ref in approved[scene]]
                         for scene in list(approved)[:open_scenes]}
    return {"path": path, "seconds": time.perf_counter() - started, "open_scenes": open_scene_people,
            "unknown_people_codes": [codes.new_code() for _ in range(100)], "codes": badge_codes}


def add_day(path: Path, scene: str, scans: int, seed: int = 11) -> None:
    """``scans`` door events at one open ``scene`` over a ten-hour shooting day, as real events: admits and exits
    of its approved people (each toggling in and out), 5% refusals of people not on its list, and a take every
    2,000 events: rolling for 200 of them (scans then are told to wait).

    Events are appended with ``append_batch``, one batch per second of the day so that each keeps the
    time it happened at; the set's state is projected after each change, as the kiosk does.
    """
    rng = random.Random(seed)
    db = connect(path, device=DEVICE)
    db.execute("PRAGMA synchronous = OFF")  # building only
    approved = [ref for (ref,) in db.execute("SELECT person FROM approvals WHERE scene = ? ORDER BY person",
                                             [scene])]
    others = [ref for (ref,) in db.execute("SELECT ref FROM people WHERE ref NOT IN (SELECT person FROM approvals "
                                           "WHERE scene = ?) ORDER BY ref LIMIT 500", [scene])]
    badge = dict(db.execute("SELECT person, digest FROM badges WHERE status = 'active'"))
    state, run = db.execute("SELECT state, run FROM scene_states WHERE scene = ?", [scene]).fetchone()
    assert state == "open", f"scene {scene} is {state}: a day of scans needs an open one"
    start = datetime(2026, 11, 20, 7, tzinfo=UTC)
    step = 10 * 3600 / scans
    inside: set[str] = set()
    second: list[tuple[str, str, dict]] = []
    second_at = ""

    def flush() -> None:
        append_batch(db, DEVICE, second, at=second_at)
        if any(key == rules.state_key(scene) for _, key, _ in second):
            record.project(db, rules.state_key(scene))
        second.clear()

    with write(db):
        for i in range(scans):
            at = (start + timedelta(seconds=int(i * step))).isoformat(timespec="microseconds")
            if at != second_at and second:
                flush()
            second_at = at
            if i % 2000 in (1799, 1999):
                new = "rolling" if state == "open" else "open"
                second.append((rules.SCENE_STATE, rules.state_key(scene),
                               {"scene": scene, "from": state, "to": new, "run": run}))
                state = new
                continue
            refused = rng.random() < 0.05
            person = rng.choice(others if refused else approved)
            if refused:
                decision, reason = "deny", "not_approved"
            elif state == "rolling":
                decision, reason = "wait", "rolling"
            else:
                decision, reason = ("exit", "exit") if person in inside else ("admit", "approved")
                (inside.discard if decision == "exit" else inside.add)(person)
            second.append((rules.SCAN, rules.presence_key(scene, person, "set"),
                           {"scan_id": f"day-{i}", "scene": scene, "run": run, "zone": "set", "person": person,
                            "badge": badge[person], "decision": decision, "reason": reason, "layout": None,
                            "raw": None}))
        if second:
            flush()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def build_apart(path: Path, people: int, scenes: int, scans: int, keep: bool = False) -> dict:
    """``build`` in a process of its own, so that the memory a benchmark then measures is the kiosk's alone.

    With ``keep``, what was built is remembered beside the database (``<path>.built.json``, 0600: it holds the
    badge codes) and a later call of the same size reuses the copy made then (``<path>.pristine``), so a
    benchmark can be rerun without building a million events again."""
    import json
    import shutil
    import subprocess
    import sys

    memo, pristine = Path(f"{path}.built.json"), Path(f"{path}.pristine")
    if keep and memo.exists() and pristine.exists():
        built = json.loads(memo.read_text())
        if built.get("scale") == [people, scenes, scans]:
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(pristine, path)
            return built
    done = subprocess.run([sys.executable, "-m", "benchmarks.bigprod", str(path), str(people), str(scenes),
                           str(scans)], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent.parent)
    built = json.loads(done.stdout)
    if keep:
        shutil.copyfile(path, pristine)
        pristine.chmod(0o600)
        memo.touch(mode=0o600)
        memo.write_text(json.dumps({**built, "scale": [people, scenes, scans]}))
    return built


if __name__ == "__main__":
    import json
    import sys

    built = build(Path(sys.argv[1]), *(int(arg) for arg in sys.argv[2:5]))
    print(json.dumps({**built, "path": str(built["path"])}))
