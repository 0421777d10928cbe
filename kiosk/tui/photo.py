"""The photo beside the door's verdict: the person the badge belongs to, so the AD sees it is theirs.

Drawn with textual-image, in the terminal's own graphics where it has them and in Unicode half blocks (two
colour pixels a character cell) elsewhere.  Which one is chosen once, before the app starts, by ``choose``:
textual-image asks the terminal when it is imported, and cannot once Textual reads the keyboard.

- In tmux, with ``$KIOSK_PHOTO_GRAPHICS=halfblocks``, or without a terminal (Pilot tests): half blocks, and
  the terminal is asked nothing (tmux passes neither Sixel nor Kitty graphics through reliably, and an
  unanswered question costs a tenth of a second at start-up and may eat the first key).
- Otherwise textual-image asks: Sixel where the terminal says it has it (foot, WezTerm, Konsole, xterm
  ``-ti vt340``, Windows Terminal), the Kitty graphics protocol in Kitty, half blocks anywhere else.

The photo is decoded and scaled on the photo thread (``Services.picture``), never on the database thread, and
the verdict never waits for it.  A photo that cannot be read shows nothing but a plain note.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from kiosk.core.door import NOT_IN_FORCE
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from collections.abc import Callable

    from PIL import Image

    from kiosk.services.door import Verdict
    from kiosk.tui.app import KioskApp

GRAPHICS_ENV = "KIOSK_PHOTO_GRAPHICS"  # "halfblocks" forces half blocks; anything else lets the terminal say
HALFBLOCKS, SIXEL, KITTY = "halfblocks", "sixel", "kitty"
UNREADABLE = "Photo not shown: it cannot be read."
MAX_PIXELS = 40_000_000  # far past any stored photo: a larger picture is refused, not decoded

_graphics: str | None = None  # chosen by ``choose``; None until then (half blocks, asking nothing)


class PhotoUnreadable(KioskError):
    """The stored photo is not a picture Pillow can read."""


@dataclass(frozen=True)
class Cells:
    """How many pixels one character cell shows, across and down, in the chosen graphics."""

    width: int
    height: int


@contextlib.contextmanager
def _not_a_terminal() -> Iterator[None]:
    """While textual-image is imported: no terminal to ask (it asks only when standard output is a tty)."""
    real = sys.__stdout__
    sys.__stdout__ = io.StringIO()  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        sys.__stdout__ = real  # type: ignore[misc]


def choose(environ: Mapping[str, str] = os.environ) -> str:
    """Decide, before the app runs, how photos are drawn; returns ``halfblocks``, ``sixel`` or ``kitty``."""
    global _graphics
    out = sys.__stdout__
    if environ.get(GRAPHICS_ENV, "").lower() == HALFBLOCKS or "TMUX" in environ or out is None or not out.isatty():
        _graphics = HALFBLOCKS  # textual-image and Pillow are loaded with the first photo, not at start-up
        return _graphics
    import textual_image.widget  # noqa: F401  (measures the cell's pixels now: it asks the terminal if need be)
    from textual_image.renderable import Image as Best  # asked the terminal, once: Sixel? Kitty graphics?
    from textual_image.renderable.sixel import Image as SixelRenderable
    from textual_image.renderable.tgp import Image as KittyRenderable

    _graphics = SIXEL if Best is SixelRenderable else KITTY if Best is KittyRenderable else HALFBLOCKS
    return _graphics


def graphics() -> str:
    return _graphics or HALFBLOCKS


def load_drawing() -> None:
    """Import textual-image for the chosen graphics (on the photo thread, with the first photo: start-up never
    waits for it).  For half blocks it is imported as if there were no terminal, so it asks nothing."""
    if graphics() == HALFBLOCKS:
        with _not_a_terminal():
            import textual_image.widget
    else:
        import textual_image.widget  # noqa: F401  (``choose`` imported it already, before the app started)


def cells() -> Cells:
    """Pixels per cell: half blocks are one across and two down; terminal graphics the cell's real pixels."""
    if graphics() == HALFBLOCKS:
        return Cells(1, 2)
    from textual_image._terminal import get_cell_size  # measured when textual-image asked the terminal

    size = get_cell_size()
    return Cells(size.width, size.height)


