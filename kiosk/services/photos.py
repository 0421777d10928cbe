"""A person's photo, for the door to show beside the answer so the AD can see the badge belongs to the person
holding it.  Stored small (a JPEG of at most ``MAX_BYTES``) in the database, which only its owner can read;
never in a report or an export.  The bytes live in ``photo_blobs`` under their SHA-256 digest; the event that set
the photo names the digest (never the bytes), so removing it erases the bytes for good while the record of who
set and removed it stays.  ``photo_of`` hands the door the bytes only when they are the ones the log names."""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from kiosk.core import record as rules
from kiosk.core import text
from kiosk.services import ServiceError, checked
from kiosk.services.lookup import resolve_person
from kiosk.store import record
from kiosk.store.db import Store, write

MAX_BYTES = 50_000  # "at most about 50 KB each"
SIDE = (360, 480)  # the largest a stored photo is (width, height): plenty for a face beside the verdict
MAX_PIXELS = 40_000_000  # a larger image is refused before it is decoded (a decompression bomb)
MAX_FILE = 25_000_000  # bytes read from a photo file at most
_MARK = 2 + 2 + len("kiosk photo ") + 32  # the JPEG comment segment that makes each setting's bytes its own


class PhotoRefused(ServiceError):
    """Not an image this kiosk keeps (exit 2, nothing recorded)."""


@dataclass(frozen=True)
class Photo:
    person: str
    digest: str
    width: int
    height: int
    size: int  # bytes stored


