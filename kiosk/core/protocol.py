"""The closed-set protocol, as pure rules: what must be ready before a set opens, the performers' riders and
their 48 hours, whether the performers have been told who will be there, their own choice to work without an
intimacy coordinator (IC), and whether the IC is here.  No I/O and no clock: the services gather the facts
(from the log), these rules decide, in the words the people at the door use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from kiosk.core.door import Reason
from kiosk.core.text import BadInput

ITEM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,29}\Z")
RIDER_NOTICE = timedelta(days=2)  # 48 hours: a rider agreed later than this before the scene is warned about
# The answers to a scan of the IC's own valid badge that say "the IC is here" though nobody is let in: the set is
# not in force yet (or lifted, waiting to reopen), or it is rolling or on hold.
IC_ARRIVAL_REASONS = frozenset({Reason.NOT_OPEN, Reason.LIFTED, Reason.ROLLING, Reason.HOLD})
IC_ARRIVAL_WORDS = "IC here: recorded for scene {scene}'s checklist - {rest}"
NO_IC_PROMISE = (
    "This is your choice alone. Nobody can make it for you, and you can withdraw it at any time, "
    "without giving a reason: scan your badge here again, and the set goes on hold until an "
    "intimacy coordinator is here."
)


@dataclass(frozen=True)
class Item:
    """One thing a set must have before it opens."""

    id: str
    words: str
    required: bool = True
    automatic: bool = False  # met by what happens at the door and in the record, never ticked by hand


IC, RIDERS, TOLD = "ic", "riders", "told"
DEFAULT_ITEMS = (
    Item(IC, "The IC is here: their own badge scanned at this door", automatic=True),
    Item(RIDERS, "Each performer's intimacy rider on file, with the date it was agreed", automatic=True),
    Item(TOLD, "The performers know who will be there: each has acknowledged the approved list", automatic=True),
    Item("garments", "Modesty garments and robes ready"),
    Item("signage", "Closed-set signage posted"),
    Item("monitors", "Monitors restricted to the approved list"),
    Item("stills", "Stills photography only with the performers' consent"),
)
AUTOMATIC = frozenset(item.id for item in DEFAULT_ITEMS if item.automatic)


def checklist(changes: Iterable[Mapping]) -> list[Item]:
    """The production's checklist: the defaults with its own changes (rows with item, words, required, removed),
    then the items it added, in the order of their ids.  The automatic items are always there, required."""
    changed = {row["item"]: row for row in changes}
    items = []
    for item in DEFAULT_ITEMS:
        row = changed.pop(item.id, None)
        if row is None or item.automatic:
            items.append(item)
        elif not row["removed"]:
            items.append(Item(item.id, row["words"], bool(row["required"])))
    items += [
        Item(row["item"], row["words"], bool(row["required"]))
        for _, row in sorted(changed.items())
        if not row["removed"]
    ]
    return items


def check_item_id(item: str) -> str:
    """An item's id as typed: lowercase letters, digits and '-' (``robes-warm``); ``BadInput`` otherwise."""
    item = item.strip().lower()
    if not ITEM_ID.match(item):
        raise BadInput(
            f"A checklist item is named by 1 to 30 lowercase letters, digits or '-' (like 'robes-warm'), not {item!r}."
        )
    return item


def check_item_change(item: str, removing: bool) -> None:
    """The automatic items (the IC here, the riders, the performers told) belong to every closed set: a
    production may reword, add, make optional or remove the others, never these."""
    if item in AUTOMATIC:
        raise BadInput(
            f"'{item}' is met at the door and in the record, on every closed set: it cannot be "
            f"{'removed' if removing else 'changed'}. A scene runs without an IC only by each "
            "performer's own choice."
        )


def rider_warning(agreed_on: date, scene_day: date) -> str | None:
    """The 48 hours a performer is owed between agreeing their rider and shooting the scene."""
    if scene_day - agreed_on < RIDER_NOTICE:
        return (
            f"agreed on {agreed_on}, less than 48 hours before the scene ({scene_day}): check that the "
            "performer had the time they are owed"
        )
    return None


def check_agreed_on(agreed_on: date, today: date) -> date:
    if agreed_on > today:
        raise BadInput(f"The rider's date {agreed_on} is in the future: give the day it was agreed.")
    return agreed_on


def without_ic(performers: Iterable[str], chose: Iterable[str]) -> bool:
    """Whether the scene runs without an IC: only when every performer (there is at least one) has made that
    choice themselves and not withdrawn it."""
    performers = set(performers)
    return bool(performers) and performers <= set(chose)


