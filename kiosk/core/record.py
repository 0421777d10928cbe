"""What the record says: the kinds of events and the one thing each changes (its key).  Pure: no I/O.  The tables
as a fold of each key's events are ``kiosk.core.projection``.

The tables the door decides from (people, badges, scenes, performers, approvals, check-ins, settings) are
*projections*: each row is a function of the events of one key, whatever order they arrived in.  The events of
a key are taken in the one order every machine agrees on (``Event.order``: hybrid clock, device, sequence), and
each event supersedes the events its device had seen deciding the key (its ``parents``).  The events nothing
supersedes are the key's *frontier*: one event, unless changes were made without knowledge of each other
(offline, on two machines).  Then the rule of the key decides between them alike on every machine, the safer
answer winning where admission is at stake (a removed approval over a granted one, a lifted or rolling set
over an open one), and the conflict is kept so that reports can show it; the next change made after seeing
them all supersedes them all.

Door facts (scans, entries by lookup, sweeps, acknowledgements, PIN attempts) make no table row: they are read
from the log itself.

A photo (personal data) is not in any event: its bytes live in the ``photo_blobs`` table under their SHA-256
digest, and the event names the digest in its ``sealed`` list (the hub's word for "the blobs this event refers
to"); removing the photo names it in ``erase`` and the bytes go for good, while the record of who set and
removed it stays, verifiable.
"""

from __future__ import annotations

# --- event types ----------------------------------------------------------------------------------------------
PRODUCTION = "production.created"
SETTING = "setting.changed"
PERSON = "person.saved"
BADGE_ISSUED = "badge.issued"
BADGE_REVOKED = "badge.revoked"
SCENE = "scene.added"
SCENE_STATE = "scene.state"
SCENE_IC = "scene.coordinator"  # an intimacy coordinator assigned to a scene after it was added
PERFORMER = "performer.added"
APPROVED = "approval.granted"
UNAPPROVED = "approval.removed"
CREDENTIAL = "credential.set"
CHECKIN_OPENED = "checkin.opened"
CHECKIN_RECORDED = "checkin.recorded"
CHECKIN_RESEALED = "checkin.resealed"
CHECKIN_READ = "checkin.read"
FOLLOW_UP_DONE = "checkin.follow_up_done"
CHECKIN_PURGED = "checkin.purged"
CHECKIN_CLOSED = "checkin.closed"  # the IC closed an offered check-in: not needed
PHOTO_SET = "photo.set"
PHOTO_REMOVED = "photo.removed"
CHECKLIST_ITEM = "checklist.item"  # the production's checklist: an item added, reworded, made optional or removed
READY = "ready.confirmed"  # one item of a scene's checklist confirmed, by whom
NOT_READY = "ready.withdrawn"
RIDER = "rider.recorded"  # a performer's intimacy rider is on file, agreed on a date (never its content)
RIDER_REMOVED = "rider.removed"
NO_IC = "no_ic.chosen"  # a performer's own choice, made with their own badge, to work without an IC
NO_IC_WITHDRAWN = "no_ic.withdrawn"
LIST_ACK = "list.acknowledged"  # a performer was shown the approved list (by themselves, or the IC for them)
LIST_TOLD = "list.told"  # the IC told the performers of someone added, and they agreed
LIST_OBJECTION = "list.objection"  # a performer objected to someone on the list: they are taken off it
SCAN = "door.scan"
BY_NAME = "door.by_name"  # the AD named the person (no badge): admitted, marked out or refused
SWEEP = "door.swept"
OBJECTED_OUT = "door.objected"  # marked out because a performer objected to their presence
POLICY = "door.policy_acknowledged"
ATTEMPT = "secret.attempt"  # a PIN or passphrase try, recorded before it is checked
ATTEMPT_RESULT = "secret.result"
REBUILT = "audit.rebuilt"
MIGRATED = "record.migrated"
LEGACY = "record.legacy"  # a row of the first release's log, kept as it was
CLOCK = "sync.clock"  # a device's clock found off the hub's by more than two minutes at a sync (or back within)

# The door's record of a scene, by the names reports give its events (docs/report-json.md): nothing of a
# check-in, a secret or a setting is among them.
DOOR_RECORD = {
    SCENE: "scene_added",
    APPROVED: "approve",
    UNAPPROVED: "unapprove",
    SCENE_STATE: "state",
    POLICY: "policy_ack",
    SCAN: "scan",
    BY_NAME: "override",
    SWEEP: "sweep",
    SCENE_IC: "ic_assigned",
    OBJECTED_OUT: "objected",
    READY: "ready",
    NOT_READY: "not_ready",
    RIDER: "rider",
    RIDER_REMOVED: "rider_removed",
    NO_IC: "no_ic",
    NO_IC_WITHDRAWN: "no_ic_withdrawn",
    LIST_ACK: "list_ack",
    LIST_TOLD: "list_told",
    LIST_OBJECTION: "objection",
}
STATE_RANK = {"draft": 0, "open": 1, "hold": 2, "rolling": 3, "lifted": 4}  # higher: fewer people may pass


# --- keys: the one thing an event changes ---------------------------------------------------------------------


def production_key() -> str:
    return "production"


def setting_key(name: str) -> str:
    return f"setting/{name}"


def person_key(ref: str) -> str:
    return f"person/{ref}"


def badges_key(ref: str) -> str:
    """All of one person's badges: issuing one supersedes the last, so they are one thing."""
    return f"badges/{ref}"


def scene_key(ref: str) -> str:
    return f"scene/{ref}"


def state_key(ref: str) -> str:
    return f"state/{ref}"


def performer_key(scene: str, ref: str) -> str:
    return f"performer/{scene}/{ref}"


def approval_key(scene: str, ref: str, zone: str) -> str:
    return f"approval/{scene}/{ref}/{zone}"


def credential_key(name: str) -> str:
    return f"credential/{name}"


def checkin_key(scene: str, run: int, ref: str) -> str:
    """One person's check-in after one run of a closed set (a set reopened and lifted again opens new ones)."""
    return f"checkin/{scene}/{run}/{ref}"


def presence_key(scene: str, ref: str | None, zone: str) -> str:
    """Where a person is; a refusal of nobody's badge is kept under the scene."""
    return f"presence/{scene}/{ref}/{zone}" if ref else f"refused/{scene}"


def policy_key(scene: str, ref: str) -> str:
    return f"policy/{scene}/{ref}"


def attempts_key(secret: str) -> str:
    return f"attempts/{secret}"


def clock_key(device: str) -> str:
    return f"clock/{device}"


def photo_key(ref: str) -> str:
    return f"photo/{ref}"


def checklist_key(item: str) -> str:
    return f"checklist/{item}"


def ready_key(scene: str, item: str) -> str:
    return f"ready/{scene}/{item}"


def rider_key(scene: str, ref: str) -> str:
    return f"rider/{scene}/{ref}"


def no_ic_key(scene: str, ref: str) -> str:
    return f"no_ic/{scene}/{ref}"


def ack_key(scene: str, ref: str) -> str:
    """A performer's acknowledgements of a scene's approved list (door facts, read from the log)."""
    return f"ack/{scene}/{ref}"


def told_key(scene: str, ref: str) -> str:
    """The IC's records that the performers were told of ``ref`` and agreed (door facts)."""
    return f"told/{scene}/{ref}"


def objection_key(scene: str, ref: str) -> str:
    return f"objection/{scene}/{ref}"
