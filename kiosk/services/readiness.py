"""Ready before it opens: each scene's checklist, the production's own items, and who confirmed what, when.

The checklist is the defaults (``kiosk.core.protocol.DEFAULT_ITEMS``) with the production's changes.  Three
items are met by the record itself: the IC here (their own badge scanned at this door, ``presence``), every
performer's rider on file with the date it was agreed (never its content), and every performer told who will be
there (``agreed_list``).  The others are confirmed by name, each an event.

Screens and reports read the tables; the gate that opens a set (``outstanding``) folds the same facts from the
log itself, so a row added to a table with ``sqlite3`` opens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kiosk.core import protocol, text
from kiosk.core import record as rules
from kiosk.core.protocol import Acknowledgement, Done, Item, Readiness, SceneFacts
from kiosk.services import ServiceError, checked
from kiosk.services.lookup import get_scene, resolve_person
from kiosk.services.presence import Rows, chose_without_ic, coordinator, ic_here, performers
from kiosk.store import record
from kiosk.store.db import Store, write
from kiosk.store.queries import latest_facts, many


@dataclass(frozen=True)
class SceneChecklist:
    """One scene's checklist as the door, setup and ``kiosk scene checklist`` show it."""

    scene: str
    state: str
    readiness: Readiness

    @property
    def outstanding(self) -> list[protocol.ItemState]:
        return self.readiness.outstanding


def _today() -> date:
    return datetime.now().astimezone().date()


def items(db: Store, rows: Rows = record.rows_from_tables) -> list[Item]:
    """The production's checklist."""
    return protocol.checklist(rows(db, "checklist_items", "checklist"))


def _names(db: Store, refs: list[str]) -> dict[str, str]:
    found = {
        row["ref"]: row["name"]
        for row in many(db, f"SELECT ref, name FROM people WHERE ref IN ({', '.join('?' * len(refs))})", refs)
    }
    return {ref: found.get(ref, ref) for ref in refs}


def scene_facts(db: Store, scene: dict, rows: Rows) -> SceneFacts:
    ref = scene["ref"]
    ic = coordinator(db, ref, rows)
    cast = performers(db, ref, rows)
    acknowledged = {}
    for body in latest_facts(db, f"ack/{ref}").values():
        acknowledged[body["person"]] = Acknowledgement(body["by"], body["at"], bool(body["for_them"]))
    return SceneFacts(
        scene_day=date.fromisoformat(scene["date"]) if scene["date"] else _today(),
        performers=_names(db, cast),
        ic=_names(db, [ic])[ic] if ic else None,
        ic_here=ic_here(db, ref, ic),
        without_ic=protocol.without_ic(cast, chose_without_ic(db, ref, rows)),
        riders={
            row["person"]: (date.fromisoformat(row["agreed_on"]), Done(row["recorded_by"], row["recorded_at"]))
            for row in rows(db, "riders", f"rider/{ref}")
        },
        acknowledged=acknowledged,
        confirmed={
            row["item"]: Done(row["confirmed_by"], row["confirmed_at"]) for row in rows(db, "readiness", f"ready/{ref}")
        },
    )


def checklist(db: Store, ref: str) -> SceneChecklist:
    """The scene's checklist: each item, met or not, who confirmed it and when, and any warning."""
    scene = get_scene(db, ref)
    return SceneChecklist(
        scene["ref"], scene["state"], protocol.readiness(items(db), scene_facts(db, scene, record.rows_from_tables))
    )


def outstanding(db: Store, scene: dict) -> list[protocol.ItemState]:
    """The required items not met, as the log itself says (inside the caller's write)."""
    rows = record.rows_from_log
    return protocol.readiness(items(db, rows), scene_facts(db, scene, rows)).outstanding


def outstanding_detail(missing: list[protocol.ItemState]) -> list[dict]:
    """The items outstanding as a state change records them (and reports print them)."""
    return [{"item": state.item.id, "words": state.item.words, "detail": state.detail} for state in missing]


GATE = "checklist_required"  # the production's setting: "on" - a set does not open with a required item open


def required(db: Store) -> bool:
    """Whether this production refuses to open a set with a required item outstanding (read from the log).
    On from `kiosk init`; off for a production made before the gate (or with it off) until it is turned on:
    a set then opens, and the record names what was outstanding."""
    rows = record.rows_from_log(db, "settings", rules.setting_key(GATE))
    return bool(rows) and rows[0]["value"] == "on"


