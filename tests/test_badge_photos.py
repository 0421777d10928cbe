"""Badges with the person's photo: room made for it beside the name, the QR still read from the PNG and the
sheet (every paper), a card without a photo as before, and a photo that cannot be read stops the issue."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from pypdf import PdfReader

from kiosk.badges import layout, render_card, stage
from kiosk.badges.photo import photo_for_box
from kiosk.core import codes
from kiosk.core.badge import BadgeCard
from kiosk.errors import RenderError
from tests.printed import decode, page_scans


def portrait_jpeg(size=(480, 640), orientation: int | None = None) -> bytes:
    """A real JPEG made by Pillow: a light background, a dark head and dark shoulders."""
    picture = Image.new("RGB", size, (214, 190, 160))
    draw = ImageDraw.Draw(picture)
    width, height = size
    draw.ellipse((width * .25, height * .15, width * .75, height * .6), fill=(70, 45, 30))
    draw.rectangle((width * .1, height * .72, width * .9, height), fill=(25, 25, 80))
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    picture.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def card(photo: bytes | None = None, **texts: str) -> BadgeCard:
    fields = {"production": "Night Garden", "ref": "P01", "name": "Ines Duarte", "department": "Camera",
              "role": "Director of photography"} | texts
    return BadgeCard(**fields, code=codes.new_code(), photo=photo)


def ink(image: Image.Image, box: layout.Box) -> float:
    """The share of black pixels inside ``box``."""
    area = image.convert("L").crop((box.x, box.y, box.x + box.width, box.y + box.height))
    return sum(area.histogram()[:128]) / (box.width * box.height)


def test_the_photo_is_printed_left_of_the_texts_and_the_qr_still_reads():
    with_photo = card(portrait_jpeg())
    built = layout.card_layout(with_photo)
    image = render_card(with_photo)
    assert decode(image) == with_photo.code
    assert 0.2 < ink(image, layout.PHOTO) < 0.8  # dithered: dots of black and of white, not a blank box
    head = layout.Box(layout.PHOTO.x + 90, layout.PHOTO.y + 110, 48, 40)  # the dark head, high in the box
    background = layout.Box(layout.PHOTO.x + 4, layout.PHOTO.y + 4, 30, 30)
    assert ink(image, head) > ink(image, background) + 0.3
    photo_right = layout.PHOTO.x + layout.PHOTO.width
    for line in built.name + built.department + built.role:  # every text right of the photo, none over it
        left, _, right, _ = layout.font(line.face, line.size).getbbox(line.text, anchor="ls")
        assert line.x + left > photo_right and line.x + right <= layout.WIDTH - layout.MARGIN
    assert [line.size for line in built.name] == [layout.NAME.largest]  # legible: as large as without a photo
    assert built.department[0].size == layout.DEPARTMENT.largest and built.role[0].size >= 36
    assert layout.PHOTO.y + layout.PHOTO.height < layout.CODE.box.y  # the code line below the photo, where it always is


def test_a_card_without_a_photo_is_drawn_as_before():
    plain = card()
    built = layout.card_layout(plain)
    assert built.photo is None
    assert built.name == layout.fit(plain.name, layout.NAME) and built.name[0].x == layout.MARGIN
    assert built.department == layout.fit(plain.department, layout.DEPARTMENT)
    assert built.role == layout.fit(plain.role, layout.ROLE)
    photographed = layout.card_layout(replace(plain, photo=portrait_jpeg()))
    assert (photographed.qr_x, photographed.qr_y, photographed.code) == (built.qr_x, built.qr_y, built.code)
    assert render_card(plain).tobytes() != render_card(replace(plain, photo=portrait_jpeg())).tobytes()


def test_long_texts_beside_the_photo_shrink_and_stay_on_the_card():
    long = card(portrait_jpeg(), name="Maria Guadalupe Fernández de la Concepción Ramírez y Villanueva",
                department="Intimacy, Wellbeing and Welfare Department (2nd unit)",
                role="Intimacy coordinator for the night shoot, also welfare liaison and supervisor")
    built = layout.card_layout(long)
    for line in built.name + built.department + built.role:
        typeface = layout.font(line.face, line.size)
        assert line.x > layout.PHOTO.x + layout.PHOTO.width
        assert line.x + typeface.getlength(line.text) <= layout.WIDTH - layout.MARGIN
    for line in built.department + built.role:  # left of the QR's quiet zone
        assert line.x + layout.font(line.face, line.size).getlength(line.text) <= layout.MARGIN + layout.COLUMN
    assert decode(render_card(long)) == long.code


def test_the_photo_is_turned_upright_by_its_exif_orientation():
    # Stored on its side (as a phone saves it) with the tag saying "turn 90 degrees clockwise to view".
    upright = Image.open(io.BytesIO(portrait_jpeg()))
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    stored = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways.save(stored, "JPEG", quality=90, exif=exif)
    shown = photo_for_box(stored.getvalue(), (120, 160), "Ines")
    assert shown.size == (120, 160)
    assert shown.getpixel((60, 150)) < 80 and shown.getpixel((5, 5)) > 150  # shoulders at the foot, light above


@pytest.mark.parametrize("paper", ["a4", "letter", "cr80"])
def test_photos_on_the_printed_sheet_and_the_qr_reads_off_it(tmp_path, paper):
    cards = [card(portrait_jpeg(), ref="P01"), card(None, ref="P02", name="Helen Marsh"),
             card(portrait_jpeg((600, 600)), ref="P03", name="Zoë Ødegård")]
    staged = stage(cards, tmp_path / "png", tmp_path / "sheet.pdf", paper)
    files = staged.commit()
    for each, path in zip(cards, files):
        assert decode(path) == each.code
    pages = PdfReader(tmp_path / "sheet.pdf").pages
    assert sum(len(page.images) for page in pages) == 2  # the two photos; the card without one has none
    scans = [text for page in page_scans(tmp_path / "sheet.pdf", dpi=300) for text in page]
    assert sorted(scans) == sorted(each.code for each in cards)


def test_a_photo_that_cannot_be_read_stops_the_issue_naming_the_person(tmp_path):
    broken = card(portrait_jpeg()[:300], name="Helen Marsh", ref="D01")
    with pytest.raises(RenderError, match=r"The photo of Helen Marsh \(D01\) cannot be read"):
        stage([card(portrait_jpeg()), broken], tmp_path / "png", tmp_path / "sheet.pdf", "a4")
    assert list(tmp_path.iterdir()) == []  # no PNG, no sheet, not even the folder made for them


GOOD = portrait_jpeg((90, 120))


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(max_size=400),
                 st.integers(0, len(GOOD)).map(lambda cut: GOOD[:cut]),
                 st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255))
                 .map(lambda flip: GOOD[:flip[0]] + bytes([flip[1]]) + GOOD[flip[0] + 1:])))
def test_any_bytes_make_a_photo_or_a_clear_refusal(data):
    try:
        shown = photo_for_box(data, (60, 80), "Ines")
    except RenderError as error:
        assert "The photo of Ines cannot be read" in str(error)
    else:
        assert shown.size == (60, 80) and shown.mode == "L"
