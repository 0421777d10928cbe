"""Post-scene wellbeing check-ins: the IC's confidential records, and the content-free views of them.

The IC unlocks IC mode with a passphrase of their own (``unlock`` -> ``ICSession``, which holds the key derived
from it); every IC function takes that session.  What the IC writes (note, signposting, follow-up owner) is
sealed with that key (AES-GCM, bound to its row) before it reaches the database, so the file, its WAL and any
export hold only ciphertext.  Every opening of a sealed record is a row of the log (who, when, which person),
committed before the text is returned.  The production calls only ``overview`` and ``completion``: pending,
done or follow-up open, never a status or a word of what was said.

The passphrase is checked by opening a sealed known value: a guess costs a full scrypt derivation, and
nothing stored allows a cheaper test.  Every attempt (unlock, change) is a row of the log, committed before
that check (``kiosk.services.attempts``), so no guess goes unrecorded, however many run at once or however they
end; the next unlock tells the IC how many failed since their last one (``ICSession.failed_attempts``).
Erasing (purge, passphrase change) turns on ``secure_delete`` and checkpoints the WAL, so freed pages do not
keep the old ciphertext.
"""

from __future__ import annotations

import base64
import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.core import checkins as rules
from kiosk.core import text
from kiosk.core.checkins import Completion, Confidential, Status
from kiosk.core.secrets import KdfParams, SealBroken, derive_key, seal, unseal
from kiosk.services import ServiceError, checked, now
from kiosk.services.access import check_pin
from kiosk.services.attempts import Guard, attempt
from kiosk.services.lookup import get_scene, resolve_person
from kiosk.store import log
from kiosk.store.db import Store, write
from kiosk.store.queries import many, one, put_setting, setting

LOST_PASSPHRASE_WARNING = (
    "Only the IC knows this passphrase and nobody can recover it. If it is lost, every check-in note, "
    "signposting and follow-up owner is lost with it, for good (statuses and times stay). Keep it somewhere "
    "safe that only you can reach.")
SECRET_FIELDS = ("note", "signposting", "follow_up_owner")

_KDF, _CHECK = "ic_passphrase_kdf", "ic_passphrase_check"
_CHECK_TEXT, _CHECK_BINDING = b"closed-set-kiosk IC passphrase", b"ic-passphrase-check"
_ATTEMPTS = Guard(kind="ic_passphrase", counter="ic_passphrase_attempts")
_COLUMNS = """c.id, c.scene_id, c.person_id, s.ref AS scene, p.ref, p.name, p.kind, c.status, c.created_at,
              c.updated_at, c.checked_in_at, c.follow_up_due, c.follow_up_done_on, c.notes_read_at, c.purged_at"""
_FROM = "FROM checkins c JOIN scenes s ON s.id = c.scene_id JOIN people p ON p.id = c.person_id"


@dataclass(frozen=True)
class ICCheckin:
    """A check-in as the IC sees it: status and dates, and the sealed fields once opened (an audited read)."""

    id: int
    scene: str
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


class PassphraseRefused(ServiceError):
    """A wrong IC passphrase: nothing was read or changed."""


class ICSession:
    """IC mode, unlocked: the key derived from the passphrase and who is reading, for the audit.

    Keep it only while IC mode is open and ``lock()`` it on leaving.  A session stops working when the
    passphrase is changed (it would otherwise seal with a key nobody can derive any more).
    ``failed_attempts``: how many attempts at the passphrase failed since the last unlock before this one
    (wrong, or cut off mid-check) - show it to the IC.
    """

    def __init__(self, db: Store, key: bytes, kdf: str, reader: str, kiosk: str, failed_attempts: int = 0):
        self.db, self.reader, self.kiosk, self.failed_attempts = db, reader, kiosk, failed_attempts
        self._key: bytes | None = key
        self._kdf = kdf
        db.execute("PRAGMA secure_delete = ON")  # freed space is zeroed, not left holding old ciphertext

    @property
    def locked(self) -> bool:
        return self._key is None

    def lock(self) -> None:
        self._key = None

    def key(self) -> bytes:
        """The key, checked to be the one in use; call inside the write transaction that uses it."""
        if self._key is None:
            raise ServiceError("IC mode is locked - unlock it with the IC passphrase.")
        if setting(self.db, _KDF) != self._kdf:
            raise ServiceError("The IC passphrase was changed since IC mode was unlocked - unlock again.")
        return self._key


