"""What typed text may hold and how long: names, refs, titles, reasons, notes and dates, for every service.

Pure: text in, the text to store out, or ``BadInput`` saying what to fix.  The ref and the length are the
roster's (``REF_PATTERN``, ``MAX_FIELD``), so a scene ref, an approver's name or a scene title follow the
rules a CSV import of the cast and crew follows.

A line of text (a name, a title, a location, a reason) is taken with the spaces around it removed, and is
refused when it
- is not UTF-8 (lone surrogates: bytes a terminal in another encoding sent);
- holds a character that is not printable (``str.isprintable``, as the roster asks of names): a tab, a line
  break, ESC and every other control character, which `kiosk scene show` would send raw to the terminal (an
  OSC sequence retitles the window or forges a link); format characters such as the zero-width space or a bidi
  override; spaces other than the plain one;
- shows nothing: no letter, digit, punctuation or symbol that is drawn (``BLANK`` letters such as U+3164
  HANGUL FILLER draw nothing), so a name of invisible characters is not a name;
- is longer than ``MAX_FIELD`` characters.
Empty text is returned empty: whether a field may be left out is the caller's to say, in its own words.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from kiosk.core.roster import MAX_FIELD, REF_PATTERN

REF_MAX = 40  # the longest ``REF_PATTERN`` allows
BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # letters and symbols that draw nothing
_CALLED = {"\t": "a tab", "\n": "a line break", "\r": "a line break", "\x1b": "an escape character (ESC)"}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadInput(ValueError):
    """Input a core rule refuses; the message says what to fix."""


def _called(char: str) -> str:
    if char in _CALLED:
        return _CALLED[char]
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} ({name})" if name else f"a control character (U+{ord(char):04X})"


def _shows(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNPS" and char not in BLANK


def _text(value: str, what: str, limit: int, allowed: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if len(value) > limit:
        raise BadInput(f"The {what} is {len(value):,} characters; keep it to {limit}.")
    for position, char in enumerate(value, start=1):
        if char.isprintable() or char in allowed:
            continue
        if "\ud800" <= char <= "\udfff":
            raise BadInput(f"The {what} is not UTF-8 text - retype it, or set the terminal to UTF-8.")
        shape = "lines" if allowed else "one line"
        raise BadInput(
            f"The {what} holds {_called(char)} at character {position}: remove it (write {shape} of "
            "letters, digits, punctuation and plain spaces)."
        )
    if not any(_shows(char) for char in value):
        raise BadInput(f"The {what} shows nothing (only blank or invisible characters): type it in letters or digits.")
    return value


def line(value: str, what: str, limit: int = MAX_FIELD) -> str:
    """One line of text: a name, a title, a location, a reason (``what`` names it in the message)."""
    return _text(value, what, limit, allowed="")


def lines(value: str, what: str, limit: int) -> str:
    """Free text of several such lines (a note); line breaks are read as ``\\n`` whichever the system."""
    return _text(value.replace("\r\n", "\n").replace("\r", "\n"), what, limit, allowed="\n")


def ref(value: str, what: str) -> str:
    """A ref as the roster has them: letters, digits, '.', '_' or '-', starting with a letter or digit."""
    value = value.strip()
    if value and not REF_PATTERN.fullmatch(value):
        shown = repr(value) if len(value) <= REF_MAX else f"{value[:REF_MAX]!r}... ({len(value):,} characters)"
        raise BadInput(
            f"The {what} {shown} must be 1 to {REF_MAX} letters, digits, '.', '_' or '-', starting "
            "with a letter or digit."
        )
    return value


def parse_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD, and only that."""
    text = text.strip()
    if not _DATE.fullmatch(text):
        raise BadInput(f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-30.")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{text} is not a day of the calendar: check the month and the day (YYYY-MM-DD).") from None


def department_and_role(department: str | None, role: str | None) -> str:
    """A person's department and role for one line ("Camera, Loader"), either left out when blank."""
    return ", ".join(part for part in (department, role) if part)
