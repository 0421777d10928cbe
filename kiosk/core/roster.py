"""Reading a cast-and-crew list as the production office has it.  Pure: bytes and options in, people or errors out.

``kiosk.core.tables`` turns the bytes into rows of cell texts: an Excel workbook (.xlsx) or CSV text in any
dialect a spreadsheet saves, UTF-8 or UTF-16 found by themselves, any other encoding only when named.  Here the
header is found - it may stand below a title row or two - and its columns matched case-insensitively with the
names crews use ("Dept", "Position", "First name" + "Last name"...), or as ``RosterSource.columns`` maps them;
other columns (phone, email...) are not read at all.  The CSV's delimiter is the one that makes a header of
known columns.

Nothing is half-read: ``read_roster`` returns every person, or none and every bad row by line (and cell, in a
spreadsheet); callers write nothing unless the error list is empty.  Options that cannot be used at all (a
field that does not exist, an unknown encoding, a sheet the workbook lacks) raise ``RosterOptionError``.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from kiosk.core.tables import RosterOptionError, Row, RowError, Table, column_letter, read_table

KINDS = ("cast", "crew")
REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
MAX_FIELD = 200
HEADER_SEARCH = 10  # the header is one of the first rows that are not blank (title rows may come first)

# The fields a person has, each with the header names crews give it (compared after ``_normal``).
ALIASES = {
    "ref": ("ref", "reference", "id", "crew id"),
    "name": ("name", "full name"),
    "first name": ("first name", "firstname", "given name", "forename"),
    "last name": ("last name", "lastname", "surname", "family name"),
    "department": ("department", "dept"),
    "role": ("role", "position", "title", "job", "job title"),
    "kind": ("kind", "type", "cast/crew", "cast or crew"),
    "photo": ("photo", "photo file", "picture", "headshot"),  # a path relative to the list's own file
}
FIELDS = tuple(ALIASES)


@dataclass(frozen=True)
class RosterSource:
    """How to read a list; every option may be left out.

    ``columns`` maps a field (ref, name, first name, last name, department, role, kind) to the header of the
    column holding it, e.g. ``{"name": "Performer"}``; an empty header means the field is in no column.
    ``kind`` (cast or crew) is the kind of everyone whose row gives none, as in a file with no kind column.
    """

    sheet: str | None = None
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    kind: str | None = None


@dataclass(frozen=True)
class PersonRow:
    ref: str
    name: str
    department: str
    role: str
    kind: str
    line: int = 0
    photo: str = ""  # the photo's path as written in the list (relative to the list's file); "" for none


@dataclass(frozen=True)
class Reading:
    """How a list was read, to show before anything is saved."""

    format: str  # "CSV, semicolon-separated, UTF-8" or "Excel workbook, sheet 'Crew'"
    header_line: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # field -> where it came from, in words
    ignored: tuple[str, ...] = ()  # headers of the columns not read


@dataclass(frozen=True)
class Roster:
    people: list[PersonRow]
    errors: list[RowError]
    reading: Reading


def ref_from_name(name: str) -> str:
    """A stable ref for a person listed without one, so re-importing the same file updates, not duplicates."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:32]
    if not slug:  # a name with no Latin letters (山田 花子): a short stable digest instead
        slug = "p-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return slug


def _problems(ref: str, name: str, department: str, role: str, kind: str) -> list[tuple[str, str]]:
    """What is wrong with one person's fields: (field, words) pairs, empty when they are fine."""
    problems = []
    if not name:
        problems.append(("name", "name is missing"))
    if kind.lower() not in KINDS:
        problems.append(
            ("kind", f"kind must be cast or crew, not {kind!r}" if kind else "kind is missing (cast or crew)")
        )
    if ref and not REF_PATTERN.match(ref):
        problems.append(("ref", f"ref {ref!r} must be letters, digits, '.', '_' or '-' (at most 40)"))
    for label, value in (("name", name), ("department", department), ("role", role)):
        if len(value) > MAX_FIELD:
            problems.append((label, f"{label} is longer than {MAX_FIELD} characters"))
        if any(not char.isprintable() for char in value):
            problems.append((label, f"{label} contains control characters"))
    return problems


def check_person(ref: str, name: str, department: str, role: str, kind: str) -> list[str]:
    """What is wrong with one person's fields, in words; empty when they are fine."""
    return [words for _, words in _problems(ref, name, department, role, kind)]


def field_name(text: str) -> str:
    """A field as typed in an option ("first_name", "Dept") as one of ``FIELDS``; RosterOptionError if none."""
    wanted = _normal(text)
    for name, aliases in ALIASES.items():
        if wanted == name or wanted in aliases:
            return name
    raise RosterOptionError(
        f"{text!r} is not something the kiosk reads from a list; the fields are {', '.join(FIELDS)}"
    )


