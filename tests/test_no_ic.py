"""No IC only by each performer's own choice, made with their own badge, and theirs to withdraw at any time:
the set then waits on hold for an IC.  Nobody else can make it for them."""

from __future__ import annotations

import io
import sys

import pytest

from kiosk.core.door import SceneState
from kiosk.services import ServiceError, door, no_ic, production, readiness, reports, scenes
from tests.support import KIOSK


def ic_met(db):
    return {state.item.id: state for state in readiness.checklist(db, "42").readiness.items}["ic"]


def test_only_every_performers_own_choice_runs_a_scene_without_an_ic(db, crew):
    with pytest.raises(ServiceError, match="not a performer"):
        no_ic.choose(db, "42", crew["D01"], KIOSK)  # the director cannot choose it for them
    with pytest.raises(ServiceError, match="not a valid badge"):
        no_ic.choose(db, "42", "NOT-A-BADGE", KIOSK)
    first = no_ic.choose(db, "42", crew["C01"], KIOSK)
    assert first.performer.chose and not first.without_ic and not ic_met(db).met
    second = no_ic.choose(db, "42", crew["C02"], KIOSK)
    assert second.without_ic and ic_met(db).met and "own choice" in ic_met(db).detail
    with pytest.raises(ServiceError, match="recorded already"):
        no_ic.choose(db, "42", crew["C02"], KIOSK)


def test_withdrawing_puts_the_set_on_hold_until_the_ic_is_here(db, crew):
    production.set_duplicate_window(db, 0, KIOSK)
    no_ic.choose(db, "42", crew["C01"], KIOSK)
    no_ic.choose(db, "42", crew["C02"], KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    withdrawn = no_ic.choose(db, "42", crew["C02"], KIOSK, withdraw=True)
    assert withdrawn.held and not withdrawn.without_ic
    assert scenes.show_scene(db, "42")["state"] == "hold"
    with pytest.raises(ServiceError, match="stays on hold until its IC is here"):
        scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert door.scan(db, "42", crew["X01"], "set", KIOSK).ic_present  # the IC arrives: answered "IC here"
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    protocol = reports.scene_report(db, "42").scenes[0].protocol
    assert [(choice.performer, choice.withdrawn) for choice in protocol.no_ic] == [
        ("Zoë Ødegård", False), ("Łukasz Nowak", False), ("Łukasz Nowak", True)]
    hold = next(e for e in reports.scene_report(db, "42").scenes[0].events if e.kind == "state" and
                "until the IC is here" in e.words)
    assert "withdrew" in hold.words


def test_cli_needs_the_performers_badge_from_stdin_and_their_confirmation(cli_production, cli, monkeypatch, db_path):
    from kiosk.services import badges
    from kiosk.store import connect

    database = connect(db_path)
    cards = badges.plan_badges(database)
    badges.record_badges(database, cards, KIOSK)
    code = next(card.code for card in cards if card.ref == "C01")
    database.close()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(code.encode())))
    status, out, err = cli("scene", "no-ic", "42")
    assert status == 2 and "withdraw it at any time" in out and "--confirmed" in err
    monkeypatch.setenv("KIOSK_BADGE_CODE", code)
    status, out, _ = cli("scene", "no-ic", "42", "--confirmed")
    assert status == 0 and "Zoë Ødegård: your choice is recorded" in out and "still needs an IC" in out
    status, out, _ = cli("scene", "no-ic", "42", "--withdraw")
    assert status == 0 and "withdrawn" in out
