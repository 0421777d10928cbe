"""Badge rendering: a 300 dpi PNG per person, a printable PDF sheet at true size, and a QR for the terminal.

``stage`` draws an issue's files (``Staged.commit`` puts them in place once the issue is recorded);
``render_card`` and ``terminal_qr`` serve the kiosk's badge preview.  Importing this package loads Pillow,
qrcode and fpdf2: the CLI imports it only inside the command that needs it, so a scan never pays for them.
"""

from __future__ import annotations

import io

from PIL import Image

from kiosk.badges.card import draw_card
from kiosk.badges.issue import Staged, stage
from kiosk.badges.layout import QUIET, card_layout, qr_symbol
from kiosk.core.badge import BadgeCard
from kiosk.fonts import SUBSTITUTE, font_package, undrawn

__all__ = ["Staged", "render_card", "stage", "terminal_qr", "undrawable"]


def render_card(card: BadgeCard) -> Image.Image:
    """The badge as printed: a two-colour palette image ("P", 0 white, 1 black), 1011 x 638 pixels, which is
    85.6 x 54 mm at 300 dpi.  ``.convert("RGB")`` it for anything that wants plain pixels."""
    return draw_card(card_layout(card))


def terminal_qr(code: str) -> str:
    """The code's QR in Unicode half blocks, two modules to a character cell, with its quiet zone.

    Drawn light-on-dark for a dark terminal background (light modules are blocks, a pair of dark ones is a
    no-break space); every line has the same width.
    """
    text = io.StringIO()
    qr_symbol(code, border=QUIET).print_ascii(out=text, invert=True)
    return text.getvalue().rstrip("\n")


def undrawable(cards: list[BadgeCard]) -> list[str]:
    """A warning for each badge with a character no font on this machine has (it would print as a square),
    naming the font package to install; empty when every badge draws as written."""
    warnings = []
    for card in cards:
        missing = "".join(dict.fromkeys(undrawn(card.name) + undrawn(card.department) + undrawn(card.role)))
        if missing:
            warnings.append(
                f"{card.name} ({card.ref}): {len(missing)} character(s) no installed font has "
                f"({missing}) will print as {SUBSTITUTE} on the badge, the sheet and reports - "
                f"install a font for them (Debian: apt install {font_package(missing)}) and issue "
                "again."
            )
    return warnings