def set_required(db: Store, on: bool, kiosk: str) -> bool:
    """Turn the gate on or off (the caller checks the supervisor PIN before turning it off)."""
    with write(db):
        record.record(db, kiosk, rules.SETTING, rules.setting_key(GATE), {"name": GATE, "value": "on" if on else "off"})
    return on


def outstanding_words(missing: list[protocol.ItemState]) -> str:
    return "; ".join(f"{state.item.words} ({state.detail})" for state in missing)


def _item(db: Store, item: str) -> Item:
    wanted = checked(protocol.check_item_id, item)
    found = next((each for each in items(db) if each.id == wanted), None)
    if found is None:
        raise ServiceError(
            f"No item {wanted!r} on this production's checklist: the items are "
            f"{', '.join(each.id for each in items(db))}."
        )
    return found


def _by(by: str) -> str:
    by = checked(text.line, by, "name of who confirms")
    if not by:
        raise ServiceError("Say who confirms it (a name, for the record).")
    return by


AUTOMATIC_WORDS = {
    protocol.IC: "The IC confirms it themselves: their own badge, scanned at this door.",
    protocol.TOLD: "Each performer acknowledges the approved list (kiosk scene acknowledge, or A at the door).",
    protocol.RIDERS: "Give the performer and the date their rider was agreed (--performer, --agreed).",
}


def confirm(db: Store, ref: str, item: str, by: str, kiosk: str, undo: bool = False) -> SceneChecklist:
    """Confirm one item of the scene's checklist (``undo``: take the confirmation back)."""
    found, by = _item(db, item), _by(by)
    if found.automatic:
        raise ServiceError(f"'{found.id}' is not ticked by hand. {AUTOMATIC_WORDS[found.id]}")
    with write(db):
        scene = get_scene(db, ref)
        record.record(
            db,
            kiosk,
            rules.NOT_READY if undo else rules.READY,
            rules.ready_key(scene["ref"], found.id),
            {"scene": scene["ref"], "item": found.id, "by": by},
        )
    return checklist(db, ref)


def record_rider(
    db: Store, ref: str, performer: str, agreed_on: str, by: str, kiosk: str, undo: bool = False
) -> SceneChecklist:
    """A performer's intimacy rider is on file, agreed on ``agreed_on`` (YYYY-MM-DD); ``undo``: it is not.

    Only that it exists and the date: what it says is between the performer, the IC and the production."""
    by = _by(by)
    agreed = None if undo else checked(protocol.check_agreed_on, checked(text.parse_date, agreed_on), _today())
    with write(db):
        scene = get_scene(db, ref)
        person = resolve_person(db, performer)
        if person["ref"] not in performers(db, scene["ref"], record.rows_from_tables):
            raise ServiceError(
                f"{person['name']} is not a performer of scene {scene['ref']}: a rider is a performer's."
            )
        body = {"scene": scene["ref"], "person": person["ref"], "by": by}
        record.record(
            db,
            kiosk,
            rules.RIDER_REMOVED if undo else rules.RIDER,
            rules.rider_key(scene["ref"], person["ref"]),
            body if agreed is None else {**body, "agreed_on": agreed.isoformat()},
        )
    return checklist(db, ref)


def set_item(db: Store, item: str, words: str, required: bool, by: str, kiosk: str) -> list[Item]:
    """Add an item to the production's checklist, or reword one, or make it optional or required again."""
    item, by = checked(protocol.check_item_id, item), _by(by)
    checked(protocol.check_item_change, item, False)
    words = checked(text.line, words, "item's words")
    if not words:
        raise ServiceError("Say what is to be ready, in a few words (e.g. 'Heaters on for the robes').")
    with write(db):
        record.record(
            db,
            kiosk,
            rules.CHECKLIST_ITEM,
            rules.checklist_key(item),
            {"item": item, "words": words, "required": required, "removed": False, "by": by},
        )
    return items(db)


def remove_item(db: Store, item: str, by: str, kiosk: str) -> list[Item]:
    found, by = _item(db, item), _by(by)
    checked(protocol.check_item_change, found.id, True)
    with write(db):
        record.record(
            db,
            kiosk,
            rules.CHECKLIST_ITEM,
            rules.checklist_key(found.id),
            {"item": found.id, "words": found.words, "required": found.required, "removed": True, "by": by},
        )
    return items(db)
