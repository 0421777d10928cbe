"""Badge rendering: a 300 dpi PNG per person, a printable PDF sheet at true size, and a QR for the terminal.

``publish`` is what ``kiosk badge issue`` calls; ``render_card`` and ``terminal_qr`` serve the kiosk's badge
preview.  Importing this package loads Pillow, qrcode and fpdf2, so the scan path never does.
"""

from __future__ import annotations

import io

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

from kiosk.badges.card import draw_card
from kiosk.badges.layout import QUIET, card_layout
from kiosk.badges.issue import publish
from kiosk.services.badges import BadgeCard

__all__ = ["publish", "render_card", "terminal_qr"]


def render_card(card: BadgeCard) -> Image.Image:
    """The badge as printed: a 1-bit image, 1011 x 638 pixels (85.6 x 54 mm at 300 dpi)."""
    return draw_card(card_layout(card))


def terminal_qr(code: str) -> str:
    """The code's QR in Unicode half blocks, two modules to a character cell, with its quiet zone.

    Drawn light-on-dark (for a dark terminal background): every line has the same width.
    """
    symbol = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET)
    symbol.add_data(code)
    symbol.make(fit=True)
    text = io.StringIO()
    symbol.print_ascii(out=text, invert=True)
    return text.getvalue().rstrip("\n")
