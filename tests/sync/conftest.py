"""Fixtures for the sync tests: a production made by the office and synced to a fresh hub, and kiosks that
join it."""

from __future__ import annotations

import pytest

from kiosk.services import badges as badge_service
from tests.reliability.support import build_production
from tests.syncing import OFFICE, Machine, joined


class Fleet:
    """The office (which made the production) and the kiosks joined from the hub, each a ``Machine``."""

    def __init__(self, hub, folder):
        self.hub, self.folder = hub, folder
        self.codes = build_production(folder / "office.db", kiosk=OFFICE)
        self.office = Machine(folder / "office.db", OFFICE, hub.add(OFFICE))
        self.machines = [self.office]
        assert self.office.sync().ok

    def join(self, name: str) -> Machine:
        machine = joined(self.hub, self.folder, name)
        self.machines.append(machine)
        return machine

    def reissue(self, machine: Machine, ref: str) -> str:
        cards = badge_service.plan_badges(machine.db, [ref])
        badge_service.record_badges(machine.db, cards, machine.name)
        self.codes[ref] = cards[0].code
        return cards[0].code

    def close(self) -> None:
        for machine in self.machines:
            machine.close()


@pytest.fixture
def fleet(hub, tmp_path):
    made = Fleet(hub, tmp_path)
    yield made
    made.close()

