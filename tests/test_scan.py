"""The scan service against a real database: what the AD sees is what the log holds."""

from __future__ import annotations

import json

import pytest

from kiosk.core.door import SceneState
from kiosk.services import ServiceError, badges, door, door_view, policy, production, scenes
from kiosk.services.lift import lift
from kiosk.store import audit, connect
from kiosk.store.queries import many, one
from tests.support import KIOSK


def scan(db, code, zone="set", scene="42", **kwargs):
    return door.scan(db, scene, code, zone, KIOSK, **kwargs)


def open_42(db):
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)


def test_scene_not_open_denies_everyone(db, crew):
    verdict = scan(db, crew["C01"])
    assert (verdict.decision, verdict.reason, verdict.name) == ("deny", "not_open", "Zoë Ødegård")


def test_admit_then_exit_and_the_inside_list(db, crew):
    production.set_duplicate_window(db, 0, KIOSK)
    open_42(db)
    first = scan(db, crew["P01"])
    assert (first.decision, first.first_entry, first.department, first.role) == \
        ("admit", True, "Camera", "Director of photography")
    assert [row.ref for row in door.inside(db, "42")] == ["P01"]
    assert scan(db, crew["P01"]).decision == "exit"
    assert door.inside(db, "42") == []
    again = scan(db, crew["P01"])
    assert (again.decision, again.first_entry) == ("admit", False)


def test_every_scan_is_stored_with_its_verdict(db, crew):
    open_42(db)
    verdicts = [scan(db, crew["P01"]), scan(db, crew["R01"]), scan(db, "nonsense")]
    rows = many(db, "SELECT json_extract(payload, '$.body.scan_id') AS scan_id, decision, reason, "
                    "json_extract(payload, '$.body.raw') AS raw, device, zone "
                    "FROM events WHERE type = 'door.scan' ORDER BY id")
    assert [(r["scan_id"], r["decision"], r["reason"]) for r in rows] == \
        [(v.scan_id, v.decision, v.reason) for v in verdicts]
    assert rows[2]["raw"] == "non… (8 characters)" and rows[2]["device"] == KIOSK  # refused input: masked
    assert rows[0]["raw"] is None  # a working code is never stored


def test_a_long_refused_input_is_stored_with_its_own_length(db, crew):
    open_42(db)
    assert scan(db, "A" * 100_000).decision == "deny"
    stored = db.execute("SELECT json_extract(payload, '$.body.raw') FROM events ORDER BY id DESC LIMIT 1").fetchone()
    assert stored[0] == "AAA… (100000 characters)"  # the length typed, not that of the shortened text


def test_not_approved_and_wrong_zone(db, crew):
    open_42(db)
    assert scan(db, crew["R01"]).words == "Not on the approved list for scene 42"
    monitors_only = scan(db, crew["V01"])
    assert (monitors_only.decision, monitors_only.reason) == ("deny", "wrong_zone")
    assert scan(db, crew["V01"], zone="monitors").decision == "admit"
    assert scan(db, crew["C01"], zone="monitors").decision == "admit"  # performers: both zones


def test_rolling_and_hold_make_people_wait(db, crew):
    open_42(db)
    scenes.set_state(db, "42", SceneState.ROLLING, KIOSK)
    assert scan(db, crew["P01"]).words == "Rolling - wait for cut"
    scenes.set_state(db, "42", SceneState.HOLD, KIOSK)
    assert scan(db, crew["P01"]).reason == "hold"
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert scan(db, crew["P01"]).decision == "admit"  # a state change ends the duplicate window


def test_duplicate_read_is_reported_stored_once_and_never_toggles(db, crew):
    open_42(db)
    first = scan(db, crew["P01"])
    second = scan(db, crew["P01"])
    assert second.duplicate and second.scan_id == first.scan_id and second.decision == "admit"
    assert one(db, "SELECT COUNT(*) AS n FROM events WHERE type = 'door.scan'")["n"] == 1
    assert [row.ref for row in door.inside(db, "42")] == ["P01"]


def test_replayed_scan_id_is_stored_once(db, crew):
    open_42(db)
    first = scan(db, crew["P01"], scan_id="kiosk-a-0001")
    production.set_duplicate_window(db, 0, KIOSK)
    replay = scan(db, crew["P01"], scan_id="kiosk-a-0001")
    assert replay.replay and (replay.decision, replay.at) == (first.decision, first.at)
    assert one(db, "SELECT COUNT(*) AS n FROM events "
                   "WHERE json_extract(payload, '$.body.scan_id') = 'kiosk-a-0001'")["n"] == 1


def test_reissued_and_revoked_badges_are_refused(db, crew):
    open_42(db)
    cards = badges.plan_badges(db, ["P01"])
    badges.record_badges(db, cards, KIOSK)
    assert scan(db, crew["P01"]).reason == "superseded"
    assert scan(db, cards[0].code).decision == "admit"
    badges.revoke_badge(db, "P01", "lost on location", KIOSK)
    assert scan(db, cards[0].code).words == "Badge revoked"