def downscaled(data: bytes, what: str = "the file") -> tuple[bytes, int, int]:
    """``data`` (any image Pillow reads) as a JPEG of at most ``MAX_BYTES``, upright, at most ``SIDE``; a file
    that is not an image, or one that would expand past ``MAX_PIXELS`` when decoded, is refused."""
    from PIL import Image, ImageOps, UnidentifiedImageError  # here: `kiosk scan` starts without Pillow

    if len(data) > MAX_FILE:
        raise PhotoRefused(f"{what} is {len(data) // 1_000_000} MB: a photo for a badge is a few MB at most.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoRefused(
                        f"{what} is {image.width}x{image.height} pixels: too large to open safely "
                        "(a decompression bomb?). Save a smaller copy and give that."
                    )
                image.draft("RGB", (SIDE[0] * 2, SIDE[1] * 2))  # JPEG: decode at a fraction of the size
                picture = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        if isinstance(error, UnidentifiedImageError):
            raise PhotoRefused(f"{what} is not an image this kiosk can read (JPEG, PNG, WebP...).") from None
        raise PhotoRefused(f"{what} is too large to open safely (a decompression bomb?).") from None
    except (OSError, ValueError, SyntaxError) as error:
        raise PhotoRefused(f"{what} could not be read as an image ({error}).") from None
    picture.thumbnail(SIDE, Image.Resampling.LANCZOS)
    for quality in (85, 75, 65, 55, 45, 35):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_BYTES - _MARK:
            return out.getvalue(), picture.width, picture.height
        if quality == 55:
            picture.thumbnail((SIDE[0] // 2, SIDE[1] // 2), Image.Resampling.LANCZOS)
    raise PhotoRefused(f"{what} could not be made small enough to keep ({MAX_BYTES // 1000} KB).")


def set_photo(db: Store, person: str, data: bytes, by: str, kiosk: str, what: str = "the file") -> Photo:
    """Keep ``data`` (downscaled) as ``person``'s photo, replacing any before it (whose bytes are erased)."""
    return keep(db, person, downscaled(data, what), by, kiosk)


def from_list(base: Path | None, written: str) -> tuple[bytes, int, int]:
    """The photo a cast and crew list names (``written``: a path relative to the list's own file), downscaled;
    ``PhotoRefused`` saying what is wrong (read before anything is recorded)."""
    if base is None:
        raise PhotoRefused("a photo in the list needs the list's own file to be found from")
    relative = Path(written.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts:
        raise PhotoRefused(f"photo {written!r}: give its path relative to the list's file, inside its folder")
    path = base / relative
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE + 1)
    except OSError as error:
        raise PhotoRefused(f"photo {written!r} could not be read ({error.strerror or error})") from None
    return downscaled(data, f"photo {written!r}")


def from_file(path: Path) -> tuple[bytes, int, int]:
    """The photo in the file at ``path``, downscaled (no database: for the screens' photo thread), or
    ``PhotoRefused`` saying in words why not - no file, a folder, not readable, not an image."""
    path = Path(path).expanduser()
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE + 1)
    except FileNotFoundError:
        raise PhotoRefused(f"No file at {path}: check the path (and that the USB stick is plugged in).") from None
    except IsADirectoryError:
        raise PhotoRefused(f"{path} is a folder: type the path of the photo in it.") from None
    except PermissionError:
        raise PhotoRefused(f"Not allowed to read {path}: copy it somewhere this kiosk's user can read.") from None
    except OSError as error:
        raise PhotoRefused(f"Cannot read {path}: {error.strerror or error}.") from None
    return downscaled(data, f"'{path.name}'")


def photo_info(db: Store, person: str) -> Photo | None:
    """The person's photo as setup shows it (its size, not its bytes), or None when they have none."""
    ref = resolve_person(db, person)["ref"]
    row = db.execute(
        "SELECT p.digest, p.width, p.height, length(b.image) FROM photos p LEFT JOIN photo_blobs b "
        "ON b.digest = p.digest WHERE p.person = ?",
        [ref],
    ).fetchone()
    return Photo(ref, row[0], row[1], row[2], row[3] or 0) if row else None


def keep(db: Store, person: str, prepared: tuple[bytes, int, int], by: str, kiosk: str) -> Photo:
    """Keep an already downscaled photo as ``person``'s."""
    by = checked(text.line, by, "name of who sets the photo") or "setup"
    image, width, height = prepared
    image = _own_bytes(image)
    found = hashlib.sha256(image).hexdigest()
    with write(db):
        ref = resolve_person(db, person)["ref"]
        before = db.execute("SELECT digest FROM photos WHERE person = ?", [ref]).fetchone()
        db.execute("INSERT OR IGNORE INTO photo_blobs (digest, image) VALUES (?, ?)", [found, image])
        record.record(
            db,
            kiosk,
            rules.PHOTO_SET,
            rules.photo_key(ref),
            {
                "person": ref,
                "sealed": [found],
                "width": width,
                "height": height,
                "by": by,
                **({"erase": [before[0]]} if before and before[0] != found else {}),
            },
        )
        if before and before[0] != found:
            _erase_unused(db, before[0])
    return Photo(ref, found, width, height, len(image))


def _own_bytes(image: bytes) -> bytes:
    """The JPEG with a random comment (a COM segment after its start marker): bytes no other setting has."""
    if image[:2] != b"\xff\xd8":
        return image
    note = f"kiosk photo {secrets.token_hex(16)}".encode()
    return image[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + image[2:]


def remove_photo(db: Store, person: str, by: str, kiosk: str) -> None:
    """Take ``person``'s photo away: the bytes go for good; the record says who removed it, and when."""
    by = checked(text.line, by, "name of who removes the photo") or "setup"
    with write(db):
        ref = resolve_person(db, person)["ref"]
        before = db.execute("SELECT digest FROM photos WHERE person = ?", [ref]).fetchone()
        if before is None:
            raise ServiceError(f"{ref} has no photo.")
        record.record(
            db, kiosk, rules.PHOTO_REMOVED, rules.photo_key(ref), {"person": ref, "erase": [before[0]], "by": by}
        )
        _erase_unused(db, before[0])


def _erase_unused(db: Store, digest: str) -> None:
    if db.execute("SELECT 1 FROM photos WHERE digest = ?", [digest]).fetchone() is None:
        db.execute("DELETE FROM photo_blobs WHERE digest = ?", [digest])


def photo_of(db: Store, person_ref: str) -> bytes | None:
    """The person's photo (JPEG bytes) for the door; None when they have none, or when the bytes are not the
    ones the log names (a photo swapped in the file shows nobody's face; ``kiosk audit verify`` names it)."""
    named = record.rows_from_log(db, "photos", rules.photo_key(person_ref))  # the log's digest, not the table's
    if not named:
        return None
    row = db.execute("SELECT image FROM photo_blobs WHERE digest = ?", [named[0]["digest"]]).fetchone()
    if row is None or hashlib.sha256(row[0]).hexdigest() != named[0]["digest"]:
        return None
    return bytes(row[0])
