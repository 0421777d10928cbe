"""What the sync tests and proofs share (a support module): a kiosk machine with its file and its hub login, and
what "the same tables" means across machines."""

from __future__ import annotations

from pathlib import Path

from kiosk.core import record as rules
from kiosk.hub import HubClient
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
    the projected tables, the heads and conflicts of each key, the sealed content, and the events themselves."""
    shown = {}
    for table in rules.TABLES:
        names = [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1] != "set_by"]
        shown[table] = sorted(db.execute(f"SELECT {', '.join(names)} FROM {table}").fetchall(), key=repr)
    shown["heads"] = sorted(db.execute("SELECT key, event_id, parents FROM heads").fetchall())
    shown["conflicts"] = sorted(db.execute("SELECT key, kept, lost, words FROM conflicts").fetchall())
    shown["sealed"] = sorted(db.execute("SELECT digest, blob FROM sealed").fetchall())
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