def test_azerty_scan_is_recognised_and_noted(db, crew):
    open_42(db)
    azerty = crew["P01"].translate(str.maketrans("1234567890M", "&é\"'(-è_çà?"))
    verdict = scan(db, azerty)
    assert verdict.decision == "admit"
    if azerty != crew["P01"]:
        assert verdict.layout == "azerty"
        assert one(db, "SELECT json_extract(payload, '$.body.layout') AS layout FROM events "
                       "WHERE json_extract(payload, '$.body.scan_id') = ?", [verdict.scan_id])["layout"] == "azerty"


def test_garbage_is_denied_and_stored_safely(db, crew):
    open_42(db)
    for raw in ("\x1b[31m" + "A" * 10_000, "\udcff\udcfe", "", "\x00\x01\x02"):
        verdict = scan(db, raw)
        assert verdict.decision == "deny" and verdict.reason == "malformed"
        assert all(char.isprintable() for char in verdict.raw) and len(verdict.raw) < 200


def test_unknown_scene_is_a_clear_error(db, crew):
    with pytest.raises(ServiceError, match="No scene '99'"):
        scan(db, crew["P01"], scene="99")


def test_lift_sweeps_everyone_out_and_the_door_stays_shut(db, crew):
    open_42(db)
    scan(db, crew["P01"])
    scan(db, crew["C01"], zone="monitors")
    swept = lift(db, "42", KIOSK).swept
    assert sorted((person.ref, person.zone) for person in swept) == [("C01", "monitors"), ("P01", "set")]
    assert door.inside(db, "42") == []
    assert scan(db, crew["D01"]).reason == "lifted"


def lookups(db) -> list[tuple]:
    return [tuple(row.values()) for row in many(
        db, "SELECT e.person, e.decision, e.reason FROM events e WHERE e.type = 'door.by_name' ORDER BY e.id")]


def test_lookup_admit_needs_a_reason_and_approval_and_a_refusal_is_on_record(db, crew):
    open_42(db)
    with pytest.raises(ServiceError, match="why"):
        door.admit_by_lookup(db, "42", "Helen Marsh", "set", " ", KIOSK)
    refused = door.admit_by_lookup(db, "42", "R01", "set", "forgot badge", KIOSK)
    assert (refused.decision, refused.reason, refused.name) == ("deny", "not_approved", "Hannah Cole")
    verdict = door.admit_by_lookup(db, "42", "Helen Marsh", "set", "badge left in trailer", KIOSK)
    assert (verdict.decision, verdict.reason) == ("admit", "override")
    assert lookups(db) == [("R01", "deny", "not_approved"), ("D01", "admit", "override")]


def test_someone_let_in_by_name_is_marked_out_by_name(db, crew):
    open_42(db)
    door.admit_by_lookup(db, "42", "D01", "set", "badge left in trailer", KIOSK)
    scenes.set_state(db, "42", SceneState.ROLLING, KIOSK)
    assert door.admit_by_lookup(db, "42", "D01", "set", "going for the badge", KIOSK).reason == "rolling"
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    out = door.admit_by_lookup(db, "42", "D01", "set", "going for the badge", KIOSK)
    assert (out.decision, out.reason, out.words) == ("exit", "marked_out", "Marked out by the AD by name (no badge)")
    assert door.inside(db, "42") == []
    body = json.loads(one(db, "SELECT payload FROM events WHERE reason = 'marked_out'")["payload"])["body"]
    assert (body["by"], body["why"]) == ("AD", "going for the badge")


def test_escalation_admits_only_for_this_scene_with_both_names(db, crew):
    open_42(db)
    assert scan(db, crew["R01"]).decision == "deny"
    verdict = door.escalate(db, "42", "R01", "set", coordinator="Amara Mensah", ad="Sam Whitfield", kiosk=KIOSK)
    assert (verdict.decision, verdict.reason) == ("admit", "escalated")
    assert verdict.words == "Not on the list: approved at the door by the IC and the AD, scene 42 only"
    approval = one(db, "SELECT approved_by, temporary FROM approvals WHERE person = 'R01'")
    assert approval == {"approved_by": "IC Amara Mensah and AD Sam Whitfield", "temporary": 1}
    scenes.add_scene(db, "43", "Other scene", KIOSK)
    scenes.set_state(db, "43", SceneState.OPEN, KIOSK)
    assert scan(db, crew["R01"], scene="43").reason == "not_approved"


def test_an_escalation_needs_an_ic_and_an_ad_who_are_people_of_the_production(db, crew):
    open_42(db)
    for coordinator, ad, problem in (("D03", "D02", "not an intimacy coordinator"), ("X01", "Nobody Here", "Nobody"),
                                     ("X01", "X01", "two different people"), ("X01", "R01", "own entry"),
                                     ("", "D02", "needs the intimacy coordinator")):
        with pytest.raises(ServiceError, match=problem):
            door.escalate(db, "42", "R01", "set", coordinator=coordinator, ad=ad, kiosk=KIOSK)
    with pytest.raises(ServiceError, match="on the approved list for set already"):
        door.escalate(db, "42", "P01", "set", coordinator="X01", ad="D02", kiosk=KIOSK)
    assert door.escalate(db, "42", "R01", "set", coordinator="X02", ad="D02", kiosk=KIOSK).decision == "admit"
    assert lookups(db) == [("R01", "admit", "escalated")]