def _today() -> date:
    return datetime.now().astimezone().date()


def _reader(name: str) -> str:
    name = checked(text.line, name, "reader's name")
    if not name:
        raise ServiceError("Say who is reading, for the audit (your name).")
    return name


def _binding(row: dict) -> bytes:
    return f"checkin:{row['id']}:scene:{row['scene_id']}:person:{row['person_id']}".encode()


def _open(key: bytes, row: dict) -> bytes:
    try:
        return unseal(key, row["sealed"], _binding(row))
    except SealBroken:
        raise ServiceError(f"The check-in record {row['id']} cannot be opened: it was altered or moved in the "
                           "database file. Nothing was changed.") from None


# --- the passphrase -------------------------------------------------------------------------------------------

def passphrase_is_set(db: Store) -> bool:
    return setting(db, _KDF) is not None


def _new_key(passphrase: str) -> tuple[bytes, str, str]:
    """A key from a fresh salt, its parameters, and the sealed known value that checks it (slow)."""
    checked(rules.check_passphrase, passphrase)
    params = KdfParams.fresh()
    key = derive_key(passphrase, params)
    return key, params.encode(), base64.b64encode(seal(key, _CHECK_TEXT, _CHECK_BINDING)).decode()


def _store_key(db: Store, kdf: str, check: str) -> None:
    put_setting(db, _KDF, kdf)
    put_setting(db, _CHECK, check)


def _key_of(db: Store, passphrase: str, reader: str, kiosk: str, via: str) -> tuple[bytes, str, int]:
    """The key ``passphrase`` derives, the parameters it was derived with, and how many attempts failed since the
    last right one; ``PassphraseRefused`` if it is wrong (slow).  The attempt is on record before the check."""
    kdf, check = setting(db, _KDF), setting(db, _CHECK)
    if kdf is None or check is None:
        raise ServiceError("No IC passphrase is set yet: the intimacy coordinator sets one first "
                           "(`kiosk checkins passphrase`).")
    with attempt(db, _ATTEMPTS, kiosk, PassphraseRefused, by=reader, via=via) as tried:
        key = derive_key(passphrase, KdfParams.decode(kdf))
        try:
            unseal(key, base64.b64decode(check), _CHECK_BINDING)
        except SealBroken:
            raise PassphraseRefused("Wrong IC passphrase - nothing was read or changed; the attempt is "
                                    "recorded.") from None
    return key, kdf, tried.failed_before


def set_passphrase(db: Store, passphrase: str, reader: str, kiosk: str) -> ICSession:
    """The IC sets their passphrase the first time; show ``LOST_PASSPHRASE_WARNING`` before asking for it."""
    reader = _reader(reader)
    if passphrase_is_set(db):
        raise ServiceError("An IC passphrase is set already: change it with the current one.")
    key, kdf, check = _new_key(passphrase)  # slow: before taking the write lock
    with write(db):
        if passphrase_is_set(db):
            raise ServiceError("An IC passphrase was set meanwhile on another kiosk; nothing was changed.")
        _store_key(db, kdf, check)
        log.append(db, at=now(), kiosk=kiosk, kind="ic_passphrase", detail={"event": "set", "by": reader})
    return ICSession(db, key, kdf, reader, kiosk)


