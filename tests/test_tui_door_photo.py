"""The photo beside the door's verdict, through Textual's Pilot at 80x24 and 120x40: shown in half blocks
beside the answer, which stays readable and never waits for it; nothing for someone without a photo; never the
last person's photo beside a new answer; a photo that cannot be read is a plain note, not a crash."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual import events
from textual.geometry import Region

from kiosk.core.door import SceneState
from kiosk.services import access, badges, photos, scenes
from kiosk.tui import KioskApp, photo
from kiosk.tui.photo import Cells, DoorPhoto, PhotoUnreadable
from kiosk.tui.screens import door as door_screen
from kiosk.tui.widgets import VerdictPanel
from tests.photo_door import portrait_jpeg
from tests.support import KIOSK, PIN, SIZES, key_name

PHOTOS = {"P01": portrait_jpeg(), "D01": portrait_jpeg(hair=(200, 40, 40))}


def from_dict(photos: dict[str, bytes]):
    def photo_of(db, ref: str) -> bytes | None:
        return photos.get(ref)

    return photo_of


@pytest.fixture
def door(db, crew):
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)

    def make(photos=None) -> KioskApp:
        return KioskApp(db, KIOSK, scene="42", photos=from_dict(PHOTOS) if photos is None else photos)

    return make


def verdict_text(app) -> str:
    return str(app.screen.query_one(VerdictPanel).render())


def picture_cells(app) -> list[list[tuple[str, object, object]]]:
    """The photo as drawn: each cell's character with its foreground and background colour."""
    image = app.screen.query_one("#picture")
    width, height = image.content_size
    return [[(segment.text, segment.style.color, segment.style.bgcolor)
             for segment in strip for _ in segment.text]
            for strip in image.render_lines(Region(0, 0, width, height))]


@pytest.mark.parametrize("size", SIZES)
async def test_the_photo_shows_beside_the_answer_in_half_blocks(door, crew, keys, size):
    app = door()
    async with app.run_test(size=size) as pilot:
        await keys.scanner(pilot, crew["P01"])
        panel, shown = app.screen.query_one(VerdictPanel), app.screen.query_one(DoorPhoto)
        assert shown.display and shown.person == "P01" and shown.has_class("admit")
        assert shown.region.x == panel.region.right and shown.region.right == size[0]  # beside, to the edge
        assert shown.region.y == panel.region.y and shown.region.height == panel.region.height
        text = verdict_text(app)  # the answer, the name and the reason all readable beside the photo
        assert "ADMIT" in text and "Ines Duarte - Camera, Director of photography" in text
        assert "Approved for set - scene 42" in text
        cells = picture_cells(app)
        assert {char for row in cells for char, _, _ in row} == {"▀"}  # upper half block: two pixels a cell
        colours = {colour for row in cells for _, fg, bg in row for colour in (fg, bg)}
        assert len(colours) > 3  # a picture, not a blank box
        picture = app.screen.query_one("#picture")
        assert picture.region.height <= shown.region.height and picture.region.width <= shown.region.width
        assert picture.region.height >= shown.region.height - 1  # as tall as the panel lets it be
        head = cells[len(cells) // 3][len(cells[0]) // 2][1]  # the dark head, high in the middle
        corner = cells[0][0][1]
        assert sum(head.triplet) < sum(corner.triplet) - 150


@pytest.mark.parametrize("size", SIZES)
async def test_nothing_beside_the_answer_for_someone_without_a_photo(door, crew, keys, size):
    app = door()
    async with app.run_test(size=size) as pilot:
        await keys.scanner(pilot, crew["R01"])  # Hannah Cole: no photo, not on the list
        assert "Not on the approved list" in verdict_text(app)
        assert not app.screen.query_one(DoorPhoto).display
        assert app.screen.query_one(VerdictPanel).region.width == size[0]  # the panel as wide as without photos


async def test_a_new_answer_never_shows_the_last_persons_photo(door, crew, keys):
    app = door()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.scanner(pilot, crew["P01"])
        assert app.screen.query_one(DoorPhoto).person == "P01"
        await keys.scanner(pilot, crew["D01"])
        shown = app.screen.query_one(DoorPhoto)
        assert shown.person == "D01" and "Helen Marsh" in verdict_text(app)
        await keys.scanner(pilot, crew["R01"])
        assert not app.screen.query_one(DoorPhoto).display and "Hannah Cole" in verdict_text(app)


async def test_the_photo_goes_when_the_panel_says_ready_again(door, crew, keys, monkeypatch):
    monkeypatch.setattr(door_screen, "VERDICT_SECONDS", 1.5)
    app = door()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.scanner(pilot, crew["P01"])
        assert app.screen.query_one(DoorPhoto).display
        await pilot.pause(1.7)
        assert "READY - scan a badge" in verdict_text(app)
        assert not app.screen.query_one(DoorPhoto).display


async def test_the_answer_does_not_wait_for_the_photo_which_is_decoded_off_the_database_thread(
        door, crew, monkeypatch):
    release, threads = threading.Event(), {}

    def slow_photo_of(db, ref):
        threads["lookup"] = threading.current_thread().name
        release.wait(10)
        return PHOTOS["P01"]

    real_prepare = photo.prepare

    def prepare(*args):
        threads["decode"] = threading.current_thread().name
        return real_prepare(*args)

    monkeypatch.setattr(photo, "prepare", prepare)
    app = door(photos=slow_photo_of)
    async with app.run_test(size=(80, 24)) as pilot:
        for character in crew["P01"]:
            app.post_message(events.Key(key_name(character), character))
        app.post_message(events.Key("enter", "\r"))
        for _ in range(100):
            await pilot.pause(0.02)
            if "ADMIT" in verdict_text(app):
                break
        assert "ADMIT" in verdict_text(app) and not app.screen.query_one(DoorPhoto).display  # answer first
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_one(DoorPhoto).person == "P01"
    assert threads == {"lookup": "kiosk-db_0", "decode": "kiosk-photo_0"}


@pytest.mark.parametrize("bad", [b"", b"not a jpeg at all", PHOTOS["P01"][:200]])
async def test_a_photo_that_cannot_be_read_is_a_plain_note_and_the_door_goes_on(door, crew, keys, bad):
    app = door(photos=from_dict({"P01": bad, "D01": PHOTOS["D01"]}))
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.scanner(pilot, crew["P01"])
        shown = app.screen.query_one(DoorPhoto)
        assert "ADMIT" in verdict_text(app) and "Ines Duarte" in verdict_text(app)
        assert shown.display and not any(picture.display for picture in app.screen.query("#picture"))
        assert str(app.screen.query_one("#photo-note").render()) == photo.UNREADABLE
        await keys.scanner(pilot, crew["D01"])  # the next one shows as usual
        assert shown.person == "D01" and app.screen.query_one("#picture").display
        assert not app.screen.query_one("#photo-note").display


async def test_without_a_photo_lookup_nobody_has_a_photo_and_nothing_is_read(db, crew, keys):
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    app = KioskApp(db, KIOSK, scene="42")  # as ``kiosk run`` starts it on this branch
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.scanner(pilot, crew["P01"])
        assert "ADMIT" in verdict_text(app) and not app.screen.query_one(DoorPhoto).display


def test_the_photo_is_scaled_to_fit_its_box_whole():
    picture, size = photo.prepare(portrait_jpeg(), (14, 8), Cells(1, 2))
    assert picture.size == (12, 16) and size == (12, 8)  # 3:4 in 14 x 16 pixels: as tall as the box
    wide, wide_size = photo.prepare(portrait_jpeg(size=(800, 400)), (14, 8), Cells(1, 2))
    assert wide.size == (14, 7) and wide_size == (14, 4)  # a landscape photo: as wide as the box, not cut
    sharp, sharp_size = photo.prepare(portrait_jpeg(), (14, 8), Cells(10, 20))  # Sixel or Kitty: real pixels
    assert sharp.size == (120, 160) and sharp_size == (12, 8)


def test_tmux_or_the_setting_means_half_blocks_without_asking_the_terminal(monkeypatch):
    monkeypatch.setattr(photo, "_graphics", None)
    assert photo.choose({"TMUX": "/tmp/tmux-0/default,1,0"}) == photo.HALFBLOCKS
    assert photo.choose({photo.GRAPHICS_ENV: "halfblocks"}) == photo.HALFBLOCKS
    assert photo.choose({}) == photo.HALFBLOCKS  # no terminal here (pytest's output is captured)
    assert photo.cells() == Cells(1, 2)


GOOD = portrait_jpeg(size=(60, 80))


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.binary(max_size=400),
                 st.integers(0, len(GOOD)).map(lambda cut: GOOD[:cut]),
                 st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255))
                 .map(lambda flip: GOOD[:flip[0]] + bytes([flip[1]]) + GOOD[flip[0] + 1:])))
