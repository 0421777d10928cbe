"""Confidential post-scene check-ins: the rules, the sealing, and what reaches the disk, the log and the AD."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.cli import plain
from kiosk.core import checkins as rules
from kiosk.core.checkins import CheckinRuleError, Completion, Confidential, State, Status
from kiosk.core.secrets import SCRYPT_N, KdfParams, SealBroken, seal, unseal
from kiosk.services import ServiceError, access, retention, scenes
from kiosk.services import checkins as service
from kiosk.services.lift import lift
from kiosk.store import audit, connect
from kiosk.store.queries import many, one
from tests.support import KIOSK

PASSPHRASE = "tangerine orbit lantern velvet"
NOTE = "Zoë felt rushed during take 3 - ZEBRA-PAPAYA-7431 ☂"
SIGNPOSTING = "Equity helpline, production counsellor KUMQUAT-5518"
OWNER = "Amara Mensah (IC) QUINCE-2290"
SECRETS = (NOTE, SIGNPOSTING, OWNER)
TOKENS = ("ZEBRA-PAPAYA-7431", "KUMQUAT-5518", "QUINCE-2290")  # one distinctive word of each
SOON = (date.today() + timedelta(days=7)).isoformat()


@pytest.fixture
def ic(crew, db, cheap_kdf):
    """The IC's unlocked session on the demo production."""
    return service.set_passphrase(db, PASSPHRASE, "Amara Mensah", KIOSK)


def raw_bytes(db_path) -> bytes:
    """The database file and its write-ahead log, as an attacker who copies them would have them."""
    wal = db_path.with_name(db_path.name + "-wal")
    return db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def events_of(db, type: str, key: str | None = None) -> list[dict]:
    """The events of ``type`` (of ``key``), oldest first: who made them, when, and their body."""
    rows = many(db, "SELECT device, at, person, payload FROM events WHERE type = ? AND key LIKE ? ORDER BY id",
                [type, key or "%"])
    return [{**row, "body": json.loads(row.pop("payload"))["body"]} for row in rows]


def snapshot(db) -> tuple:
    return (many(db, "SELECT * FROM checkins ORDER BY scene, run, person"),
            many(db, "SELECT * FROM settings ORDER BY key"), one(db, "SELECT seq, hash FROM chains WHERE device = ''"))


def blobs(db) -> list[bytes]:
    return [row["blob"] for row in many(db, "SELECT s.blob FROM checkins c JOIN sealed s ON s.digest = c.sealed "
                                            "ORDER BY c.person")]


# --- the pure rules -------------------------------------------------------------------------------------------

@given(st.integers(1, 500), st.sampled_from(["d", "w", "D", "W"]), st.sampled_from(["", " "]))
def test_period_parses_days_and_weeks(amount, unit, space):
    days = amount * (7 if unit.lower() == "w" else 1)
    period = rules.parse_period(f"{amount}{space}{unit}")
    assert period == timedelta(days=days)
    assert rules.parse_period(rules.format_period(period)) == period


@given(st.text(max_size=12))
def test_period_refuses_anything_else_cleanly(text):
    try:
        period = rules.parse_period(text)
    except CheckinRuleError:
        return
    assert timedelta(days=1) <= period <= timedelta(days=rules.PERIOD_MAX_DAYS)


@pytest.mark.parametrize("text", ["30", "d", "30m", "-3d", "0d", "0w", "99999d", "3 0d", "1.5w", "３０d"])
def test_period_examples_refused(text):
    with pytest.raises(CheckinRuleError):
        rules.parse_period(text)


@given(st.dates())
def test_dates_round_trip(day):
    if day.year >= 1000:
        assert rules.parse_date(day.isoformat()) == day


@given(st.text(max_size=14))
def test_date_parsing_never_fails_otherwise(text):
    try:
        rules.parse_date(text)
    except CheckinRuleError as error:
        assert "YYYY-MM-DD" in str(error)


