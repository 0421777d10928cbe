"""A list's bytes as rows of cell texts: an Excel workbook (.xlsx) or CSV text in any dialect.  Pure, no I/O.

An .xlsx is read with openpyxl in read-only mode (imported only then): the first sheet, or the one named.  CSV
may be comma, semicolon (a European Excel) or tab separated ("Unicode Text"): the caller's ``fit`` scores how
well each delimiter splits the start of the file, and the best one is used.  UTF-8 with or without a BOM and
UTF-16 with a BOM are found by themselves; any other encoding is used only when it is named, and a file that
is not UTF-8 is never guessed into mojibake: each line that cannot be decoded is an error.  An .ods or an old
.xls is refused with the advice to save it as .xlsx or CSV (the well-kept .ods reader, python-calamine,
builds a dense grid of the sheet: an 800-byte .ods with one far cell took it 3.9 GB).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

MAX_ROWS = 100_000  # a sheet that goes on past this has something typed far below the list
MAX_COLUMNS = 200  # read no further right than this
SAMPLE_LINES = 50  # the start of a CSV that its delimiter is chosen from
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and password-protected workbooks
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

Row = tuple[int, list[str]]  # (line, cell texts)


class RosterOptionError(ValueError):
    """An option that cannot be used: nothing was read."""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str
    cell: str = ""  # in a spreadsheet, the cell at fault ("C14")

    def __str__(self) -> str:
        return f"line {self.line}" + (f", cell {self.cell}" if self.cell else "") + f": {self.reason}"


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text it shows (a number typed as an ID is ``12``, not ``12.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass
class Table:
    """A list as rows of cell texts, each with its line (its row number in a spreadsheet)."""

    format: str  # "CSV, semicolon-separated, UTF-8" or "Excel workbook, sheet 'Crew'"
    rows: list[Row]
    spreadsheet: bool = False
    errors: list[RowError] = field(default_factory=list)  # lines that could not be read


def _read_xlsx(data: bytes, sheet: str | None) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # any damage to the file is a message, never a traceback
        return Table("Excel workbook", [], True, [RowError(1, f"the workbook cannot be read ({error})")])
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise RosterOptionError(
                f"The workbook has no sheet {sheet!r}; its sheets are "
                + ", ".join(repr(name) for name in workbook.sheetnames)
                + "."
            )
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        if not hasattr(worksheet, "reset_dimensions"):
            raise RosterOptionError(f"The sheet {sheet!r} is a chart, not a table.")
        worksheet.reset_dimensions()  # the size a file states may be wrong: read what is there
        rows = worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS, max_row=MAX_ROWS + 1)
        table = Table(
            f"Excel workbook, sheet {worksheet.title!r}",
            [(line, [cell_text(value) for value in row]) for line, row in enumerate(rows, start=1)],
            spreadsheet=True,
        )
    except RosterOptionError:
        raise
    except Exception as error:
        return Table("Excel workbook", [], True, [RowError(1, f"the workbook cannot be read ({error})")])
    finally:
        workbook.close()
    return table


def _encoding(data: bytes, named: str | None) -> tuple[bytes, str, bool]:
    """The text's bytes without a BOM, its encoding, and whether it was named (rather than found)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :], "utf-8", False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data, "utf-16", False
    if named is None:
        return data, "utf-8", False
    return data, named, True


def _decode(data: bytes, encoding: str, named: bool) -> tuple[str, list[RowError]]:
    """The text, with each line that cannot be decoded reported by number (and read as blank)."""
    wrong = "not UTF-8 text" if encoding == "utf-8" and not named else f"not valid {encoding} text"
    advice = (
        "name the file's encoding (--encoding cp1252 for a CSV from Excel on Windows, mac_roman from an old "
        "Mac), or save it as CSV UTF-8"
        if encoding == "utf-8" and not named
        else "is that the file's encoding?"
    )
    if "\n".encode(encoding) != b"\n":  # UTF-16 and the like: lines cannot be cut from the bytes
        try:
            return data.decode(encoding), []
        except UnicodeDecodeError as error:
            line = data[: error.start].decode(encoding, "replace").count("\n") + 1
            return "", [RowError(line, f"{wrong}: {advice}")]
    errors: list[RowError] = []
    lines = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(raw.decode(encoding))
        except UnicodeDecodeError as error:
            where = f"{wrong} (byte 0x{raw[error.start]:02x} at column {error.start + 1})"
            errors.append(RowError(number, where if errors else f"{where}: {advice}"))
            lines.append("")
    return "\n".join(lines), errors


