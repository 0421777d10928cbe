"""The closed-set protocol in the report, in every format, read back: the checklist, a set opened with items
outstanding and the supervisor's reason, the performers' acknowledgement and who they are not yet told of."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

from kiosk.core.door import SceneState
from kiosk.reports import render
from kiosk.services import access, door, production, readiness, reports, scenes
from kiosk.services.agreed_list import acknowledge, object_to
from tests.printed import pdf_text
from tests.support import KIOSK, PIN

REASON = "IC stuck in traffic; performers agreed to rehearse"


def shot_with_override(db, crew):
    access.set_pin(db, PIN, KIOSK)
    readiness.set_required(db, True, KIOSK)
    readiness.confirm(db, "42", "garments", "Sam Whitfield", KIOSK)
    readiness.record_rider(db, "42", "C01", (date.today() - timedelta(days=1)).isoformat(), "Sam Whitfield", KIOSK)
    acknowledge(db, "42", "C01", "Amara Mensah", KIOSK)  # the IC for them
    scenes.approve(db, "42", ("C03",), by="Sam Whitfield", kiosk=KIOSK)  # added after the acknowledgement
    scenes.open_scene(db, "42", KIOSK, override=REASON, pin=PIN)


def test_the_model_has_the_checklist_the_override_and_who_is_not_yet_told(db, crew):
    shot_with_override(db, crew)
    scene = reports.scene_report(db, "42").scenes[0]
    lines = {line.item: line for line in scene.protocol.checklist}
    assert lines["garments"].met and lines["garments"].by == "Sam Whitfield" and not lines["signage"].met
    [opened] = scene.protocol.opened_outstanding
    assert opened.why == REASON and opened.by == "supervisor"
    assert any(item.startswith("Closed-set signage posted") for item in opened.items)
    acks = {ack.performer: ack for ack in scene.protocol.acknowledged}
    assert acks["Zoë Ødegård"].for_them and acks["Łukasz Nowak"].at is None
    assert "Ольга Иванова" in scene.protocol.not_told
    summary = dict(scene.summary())
    assert summary["Opened with items outstanding"] == 1 and summary["Performers not yet told"] >= 1
    state = next(event for event in scene.events if event.kind == "state")
    assert "with items outstanding" in state.words and REASON in state.words
    assert any(event.kind == "ready" and "garments" in event.words for event in scene.events)
    assert any(event.kind == "list_ack" and "for them" in event.words for event in scene.events)


def test_pdf_csv_and_json_say_opened_with_items_outstanding_and_why(db, crew, tmp_path):
    shot_with_override(db, crew)
    made = reports.scene_report(db, "42")
    text = pdf_text(render(made, tmp_path / "r.pdf", "pdf"))
    for words in ("Ready before it opens", "Opened with items outstanding", REASON, "Modesty garments and robes ready",
                  "Performers not yet told", "Ольга Иванова", "recorded by Amara Mensah for them", "NOT YET"):
        assert words in text, words
    rows = list(csv.DictReader(render(made, tmp_path / "r.csv", "csv").open(encoding="utf-8")))
    opened = [row for row in rows if row["record"] == "opened_outstanding"]
    assert len(opened) == 1 and opened[0]["words"] == REASON and "Closed-set signage" in opened[0]["value"]
    assert {row["reason"]: row["decision"] for row in rows if row["record"] == "checklist"}["garments"] == "met"
    assert any(row["record"] == "not_told" and row["name"] == "Ольга Иванова" for row in rows)
    data = json.loads(render(made, tmp_path / "r.json", "json").read_text("utf-8"))
    protocol = data["scenes"][0]["protocol"]
    assert protocol["opened_outstanding"][0]["why"] == REASON
    assert set(protocol) == {"checklist", "opened_outstanding", "acknowledged", "not_told", "no_ic", "without_ic"}
    assert data["scenes"][0]["summary"]["opened_with_items_outstanding"] == 1


def test_an_advisory_checklist_opens_and_the_report_names_what_was_missing(db, crew, tmp_path):
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)  # advisory: opened, the record names what was missing
    scene = reports.scene_report(db, "42").scenes[0]
    [opened] = scene.protocol.opened_outstanding
    assert opened.why is None and opened.by is None
    text = pdf_text(render(reports.scene_report(db, "42"), tmp_path / "r.pdf", "pdf"))
    assert "the checklist was advisory" in text


def test_someone_marked_out_because_a_performer_objected_leaves_in_the_report(db, crew, tmp_path):
    """Their way out is in the report's entries and exits, in every format (found by a second reader: the PDF
    showed them coming in and never going out, and counted one exit less)."""
    production.set_duplicate_window(db, 0, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert door.scan(db, "42", crew["P01"], "set", KIOSK).decision == "admit"
    assert object_to(db, "42", "P01", "Amara Mensah", KIOSK) == ["set"]
    scene = reports.scene_report(db, "42").scenes[0]
    assert [(e.person_ref, e.decision) for e in scene.movements] == [("P01", "admit"), ("P01", "exit")]
    assert ("Exits", 1) in scene.summary()
    pdf = render(reports.scene_report(db, "42"), tmp_path / "r.pdf", "pdf")
    moves = pdf_text(pdf).split("Every entry and exit")[1]
    assert "a performer objected" in moves and moves.count("Ines Duarte") == 2