def parse_column_map(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["name=Performer", "kind="]`` as ``RosterSource.columns``; RosterOptionError for a malformed pair."""
    columns: dict[str, str] = {}
    for pair in pairs:
        key, equals, header = pair.partition("=")
        if not equals:
            raise RosterOptionError(f'{pair!r} must be FIELD=COLUMN, e.g. name="Performer"')
        columns[field_name(key)] = header.strip()
    return columns


def _normal(header: str) -> str:
    """A header as compared: case, spacing, '_', '-' and '.' do not matter ("Crew_ID", "DEPT.", "Cast / Crew")."""
    text = " ".join(re.sub(r"[_.\-]", " ", header.casefold()).split())
    return re.sub(r" ?/ ?", "/", text)


# --- The header: which column holds which field ----------------------------------------------------------


def _match(cells: list[str], columns: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """The column index of each field found in a header row, and the problems (a field in two columns)."""
    normal = [_normal(cell) for cell in cells]
    found: dict[str, int] = {}
    problems = []
    mapped = {name: _normal(header) for name, header in columns.items()}
    claimed = {index for index, text in enumerate(normal) if text and text in mapped.values()}
    for name in FIELDS:
        if name in mapped:
            wanted = [index for index, text in enumerate(normal) if mapped[name] and text == mapped[name]]
        else:
            wanted = [index for index, text in enumerate(normal) if text in ALIASES[name] and index not in claimed]
        if name in mapped and mapped[name] and not wanted:
            problems.append(
                f"no column {columns[name]!r} for the {name} (--map); the header has "
                + ", ".join(repr(cell) for cell in cells if cell.strip())
            )
        if len(wanted) > 1:
            where = " and ".join(f"{cells[index]!r} (column {column_letter(index)})" for index in wanted)
            remedy = (
                "rename or remove one"
                if len({normal[index] for index in wanted}) == 1
                else f"remove one, or choose one with --map {name.replace(' ', '-')}=COLUMN"
            )
            problems.append(f"the header names the {name} twice: {where} - {remedy}")
        if wanted:
            found[name] = wanted[0]
    return found, problems


def _fit(rows: list[Row], columns: dict[str, str]) -> tuple[int, int, int]:
    """How well a delimiter split the start of a CSV: the known columns it makes of the header, then the
    header's width, then the fewest rows wider than the header."""
    header = _find_header(rows, columns)
    if header is None:
        return 0, 0, 0
    line, cells = header
    return (
        len(_match(cells, columns)[0]),
        len(cells),
        -sum(len(row) > len(cells) for number, row in rows if number > line),
    )


def _has_name(found: dict[str, int]) -> bool:
    return "name" in found or ("first name" in found and "last name" in found)


def _find_header(rows: list[Row], columns: dict[str, str]) -> Row | None:
    """The first of the first ``HEADER_SEARCH`` rows that are not blank that names the name column(s)."""
    filled = [(line, cells) for line, cells in rows if any(cell.strip() for cell in cells)]
    return next(((line, cells) for line, cells in filled[:HEADER_SEARCH] if _has_name(_match(cells, columns)[0])), None)


def _describe(indexes: list[int], cells: list[str], spreadsheet: bool) -> str:
    """Where a field comes from, in words: "'Dept'", or in a spreadsheet "'First name' + 'Last name' (columns B, C)"."""
    headers = " + ".join(repr(cells[index]) for index in indexes)
    if not spreadsheet:
        return headers
    letters = ", ".join(column_letter(index) for index in indexes)
    return f"{headers} (column{'s' if len(indexes) > 1 else ''} {letters})"


# --- Reading ---------------------------------------------------------------------------------------------


def _check_options(source: RosterSource) -> dict[str, str]:
    if source.encoding is not None:
        try:
            codecs.lookup(source.encoding)
        except LookupError:
            raise RosterOptionError(
                f"{source.encoding!r} is not an encoding Python knows (try utf-8, cp1252, latin-1, mac_roman, utf-16)."
            ) from None
    if source.kind is not None and source.kind.lower() not in KINDS:
        raise RosterOptionError(f"The kind for everyone must be cast or crew, not {source.kind!r}.")
    columns = {field_name(name): header.strip() for name, header in source.columns.items()}
    if "name" in columns and ("first name" in columns or "last name" in columns):
        raise RosterOptionError("Map the name, or the first and last names, not both.")
    return columns


def read_roster(data: bytes, source: RosterSource | None = None) -> Roster:
    """Every person on the list, or every bad row by line (and cell, in a spreadsheet)."""
    source = source or RosterSource()
    columns = _check_options(source)
    table = read_table(data, source.sheet, source.encoding, fit=lambda rows: _fit(rows, columns))
    if table.errors and not table.rows:
        return Roster([], table.errors, Reading(table.format))
    header = _find_header(table.rows, columns)
    if header is None:
        mapped = f" ({columns['name']!r}, as --map says)" if columns.get("name") else ""
        first = next((line for line, cells in table.rows if any(cell.strip() for cell in cells)), None)
        missing = (
            RowError(1, "the list is empty")
            if first is None
            else RowError(
                first,
                f"no header row naming the name column{mapped} in the first {HEADER_SEARCH} rows: the header "
                "needs Name (or First name and Last name), Kind (cast or crew), and may have Ref, Department and "
                "Role; other names with --map name=COLUMN",
            )
        )
        return Roster([], sorted([*table.errors, missing], key=_order), Reading(table.format))
    header_line, cells = header
    found, problems = _match(cells, columns)
    if "name" in found:
        found.pop("first name", None)
        found.pop("last name", None)
    where = {name: [index] for name, index in found.items()}
    if "first name" in where:
        where["name"] = where.pop("first name") + where.pop("last name")
    described: dict[str, str] = {
        name: _describe(where[name], cells, table.spreadsheet) if name in where else "made from the name"
        for name in ("ref", "name", "department", "role", "kind", "photo")
        if name in where or name == "ref"
    }
    if source.kind:
        described["kind"] = (
            f"{described['kind']}, else {source.kind.lower()}"
            if "kind" in where
            else f"{source.kind.lower()} for everyone"
        )
    used = {index for indexes in where.values() for index in indexes}
    reading = Reading(
        table.format,
        header_line,
        described,
        tuple(cell for index, cell in enumerate(cells) if cell.strip() and index not in used),
    )
    errors = [RowError(header_line, problem) for problem in problems]
    if "kind" not in where and not source.kind:
        errors.append(
            RowError(
                header_line,
                "no kind column (cast or crew): add one, name it with "
                "--map kind=COLUMN, or give everyone's kind with --kind",
            )
        )
    if errors:  # the columns are not clear: the rows cannot be checked
        return Roster([], sorted(table.errors + errors, key=_order), reading)
    people, errors = _people(table, header_line, len(cells), where, source.kind)
    errors = sorted(table.errors + errors, key=_order)
    return Roster([] if errors else people, errors, reading)


def _order(error: RowError) -> tuple[int, int, str]:
    letters = error.cell.rstrip("0123456789")
    return error.line, len(letters), letters


def _people(
    table: Table, header_line: int, width: int, where: dict[str, list[int]], kind: str | None
) -> tuple[list[PersonRow], list[RowError]]:
    """The rows below the header as people, or each bad row's problems (in a spreadsheet, with their cells)."""
    people: list[PersonRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, cells in table.rows:
        if line <= header_line or not any(cell.strip() for cell in cells):
            continue
        values = {
            name: " ".join(
                part
                for part in (cells[index].strip() if index < len(cells) else "" for index in where.get(name, ()))
                if part
            )
            for name in ("ref", "name", "department", "role", "kind", "photo")
        }
        values["kind"] = values["kind"] or (kind or "")
        photo = values.pop("photo")
        problems = _problems(**values)
        if not table.spreadsheet and any(cell.strip() for cell in cells[width:]):
            problems.append(
                (
                    "",
                    (
                        f"more cells than the header has columns ({len(cells)}, not {width}) - "
                        "is a separator inside a name without quotes?"
                    ),
                )
            )
        ref = values["ref"] or (ref_from_name(values["name"]) if values["name"] else "")
        if ref and ref in seen:
            problems.append(
                (
                    "ref" if values["ref"] else "name",
                    f"ref {ref!r} is used again (first on line {seen[ref]})"
                    if values["ref"]
                    else f"same name as line {seen[ref]}; give each of them a ref",
                )
            )
        seen.setdefault(ref, line)
        if problems:
            errors.extend(RowError(line, words, _cell(table, where.get(name), line)) for name, words in problems)
            continue
        people.append(
            PersonRow(ref, values["name"], values["department"], values["role"], values["kind"].lower(), line, photo)
        )
    return people, errors


def _cell(table: Table, indexes: list[int] | None, line: int) -> str:
    """The address of a field's (first) cell on a line of a spreadsheet; nothing for CSV."""
    return f"{column_letter(indexes[0])}{line}" if table.spreadsheet and indexes else ""
