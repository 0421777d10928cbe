"""The scan: read the code, gather the facts, let the core decide, record, answer.  One transaction."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from kiosk.core import codes, text
from kiosk.core import record as rules
from kiosk.core.door import (
    BadgeStatus,
    Decision,
    DoorFacts,
    Reason,
    Ruling,
    SceneState,
    Zone,
    decide,
    decide_presence,
    escalation_problem,
    is_intimacy_coordinator,
    reason_words,
)
from kiosk.core.events import digest, new_id
from kiosk.core.protocol import IC_ARRIVAL_REASONS, IC_ARRIVAL_WORDS
from kiosk.services import ServiceError, checked, duplicates, now, presence
from kiosk.services.facts import mismatches
from kiosk.services.lookup import Inside, get_scene, resolve_person
from kiosk.services.lookup import inside as inside_of
from kiosk.services.scene_ic import after_exit
from kiosk.services.scenes import active_scenes, approve
from kiosk.store import queries, record
from kiosk.store.db import Store, write
from kiosk.store.queries import one

DOOR_ANSWERS = (rules.SCAN, rules.BY_NAME)  # the events that are answers at the door
SCAN_ID_MAX = 64  # characters of a caller's scan id
STORED_INPUT = 120  # characters of raw input kept in the log; longer input is cut and its length noted


@dataclass(frozen=True)
class Verdict:
    """The door's answer, exactly as stored in the log."""

    scan_id: str
    at: str
    scene: str
    zone: str
    decision: str
    reason: str
    words: str
    raw: str
    layout: str | None = None
    person_ref: str | None = None
    name: str | None = None
    department: str | None = None
    role: str | None = None
    duplicate: bool = False  # the same badge again within the duplicate window: this is the earlier scan
    replay: bool = False  # this scan id was stored before: this is that stored scan
    first_entry: bool = False  # first admission to this scene: the device policy is to be acknowledged
    mismatch: tuple[str, ...] = ()  # the facts a record mismatch was found in (badge, approval, scene state)
    ic_present: bool = False  # the scene's IC, here while nobody may enter: counted for its checklist
    held_for_ic: bool = False  # the IC just left the set: the door went on hold until they are back

    @property
    def passes(self) -> bool:
        return Decision(self.decision).passes

    def as_dict(self) -> dict:
        return asdict(self)


def printable_input(raw: str) -> str:
    """Raw input made safe to store and show: control characters escaped, invalid bytes as \\xNN, cut short."""
    try:
        text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte: escaped below like a control
        text = raw
    safe = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    if len(safe) > STORED_INPUT:
        return f"{safe[:STORED_INPUT]}... ({len(raw)} characters)"
    return safe


def _request(scene: str, zone: str, raw: str, parsed: codes.ParsedCode) -> str:
    """What a scan asked, to tell a resent scan (same id, same request) from a reused id."""
    return digest(f"{scene}\n{zone}\n{parsed.code or printable_input(raw)}")


def _verdict(
    db: Store, body: dict, at: str, person: dict | None = None, approved: frozenset[str] | None = None, **flags
) -> Verdict:
    """The verdict of a stored door event; ``person`` and ``approved`` save lookups when the caller has them."""
    if person is None:
        person = one(db, "SELECT ref, name, department, role FROM people WHERE ref = ?", [body.get("person")]) or {}
    if approved is None:
        approved = frozenset(queries.approvals_of(db, body["scene"], person["ref"])) if person else frozenset()
    words = reason_words(body["reason"], body["scene"], body["zone"], approved)
    if body.get("ic_present"):
        words = IC_ARRIVAL_WORDS.format(scene=body["scene"], rest=words)
    if flags.get("held_for_ic"):
        words = f"{words}. The set is ON HOLD until the IC is back"
    return Verdict(
        scan_id=body["scan_id"],
        at=at,
        scene=body["scene"],
        zone=body["zone"],
        decision=body["decision"],
        reason=body["reason"],
        words=words,
        raw=body.get("raw") or "",
        layout=body.get("layout"),
        person_ref=person.get("ref"),
        name=person.get("name"),
        department=person.get("department"),
        role=person.get("role"),
        **flags,
    )


def _scan_event_id(kiosk: str, scan_id: str) -> str:
    """The event id of a scan its caller named: the same name from the same kiosk finds the same event, so a
    resent scan is found by the log's own index."""
    return digest(f"scan-id\n{kiosk}\n{scan_id}")[:32]


def _stored_scan(db: Store, event_id: str) -> tuple[dict, str] | None:
    row = db.execute("SELECT payload, at FROM events WHERE event_id = ?", [event_id]).fetchone()
    return (json.loads(row[0])["body"], row[1]) if row else None


