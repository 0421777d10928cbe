"""The performers know who will be there: acknowledgement of the approved list (theirs, or the IC's for them),
anyone added after flagged until the IC records that the performers were told and agreed, and an objection
that takes the person off the list and out of the set."""

from __future__ import annotations

import pytest

from kiosk.core import protocol
from kiosk.core.door import SceneState
from kiosk.services import ServiceError, door, production, scenes
from kiosk.services.agreed_list import acknowledge, agreed_list, object_to, told
from kiosk.store import audit
from kiosk.store.queries import approvals_of
from tests.support import KIOSK


def not_told(db):
    return [unseen.ref for unseen in agreed_list(db, "42").not_told]


def test_the_rule_flags_only_what_an_acknowledging_performer_has_not_seen():
    approvals = {"D01": frozenset({"a"}), "C03": frozenset({"b"}), "C01": frozenset({"c"})}
    assert protocol.not_told(approvals, {}, frozenset(), ["C01", "C02"]) == []  # nobody has seen it yet
    assert protocol.not_told(approvals, {"C01": frozenset({"a", "c"})}, frozenset(), ["C01", "C02"]) == ["C03"]
    assert protocol.not_told(approvals, {"C01": frozenset({"a", "c"})}, frozenset({"b"}), ["C01", "C02"]) == []


def test_acknowledged_by_the_performer_or_by_the_ic_for_them(db, crew):
    acknowledge(db, "42", "C01", "Zoë Ødegård", KIOSK)
    shown = acknowledge(db, "42", "C02", "Amara Mensah", KIOSK)
    acks = {ack.ref: ack for ack in shown.performers}
    assert not acks["C01"].for_them and acks["C02"].for_them and acks["C02"].by == "Amara Mensah"
    assert shown.not_told == ()
    with pytest.raises(ServiceError, match="not a performer"):
        acknowledge(db, "42", "D01", "Helen Marsh", KIOSK)


def test_someone_added_after_is_flagged_until_the_ic_records_they_were_told(db, crew):
    acknowledge(db, "42", "C01", "C01", KIOSK)
    acknowledge(db, "42", "C02", "C02", KIOSK)
    scenes.approve(db, "42", ("C03",), by="Sam Whitfield", kiosk=KIOSK)
    assert not_told(db) == ["C03"]
    with pytest.raises(ServiceError, match="not an intimacy coordinator"):
        told(db, "42", "C03", "Sam Whitfield", KIOSK)  # the IC records it, nobody else
    assert told(db, "42", "C03", "X01", KIOSK).not_told == ()
    scenes.unapprove(db, "42", ("C03",), by="Sam Whitfield", kiosk=KIOSK)
    scenes.approve(db, "42", ("C03",), by="Sam Whitfield", kiosk=KIOSK)  # put back: a new approval, unseen
    assert not_told(db) == ["C03"]


def test_an_escalation_at_the_door_is_flagged_too(db, crew):
    production.set_duplicate_window(db, 0, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    acknowledge(db, "42", "C01", "C01", KIOSK)
    acknowledge(db, "42", "C02", "C02", KIOSK)
    verdict = door.escalate(db, "42", "R01", "set", coordinator="X01", ad="Sam Whitfield", kiosk=KIOSK)
    assert verdict.decision == "admit" and not_told(db) == ["R01"]


def test_an_objection_takes_the_person_off_the_list_and_out_of_the_set(db, crew):
    production.set_duplicate_window(db, 0, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert door.scan(db, "42", crew["P01"], "set", KIOSK).decision == "admit"
    out = object_to(db, "42", "P01", "Amara Mensah", KIOSK)
    assert out == ["set"] and approvals_of(db, "42", "P01") == {}
    assert "P01" not in {row.ref for row in door.inside(db, "42")}
    assert door.scan(db, "42", crew["P01"], "set", KIOSK).reason == "not_approved"
    with pytest.raises(ServiceError, match="performer or the IC"):
        object_to(db, "42", "X01", "Zoë Ødegård", KIOSK)
    assert audit.differences(db) == []


def test_cli_acknowledge_told_object(cli_production, cli):
    status, out, _ = cli("scene", "acknowledge", "42", "C01", "--by", "Amara Mensah")
    assert status == 0 and "recorded by Amara Mensah for them" in out
    assert cli("scene", "acknowledge", "42", "Łukasz Nowak", "--by", "Łukasz Nowak")[0] == 0
    assert cli("scene", "approve", "42", "C03", "--by", "Sam Whitfield")[0] == 0
    status, out, _ = cli("scene", "agreed", "42")
    assert status == 0 and "Performers not yet told: 1" in out
    status, out, _ = cli("scene", "told", "42", "C03", "--by", "X01")
    assert status == 0 and "Performers not yet told: 0" in out
    status, out, _ = cli("scene", "object", "42", "C03", "--by", "Amara Mensah")
    assert status == 0 and "off the approved list" in out
    status, _, err = cli("scene", "object", "42", "C03", "--by", "Amara Mensah")
    assert status == 2 and "not on the approved list" in err
