"""Post-scene wellbeing check-ins: the statuses, what the production may see of them, and the checks on what
the IC types.  Pure: no I/O and no clock (today's date is passed in).

What the IC records (status, note, signposting, follow-up) is the IC's alone.  The production sees only a
``State``: pending, offered, done, or follow-up open.  Declining to check in is a respected answer: it is
recorded as declined and shows to the production as done, exactly like any other completed check-in.

Performers get a *pending* check-in at the lift; everyone else who was inside is *offered* one: an IC "isn't
just there for the lead actors", but a crew member's check-in is theirs to take up, never overdue.  The IC
records it like any other, or closes it as not needed (which the production sees as done).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from enum import StrEnum

from kiosk.core.text import BadInput, line, lines, parse_date

NOTE_MAX, SIGNPOSTING_MAX = 500, 200  # the follow-up owner is a name, as ``line`` has it
PASSPHRASE_MIN, PASSPHRASE_MAX = 12, 1024
DUE_WITHIN_DAYS = 366  # a due date further out is taken for a typo
PERIOD_MAX_DAYS = 3660
SEAL_BLOCK = 512  # sealed records are padded to a multiple of this, so their size does not tell if a note exists


CheckinRuleError = BadInput  # input the check-in rules refuse, as every core rule does; written for the IC


class Status(StrEnum):
    PENDING = "pending"
    OK = "ok"
    NEEDS_A_MOMENT = "needs-a-moment"
    FOLLOW_UP = "follow-up"
    DECLINED = "declined"
    NOT_NEEDED = "not-needed"  # an offered check-in the IC closed: not needed


STATUS_WORDS = {
    Status.PENDING: "Not checked in yet",
    Status.OK: "OK",
    Status.NEEDS_A_MOMENT: "Needs a moment",
    Status.FOLLOW_UP: "Follow-up needed",
    Status.DECLINED: "Declined to check in",
    Status.NOT_NEEDED: "Closed: not needed",
}
RECORDABLE = tuple(status for status in Status if status not in (Status.PENDING, Status.NOT_NEEDED))


class State(StrEnum):
    """All the production (AD screens, door count, reports) ever learns of a check-in."""

    PENDING = "pending"
    OFFERED = "offered"  # offered to someone who was inside, not a performer: theirs to take up, never overdue
    DONE = "done"
    FOLLOW_UP_OPEN = "follow-up open"


@dataclass(frozen=True)
class Completion:
    """How many check-ins are in each state: the whole of what a report or the door shows of them."""

    pending: int = 0
    done: int = 0
    follow_up_open: int = 0
    offered: int = 0


def follow_up_open(follow_up_due: str | None, follow_up_done_on: str | None) -> bool:
    return follow_up_due is not None and follow_up_done_on is None


def state_of(
    status: Status | str, follow_up_due: str | None, follow_up_done_on: str | None, offered: bool = False
) -> State:
    if Status(status) is Status.PENDING:
        return State.OFFERED if offered else State.PENDING
    return State.FOLLOW_UP_OPEN if follow_up_open(follow_up_due, follow_up_done_on) else State.DONE


@dataclass(frozen=True)
class Confidential:
    """The part of a check-in that is sealed with the IC's key: never stored, logged or shown in the clear."""

    note: str = ""
    signposting: str = ""
    follow_up_owner: str = ""

    def to_bytes(self) -> bytes:
        """JSON padded with spaces to a multiple of ``SEAL_BLOCK`` (JSON ignores trailing white space)."""
        data = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode("utf-8")
        return data + b" " * (-len(data) % SEAL_BLOCK)

    @classmethod
    def from_bytes(cls, data: bytes) -> Confidential:
        fields = json.loads(data.decode("utf-8"))
        return cls(**{name: str(fields.get(name, "")) for name in ("note", "signposting", "follow_up_owner")})


@dataclass(frozen=True)
class Entry:
    """One check-in as the IC records it, checked."""

    status: Status
    confidential: Confidential
    follow_up_due: date | None

    @property
    def state(self) -> State:
        return state_of(self.status, self.follow_up_due.isoformat() if self.follow_up_due else None, None)


