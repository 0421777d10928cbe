"""Photos through the hub: a photo set at one kiosk shows at another's door, its bytes checked against the digest
the log names at the hub and again at the kiosk that pulls them; replaced or removed, it goes everywhere."""

from __future__ import annotations

import pytest

from kiosk.hub import HubError, verify
from kiosk.services import audit as auditing
from kiosk.services import photos
from kiosk.services import sync as service
from tests.photo_door import portrait_jpeg
from tests.syncing import settle, tables


def test_a_photo_set_at_one_kiosk_shows_at_the_door_of_another(fleet, cli):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    kept = photos.set_photo(door_a.db, "C01", portrait_jpeg(), "Sam Whitfield", "door-a")
    pushed = door_a.sync()
    assert pushed.ok and (pushed.pushed, pushed.waiting) == (1, 0), pushed
    assert fleet.hub.sql().execute("SELECT digest FROM hub.photos").fetchall() == [(kept.digest,)]
    assert door_b.sync().pulled == 1
    shown = photos.photo_of(door_b.db, "C01")
    assert shown is not None and shown == photos.photo_of(door_a.db, "C01")
    assert auditing.check(door_b.db).ok
    door_c = fleet.join("door-c")  # a kiosk joined afterwards has it too
    assert photos.photo_of(door_c.db, "C01") == shown
    settle(fleet.machines)
    assert tables(door_a.db) == tables(door_b.db) == tables(door_c.db) == tables(fleet.office.db)
    door_b.close()
    code, out, _ = cli("--db", door_b.path, "--kiosk-id", "door-b", "audit", "verify")
    assert code == 0 and "intact" in out.lower(), out


def test_a_photo_replaced_then_removed_is_gone_everywhere(fleet):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    first = photos.set_photo(door_a.db, "C01", portrait_jpeg(), "Sam", "door-a")
    settle(fleet.machines)
    second = photos.set_photo(door_b.db, "C01", portrait_jpeg(skin=(230, 200, 170)), "Sam", "door-b")
    settle(fleet.machines)
    assert photos.photo_of(door_a.db, "C01") == photos.photo_of(door_b.db, "C01") is not None
    assert door_a.db.execute("SELECT digest FROM photo_blobs").fetchall() == [(second.digest,)]
    assert fleet.hub.sql().execute("SELECT digest FROM hub.photos").fetchall() == [(second.digest,)]
    photos.remove_photo(door_a.db, "C01", "Sam", "door-a")
    settle(fleet.machines)
    for machine in fleet.machines:
        assert photos.photo_of(machine.db, "C01") is None
        assert machine.db.execute("SELECT count(*) FROM photo_blobs").fetchone()[0] == 0
        assert auditing.check(machine.db).ok
    assert fleet.hub.sql().execute("SELECT count(*) FROM hub.photos").fetchone()[0] == 0
    assert {first.digest, second.digest} <= {row[0] for row in fleet.hub.sql().execute("SELECT digest FROM hub.erased")}


def test_the_same_picture_set_again_after_its_removal_travels_again(fleet):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    photos.set_photo(door_a.db, "C01", portrait_jpeg(), "Sam", "door-a")
    settle(fleet.machines)
    photos.remove_photo(door_a.db, "C01", "Sam", "door-a")
    settle(fleet.machines)
    again = photos.set_photo(door_a.db, "C01", portrait_jpeg(), "Sam", "door-a")
    settle(fleet.machines)
    assert photos.photo_of(door_b.db, "C01") == photos.photo_of(door_a.db, "C01") is not None
    assert door_b.db.execute("SELECT digest FROM photo_blobs").fetchall() == [(again.digest,)]
    assert auditing.check(door_b.db).ok


def test_a_photo_tampered_with_at_the_hub_is_refused_by_the_kiosk_that_pulls_it(fleet):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    kept = photos.set_photo(door_a.db, "C01", portrait_jpeg(), "Sam", "door-a")
    assert door_a.sync().ok
    admin = fleet.hub.sql()
    admin.execute("ALTER TABLE hub.photos DISABLE TRIGGER append_only")
    admin.execute("ALTER TABLE hub.photos DROP CONSTRAINT photos_check")
    admin.execute("UPDATE hub.photos SET content = %s", [portrait_jpeg(skin=(90, 60, 40))])
    checked = verify(fleet.hub.admin_dsn, fleet.hub.password)
    assert not checked.ok and checked.bad_photos == [kept.digest]
    with pytest.raises(HubError, match=r"the hub holds the photo .* do not match its digest") as refused:
        door_b.sync()
    result = service.failed(door_b.db, "door-b", refused.value)
    assert result.reason == "invalid" and not result.retry
    assert photos.photo_of(door_b.db, "C01") is None
    assert door_b.db.execute("SELECT count(*) FROM photo_blobs").fetchone()[0] == 0
    assert auditing.check(door_b.db).ok  # nothing of the page was taken