@pytest.mark.parametrize("text", ["20261130", "2026-11-31", "2026-W48-1", "30/11/2026", "2026-11-30T10:00", ""])
def test_only_plain_dates(text):
    with pytest.raises(CheckinRuleError):
        rules.parse_date(text)


def test_due_and_done_dates():
    today = date(2026, 11, 23)
    assert rules.parse_due("2026-11-23", today) == today
    with pytest.raises(CheckinRuleError, match="in the past"):
        rules.parse_due("2026-11-22", today)
    with pytest.raises(CheckinRuleError, match="more than a year"):
        rules.parse_due("2062-11-23", today)
    assert rules.parse_done(None, today, date(2026, 11, 1)) == today
    assert rules.parse_done("2026-11-02", today, date(2026, 11, 1)) == date(2026, 11, 2)
    with pytest.raises(CheckinRuleError, match="future"):
        rules.parse_done("2026-11-24", today, date(2026, 11, 1))
    with pytest.raises(CheckinRuleError, match="before the check-in"):
        rules.parse_done("2026-10-31", today, date(2026, 11, 1))


def test_entry_rules():
    today = date(2026, 11, 23)
    entry = rules.check_entry("declined", today, note="  ")
    assert entry.status is Status.DECLINED and entry.state is State.DONE and entry.confidential == Confidential()
    follow = rules.check_entry("follow-up", today, follow_up_owner=" Amara ", due="2026-11-30")
    assert follow.confidential.follow_up_owner == "Amara" and follow.state is State.FOLLOW_UP_OPEN
    for status, kwargs, words in [
        ("pending", {}, "must be one of"), ("fine", {}, "must be one of"),
        ("follow-up", {}, "needs an owner and a due date"),
        ("ok", {"follow_up_owner": "Amara"}, "both"), ("ok", {"due": "2026-11-30"}, "both"),
        ("ok", {"note": "x" * (rules.NOTE_MAX + 1)}, "keep it to"),
    ]:
        with pytest.raises(CheckinRuleError, match=words):
            rules.check_entry(status, today, **kwargs)


def test_state_of_is_all_the_production_sees():
    assert rules.state_of("pending", None, None) is State.PENDING
    for status in ("ok", "needs-a-moment", "declined", "follow-up"):
        assert rules.state_of(status, None, None) is State.DONE
        assert rules.state_of(status, "2026-11-30", None) is State.FOLLOW_UP_OPEN
        assert rules.state_of(status, "2026-11-30", "2026-11-29") is State.DONE


@given(st.text(max_size=rules.NOTE_MAX), st.text(max_size=50), st.text(max_size=50))
def test_sealed_form_round_trips_and_hides_its_length(note, signposting, owner):
    secret = Confidential(note, signposting, owner)
    data = secret.to_bytes()
    assert len(data) % rules.SEAL_BLOCK == 0
    assert Confidential.from_bytes(data) == secret


def test_seal_is_bound_to_key_and_row():
    key, other = bytes(32), bytes([1] * 32)
    sealed = seal(key, b"secret", b"checkin:1")
    assert unseal(key, sealed, b"checkin:1") == b"secret"
    assert seal(key, b"secret", b"checkin:1") != sealed  # a fresh nonce each time
    for wrong_key, binding, data in [(other, b"checkin:1", sealed), (key, b"checkin:2", sealed),
                                     (key, b"checkin:1", sealed[:-1] + bytes([sealed[-1] ^ 1])), (key, b"", b"x")]:
        with pytest.raises(SealBroken):
            unseal(wrong_key, data, binding)


# --- lift and the door count ----------------------------------------------------------------------------------

