"""Auditing the record: the log's chains, then the tables against a rebuild from the log alone; and the
supervisor's recovery, rewriting the tables from an intact log."""

from __future__ import annotations

from dataclasses import dataclass, replace

from kiosk.core import record as rules
from kiosk.core.audit import AuditResult
from kiosk.services import ServiceError
from kiosk.services.access import check_pin
from kiosk.store import audit, record
from kiosk.store.db import Store, snapshot, write


class LogBroken(ServiceError):
    """The log itself does not verify: nothing is rebuilt from it (CLI: exit 1, as a broken audit)."""


@dataclass(frozen=True)
class Audit:
    """The log's check, and every table row that is not what the log says."""

    log: AuditResult
    differences: list[audit.Difference]

    @property
    def ok(self) -> bool:
        return self.log.ok and not self.differences

    @property
    def result(self) -> AuditResult:
        """One result for reports: broken when either the log or a table is."""
        if self.log.ok and self.differences:
            return replace(
                self.log,
                ok=False,
                problem=f"{len(self.differences)} table row(s) differ from the log, first {self.differences[0]}",
            )
        return self.log


def check(db: Store, anchor: str | None = None) -> Audit:
    """The whole audit, in one read snapshot (the tables checked against the log of the same moment, while doors
    go on writing); the tables are compared only when the log itself is intact."""
    with snapshot(db):
        log = audit.verify(db, anchor)
        return Audit(log, audit.differences(db) if log.ok else [])


def rebuild(db: Store, supervisor_pin: str, kiosk: str) -> int:
    """Rewrite every table from the log (supervisor PIN), for recovery after tables were edited; an event itself.

    Refused when the log does not verify: a broken log is kept for inspection, never built on.
    """
    log = audit.verify(db)
    if not log.ok:  # before the PIN: a broken log cannot vouch for the PIN on record either
        raise LogBroken(f"The log does not verify ({log.problem}): the tables are not rebuilt from it.")
    check_pin(db, supervisor_pin, kiosk, repairing=True)  # against the log's credential, not the edited table
    with write(db):
        log = audit.verify(db)
        if not log.ok:
            raise LogBroken(f"The log does not verify ({log.problem}): the tables are not rebuilt from it.")
        found = len(audit.differences(db))
        folded = audit.rebuild(db)
        record.append(db, kiosk, rules.REBUILT, "audit", {"keys": folded, "differences": found})
        return found
