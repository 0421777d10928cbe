"""Reading a cast-and-crew list as spreadsheets export it.  Pure: bytes in, people or row errors out."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass

KINDS = ("cast", "crew")
REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
MAX_FIELD = 200


@dataclass(frozen=True)
class PersonRow:
    ref: str
    name: str
    department: str
    role: str
    kind: str
    line: int = 0


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def ref_from_name(name: str) -> str:
    """A stable ref for a person listed without one, so re-importing the same file updates, not duplicates."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:32]
    if not slug:  # a name with no Latin letters (山田 花子): a short stable digest instead
        slug = "p-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return slug


def check_person(ref: str, name: str, department: str, role: str, kind: str) -> list[str]:
    """What is wrong with one person's fields, in words; empty when they are fine."""
    problems = []
    if not name:
        problems.append("name is missing")
    if kind.lower() not in KINDS:
        problems.append(f"kind must be cast or crew, not {kind!r}" if kind else "kind is missing (cast or crew)")
    if ref and not REF_PATTERN.match(ref):
        problems.append(f"ref {ref!r} must be letters, digits, '.', '_' or '-' (at most 40)")
    for label, value in (("name", name), ("department", department), ("role", role)):
        if len(value) > MAX_FIELD:
            problems.append(f"{label} is longer than {MAX_FIELD} characters")
        if any(not char.isprintable() for char in value):
            problems.append(f"{label} contains control characters")
    return problems


def _decode_lines(data: bytes) -> tuple[str, list[RowError]]:
    """UTF-8 with or without a BOM; each undecodable line is reported by number."""
    errors = []
    lines = data.split(b"\n")
    decoded = []
    for number, raw in enumerate(lines, start=1):
        try:
            decoded.append(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as error:
            errors.append(RowError(number, f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column "
                                           f"{error.start + 1}) - save the file as CSV UTF-8"))
            decoded.append("")
    return "\n".join(decoded), errors


def parse_people_csv(data: bytes) -> tuple[list[PersonRow], list[RowError]]:
    """All rows, or every bad row by line number: callers write nothing unless the error list is empty."""
    text, errors = _decode_lines(data)
    if "\x00" in text:
        return [], [RowError(1, "this is not a CSV text file")]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "name" not in header or "kind" not in header:
        return [], errors + [RowError(1, "the header must name the columns ref,name,department,role,kind "
                                          "(ref, department and role may be left out)")]
    reader.fieldnames = header
    people: list[PersonRow] = []
    seen: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            values = {key: (record.get(key) or "").strip() for key in ("ref", "name", "department", "role", "kind")}
            if not any(values.values()) and not any(record.get(k) for k in record if k):
                continue  # blank line
            problems = check_person(**values)
            ref = values["ref"] or (ref_from_name(values["name"]) if values["name"] else "")
            if ref and ref in seen:
                problems.append(f"ref {ref!r} is used again (first on line {seen[ref]})"
                                if values["ref"] else
                                f"same name as line {seen[ref]}; give each of them a ref")
            seen.setdefault(ref, line)
            if problems:
                errors.extend(RowError(line, problem) for problem in problems)
                continue
            people.append(PersonRow(ref, values["name"], values["department"], values["role"],
                                    values["kind"].lower(), line))
    except csv.Error as error:
        errors.append(RowError(reader.line_num, f"the CSV cannot be read here ({error})"))
    return people, sorted(errors, key=lambda error: error.line)
