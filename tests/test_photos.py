"""Photos, the storage side: downscaled to a small JPEG, refused when not an image or a decompression bomb
(exit 2, a clear message), removed for good, checked against the digest the log names, never in a report."""

from __future__ import annotations

import contextlib
import io
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from kiosk.reports import render
from kiosk.services import photos, reports
from kiosk.services.photos import PhotoRefused
from kiosk.store import audit
from tests.support import KIOSK


def picture(width=2400, height=3200, fmt="JPEG") -> bytes:
    image = Image.effect_noise((width, height), 80).convert("RGB")  # noise: the hardest to compress
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def test_a_big_photo_is_kept_small_and_given_back_to_the_door(db, crew):
    kept = photos.set_photo(db, "C01", picture(), "Sam Whitfield", KIOSK)
    assert kept.size <= photos.MAX_BYTES and max(kept.width, kept.height) <= 480
    data = photos.photo_of(db, "C01")
    assert data is not None and Image.open(io.BytesIO(data)).format == "JPEG"
    assert photos.photo_of(db, "C02") is None
    assert audit.differences(db) == []


def test_replacing_and_removing_erase_the_old_bytes(db, crew):
    first = photos.set_photo(db, "C01", picture(400, 600, "PNG"), "Sam", KIOSK)
    second = photos.set_photo(db, "C01", picture(500, 700), "Sam", KIOSK)
    blobs = {row[0] for row in db.execute("SELECT digest FROM photo_blobs")}
    assert second.digest in blobs and first.digest not in blobs
    photos.remove_photo(db, "C01", "Sam", KIOSK)
    assert photos.photo_of(db, "C01") is None and db.execute("SELECT COUNT(*) FROM photo_blobs").fetchone()[0] == 0
    assert audit.differences(db) == []


def test_a_swapped_photo_is_not_shown_and_the_audit_names_it(db, crew):
    photos.set_photo(db, "C01", picture(400, 600), "Sam", KIOSK)
    other = photos.downscaled(picture(300, 300))[0]
    db.execute("UPDATE photo_blobs SET image = ?", [other])
    assert photos.photo_of(db, "C01") is None
    assert any(found.table == "photo_blobs" for found in audit.differences(db))


def test_not_an_image_and_a_decompression_bomb_are_refused(db, crew):
    with pytest.raises(PhotoRefused, match="not an image"):
        photos.set_photo(db, "C01", b"%PDF-1.4 not a photo", "Sam", KIOSK)
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, "PNG")  # a few KB that decode to 400 million pixels
    with pytest.raises(PhotoRefused, match="decompression bomb"):
        photos.set_photo(db, "C01", bomb.getvalue(), "Sam", KIOSK)
    assert db.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_any_bytes_are_kept_or_refused_never_a_crash(db, crew, data):
    with contextlib.suppress(PhotoRefused):
        kept, width, height = photos.downscaled(data)
        assert len(kept) <= photos.MAX_BYTES and width <= 360 and height <= 480


def test_photos_never_reach_a_report(db, crew, tmp_path):
    photos.set_photo(db, "C01", picture(400, 600), "Sam", KIOSK)
    data = photos.photo_of(db, "C01")
    for fmt in ("json", "csv", "pdf"):
        out = render(reports.scene_report(db, "42"), tmp_path / f"r.{fmt}", fmt).read_bytes()
        assert data[100:140] not in out
    assert "digest" not in json.dumps(json.loads((tmp_path / "r.json").read_text("utf-8")))


def test_cli_photo_and_remove(cli_production, cli, tmp_path, db_path):
    path = tmp_path / "zoe.jpg"
    path.write_bytes(picture(1200, 1600))
    status, out, _ = cli("people", "photo", "C01", path)
    assert status == 0 and "photo kept" in out
    (tmp_path / "notes.txt").write_text("not a photo")
    status, _, err = cli("people", "photo", "C01", tmp_path / "notes.txt")
    assert status == 2 and "'notes.txt' is not an image" in err and "Traceback" not in err
    status, out, _ = cli("people", "photo", "C01", "--remove")
    assert status == 0 and "removed" in out
    assert oct(os.stat(db_path).st_mode & 0o777) == "0o600"


def test_the_import_reads_a_photo_column_relative_to_the_list(cli_production, cli, tmp_path):
    (tmp_path / "faces").mkdir()
    (tmp_path / "faces" / "zoe.png").write_bytes(picture(800, 1000, "PNG"))
    crew_list = tmp_path / "crew.csv"
    crew_list.write_text("Ref,Name,Kind,Photo\nC01,Zoë Ødegård,cast,faces/zoe.png\nC02,Łukasz Nowak,cast,\n",
                         encoding="utf-8")
    status, _, err = cli("people", "import", crew_list)
    assert status == 0, err
    from kiosk.store import connect

    database = connect(os.environ["KIOSK_DB"])
    assert photos.photo_of(database, "C01") is not None and photos.photo_of(database, "C02") is None
    database.close()
    crew_list.write_text("Ref,Name,Kind,Photo\nC03,Ольга Иванова,cast,../secret.png\nC04,山田 花子,cast,nope.jpg\n",
                         encoding="utf-8")
    status, _, err = cli("people", "import", crew_list)
    assert status == 2 and "line 2" in err and "relative to the list" in err and "line 3" in err
    assert "nope.jpg" in err and "Nothing was imported" in err