def check_entry(
    status: str,
    today: date,
    note: str | None = "",
    signposting: str | None = "",
    follow_up_owner: str | None = "",
    due: str | date | None = None,
) -> Entry:
    """The IC's input made into an ``Entry``, or ``CheckinRuleError`` saying what to fix."""
    try:
        chosen = Status(status)
    except ValueError:
        chosen = None
    if chosen not in RECORDABLE:
        raise CheckinRuleError(f"The status must be one of {', '.join(RECORDABLE)}, not {status!r}.")
    owner = line(follow_up_owner or "", "follow-up owner")
    if isinstance(due, date):
        due = due.isoformat()
    due_date = parse_due(due, today) if due and due.strip() else None
    if chosen is Status.FOLLOW_UP and not (owner and due_date):
        raise CheckinRuleError("A follow-up needs an owner and a due date.")
    if bool(owner) != bool(due_date):
        raise CheckinRuleError("Give both the follow-up owner and the due date, or neither.")
    confidential = Confidential(
        lines(note or "", "note", NOTE_MAX), line(signposting or "", "signposting", SIGNPOSTING_MAX), owner
    )
    return Entry(chosen, confidential, due_date)


def parse_due(text: str, today: date) -> date:
    """A follow-up due date: today or later, and within a year (further out is taken for a typo)."""
    due = parse_date(text)
    if due < today:
        raise CheckinRuleError(f"The due date {due} is in the past.")
    if due > today + timedelta(days=DUE_WITHIN_DAYS):
        raise CheckinRuleError(f"The due date {due} is more than a year away - check the year.")
    return due


def parse_done(text: str | None, today: date, opened_on: date) -> date:
    """The date a follow-up was done: today when not given; never in the future or before the check-in."""
    done = parse_date(text) if text and text.strip() else today
    if done > today:
        raise CheckinRuleError(f"The done date {done} is in the future.")
    if done < opened_on:
        raise CheckinRuleError(f"The done date {done} is before the check-in was opened ({opened_on}).")
    return done


_PERIOD = re.compile(r"([0-9]{1,5}) ?([dw])", re.IGNORECASE)
_UNIT_DAYS = {"d": 1, "w": 7}


def parse_period(text: str) -> timedelta:
    """A retention period: a whole number of days or weeks, ``30d`` or ``12w``, from 1 day to about 10 years."""
    match = _PERIOD.fullmatch(text.strip())
    if not match:
        raise CheckinRuleError(f"{text!r} is not a period: write days or weeks, e.g. 30d or 12w.")
    days = int(match.group(1)) * _UNIT_DAYS[match.group(2).lower()]
    if not 1 <= days <= PERIOD_MAX_DAYS:
        raise CheckinRuleError(f"The period must be between 1 day and {PERIOD_MAX_DAYS} days, not {days} days.")
    return timedelta(days=days)


def format_period(period: timedelta) -> str:
    days = period.days
    return f"{days // 7}w" if days % 7 == 0 else f"{days}d"


def check_passphrase(passphrase: str) -> None:
    """Long enough to resist guessing against a stolen file: four random words, or a sentence."""
    if len(passphrase.strip()) < PASSPHRASE_MIN:
        raise CheckinRuleError(
            f"The IC passphrase needs at least {PASSPHRASE_MIN} characters: "
            "four random words or a short sentence works well."
        )
    if len(passphrase) > PASSPHRASE_MAX:
        raise CheckinRuleError(f"The IC passphrase is limited to {PASSPHRASE_MAX} characters.")


def failed_attempts_words(count: int) -> str:
    """What the IC is told on unlocking when attempts at the passphrase failed since their last unlock."""
    if not count:
        return ""
    plural = "s" if count > 1 else ""
    return (
        f"Warning: {count} failed attempt{plural} to unlock IC mode since your last unlock; each is a row of "
        "the log (who, when, which kiosk)."
    )
