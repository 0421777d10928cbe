"""Post-scene wellbeing check-ins: the IC's confidential records, and the content-free views of them.

Every IC function takes the ``ICSession`` that unlocking IC mode made (``kiosk.services.ic_session``).  What the
IC writes (note, signposting, follow-up owner) is sealed with the session's key (AES-GCM, bound to its check-in)
before it reaches the database, so the file, its WAL, any export and the hub hold only ciphertext.  Every
opening of a sealed record is an event (who, when, which person), committed before the text is returned.  The
production calls only ``overview``, ``completion`` and ``pending_names``: pending, done or follow-up open, never
a status or a word of what was said.

A check-in belongs to one run of a closed set: a set reopened and lifted again opens new ones.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.core import checkins as rules
from kiosk.core import record as events
from kiosk.core.checkins import Completion, Confidential, Status
from kiosk.core.secrets import seal
from kiosk.services import ServiceError, checked
from kiosk.services.ic_session import (
    LOST_PASSPHRASE_WARNING,
    ICSession,
    PassphraseRefused,
    open_sealed,
    passphrase_is_set,
    set_passphrase,
    store_sealed,
    unlock,
)
from kiosk.services.lookup import get_scene, resolve_person
from kiosk.store.db import Store, write
from kiosk.store.queries import many, one
from kiosk.store.record import record as record_event

__all__ = ["LOST_PASSPHRASE_WARNING", "ICSession", "PassphraseRefused", "passphrase_is_set", "set_passphrase", "unlock"]
SECRET_FIELDS = ("note", "signposting", "follow_up_owner")
COLUMNS = """c.scene, c.run, c.person, p.ref, p.name, p.kind, c.status, c.created_at, c.updated_at,
              c.checked_in_at, c.follow_up_due, c.follow_up_done_on, c.notes_read_at, c.purged_at, c.sealed,
              c.binding, c.source_key, c.offered"""
FROM = "FROM checkins c JOIN people p ON p.ref = c.person"


@dataclass(frozen=True)
class ICCheckin:
    """A check-in as the IC sees it: status and dates, and the sealed fields once opened (an audited read)."""

    id: str  # the check-in's key in the record: scene, run and person
    scene: str
    run: int
    ref: str
    name: str
    kind: str
    status: str
    status_words: str
    state: str
    created_at: str
    checked_in_at: str | None
    updated_at: str
    follow_up_due: str | None
    follow_up_done_on: str | None
    notes_read_at: str | None
    purged_at: str | None
    note: str | None = None  # the sealed fields: None until opened (or when there is nothing to open)
    signposting: str | None = None
    follow_up_owner: str | None = None
    overdue: bool = False  # a follow-up still open after its due date

    @property
    def follow_up_open(self) -> bool:
        return rules.follow_up_open(self.follow_up_due, self.follow_up_done_on)


@dataclass(frozen=True)
class CheckinState:
    """A check-in as the production sees it: who, and pending / done / follow-up open; never what was said."""

    scene: str
    ref: str
    name: str
    kind: str
    state: str
    updated_at: str


def _today() -> date:
    return datetime.now().astimezone().date()


def _ic_row(row: dict) -> ICCheckin:
    """A check-in as the IC's list shows it: the status and dates, no sealed text."""
    return ICCheckin(
        id=row["source_key"],
        scene=row["scene"],
        run=row["run"],
        ref=row["ref"],
        name=row["name"],
        kind=row["kind"],
        status=row["status"],
        status_words=rules.STATUS_WORDS[Status(row["status"])],
        state=str(rules.state_of(row["status"], row["follow_up_due"], row["follow_up_done_on"], bool(row["offered"]))),
        created_at=row["created_at"],
        checked_in_at=row["checked_in_at"],
        updated_at=row["updated_at"],
        follow_up_due=row["follow_up_due"],
        follow_up_done_on=row["follow_up_done_on"],
        notes_read_at=row["notes_read_at"],
        purged_at=row["purged_at"],
    )


def _row(db: Store, key: str) -> dict:
    found = one(db, f"SELECT {COLUMNS} {FROM} WHERE c.source_key = ?", [key])
    assert found is not None
    return found


def _find(db: Store, scene_ref: str, person: str) -> tuple[dict, dict, dict | None]:
    """The scene, the person, and their latest check-in for that scene (None when there is none)."""
    scene = get_scene(db, scene_ref)
    found = resolve_person(db, person)
    row = one(
        db,
        f"SELECT {COLUMNS} {FROM} WHERE c.scene = ? AND c.person = ? ORDER BY c.run DESC LIMIT 1",
        [scene["ref"], found["ref"]],
    )
    return scene, found, row