def test_lift_opens_pending_check_ins_for_the_performers(crew, db):
    scenes.set_state(db, "42", scenes.SceneState.OPEN, KIOSK)
    assert service.completion(db) == Completion(0, 0, 0)
    lift(db, "42", KIOSK)
    rows = service.overview(db, "42")
    assert sorted((row.ref, row.state) for row in rows) == [("C01", "pending"), ("C02", "pending")]
    assert service.completion(db, "42") == Completion(2, 0, 0)
    opened = events_of(db, "checkin.opened")
    assert len(opened) == 2 and all(row["body"]["by"] == "lift" and row["body"]["run"] == 1 for row in opened)
    lift(db, "42", KIOSK)  # lifting again changes nothing
    assert len(events_of(db, "checkin.opened")) == 2


def test_lift_keeps_a_check_in_recorded_before_it(ic, db):
    service.record(ic, "42", "C01", "ok")
    scenes.set_state(db, "42", scenes.SceneState.OPEN, KIOSK)
    lift(db, "42", KIOSK)
    assert {row.ref: row.state for row in service.overview(db, "42")} == {"C01": "done", "C02": "pending"}


def test_the_ic_adds_crew_too(ic, db):
    row = service.add(ic, "42", "Tom Brennan")
    assert (row.ref, row.kind, row.state) == ("P02", "crew", "pending")
    assert service.add(ic, "42", "P02").id == row.id
    assert service.completion(db, "42").pending == 1


# --- confidentiality --------------------------------------------------------------------------------------------

def test_note_text_never_reaches_the_file_the_wal_or_the_log(ic, db, db_path):
    service.record(ic, "42", "C01", "needs-a-moment", NOTE, SIGNPOSTING, OWNER, SOON)
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the write is in the WAL, not checkpointed away
    data = raw_bytes(db_path)
    dump = "\n".join(db.conn.iterdump())
    for text in (*SECRETS, *TOKENS):
        assert text.encode("utf-8") not in data, text
        assert text not in dump, text
    assert not [text for text in (*SECRETS, *TOKENS) if text in json.dumps(many(db, "SELECT payload FROM events"))]
    assert service.read_notes(ic, "42", "C01").note == NOTE  # and yet it is all there for the IC


def test_ad_views_show_only_pending_done_follow_up_open(ic, db):
    scenes.set_state(db, "42", scenes.SceneState.OPEN, KIOSK)
    lift(db, "42", KIOSK)
    service.record(ic, "42", "C01", "follow-up", NOTE, SIGNPOSTING, OWNER, SOON)
    service.record(ic, "42", "D01", "declined")
    rows = service.overview(db)
    assert all(set(asdict(row)) == {"scene", "ref", "name", "kind", "state", "updated_at"} for row in rows)
    assert {row.ref: row.state for row in rows} == {"C01": "follow-up open", "C02": "pending", "D01": "done"}
    assert service.completion(db) == Completion(1, 1, 1)
    shown = json.dumps(plain([rows, service.completion(db), scenes.show_scene(db, "42")]), default=str)
    from kiosk.services import scene_log
    shown += json.dumps(scene_log.scene_log(db, "42"), default=str)
    for private in (*TOKENS, "declined", "Declined to check in", "needs-a-moment", "Follow-up needed", SOON):
        assert private not in shown, private


def test_declining_is_recorded_as_declined(ic, db):
    row = service.record(ic, "42", "C02", "declined", note="Said no, warmly; offered again tomorrow")
    assert (row.status, row.status_words, row.state) == ("declined", "Declined to check in", "done")
    assert service.read_notes(ic, "42", "C02").note == "Said no, warmly; offered again tomorrow"


# --- the passphrase ---------------------------------------------------------------------------------------------

def test_setting_twice_is_refused_and_weak_passphrases_too(ic, db):
    with pytest.raises(ServiceError, match="set already"):
        service.set_passphrase(db, "another long passphrase", "Amara", KIOSK)
    with pytest.raises(ServiceError, match="at least 12"):
        retention.change_passphrase(db, PASSPHRASE, "short", "Amara", KIOSK)
    assert "lost" in service.LOST_PASSPHRASE_WARNING and "for good" in service.LOST_PASSPHRASE_WARNING


