"""Badges: PNGs that scan, a sheet at true size, all-or-nothing issue, names in any script, the terminal QR."""

from __future__ import annotations

import json
import math
import os
import re
import stat

import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader
from qrcode.constants import ERROR_CORRECT_M

from kiosk import fonts
from kiosk.badges import issue, layout, render_card, sheet, stage, terminal_qr
from kiosk.core import codes
from kiosk.core.door import SceneState
from kiosk.errors import RenderError, ServiceError
from kiosk.fonts import SUBSTITUTE
from kiosk.services import badges, door, scenes
from tests.printed import decode, page_scans
from tests.support import KIOSK

MM_TO_PT = 72 / 25.4
CODE_TEXT = re.compile(r"\b[0-9A-Z]{6} [0-9A-Z]{6} [0-9A-Z]{6}\b")


def reference_matrix(code: str) -> list[list[bool]]:
    """qrcode's own symbol for the code, as the badge must show it."""
    symbol = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    symbol.add_data(code)
    symbol.make(fit=True)
    return symbol.get_matrix()


def active_codes(db) -> dict[str, str]:
    """Each person's valid badge, by the digest the record keeps (compare with ``digests`` of codes)."""
    return dict(db.execute("SELECT person, digest FROM badges WHERE status = 'active'"))


def digests(codes_by_ref: dict[str, str]) -> dict[str, str]:
    return {ref: codes.digest(code) for ref, code in codes_by_ref.items()}


def sheet_codes(path) -> list[str]:
    """The codes printed as text on the sheet, page by page."""
    pages = PdfReader(path).pages
    return [match.replace(" ", "") for page in pages for match in CODE_TEXT.findall(page.extract_text())]


def sheet_scans(path) -> list[str]:
    """The QR codes a scanner reads off the sheet printed at 200 dpi."""
    return [text for page in page_scans(path) for text in page]


def strokes(page) -> int:
    """How many lines (cut marks) a page of the sheet draws: fpdf2 writes each as ``x y m x y l S``."""
    return len(re.findall(rb" l S\b", page.get_contents().get_data()))


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("paper, page_mm, per_page", [("a4", (210, 297), 10), ("letter", (279.4, 215.9), 9)])
def test_issue_through_the_cli(db, crew, tmp_path, capsys, paper, page_mm, per_page, cli):
    out, pdf = tmp_path / "badges", tmp_path / "print" / "sheet.pdf"
    status, stdout, _ = cli("badge", "issue", "--all", "--out", out, "--sheet", pdf, "--paper", paper,
                              "--json")
    assert status == 0
    issued = json.loads(stdout)
    valid = active_codes(db)
    assert sorted(issued["issued"]) == sorted(crew) == sorted(valid)
    pngs = sorted(out.iterdir())
    assert [path.name for path in pngs] == sorted(f"{ref}.png" for ref in crew)  # nothing else left behind
    assert issued["files"] == [str(out / f"{ref}.png") for ref in issued["issued"]] + [str(pdf)]
    assert sorted(path.name for path in pdf.parent.iterdir()) == ["sheet.pdf"]
    for ref in ("C01", "C04", "X02"):
        with Image.open(out / f"{ref}.png") as image:
            assert image.size == (1011, 638) and round(image.info["dpi"][0]) == 300
            assert codes.digest(decode(image)) == valid[ref] != codes.digest(crew[ref])
    reader = PdfReader(pdf)
    assert len(reader.pages) == math.ceil(len(crew) / per_page)
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == \
            pytest.approx((page_mm[0] * MM_TO_PT, page_mm[1] * MM_TO_PT), abs=0.01)
    assert sorted(map(codes.digest, sheet_codes(pdf))) == sorted(map(codes.digest, sheet_scans(pdf))) == \
        sorted(valid.values())  # everyone once