def unlock(db: Store, passphrase: str, reader: str, kiosk: str) -> ICSession:
    """Open IC mode; ``PassphraseRefused`` for a wrong passphrase.  Either way the attempt is a row of the log;
    the session says how many attempts failed since the last unlock (``failed_attempts``)."""
    reader = _reader(reader)
    key, kdf, failed = _key_of(db, passphrase, reader, kiosk, "unlock")
    return ICSession(db, key, kdf, reader, kiosk, failed)


def change_passphrase(db: Store, current: str, new: str, reader: str, kiosk: str) -> ICSession:
    """Re-seal every check-in under the new passphrase in one transaction; the old one opens nothing after."""
    reader = _reader(reader)
    if new == current:
        raise ServiceError("The new IC passphrase is the same as the current one; nothing was changed.")
    checked(rules.check_passphrase, new)  # before the slow check of the current one
    old_key, old_kdf, failed = _key_of(db, current, reader, kiosk, "change")
    key, kdf, check = _new_key(new)
    session = ICSession(db, key, kdf, reader, kiosk, failed)
    with write(db):
        if setting(db, _KDF) != old_kdf:
            raise ServiceError("The IC passphrase was changed meanwhile on another kiosk; nothing was changed.")
        rows = many(db, "SELECT id, scene_id, person_id, sealed FROM checkins WHERE sealed IS NOT NULL")
        for row in rows:
            db.execute("UPDATE checkins SET sealed = ? WHERE id = ?",
                       [seal(key, _open(old_key, row), _binding(row)), row["id"]])
        _store_key(db, kdf, check)
        log.append(db, at=now(), kiosk=kiosk, kind="ic_passphrase",
                   detail={"event": "changed", "by": reader, "resealed": len(rows)})
    _checkpoint(db)
    return session


def reset_lost_passphrase(db: Store, new: str, supervisor_pin: str, reader: str, kiosk: str) -> ICSession:
    """The passphrase is lost: erase every sealed record for good and set a new passphrase.

    Needs the supervisor PIN, so that nobody erases the IC's records on a whim; statuses and times stay.
    """
    reader = _reader(reader)
    if not passphrase_is_set(db):
        raise ServiceError("No IC passphrase is set yet: set one instead.")
    check_pin(db, supervisor_pin, kiosk)
    key, kdf, check = _new_key(new)
    session = ICSession(db, key, kdf, reader, kiosk)
    with write(db):
        at = now()
        erased = _erase(db, many(db, "SELECT id, scene_id, person_id FROM checkins WHERE sealed IS NOT NULL"),
                        at, kiosk, {"by": reader, "why": "IC passphrase lost"})
        _store_key(db, kdf, check)
        log.append(db, at=at, kiosk=kiosk, kind="ic_passphrase",
                   detail={"event": "reset", "by": reader, "erased": erased})
    _checkpoint(db)
    return session


# --- recording ------------------------------------------------------------------------------------------------

def _row(db: Store, checkin_id: int) -> dict:
    return one(db, f"SELECT {_COLUMNS}, c.sealed {_FROM} WHERE c.id = ?", [checkin_id])


def _find(db: Store, scene_ref: str, person: str) -> tuple[dict, dict, dict | None]:
    """The scene, the person, and their check-in for that scene (None when there is none)."""
    scene = get_scene(db, scene_ref)
    found = resolve_person(db, person)
    row = one(db, "SELECT id FROM checkins WHERE scene_id = ? AND person_id = ?", [scene["id"], found["id"]])
    return scene, found, _row(db, row["id"]) if row else None


def _existing(db: Store, scene_ref: str, person: str) -> dict:
    scene, found, row = _find(db, scene_ref, person)
    if row is None:
        raise ServiceError(f"{found['name']} has no check-in for scene {scene['ref']}.")
    return row


def _open_one(db: Store, scene_id: int, person_id: int, kiosk: str, at: str, by: str) -> int:
    checkin_id = db["checkins"].insert({"scene_id": scene_id, "person_id": person_id, "status": str(Status.PENDING),
                                        "created_at": at, "updated_at": at}).last_pk
    log.append(db, at=at, kiosk=kiosk, kind="checkin_opened", scene_id=scene_id, person_id=person_id,
               detail={"by": by})
    return checkin_id