def _existing(db: Store, scene_ref: str, person: str) -> dict:
    scene, found, row = _find(db, scene_ref, person)
    if row is None:
        raise ServiceError(f"{found['name']} has no check-in for scene {scene['ref']}.")
    return row


def change(db: Store, kiosk: str, type: str, row: dict, **body) -> None:
    record_event(
        db,
        kiosk,
        type,
        events.checkin_key(row["scene"], row["run"], row["person"]),
        {"scene": row["scene"], "run": row["run"], "person": row["person"], **body},
    )


def _open_one(db: Store, scene: dict, person: str, kiosk: str, by: str, offered: bool = False) -> dict:
    base = {"scene": scene["ref"], "run": scene["run"], "person": person}
    change(db, kiosk, events.CHECKIN_OPENED, base, by=by, **({"offered": True} if offered else {}))
    return _row(db, events.checkin_key(scene["ref"], scene["run"], person))


def open_pending(db: Store, scene: dict, kiosk: str) -> int:
    """A pending check-in for each performer of ``scene`` who has none for this run; inside the lift."""
    performers = [
        person
        for (person,) in db.execute(
            "SELECT person FROM performers WHERE scene = ? AND person NOT IN "
            "(SELECT person FROM checkins WHERE scene = ? AND run = ?) ORDER BY person",
            [scene["ref"], scene["ref"], scene["run"]],
        )
    ]
    for person in performers:
        _open_one(db, scene, person, kiosk, by="lift")
    return len(performers)


def add(session: ICSession, scene_ref: str, person: str) -> ICCheckin:
    """A pending check-in for anyone (crew too) on this scene; the existing one if they have one."""
    db = session.db
    with write(db):
        session.key()
        scene, found, row = _find(db, scene_ref, person)
        if row is None:
            row = _open_one(db, scene, found["ref"], session.kiosk, by=session.reader)
        return _ic_row(row)


def check_entry(
    status: Status | str,
    note: str = "",
    signposting: str = "",
    follow_up_owner: str = "",
    due: str | date | None = None,
) -> rules.Entry:
    """The IC's input checked as ``record`` checks it (``ServiceError`` saying what to fix), to ask before
    unlocking or writing anything."""
    return checked(rules.check_entry, str(status), _today(), note, signposting, follow_up_owner, due)


def record(
    session: ICSession,
    scene_ref: str,
    person: str,
    status: Status | str,
    note: str = "",
    signposting: str = "",
    follow_up_owner: str = "",
    due: str | date | None = None,
) -> ICCheckin:
    """Record (or re-record, replacing the whole record) one person's check-in for a scene.

    The note, signposting and follow-up owner are sealed; the event says only who recorded it and the state
    the production sees.  A person without a check-in is added first.
    """
    entry = check_entry(status, note, signposting, follow_up_owner, due)
    db = session.db
    with write(db):
        key = session.key()
        scene, found, row = _find(db, scene_ref, person)
        if row is None:
            row = _open_one(db, scene, found["ref"], session.kiosk, by=session.reader)
        digest = store_sealed(
            db,
            seal(key, entry.confidential.to_bytes(), f"checkin/{row['scene']}/{row['run']}/{row['person']}".encode()),
        )
        change(
            db,
            session.kiosk,
            events.CHECKIN_RECORDED,
            row,
            by=session.reader,
            status=str(entry.status),
            follow_up_due=entry.follow_up_due and entry.follow_up_due.isoformat(),
            sealed=digest,
            state=str(entry.state),
        )
        return _ic_row(_row(db, row["source_key"]))


# --- reading (every opening audited) ------------------------------------------------------------------------


def _read(session: ICSession, key: bytes, rows: list[dict], fields: tuple[str, ...] = SECRET_FIELDS) -> list[ICCheckin]:
    """The rows with their sealed ``fields`` opened, each opening an event; inside the caller's write()."""
    shown = []
    for row in rows:
        item = _ic_row(row)
        text = open_sealed(session.db, key, row)
        if text is not None:  # else pending, or erased by a purge: nothing to read
            secret = Confidential.from_bytes(text)
            item = dataclasses.replace(item, **{name: getattr(secret, name) for name in fields})
            change(session.db, session.kiosk, events.CHECKIN_READ, row, by=session.reader, read=list(fields))
        shown.append(item)
    return shown


def read_notes(session: ICSession, scene_ref: str, person: str) -> ICCheckin:
    """One person's check-in with its note, signposting and follow-up owner; the read is on record first."""
    with write(session.db):
        key = session.key()
        return _read(session, key, [_existing(session.db, scene_ref, person)])[0]