def scan(db: Store, scene_ref: str, raw: str, zone: Zone | str, kiosk: str, scan_id: str | None = None) -> Verdict:
    """Decide and record one scan; returns only after its event is committed to disk.

    A ``scan_id`` this kiosk already stored with the same request (scene, zone, code) returns the stored
    verdict: a resent scan is stored once.  The same id with another request is refused as a conflict.  The
    same badge at the same door within the production's duplicate window returns the earlier verdict, unless
    anything that decides the answer changed since (a state, an approval, a new or revoked badge).  An admission
    whose facts the log does not bear out is refused for a record mismatch (``kiosk.services.facts``).
    """
    zone = Zone(zone)
    if scan_id is not None and (not scan_id or len(scan_id) > SCAN_ID_MAX or not scan_id.isprintable()):
        raise ServiceError(
            f"A scan id is 1 to {SCAN_ID_MAX} printable characters (no control characters): nothing was recorded."
        )
    parsed = codes.parse(raw)
    request = _request(scene_ref.strip(), str(zone), raw, parsed)
    with write(db, memo=True):
        event_id = _scan_event_id(kiosk, scan_id) if scan_id else None
        if event_id:
            stored = _stored_scan(db, event_id)
            if stored:
                if stored[0].get("request") != request:
                    raise ServiceError(
                        f"The scan id {scan_id} was used for another scan (another scene, zone or "
                        "code): nothing was recorded. Give each scan its own id."
                    )
                return _verdict(db, stored[0], stored[1], replay=True)
        memo = db.memo
        scene = memo.get(("scene", scene_ref.strip()), lambda: get_scene(db, scene_ref))
        at = now()
        badge = (
            memo.get(("badge", parsed.code), lambda: queries.badge_holder(db, codes.digest(str(parsed.code))))
            if parsed.code
            else None
        )
        person = badge["person"] if badge else None
        door_key = ("door", scene["ref"], person, str(zone))
        last, inside = (
            memo.get(door_key, lambda: queries.at_door(db, scene["ref"], str(person), str(zone)))
            if badge
            else (None, False)
        )
        approvals = (
            memo.get(("approvals", scene["ref"], person), lambda: queries.approvals_of(db, scene["ref"], str(person)))
            if person
            else {}
        )
        facts = DoorFacts(
            code=parsed,
            zone=zone,
            scene_state=SceneState(scene["state"]),
            badge_status=BadgeStatus(badge["status"]) if badge else None,
            approved_zones=frozenset(Zone(name) for name in approvals),
            inside=inside,
        )
        if badge and last and last["badge"] == badge["digest"]:
            earlier = duplicates.earlier_answer(db, last, at, scene, badge, facts, approvals)
            if earlier is not None:
                memo.keep()  # nothing was written
                return _verdict(db, earlier, last["at"], duplicate=True)
        ruling = decide(facts)
        mismatch = (
            mismatches(db, scene, badge["person"], str(zone), badge, approvals.get(zone))
            if badge and ruling.decision is Decision.ADMIT
            else []
        )
        if mismatch:
            ruling = Ruling(Decision.DENY, Reason.RECORD_MISMATCH)
        entered_key = ("entered", scene["ref"], person)
        first_entry = (
            ruling.decision is Decision.ADMIT
            and person is not None
            and not memo.get(entered_key, lambda: queries.has_entered_before(db, scene["ref"], str(person)))
        )
        ic_present = (
            facts.badge_status is BadgeStatus.ACTIVE
            and zone is Zone.SET
            and not facts.inside
            and ruling.reason in IC_ARRIVAL_REASONS
            and person == presence.coordinator(db, scene["ref"])
        )
        body = {
            "scan_id": scan_id or new_id(),
            "request": request,
            "scene": scene["ref"],
            "run": scene["run"],
            "zone": str(zone),
            "person": person,
            "badge": badge["digest"] if badge else None,
            "decision": str(ruling.decision),
            "reason": str(ruling.reason),
            "layout": parsed.layout,
            "raw": None if parsed.code else codes.masked(printable_input(raw), len(raw)),
            **({"mismatch": mismatch} if mismatch else {}),
            **({"ic_present": True} if ic_present else {}),
        }
        recorded = record.append(
            db, kiosk, rules.SCAN, rules.presence_key(scene["ref"], person, str(zone)), body, at=at, id=event_id
        )
        held = ruling.decision is Decision.EXIT and after_exit(db, scene, str(person), str(zone), kiosk)
        if not held:  # all this scan changed, for the next one: its event is the last at this door
            if badge:
                moved = ruling.decision in (Decision.ADMIT, Decision.EXIT)
                last = {"id": recorded.id, "at": at, "badge": badge["digest"], "payload": recorded.payload}
                memo.put(door_key, (last, ruling.decision is Decision.ADMIT if moved else inside))
            if ruling.decision is Decision.ADMIT:
                memo.put(entered_key, True)
            memo.keep()
        return _verdict(
            db,
            body,
            at,
            badge or {},
            frozenset(approvals),
            first_entry=first_entry,
            mismatch=tuple(mismatch),
            ic_present=ic_present,
            held_for_ic=held,
        )