def open_pending(db: Store, scene: dict, kiosk: str, at: str) -> int:
    """A pending check-in for each performer of ``scene`` who has none; runs inside the lift's transaction."""
    performers = many(db, """SELECT person_id FROM performers WHERE scene_id = ?
                             AND person_id NOT IN (SELECT person_id FROM checkins WHERE scene_id = ?)""",
                      [scene["id"], scene["id"]])
    for performer in performers:
        _open_one(db, scene["id"], performer["person_id"], kiosk, at, by="lift")
    return len(performers)


def _ic_row(row: dict) -> ICCheckin:
    """A check-in as the IC's list shows it: the status and dates, no sealed text."""
    return ICCheckin(
        id=row["id"], scene=row["scene"], ref=row["ref"], name=row["name"], kind=row["kind"], status=row["status"],
        status_words=rules.STATUS_WORDS[Status(row["status"])],
        state=str(rules.state_of(row["status"], row["follow_up_due"], row["follow_up_done_on"])),
        created_at=row["created_at"], checked_in_at=row["checked_in_at"], updated_at=row["updated_at"],
        follow_up_due=row["follow_up_due"], follow_up_done_on=row["follow_up_done_on"],
        notes_read_at=row["notes_read_at"], purged_at=row["purged_at"])


def add(session: ICSession, scene_ref: str, person: str) -> ICCheckin:
    """A pending check-in for anyone (crew too) on this scene; the existing one if they have one."""
    db = session.db
    with write(db):
        session.key()
        scene, found, row = _find(db, scene_ref, person)
        if row is None:
            row = _row(db, _open_one(db, scene["id"], found["id"], session.kiosk, now(), by=session.reader))
    return _ic_row(row)


def check_entry(status: Status | str, note: str = "", signposting: str = "", follow_up_owner: str = "",
                due: str | date | None = None) -> rules.Entry:
    """The IC's input checked as ``record`` checks it (``ServiceError`` saying what to fix), to ask before
    unlocking or writing anything."""
    return checked(rules.check_entry, str(status), _today(), note, signposting, follow_up_owner, due)


def record(session: ICSession, scene_ref: str, person: str, status: Status | str, note: str = "",
           signposting: str = "", follow_up_owner: str = "", due: str | date | None = None) -> ICCheckin:
    """Record (or re-record, replacing the whole record) one person's check-in for a scene.

    The note, signposting and follow-up owner are sealed; the log row says only who recorded it and the
    state the production sees.  A person without a pending check-in is added first.
    """
    entry = check_entry(status, note, signposting, follow_up_owner, due)
    db = session.db
    with write(db):
        key = session.key()
        scene, found, row = _find(db, scene_ref, person)
        at = now()
        if row is None:
            row = _row(db, _open_one(db, scene["id"], found["id"], session.kiosk, at, by=session.reader))
        db.execute("""UPDATE checkins SET status = ?, checked_in_at = ?, updated_at = ?, follow_up_due = ?,
                      follow_up_done_on = NULL, purged_at = NULL, sealed = ? WHERE id = ?""",
                   [str(entry.status), at, at, entry.follow_up_due and entry.follow_up_due.isoformat(),
                    seal(key, entry.confidential.to_bytes(), _binding(row)), row["id"]])
        log.append(db, at=at, kiosk=session.kiosk, kind="checkin", scene_id=scene["id"], person_id=found["id"],
                   detail={"by": session.reader, "state": str(entry.state)})
        return _ic_row(_row(db, row["id"]))


# --- reading (every opening audited) ------------------------------------------------------------------------