def not_told(
    approvals: Mapping[str, frozenset[str]],
    acknowledged: Mapping[str, frozenset[str]],
    told: frozenset[str],
    performers: Iterable[str],
    exempt: Iterable[str] = (),
) -> list[str]:
    """The people on the list the performers have not all been told of: whose approval (each zone's, named by
    the event that granted it) is neither in the latest acknowledgement of every performer who has acknowledged
    the list nor in a record of the IC's that the performers were told and agreed.  ``approvals``: person ->
    their approvals' event ids; ``acknowledged``: performer -> the ids their latest acknowledgement covered;
    ``exempt``: the performers themselves and the IC.  Before any performer has acknowledged the list, nobody is flagged
    (the checklist's "told" item says the list is not seen yet)."""
    performers = list(performers)
    seen = [acknowledged[p] for p in performers if p in acknowledged]  # a performer yet to see the list at all
    skip = set(exempt) | set(performers)  # is the checklist's "told" item, not this flag
    missing = []
    for person, granted in approvals.items():
        if person in skip:
            continue
        if any(grant not in told and not all(grant in covered for covered in seen) for grant in granted):
            missing.append(person)
    return missing


# --- the checklist of one scene, met or not ---------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """Who confirmed something, and when (their own words for who)."""

    by: str
    at: str


@dataclass(frozen=True)
class Acknowledgement(Done):
    """A performer's acknowledgement of the approved list: by themselves, or recorded for them (by the IC, or
    the AD at the door)."""

    for_them: bool = False


@dataclass(frozen=True)
class SceneFacts:
    """What the record says of one scene, for its checklist."""

    scene_day: date  # the scene's date, or today when it has none
    performers: Mapping[str, str]  # ref -> name
    ic: str | None  # the assigned IC's name (None: no IC assigned)
    ic_here: Done | None  # the IC's badge scanned at this door and not scanned out since
    without_ic: bool  # every performer's own choice
    riders: Mapping[str, tuple[date, Done]]  # performer ref -> (agreed on, recorded)
    acknowledged: Mapping[str, Acknowledgement]  # performer ref -> their latest acknowledgement of the list
    confirmed: Mapping[str, Done]  # manual item -> its confirmation


@dataclass(frozen=True)
class ItemState:
    item: Item
    met: bool
    detail: str  # what is met or missing, in words
    done: Done | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Readiness:
    items: tuple[ItemState, ...] = field(default_factory=tuple)

    @property
    def outstanding(self) -> list[ItemState]:
        """The required items not met: while there is one, the set does not open (without an override)."""
        return [state for state in self.items if state.item.required and not state.met]

    @property
    def ready(self) -> bool:
        return not self.outstanding


def _names(refs: Iterable[str], facts: SceneFacts) -> str:
    return ", ".join(facts.performers[ref] for ref in refs)


def _ic(facts: SceneFacts) -> tuple[bool, str, Done | None]:
    if facts.without_ic:
        return True, "without an IC: every performer's own choice, made with their own badge", None
    if facts.ic is None:
        return False, "no IC is assigned to this scene (the supervisor assigns one)", None
    if facts.ic_here is None:
        return False, f"{facts.ic} is not here (not scanned in at the set door, or left since)", None
    return True, f"{facts.ic}: badge scanned at this door", facts.ic_here


def _riders(facts: SceneFacts) -> tuple[bool, str, tuple[str, ...]]:
    missing = [ref for ref in facts.performers if ref not in facts.riders]
    warnings = tuple(
        f"{facts.performers[ref]}: {warning}"
        for ref, (agreed, _) in facts.riders.items()
        if ref in facts.performers and (warning := rider_warning(agreed, facts.scene_day))
    )
    if not facts.performers:
        return False, "the scene has no performers", warnings
    if missing:
        return False, f"no rider on file for {_names(missing, facts)}", warnings
    return True, "on file for every performer", warnings


def _told(facts: SceneFacts) -> tuple[bool, str]:
    missing = [ref for ref in facts.performers if ref not in facts.acknowledged]
    if not facts.performers:
        return False, "the scene has no performers"
    if missing:
        return False, f"not yet acknowledged by {_names(missing, facts)}"
    for_them = [done for ref, done in facts.acknowledged.items() if ref in facts.performers and done.for_them]
    by = ", ".join(sorted({done.by for done in for_them}))  # the IC in IC mode, or the AD at the door
    return True, "acknowledged by every performer" + (f" ({len(for_them)} recorded for them by {by})" if by else "")


def readiness(items: Iterable[Item], facts: SceneFacts) -> Readiness:
    """Each item of the checklist, met or not, with who confirmed it and any warning."""
    states = []
    for item in items:
        if item.id == IC:
            met, detail, done = _ic(facts)
            states.append(ItemState(item, met, detail, done))
        elif item.id == RIDERS:
            met, detail, warnings = _riders(facts)
            states.append(ItemState(item, met, detail, warnings=warnings))
        elif item.id == TOLD:
            met, detail = _told(facts)
            states.append(ItemState(item, met, detail))
        else:
            done = facts.confirmed.get(item.id)
            states.append(
                ItemState(item, done is not None, f"confirmed by {done.by}" if done else "not confirmed", done)
            )
    return Readiness(tuple(states))