def _by_name(
    db: Store,
    scene: dict,
    found: dict,
    zone: Zone,
    kiosk: str,
    said: dict,
    admitted_as: Reason,
    approve_first: bool = False,
) -> Verdict:
    """The door rule for a person the AD named instead of a badge, recorded whatever it decides.

    An admission is recorded as ``admitted_as`` (a lookup, or an escalation: then the temporary approval is
    granted first, in the same transaction); someone inside is marked out; a refusal keeps the rule's reason.
    An admission whose approval or set state the log does not bear out is refused for a record mismatch.
    """
    approvals = queries.approvals_of(db, scene["ref"], found["ref"])
    approved = frozenset(Zone(name) for name in approvals) | ({zone} if approve_first else frozenset())
    ruling = decide_presence(
        zone, SceneState(scene["state"]), approved, queries.is_inside(db, scene["ref"], found["ref"], zone)
    )
    mismatch = (
        mismatches(db, scene, found["ref"], str(zone), None, approvals.get(zone), check_approval=not approve_first)
        if ruling.decision is Decision.ADMIT
        else []
    )
    if mismatch:
        ruling = Ruling(Decision.DENY, Reason.RECORD_MISMATCH)
    if ruling.decision is Decision.ADMIT:
        reason = admitted_as
        if approve_first:
            approve(db, scene["ref"], (found["ref"],), by=said["by"], kiosk=kiosk, zone=str(zone), temporary=True)
    else:
        reason = Reason.MARKED_OUT if ruling.decision is Decision.EXIT else ruling.reason
    first_entry = ruling.decision is Decision.ADMIT and not queries.has_entered_before(db, scene["ref"], found["ref"])
    at = now()
    body = {
        "scan_id": new_id(),
        "scene": scene["ref"],
        "run": scene["run"],
        "zone": str(zone),
        "person": found["ref"],
        "decision": str(ruling.decision),
        "reason": str(reason),
        **said,
        **({"mismatch": mismatch} if mismatch else {}),
    }
    record.append(db, kiosk, rules.BY_NAME, rules.presence_key(scene["ref"], found["ref"], str(zone)), body, at=at)
    held = ruling.decision is Decision.EXIT and after_exit(db, scene, found["ref"], str(zone), kiosk)
    return _verdict(db, body, at, first_entry=first_entry, mismatch=tuple(mismatch), held_for_ic=held)


def admit_by_lookup(
    db: Store, scene_ref: str, person: str, zone: Zone | str, why: str, kiosk: str, by: str = "AD"
) -> Verdict:
    """No badge: the AD finds the person by name, and the door rule decides as it would for their badge.

    Admitted (approved people only, while the set is open) or, when they are inside, marked out - each with
    the AD's reason on record.  A refusal (not approved, rolling, not in force) is recorded like a refused
    scan and returned, not raised: the lookup replaces the badge, not the approved list.
    """
    zone = Zone(zone)
    why, by = checked(text.line, why, "reason"), checked(text.line, by, "name of who admits")
    if not why:
        raise ServiceError("Say why the person has no badge with them.")
    with write(db):
        return _by_name(
            db,
            get_scene(db, scene_ref),
            resolve_person(db, person),
            zone,
            kiosk,
            {"why": why, "by": by},
            Reason.OVERRIDE,
        )


def escalate(
    db: Store, scene_ref: str, person: str, zone: Zone | str, coordinator: str, ad: str, kiosk: str
) -> Verdict:
    """Someone not on the list, admitted for this scene only, approved at the door by an IC and the AD.

    ``person``, ``coordinator`` and ``ad`` are people of the production (ref, or a full name that is one
    person's).  The IC must be the scene's coordinator or have an intimacy coordinator's role; the three are
    different people.  The approval is marked temporary (it ends at the lift) and granted only if the door rule
    then admits; a refusal (rolling, not in force) is recorded and returned like any other.
    """
    zone = Zone(zone)
    if not coordinator.strip() or not ad.strip():
        raise ServiceError("An escalation needs the intimacy coordinator and the AD who approve it.")
    with write(db):
        scene = get_scene(db, scene_ref)
        found, ic, assistant = (resolve_person(db, who) for who in (person, coordinator, ad))
        problem = escalation_problem(
            found["ref"],
            ic["ref"],
            assistant["ref"],
            ic["ref"] == scene["coordinator"] or is_intimacy_coordinator(ic["role"]),
        )
        if problem:
            raise ServiceError(problem)
        if zone in queries.approvals_of(db, scene["ref"], found["ref"]):
            raise ServiceError(
                f"{found['name']} is on the approved list for {zone} already: use the forgotten-badge lookup."
            )
        said = {
            "why": "escalation: temporary approval",
            "by": f"IC {ic['name']} and AD {assistant['name']}",
            "coordinator": ic["ref"],
            "ad": assistant["ref"],
        }
        return _by_name(db, scene, found, zone, kiosk, said, Reason.ESCALATED, approve_first=True)


def inside(db: Store, scene_ref: str | None = None) -> list[Inside]:
    """Who is inside now: one scene, or (roll-call) every scene whose closed set is in force."""
    return inside_of(db, [get_scene(db, scene_ref)] if scene_ref else active_scenes(db))
