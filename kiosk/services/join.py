"""A new kiosk built from the hub: a second door, a spare, the production office.

Everything the hub holds comes into a new file: the roster, the badges (their digests), the scenes, the approved
lists, the check-ins (sealed: the IC opens them with the same passphrase) and the whole record.  The kiosk keeps
its own device id; a spare taking over as the door goes on as itself.  The file is built under a temporary
name beside where it goes and put in place only once the audit passes: a join that fails leaves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.hub import HubClient
from kiosk.services import ServiceError
from kiosk.services import audit as auditing
from kiosk.services.lookup import get_production
from kiosk.services.sync import BATCH, Clock, sync_once, utc_now
from kiosk.store import backup as files
from kiosk.store import connect


@dataclass(frozen=True)
class Joined:
    path: Path
    device: str
    production: str
    events: int
    people: int
    active_badges: int
    scenes: int
    anchor: str  # the audit's anchor of the new file


def join(
    path: Path, dsn: str, kiosk: str, password: str | None = None, *, batch: int = BATCH, clock: Clock = utc_now
) -> Joined:
    """Build the kiosk file ``path`` (which must not exist) from the hub, as device ``kiosk`` (the hub login's).

    Raises ``ServiceError`` (the file exists, the hub holds no production, the record does not verify),
    ``HubError``, ``StoreError``.
    """
    path = Path(path)
    if path.exists() or Path(f"{path}-wal").exists():
        raise ServiceError(
            f"{path} exists already: a kiosk joins into a new file. Nothing was changed - give another --db."
        )
    if not path.parent.is_dir():
        raise ServiceError(f"{path.parent} is not a folder: make it first, or give another --db.")
    temp = files.temporary(path)
    try:
        db = connect(temp, create=True, device=kiosk)
        try:
            with HubClient(dsn, password) as client:
                synced = sync_once(db, client, kiosk, batch=batch, clock=clock)
            production = get_production_or_refuse(db)
            checked = auditing.check(db)
            if not checked.ok:
                raise ServiceError(
                    f"The record built from the hub does not verify ({checked.result.problem}). "
                    "Nothing was kept; the hub's administrator should run `kiosk hub verify`."
                )
            counts = db.execute(
                "SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM badges WHERE "
                "status = 'active'), (SELECT count(*) FROM scenes)"
            ).fetchone()
            files.single_file(db)
        finally:
            db.close()
        try:
            files.place(temp, path, replace=False)
        except FileExistsError:
            raise ServiceError(f"{path} appeared while the kiosk was joining: nothing was changed there.") from None
    finally:
        files.discard(temp)
    people, active_badges, scenes = counts
    return Joined(path, kiosk, production, synced.pulled, people, active_badges, scenes, checked.log.anchor)


def get_production_or_refuse(db) -> str:
    try:
        return get_production(db)["name"]
    except ServiceError:
        raise ServiceError(
            "The hub holds no production yet: sync the kiosk that made it first (`kiosk sync` there). Nothing was kept."
        ) from None
