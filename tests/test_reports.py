"""Closed-set reports and the roll-call: the pure computations, the model, every format, the CLI."""

from __future__ import annotations

import csv
import io
import itertools
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from kiosk import fonts
from kiosk.core import record as rules
from kiosk.core import report as core
from kiosk.core.checkins import Completion
from kiosk.core.door import SceneState
from kiosk.errors import RenderError
from kiosk.reports import render, render_rollcall
from kiosk.services import door, reports, scenes
from kiosk.services.lift import lift
from kiosk.store import record
from kiosk.store.db import write
from tests.printed import pdf_text
from tests.support import KIOSK

# ---------------------------------------------------------------- pure computations

moves = st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["set", "monitors"]),
                           st.sampled_from(["admit", "exit", "wait", "deny"])), max_size=80)


@given(moves)
def test_headcount_is_never_negative_and_peak_is_the_highest_point(events):
    series = core.headcount((at, person, zone, decision) for at, (person, zone, decision) in enumerate(events))
    assert all(count >= 0 for _, count in series)
    count, at = core.peak(series)
    assert count == max((c for _, c in series), default=0)
    assert at is None if count == 0 else dict(series)[at] == count


@given(moves)
def test_headcount_counts_people_inside_any_zone(events):
    inside: dict[int, set[str]] = {}
    for person, zone, decision in events:
        if decision == "admit":
            inside.setdefault(person, set()).add(zone)
        elif decision == "exit":
            inside.setdefault(person, set()).discard(zone)
    series = core.headcount((at, *event) for at, event in enumerate(events))
    assert (series[-1][1] if series else 0) == sum(bool(zones) for zones in inside.values())


@given(st.lists(st.tuples(st.integers(0, 1000), st.sampled_from(["open", "rolling", "hold", "lifted"])),
                max_size=30))
def test_state_periods_follow_each_other_without_overlap(changes):
    changes.sort()
    periods = core.state_periods(changes)
    for before, after in itertools.pairwise(periods):
        assert before.end == after.start and before.start <= before.end and before.state != after.state
    assert all(p.end is not None for p in periods[:-1]) and (not periods or periods[-1].end is None)
    clipped = core.clip_periods(periods, 200, 600)
    for before, after in itertools.pairwise(clipped):
        assert before.end <= after.start
    assert all(p.start >= 200 and (p.end is None or p.end <= 600) for p in clipped)


@given(st.lists(st.tuples(st.floats(0, 10_000), st.integers(0, 500)), max_size=300), st.integers(1, 50))
def test_thinned_chart_keeps_the_peak(points, buckets):
    points.sort()
    thinned = core.bucket_max(points, 0, 10_000, buckets)
    assert max((c for _, c in thinned), default=0) == max((c for _, c in points), default=0)
    assert len(thinned) <= 2 * buckets or thinned == points


def test_clip_series_starts_with_the_count_in_force():
    series = [(1, 1), (3, 2), (8, 0)]
    assert core.clip_series(series, 2, 9) == [(2, 1), (3, 2), (8, 0)]
    assert core.clip_series(series, 0, 2) == [(0, 0), (1, 1)]


# ---------------------------------------------------------------- building a scene's history

