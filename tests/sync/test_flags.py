"""What doors did apart, flagged once their records meet: in the reports of any synced kiosk (PDF, CSV and JSON,
read back), with the door named on every row, and in the counts at the hub."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from kiosk.core import anomalies as kinds
from kiosk.hub import status
from kiosk.reports import render
from kiosk.services import anomalies, badges, door, reports
from kiosk.services.follow import report_anomalies
from tests.syncing import OFFICE, settle, tables


def pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def test_what_the_doors_did_apart_is_flagged_in_every_report_of_every_kiosk(fleet, tmp_path):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    codes = fleet.codes
    assert door.scan(door_a.db, "42", codes["D01"], "set", "door-a").decision == "admit"
    settle(fleet.machines)  # both doors know D01 is inside
    # Then apart: the office revokes P02's badge; door B, not yet told, lets P02 in on it.
    badges.revoke_badge(fleet.office.db, "P02", "lost on set", OFFICE)
    assert fleet.office.sync().ok and door_a.sync().ok
    assert door.scan(door_a.db, "42", codes["P02"], "set", "door-a").decision == "deny"
    assert door.scan(door_b.db, "42", codes["P02"], "set", "door-b").decision == "admit"
    # P01 let in at both doors; D01 let out at both.
    assert door.scan(door_a.db, "42", codes["P01"], "set", "door-a").decision == "admit"
    assert door.scan(door_b.db, "42", codes["P01"], "set", "door-b").decision == "admit"
    assert door.scan(door_a.db, "42", codes["D01"], "set", "door-a").decision == "exit"
    assert door.scan(door_b.db, "42", codes["D01"], "set", "door-b").decision == "exit"
    # Door B's clock is two hours slow at its sync: noted on the record, so every door's reports show it.
    assert door_b.sync(clock=lambda: datetime.now(UTC) - timedelta(hours=2)).skew_flagged
    settle(fleet.machines)
    assert tables(door_a.db) == tables(door_b.db) == tables(fleet.office.db)

    expected = {(kinds.ADMITTED_AFTER_REVOCATION, "door-b", "P02"), (kinds.ENTERED_TWICE, "door-b", "P01"),
                (kinds.EXIT_WITHOUT_ENTRY, "door-b", "D01")}
    for machine in fleet.machines:  # every machine finds the same
        found = anomalies.find(machine.db, "42")
        assert {(a.kind, a.device, a.person) for a in found.anomalies} == expected, machine.name
        # flagged, then back within once its next sync found the clock right
        assert [(clock.device, clock.flagged) for clock in found.clocks] == [("door-b", True), ("door-b", False)]

    report = reports.scene_report(door_a.db, "42", UTC)
    assert report.doors == ("door-a", "door-b", OFFICE)  # the office made the scene and its approvals
    render(report, tmp_path / "r.pdf", "pdf")
    render(report, tmp_path / "r.csv", "csv")
    render(report, tmp_path / "r.json", "json")
    text = pdf_text(tmp_path / "r.pdf")
    for words in ("Doors on this report door-a, door-b, office", "Flagged across doors", "Admitted after a revocation",
                  "Two entries, no exit", "Exit with no entry", "Door clocks found off at a sync",
                  "2 h behind the hub's"):
        assert words in text, words
    with open(tmp_path / "r.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    flagged = {(row["reason"], row["kiosk"], row["person_ref"]) for row in rows if row["record"] == "flag"}
    assert flagged == expected | {(kinds.CLOCK_SKEW, "door-b", "")}
    scans = [row for row in rows if row["record"] == "scan"]
    assert {row["kiosk"] for row in scans} == {"door-a", "door-b"} and all(row["kiosk"] for row in scans)
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    scene = data["scenes"][0]
    assert {(flag["kind"], flag["kiosk"], flag["person_ref"]) for flag in scene["flags"]} == expected
    revoked = next(flag for flag in scene["flags"] if flag["kind"] == kinds.ADMITTED_AFTER_REVOCATION)
    assert revoked["other_kiosk"] == OFFICE and revoked["name"] and revoked["zone"] == "set"
    assert [clock["kiosk"] for clock in data["clocks"]] == ["door-b"]
    assert all(event["kiosk"] for event in scene["events"])

    # At the hub: each door's count of what its events are part of.
    for machine in (door_a, door_b):
        report_anomalies(machine.db, machine.client)
    shown = {device.name: device for device in status(fleet.hub.admin_dsn, fleet.hub.password).devices}
    # door B's three moves and its clock; door A's entry and exit came first, so nothing of door A's is wrong
    assert shown["door-b"].anomalies == 4 and shown["door-a"].anomalies == 0
    assert not shown["door-b"].clock_flagged  # its last sync found the clock right again


def test_conflicts_the_record_settled_are_flagged_with_both_doors(fleet):
    from kiosk.services import scenes

    door_b = fleet.join("door-b")
    scenes.unapprove(fleet.office.db, "42", ("P02",), "Sam Whitfield", OFFICE, zone="set")
    scenes.approve(door_b.db, "42", ("P02",), "Helen Marsh", "door-b", zone="set", temporary=False)
    settle(fleet.machines)
    flags = reports.scene_report(fleet.office.db, "42", UTC).scenes[0].flags
    conflicts = [flag for flag in flags if flag.kind == kinds.CONFLICT]
    assert len(conflicts) == 1 and {conflicts[0].kiosk, conflicts[0].other_kiosk} == {OFFICE, "door-b"}
    assert conflicts[0].words.startswith("approval/42/P02/set:")
