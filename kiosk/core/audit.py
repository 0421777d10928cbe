"""The result of checking the log, and the anchors that let a later check prove nothing was rewritten.  Pure."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

ANCHOR_HEX = 16  # hex digits of a row's hash kept in an anchor: 64 bits, short enough to file by hand


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
        return f"LOG BROKEN at row {self.broken_id}: {self.problem}"


def parse_anchor(text: str) -> tuple[int, str]:
    """``ROW:HASH`` (the hash's first hex digits, at least 12) as printed by ``verify``; ValueError if not."""
    row, _, digest = text.strip().partition(":")
    digest = digest.lower()
    if not row.isdigit() or len(digest) < 12 or any(char not in "0123456789abcdef" for char in digest):
        raise ValueError(f"an anchor is ROW:HASH as `kiosk audit verify` prints it, not {text!r}")
    return int(row), digest


LEGACY_FIELDS = ("id", "at", "kiosk", "kind", "scan_id", "scene_id", "person_id", "badge_id", "zone", "decision",
                 "reason", "raw", "layout", "detail")


def legacy_hash(row: dict[str, Any], prev_hash: str) -> str:
    """The hash a row of the first release's log carried (over its fields and the previous row's hash)."""
    payload = json.dumps([prev_hash, *(row.get(name) for name in LEGACY_FIELDS)], ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
