"""Validation: names, refs, titles and reasons hold what the text rules say, whatever is typed.

Text that shows nothing (zero-width and other format characters, blank letters, spaces) is no name; tabs,
line breaks, ESC and OSC sequences never reach the terminal through `kiosk scene show`; a ref is a roster
ref; nothing is longer than the roster's limit; a date is a day of the calendar; a crew list's header names
each column once (the first release silently read the last of two `Name` columns).  Every refusal is exit 2
with a message that says what to fix, and records nothing.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.core import text
from kiosk.core.roster import MAX_FIELD, REF_PATTERN
from kiosk.services import badges
from kiosk.store import connect
from tests.reliability.conftest import KIOSK, size

ANY_CHAR = st.characters(codec=None, categories=None)  # controls, format characters, lone surrogates
INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u202e",
                             "\u2066", "\u3164", "\u115f", "\u1160", "\uffa0", "\u2800", "\u00a0", "\u3000",
                             "\u0301", " ", "\t"])
CONTROLS = st.sampled_from(["\t", "\n", "\r", "\x1b", "\x1b[31m", "\x1b]0;pwned\x07", "\x1b]8;;http://evil/\x1b\\",
                            "\x07", "\x00", "\x7f", "\x9b", "\u2028"])
TYPED = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.text(INVISIBLE, min_size=1, max_size=8),
    st.builds(lambda a, c, b: a + c + b, st.text(max_size=20), CONTROLS, st.text(max_size=20)),
    st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=60),
    st.text(min_size=MAX_FIELD - 2, max_size=MAX_FIELD + 3),
)


def fuzz(examples: str = "fuzz_examples"):
    return settings(max_examples=size(examples), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def shows_something(value: str) -> bool:
    return any(unicodedata.category(char)[0] in "LNPS" and char not in text.BLANK for char in value)


def well_formed(value: str, newlines: bool = False) -> bool:
    """What the rules promise of accepted text, said independently of how they check it."""
    return (value == value.strip() and len(value) <= MAX_FIELD and (not value or shows_something(value))
            and all(char.isprintable() or (newlines and char == "\n") for char in value))


@fuzz()
@given(typed=TYPED)
@example(typed="\u200b")
@example(typed="\u200b\u200c\u2060 ")
@example(typed="\x1b]0;pwned\x07Title")
def test_a_line_of_text_holds_only_what_shows_on_one_line(typed):
    try:
        accepted = text.line(typed, "title")
    except text.BadInput as error:
        assert str(error).startswith("The title ") and "\x1b" not in str(error)
        assert not well_formed(typed.strip())
        return
    assert well_formed(accepted) and accepted == typed.strip()


@fuzz()
@given(typed=st.one_of(TYPED, st.builds("\n".join, st.lists(TYPED, max_size=4))))
def test_a_note_holds_lines_of_such_text(typed):
    try:
        accepted = text.lines(typed, "note", limit=MAX_FIELD)
    except text.BadInput as error:
        assert str(error).startswith("The note ")
        return
    assert well_formed(accepted, newlines=True)


@fuzz()
@given(typed=st.one_of(TYPED, st.from_regex(REF_PATTERN, fullmatch=True), st.text("ab1.-_ ", max_size=45)))
@example(typed="a" * 1000)
def test_a_ref_is_a_roster_ref(typed):
    try:
        accepted = text.ref(typed, "scene ref")
    except text.BadInput as error:
        assert "must be 1 to 40 letters" in str(error) and len(str(error)) < 600  # never a 1,000-character echo
        assert REF_PATTERN.fullmatch(typed.strip()) is None
        return
    assert accepted == typed.strip() and (not accepted or REF_PATTERN.fullmatch(accepted))


def test_refs_are_as_long_as_the_roster_allows():
    assert REF_PATTERN.fullmatch("a" * text.REF_MAX) and not REF_PATTERN.fullmatch("a" * (text.REF_MAX + 1))


@fuzz()
@given(typed=st.one_of(st.dates().map(date.isoformat), st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
                       st.text(max_size=14)))
@example(typed="2026-02-30")
def test_a_date_is_a_day_of_the_calendar(typed):
    try:
        day = text.parse_date(typed)
    except text.BadInput as error:
        assert "YYYY-MM-DD" in str(error)
        return
    assert day.isoformat() == typed.strip()


def kiosk(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def log_rows(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    finally:
        conn.close()


FOUND = [  # (command, what the message must say) - the probes of the first release, each accepted then
    (["scene", "approve", "42", "D01", "--by", "\u200b"], "U+200B"),
    (["scene", "approve", "42", "D01", "--by", "\u200b\u200d\u2060\ufeff"], "U+200B"),
    (["scene", "approve", "42", "D01", "--by", "\u3164"], "shows nothing"),
    (["scene", "approve", "42", "D01", "--by", "  "], "Say who approves"),
    (["scene", "unapprove", "42", "D01", "--by", "\u2800"], "shows nothing"),
    (["badge", "revoke", "D01", "--reason", "\u200b"], "U+200B"),
    (["scene", "add", "43", "--title", "Bedroom\tnight"], "a tab"),
    (["scene", "add", "43", "--title", "Bedroom\nnight"], "a line break"),
    (["scene", "add", "43", "--title", "\x1b]0;pwned\x07Bedroom"], "escape"),
    (["scene", "add", "43", "--title", "Bedroom", "--location", "\x1b[2J"], "escape"),
    (["scene", "add", "a" * 1000, "--title", "Bedroom"], "must be 1 to 40 letters"),
    (["scene", "add", "43", "--title", "x" * 100_000], "keep it to 200"),
    (["scene", "add", "43", "--title", "Bedroom", "--date", "2026-02-30"], "not a day of the calendar"),
    (["init", "--production", "\u200b"], "U+200B"),
]


def test_each_finding_is_refused_with_what_to_fix(production_file, capsys, figures):
    path, _ = production_file
    before = log_rows(path)
    for args, words in FOUND:
        status, out, err = kiosk(capsys, "--db", str(path), *args)
        assert status == 2 and words in err and err.startswith("Error:"), (args[:4], status, err)
        assert "Traceback" not in out + err
    assert log_rows(path) == before
    figures.update(probes=len(FOUND), refused_exit_2=len(FOUND), recorded=0)


TWICE = [  # (header, the field named twice) - the same heading, or two headings the kiosk reads as one field
    ("Ref,Name,Kind,Name", "name"), ("Ref,Name,Kind,Full name", "name"), ("Ref,ID,Name,Kind", "ref"),
    ("Ref,Name,Kind,Department,Dept", "department"), ("Ref,Name,Kind,Kind", "kind"),
    ("Ref,First name,Last name,Kind,First Name", "first name"),
]


@pytest.mark.parametrize(("header", "field"), TWICE, ids=[header for header, _ in TWICE])
def test_a_crew_list_naming_a_column_twice_is_refused_saying_which(production_file, tmp_path, capsys, header,
                                                                   field):
    path, _ = production_file
    listing = tmp_path / "crew.csv"
    values = {"Ref": "Q01", "ID": "Q02", "Kind": "crew"}
    listing.write_text(f"{header}\n" + ",".join(values.get(name, f"Value {number}")
                                                for number, name in enumerate(header.split(","))) + "\n")
    before = log_rows(path)
    status, out, err = kiosk(capsys, "--db", str(path), "people", "import", str(listing))
    assert status == 2 and f"the header names the {field} twice" in out + err, (status, out, err)
    assert "Traceback" not in out + err and log_rows(path) == before


def test_typed_text_reaches_the_record_and_the_terminal_only_well_formed(production_file, capsys, figures):
    """Anything typed as a title, location, approver or reason: exit 0 and stored well-formed, or exit 2 and
    nothing recorded; `kiosk scene show` then prints no control character."""
    path, _ = production_file
    seen = {"examples": 0, "accepted": 0, "refused": 0}

    @fuzz("typed_examples")
    @given(title=TYPED, location=TYPED, by=TYPED, reason=TYPED)
    def check(title, location, by, reason):
        seen["examples"] += 1
        ref = f"s{seen['examples']}"
        for args in (["scene", "add", ref, "--title", title, "--location", location],
                     ["scene", "approve", "42", "D01", "--by", by], ["badge", "revoke", "P01", "--reason", reason]):
            before = log_rows(path)
            status, out, err = kiosk(capsys, "--db", str(path), *args)
            assert status in (0, 2) and "Traceback" not in out + err, (args, status, err)
            if status == 2:
                assert log_rows(path) == before and err.startswith(("Error:", "Usage:")), (args, err)
                seen["refused"] += 1
            else:
                seen["accepted"] += 1
            if args[:2] == ["badge", "revoke"] and status == 0:  # give P01 a badge again for the next example
                db = connect(path)
                badges.record_badges(db, badges.plan_badges(db, ["P01"]), KIOSK)
                db.close()
        conn = sqlite3.connect(path)
        stored = conn.execute("SELECT s.title, s.location FROM scenes s WHERE ref = ? UNION ALL "
                              "SELECT approved_by, '' FROM approvals UNION ALL "
                              "SELECT end_reason, '' FROM badges WHERE end_reason IS NOT NULL", [ref]).fetchall()
        conn.close()
        assert all(well_formed(value) for row in stored for value in row), stored
        status, out, _ = kiosk(capsys, "--db", str(path), "scene", "show", ref)
        assert status in (0, 2) and all(char.isprintable() or char == "\n" for char in out), repr(out)

    check()
    figures.update(examples=seen["examples"], commands=seen["accepted"] + seen["refused"], accepted=seen["accepted"],
                   refused_exit_2=seen["refused"], ill_formed_stored=0)