def test_card_printer_gets_one_card_a_page_at_exactly_cr80(db, crew, tmp_path, cli):
    pdf = tmp_path / "cards.pdf"
    status, stdout, _ = cli("badge", "issue", "--all", "--out", tmp_path / "png", "--sheet", pdf,
                              "--paper", "cr80", "--json")
    assert status == 0
    valid = active_codes(db)
    reader = PdfReader(pdf)
    assert len(reader.pages) == len(crew)
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == \
            pytest.approx((85.6 * MM_TO_PT, 54 * MM_TO_PT), abs=0.01)
        assert strokes(page) == 0  # no cut marks on a card
    printed = sheet_codes(pdf)
    assert page_scans(pdf, dpi=300) == [[code] for code in printed]  # each card's QR is its own printed code
    assert sorted(map(codes.digest, printed)) == sorted(valid.values())
    assert [codes.digest(code) for code in printed] == [valid[ref] for ref in json.loads(stdout)["issued"]]
    a4 = tmp_path / "a4.pdf"
    cli("badge", "issue", "C01", "--out", tmp_path / "png", "--sheet", a4)
    assert strokes(PdfReader(a4).pages[0]) > 0  # the count above would see cut marks


def test_badge_files_and_folders_are_private_under_a_permissive_umask(db, crew, tmp_path, cli):
    previous = os.umask(0o022)
    try:
        out, pdf = tmp_path / "new" / "badges", tmp_path / "print" / "sheet.pdf"
        assert cli("badge", "issue", "--all", "--out", out, "--sheet", pdf)[0] == 0
    finally:
        os.umask(previous)
    assert {mode(folder) for folder in (tmp_path / "new", out, pdf.parent)} == {0o700}
    assert {mode(path) for path in [*out.iterdir(), pdf]} == {0o600}


def test_new_badges_replace_the_old_ones_at_the_door(db, crew, tmp_path, capsys, cli):
    out = tmp_path / "out"
    assert cli("badge", "issue", "P01", "--out", out)[0] == 0
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert door.scan(db, "42", crew["P01"], "set", KIOSK).decision == "deny"
    assert door.scan(db, "42", decode(out / "P01.png"), "set", KIOSK).decision == "admit"
    assert [path.name for path in out.iterdir()] == ["P01.png"]


def test_module_centres_match_qrcodes_matrix(db, crew):
    card = badges.plan_badges(db, ["C02"])[0]
    image = render_card(card).convert("L")
    corner = (layout.MARGIN + layout.COLUMN, layout.NAME.box.y + layout.NAME.box.height)  # right of texts, below name
    qr_area = image.crop((*corner, image.width, image.height))
    left, top, right, bottom = qr_area.point(lambda value: 255 - value).getbbox()  # the symbol's dark extent
    left, right, top, bottom = left + corner[0], right + corner[0], top + corner[1], bottom + corner[1]
    expected = reference_matrix(card.code)
    module = (right - left) / len(expected)
    assert module == (bottom - top) / len(expected) == layout.MODULE
    seen = [[image.getpixel((left + (x + 0.5) * module, top + (y + 0.5) * module)) < 128
             for x in range(len(expected))] for y in range(len(expected))]
    assert seen == expected
    ring = 4 * layout.MODULE  # the quiet zone the standard asks for, clear on all four sides
    for band in ((left - ring, top - ring, right + ring, top), (left - ring, bottom, right + ring, bottom + ring),
                 (left - ring, top, left, bottom), (right, top, right + ring, bottom)):
        assert image.crop(band).getextrema() == (255, 255)


def test_sheet_rectangles_cover_exactly_the_dark_modules(db, crew):
    built = layout.card_layout(badges.plan_badges(db, ["D01"])[0])
    painted = [[0] * len(built.matrix) for _ in built.matrix]
    for left, top, width, height in built.qr_runs():
        for y in range(top, top + height):
            for x in range(left, left + width):
                painted[y][x] += 1
    assert painted == [[int(dark) for dark in row] for row in built.matrix]  # each dark module once, no light one
    assert len(built.qr_runs()) < sum(map(sum, painted)) / 2


