"""Ready before it opens: the checklist's rules, the IC's own badge, the riders' 48 hours, the gate and its
override with the supervisor PIN, and the record of a set opened with items outstanding."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from kiosk import DATA
from kiosk.core import protocol
from kiosk.core import record as rules
from kiosk.core.door import SceneState
from kiosk.core.text import BadInput
from kiosk.services import ServiceError, access, door, production, readiness, scenes
from kiosk.services.access import PinRefused
from kiosk.services.agreed_list import acknowledge
from kiosk.services.scenes import NotReady
from kiosk.store import audit
from kiosk.store.queries import many
from tests.support import KIOSK, PIN

MANUAL = ("garments", "signage", "monitors", "stills")


def make_ready(db, crew, scene="42", agreed=None):
    """Everything on the default checklist met, the way the crew does it."""
    agreed = agreed or (date.today() - timedelta(days=7)).isoformat()
    for item in MANUAL:
        readiness.confirm(db, scene, item, "Sam Whitfield", KIOSK)
    for performer in ("C01", "C02"):
        readiness.record_rider(db, scene, performer, agreed, "Sam Whitfield", KIOSK)
        acknowledge(db, scene, performer, performer, KIOSK)
    verdict = door.scan(db, scene, crew["X01"], "set", KIOSK)  # the IC's own badge, before the set opens
    assert verdict.ic_present and verdict.decision == "deny"


def met(db, scene="42"):
    return {state.item.id: state.met for state in readiness.checklist(db, scene).readiness.items}


def test_the_default_checklist_has_the_items_of_the_issue():
    ids = [item.id for item in protocol.checklist([])]
    assert ids == ["ic", "riders", "told", *MANUAL]
    assert all(item.required for item in protocol.checklist([]))


def test_a_production_rewords_adds_makes_optional_and_removes_but_never_the_automatic_items(db, crew):
    readiness.set_item(db, "heaters", "Heaters on for the robes", True, "Sam", KIOSK)
    readiness.set_item(db, "stills", "No stills today", False, "Sam", KIOSK)
    readiness.remove_item(db, "signage", "Sam", KIOSK)
    items = {item.id: item for item in readiness.items(db)}
    assert "signage" not in items and items["heaters"].required and not items["stills"].required
    assert items["stills"].words == "No stills today"
    for automatic in ("ic", "riders", "told"):
        with pytest.raises(ServiceError, match="cannot be"):
            readiness.remove_item(db, automatic, "Sam", KIOSK)
    with pytest.raises(BadInput):
        protocol.check_item_id("Robes Warm!")
    assert audit.differences(db) == []


def test_each_item_is_met_the_way_the_crew_meets_it(db, crew):
    assert not any(met(db).values())
    make_ready(db, crew)
    assert all(met(db).values()) and readiness.checklist(db, "42").outstanding == []
    done = {state.item.id: state.done for state in readiness.checklist(db, "42").readiness.items}
    assert done["garments"].by == "Sam Whitfield" and done["ic"].by == "Amara Mensah"
    readiness.confirm(db, "42", "garments", "Sam Whitfield", KIOSK, undo=True)
    assert not met(db)["garments"]


def test_an_acknowledgement_recorded_for_a_performer_names_who_recorded_it(db, crew):
    """At the door the AD records it (A), in IC mode the IC: the checklist says which, never "the IC" for both."""
    acknowledge(db, "42", "C01", "C01", KIOSK)
    acknowledge(db, "42", "C02", "AD at stage-door", KIOSK)
    (told,) = [state for state in readiness.checklist(db, "42").readiness.items if state.item.id == protocol.TOLD]
    assert told.met and told.detail == "acknowledged by every performer (1 recorded for them by AD at stage-door)"


def test_the_ic_is_here_only_by_their_own_badge_and_not_after_they_leave(db, crew):
    production.set_duplicate_window(db, 0, KIOSK)
    door.scan(db, "42", crew["D01"], "set", KIOSK)  # someone else's badge counts for nothing
    assert not met(db)["ic"]
    with pytest.raises(ServiceError, match="not ticked by hand"):
        readiness.confirm(db, "42", "ic", "Sam Whitfield", KIOSK)
    make_ready(db, crew)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert door.scan(db, "42", crew["X01"], "set", KIOSK).decision == "admit"
    assert met(db)["ic"]
    held = door.scan(db, "42", crew["X01"], "set", KIOSK)  # out: the set goes on hold until the IC is back
    assert held.decision == "exit" and held.held_for_ic and not met(db)["ic"]
    with pytest.raises(ServiceError, match="stays on hold until its IC is here"):
        scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    door.scan(db, "42", crew["X01"], "set", KIOSK)  # back (answered "on hold", counted as here)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)


def test_a_rider_agreed_under_48_hours_before_the_scene_is_warned_about(db, crew):
    scenes.add_scene(db, "50", "Shower", KIOSK, date=(date.today() + timedelta(days=1)).isoformat(),
                     coordinator="X01", performers=("C01",))
    shown = readiness.record_rider(db, "50", "C01", date.today().isoformat(), "Sam", KIOSK)
    riders = next(state for state in shown.readiness.items if state.item.id == "riders")
    assert riders.met and riders.warnings and "less than 48 hours" in riders.warnings[0]
    assert protocol.rider_warning(date(2026, 1, 1), date(2026, 1, 3)) is None
    with pytest.raises(ServiceError, match="in the future"):
        readiness.record_rider(db, "50", "C01", (date.today() + timedelta(days=3)).isoformat(), "Sam", KIOSK)
    with pytest.raises(ServiceError, match="not a performer"):
        readiness.record_rider(db, "50", "D01", date.today().isoformat(), "Sam", KIOSK)


def test_without_the_gate_a_set_opens_and_the_record_names_what_was_outstanding(db, crew):
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    body = json.loads(many(db, "SELECT payload FROM events WHERE type = ? ORDER BY id DESC LIMIT 1",
                           [rules.SCENE_STATE])[0]["payload"])["body"]
    assert {item["item"] for item in body["outstanding"]} == {"ic", "riders", "told", *MANUAL}


def test_with_the_gate_a_set_does_not_open_until_ready(db, crew):
    readiness.set_required(db, True, KIOSK)
    with pytest.raises(NotReady, match="not ready to open"):
        scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert scenes.show_scene(db, "42")["state"] == "draft"
    make_ready(db, crew)
    assert scenes.open_scene(db, "42", KIOSK)["state"] == "open"


def test_an_edited_readiness_table_opens_nothing(db, crew):
    readiness.set_required(db, True, KIOSK)
    make_ready(db, crew)
    readiness.confirm(db, "42", "garments", "Sam", KIOSK, undo=True)
    db.execute("INSERT INTO readiness VALUES ('42', 'garments', 'forger', '2026-01-01', 'ready/42/garments', 1)")
    assert met(db)["garments"]  # the screens read the table...
    with pytest.raises(NotReady, match="Modesty garments"):  # ...the gate reads the log
        scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert audit.differences(db)


def test_the_override_needs_a_reason_and_the_pin_counted_before_it_is_checked(db, crew):
    readiness.set_required(db, True, KIOSK)
    access.set_pin(db, PIN, KIOSK)
    with pytest.raises(ServiceError, match="Say why"):
        scenes.open_scene(db, "42", KIOSK, override=" ", pin=PIN)
    before = many(db, "SELECT COUNT(*) AS n FROM events WHERE type = ?", [rules.ATTEMPT])[0]["n"]
    with pytest.raises(PinRefused):
        scenes.open_scene(db, "42", KIOSK, override="IC delayed, agreed by the performers", pin="999999")
    assert many(db, "SELECT COUNT(*) AS n FROM events WHERE type = ?", [rules.ATTEMPT])[0]["n"] == before + 1
    assert scenes.show_scene(db, "42")["state"] == "draft"
    scenes.open_scene(db, "42", KIOSK, override="IC delayed, agreed by the performers", pin=PIN)
    body = json.loads(many(db, "SELECT payload FROM events WHERE type = ? ORDER BY id DESC LIMIT 1",
                           [rules.SCENE_STATE])[0]["payload"])["body"]
    assert body["why"] == "IC delayed, agreed by the performers" and body["by"] == "supervisor"
    assert len(body["outstanding"]) == 7


def test_cli_checklist_ready_rider_and_open(cli_production, cli):
    status, out, _ = cli("scene", "checklist", "42", "--json")
    shown = json.loads(out)
    assert status == 0 and not shown["ready"] and [item["item"] for item in shown["items"]][:3] == \
        ["ic", "riders", "told"]
    status, out, _ = cli("scene", "ready", "42", "garments", "--by", "Sam Whitfield")
    assert status == 0 and "[x] garments" in out
    status, _, err = cli("scene", "ready", "42", "nonsense", "--by", "Sam")
    assert status == 2 and "No item 'nonsense'" in err
    status, out, _ = cli("scene", "rider", "42", "C01", "--agreed", date.today().isoformat(), "--by", "Sam")
    assert status == 0
    assert cli("scene", "checklist-gate", "on")[0] == 0
    status, _, err = cli("scene", "open", "42")
    assert status == 2 and "not ready to open" in err


def test_cli_open_override_reads_the_pin_from_the_environment_never_argv(cli_production, cli, db_path, monkeypatch):
    from kiosk.store import connect

    database = connect(db_path)
    access.set_pin(database, PIN, KIOSK)
    readiness.set_required(database, True, KIOSK)
    database.close()
    monkeypatch.delenv("KIOSK_SUPERVISOR_PIN", raising=False)
    status, _, err = cli("scene", "open", "42", "--override", "IC delayed")
    assert status == 2 and "KIOSK_SUPERVISOR_PIN" in err  # no terminal: told where the PIN comes from
    monkeypatch.setenv("KIOSK_SUPERVISOR_PIN", PIN)
    status, out, _ = cli("scene", "open", "42", "--override", "IC delayed")
    assert status == 0 and "Opened with items outstanding" in out
    status, out, _ = cli("scene", "checklist-gate", "off")
    assert status == 0 and "advisory" in out


def test_kiosk_init_turns_the_gate_on_and_off_only_when_asked(db_path, tmp_path, cli):
    from kiosk.store import connect

    assert cli("init", "--production", "Night Garden")[0] == 0
    assert cli("people", "import", DATA / "demo-crew.csv")[0] == 0
    assert cli("scene", "add", "42", "--title", "Bedroom, night", "--coordinator", "X01", "--performer", "C01")[0] == 0
    database = connect(db_path)
    assert readiness.required(database)  # a new production: no set opens unready
    database.close()
    status, _, err = cli("scene", "open", "42")
    assert status == 2 and "not ready to open" in err
    other = tmp_path / "advisory.db"
    assert cli("--db", other, "init", "--production", "Rehearsals", "--checklist-gate", "off")[0] == 0
    database = connect(other)
    assert not readiness.required(database)
    assert many(database, "SELECT COUNT(*) AS n FROM events WHERE key = ?",
                [rules.setting_key(readiness.GATE)])[0]["n"] == 0  # off is what a production had before the gate
    database.close()


def test_the_demo_opens_its_first_scene_as_a_supervisor_would_and_keeps_the_gate(tmp_path):
    from kiosk.services.demo import DEMO_OVERRIDE, build_demo
    from kiosk.store import connect

    database = connect(tmp_path / "demo.db", create=True)
    build_demo(database, KIOSK)
    assert readiness.required(database)
    opened = [scene for scene in scenes.list_scenes(database) if scene.state == "open"]
    assert len(opened) == 1
    body = json.loads(many(database, "SELECT payload FROM events WHERE type = ? AND scene = ?",
                           [rules.SCENE_STATE, opened[0].ref])[0]["payload"])["body"]
    assert body["why"] == DEMO_OVERRIDE and body["by"] == "supervisor" and body["outstanding"]
    draft = next(scene for scene in scenes.list_scenes(database) if scene.state == "draft")
    with pytest.raises(NotReady):
        scenes.set_state(database, draft.ref, SceneState.OPEN, KIOSK)
    assert audit.differences(database) == []
    database.close()
