"""The result of checking the log, and the anchors that let a later check prove nothing was rewritten.  Pure."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

ANCHOR_HEX = 16  # hex digits of a row's hash kept in an anchor: 64 bits, short enough to file by hand
_ANCHOR = re.compile(r"(?P<row>[0-9]{1,18}):(?P<digest>[0-9a-fA-F]{12,64})")


@dataclass(frozen=True)
class AuditResult:
    ok: bool
    rows: int
    broken_id: int | None = None
    problem: str = ""
    anchor: str = ""  # "ROW:HASH" of the newest row when intact: see ``verify``

    @property
    def words(self) -> str:
        if self.ok:
            return f"Log intact: {self.rows} rows, hash chain verified; anchor {self.anchor}"
        if self.broken_id is None:
            return f"LOG BROKEN: {self.problem}"
        return f"LOG BROKEN at row {self.broken_id}: {self.problem}"


def parse_anchor(text: str) -> tuple[int, str]:
    """``ROW:HASH`` as printed by ``verify`` (a row from 1, the first 12 to 64 hex digits of its hash).

    ValueError for anything else: row 0 above all, which no log has, so that no row would ever be compared
    with it and any log would pass.  A row past the end of the log is well-formed: ``verify`` fails it.
    """
    match = _ANCHOR.fullmatch(text.strip())
    if not match:
        raise ValueError(f"an anchor is ROW:HASH as `kiosk audit verify` prints it, not {text!r}")
    if int(match["row"]) == 0:
        raise ValueError(
            f"the anchor {text.strip()!r} names row 0; the log starts at row 1 - copy ROW:HASH "
            "exactly as `kiosk audit verify` or the report printed it"
        )
    return int(match["row"]), match["digest"].lower()


LEGACY_FIELDS = (
    "id",
    "at",
    "kiosk",
    "kind",
    "scan_id",
    "scene_id",
    "person_id",
    "badge_id",
    "zone",
    "decision",
    "reason",
    "raw",
    "layout",
    "detail",
)


def legacy_hash(row: dict[str, Any], prev_hash: str) -> str:
    """The hash a row of the first release's log carried (over its fields and the previous row's hash)."""
    payload = json.dumps(
        [prev_hash, *(row.get(name) for name in LEGACY_FIELDS)], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