def test_failed_render_leaves_nothing_and_old_badges_keep_working(db, crew, tmp_path, monkeypatch):
    drawn = []

    def failing(card_layout):
        drawn.append(card_layout.ref)
        if len(drawn) == 3:
            raise RuntimeError("printer font exploded")
        return real(card_layout)

    real = issue.draw_card
    monkeypatch.setattr(issue, "draw_card", failing)
    recorded = []
    monkeypatch.setattr(badges, "record_badges", lambda *args: recorded.append(True))
    (tmp_path / "out").mkdir()
    out, pdf = tmp_path / "out" / "new" / "badges", tmp_path / "out" / "sheet.pdf"
    with pytest.raises(RuntimeError, match="exploded"):
        badges.issue(db, None, out, pdf, "a4", KIOSK)
    assert recorded == [] and list((tmp_path / "out").iterdir()) == []  # not even the folders it made
    scenes.set_state(db, "42", SceneState.OPEN, KIOSK)
    assert door.scan(db, "42", crew["P01"], "set", KIOSK).decision == "admit"
    assert active_codes(db) == digests(crew)


def test_failed_record_leaves_nothing(db, crew, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "P01.png").write_bytes(b"the old badge")

    def record(*args):
        raise ServiceError("database is locked")

    monkeypatch.setattr(badges, "record_badges", record)
    with pytest.raises(ServiceError):
        badges.issue(db, ["P01", "C04"], out, out / "sheet.pdf", "letter", KIOSK)
    assert [path.name for path in out.iterdir()] == ["P01.png"]
    assert (out / "P01.png").read_bytes() == b"the old badge"
    assert active_codes(db) == digests(crew)


def test_bad_targets_are_refused_before_anything_is_drawn(db, crew, tmp_path, capsys, cli):
    (tmp_path / "a-file").write_text("x")
    status, _, err = cli("badge", "issue", "--all", "--out", tmp_path / "a-file")
    assert status == 2 and "is a file" in err
    (tmp_path / "out" / "P01.png").mkdir(parents=True)
    status, _, err = cli("badge", "issue", "P01", "--out", tmp_path / "out")
    assert status == 2 and "is a folder" in err
    assert cli("badge", "issue", "--all", "P01", "--out", tmp_path)[0] == 2
    status, _, err = cli("badge", "issue", "P01", "--out", tmp_path / "a-file" / "below")
    assert status == 2 and "Could not write the badges" in err and "Nothing was issued" in err
    with pytest.raises(RenderError, match="Paper"):
        stage(badges.plan_badges(db, ["P01"]), tmp_path, None, "a3")
    assert active_codes(db) == digests(crew)


def test_names_in_other_scripts(db, crew):
    for ref, name in (("C01", "Zoë Ødegård"), ("C02", "Łukasz Nowak"), ("C03", "Ольга Иванова")):
        card = badges.plan_badges(db, [ref])[0]
        assert card.name == name
        assert " ".join(line.text for line in layout.card_layout(card).name) == name  # DejaVu has every letter
        assert decode(render_card(card)) == card.code
    cjk = badges.plan_badges(db, ["C04"])[0]
    drawn = " ".join(line.text for line in layout.card_layout(cjk).name)
    assert drawn == cjk.name or drawn == f"{SUBSTITUTE * 2} {SUBSTITUTE * 2}"  # a system font, else visible boxes
    assert decode(render_card(cjk)) == cjk.code


def test_a_name_no_installed_font_draws_is_warned_at_issue_naming_the_package(db, crew, tmp_path, monkeypatch,
                                                                                cli):
    monkeypatch.setattr(fonts, "system_fallbacks", lambda: ())  # a machine with no CJK font
    status, _, err = cli("badge", "issue", "C04", "C01", "--out", tmp_path / "out")
    assert status == 0 and (tmp_path / "out" / "C04.png").exists()  # issued all the same, with squares
    assert "Warning: 山田 花子 (C04): 4 character(s) no installed font has" in err
    assert "apt install fonts-noto-cjk" in err and "Zoë" not in err
    assert fonts.font_package("ا") == "fonts-unifont"