def test_no_passphrase_yet_then_the_real_cost(crew, db):
    assert not service.passphrase_is_set(db)
    with pytest.raises(ServiceError, match="No IC passphrase is set yet"):
        service.unlock(db, PASSPHRASE, "Amara", KIOSK)
    service.set_passphrase(db, PASSPHRASE, "Amara", KIOSK)
    stored = one(db, "SELECT value FROM settings WHERE key = 'ic_passphrase_kdf'")["value"]
    assert KdfParams.decode(stored).n == SCRYPT_N == 2**16
    assert service.unlock(db, PASSPHRASE, "Amara", KIOSK).reader == "Amara"


def passphrase_events(db) -> list[str]:
    """The tries at the IC passphrase and how each ended: attempt, wrong, right."""
    return [row["reason"] or "attempt" for row in many(db, "SELECT reason FROM events WHERE key = 'attempts/ic' "
                                                           "ORDER BY id")]


def test_wrong_passphrase_changes_nothing_but_is_on_record(ic, db):
    service.record(ic, "42", "C01", "ok", NOTE)
    checkins_before, settings_before, _ = snapshot(db)
    with pytest.raises(service.PassphraseRefused, match="Wrong IC passphrase"):
        service.unlock(db, "tangerine orbit lantern velvEt", "Mallory", KIOSK)
    with pytest.raises(service.PassphraseRefused):
        retention.change_passphrase(db, "not the passphrase at all", "a brand new passphrase", "Mallory", KIOSK)
    checkins_after, settings_after, _ = snapshot(db)
    assert checkins_after == checkins_before
    assert settings_after == settings_before
    assert passphrase_events(db)[-4:] == ["attempt", "wrong"] * 2


def test_changing_the_passphrase_reseals_everything(ic, db, db_path):
    service.record(ic, "42", "C01", "ok", NOTE)
    service.record(ic, "42", "C02", "follow-up", follow_up_owner=OWNER, due=SOON)
    sealed_before = blobs(db)
    new = retention.change_passphrase(db, PASSPHRASE, "a completely different phrase", "Amara", KIOSK)
    sealed_after = blobs(db)
    assert all(old != fresh for old, fresh in zip(sealed_before, sealed_after, strict=True))
    assert service.read_notes(new, "42", "C01").note == NOTE
    assert service.read_notes(new, "42", "C02").follow_up_owner == OWNER
    with pytest.raises(service.PassphraseRefused):
        service.unlock(db, PASSPHRASE, "Amara", KIOSK)
    with pytest.raises(ServiceError, match="changed since"):
        service.read_notes(ic, "42", "C01")  # the session from before the change stops working
    data = raw_bytes(db_path)
    assert not any(old[16:48] in data for old in sealed_before)  # old ciphertext is gone from file and WAL
    changed = events_of(db, "credential.set", "credential/ic")[-1]["body"]
    assert (changed["by"], changed["why"]) == ("Amara", "changed; 2 check-in(s) resealed")
    assert len(events_of(db, "checkin.resealed")) == 2


def test_passphrase_change_is_all_or_nothing(ic, db):
    service.record(ic, "42", "C01", "ok", NOTE)
    service.record(ic, "42", "C02", "ok", "second note")
    db.execute("UPDATE sealed SET blob = ? WHERE digest = (SELECT sealed FROM checkins WHERE person = 'C02')",
               [b"\x00" * 40])  # a damaged record: the change must not half-happen
    checkins_before, settings_before, _ = snapshot(db)
    with pytest.raises(ServiceError, match="cannot be opened"):
        retention.change_passphrase(db, PASSPHRASE, "a completely different phrase", "Amara", KIOSK)
    assert snapshot(db)[:2] == (checkins_before, settings_before)
    assert passphrase_events(db)[-2:] == ["attempt", "right"]  # the current passphrase was right: on record
    assert service.read_notes(ic, "42", "C01").note == NOTE


