"""The closed-set protocol's part of the report: the checklist as it stands, every opening with items
outstanding (and the supervisor's reason), the performers' acknowledgements of the approved list and who they
are not yet told of, and each performer's own choice to work without an IC.  Door records only: no rider's
content (there is none in the record), nothing of a check-in, nothing of who objected."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from kiosk.core import record as rules
from kiosk.core.report import ChecklistLine, ListAck, NoIcChoice, OpenedOutstanding, Protocol
from kiosk.services import presence, readiness
from kiosk.services.agreed_list import agreed_list
from kiosk.store import record
from kiosk.store.db import Store
from kiosk.store.queries import many

ITEM_WORDS = {"ready": "Ready: {item} confirmed by {by}", "not_ready": "Ready: {item} taken back by {by}"}


def words_of(kind: str, body: dict) -> tuple[str, str | None] | None:
    """Plain words for the protocol's door events, and who acted (None: not one of them)."""
    by = body.get("by")
    if kind in ITEM_WORDS:
        return ITEM_WORDS[kind].format(item=body.get("item"), by=by), by
    if kind == "rider":
        return f"Intimacy rider on file, agreed on {body.get('agreed_on')} (recorded by {by})", by
    if kind == "rider_removed":
        return f"Intimacy rider no longer on file (recorded by {by})", by
    if kind == "no_ic":
        return "Chose to work without an IC (their own badge; can be withdrawn at any time)", None
    if kind == "no_ic_withdrawn":
        return "Withdrew the choice to work without an IC: the set waits for an IC", None
    if kind == "list_ack":
        return (
            f"Acknowledged the approved list ({len(body.get('people', []))} people)"
            + (f", recorded by {by} for them" if body.get("for_them") else "")
        ), by
    if kind == "list_told":
        return f"The performers were told and agreed (recorded by the IC, {by})", by
    if kind == "objection":
        return f"A performer objected: taken off the approved list (recorded by {by}; no reason is asked)", by
    if kind == "ic_assigned":
        return f"Intimacy coordinator assigned by {by}", by
    return None


def _opened(db: Store, scene: str, local: Callable[[str], datetime]) -> tuple[OpenedOutstanding, ...]:
    found = []
    for at, payload in db.execute(
        "SELECT at, payload FROM events WHERE key = ? AND type = ? ORDER BY hlc, device, seq",
        [rules.state_key(scene), rules.SCENE_STATE],
    ):
        body = json.loads(payload)["body"]
        if body.get("outstanding"):
            override = body.get("by") == "supervisor" and body.get("from") == "draft"
            found.append(
                OpenedOutstanding(
                    local(at),
                    tuple(f"{item['words']} ({item['detail']})" for item in body["outstanding"]),
                    body.get("by") if override else None,
                    body.get("why") if override else None,
                )
            )
    return tuple(found)


def _choices(db: Store, scene: str, local: Callable[[str], datetime]) -> tuple[NoIcChoice, ...]:
    return tuple(
        NoIcChoice(row["name"] or row["person"], local(row["at"]), row["type"] == rules.NO_IC_WITHDRAWN)
        for row in many(
            db,
            "SELECT e.at, e.type, e.person, p.name FROM events e LEFT JOIN people p "
            "ON p.ref = e.person WHERE e.type IN (?, ?) AND e.scene = ? "
            "ORDER BY e.hlc, e.device, e.seq",
            [rules.NO_IC, rules.NO_IC_WITHDRAWN, scene],
        )
    )


def protocol_of(db: Store, scene: str, local: Callable[[str], datetime]) -> Protocol:
    """The scene's protocol section; ``local`` turns a stored time into the report's zone."""
    shown = readiness.checklist(db, scene)
    told = agreed_list(db, scene)
    return Protocol(
        checklist=tuple(
            ChecklistLine(
                state.item.id,
                state.item.words,
                state.item.required,
                state.met,
                state.detail,
                state.done.by if state.done else None,
                local(state.done.at) if state.done else None,
                state.warnings,
            )
            for state in shown.readiness.items
        ),
        opened_outstanding=_opened(db, scene, local),
        acknowledged=tuple(
            ListAck(ack.name, local(ack.at) if ack.at else None, ack.by, ack.for_them) for ack in told.performers
        ),
        not_told=tuple(unseen.name for unseen in told.not_told),
        no_ic=_choices(db, scene, local),
        without_ic=presence.without_ic(db, scene, record.rows_from_tables),
    )