def ink_box(card: badges.BadgeCard) -> tuple[int, int, int, int]:
    return render_card(card).convert("L").point(lambda value: 255 - value).getbbox()


def test_long_texts_shrink_wrap_and_stay_on_the_card():
    long = badges.BadgeCard("The Extremely Long Production Title That Never Ends, Part Two: The Night Garden Returns",
                            "L1", "Maria Guadalupe Fernández de la Concepción Ramírez y Villanueva-Echeverría",
                            "Intimacy, Wellbeing and Welfare Department (2nd unit)",
                            "Intimacy coordinator for the night shoot, also welfare liaison and supervisor",
                            codes.new_code())
    built = layout.card_layout(long)
    assert len(built.name) == 2 and built.name[0].size < layout.NAME.largest
    assert built.production[0].text.endswith(layout.ELLIPSIS)
    left, _top, right, bottom = ink_box(long)
    assert left >= layout.MARGIN - 4 and right <= layout.WIDTH - layout.MARGIN and bottom <= layout.HEIGHT - 30
    assert decode(render_card(long)) == long.code


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=200),
       st.sampled_from([layout.PRODUCTION, layout.NAME, layout.DEPARTMENT, layout.ROLE]))
def test_any_text_fits_its_box(text, style):
    lines = layout.fit(text, style)
    assert len(lines) <= style.lines
    for line in lines:
        typeface = layout.font(line.face, line.size)
        assert style.smallest <= line.size <= style.largest
        assert typeface.getlength(line.text) <= style.box.width
        assert line.baseline + typeface.getmetrics()[1] <= style.box.y + style.box.height


def test_every_paper_the_cli_offers_is_one_the_sheet_draws():
    from kiosk.cli.people import badge_issue

    offered = next(param for param in badge_issue.params if param.name == "paper").type.choices
    assert sorted(offered) == sorted(sheet.PAPERS)


@pytest.mark.parametrize("paper", sorted(set(sheet.PAPERS) - {sheet.CARD_PAPER}))
def test_cut_marks_stay_outside_every_card(paper):
    grid = sheet.grid(paper)
    width, height = grid.page
    cells = [(column, row) for row in range(grid.rows) for column in range(grid.columns)]
    cards = [(*grid.origin(*cell), *layout.CARD_MM) for cell in cells]
    for x, y, card_w, card_h in cards:
        assert x >= sheet.MIN_MARGIN and x + card_w <= width - sheet.MIN_MARGIN
        assert y >= sheet.MIN_MARGIN and y + card_h <= height - sheet.MIN_MARGIN
    for cell in cells:
        for x1, y1, x2, y2 in sheet.cut_marks(grid, *cell):
            assert min(x1, x2) > 0 and max(x1, x2) < width and min(y1, y2) > 0 and max(y1, y2) < height
            for x, y, card_w, card_h in cards:  # a mark may touch no card, not even at its end
                overlaps_x = max(x1, x2) > x - 0.01 and min(x1, x2) < x + card_w + 0.01
                overlaps_y = max(y1, y2) > y - 0.01 and min(y1, y2) < y + card_h + 0.01
                assert not (overlaps_x and overlaps_y)


def test_terminal_qr_is_the_symbol_in_half_blocks():
    code = codes.new_code()
    lines = terminal_qr(code).split("\n")
    expected = reference_matrix(code)
    side = len(expected) + 8  # four modules of quiet zone each side
    assert len(lines) == math.ceil(side / 2) and {len(line) for line in lines} == {side}
    halves = {"█": (True, True), "▀": (True, False), "▄": (False, True), "\xa0": (False, False),
              " ": (False, False)}  # True: light, drawn for a dark terminal
    light = [[halves[char][half] for char in line] for line in lines for half in (0, 1)][:side]
    assert all(light[0]) and all(light[3]) and all(row[0] and row[-1] for row in light)
    assert [[not value for value in row[4:-4]] for row in light[4:-4]] == expected