def prepare(data: bytes, box: tuple[int, int], per_cell: Cells) -> tuple[Image.Image, tuple[int, int]]:
    """The photo for a box of ``box`` cells: decoded, upright (EXIF), in RGB, scaled to fit whole (nothing cut
    off), and the cells it takes.  Runs on the photo thread; raises ``PhotoUnreadable`` for a bad picture."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    load_drawing()
    width, height = box[0] * per_cell.width, box[1] * per_cell.height
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise PhotoUnreadable(f"{UNREADABLE} ({opened.width} x {opened.height} pixels is no photo)")
            opened.draft("RGB", (width, height))  # a JPEG decodes at a reduced scale: much faster
            upright = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError, SyntaxError) as error:
        raise PhotoUnreadable(UNREADABLE) from error
    picture = ImageOps.contain(upright, (width, height), Image.Resampling.LANCZOS)
    across = max(1, round(picture.width / per_cell.width))
    down = max(1, round(picture.height / per_cell.height))
    return picture, (across, down)


def _image_widget() -> Widget:
    """An empty textual-image widget of the chosen kind."""
    kind = graphics()
    if kind == HALFBLOCKS:
        with _not_a_terminal():  # never ask the terminal from here: Textual is already reading it
            from textual_image.widget import HalfcellImage
        return HalfcellImage(id="picture")
    if kind == SIXEL:
        from textual_image.widget import SixelImage

        return SixelImage(id="picture")
    from textual_image.widget import TGPImage

    return TGPImage(id="picture")


class DoorPhoto(Widget):
    """The photo of the person the verdict names, beside it, in the verdict's colours; hidden when there is
    none.  ``show`` takes a picture already prepared on the photo thread: nothing slow happens here."""

    DEFAULT_CSS = """
    DoorPhoto { display: none; layout: vertical; align: center middle; }
    DoorPhoto > Static { width: 100%; height: auto; text-align: center; }
    """

    app: KioskApp

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.person: str | None = None  # whose photo is shown (or was asked for), None when cleared

    def show_for(self, verdict: Verdict, on_panel: Callable[[], Verdict | None]) -> None:
        """The photo of the person ``verdict`` names, once read and scaled off the database thread (the answer
        never waits for it); shown only while that verdict is still the one ``on_panel``, so that nobody's face
        is ever shown beside someone else's answer."""
        self.clear()  # never the last person's photo beside a new answer
        ref = verdict.person_ref
        if ref is None:
            return

        def say(message: str) -> None:
            if on_panel() is verdict:
                self.unreadable(ref, message, colours_of(verdict))

        async def load() -> None:
            data = await self.app.photo_of(ref)
            if data is None or on_panel() is not verdict:
                return
            picture, size = await self.app.services.picture(prepare, data, self.room(), cells())
            if on_panel() is verdict:  # no later scan came first
                await self.show(ref, picture, size, colours_of(verdict))

        self.app.services.run(self, load, group="door-photo", exclusive=True, say=say)

    def compose(self) -> ComposeResult:
        yield Static(id="photo-note", markup=False)  # the picture widget is added with the first photo

    def on_mount(self) -> None:
        self.query_one("#photo-note").display = False

    def room(self) -> tuple[int, int]:
        """The cells a photo may take: the box's width inside its padding, by its height (from the CSS, so
        known while the box is hidden)."""
        width = int(self.styles.width.value) if self.styles.width else 16
        height = int(self.styles.height.value) if self.styles.height else 8
        padding = self.styles.padding
        return max(1, width - padding.left - padding.right), max(1, height - padding.top - padding.bottom)

    def clear(self) -> None:
        """Nothing shown: no answer, or an answer about nobody, or a new answer whose photo is on its way."""
        self.person = None
        self.display = False
        for image in self.query("#picture"):
            image.image = None  # type: ignore[attr-defined]

    async def show(self, person: str, picture: Image.Image, size: tuple[int, int], answer: str) -> None:
        if not self.query("#picture"):
            await self.mount(_image_widget(), before=0)
        self.person = person
        image = self.query_one("#picture")
        image.styles.width, image.styles.height = size
        image.image = picture  # type: ignore[attr-defined]
        image.display = True
        self.query_one("#photo-note").display = False
        self.set_classes(answer)
        self.display = True

    def unreadable(self, person: str, message: str, answer: str) -> None:
        """No photo, and a plain note why: the door goes on."""
        self.person = person
        for image in self.query("#picture"):
            image.image = None  # type: ignore[attr-defined]
            image.display = False
        note = self.query_one("#photo-note", Static)
        note.update(Text(message))
        note.display = True
        self.set_classes(answer)
        self.display = True


def colours_of(verdict: Verdict) -> str:
    """The photo's frame takes the panel's colours: the answer's, or grey when the door is not in force."""
    return "idle" if verdict.reason in NOT_IN_FORCE else verdict.decision
