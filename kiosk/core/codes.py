"""Badge codes: short, unguessable, scanner-friendly, self-checking.

A code is 17 random symbols and one check symbol (18 characters, 82.6 random bits) from a 29-symbol alphabet
of QR alphanumeric characters.  The alphabet leaves out the letters that keyboard layouts swap (A/Q, Z/W,
Y/Z), so a USB scanner typing into a QWERTZ or UK host never alters a code, and what an AZERTY host does to
it (digits typed unshifted, ``M`` landing on ``?``) can be undone and noted.  It also leaves out I and O,
which a person typing a code from a badge mistakes for 1 and 0: typed, they are read as 1 and 0.

The check symbol makes the weighted sum ``sum(i * value_i)`` over all 18 positions a multiple of 29.  With 29
prime and weights 1..18 distinct and non-zero, any single wrong symbol and any swap of two neighbours changes
the sum by a non-multiple of 29, so both are always caught.
"""

from __future__ import annotations

import hashlib
import operator
import secrets
from dataclasses import dataclass

ALPHABET = "0123456789BCDEFGHJKLMNPRSTUVX"
BASE = len(ALPHABET)  # 29, a prime: the check relies on it
LOOKALIKES = str.maketrans("OI", "01")  # letters not in the alphabet, read as the digits they resemble
RANDOM_LENGTH = 17
LENGTH = RANDOM_LENGTH + 1
GROUP = 6  # printed as three groups of six for typing by hand
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_SYMBOLS = frozenset(ALPHABET)  # ``_SYMBOLS.issuperset(text)``: every character of text is a code symbol

# What a scanner sending US key codes produces on an AZERTY host (French and Belgian), mapped back.
AZERTY_TO_US = {
    "&": "1",
    "é": "2",
    '"': "3",
    "'": "4",
    "(": "5",
    "-": "6",
    "§": "6",
    "è": "7",
    "_": "8",
    "!": "8",
    "ç": "9",
    "à": "0",
    "?": "M",
}

MAX_INPUT = 256  # anything longer than this is not a badge, whatever it contains
# What people type between the printed groups when they copy a code: hyphens and dashes (spaces are ignored
# anyway).  Only removed when the rest is a code's length of symbols: on an AZERTY host "-" is a typed 6.
SEPARATORS = str.maketrans("", "", "-\u2010\u2011\u2012\u2013\u2014\u2212")
MASK_SHOWN = 3  # characters of refused input a report or screen may show


@dataclass(frozen=True)
class ParsedCode:
    """The outcome of reading scanner or keyboard input.

    ``code`` is the canonical code when the input is well formed with a correct check, else ``None`` and
    ``problem`` says why (``malformed`` or ``bad_check``).  ``layout`` names the keyboard layout that
    altered the input (``azerty``), or is ``None`` when the input arrived as printed.
    """

    code: str | None
    problem: str | None = None
    layout: str | None = None


def _weighted_sum(symbols: str) -> int:
    return sum(map(operator.mul, range(1, len(symbols) + 1), map(_VALUE.__getitem__, symbols)))


def check_symbol(body: str) -> str:
    """The symbol that completes ``body`` (17 symbols) to a valid code."""
    position = len(body) + 1
    # Solve position * c == -sum (mod 29); pow(x, -1, p) is the modular inverse.
    value = (-_weighted_sum(body) * pow(position, -1, BASE)) % BASE
    return ALPHABET[value]


def is_valid(code: str) -> bool:
    return len(code) == LENGTH and _SYMBOLS.issuperset(code) and _weighted_sum(code) % BASE == 0


def new_code() -> str:
    """A fresh random code from the OS's CSPRNG, unrelated to anybody's data."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_symbol(body)


def digest(code: str) -> str:
    """How the record names a badge: the SHA-256 of its code.  The code is 82.6 random bits, so the digest
    needs no salt or stretching to be useless to someone who copies the database: no working code is kept."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def display(code: str) -> str:
    """The code as printed on a badge: groups of six, easier to read aloud and type."""
    return " ".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def _undo_azerty(text: str) -> str:
    # lower() first so that Caps Lock's É, È, Ç, À map back like é, è, ç, à.
    return "".join(AZERTY_TO_US.get(char.lower(), char) for char in text)


def _checked(text: str) -> ParsedCode:
    return ParsedCode(text) if is_valid(text) else ParsedCode(None, "bad_check")


def parse(raw: str) -> ParsedCode:
    """Read anything a scanner or a person might type; never raises.

    Case, control characters, the spaces of the printed grouping and the hyphens people type between groups
    (``EVVLRX-3KK22L-L6STEF``) are ignored, and O and I are read as 0 and 1.  Input that only makes sense as an
    AZERTY-altered code is mapped back and reported with ``layout="azerty"``.
    """
    if len(raw) > MAX_INPUT:
        return ParsedCode(None, "malformed")
    # letters and digits only (a scanner's input): all printable, none a space - kept as it is, without a walk
    printable = raw if raw.isalnum() else "".join(char for char in raw if char.isprintable() and not char.isspace())
    text = printable.upper().translate(LOOKALIKES)
    if len(printable) != LENGTH:
        joined = text.translate(SEPARATORS)
        if len(joined) == LENGTH and _SYMBOLS.issuperset(joined):
            return _checked(joined)
        return ParsedCode(None, "malformed")
    if _SYMBOLS.issuperset(text):
        return _checked(text)
    remapped = _undo_azerty(printable).upper().translate(LOOKALIKES)
    if not _SYMBOLS.issuperset(remapped):
        return ParsedCode(None, "malformed")
    if is_valid(remapped):
        return ParsedCode(remapped, layout="azerty")
    return ParsedCode(None, "bad_check", layout="azerty")


def masked(raw: str | None, length: int | None = None) -> str:
    """Refused input as the log keeps it and reports, log views and screens show it: its first few characters
    and its length (``length``: of the input as it came, when ``raw`` is a shortened form of it).

    What was scanned or typed may be a live code with a typo, or one the parser refused for a reason a later
    version fixes; kept or shown whole, anyone reading the file or a report could type it in.  ``MASK_SHOWN``
    characters of 18 leave a code as unguessable as ever.
    """
    if not raw:
        return ""
    printable = "".join(char for char in raw if char.isprintable())
    cut = "\u2026" if len(printable) > MASK_SHOWN else ""
    return f"{printable[:MASK_SHOWN]}{cut} ({len(raw) if length is None else length} characters)"
