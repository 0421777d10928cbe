"""What a printed badge shows: the model the badge renderers draw."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core import codes


@dataclass(frozen=True)
class BadgeCard:
    production: str
    ref: str
    name: str
    department: str
    role: str
    code: str

    @property
    def code_text(self) -> str:
        return codes.display(self.code)