def test_records_cannot_be_swapped_between_people(ic, db):
    service.record(ic, "42", "C01", "ok", NOTE)
    service.record(ic, "42", "C02", "ok", "about someone else")
    first, second = many(db, "SELECT person, sealed FROM checkins ORDER BY person")
    db.execute("UPDATE checkins SET sealed = ? WHERE person = ?", [second["sealed"], first["person"]])
    with pytest.raises(ServiceError, match="altered or moved"):
        service.read_notes(ic, "42", "C01")


def test_lost_passphrase_reset_erases_notes_with_the_supervisor_pin(ic, db):
    service.record(ic, "42", "C01", "needs-a-moment", NOTE)
    access.set_pin(db, "246810", KIOSK)
    with pytest.raises(access.PinRefused):
        retention.reset_lost_passphrase(db, "a fresh start phrase", "111111", "Sam", KIOSK)
    session = retention.reset_lost_passphrase(db, "a fresh start phrase", "246810", "Sam", KIOSK)
    shown = service.read_notes(session, "42", "C01")
    assert (shown.status, shown.note) == ("needs-a-moment", None) and shown.purged_at
    reset = events_of(db, "credential.set", "credential/ic")[-1]["body"]
    assert (reset["by"], reset["why"]) == ("Sam", "reset after the passphrase was lost; 1 erased")


# --- reading is audited ---------------------------------------------------------------------------------------

def test_every_read_is_in_the_log(ic, db):
    service.add(ic, "42", "C02")  # pending: nothing to open, nothing to audit
    service.record(ic, "42", "C01", "follow-up", NOTE, follow_up_owner=OWNER, due=SOON)
    assert events_of(db, "checkin.read") == []
    assert service.ic_list(ic, "42") and events_of(db, "checkin.read") == []  # statuses only: no opening
    service.read_notes(ic, "42", "C01")
    reads = events_of(db, "checkin.read")
    assert len(reads) == 1 and reads[0]["person"] == "C01" and reads[0]["device"] == KIOSK
    assert (reads[0]["body"]["by"], reads[0]["body"]["read"]) == ("Amara Mensah",
                                                                  ["note", "signposting", "follow_up_owner"])
    read_at = one(db, "SELECT notes_read_at FROM checkins WHERE person = 'C01'")["notes_read_at"]
    assert read_at == reads[0]["at"]
    listed = service.notes(ic, "42")
    assert [row.note for row in listed] == [NOTE, None]
    service.follow_ups(ic)
    reads = events_of(db, "checkin.read")
    assert len(reads) == 3 and reads[-1]["body"]["read"] == ["follow_up_owner"]
    assert audit.verify(db).ok


def test_a_locked_session_opens_nothing(ic, db):
    service.record(ic, "42", "C01", "ok", NOTE)
    ic.lock()
    assert ic.locked
    with pytest.raises(ServiceError, match="locked"):
        service.read_notes(ic, "42", "C01")
    with pytest.raises(ServiceError, match="locked"):
        service.record(ic, "42", "C02", "ok")


def test_bad_input_changes_nothing(ic, db):
    before = snapshot(db)
    for args, words in [(("42", "C01", "fine"), "must be one of"), (("42", "C01", "follow-up"), "owner"),
                        (("99", "C01", "ok"), "No scene"), (("42", "nobody", "ok"), "Nobody")]:
        with pytest.raises(ServiceError, match=words):
            service.record(ic, *args)
    with pytest.raises(ServiceError, match="past"):
        service.record(ic, "42", "C01", "ok", follow_up_owner="Amara", due="2000-01-01")
    assert snapshot(db) == before


# --- follow-ups -------------------------------------------------------------------------------------------------