def _read(session: ICSession, key: bytes, rows: list[dict],
          fields: tuple[str, ...] = SECRET_FIELDS) -> list[ICCheckin]:
    """The rows with their sealed ``fields`` opened, each opening a log row; inside the caller's write()."""
    at, shown = now(), []
    for row in rows:
        item = _ic_row(row)
        if row["sealed"] is not None:  # else pending, or erased by a purge: nothing to read
            secret = Confidential.from_bytes(_open(key, row))
            item = dataclasses.replace(item, **{name: getattr(secret, name) for name in fields})
            session.db.execute("UPDATE checkins SET notes_read_at = ? WHERE id = ?", [at, row["id"]])
            log.append(session.db, at=at, kiosk=session.kiosk, kind="checkin_read", scene_id=row["scene_id"],
                       person_id=row["person_id"], detail={"by": session.reader, "read": list(fields)})
        shown.append(item)
    return shown


def read_notes(session: ICSession, scene_ref: str, person: str) -> ICCheckin:
    """One person's check-in with its note, signposting and follow-up owner; the read is logged first."""
    with write(session.db):
        key = session.key()
        return _read(session, key, [_existing(session.db, scene_ref, person)])[0]


def _rows(db: Store, scene_ref: str | None, sealed: bool = False) -> list[dict]:
    where, params = ("WHERE c.scene_id = ?", [get_scene(db, scene_ref)["id"]]) if scene_ref else ("", [])
    return many(db, f"SELECT {_COLUMNS}{', c.sealed' if sealed else ''} {_FROM} {where} "
                    "ORDER BY s.ref, p.name COLLATE NOCASE", params)


def ic_list(session: ICSession, scene_ref: str | None = None) -> list[ICCheckin]:
    """The IC's list: each check-in's status and dates, without opening anything (so not audited)."""
    session.key()
    return [_ic_row(row) for row in _rows(session.db, scene_ref)]


def notes(session: ICSession, scene_ref: str | None = None) -> list[ICCheckin]:
    """Every check-in (of one scene, or all) with its sealed text opened; one log row per record opened."""
    with write(session.db):
        key = session.key()
        return _read(session, key, _rows(session.db, scene_ref, sealed=True))


# --- follow-ups ------------------------------------------------------------------------------------------------

def follow_ups(session: ICSession) -> list[ICCheckin]:
    """Every follow-up across scenes: open ones first (soonest due first), then done ones (latest first).

    Opens the follow-up owner of each (audited, like any opening); the note and signposting stay sealed.
    """
    db = session.db
    with write(db):
        key = session.key()
        rows = many(db, f"""SELECT {_COLUMNS}, c.sealed {_FROM} WHERE c.follow_up_due IS NOT NULL
                            ORDER BY c.follow_up_done_on IS NOT NULL,
                                     CASE WHEN c.follow_up_done_on IS NULL THEN c.follow_up_due END,
                                     c.follow_up_done_on DESC, s.ref, p.name COLLATE NOCASE""")
        listed = _read(session, key, rows, fields=("follow_up_owner",))
    today = _today().isoformat()
    return [dataclasses.replace(item, overdue=item.follow_up_open and (item.follow_up_due or "") < today)
            for item in listed]


def mark_follow_up_done(session: ICSession, scene_ref: str, person: str, on: str | None = None) -> ICCheckin:
    """Close a person's follow-up for a scene, done on ``on`` (YYYY-MM-DD; today when not given)."""
    db = session.db
    with write(db):
        session.key()
        row = _existing(db, scene_ref, person)
        if row["follow_up_due"] is None:
            raise ServiceError(f"{row['name']} has no follow-up for scene {row['scene']}.")
        if row["follow_up_done_on"]:
            raise ServiceError(f"The follow-up of {row['name']} for scene {row['scene']} was done on "
                               f"{row['follow_up_done_on']} already.")
        opened_on = datetime.fromisoformat(row["created_at"]).astimezone().date()
        done = checked(rules.parse_done, on, _today(), opened_on).isoformat()
        at = now()
        db.execute("UPDATE checkins SET follow_up_done_on = ?, updated_at = ? WHERE id = ?", [done, at, row["id"]])
        log.append(db, at=at, kiosk=session.kiosk, kind="follow_up_done", scene_id=row["scene_id"],
                   person_id=row["person_id"], detail={"by": session.reader, "on": done})
        return _ic_row(_row(db, row["id"]))


