"""A person's photo from the people setup screen (Pilot, at 80x24 and 120x40): a path sets it (a real JPEG or
PNG, stored downscaled), Remove takes it away, and a missing, unreadable or non-image file is refused in words
with nothing saved.  Checked in the database and the log afterwards."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from textual.widgets import Checkbox, Input

from kiosk.services import access, photos
from kiosk.services.lookup import get_person
from kiosk.store import audit
from kiosk.tui import KioskApp
from kiosk.tui.screens.people import PeopleScreen, PersonForm
from kiosk.tui.widgets import Table
from tests.photo_door import portrait_jpeg
from tests.support import KIOSK, PIN, SIZES


@pytest.fixture
def app(db, crew):
    access.set_pin(db, PIN, KIOSK)
    return KioskApp(db, KIOSK, scene="42", scan_gap=0.01)


def message(app) -> str:
    return " ".join(str(app.screen.query_one("#message").render()).split())


def photo_events(db) -> list[tuple[str, dict]]:
    return [(type_, json.loads(payload)["body"]) for type_, payload in
            db.execute("SELECT type, payload FROM events WHERE type LIKE 'photo.%' ORDER BY seq")]


async def edit(pilot, keys, ref: str) -> PersonForm:
    """From the people list: the filter finds them, Enter goes to the table, F3 opens them."""
    pilot.app.screen.query_one("#filter", Input).value = ref
    await keys.settle(pilot)
    pilot.app.screen.query_one("#filter", Input).focus()
    await keys.press(pilot, "enter", "f3")
    form = pilot.app.screen
    assert isinstance(form, PersonForm) and form.person is not None and form.person.ref == ref
    return form


async def try_photo(pilot, keys, path) -> None:
    pilot.app.screen.query_one("#photo", Input).value = str(path)
    await keys.press(pilot, "f2")


@pytest.mark.parametrize("size", SIZES)
async def test_a_photo_is_set_from_a_file_refused_in_words_and_removed(app, db, keys, size, tmp_path):
    (tmp_path / "notes.txt").write_text("not a picture at all")
    (tmp_path / "helen.jpg").write_bytes(portrait_jpeg(size=(1200, 1600)))
    async with app.run_test(size=size) as pilot:
        await keys.settle(pilot)
        await pilot.app.push_screen(PeopleScreen())
        await keys.settle(pilot)
        form = await edit(pilot, keys, "D01")
        assert str(form.query_one("#photo_state").render()) == "Photo: none"
        assert not form.query_one("#remove_photo").display

        for path, words in ((tmp_path / "missing.jpg", "Not saved: No file at"),
                            (tmp_path, "is a folder"),
                            (tmp_path / "notes.txt", "'notes.txt' is not an image this kiosk can read")):
            await try_photo(pilot, keys, path)
            assert app.screen is form and words in message(app), message(app)
        assert photo_events(db) == [] and app.is_running

        await try_photo(pilot, keys, tmp_path / "helen.jpg")
        assert isinstance(app.screen, PeopleScreen)
        kept = photos.photo_info(db, "D01")
        assert kept is not None and kept.width <= photos.SIDE[0] and kept.height <= photos.SIDE[1]
        stored = photos.photo_of(db, "D01")
        assert stored is not None and stored[:3] == b"\xff\xd8\xff" and len(stored) <= photos.MAX_BYTES
        assert [(type_, body["by"]) for type_, body in photo_events(db)] == [("photo.set", f"supervisor at {KIOSK}")]

        form = await edit(pilot, keys, "D01")
        await keys.settle(pilot)
        assert str(form.query_one("#photo_state").render()).startswith("Photo: on file (")
        remove = form.query_one("#remove_photo", Checkbox)
        assert remove.display
        remove.focus()
        await keys.press(pilot, "space", "f2")
        assert isinstance(app.screen, PeopleScreen)
    assert photos.photo_info(db, "D01") is None and photos.photo_of(db, "D01") is None
    assert db.execute("SELECT COUNT(*) FROM photo_blobs").fetchone()[0] == 0  # the bytes are gone for good
    assert [type_ for type_, _ in photo_events(db)] == ["photo.set", "photo.removed"]
    assert get_person(db, "D01")["name"] == "Helen Marsh"
    assert audit.differences(db) == []


async def test_a_new_person_is_added_with_a_png(app, db, keys, tmp_path):
    picture = Image.open(io.BytesIO(portrait_jpeg()))
    picture.save(tmp_path / "noor.png", "PNG")
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.settle(pilot)
        await pilot.app.push_screen(PeopleScreen())
        await keys.settle(pilot)
        await keys.press(pilot, "f2")
        form = app.screen
        assert isinstance(form, PersonForm)
        for field, value in (("ref", "N01"), ("name", "Noor [/] Haddad"), ("photo", str(tmp_path / "noor.png"))):
            form.query_one(f"#{field}", Input).value = value
        form.query_one("#kind").focus()
        await keys.press(pilot, "down", "enter", "f2")  # cast, crew: crew; then save
        assert isinstance(app.screen, PeopleScreen)
        assert app.screen.query_one("#rows", Table).texts("N01")[1] == "Noor [/] Haddad"
    assert get_person(db, "N01")["name"] == "Noor [/] Haddad"
    stored = photos.photo_of(db, "N01")
    assert stored is not None and stored[:3] == b"\xff\xd8\xff"  # kept as a JPEG, whatever it came as
    assert audit.differences(db) == []