def _rows(db: Store, scene_ref: str | None) -> list[dict]:
    where, params = ("WHERE c.scene = ?", [get_scene(db, scene_ref)["ref"]]) if scene_ref else ("", [])
    return many(db, f"SELECT {COLUMNS} {FROM} {where} ORDER BY c.scene, c.run, p.name COLLATE NOCASE", params)


def ic_list(session: ICSession, scene_ref: str | None = None) -> list[ICCheckin]:
    """The IC's list: each check-in's status and dates, without opening anything (so not audited)."""
    session.key()
    return [_ic_row(row) for row in _rows(session.db, scene_ref)]


def notes(session: ICSession, scene_ref: str | None = None) -> list[ICCheckin]:
    """Every check-in (of one scene, or all) with its sealed text opened; one event per record opened."""
    with write(session.db):
        key = session.key()
        return _read(session, key, _rows(session.db, scene_ref))


# --- follow-ups ------------------------------------------------------------------------------------------------


def follow_ups(session: ICSession) -> list[ICCheckin]:
    """Every follow-up across scenes: open ones first (soonest due first), then done ones (latest first).

    Opens the follow-up owner of each (audited, like any opening); the note and signposting stay sealed.
    """
    db = session.db
    with write(db):
        key = session.key()
        rows = many(
            db,
            f"""SELECT {COLUMNS} {FROM} WHERE c.follow_up_due IS NOT NULL
                            ORDER BY c.follow_up_done_on IS NOT NULL,
                                     CASE WHEN c.follow_up_done_on IS NULL THEN c.follow_up_due END,
                                     c.follow_up_done_on DESC, c.scene, p.name COLLATE NOCASE""",
        )
        listed = _read(session, key, rows, fields=("follow_up_owner",))
    today = _today().isoformat()
    return [
        dataclasses.replace(item, overdue=item.follow_up_open and (item.follow_up_due or "") < today) for item in listed
    ]


def mark_follow_up_done(session: ICSession, scene_ref: str, person: str, on: str | None = None) -> ICCheckin:
    """Close a person's follow-up for a scene, done on ``on`` (YYYY-MM-DD; today when not given)."""
    db = session.db
    with write(db):
        session.key()
        row = _existing(db, scene_ref, person)
        if row["follow_up_due"] is None:
            raise ServiceError(f"{row['name']} has no follow-up for scene {row['scene']}.")
        if row["follow_up_done_on"]:
            raise ServiceError(
                f"The follow-up of {row['name']} for scene {row['scene']} was done on "
                f"{row['follow_up_done_on']} already."
            )
        opened_on = datetime.fromisoformat(row["created_at"]).astimezone().date()
        done = checked(rules.parse_done, on, _today(), opened_on).isoformat()
        change(db, session.kiosk, events.FOLLOW_UP_DONE, row, by=session.reader, on=done)
        return _ic_row(_row(db, row["source_key"]))


# --- what the production sees ---------------------------------------------------------------------------------


def overview(db: Store, scene_ref: str | None = None) -> list[CheckinState]:
    """Check-ins as the AD, the door screen and reports see them: who, and pending / done / follow-up open."""
    return [
        CheckinState(
            row["scene"],
            row["ref"],
            row["name"],
            row["kind"],
            str(rules.state_of(row["status"], row["follow_up_due"], row["follow_up_done_on"], bool(row["offered"]))),
            row["updated_at"],
        )
        for row in _rows(db, scene_ref)
    ]


def pending_names(db: Store, scene: dict) -> list[str]:
    """Who still has a pending check-in for ``scene``: names only, as the lift shows the AD."""
    return [
        name
        for (name,) in db.execute(
            "SELECT p.name FROM checkins c JOIN people p ON p.ref = c.person WHERE c.scene = ? "
            "AND c.status = 'pending' AND c.offered = 0 ORDER BY p.name COLLATE NOCASE",
            [scene["ref"]],
        )
    ]


def completion(db: Store, scene_ref: str | None = None) -> Completion:
    """How many check-ins are pending, offered, done, and done with a follow-up still open (of one scene, or
    all).

    Counted by SQL per distinct (status, due, done) - a few dozen groups - and sorted into states by the core.
    """
    where, params = ("WHERE scene = ?", [get_scene(db, scene_ref)["ref"]]) if scene_ref else ("", [])
    counts: Counter = Counter()
    for status, due, done_on, offered, count in db.execute(
        f"SELECT status, follow_up_due, follow_up_done_on, offered, COUNT(*) FROM checkins {where} GROUP BY 1, 2, 3, 4",
        params,
    ):
        counts[rules.state_of(status, due, done_on, bool(offered))] += count
    return Completion(
        pending=counts[rules.State.PENDING],
        done=counts[rules.State.DONE],
        follow_up_open=counts[rules.State.FOLLOW_UP_OPEN],
        offered=counts[rules.State.OFFERED],
    )
