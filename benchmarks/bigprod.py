"""Build a production at benchmark scale, fast: people, badges, scenes, approvals and a valid log.

Used by the benchmark scripts.  Rows go in with executemany inside one transaction; the log's hash chain is
computed with the store's own ``row_hash`` so ``kiosk audit verify`` passes on the result.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from kiosk.core import codes
from kiosk.services import now
from kiosk.store import log
from kiosk.store import connect

APPROVED_PER_SCENE = 20
OPEN_SCENES = 50


def build(path: Path, people: int = 100_000, scenes: int = 1_000, scans: int = 1_000_000,
          seed: int = 7) -> dict:
    """Create the database at ``path`` (replacing it); return what a benchmark needs to scan into it."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(seed)
    db = connect(path, create=True)
    at = now()
    conn: sqlite3.Connection = db.conn
    started = time.perf_counter()
    conn.execute("PRAGMA synchronous = OFF")  # building only; the benchmark reopens with FULL
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO production (id, name, created_at, duplicate_window) VALUES (1, 'Benchmark', ?, 0)",
                  [at])
    conn.executemany(
        "INSERT INTO people (id, ref, name, department, role, kind, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((i, f"P{i:06d}", f"Person {i}", "Crew", "Role", "crew" if i % 10 else "cast", at)
         for i in range(1, people + 1)))
    badge_codes = [codes.new_code() for _ in range(people)]
    conn.executemany("INSERT INTO badges (id, person_id, code, status, issued_at) VALUES (?, ?, ?, 'active', ?)",
                     ((i, i, badge_codes[i - 1], at) for i in range(1, people + 1)))
    conn.executemany(
        "INSERT INTO scenes (id, ref, title, state, created_at) VALUES (?, ?, ?, ?, ?)",
        ((s, f"S{s:04d}", f"Scene {s}", "open" if s <= OPEN_SCENES else "lifted", at) for s in range(1, scenes + 1)))
    approved = {s: rng.sample(range(1, people + 1), APPROVED_PER_SCENE) for s in range(1, scenes + 1)}
    conn.executemany(
        "INSERT INTO approvals (scene_id, person_id, zone, approved_by, approved_at) VALUES (?, ?, 'set', 'bench', ?)",
        ((s, p, at) for s, members in approved.items() for p in members))

    def log_rows():
        prev = log.GENESIS
        for i in range(1, scans + 1):
            scene = rng.randint(OPEN_SCENES + 1, scenes)  # history lives in lifted scenes
            person = rng.choice(approved[scene])
            row = {"id": i, "at": at, "kiosk": "bench", "kind": "scan", "scan_id": f"bench-{i}",
                   "scene_id": scene, "person_id": person, "badge_id": person, "zone": "set",
                   "decision": "admit" if i % 2 else "exit", "reason": "approved" if i % 2 else "exit",
                   "raw": badge_codes[person - 1], "layout": None, "detail": None}
            row["prev_hash"] = prev
            row["hash"] = prev = log.row_hash(row, prev)
            yield tuple(row.values())
        conn.execute("INSERT INTO log_head (id, last_id, last_hash) VALUES (1, ?, ?)", [scans, prev])

    columns = (*log.FIELDS, "prev_hash", "hash")
    conn.executemany(f"INSERT INTO log ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                     log_rows())
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    open_scene_people = {f"S{s:04d}": [badge_codes[p - 1] for p in approved[s]] for s in range(1, OPEN_SCENES + 1)}
    return {"path": path, "seconds": time.perf_counter() - started, "open_scenes": open_scene_people,
            "unknown_people_codes": [badge_codes[i] for i in rng.sample(range(people), 100)]}
