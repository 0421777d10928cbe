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
import secrets
from dataclasses import dataclass

ALPHABET = "0123456789BCDEFGHJKLMNPRSTUVX"
BASE = len(ALPHABET)  # 29, a prime: the check relies on it
LOOKALIKES = str.maketrans("OI", "01")  # letters not in the alphabet, read as the digits they resemble
RANDOM_LENGTH = 17
LENGTH = RANDOM_LENGTH + 1
GROUP = 6  # printed as three groups of six for typing by hand
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}

# What a scanner sending US key codes produces on an AZERTY host (French and Belgian), mapped back.
AZERTY_TO_US = {
    "&": "1", "é": "2", '"': "3", "'": "4", "(": "5", "-": "6", "§": "6",
    "è": "7", "_": "8", "!": "8", "ç": "9", "à": "0", "?": "M",
}

MAX_INPUT = 256  # anything longer than this is not a badge, whatever it contains


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
    return sum(position * _VALUE[symbol] for position, symbol in enumerate(symbols, start=1))


def check_symbol(body: str) -> str:
    """The symbol that completes ``body`` (17 symbols) to a valid code."""
    position = len(body) + 1
    # Solve position * c == -sum (mod 29); pow(x, -1, p) is the modular inverse.
    value = (-_weighted_sum(body) * pow(position, -1, BASE)) % BASE
    return ALPHABET[value]


def is_valid(code: str) -> bool:
    return (
        len(code) == LENGTH
        and all(symbol in _VALUE for symbol in code)
        and _weighted_sum(code) % BASE == 0
    )


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


def parse(raw: str) -> ParsedCode:
    """Read anything a scanner or a person might type; never raises.

    Case, control characters and the spaces of the printed grouping are ignored, and O and I are read as 0
    and 1.  Input that only makes sense as an AZERTY-altered code is mapped back and reported with
    ``layout="azerty"``.
    """
    if len(raw) > MAX_INPUT:
        return ParsedCode(None, "malformed")
    printable = "".join(char for char in raw if char.isprintable() and not char.isspace())
    if len(printable) != LENGTH:
        return ParsedCode(None, "malformed")
    text = printable.upper().translate(LOOKALIKES)
    if all(symbol in _VALUE for symbol in text):
        return ParsedCode(text) if is_valid(text) else ParsedCode(None, "bad_check")
    remapped = _undo_azerty(printable).upper().translate(LOOKALIKES)
    if not all(symbol in _VALUE for symbol in remapped):
        return ParsedCode(None, "malformed")
    if is_valid(remapped):
        return ParsedCode(remapped, layout="azerty")
    return ParsedCode(None, "bad_check", layout="azerty")


MASK_SHOWN = 3  # characters of refused input shown at each end


def masked(raw: str) -> str:
    """Refused input as reports and screens show it: its first and last few characters and its length.

    A misread is often one symbol away from a working code, and a code typed with stray characters is still a
    code: shown whole in a report, either would hand out a working badge.  Short input (under eight
    characters, nothing like a code) is shown as it is.
    """
    text = "".join(char if char.isprintable() else "?" for char in raw)
    if len(text) < 8:
        return text
    return f"{text[:MASK_SHOWN]}…{text[-MASK_SHOWN:]} ({len(text)} characters)"
