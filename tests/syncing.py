"""What the sync tests and proofs share (a support module): a kiosk machine with its file and its hub login, and
what "the same tables" means across machines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiosk.core import projection
from kiosk.hub import HubClient, verify
from kiosk.services import sync
from kiosk.services.join import join
from kiosk.store import Store, connect

OFFICE = "office"  # the device that made the production in the sync tests


class Machine:
    """One kiosk: its file, opened as its device, and its own login at the hub (connected when first used)."""

    def __init__(self, path: Path, name: str, dsn: str) -> None:
        self.path, self.name, self.dsn = path, name, dsn
        self.db: Store = connect(path, device=name)
        self._client: HubClient | None = None

    @property
    def client(self) -> HubClient:
        if self._client is None:
            self._client = HubClient(self.dsn)
        return self._client

    def sync(self, **options) -> sync.SyncResult:
        return sync.sync_once(self.db, self.client, self.name, **options)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self.db.close()


def joined(hub, folder: Path, name: str) -> Machine:
    """A new kiosk built from the hub, as `kiosk join` builds it."""
    dsn = hub.add(name)
    join(folder / f"{name}.db", dsn, name)
    return Machine(folder / f"{name}.db", name, dsn)


def tables(db: Store) -> dict[str, list[tuple]]:
    """Everything a machine's record makes, without what only this file knows (local row ids, its sync state):
    the projected tables, the heads and conflicts of each key, the sealed content and the photos, and the events
    themselves."""
    shown = {}
    for table in projection.TABLES:
        names = [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1] != "set_by"]
        shown[table] = sorted(db.execute(f"SELECT {', '.join(names)} FROM {table}").fetchall(), key=repr)
    shown["heads"] = sorted(db.execute("SELECT key, event_id, parents FROM heads").fetchall())
    shown["conflicts"] = sorted(db.execute("SELECT key, kept, lost, words FROM conflicts").fetchall())
    shown["sealed"] = sorted(db.execute("SELECT digest, blob FROM sealed").fetchall())
    shown["photo_blobs"] = sorted(db.execute("SELECT digest, image FROM photo_blobs").fetchall())
    shown["events"] = sorted(db.execute("SELECT event_id, device, seq, hash FROM events").fetchall())
    return shown


def rebuilt(db: Store) -> dict[str, list[tuple]]:
    """The same, after the tables were rebuilt from the log alone (in a transaction rolled back after)."""
    from kiosk.store import audit

    db.execute("BEGIN IMMEDIATE")
    try:
        audit.rebuild(db)
        return tables(db)
    finally:
        db.execute("ROLLBACK")


def settle(machines: list[Machine], rounds: int = 4) -> None:
    """Sync every machine until a round moves nothing (three suffice: push and pull, pull, nothing left)."""
    for _ in range(rounds):
        results = [machine.sync() for machine in machines]
        assert all(result.ok for result in results), results
        if not any(result.pushed or result.pulled for result in results):
            return
    raise AssertionError(f"the machines did not settle in {rounds} rounds")


def assert_hub_holds_exactly_the_union(hub, machines) -> None:
    rows = hub.sql().execute("SELECT device, seq, event_id FROM hub.events ORDER BY device, seq").fetchall()
    ids = [event_id for _, _, event_id in rows]
    assert len(ids) == len(set(ids)), "an event is held twice"
    by_device: dict[str, list[int]] = {}
    for device, seq, _ in rows:
        by_device.setdefault(device, []).append(seq)
    for device, seqs in by_device.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"a gap in {device}'s sequence"
    union = set()
    for machine in machines:
        union |= {event_id for (event_id,) in machine.db.execute("SELECT event_id FROM events")}
    assert set(ids) == union
    assert verify(hub.admin_dsn, hub.password).ok
    checked = subprocess.run([sys.executable, "-m", "kiosk", "hub", "verify", "--hub", hub.admin_dsn],
                             env={**os.environ, "KIOSK_HUB_PASSWORD": hub.password}, capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent.parent, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    first = tables(machines[0].db)
    for machine in machines:
        assert tables(machine.db) == first, f"{machine.name}'s tables differ from {machines[0].name}'s"
        assert rebuilt(machine.db) == first, f"{machine.name}'s tables differ from its own log"
