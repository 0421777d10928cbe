"""Crew lists as the production office has them: .xlsx workbooks and CSV in every dialect and encoding.

Every file here is made the way the spreadsheet makes it: real workbooks written by openpyxl, CSV text written
by Python's csv module with the delimiter and encoding a European Excel, a Windows Excel or Excel's "Unicode
Text" would use.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import json
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from kiosk.core import roster as core
from kiosk.core import tables
from kiosk.core.roster import RosterOptionError, RosterSource, read_roster
from kiosk.services import ServiceError, roster
from tests.support import KIOSK

HEADER = ["Crew ID", "First name", "Last name", "Dept", "Position", "Type", "Phone", "Email"]
ROWS = [["N1", "Zoë", "Ødegård", "Cast", "Lead - Mara", "Cast", "+44 7700 900001", "zoe@example.com"],
        ["N2", "Renée", "Dubois", "Camera", "Focus puller; 2nd unit", "crew", "", ""],
        ["N3", "山田", "花子", "Cast", "Supporting, Aiko", "CAST", "", ""]]
EXPECTED = [("N1", "Zoë Ødegård", "Cast", "Lead - Mara", "cast"),
            ("N2", "Renée Dubois", "Camera", "Focus puller; 2nd unit", "crew"),
            ("N3", "山田 花子", "Cast", "Supporting, Aiko", "cast")]


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def people(result: core.Roster) -> list[tuple[str, str, str, str, str]]:
    assert result.errors == [], result.errors
    return [(person.ref, person.name, person.department, person.role, person.kind) for person in result.people]


def reasons(result: core.Roster) -> list[str]:
    assert result.people == []
    return [str(error) for error in result.errors]


# --- CSV --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter, words", [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
@pytest.mark.parametrize("encoding, label", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8"), ("utf-16", "UTF-16")])
def test_csv_in_every_dialect_and_encoding_found_by_itself(delimiter, words, encoding, label):
    result = read_roster(csv_bytes([HEADER, *ROWS], delimiter, encoding))
    assert people(result) == EXPECTED
    assert result.reading.format == f"CSV, {words}-separated, {label}"
    assert result.reading.columns == {"ref": "'Crew ID'", "name": "'First name' + 'Last name'",
                                      "department": "'Dept'", "role": "'Position'", "kind": "'Type'"}
    assert result.reading.ignored == ("Phone", "Email")  # read past, never kept


def test_a_windows_csv_is_refused_until_its_encoding_is_named():
    data = csv_bytes([["name", "department", "kind"], ["Renée Dubois", "Art", "crew"], ["Ana", "Art", "crew"],
                      ["Zoë", "Art", "cast"]], ";", "cp1252")
    refused = reasons(read_roster(data))
    assert len(refused) == 2  # lines 2 and 4; the advice once
    assert refused[0].startswith("line 2: not UTF-8 text (byte 0xe9 at column 4): name the file's encoding "
                                 "(--encoding cp1252")
    assert refused[1] == "line 4: not UTF-8 text (byte 0xeb at column 3)"
    assert [person.name for person in read_roster(data, RosterSource(encoding="cp1252")).people] == \
        ["Renée Dubois", "Ana", "Zoë"]
    refused = reasons(read_roster("name,kind\nЖанна,crew\n".encode("utf-16-le"), RosterSource(encoding="utf-8")))
    assert refused[0].startswith("line 1: not valid utf-8 text") or "not CSV text" in refused[0]
    with pytest.raises(RosterOptionError, match="not an encoding"):
        read_roster(data, RosterSource(encoding="windows-1252-ish"))


def test_utf16_without_a_bom_is_not_guessed():
    refused = reasons(read_roster("name\tkind\nAna\tcrew\n".encode("utf-16-le")))
    assert refused == [("line 1: this is not CSV text (if it is UTF-16 text without a byte-order mark, name it: "
                        "--encoding utf-16-le)")]
    assert people(read_roster("name\tkind\nAna\tcrew\n".encode("utf-16-le"), RosterSource(encoding="utf-16-le"))) \
        == [("ana", "Ana", "", "", "crew")]


def test_title_rows_above_the_header_and_blank_rows_are_passed_over():
    data = csv_bytes([["NIGHT GARDEN - cast and crew v3"], ["Strictly confidential"], [],
                      ["ID", "Full name", "Department", "Title", "Cast/Crew"], ["1", "Ana Lima", "Art", "PA", "crew"],
                      [], ["2", "Bo Chan", "Grip", "Key grip", "crew"]])
    result = read_roster(data)
    assert people(result) == [("1", "Ana Lima", "Art", "PA", "crew"), ("2", "Bo Chan", "Grip", "Key grip", "crew")]
    assert result.reading.header_line == 4 and [person.line for person in result.people] == [5, 7]


def test_map_names_any_column_and_kind_fills_a_list_without_one():
    data = csv_bytes([["Performer", "Character", "Notes"], ["Zoë Ødegård", "Mara", "robe"]])
    assert reasons(read_roster(data))[0].startswith("line 1: no header row naming the name column")
    source = RosterSource(columns={"name": "performer", "role": "Character"}, kind="cast")
    result = read_roster(data, source)
    assert people(result) == [("zoe-degard", "Zoë Ødegård", "", "Mara", "cast")]
    assert result.reading.columns["kind"] == "cast for everyone" and result.reading.ignored == ("Notes",)
    assert reasons(read_roster(data, RosterSource(columns={"name": "Performer"}))) == [(
        "line 1: no kind column (cast or crew): add one, name it with --map kind=COLUMN, or give everyone's kind "
        "with --kind")]
    assert reasons(read_roster(data, RosterSource(columns={"name": "Performer", "department": "Section"},
                                                  kind="cast")))[0].startswith(
        "line 1: no column 'Section' for the department (--map); the header has 'Performer', 'Character'")


def test_kind_default_fills_blank_cells_and_a_mapped_out_column_is_not_read():
    data = csv_bytes([["name", "type"], ["Ana", "Crew"], ["Bo", ""], ["Cy", "Weekly"]])
    assert reasons(read_roster(data, RosterSource(kind="cast"))) == [
        "line 4: kind must be cast or crew, not 'Weekly'"]
    result = read_roster(data, RosterSource(columns={"kind": ""}, kind="crew"))  # "type" means something else
    assert [person.kind for person in result.people] == ["crew"] * 3 and result.reading.ignored == ("type",)


def test_column_map_from_the_command_line_words():
    assert core.parse_column_map(["name=Performer", "first_name=Given", "Dept=Section", "kind="]) == \
        {"name": "Performer", "first name": "Given", "department": "Section", "kind": ""}
    with pytest.raises(RosterOptionError, match="'nmae' is not something the kiosk reads"):
        core.parse_column_map(["nmae=Performer"])
    with pytest.raises(RosterOptionError, match="FIELD=COLUMN"):
        core.parse_column_map(["Performer"])


@pytest.mark.parametrize("header, message", [
    (["Name", "Dept", "Name", "Kind"],
     "line 1: the header names the name twice: 'Name' (column A) and 'Name' (column C)"),
    (["name", "Dept", "Department", "kind"],
     "line 1: the header names the department twice: 'Dept' (column B) and 'Department' (column C)"),
])
def test_a_header_naming_a_column_twice_is_refused_saying_which(header, message):
    refused = reasons(read_roster(csv_bytes([header, ["Ana", "Art", "Art", "crew"]])))
    assert len(refused) == 1 and refused[0].startswith(message)


def test_every_bad_row_is_named_by_line_and_a_stray_separator_is_caught():
    data = csv_bytes([["ref", "name", "kind"], ["A1", "Ana", "crew"], ["A2", "", "crew"], ["A1", "Bo", "alien"]])
    data += b"A3,Lima, Ana,crew\r\n"  # a comma inside a name with no quotes: four cells under three columns
    assert reasons(read_roster(data)) == [
        "line 3: name is missing", "line 4: kind must be cast or crew, not 'alien'",
        "line 4: ref 'A1' is used again (first on line 2)", "line 5: kind must be cast or crew, not 'Ana'",
        "line 5: more cells than the header has columns (4, not 3) - is a separator inside a name without quotes?"]


def test_a_quote_never_closed_is_named_not_taken_for_a_missing_kind():
    data = b'ref,name,kind\nA1,Ana,crew\nA2,"Bo Lima,crew\nA3,Cy,cast\nA4,Di,cast\n'
    assert reasons(read_roster(data)) == [
        'line 3: a quote (") opens a cell on this line and is never closed, so the rest of the file would be one '
        "cell: close the quote, or remove it"]
    closed = read_roster(b'ref,name,kind\nA1,"Ana, the elder",crew\n')  # a quoted comma is fine
    assert [person.name for person in closed.people] == ["Ana, the elder"] and not closed.errors


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, b"\r\n\r\n", b",,,\n,,\n"])
def test_an_empty_list_is_refused(data):
    assert reasons(read_roster(data)) == ["line 1: the list is empty"]


def test_a_list_past_the_row_limit_is_refused_whole(monkeypatch):
    monkeypatch.setattr(tables, "MAX_ROWS", 5)
    rows = [["name", "kind"]] + [[f"P{n}", "crew"] for n in range(6)]
    assert reasons(read_roster(csv_bytes(rows)))[0].startswith("line 6: the list goes on past 5 rows")
    assert reasons(read_roster(xlsx_bytes({"Crew": rows})))[0].startswith("line 6: the list goes on past 5 rows")


# --- Workbooks --------------------------------------------------------------------------------------------

def test_xlsx_first_sheet_or_the_one_named():
    data = xlsx_bytes({"Cast": [["Night Garden - cast"], [], ["ID", "Full name", "Dept", "Title", "Cast/Crew"],
                                [1, "Zoë Ødegård", "Cast", "Lead", "cast"], [2.0, "Bo Chan", "Cast", None, "Cast"]],
                       "Crew": [HEADER, *ROWS]})
    result = read_roster(data)
    assert people(result) == [("1", "Zoë Ødegård", "Cast", "Lead", "cast"), ("2", "Bo Chan", "Cast", "", "cast")]
    assert result.reading.format == "Excel workbook, sheet 'Cast'" and result.reading.header_line == 3
    assert result.reading.columns["name"] == "'Full name' (column B)"
    crew = read_roster(data, RosterSource(sheet="Crew"))
    assert people(crew) == EXPECTED
    assert crew.reading.columns["name"] == "'First name' + 'Last name' (columns B, C)"
    with pytest.raises(RosterOptionError, match="no sheet 'Extras'; its sheets are 'Cast', 'Crew'"):
        read_roster(data, RosterSource(sheet="Extras"))


def test_xlsx_bad_rows_are_named_by_line_and_cell():
    rows = [["ref", "name", "department", "role", "kind"]] + [[f"R{n}", f"Person {n}", "Art", "PA", "crew"]
                                                             for n in range(2, 14)]
    rows.append(["R14", None, "Art", "PA", "alien"])
    rows.append(["R2", "Again", "Art", "Line one\nline two", "crew"])
    assert reasons(read_roster(xlsx_bytes({"Crew": rows}))) == [
        "line 14, cell B14: name is missing", "line 14, cell E14: kind must be cast or crew, not 'alien'",
        "line 15, cell A15: ref 'R2' is used again (first on line 2)",
        "line 15, cell D15: role contains control characters"]


@pytest.mark.parametrize("data, message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "an old .xls workbook (or one locked with a password)"),
    (None, "an OpenDocument spreadsheet (.ods): save it as Excel .xlsx or CSV UTF-8"),
    (b"PK\x03\x04" + bytes(100), "a damaged workbook or archive"),
])
def test_files_that_are_not_a_list_we_read_say_what_to_do(data, message):
    if data is None:  # a LibreOffice file, as far as its container tells
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as ods:
            ods.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            ods.writestr("content.xml", "<office:document-content/>")
        data = archive.getvalue()
    assert reasons(read_roster(data))[0].startswith(f"line 1: {message}")


def test_a_damaged_workbook_is_a_message():
    whole = xlsx_bytes({"Crew": [["name", "kind"], ["Ana", "crew"]]})
    archive = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole)) as source, zipfile.ZipFile(archive, "w") as damaged:
        for item in source.infolist():
            body = source.read(item)
            damaged.writestr(item, body[: len(body) // 2] if item.filename.endswith("sheet1.xml") else body)
    assert reasons(read_roster(archive.getvalue()))[0].startswith("line 1: the workbook cannot be read")


# --- Any cell text: read back exactly, or refused by line; never an exception -----------------------------

# Names as people have them half the time, any text at all the other half.
WORDS = st.text(st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=30)
CELL = st.one_of(WORDS, st.text(st.characters(codec="utf-8"), max_size=30))
# What a workbook can hold: no control characters but tab and line ends; text starting "=" is a formula.
SHEET_CELL = st.one_of(WORDS, st.text(st.characters(
    codec="utf-8", exclude_characters=[chr(n) for n in range(32) if n not in (9, 10, 13)]), max_size=30)).filter(
    lambda text: not text.startswith("="))


def clean(cell: str) -> bool:
    value = cell.strip()
    return len(value) <= core.MAX_FIELD and all(char.isprintable() for char in value)


def check_property(result: core.Roster, rows: list[list[str]], last_line: int) -> None:
    """People exactly as written when every cell is fine; else nothing, and every error on a data line."""
    fine = all(row[1].strip() and all(clean(cell) for cell in row) for row in rows)
    event("read back" if fine else "refused")
    if fine:
        assert [(p.name, p.department, p.role) for p in result.people] == \
            [tuple(cell.strip() for cell in row[1:4]) for row in rows]
        assert result.errors == []
    else:
        assert result.people == [] and result.errors
        assert all(2 <= error.line <= last_line and str(error) for error in result.errors)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_any_csv_cell_round_trips_or_is_refused_by_line(rows, delimiter, encoding):
    table = [[f"R{n}", *row, "crew"] for n, row in enumerate(rows)]
    text = csv_bytes([["ref", "name", "department", "role", "kind"], *table], delimiter, encoding)
    check_property(read_roster(text), table, len(text.decode(encoding).splitlines()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(SHEET_CELL, min_size=3, max_size=3), max_size=4))
def test_any_xlsx_cell_round_trips_or_is_refused_by_line(rows):
    table = [[f"R{n}", *row, "crew"] for n, row in enumerate(rows)]
    data = xlsx_bytes({"Crew": [["ref", "name", "department", "role", "kind"], *table]})
    stored = [[str(cell) if cell is not None else "" for cell in row] for row in
              openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True)]
    assume(stored == table)  # what openpyxl writes as something else (a number, a date) is not the point here
    check_property(read_roster(data), table, len(table) + 1)


# --- Through the service and the command line -------------------------------------------------------------

def test_service_reads_a_workbook_with_options_and_keeps_the_old_call(db):
    data = xlsx_bytes({"Other": [["x"]], "Crew": [["Performer", "Dept"], ["Ana Lima", "Art"]]})
    result = roster.import_people(db, data, KIOSK, dry_run=True,
                                  source=RosterSource(sheet="Crew", columns={"name": "Performer"}, kind="crew"))
    assert result.ok and result.added == ["ana-lima"] and result.names == {"ana-lima": "Ana Lima"}
    assert roster.list_people(db) == []
    with pytest.raises(ServiceError, match="no sheet 'Cast'"):
        roster.import_people(db, data, KIOSK, source=RosterSource(sheet="Cast"))
    assert roster.import_people(db, csv_bytes([HEADER, *ROWS], ";"), KIOSK).added == ["N1", "N2", "N3"]
    people = {person.ref: person for person in roster.list_people(db)}
    assert set(dataclasses.asdict(people["N1"])) == {"ref", "name", "department", "role", "kind",
                                                    "badge_issued_at"}  # no phone, no email


def test_cli_dry_run_shows_the_mapping_and_the_names(db_path, tmp_path, capsys, cli):
    assert cli("init", "--production", "Night Garden")[0] == 0
    workbook = tmp_path / "crew.xlsx"
    workbook.write_bytes(xlsx_bytes({"Crew": [["Night Garden crew"], HEADER, *ROWS]}))
    status, out, _ = cli("people", "import", workbook, "--dry-run")
    assert status == 0
    assert out.splitlines() == [
        f"{workbook}: Excel workbook, sheet 'Crew', header on line 2",
        "  ref         <- 'Crew ID' (column A)",
        "  name        <- 'First name' + 'Last name' (columns B, C)",
        "  department  <- 'Dept' (column D)",
        "  role        <- 'Position' (column E)",
        "  kind        <- 'Type' (column F)",
        "  not read: 'Phone', 'Email'",
        "Would add 3:",
        "  N1           Zoë Ødegård",
        "  N2           Renée Dubois",
        "  N3           山田 花子",
        "3 would be added, 0 would be updated, 0 unchanged."]
    status, out, _ = cli("people", "import", workbook, "--json")
    imported = json.loads(out)
    assert status == 0 and imported["added"] == ["N1", "N2", "N3"] and imported["names"]["N3"] == "山田 花子"
    assert imported["read"]["columns"]["department"] == "'Dept' (column D)" and imported["read"]["header_line"] == 2


def test_cli_options_and_refusals(db_path, tmp_path, capsys, cli):
    assert cli("init", "--production", "Night Garden")[0] == 0
    listing = tmp_path / "cast.csv"
    listing.write_bytes(csv_bytes([["Performer", "Character"], ["Renée Dubois", "Mara"]], ";", "cp1252"))
    status, _, err = cli("people", "import", listing, "--map", "name=Performer", "--kind", "cast")
    assert status == 2 and "line 2: not UTF-8 text" in err and "--encoding cp1252" in err
    status, out, _ = cli("people", "import", listing, "--encoding", "cp1252", "--map", "name=Performer",
                           "--map", "role=Character", "--kind", "cast", "--dry-run", "--json")
    assert status == 0 and json.loads(out)["names"] == {"renee-dubois": "Renée Dubois"}
    for args, message in ((["--map", "nmae=Performer"], "'nmae' is not something the kiosk reads"),
                          (["--map", "Performer"], "FIELD=COLUMN"),
                          (["--encoding", "klingon"], "not an encoding Python knows"),
                          (["--sheet", "Crew", "--encoding", "cp1252"], "no header row naming the name column"),
                          (["--kind", "extra"], "Invalid value for '--kind'")):
        status, _, err = cli("people", "import", listing, *args)
        assert status == 2 and message in err, (args, err)
    assert json.loads(cli("people", "list", "--json")[1]) == []