# --- retention -------------------------------------------------------------------------------------------------

def _erase(db: Store, rows: list[dict], at: str, kiosk: str, detail: dict) -> int:
    for row in rows:
        db.execute("UPDATE checkins SET sealed = NULL, purged_at = ? WHERE id = ?", [at, row["id"]])
        log.append(db, at=at, kiosk=kiosk, kind="checkin_purged", scene_id=row["scene_id"],
                   person_id=row["person_id"], detail=detail)
    return len(rows)


def _checkpoint(db: Store) -> bool:
    """Copy the WAL into the file and empty it, so no old page survives there; False if a reader held it."""
    busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return busy == 0


def purge(session: ICSession, older_than: str) -> dict:
    """Erase for good the sealed text of check-ins last changed longer ago than ``older_than`` (``30d``, ``12w``).

    Open follow-ups are kept until done.  Statuses and times stay for the record; each erasure is logged.
    """
    period = checked(rules.parse_period, older_than)
    db = session.db
    with write(db):
        session.key()
        at = now()
        cutoff = (datetime.fromisoformat(at) - period).isoformat(timespec="microseconds")
        old = many(db, """SELECT id, scene_id, person_id, follow_up_due, follow_up_done_on FROM checkins
                          WHERE sealed IS NOT NULL AND updated_at < ?""", [cutoff])
        due = [row for row in old if not rules.follow_up_open(row["follow_up_due"], row["follow_up_done_on"])]
        erased = _erase(db, due, at, session.kiosk,
                        {"by": session.reader, "older_than": rules.format_period(period)})
    return {"erased": erased, "kept_open_follow_ups": len(old) - len(due), "older_than": rules.format_period(period),
            "cutoff": cutoff, "wal_emptied": _checkpoint(db)}


# --- what the production sees ---------------------------------------------------------------------------------

def overview(db: Store, scene_ref: str | None = None) -> list[CheckinState]:
    """Check-ins as the AD, the door screen and reports see them: who, and pending / done / follow-up open."""
    return [CheckinState(row["scene"], row["ref"], row["name"], row["kind"],
                         str(rules.state_of(row["status"], row["follow_up_due"], row["follow_up_done_on"])),
                         row["updated_at"]) for row in _rows(db, scene_ref)]


def pending_names(db: Store, scene: dict) -> list[str]:
    """Who still has a pending check-in for ``scene``: names only, as the lift shows the AD."""
    return [name for (name,) in db.execute(
        "SELECT p.name FROM checkins c JOIN people p ON p.id = c.person_id WHERE c.scene_id = ? "
        "AND c.status = 'pending' ORDER BY p.name COLLATE NOCASE", [scene["id"]])]


def completion(db: Store, scene_ref: str | None = None) -> Completion:
    """How many check-ins are pending, done, and done with a follow-up still open (of one scene, or all).

    Counted by SQL per distinct (status, due, done) - a few dozen groups - and sorted into states by the core.
    """
    where, params = ("WHERE scene_id = ?", [get_scene(db, scene_ref)["id"]]) if scene_ref else ("", [])
    counts: Counter = Counter()
    for status, due, done_on, count in db.execute(
            f"SELECT status, follow_up_due, follow_up_done_on, COUNT(*) FROM checkins {where} GROUP BY 1, 2, 3",
            params):
        counts[rules.state_of(status, due, done_on)] += count
    return Completion(pending=counts[rules.State.PENDING], done=counts[rules.State.DONE],
                      follow_up_open=counts[rules.State.FOLLOW_UP_OPEN])