def test_follow_up_list_open_first_then_done(ic, db):
    later = (date.today() + timedelta(days=20)).isoformat()
    service.record(ic, "42", "C01", "follow-up", follow_up_owner="Amara", due=later)
    service.record(ic, "42", "C02", "needs-a-moment", follow_up_owner="Jonas", due=SOON)
    service.record(ic, "42", "P01", "follow-up", follow_up_owner="Sam", due=SOON)
    service.record(ic, "42", "P02", "ok")  # no follow-up: not listed
    done = service.mark_follow_up_done(ic, "42", "P01")
    assert done.follow_up_done_on == date.today().isoformat() and done.state == "done"
    rows = service.follow_ups(ic)
    assert [(row.ref, row.follow_up_owner, row.follow_up_open) for row in rows] == [
        ("C02", "Jonas", True), ("C01", "Amara", True), ("P01", "Sam", False)]
    assert service.completion(db, "42") == Completion(0, 2, 2)
    with pytest.raises(ServiceError, match="already"):
        service.mark_follow_up_done(ic, "42", "P01")
    with pytest.raises(ServiceError, match="no follow-up"):
        service.mark_follow_up_done(ic, "42", "P02")
    with pytest.raises(ServiceError, match="future"):
        service.mark_follow_up_done(ic, "42", "C01", (date.today() + timedelta(days=1)).isoformat())
    done = events_of(db, "checkin.follow_up_done")[0]["body"]
    assert (done["by"], done["on"]) == ("Amara Mensah", date.today().isoformat())


def test_an_overdue_follow_up_is_flagged(ic, db):
    service.record(ic, "42", "C01", "follow-up", follow_up_owner="Amara", due=date.today().isoformat())
    db.execute("UPDATE checkins SET follow_up_due = '2000-01-01'")
    assert service.follow_ups(ic)[0].overdue is True


# --- retention ----------------------------------------------------------------------------------------------------

def backdate(db, ref: str, days: int) -> None:
    at = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="microseconds")
    db.execute("UPDATE checkins SET updated_at = ? WHERE person = ?", [at, ref])


def test_purge_erases_old_notes_for_good_and_keeps_the_record(ic, db, db_path):
    service.record(ic, "42", "C01", "needs-a-moment", NOTE, SIGNPOSTING)
    service.record(ic, "42", "C02", "follow-up", follow_up_owner=OWNER, due=SOON)  # old, but still open
    service.record(ic, "42", "P01", "ok", "recent, stays")
    backdate(db, "C01", 40)
    backdate(db, "C02", 40)
    old_ciphertext = one(db, "SELECT s.blob FROM checkins c JOIN sealed s ON s.digest = c.sealed "
                             "WHERE c.status = 'needs-a-moment'")["blob"]
    result = retention.purge(ic, "30d")
    assert (result["erased"], result["kept_open_follow_ups"], result["wal_emptied"]) == (1, 1, True)
    assert old_ciphertext[16:48] not in raw_bytes(db_path)
    shown = {row.ref: row for row in service.notes(ic, "42")}
    assert shown["C01"].note is None and shown["C01"].status == "needs-a-moment" and shown["C01"].purged_at
    assert shown["C01"].checked_in_at and shown["C02"].follow_up_owner == OWNER
    assert shown["P01"].note == "recent, stays"
    purged = events_of(db, "checkin.purged")
    assert len(purged) == 1 and (purged[0]["body"]["by"], purged[0]["body"]["why"]) == ("Amara Mensah",
                                                                                     "older than 30d")
    assert service.overview(db, "42")[0].state == "done"
    with pytest.raises(ServiceError, match="not a period"):
        retention.purge(ic, "thirty days")


def test_purge_says_when_a_reader_kept_the_wal(ic, db, db_path):
    service.record(ic, "42", "C01", "ok", NOTE)
    backdate(db, "C01", 40)
    reader = connect(db_path)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM checkins").fetchone()  # an open read holds the WAL
    db.execute("PRAGMA busy_timeout = 0")  # do not wait the usual 30 s for the reader
    try:
        result = retention.purge(ic, "30d")
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    assert result["erased"] == 1 and result["wal_emptied"] is False
    assert retention.purge(ic, "30d")["wal_emptied"] is True
