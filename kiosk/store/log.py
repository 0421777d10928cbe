"""The append-only log: every scan, refusal, approval change, state change and sweep, hash-chained.

Each row's hash covers its own fields and the previous row's hash; ``log_head`` holds the newest id and hash.
Editing, deleting or reordering any row, or cutting rows off the end, breaks the chain where it happened.
SQLite triggers refuse UPDATE and DELETE, so only someone bypassing the kiosk can try.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from kiosk.store.db import Store

GENESIS = "0" * 64
FIELDS = ("id", "at", "kiosk", "kind", "scan_id", "scene_id", "person_id", "badge_id", "zone",
          "decision", "reason", "raw", "layout", "detail")


def row_hash(row: dict[str, Any], prev_hash: str) -> str:
    payload = json.dumps([prev_hash, *(row.get(name) for name in FIELDS)], ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def append(db: Store, **fields: Any) -> dict[str, Any]:
    """Append one row inside the caller's write transaction and return it as stored."""
    assert db.conn.in_transaction, "log.append must run inside store.db.write()"
    head = db.execute("SELECT last_id, last_hash FROM log_head WHERE id = 1").fetchone()
    last_id, prev_hash = head if head else (0, GENESIS)
    row = {name: fields.get(name) for name in FIELDS}
    if isinstance(row["detail"], (dict, list)):
        row["detail"] = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True)
    row["id"] = last_id + 1
    row["prev_hash"] = prev_hash
    row["hash"] = row_hash(row, prev_hash)
    db.execute(
        f"INSERT INTO log ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )
    db.execute(
        "INSERT INTO log_head (id, last_id, last_hash) VALUES (1, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash",
        [row["id"], row["hash"]],
    )
    return row


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
        raise ValueError(f"the anchor {text.strip()!r} names row 0; the log starts at row 1 - copy ROW:HASH "
                         "exactly as `kiosk audit verify` or the report printed it")
    return int(match["row"]), match["digest"].lower()


def verify(db: Store, anchor: str | None = None) -> AuditResult:
    """Walk the whole chain; report the first row where it breaks.

    The chain alone cannot tell a log rewritten whole (every hash recomputed) from an honest one.  An anchor
    can: the newest row's id and hash, printed by every check and report, filed away from the kiosk; checked
    later with ``anchor``, a rewrite of any row up to it shows.
    """
    anchor_id, anchor_hash = parse_anchor(anchor) if anchor else (None, "")
    prev_hash, expected_id, count = GENESIS, 1, 0
    columns = ", ".join((*FIELDS, "prev_hash", "hash"))
    for values in db.execute(f"SELECT {columns} FROM log ORDER BY id"):
        row = dict(zip((*FIELDS, "prev_hash", "hash"), values))
        if row["id"] != expected_id:
            return AuditResult(False, count, expected_id, f"row {expected_id} is missing")
        if row["prev_hash"] != prev_hash:
            return AuditResult(False, count, row["id"], f"row {row['id']} does not follow row {row['id'] - 1}")
        if row_hash(row, prev_hash) != row["hash"]:
            return AuditResult(False, count, row["id"], f"row {row['id']} was altered")
        if row["id"] == anchor_id and not row["hash"].startswith(anchor_hash):
            return AuditResult(False, count, row["id"], f"row {row['id']} differs from the anchor {anchor}: "
                                                        "the log was rewritten since it was filed")
        prev_hash, expected_id, count = row["hash"], expected_id + 1, count + 1
    head = db.execute("SELECT last_id, last_hash FROM log_head WHERE id = 1").fetchone()
    if (head or (0, GENESIS)) != (count, prev_hash):
        return AuditResult(False, count, count + 1, f"rows after {count} were removed from the end of the log")
    if anchor_id is not None and anchor_id > count:
        return AuditResult(False, count, count + 1, f"the log ends before row {anchor_id} of the anchor {anchor}: "
                                                    "rows were removed since it was filed")
    return AuditResult(True, count, anchor=f"{count}:{prev_hash[:ANCHOR_HEX]}")