def test_any_bytes_make_a_picture_or_the_plain_note(data):
    try:
        picture, (across, down) = photo.prepare(data, (14, 8), Cells(1, 2))
    except PhotoUnreadable as error:
        assert str(error).startswith(photo.UNREADABLE)
    else:
        assert picture.mode == "RGB" and picture.width <= 14 and picture.height <= 16
        assert 1 <= across <= 14 and 1 <= down <= 8



def test_start_up_in_tmux_loads_neither_pillow_nor_textual_image():
    """Half blocks need no question to the terminal, so the door starts without them: they load with the
    first photo, on the photo thread."""
    probe = ("import sys; from kiosk.tui import photo; photo.choose({'TMUX': 'x'}); "
             "print(sorted(name for name in ('PIL', 'textual_image') if name in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "[]"


async def test_the_door_shows_the_photo_kept_in_the_production_by_default(db, crew, keys):
    """Wired end to end: a photo set as `kiosk people photo` sets it shows beside the verdict of a door started
    as `kiosk run` starts it (no lookup given), and a badge planned for that person carries it."""
    access.set_pin(db, PIN, KIOSK)
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    photos.set_photo(db, "P01", portrait_jpeg(), "Sam Whitfield", KIOSK)
    app = KioskApp(db, KIOSK, scene="42")
    async with app.run_test(size=(120, 40)) as pilot:
        await keys.scanner(pilot, crew["P01"])
        shown = app.screen.query_one(DoorPhoto)
        assert shown.display and shown.person == "P01"
        await keys.scanner(pilot, crew["D01"])  # D01 has no photo: no face beside the answer
        assert not app.screen.query_one(DoorPhoto).display
    card = badges.plan_badges(db, ["P01", "D01"])
    assert card[0].photo == photos.photo_of(db, "P01") is not None and card[1].photo is None
