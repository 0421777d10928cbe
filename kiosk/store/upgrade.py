"""Carrying a first-release database over to the record of events, in the migration's one transaction.

The first release kept tables keyed by row ids, stored badge codes, and logged changes beside the tables.  Here
every row of its log becomes an event, in its order and with its time: the door's entries, exits, sweeps,
refusals, state changes and approvals as the events this release writes for them (so that presence and the
reports carry on), everything else as a ``record.legacy`` fact; each keeps the old row's id and hash, so an
anchor filed before the upgrade can still be checked.  Then the tables as they stand become events at the
head of the new history (a snapshot), so that the projections, rebuilt from the log alone, are the tables
that were there.  Badge codes become digests, and the old log (which held the codes people scanned) is dropped.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kiosk.core import codes
from kiosk.core import record as rules
from kiosk.core.audit import legacy_hash
from kiosk.store import record
from kiosk.store.db import Store

DROP_ORDER = (
    "log",
    "log_head",
    "checkins",
    "approvals",
    "performers",
    "badges",
    "scenes",
    "people",
    "settings",
    "production",
)
DOOR = {"scan": rules.SCAN, "override": rules.BY_NAME, "sweep": rules.SWEEP, "policy_ack": rules.POLICY}


def _rows(db: Store, sql: str) -> list[dict[str, Any]]:
    cursor = db.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def carry_over(db: Store, device: str) -> bool:
    """Make the ``legacy_*`` tables events of ``device`` and drop them; False for a new file (nothing to do)."""
    legacy = {
        name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'legacy_%'")
    }
    if not legacy:
        return False
    if (
        db.execute("SELECT 1 FROM legacy_log LIMIT 1").fetchone()
        or db.execute("SELECT 1 FROM legacy_production").fetchone()
    ):
        _History(db, device).carry()
    for table in DROP_ORDER:  # those that refer to others first: the foreign keys hold to the end
        if f"legacy_{table}" in legacy:
            db.execute(f"DROP TABLE legacy_{table}")
    return True


class _History:
    def __init__(self, db: Store, device: str):
        self.db, self.device = db, device
        self.people = {row["id"]: row["ref"] for row in _rows(db, "SELECT id, ref FROM legacy_people")}
        self.scenes = {row["id"]: row["ref"] for row in _rows(db, "SELECT id, ref FROM legacy_scenes")}
        self.badges = {row["id"]: row for row in _rows(db, "SELECT * FROM legacy_badges")}

    def add(self, type: str, key: str, body: dict[str, Any], at: str) -> None:
        record.record(self.db, self.device, type, key, body, at=at)

    def carry(self) -> None:
        rows, broken = self._log()
        head = self.db.execute("SELECT last_id, last_hash FROM legacy_log_head WHERE id = 1").fetchone()
        self.add(
            rules.MIGRATED,
            "audit",
            {"legacy": {"rows": rows, "last_hash": head[1] if head else None, "broken": broken}},
            at=record.now_iso(record.wall_ms()),
        )
        self._snapshot()

    # --- the old log, row by row ----------------------------------------------------------------------------

    def _log(self) -> tuple[int, str | None]:
        """Every old row as an event, checking the old chain on the way; returns the count and any break."""
        previous, broken, count = "0" * 64, None, 0
        for row in _rows(self.db, "SELECT * FROM legacy_log ORDER BY id"):
            count += 1
            if broken is None and (
                row["id"] != count or row["prev_hash"] != previous or legacy_hash(row, previous) != row["hash"]
            ):
                broken = f"row {row['id']} of the log before the upgrade did not verify"
            previous = row["hash"]
            self._row(row)
        return count, broken

    def _row(self, row: dict[str, Any]) -> None:
        detail = json.loads(row["detail"]) if row["detail"] else {}
        legacy = {"id": row["id"], "hash": row["hash"], "kind": row["kind"], "kiosk": row["kiosk"]}
        scene, person = self.scenes.get(row["scene_id"]), self.people.get(row["person_id"])
        kind = row["kind"]
        if kind in DOOR and scene:
            badge = self.badges.get(row["badge_id"])
            body = {
                "scene": scene,
                "person": person,
                "zone": row["zone"],
                "decision": row["decision"],
                "reason": row["reason"],
                "scan_id": row["scan_id"],
                "layout": row["layout"],
                "badge": codes.digest(badge["code"]) if badge else None,
                "raw": codes.masked(row["raw"]) if row["raw"] else None,
                **detail,
                "legacy": legacy,
            }
            key = (
                rules.policy_key(scene, person)
                if kind == "policy_ack" and person
                else rules.presence_key(scene, person, row["zone"])
            )
            self.add(DOOR[kind], key, body, row["at"])
        elif kind == "state" and scene:
            self.add(
                rules.SCENE_STATE,
                rules.state_key(scene),
                {"scene": scene, "from": detail.get("from"), "to": detail["to"], "run": 1, "legacy": legacy},
                row["at"],
            )
        elif kind in ("approve", "unapprove") and scene and person:
            body = {
                "scene": scene,
                "person": person,
                "zone": row["zone"],
                "by": detail.get("by", ""),
                "temporary": bool(detail.get("temporary")),
                "legacy": legacy,
            }
            self.add(
                rules.APPROVED if kind == "approve" else rules.UNAPPROVED,
                rules.approval_key(scene, person, row["zone"]),
                body,
                row["at"],
            )
        else:
            self.add(
                rules.LEGACY,
                "legacy",
                {"scene": scene, "person": person, "detail": detail, "legacy": legacy},
                row["at"],
            )

    # --- the tables as they stand ---------------------------------------------------------------------------

    def _snapshot(self) -> None:
        db = self.db
        for row in _rows(db, "SELECT * FROM legacy_production"):
            self.add(
                rules.PRODUCTION, rules.production_key(), {"name": row["name"], "snapshot": True}, row["created_at"]
            )
            self.add(
                rules.SETTING,
                rules.setting_key("duplicate_window"),
                {"name": "duplicate_window", "value": str(row["duplicate_window"]), "snapshot": True},
                row["created_at"],
            )
        for row in _rows(db, "SELECT * FROM legacy_people ORDER BY id"):
            self.add(
                rules.PERSON,
                rules.person_key(row["ref"]),
                {name: row[name] for name in ("ref", "name", "department", "role", "kind")} | {"snapshot": True},
                row["updated_at"],
            )
        for badge in sorted(self.badges.values(), key=lambda badge: (badge["person_id"], badge["issued_at"])):
            ref, digest = self.people[badge["person_id"]], codes.digest(badge["code"])
            self.add(
                rules.BADGE_ISSUED,
                rules.badges_key(ref),
                {"person": ref, "digest": digest, "snapshot": True},
                badge["issued_at"],
            )
        for badge in self.badges.values():
            if badge["status"] == "revoked":
                ref = self.people[badge["person_id"]]
                self.add(
                    rules.BADGE_REVOKED,
                    rules.badges_key(ref),
                    {
                        "person": ref,
                        "digest": codes.digest(badge["code"]),
                        "reason": badge["end_reason"] or "",
                        "snapshot": True,
                    },
                    badge["ended_at"],
                )
        for row in _rows(db, "SELECT * FROM legacy_scenes ORDER BY id"):
            self.add(
                rules.SCENE,
                rules.scene_key(row["ref"]),
                {
                    "ref": row["ref"],
                    "title": row["title"],
                    "location": row["location"],
                    "date": row["date"],
                    "coordinator": self.people.get(row["coordinator_id"]),
                    "snapshot": True,
                },
                row["created_at"],
            )
            self.add(
                rules.SCENE_STATE,
                rules.state_key(row["ref"]),
                {"scene": row["ref"], "from": None, "to": row["state"], "run": 1, "snapshot": True},
                row["created_at"],
            )
        for row in _rows(db, "SELECT * FROM legacy_performers"):
            scene, person = self.scenes[row["scene_id"]], self.people[row["person_id"]]
            self.add(
                rules.PERFORMER,
                rules.performer_key(scene, person),
                {"scene": scene, "person": person, "snapshot": True},
                record.now_iso(record.wall_ms()),
            )
        self._approvals()
        self._credentials()
        self._checkins()

    def _approvals(self) -> None:
        approved = set()
        for row in _rows(self.db, "SELECT * FROM legacy_approvals"):
            scene, person = self.scenes[row["scene_id"]], self.people[row["person_id"]]
            approved.add((scene, person, row["zone"]))
            self.add(
                rules.APPROVED,
                rules.approval_key(scene, person, row["zone"]),
                {
                    "scene": scene,
                    "person": person,
                    "zone": row["zone"],
                    "by": row["approved_by"],
                    "temporary": bool(row["temporary"]),
                    "snapshot": True,
                },
                row["approved_at"],
            )
        for (key,) in self.db.execute("SELECT key FROM heads WHERE key LIKE 'approval/%'").fetchall():
            _, scene, person, zone = key.split("/")
            if (scene, person, zone) not in approved:  # removed in the tables though the old log may not say so
                self.add(
                    rules.UNAPPROVED,
                    key,
                    {
                        "scene": scene,
                        "person": person,
                        "zone": zone,
                        "by": "upgrade",
                        "temporary": False,
                        "snapshot": True,
                    },
                    record.now_iso(record.wall_ms()),
                )

    def _credentials(self) -> None:
        settings = {row["key"]: row["value"] for row in _rows(self.db, "SELECT key, value FROM legacy_settings")}
        at = record.now_iso(record.wall_ms())
        if "supervisor_pin" in settings:
            self.add(
                rules.CREDENTIAL,
                rules.credential_key("supervisor"),
                {"values": {"supervisor_pin": settings["supervisor_pin"]}, "snapshot": True},
                at,
            )
        if "ic_passphrase_kdf" in settings:
            self.add(
                rules.CREDENTIAL,
                rules.credential_key("ic"),
                {
                    "values": {name: settings[name] for name in ("ic_passphrase_kdf", "ic_passphrase_check")},
                    "snapshot": True,
                },
                at,
            )

    def _checkins(self) -> None:
        for row in _rows(self.db, "SELECT * FROM legacy_checkins ORDER BY id"):
            scene, person = self.scenes[row["scene_id"]], self.people[row["person_id"]]
            key = rules.checkin_key(scene, 1, person)
            base = {"scene": scene, "run": 1, "person": person, "snapshot": True}
            self.add(rules.CHECKIN_OPENED, key, {**base, "by": "upgrade"}, row["created_at"])
            if row["status"] != "pending":
                digest = None
                if row["sealed"] is not None:
                    digest = hashlib.sha256(row["sealed"]).hexdigest()
                    self.db.execute(
                        "INSERT OR IGNORE INTO sealed (digest, blob) VALUES (?, ?)", [digest, row["sealed"]]
                    )
                binding = f"checkin:{row['id']}:scene:{row['scene_id']}:person:{row['person_id']}"
                self.add(
                    rules.CHECKIN_RECORDED,
                    key,
                    {
                        **base,
                        "by": "upgrade",
                        "status": row["status"],
                        "follow_up_due": row["follow_up_due"],
                        "sealed": digest,
                        "binding": binding,
                    },
                    row["checked_in_at"] or row["updated_at"],
                )
            if row["follow_up_done_on"]:
                self.add(
                    rules.FOLLOW_UP_DONE,
                    key,
                    {**base, "by": "upgrade", "on": row["follow_up_done_on"]},
                    row["updated_at"],
                )
            if row["notes_read_at"]:
                self.add(rules.CHECKIN_READ, key, {**base, "by": "upgrade", "read": []}, row["notes_read_at"])
            if row["purged_at"]:
                self.add(rules.CHECKIN_PURGED, key, {**base, "by": "upgrade", "erase": []}, row["purged_at"])
