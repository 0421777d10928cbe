"""Build a production at benchmark scale, fast: people, badges, scenes, approvals and a long history of scans,
all as real events (valid chains) with the tables projected from them, so ``kiosk audit verify`` passes.

Events go in with ``record.append_batch`` inside one transaction, then the tables are folded from the log
(``audit.rebuild``): the same code the kiosk uses, only in bulk.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from kiosk.core import codes
from kiosk.core import record as rules
from kiosk.store import audit, connect, record
from kiosk.store.db import write

APPROVED_PER_SCENE = 20
OPEN_SCENES = 50
DEVICE = "bench"


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
        if number > OPEN_SCENES:
            changes.append((rules.SCENE_STATE, rules.state_key(scene), {"scene": scene, "from": "open",
                                                                        "to": "lifted", "run": 1}))
    lifted = list(approved)[OPEN_SCENES:]
    for i in range(1, scans + 1):  # history lives in lifted scenes
        scene = rng.choice(lifted)
        ref = rng.choice(approved[scene])
        changes.append((rules.SCAN, rules.presence_key(scene, ref, "set"),
                        {"scan_id": f"bench-{i}", "scene": scene, "run": 1, "zone": "set", "person": ref,
                         "badge": codes.digest(badge_codes[ref]), "decision": "admit" if i % 2 else "exit",
                         "reason": "approved" if i % 2 else "exit", "layout": None, "raw": None}))
    with write(db):
        record.append_batch(db, DEVICE, changes)
        audit.rebuild(db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    open_scene_people = {scene: [badge_codes[ref] for ref in approved[scene]] for scene in list(approved)[:OPEN_SCENES]}
    return {"path": path, "seconds": time.perf_counter() - started, "open_scenes": open_scene_people,
            "unknown_people_codes": [codes.new_code() for _ in range(100)], "codes": badge_codes}


def build_apart(path: Path, people: int, scenes: int, scans: int) -> dict:
    """``build`` in a process of its own, so that the memory a benchmark then measures is the kiosk's alone."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "benchmarks.bigprod", str(path), str(people), str(scenes),
                           str(scans)], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent.parent)
    return json.loads(done.stdout)


if __name__ == "__main__":
    import json
    import sys

    built = build(Path(sys.argv[1]), *(int(arg) for arg in sys.argv[2:5]))
    print(json.dumps({**built, "path": str(built["path"])}))