def test_an_escalation_refused_by_the_rule_approves_nobody(db, crew):
    open_42(db)
    scenes.set_state(db, "42", SceneState.ROLLING, KIOSK)
    assert door.escalate(db, "42", "R01", "set", coordinator="X01", ad="D02", kiosk=KIOSK).reason == "rolling"
    assert not one(db, "SELECT 1 AS x FROM approvals WHERE person = 'R01'")


def test_the_policy_list_is_per_scene_stored_and_cleared_at_the_lift(db, crew):
    open_42(db)
    scan(db, crew["P01"])
    scan(db, crew["C01"])
    assert [due.ref for due in policy.policy_due(db, "42")] == ["P01", "C01"]
    policy.acknowledge_policy(db, "42", "C01", by="AD", kiosk=KIOSK)
    assert [due.ref for due in policy.policy_due(db, "42")] == ["P01"]
    scenes.add_scene(db, "43", "Other scene", KIOSK, performers=("C01",))
    assert policy.policy_due(db, "43") == []
    lift(db, "42", KIOSK)
    assert policy.policy_due(db, "42") == [] and door_view.door_view(db, "42").policy_due == []


def test_the_door_view_of_a_scene_the_production_lacks_says_so(db, crew):
    view = door_view.door_view(db, "999")
    assert view.scene is None and view.missing == "999" and view.production == "Night Garden"
    with pytest.raises(ServiceError, match="No scene '999' in this production: the scenes are 42"):
        door.scan(db, "999", crew["P01"], "set", KIOSK)


def test_approval_changes_are_logged_with_who_and_when(db, crew):
    scenes.unapprove(db, "42", ("P02",), by="Sam Whitfield", kiosk=KIOSK)
    rows = many(db, "SELECT type, zone, payload FROM events WHERE type IN ('approval.granted', 'approval.removed') "
                    "AND person = 'P02' ORDER BY id")
    assert [row["type"] for row in rows] == ["approval.granted", "approval.removed"]
    assert "Sam Whitfield" in rows[1]["payload"]
    with pytest.raises(ServiceError, match="stays approved"):
        scenes.unapprove(db, "42", ("C01",), by="Sam Whitfield", kiosk=KIOSK)


def test_log_chain_verifies_and_the_database_refuses_edits(db, crew, db_path):
    open_42(db)
    scan(db, crew["P01"])
    assert audit.verify(db).ok
    with pytest.raises(Exception, match="generated column"):  # SQLite itself: the columns come from the payload
        db.execute("UPDATE events SET decision = 'admit' WHERE id = 1")
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE events SET payload = payload WHERE id = 1")
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM events")
    fresh = connect(db_path)  # as a kiosk opens it, before anything has loaded sqlite-utils
    with pytest.raises(Exception, match="append-only"):  # REPLACE deletes the old row first: refused too
        fresh.execute("INSERT OR REPLACE INTO events (id, payload, hash, chain) SELECT id, payload, hash, chain "
                      "FROM events WHERE id = 1")
    fresh.close()


def test_tampering_is_detected_at_the_first_broken_row(db, crew):
    open_42(db)
    scan(db, crew["R01"])
    scan(db, crew["P01"])
    total = audit.verify(db).rows
    target = one(db, "SELECT id FROM events WHERE reason = 'not_approved'")["id"]
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET payload = replace(payload, 'not_approved', 'approved') WHERE id = ?", [target])
    result = audit.verify(db)
    assert (result.ok, result.broken_id) == (False, target)
    db.execute("DROP TRIGGER events_no_delete")
    db.execute("DELETE FROM events WHERE id = ?", [total])
    assert audit.verify(db).broken_id == target  # still the first broken row


def test_an_anchor_filed_earlier_shows_a_log_rewritten_whole(db, crew, forge):
    """Recomputing every hash fools the chains alone; the anchor printed before the rewrite does not."""
    open_42(db)
    scan(db, crew["R01"])
    filed = audit.verify(db).anchor
    assert audit.verify(db, filed).ok
    scan(db, crew["P01"])
    assert audit.verify(db, filed).ok  # rows after the anchor are fine
    target = one(db, "SELECT id FROM events WHERE reason = 'not_approved'")["id"]
    forge(db, {target: lambda body: {**body, "decision": "admit", "reason": "approved"}})
    assert audit.verify(db).ok  # the chains alone are satisfied
    result = audit.verify(db, filed)
    assert not result.ok and "rewritten" in result.problem
    assert result.broken_id == int(filed.split(":")[0])
    with pytest.raises(ValueError):
        audit.verify(db, "12:zz")
