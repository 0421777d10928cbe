"""Fonts for badges and reports: the DejaVu fonts we ship, and a system font for scripts DejaVu lacks.

DejaVu Sans covers Latin, Greek and Cyrillic (Zoë Ødegård, Łukasz, Ольга).  For a name in another script
(山田 花子) a font installed on the machine is used when one covers it (Noto CJK, WenQuanYi, Droid Fallback...);
when none does, the missing characters are drawn as a visible substitute (U+25A1, a white square) so the
badge or report still renders, every row is still there, and the reader can see something was not drawn.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kiosk import ASSETS

FONTS = ASSETS / "fonts"
REGULAR, BOLD, MONO = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf", FONTS / "DejaVuSansMono.ttf"
SUBSTITUTE = "\u25a1"  # WHITE SQUARE, drawn where no font has the character

FONT_FOLDERS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)
# Broad-coverage fonts worth trying, best first; matched against file names in the folders above.
FALLBACK_NAMES = (
    "NotoSansCJK",
    "NotoSerifCJK",
    "SourceHanSans",
    "wqy-zenhei",
    "wqy-microhei",
    "DroidSansFallback",
    "NotoSansJP",
    "NotoSansSC",
    "NotoSansKR",
    "ipag",
    "ipaexg",
    "unifont",
)


@dataclass(frozen=True)
class Face:
    """A font file (and its index inside a .ttc collection)."""

    path: Path
    index: int = 0


@functools.cache
def _charset(face: Face) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    try:
        with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
            return frozenset(font.getBestCmap() or ())
    except Exception:  # an unreadable system font is simply not used
        return frozenset()


@functools.lru_cache(maxsize=1)
def system_fallbacks() -> tuple[Face, ...]:
    """Broad-coverage fonts installed on this machine, best first (may be none)."""
    found: list[tuple[int, Face]] = []
    for folder in FONT_FOLDERS:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.suffix.lower() not in (".ttf", ".otf", ".ttc"):
                continue
            rank = next((i for i, name in enumerate(FALLBACK_NAMES) if name.lower() in path.name.lower()), None)
            if rank is not None and "bold" not in path.name.lower():
                found.append((rank, Face(path)))
    return tuple(face for _, face in sorted(found, key=lambda item: (item[0], str(item[1].path))))


def covers(face: Face, text: str) -> bool:
    charset = _charset(face)
    return all(ord(char) in charset for char in text if not char.isspace())


def face_for(text: str, bold: bool = False) -> Face:
    """The shipped DejaVu face when it has every character of ``text``, else the first system font that does.

    Falls back to DejaVu when no font covers the text; draw it through ``drawable`` then.
    """
    shipped = Face(BOLD if bold else REGULAR)
    if covers(shipped, text):
        return shipped
    return next((face for face in system_fallbacks() if covers(face, text)), shipped)


def drawable(text: str, face: Face) -> str:
    """``text`` with each character ``face`` cannot draw replaced by a visible substitute."""
    charset = _charset(face)
    return "".join(char if char.isspace() or ord(char) in charset else SUBSTITUTE for char in text)


# What to install (Debian's package names) when no font draws a character: CJK scripts, then anything else.
CJK_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC")
CJK_PACKAGE, OTHER_PACKAGE = "fonts-noto-cjk", "fonts-unifont"


def undrawn(text: str, bold: bool = False) -> str:
    """The characters of ``text`` (each once) that will be drawn as ``SUBSTITUTE``: no font here has them.

    The same choice ``face_for`` makes when a badge or report draws the text, so a warning names exactly what
    will print as a square.
    """
    charset = _charset(face_for(text, bold))
    return "".join(dict.fromkeys(char for char in text if not char.isspace() and ord(char) not in charset))


def font_package(chars: str) -> str:
    """The Debian package of a font that draws ``chars`` and that ``system_fallbacks`` finds."""
    cjk = any(unicodedata.name(char, "").startswith(CJK_SCRIPTS) for char in chars)
    return CJK_PACKAGE if cjk else OTHER_PACKAGE