def _split(text: str, delimiter: str) -> tuple[list[Row], list[RowError]]:
    """CSV text as rows, each with the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    try:
        while len(rows) <= MAX_ROWS:
            line = reader.line_num + 1
            try:
                rows.append((line, next(reader)))
            except StopIteration:
                break
    except csv.Error as error:
        return rows, [RowError(reader.line_num, f"the CSV cannot be read here ({error})")]
    if rows and _quote_left_open(text, rows[-1][0], delimiter):
        line = rows.pop()[0]
        return rows, [
            RowError(
                line,
                'a quote (") opens a cell on this line and is never closed, so the rest of '
                "the file would be one cell: close the quote, or remove it",
            )
        ]
    return rows, []


def _quote_left_open(text: str, line: int, delimiter: str) -> bool:
    """Whether the row starting on ``line`` (the last one) ends inside a quoted cell that never closes: the
    lenient reader takes everything to the end of the file into that cell."""
    rest = "".join(text.splitlines(keepends=True)[line - 1 :])
    try:
        for _ in csv.reader(io.StringIO(rest, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def _read_csv(data: bytes, encoding: str | None, fit: Callable[[list[Row]], tuple[int, ...]]) -> Table:
    body, encoding, named = _encoding(data, encoding)
    text, errors = _decode(body, encoding, named)
    if text.count("\x00") * 10 > len(text):  # binary, or UTF-16 without its byte-order mark
        return Table(
            "CSV",
            [],
            errors=[
                RowError(
                    1,
                    "this is not CSV text (if it is UTF-16 text without a "
                    "byte-order mark, name it: --encoding utf-16-le)",
                )
            ],
        )
    sample = "\n".join(text.splitlines()[:SAMPLE_LINES])
    delimiter = max(DELIMITERS, key=lambda delimiter: fit(_split(sample, delimiter)[0]))  # a comma on a tie
    rows, split_errors = _split(text, delimiter)
    label = "UTF-16" if encoding == "utf-16" else "UTF-8" if encoding == "utf-8" else encoding
    return Table(f"CSV, {DELIMITERS[delimiter]}-separated, {label}", rows, errors=errors + split_errors)


def _read(data: bytes, sheet: str | None, encoding: str | None, fit: Callable[[list[Row]], tuple[int, ...]]) -> Table:
    if data.startswith(OLE_MAGIC):
        return Table(
            "old Excel workbook",
            [],
            True,
            [RowError(1, "an old .xls workbook (or one locked with a password): save it as .xlsx or CSV UTF-8")],
        )
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                mimetype = b""
                if "mimetype" in names:
                    with archive.open("mimetype") as entry:
                        mimetype = entry.read(len(ODS_MIMETYPE))
        except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as error:
            return Table("archive", [], True, [RowError(1, f"a damaged workbook or archive ({error})")])
        if "xl/workbook.xml" in names:
            return _read_xlsx(data, sheet)
        if mimetype == ODS_MIMETYPE:
            return Table(
                "OpenDocument spreadsheet",
                [],
                True,
                [
                    RowError(
                        1, "an OpenDocument spreadsheet (.ods): save it as Excel .xlsx or CSV UTF-8, then import that"
                    )
                ],
            )
        return Table("archive", [], True, [RowError(1, "a zip archive, not an .xlsx workbook or a CSV file")])
    return _read_csv(data, encoding, fit)


def read_table(
    data: bytes,
    sheet: str | None = None,
    encoding: str | None = None,
    fit: Callable[[list[Row]], tuple[int, ...]] = lambda rows: (),
) -> Table:
    """The rows of a workbook's sheet (the first unless named) or of CSV text; RosterOptionError for a sheet
    the workbook lacks."""
    table = _read(data, sheet, encoding, fit)
    if len(table.rows) > MAX_ROWS:
        return Table(
            table.format,
            [],
            table.spreadsheet,
            [RowError(MAX_ROWS + 1, f"the list goes on past {MAX_ROWS:,} rows - is something typed far below it?")],
        )
    return table