@pytest.fixture
def shot(db, crew):
    """Scene 42 shot: admissions (non-ASCII and CJK names), refusals, a rolling and a hold, an exit, the lift."""
    scenes.approve(db, "42", ("C03", "C04"), by="Sam Whitfield", kiosk=KIOSK)
    scenes.unapprove(db, "42", ("P02",), by="Amara Mensah", kiosk=KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    for ref in ("C01", "C02", "C03", "C04", "D01"):
        assert door.scan(db, "42", crew[ref], "set", KIOSK).decision == "admit"
    assert door.scan(db, "42", crew["P02"], "set", KIOSK).reason == "not_approved"
    assert door.scan(db, "42", "ZZZZ", "set", KIOSK).decision == "deny"
    scenes.set_state(db, "42", SceneState.ROLLING, KIOSK)
    assert door.scan(db, "42", crew["P01"], "set", KIOSK).reason == "rolling"
    scenes.set_state(db, "42", SceneState.HOLD, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert door.scan(db, "42", crew["D01"], "set", KIOSK).decision == "exit"
    door.admit_by_lookup(db, "42", "P01", "set", why="badge left in the truck", kiosk=KIOSK)
    lift(db, "42", KIOSK)
    return crew


def test_scene_model_holds_every_door_event(db, shot):
    made = reports.scene_report(db, "42")
    scene = made.scenes[0]
    assert [e.name for e in scene.entries] == ["Zoë Ødegård", "Łukasz Nowak", "Ольга Иванова", "山田 花子",
                                               "Helen Marsh", "Ines Duarte"]
    assert [e.name for e in scene.exits] == ["Helen Marsh"]
    assert [e.reason for e in scene.refused] == ["not_approved", "malformed", "rolling"]
    assert {e.name for e in scene.swept} == {"Zoë Ødegård", "Łukasz Nowak", "Ольга Иванова", "山田 花子",
                                              "Ines Duarte"}
    assert scene.peak == 5 and scene.headcount[-1][1] == 0
    assert [p.state for p in scene.periods] == ["open", "rolling", "hold", "open", "lifted"]
    assert [p.state for p in scene.restricted_periods()] == ["rolling", "hold"]
    assert any(e.kind == "unapprove" and e.by == "Amara Mensah" for e in scene.approval_changes)
    assert made.audit.ok and all(e.at.tzinfo is not None for e in scene.events)


def test_pdf_text_has_names_reasons_and_periods(db, shot, tmp_path):
    out = render(reports.scene_report(db, "42"), tmp_path / "r.pdf", "pdf")
    text = pdf_text(out)
    for words in ("Zoë Ødegård", "Łukasz Nowak", "Ольга Иванова", "Helen Marsh", "Tom Brennan",
                  "Not on the approved list for scene 42", "Not a badge code", "Rolling - wait for cut",
                  "badge left in the truck", "Approval for set removed by Amara Mensah", "rolling", "hold",
                  "Peak headcount", "hash chain verified", "Headcount over time"):
        assert words in text, words
    assert PdfReader(out).pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4


def test_cjk_name_without_a_font_is_a_visible_substitute_never_a_missing_row(db, shot, tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "system_fallbacks", lambda: ())
    text = pdf_text(render(reports.scene_report(db, "42"), tmp_path / "r.pdf", "pdf", paper="letter"))
    assert f"{fonts.SUBSTITUTE * 2} {fonts.SUBSTITUTE * 2}" in text
    assert text.count("C04") >= 4  # approved list, entry, sweep - the rows are there


def cjk_font(path: Path, chars: str = "山田花子") -> Path:
    """A tiny TrueType font whose only glyphs are boxes for ``chars``: a stand-in for a system CJK font."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = [".notdef", "space", *(f"uni{ord(c):04X}" for c in chars)]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({32: "space", **{ord(c): f"uni{ord(c):04X}" for c in chars}})
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0)), pen.lineTo((100, 800)), pen.lineTo((900, 800)), pen.lineTo((900, 0)), pen.closePath()
    box = pen.glyph()
    builder.setupGlyf({name: TTGlyphPen(None).glyph() if name == "space" else box for name in names})
    builder.setupHorizontalMetrics({name: (1000, 100) for name in names})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "TestCJK", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    builder.save(path)
    return path


def test_cjk_name_is_drawn_with_a_system_font_that_has_it(db, shot, tmp_path, monkeypatch):
    face = fonts.Face(cjk_font(tmp_path / "cjk.ttf"))
    monkeypatch.setattr(fonts, "system_fallbacks", lambda: (face,))
    text = pdf_text(render(reports.scene_report(db, "42"), tmp_path / "r.pdf", "pdf"))
    assert "山田 花子" in text and fonts.SUBSTITUTE not in text
    assert "Zoë Ødegård" in text


def test_empty_scene_renders_in_every_format(db, crew, tmp_path):
    made = reports.scene_report(db, "42")
    assert made.scenes[0].headcount == () and made.scenes[0].peak == 0
    text = pdf_text(render(made, tmp_path / "r.pdf", "pdf"))
    assert "Scene 42 - Bedroom, night" in text and "The set was never rolling or on hold." in text
    rows = list(csv.DictReader(io.StringIO((render(made, tmp_path / "r.csv", "csv")).read_text("utf-8"))))
    assert not [row for row in rows if row["record"] == "scan"]
    data = json.loads(render(made, tmp_path / "r.json", "json").read_text("utf-8"))
    assert data["scenes"][0]["summary"]["entries"] == 0 and data["scenes"][0]["peak"] == {"count": 0, "at": None}


def append_scans(db, scene_ref: str, people: list[str], count: int, start: datetime, step: float = 1.0) -> None:
    """``count`` admit/exit scans straight into the log (valid events), one each ``step`` seconds."""
    with write(db):
        for i in range(count):
            person = people[(i // 2) % len(people)]
            record.append(db, KIOSK, rules.SCAN, rules.presence_key(scene_ref, person, "set"),
                          {"scan_id": uuid.uuid4().hex, "scene": scene_ref, "person": person, "zone": "set",
                           "decision": "exit" if i % 2 else "admit", "reason": "exit" if i % 2 else "approved"},
                          at=(start + timedelta(seconds=i * step)).isoformat(timespec="microseconds"))


def test_thousands_of_scans_every_row_in_every_format(db, crew, tmp_path):
    people = [ref for (ref,) in db.execute("SELECT ref FROM people ORDER BY ref")]
    append_scans(db, "42", people, 3000, datetime(2026, 11, 20, 9, tzinfo=UTC))
    made = reports.scene_report(db, "42", ZoneInfo("Europe/Paris"))
    assert len(made.scenes[0].movements) == 3000 and made.scenes[0].peak == 1
    pdf = render(made, tmp_path / "r.pdf", "pdf")
    reader = PdfReader(pdf)
    assert len(reader.pages) > 3000 / 60
    last = reader.pages[-1].extract_text()
    assert "20 Nov 10:49:59" in last  # the 3000th scan, 09:00 UTC + 2999 s, in Paris time
    rows = [r for r in csv.DictReader(render(made, tmp_path / "r.csv", "csv").open(encoding="utf-8"))
            if r["record"] == "scan"]
    assert len(rows) == 3000 and rows[-1]["at"] == "2026-11-20T10:49:59+01:00"


def test_csv_opens_in_spreadsheets_with_bom_and_offsets(db, shot, tmp_path):
    made = reports.scene_report(db, "42", ZoneInfo("Asia/Kolkata"))
    out = render(made, tmp_path / "r.csv", "csv", bom=True)
    assert out.read_bytes().startswith(b"\xef\xbb\xbfscene,record,")
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    assert {"Zoë Ødegård", "山田 花子", "Ольга Иванова"} <= {row["name"] for row in rows}
    times = [row["at"] for row in rows if row["at"]]
    assert times and all(datetime.fromisoformat(at).utcoffset() == timedelta(hours=5, minutes=30) for at in times)
    refused = [row for row in rows if row["decision"] in ("wait", "deny")]
    assert next(row["words"] for row in refused) == "Not on the approved list for scene 42"
    assert rows[-1]["record"] == "audit" and rows[-1]["value"] == "intact"
    assert not render(made, tmp_path / "plain.csv", "csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_json_shape(db, shot, tmp_path):
    data = json.loads(render(reports.scene_report(db, "42"), tmp_path / "r.json", "json").read_text("utf-8"))
    assert data["format"] == "closed-set-report" and data["version"] == 1 and data["scope"] == "scene"
    assert set(data) >= {"production", "subject", "generated_at", "timezone", "scenes", "audit", "start", "end"}
    scene = data["scenes"][0]
    assert set(scene) >= {"ref", "title", "approved", "events", "periods", "headcount", "summary", "peak"}
    assert scene["summary"]["refused_attempts"] == 3 and scene["peak"]["count"] == 5
    assert all(datetime.fromisoformat(at).utcoffset() is not None for at, _ in scene["headcount"])
    event = next(e for e in scene["events"] if e["decision"] == "deny")
    assert set(event) == {"id", "at", "kind", "words", "zone", "decision", "reason", "person_ref", "name", "raw",
                          "by", "kiosk"}
    assert {"state": "rolling"}.items() <= scene["periods"][1].items()
    assert data["audit"]["ok"] is True


def test_no_wellbeing_content_reaches_any_format(db, shot, tmp_path):
    with write(db):
        record.append(db, KIOSK, rules.CHECKIN_RECORDED, "checkin/42/1/C01",
                      {"scene": "42", "run": 1, "person": "C01", "by": "Amara", "follow_up_due": None,
                       "sealed": None, "state": "done", "status": "ok", "note": "PRIVATE-NOTE-TEXT",
                       "signposting": "PRIVATE-STATUS"},
                      at="2026-11-23T10:00:00.000000+00:00")
    made = reports.scene_report(db, "42")
    assert made.scenes[0].checkins == Completion(pending=2, offered=4)  # the two performers; the crew inside
    for fmt in ("pdf", "csv", "json"):
        out = render(made, tmp_path / f"r.{fmt}", fmt)
        text = pdf_text(out) if fmt == "pdf" else out.read_text("utf-8")
        assert "PRIVATE-NOTE-TEXT" not in text and "PRIVATE-STATUS" not in text
        assert "pending" in text.lower()  # completion is reported: done / pending / follow-ups open


def test_day_report_uses_local_midnight(db, crew, tmp_path):
    scenes.add_scene(db, "43", "Bath, morning", KIOSK)
    people = ["C01"]
    # 23:30 UTC on 10 March is 00:30 on 11 March in Paris: that day's, not the 10th's.
    append_scans(db, "42", people, 2, datetime(2026, 3, 10, 23, 30, tzinfo=UTC), step=60)
    append_scans(db, "43", people, 1, datetime(2026, 3, 10, 12, tzinfo=UTC))
    paris = ZoneInfo("Europe/Paris")
    tenth, eleventh = reports.day_report(db, "2026-03-10", paris), reports.day_report(db, date(2026, 3, 11), paris)
    assert [s.ref for s in tenth.scenes] == ["43"] and [s.ref for s in eleventh.scenes] == ["42"]
    assert [e.at.hour for e in eleventh.scenes[0].movements] == [0, 0] and eleventh.scenes[0].peak == 1
    assert tenth.scenes[0].headcount[-1][1] == 1  # 43's admission, still inside at the day's end
    assert [s.ref for s in reports.day_report(db, "2026-03-10", UTC).scenes] == ["42", "43"]
    assert "Closed sets on 2026-03-11" in pdf_text(render(eleventh, tmp_path / "d.pdf", "pdf"))
    empty = reports.day_report(db, "2020-01-01", paris)
    assert empty.scenes == () and "No closed-set activity" in pdf_text(render(empty, tmp_path / "e.pdf", "pdf"))


def test_failed_render_leaves_no_file(db, shot, tmp_path, monkeypatch):
    import kiosk.reports.pdf as pdf

    monkeypatch.setattr(pdf, "report_pdf", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        render(reports.scene_report(db, "42"), tmp_path / "r.pdf", "pdf")
    assert not [path for path in tmp_path.iterdir() if "r.pdf" in path.name]  # neither the file nor a part
    with pytest.raises(RenderError, match="does not exist"):
        render(reports.scene_report(db, "42"), tmp_path / "missing" / "r.csv", "csv")


# ---------------------------------------------------------------- the command line and the roll-call

def test_report_command(db, shot, tmp_path, capsys, cli):
    status, out, _ = cli("report", "42", "--out", tmp_path / "r.json")
    assert status == 0 and "Wrote" in out and json.loads((tmp_path / "r.json").read_text("utf-8"))["scenes"]
    status, _, _ = cli("report", "--date", date.today().isoformat(), "--format", "csv",
                         "--out", tmp_path / "day.txt", "--bom", "--tz", "UTC")
    assert status == 0 and (tmp_path / "day.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    status, _, _ = cli("report", "42", "--format", "pdf", "--paper", "letter", "--out", tmp_path / "r")
    assert status == 0 and "Helen Marsh" in pdf_text(tmp_path / "r")


@pytest.mark.parametrize("args, message", [
    (("42", "--date", "2026-01-01"), "Name a scene, or give --date"),
    ((), "Name a scene, or give --date"),
    (("--date", "31/12/2026"), "YYYY-MM-DD"),
    (("99",), "No scene '99'"),
    (("42", "--tz", "Mars/Olympus"), "Unknown time zone"),
    (("42", "--bom", "--format", "pdf"), "--bom is for CSV"),
    (("42", "--format", "xlsx"), "Invalid value for '--format'"),
])
def test_report_command_errors(db, crew, tmp_path, capsys, args, message, cli):
    status, _, err = cli("report", *args, "--out", tmp_path / "r.json")
    assert status == 2 and message in err
    assert not list(tmp_path.glob("*r.json*"))
    status, _, err = cli("report", "42", "--out", tmp_path / "r.report")
    assert status == 2 and "Give --format" in err
    status, _, err = cli("report", "42", "--out", tmp_path / "nowhere" / "r.pdf")
    assert status == 2 and "does not exist" in err


def test_rollcall_pdf(db, crew, tmp_path, capsys, cli):
    scenes.approve(db, "42", ("C03",), by="Sam Whitfield", kiosk=KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    for ref in ("C01", "C03", "D01"):
        door.scan(db, "42", crew[ref], "set", KIOSK)
    status, out, _ = cli("inside", "--all", "--pdf", tmp_path / "roll.pdf")
    assert status == 0 and "Helen Marsh" in out
    text = pdf_text(tmp_path / "roll.pdf")
    assert "ROLL-CALL: 3 inside" in text and all(n in text for n in ("Zoë Ødegård", "Ольга Иванова", "Helen Marsh"))
    lift(db, "42", KIOSK)
    render_rollcall(reports.rollcall(db), tmp_path / "empty.pdf", paper="letter")
    assert "Nobody is inside any open scene." in pdf_text(tmp_path / "empty.pdf")


@given(st.lists(st.tuples(st.floats(0, 1000), st.integers(0, 50)), max_size=60).map(sorted),
       st.integers(1, 80))
def test_bucket_peaks_never_hide_the_peak(series, buckets):
    bars = core.bucket_peaks(series, 0.0, 1000.0, buckets)
    assert len(bars) == buckets
    assert max(bars, default=0) == max((count for _, count in series), default=0)


def test_no_report_or_export_shows_a_live_code_however_it_was_typed(db, crew, tmp_path):
    """A code typed with a typo, or in a shape the door refused, is shown masked: a few characters and its
    length, so nobody reading a report can type it in."""
    from kiosk.core import codes

    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    live = crew["R01"]
    typo = live[:-1] + next(symbol for symbol in codes.ALPHABET if symbol != live[-1])
    for typed in (typo, f"{live}!", f"x{live[:9]}--{live[9:]}"):
        assert door.scan(db, "42", typed, "set", KIOSK).decision == "deny"
    made = reports.scene_report(db, "42")
    assert [event.raw for event in made.scenes[0].refused] == [
        f"{typo[:3]}… (18 characters)", f"{live[:3]}… (19 characters)", f"x{live[:2]}… (21 characters)"]
    for fmt in ("pdf", "csv", "json"):
        out = render(made, tmp_path / f"r.{fmt}", fmt)
        text = pdf_text(out) if fmt == "pdf" else out.read_text(encoding="utf-8")
        assert live[:6] not in text and typo[:6] not in text, fmt
